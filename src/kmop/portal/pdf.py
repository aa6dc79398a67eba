"""The portal's PDF documents (reportlab): the declaration of honour of a registration request (seed 004,
"Aanvraag registratie: verklaring op eer", stap 4) and the certificate of an approved registration ("U
ontvangt dit certificaat per mail").

The page streams are written uncompressed (``pageCompression=0``): the documents are one page of text, a few
kilobytes either way, and their text can be checked as it is.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # type: ignore[import-untyped]

from kmop.providers.models import Basis, Registration, Service

#: the address of the kmo-portefeuille service (seed 004, stap 4)
ADDRESS_LINES = (
    "Vlaamse Overheid",
    "kmo-portefeuille",
    "Ellipsgebouw, Koning Albert II-laan 35, bus 12",
    "1030 Brussel",
    "België",
)
FAX = "02/553 37 41"
MAIL = "kmo-portefeuille@vlaanderen.be"
AGENCY = "Agentschap Innoveren & Ondernemen"


def service_label(registration: Registration) -> str:
    return str(Service(registration.service).label)


def basis_label(registration: Registration) -> str:
    return str(Basis(registration.basis).label)


def received_text(registration: Registration) -> str:
    """The first sentence of stap 4 (seed 004)."""
    return _(
        "Uw aanvraag tot registratie voor de dienst %(service)s werd goed ontvangen. Gelieve deze verklaring "
        "op eer af te drukken, te ondertekenen en te mailen naar %(mail)s."
    ) % {"service": service_label(registration), "mail": MAIL}


def consent_text() -> str:
    """The consent of stap 4 (seed 004)."""
    return _(
        "Ondergetekende geeft toestemming aan het Agentschap Innoveren en Ondernemen om elk nazicht, elk "
        "onderzoek of elke controle te doen die noodzakelijk is voor de beoordeling van de ingediende "
        "subsidieaanvragen en ondergetekende zal hiervoor alle nodige inlichtingen verschaffen"
    )


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("kmop-title", parent=sheet["Title"], fontSize=16, leading=20, alignment=0),
        "heading": ParagraphStyle("kmop-heading", parent=sheet["Heading3"], spaceBefore=8),
        "body": ParagraphStyle("kmop-body", parent=sheet["BodyText"], fontSize=10, leading=14),
        "key": ParagraphStyle(
            "kmop-key", parent=sheet["BodyText"], fontSize=10, leading=14, fontName="Helvetica-Bold"
        ),
        "small": ParagraphStyle("kmop-small", parent=sheet["BodyText"], fontSize=8, leading=10),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _data_table(rows: list[tuple[str, str]], styles: dict[str, ParagraphStyle]) -> Table:
    table = Table(
        [[_p(key, styles["key"]), _p(value, styles["body"])] for key, value in rows],
        colWidths=(55 * mm, 110 * mm),
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, "#b1b4b6"),
            ]
        )
    )
    return table


def _registration_rows(registration: Registration) -> list[tuple[str, str]]:
    provider = registration.provider
    rows = [
        (_("Dienstverlener"), provider.legal_name),
        (_("Ondernemingsnummer"), provider.display_enterprise_number),
    ]
    if registration.department_id is not None and registration.department is not None:
        rows.append((_("Departement"), registration.department.name))
    rows += [
        (_("Registratienummer"), registration.number),
        (_("Dienst"), service_label(registration)),
        (_("Registratiebasis"), basis_label(registration)),
    ]
    return rows


def _build(title: str, story: list[object]) -> bytes:
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=title,
        author=AGENCY,
        pageCompression=0,
    )
    document.build(story)
    return buffer.getvalue()


def declaration_pdf(
    registration: Registration, *, signed_on: date | None = None, name_function: str = ""
) -> bytes:
    """ "Verklaring op eer" of a registration request: the seed's text, the address, the consent and the
    fields Datum, Handtekening and Naam + Functie (filled in when given, else lines to write on)."""
    styles = _styles()
    blank = "_" * 40
    story: list[object] = [
        _p(_("kmo-portefeuille — %(agency)s") % {"agency": AGENCY}, styles["small"]),
        Spacer(1, 4 * mm),
        _p(_("Aanvraag registratie: verklaring op eer"), styles["title"]),
        _data_table(_registration_rows(registration), styles),
        Spacer(1, 6 * mm),
        _p(received_text(registration), styles["body"]),
        Spacer(1, 3 * mm),
        _p(_("U kan deze verklaring op eer ook opsturen naar:"), styles["body"]),
        _p("\n".join(ADDRESS_LINES), styles["body"]),
        Spacer(1, 2 * mm),
        _p(_("Fax: %(fax)s") % {"fax": FAX}, styles["body"]),
        Spacer(1, 6 * mm),
        _p(consent_text(), styles["body"]),
        Spacer(1, 8 * mm),
        _data_table(
            [
                (_("Datum"), f"{signed_on:%d/%m/%Y}" if signed_on else blank),
                (_("Handtekening"), "\n\n" + blank),
                (_("Naam + Functie"), name_function or blank),
            ],
            styles,
        ),
    ]
    return _build(_("Verklaring op eer %(number)s") % {"number": registration.number}, story)


def certificate_pdf(registration: Registration) -> bytes:
    """The certificate of an approved registration (G or G/V): provider, number, service, basis and the
    validity (from ``valid_from``, up to the vervaldag ``valid_until``)."""
    styles = _styles()
    rows = _registration_rows(registration)
    rows += [
        (_("Geldig vanaf"), f"{registration.valid_from:%d/%m/%Y}" if registration.valid_from else "—"),
        (_("Vervaldag"), f"{registration.valid_until:%d/%m/%Y}" if registration.valid_until else "—"),
    ]
    if registration.is_starter:
        rows.append((_("Starter"), _("ja: registratie als starter")))
    story: list[object] = [
        _p(_("kmo-portefeuille — %(agency)s") % {"agency": AGENCY}, styles["small"]),
        Spacer(1, 4 * mm),
        _p(_("Certificaat van registratie"), styles["title"]),
        _p(
            _(
                "De registratie van %(provider)s als dienstverlener in de kmo-portefeuille voor de dienst "
                "%(service)s is toegekend."
            )
            % {"provider": registration.holder_name, "service": service_label(registration).lower()},
            styles["body"],
        ),
        Spacer(1, 4 * mm),
        _data_table(rows, styles),
        Spacer(1, 6 * mm),
        _p(
            _(
                "De registratie is geldig vanaf de eerste dag tot de vervaldag; op de vervaldag vervalt ze. "
                "Vraag vóór de vervaldag een verlenging aan via 'Registraties beheren'."
            ),
            styles["body"],
        ),
        Spacer(1, 8 * mm),
        _p(
            _("Opgemaakt op %(day)s.") % {"day": f"{timezone.localdate():%d/%m/%Y}"},
            styles["small"],
        ),
    ]
    return _build(_("Certificaat %(number)s") % {"number": registration.number}, story)

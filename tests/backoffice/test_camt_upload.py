"""The camt.053 upload: deposits matched (→ Lopend), refunds with their reason, the same statement twice books
nothing, bad files book nothing and say why in Dutch (never a 500); every upload is in the audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kmop.audit.models import AuditEvent
from kmop.backoffice import forms
from kmop.backoffice.selectors import STATEMENT_IMPORT_ACTION
from kmop.projects.models import ProjectStatus
from kmop.wallet.models import Entry, LedgerTransaction, Payout
from tests.backoffice.conftest import Credit, Setting, statement, stream

URL = "/backoffice/betalingen/camt/"
UNKNOWN = "+++090/9337/55493+++"


def upload(client: Client, data: bytes, name: str = "uittreksel.xml"):
    file = SimpleUploadedFile(name, data, content_type="application/xml")
    return client.post(URL, {"statement": file})


def test_a_statement_is_imported_and_its_report_shown(staff: Client, setting: Setting) -> None:
    project = setting.submit()
    other = setting.submit(title="Tweede opleiding")
    data = statement(
        Credit("700.00", project.structured_reference_display),
        Credit("699.99", other.structured_reference_display),
        Credit("50.00", UNKNOWN),
        Credit("12.00", direction="DBIT"),
    )
    response = upload(staff, data)
    assert response.status_code == 200
    html = response.content.decode()
    project.refresh_from_db()
    other.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    assert other.status == ProjectStatus.BEVESTIGD
    # the report: the deposit with its project, amount and new status; the two refunds with their reasons
    deposits = response.context["result"].deposits
    assert [(d.number, d.amount, d.status) for d in deposits] == [
        (project.number, project.own_contribution, "Lopend")
    ]
    assert f">{project.number}</a>" in html
    assert "€ 700,00" in html
    assert 'id="count-deposits">1<' in html
    assert 'id="count-refunds">2<' in html
    assert "in plaats van de eigen bijdrage" in html
    assert "onbekende gestructureerde mededeling" in html
    assert UNKNOWN in html  # the structured reference in its display form
    assert sorted(Payout.objects.values_list("amount", flat=True)) == [Decimal("50.00"), Decimal("699.99")]
    # the upload in the audit trail, with the booking's actor: the staff member acting for VLAIO
    event = AuditEvent.objects.get(action=STATEMENT_IMPORT_ACTION)
    assert event.organisation_code == "OVO003112"
    assert event.after["file"] == "uittreksel.xml"
    assert (event.after["deposits"], event.after["refunds"], event.after["skipped"]) == (1, 2, 1)
    assert event.after["refunded"] == "749.99"
    assert LedgerTransaction.objects.filter(kind="deposit").get().actor_label == event.actor_label
    # listed among the statements imported
    page = staff.get(URL).content.decode()
    assert 'id="imports"' in page
    assert "uittreksel.xml" in page
    assert "<td>An Wouters</td>" in page  # who imported it, by name


def test_the_same_statement_twice_books_nothing_the_second_time(staff: Client, setting: Setting) -> None:
    project = setting.submit()
    data = statement(Credit("700.00", project.structured_reference_display), Credit("5.00", UNKNOWN))
    upload(staff, data)
    entries, payouts = Entry.objects.count(), Payout.objects.count()
    response = upload(staff, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "al eerder ingelezen: er is niets opnieuw geboekt" in html
    assert 'id="count-duplicates">2<' in html
    assert 'id="count-deposits">0<' in html
    assert (Entry.objects.count(), Payout.objects.count()) == (entries, payouts)
    assert AuditEvent.objects.filter(action=STATEMENT_IMPORT_ACTION).count() == 2


def cut_off() -> bytes:
    data = statement(Credit("700.00", UNKNOWN), Credit("10.00", UNKNOWN))
    return data[: len(data) - 60]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"Datum;Bedrag\n2025-03-11;700,00\n", "Dit is geen XML-bestand"),
        (
            statement(Credit("700.00", UNKNOWN)).replace(b"camt.053.001.02", b"camt.054.001.04"),
            "Dit is geen camt.053-rekeninguittreksel",
        ),
        (cut_off(), "Het bestand is onvolledig"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><Document/>', "documenttypedefinitie"),
        (b"", "Het bestand is leeg"),
    ],
    ids=["not-xml", "wrong-namespace", "cut-off", "entities", "empty"],
)
def test_a_bad_file_books_nothing_and_says_why(
    staff: Client, setting: Setting, data: bytes, words: str
) -> None:
    project = setting.submit()
    response = upload(staff, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Er is een probleem" in html
    assert words in html
    assert "niets geboekt" in html
    assert response.context["result"] is None
    assert not LedgerTransaction.objects.exists()
    assert not Payout.objects.exists()
    assert not AuditEvent.objects.filter(action=STATEMENT_IMPORT_ACTION).exists()
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD


def test_a_bad_entry_after_good_ones_books_nothing(staff: Client, setting: Setting) -> None:
    project = setting.submit()
    data = statement(Credit("700.00", project.structured_reference_display), Credit("12,50", UNKNOWN))
    response = upload(staff, data)
    assert "ongeldig bedrag" in response.content.decode()
    assert not LedgerTransaction.objects.exists()
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD


def test_a_file_above_the_limit_is_refused(staff: Client, setting: Setting, monkeypatch) -> None:
    monkeypatch.setattr(forms, "CAMT_MAX_BYTES", 100)
    response = upload(staff, statement(Credit("700.00", UNKNOWN)))
    assert response.status_code == 200
    assert "Het bestand is te groot" in response.content.decode()
    assert not LedgerTransaction.objects.exists()


def test_no_file_is_refused(staff: Client, setting: Setting) -> None:
    response = staff.post(URL, {})
    assert response.status_code == 200
    assert "Kies een camt.053-bestand." in response.content.decode()


def test_no_wrong_deposit_lines_when_another_import_of_the_account_came_in_between(
    staff: Client, setting: Setting, monkeypatch
) -> None:
    from kmop.backoffice import views
    from kmop.wallet import camt

    project = setting.submit()
    other = setting.submit(title="Tweede opleiding")
    real = camt.import_statement

    def with_another_import(file, *, actor):  # the same account's other file, booked first
        data = statement(
            Credit("700.00", other.structured_reference_display, servicer_ref="OTHER-1"), statement_id="OTHER"
        )
        real(stream(data), actor=actor)
        return real(file, actor=actor)

    monkeypatch.setattr(views.camt, "import_statement", with_another_import)
    response = upload(staff, statement(Credit("700.00", project.structured_reference_display)))
    result = response.context["result"]
    assert result.report.deposits == 1
    assert result.deposits == []
    assert 'id="deposits-more"' in response.content.decode()

"""The fixed texts of seed 004 that the portal's screens and PDFs show (Dutch source, gettext)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

#: "Aanvraag registratie": the steps of the request (seed 004, 2.1)
REQUEST_STEPS = (
    _("Dienstverlener"),
    _("Dienst"),
    _("Registratiebasis"),
    _("Verklaring op eer"),
    _("Overzicht"),
)

#: stap 1
LEVEL_QUESTION = _("Geef aan voor wie u deze registratie aanvraagt")
#: stap 2
SERVICE_QUESTION = _("Duid aan voor welke dienst u een registratie wilt aanvragen.")
#: stap 3
BASIS_QUESTION = _("Mijn organisatie is een:")

#: stap 4: the declaration of honour (print, sign, send)
DECLARATION_RECEIVED = _(
    "Uw aanvraag tot registratie voor de dienst %(service)s werd goed ontvangen. Gelieve deze verklaring "
    "op eer af te drukken, te ondertekenen en te mailen naar kmo-portefeuille@vlaanderen.be."
)
DECLARATION_POSTAL_ADDRESS = (
    "Vlaamse Overheid",
    "kmo-portefeuille",
    "Ellipsgebouw, Koning Albert II-laan 35, bus 12",
    "1030 Brussel",
    "België",
)
DECLARATION_TEXT = _(
    "Ondergetekende geeft toestemming aan het Agentschap Innoveren en Ondernemen om elk nazicht, elk "
    "onderzoek of elke controle te doen die noodzakelijk is voor de beoordeling van de ingediende "
    "subsidieaanvragen en ondergetekende zal hiervoor alle nodige inlichtingen verschaffen"
)
#: the fields to fill in by hand on the printed declaration
DECLARATION_FIELDS = (_("Datum"), _("Naam + Functie"), _("Handtekening"))
#: what the dossier is made of (stap 4's explanation)
DECLARATION_DOSSIER = _(
    "Print de verklaring op eer, onderteken deze en stuur ze ons op. Samen met het resultaat van de audit"
    " kmop-norm vormt dit uw registratiedossier. Het resultaat van de audit krijgen wij van het door u "
    "gekozen auditbureau."
)

#: "Registraties: overzicht"
OVERVIEW_ALL = _("toon voor alle diensten")
OVERVIEW_ACTIVE = _("toon voor actieve diensten")
OVERVIEW_NEW = _("Klik hier voor een nieuwe registratie")

#: "Dienstverleners: overzicht" (departments)
DEPARTMENTS_INTRO = _(
    "De maatschappelijke zetel moet de dienstverlener(s) aanmelden. Na aanmelding kan door de "
    "maatschappelijke zetel een registratie aangevraagd worden voor de dienstverlener via 'registraties "
    "beheren'."
)
#: "Vestigingen: overzicht"
ESTABLISHMENTS_INTRO = _(
    "De eerste vestiging is automatisch uw maatschappelijke zetel. U kunt vestigingen toevoegen. Deze "
    "vestigingen kunnen gebruikt worden als zoekcriterium bij het zoeken van een geregistreerde "
    "dienstverlener."
)

#: the appointed audit bodies (RULES.md §4)
AUDIT_BODIES = (
    "BQA",
    "Brand Compliance",
    "Bureau Veritas",
    "CertUp",
    "DNV",
    "Kiwa",
    "LRQA",
    "Vinçotte",
)

"""The back office's scheme configuration (issue 6 §2): staff see the schemes' periods, excluded services,
NACE rules and legal forms; the application manager (high login) adds a period from a later date, a list
row, or gives an end date, with a reason, audited. Every bad input shows its message and changes nothing; a
project filed under the earlier regime keeps its rules."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from kmop.acm import session as keys
from kmop.audit.models import AuditEvent
from kmop.idm import services as idm_services
from kmop.idm.models import WorkRelation
from kmop.schemes import services as scheme_services
from kmop.schemes.models import ExcludedService, LegalFormRule, NaceRule, RegimePeriod
from tests.backoffice.conftest import TOTP_ACR, Setting, login
from tests.idm.conftest import BRUSSELS
from tests.projects.conftest import AN, SYSTEM, VLAIO

pytestmark = pytest.mark.django_db

KMOP = "kmo-portefeuille"
BASE = "/backoffice/steunmaatregelen/"
PERIOD_ADD = f"{BASE}{KMOP}/periodes/nieuw/"


def _make_app_manager(setting: Setting) -> None:
    idm_services.right_grant_create(
        actor=SYSTEM,
        work_relation=WorkRelation.objects.get(person__national_number=AN, organisation=setting.world.vlaio),
        right_code="VLAIOInkomToepassingsbeheerder",
    )


@pytest.fixture
def manager(client: Client, setting: Setting) -> Client:
    """An, Medewerker and Toepassingsbeheerder, logged in with eID (level high)."""
    _make_app_manager(setting)
    return login(client, AN)


def _period(day: date) -> RegimePeriod:
    return RegimePeriod.objects.get(scheme_id=KMOP, valid_from=day)


def _state() -> dict[str, Any]:
    """Everything the screens could change: every row's values and the audit trail's length."""
    rows = [
        (model.__name__, scheme_services.row_snapshot(row))
        for model in (RegimePeriod, ExcludedService, NaceRule, LegalFormRule)
        for row in model.objects.order_by("pk")
    ]
    return {"rows": rows, "audit": AuditEvent.objects.count()}


def _period_data(**overrides: str) -> dict[str, str]:
    """The fields of a new kmo-portefeuille period on the current one (2023-01-01 – 2026-01-31)."""
    data = {
        "valid_from": "01/04/2025",
        "valid_to": "",
        "end_current": "on",
        "size_KO_rate": "40",
        "size_KO_cap": "7500",
        "size_MO_rate": "20",
        "size_MO_cap": "7500,00",
        "service_opleiding_minimum": "100",
        "service_advies_minimum": "500",
        "rule_0_KO": "45",
        "rule_0_MO": "35",
        "rule_1_KO": "45",
        "rule_1_MO": "35",
        "theme_required": "on",
        "filing_window_days": "14",
        "deposit_days": "30",
        "label_nl": "Kmo-portefeuille vanaf 1 april 2025 (40 % voor kleine ondernemingen)",
        "label_en": "",
        "source": "Besluit van de Vlaamse Regering (test)",
        "reason": "Hoger steunpercentage voor kleine ondernemingen",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _error_at(html: str, field: str) -> str:
    """The error message shown at a field (components#field: id ``id_<field>_error``)."""
    marker = f'id="id_{field}_error"'
    assert marker in html, f"no error at {field}"
    start = html.index(marker)
    return html[start : html.index("</p>", start)]


# --- looking ----------------------------------------------------------------------------------------------


def test_staff_see_the_schemes_and_their_rules_readably(staff: Client, setting: Setting) -> None:
    page = staff.get(BASE).content.decode()
    assert 'href="/backoffice/steunmaatregelen/"' in page  # the navigation's tab
    assert '<a class="tabs__tab" href="/backoffice/steunmaatregelen/" aria-current="page">' in page
    assert "Kmo-portefeuille" in page
    assert f'href="{BASE}{KMOP}/"' in page
    assert f'href="{BASE}ecologiepremie-plus/"' in page
    assert "01/01/2023 – 31/01/2026" in page  # the period valid today (10 March 2025)

    page = staff.get(f"{BASE}{KMOP}/").content.decode()
    current = _period(date(2023, 1, 1))
    section = page[page.index(f'id="period-{current.pk}"') :]
    section = section[: section.index("</section>")]
    assert "geldig" in section
    assert "huidige regeling" in section
    assert "30 % steun, jaarplafond € 7.500,00" in section
    assert "20 % steun, jaarplafond € 7.500,00" in section
    assert "komt niet in aanmerking" in section  # GO
    assert "minimum € 500,00" in section
    assert "14 kalenderdagen na de startdatum" in section
    assert "KO 45 %, MO 35 %" in section
    old = _period(date(2016, 4, 1))
    assert "40 % steun, jaarplafond € 10.000,00" in page[page.index(f'id="period-{old.pk}"') :]
    assert "afgelopen" in page
    assert "toekomstig" in page
    assert 'id="excluded"' in page
    assert 'id="nace"' in page
    assert 'id="legal-forms"' in page
    # a Medewerker may look, not change
    assert 'id="configure-warning"' in page
    assert 'id="period-add"' not in page
    assert "Einddatum geven" not in page

    eco = staff.get(f"{BASE}ecologiepremie-plus/").content.decode()
    assert "klasse A: kmo 50 %, grote onderneming 40 %" in eco
    assert "€ 1.000.000,00 over 3 jaar" in eco
    assert staff.get(f"{BASE}bestaat-niet/").status_code == 404


def test_anonymous_is_sent_to_the_login(client: Client, setting: Setting) -> None:
    for url in (BASE, f"{BASE}{KMOP}/", PERIOD_ADD):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/aanmelden/?next=")


def test_an_enterprise_user_cannot_see_the_schemes(els: Client, setting: Setting) -> None:
    assert els.get(BASE).status_code == 403
    assert els.get(f"{BASE}{KMOP}/").status_code == 403


def test_a_medewerker_without_the_application_manager_right_cannot_change(
    staff: Client, setting: Setting
) -> None:
    before = _state()
    current = _period(date(2023, 1, 1))
    assert staff.get(PERIOD_ADD).status_code == 403
    assert staff.post(PERIOD_ADD, _period_data()).status_code == 403
    url = f"{BASE}{KMOP}/nace/nieuw/"
    data = {"prefix": "4711", "valid_from": "01/04/2025", "reason": "x"}
    assert staff.post(url, data).status_code == 403
    end = f"{BASE}{KMOP}/periodes/{current.pk}/einde/"
    assert staff.post(end, {"valid_to": "31/03/2025", "reason": "x"}).status_code == 403
    assert _state() == before


def test_the_application_manager_with_a_security_code_cannot_change(
    manager: Client, setting: Setting
) -> None:
    session = manager.session
    session[keys.ACR] = TOTP_ACR
    session.save()
    before = _state()
    page = manager.get(f"{BASE}{KMOP}/").content.decode()
    assert 'id="configure-warning"' in page
    assert 'id="period-add"' not in page
    assert manager.post(PERIOD_ADD, _period_data()).status_code == 403
    assert _state() == before


# --- a new period -----------------------------------------------------------------------------------------


def test_the_application_manager_adds_a_period_that_ends_the_current_one(
    manager: Client, setting: Setting
) -> None:
    page = manager.get(f"{BASE}{KMOP}/").content.decode()
    assert 'id="period-add"' in page
    assert 'id="configure-warning"' not in page
    form = manager.get(PERIOD_ADD).content.decode()
    assert 'name="size_KO_rate"' in form
    assert 'value="30"' in form
    assert 'name="parameters_json"' not in form

    response = manager.post(PERIOD_ADD, _period_data())
    html = response.content.decode()
    assert response.status_code == 302, html[html.find("error-summary__list") :][:1500]
    assert response["Location"] == f"{BASE}{KMOP}/"

    old = _period(date(2023, 1, 1))
    assert old.valid_to == date(2025, 3, 31)
    new = _period(date(2025, 4, 1))
    assert new.valid_to == date(2026, 1, 31)  # takes over the rest of the period it replaces
    assert new.data_version == 0
    assert new.parameters["size_classes"]["KO"] == {"rate": "0.40", "yearly_cap": "7500.00"}
    assert new.parameters["size_classes"]["MO"] == {"rate": "0.20", "yearly_cap": "7500.00"}
    assert new.parameters["themes"] == old.parameters["themes"]  # the structure is the base's
    assert new.parameters["services"] == old.parameters["services"]
    assert new.parameters["rate_rules"] == old.parameters["rate_rules"]

    # the regime lookup: before the new period the old rules, from it the new ones
    scheme_services.clear_cache()
    assert scheme_services.regime_on(date(2025, 3, 31)).rate(
        "KO", "opleiding", "bedrijfsstrategie"
    ) == Decimal("0.30")
    assert scheme_services.regime_on(date(2025, 4, 1)).rate(
        "KO", "opleiding", "bedrijfsstrategie"
    ) == Decimal("0.40")
    assert scheme_services.regime_on(date(2026, 2, 1)).valid_from == date(2026, 2, 1)  # untouched

    events = AuditEvent.objects.filter(reason="Hoger steunpercentage voor kleine ondernemingen").order_by(
        "pk"
    )
    assert [e.action for e in events] == ["schemes.regimeperiod.update", "schemes.regimeperiod.create"]
    for event in events:
        assert event.actor is not None
        assert event.actor.national_number == AN
        assert event.organisation_code == VLAIO
        assert event.acr.endswith("eid")
    assert events[0].before["valid_to"] == "2026-01-31"
    assert events[0].after["valid_to"] == "2025-03-31"
    assert events[1].after["parameters"]["size_classes"]["KO"]["rate"] == "0.40"

    page = manager.get(f"{BASE}{KMOP}/").content.decode()
    assert "De nieuwe periode van Kmo-portefeuille vanaf 1 april 2025 is toegevoegd." in page
    assert "40 % steun, jaarplafond € 7.500,00" in page


def test_a_project_filed_under_the_earlier_regime_keeps_its_rules(
    manager: Client, setting: Setting, clock: Any
) -> None:
    project = setting.submit()  # filed today, 10 March 2025, under the 2023 period
    assert project.rate == Decimal("0.30")
    assert project.subsidy == Decimal("300.00")
    assert project.regime_from == date(2023, 1, 1)

    response = manager.post(
        PERIOD_ADD, _period_data(valid_from="11/03/2025", size_KO_rate="50", size_KO_cap="9000")
    )
    assert response.status_code == 302

    scheme_services.clear_cache()  # the lookup reads the tables again
    regime = scheme_services.regime_on(project.application_date)  # the lookup the projects use
    assert regime.valid_from == date(2023, 1, 1)
    assert regime.valid_to == date(2025, 3, 10)
    assert regime.rate("KO", "opleiding", "bedrijfsstrategie") == Decimal("0.30")
    assert regime.yearly_cap("KO") == Decimal("7500.00")
    project.refresh_from_db()
    assert project.rate == Decimal("0.30")
    assert project.subsidy == Decimal("300.00")
    assert project.regime_from == date(2023, 1, 1)

    # a project filed tomorrow is judged by the new period
    clock.move_to(datetime(2025, 3, 11, 10, 0, tzinfo=BRUSSELS))
    later = setting.submit(title="Digitale marketing voor kmo's")
    assert later.regime_from == date(2025, 3, 11)
    assert later.rate == Decimal("0.50")
    assert later.subsidy == Decimal("500.00")
    project.refresh_from_db()
    assert project.rate == Decimal("0.30")
    assert project.subsidy == Decimal("300.00")


def test_an_overlapping_period_is_refused_at_the_field(manager: Client, setting: Setting) -> None:
    before = _state()
    # the running period is not ended: the new one would overlap it
    response = manager.post(PERIOD_ADD, _period_data(end_current=None))
    assert response.status_code == 200
    html = response.content.decode()
    message = _error_at(html, "valid_from")
    assert "Deze periode overlapt met de periode van 1 januari 2023 tot 31 januari 2026." in message
    assert "Er is een probleem" in html
    assert _state() == before

    # running into the next period: refused, and the running period is not ended either (one transaction)
    response = manager.post(PERIOD_ADD, _period_data(valid_to="30/06/2026"))
    message = _error_at(response.content.decode(), "valid_from")
    assert "overlapt met de periode van 1 februari 2026 tot …" in message
    assert _period(date(2023, 1, 1)).valid_to == date(2026, 1, 31)
    assert _state() == before


def test_a_start_date_today_or_in_the_past_is_refused(manager: Client, setting: Setting) -> None:
    before = _state()
    for day in ("10/03/2025", "01/01/2025"):
        response = manager.post(PERIOD_ADD, _period_data(valid_from=day))
        assert response.status_code == 200
        message = _error_at(response.content.decode(), "valid_from")
        assert "Een nieuwe periode begint ten vroegste morgen (11 maart 2025)" in message
    assert _state() == before


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("size_KO_rate", "150", "Geef een percentage tussen 0 en 100."),
        ("size_KO_rate", "-5", "Geef een percentage tussen 0 en 100."),
        ("size_KO_rate", "dertig", "Geef een percentage tussen 0 en 100, bijvoorbeeld 30."),
        ("size_KO_cap", "7500,001", "Een bedrag heeft ten hoogste twee decimalen."),
        ("size_KO_cap", "", "Geef een bedrag in euro, bijvoorbeeld 7500."),
        ("rule_0_KO", "101", "Geef een percentage tussen 0 en 100."),
        ("filing_window_days", "veertien", "Geef een geheel aantal dagen (0 tot 366)."),
        ("deposit_days", "400", "Geef een aantal dagen (0 tot 366)."),
        ("valid_from", "31/02/2025", "Geef de datum als dd/mm/jjjj, bijvoorbeeld 01/07/2025."),
        ("valid_from", "31/12/9999", "Kies een datum binnen 10 jaar na vandaag."),
        ("valid_to", "15/03/2025", "De einddatum ligt voor de begindatum."),
        ("label_nl", "", "Geef een omschrijving van de periode."),
        ("reason", "   ", "Geef de reden van de wijziging."),
    ],
)
def test_invalid_period_values_are_refused(
    manager: Client, setting: Setting, field: str, value: str, expected: str
) -> None:
    before = _state()
    response = manager.post(PERIOD_ADD, _period_data(**{field: value}))
    assert response.status_code == 200
    assert expected in _error_at(response.content.decode(), field)
    assert _state() == before


def test_another_scheme_takes_a_checked_json_document(manager: Client, setting: Setting) -> None:
    url = f"{BASE}ecologiepremie-plus/periodes/nieuw/"
    form = manager.get(url).content.decode()
    assert 'name="parameters_json"' in form
    assert "hernieuwbare-energie" in form
    base = RegimePeriod.objects.get(scheme_id="ecologiepremie-plus")
    data = {
        "basis": str(base.pk),
        "valid_from": "01/06/2025",
        "end_current": "on",
        "label_nl": "Ecologiepremie Plus vanaf 1 juni 2025",
        "reason": "Nieuwe percentages",
    }
    before = _state()
    response = manager.post(url, {**data, "parameters_json": '{"rates": {'})
    assert "Dit is geen geldige JSON" in _error_at(response.content.decode(), "parameters_json")
    assert _state() == before

    wrong = json.loads(json.dumps(base.parameters))
    wrong["rates"]["milieu"]["A"]["kmo"] = "55"
    response = manager.post(url, {**data, "parameters_json": json.dumps(wrong)})
    message = _error_at(response.content.decode(), "parameters_json")
    assert "rates.milieu.A.kmo: een steunpercentage is een breuk tussen 0 en 1" in message
    assert _state() == before

    good = json.loads(json.dumps(base.parameters))
    good["rates"]["milieu"]["A"]["kmo"] = "0.55"
    response = manager.post(url, {**data, "parameters_json": json.dumps(good)})
    assert response.status_code == 302
    new = RegimePeriod.objects.get(scheme_id="ecologiepremie-plus", valid_from=date(2025, 6, 1))
    assert new.valid_to is None
    assert new.parameters["rates"]["milieu"]["A"]["kmo"] == "0.55"
    base.refresh_from_db()
    assert base.valid_to == date(2025, 5, 31)
    # a base that is gone (or another scheme's): the form starts again, nothing changed
    before = _state()
    response = manager.post(url, {**data, "basis": "999999", "valid_from": "01/07/2025"})
    assert response.status_code == 302
    assert response["Location"] == url
    assert _state() == before
    assert base.parameters["rates"]["milieu"]["A"]["kmo"] == "0.50"


# --- the dated lists --------------------------------------------------------------------------------------


def test_the_application_manager_adds_an_excluded_service(manager: Client, setting: Setting) -> None:
    url = f"{BASE}{KMOP}/uitgesloten-diensten/nieuw/"
    data = {
        "code": "kaartlezen",
        "label_nl": "Kaartlezen en horoscopen",
        "keywords_text": "kaartlezen\nhoroscoop\n\n",
        "valid_from": "01/04/2025",
        "reason": "Geen bedrijfsadvies",
    }
    response = manager.post(url, data)
    html = response.content.decode()
    assert response.status_code == 302, html[html.find("error-summary__list") :][:800]
    row = ExcludedService.objects.get(scheme_id=KMOP, code="kaartlezen")
    assert row.keywords == ["kaartlezen", "horoscoop"]
    assert row.valid_from == date(2025, 4, 1)
    event = AuditEvent.objects.get(action="schemes.excludedservice.create")
    assert event.reason == "Geen bedrijfsadvies"
    assert event.actor.national_number == AN
    scheme_services.clear_cache()
    title = "Horoscoop voor de zaakvoerder"
    assert scheme_services.regime_on(date(2025, 3, 31)).excluded_service_for(title) is None
    found = scheme_services.regime_on(date(2025, 4, 1)).excluded_service_for(title)
    assert found is not None
    assert found.code == "kaartlezen"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("code", "Kaart Lezen", "Een code bestaat uit kleine letters, cijfers en koppeltekens"),
        ("keywords_text", " \n ", "Geef minstens één trefwoord."),
        ("label_nl", "", "Geef een omschrijving van de uitgesloten dienst."),
        ("valid_from", "10/03/2025", "Een nieuwe periode begint ten vroegste morgen (11 maart 2025)"),
        ("reason", "", "Geef de reden van de wijziging."),
    ],
)
def test_an_invalid_excluded_service_is_refused(
    manager: Client, setting: Setting, field: str, value: str, expected: str
) -> None:
    data = {
        "code": "kaartlezen",
        "label_nl": "Kaartlezen en horoscopen",
        "keywords_text": "horoscoop",
        "valid_from": "01/04/2025",
        "reason": "Geen bedrijfsadvies",
        field: value,
    }
    before = _state()
    response = manager.post(f"{BASE}{KMOP}/uitgesloten-diensten/nieuw/", data)
    assert response.status_code == 200
    assert expected in _error_at(response.content.decode(), field)
    assert _state() == before


def test_the_application_manager_adds_a_nace_rule(manager: Client, setting: Setting) -> None:
    url = f"{BASE}{KMOP}/nace/nieuw/"
    before = _state()
    response = manager.post(url, {"prefix": "4A", "valid_from": "01/04/2025", "reason": "x"})
    assert "Een NACE-prefix bestaat uit 2 tot 5 cijfers" in _error_at(response.content.decode(), "prefix")
    assert _state() == before

    data = {
        "prefix": "47.11",
        "note": "Supermarkten",
        "valid_from": "01/04/2025",
        "reason": "Nieuwe uitsluiting",
    }
    assert manager.post(url, data).status_code == 302
    rule = NaceRule.objects.get(scheme_id=KMOP, prefix="4711")
    assert not rule.accepted
    assert rule.note == "Supermarkten"
    scheme_services.clear_cache()
    assert scheme_services.regime_on(date(2025, 3, 31)).nace_accepted("47111")
    assert not scheme_services.regime_on(date(2025, 4, 1)).nace_accepted("47111")

    # the same prefix again from a later date overlaps the open-ended rule
    before = _state()
    response = manager.post(url, {**data, "valid_from": "01/05/2025"})
    message = _error_at(response.content.decode(), "valid_from")
    assert "overlapt met de periode van 1 april 2025 tot …" in message
    assert _state() == before


def test_the_application_manager_adds_a_legal_form(manager: Client, setting: Setting) -> None:
    url = f"{BASE}{KMOP}/rechtsvormen/nieuw/"
    before = _state()
    response = manager.post(url, {"code": "X1", "label_nl": "x", "valid_from": "01/04/2025", "reason": "x"})
    assert "Een rechtsvormcode bestaat uit 3 cijfers" in _error_at(response.content.decode(), "code")
    assert _state() == before
    data = {
        "code": "017",
        "label_nl": "Vereniging zonder winstoogmerk",
        "accepted": "on",
        "valid_from": "01/04/2025",
        "reason": "Vzw's met economische activiteit",
    }
    assert manager.post(url, data).status_code == 302
    scheme_services.clear_cache()
    assert not scheme_services.regime_on(date(2025, 3, 31)).legal_form_accepted("017")
    assert scheme_services.regime_on(date(2025, 4, 1)).legal_form_accepted("017")


# --- an end date ------------------------------------------------------------------------------------------


def test_an_end_date_is_never_before_today(manager: Client, setting: Setting) -> None:
    row = ExcludedService.objects.filter(scheme_id=KMOP, valid_to__isnull=True).order_by("code").first()
    assert row is not None
    url = f"{BASE}{KMOP}/uitgesloten-diensten/{row.pk}/einde/"
    before = _state()
    response = manager.post(url, {"valid_to": "09/03/2025", "reason": "Niet meer uitgesloten"})
    assert response.status_code == 200
    message = _error_at(response.content.decode(), "valid_to")
    assert "Een einddatum ligt ten vroegste vandaag (10/03/2025)." in message
    assert _state() == before

    response = manager.post(url, {"valid_to": "10/03/2025", "reason": ""})
    assert "Geef de reden van de wijziging." in _error_at(response.content.decode(), "reason")
    assert _state() == before

    response = manager.post(url, {"valid_to": "10/03/2025", "reason": "Niet meer uitgesloten"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.valid_to == date(2025, 3, 10)
    event = AuditEvent.objects.get(action="schemes.excludedservice.update")
    assert event.reason == "Niet meer uitgesloten"
    assert event.after["valid_to"] == "2025-03-10"


def test_an_ended_period_cannot_change(manager: Client, setting: Setting) -> None:
    old = _period(date(2016, 4, 1))
    before = _state()
    response = manager.post(
        f"{BASE}{KMOP}/periodes/{old.pk}/einde/", {"valid_to": "31/03/2025", "reason": "x"}
    )
    assert response.status_code == 200
    assert "Deze periode is al afgelopen en kan niet meer wijzigen" in _error_at(
        response.content.decode(), "valid_to"
    )
    assert _state() == before
    # and a row of another scheme is not found under this one
    eco = RegimePeriod.objects.get(scheme_id="ecologiepremie-plus")
    assert manager.get(f"{BASE}{KMOP}/periodes/{eco.pk}/einde/").status_code == 404
    assert manager.get(f"{BASE}{KMOP}/onbekend/nieuw/").status_code == 404


# --- removing a row that has not started ------------------------------------------------------------------


def test_a_period_added_by_mistake_is_removed_and_the_replaced_one_runs_on(
    manager: Client, setting: Setting
) -> None:
    assert manager.post(PERIOD_ADD, _period_data()).status_code == 302
    new = _period(date(2025, 4, 1))
    old = _period(date(2023, 1, 1))
    assert old.valid_to == date(2025, 3, 31)  # ended by the new period (which took its end, 31/01/2026)
    page = manager.get(f"{BASE}{KMOP}/").content.decode()
    remove = f"{BASE}{KMOP}/periodes/{new.pk}/verwijderen/"
    assert f'href="{remove}"' in page

    # the form offers to let the replaced period run on, ticked
    form = manager.get(remove).content.decode()
    assert 'name="restore_previous"' in form
    assert 'id="id_restore_previous" checked' in form
    assert 'class="hint" id="id_restore_previous_helptext"' in form
    assert "loopt verder" in form
    assert "Aangevinkt loopt ze weer tot en met 31/01/2026" in form

    before = _state()
    response = manager.post(remove, {"reason": " ", "restore_previous": "on"})
    assert "Geef de reden van de wijziging." in _error_at(response.content.decode(), "reason")
    assert _state() == before

    data = {"reason": "Verkeerd percentage ingegeven", "restore_previous": "on"}
    assert manager.post(remove, data).status_code == 302
    assert not RegimePeriod.objects.filter(pk=new.pk).exists()
    event = AuditEvent.objects.get(action="schemes.regimeperiod.delete")
    assert event.reason == "Verkeerd percentage ingegeven"
    assert event.before["valid_from"] == "2025-04-01"
    # the period it ended has its end back, audited with the same reason
    old.refresh_from_db()
    assert old.valid_to == date(2026, 1, 31)
    ended, restored = AuditEvent.objects.filter(
        action="schemes.regimeperiod.update", object_id=f"{KMOP}:2023-01-01"
    ).order_by("pk")
    assert (ended.before["valid_to"], ended.after["valid_to"]) == ("2026-01-31", "2025-03-31")
    assert (restored.before["valid_to"], restored.after["valid_to"]) == ("2025-03-31", "2026-01-31")
    assert restored.reason == "Verkeerd percentage ingegeven"
    scheme_services.clear_cache()
    rate = scheme_services.regime_on(date(2025, 4, 1)).rate("KO", "opleiding", "bedrijfsstrategie")
    assert rate == Decimal("0.30")


def test_a_removed_period_can_leave_the_replaced_ones_end(manager: Client, setting: Setting) -> None:
    """Unticked, the period before keeps the end the removed period gave it (staff give another one)."""
    assert manager.post(PERIOD_ADD, _period_data()).status_code == 302
    new = _period(date(2025, 4, 1))
    remove = f"{BASE}{KMOP}/periodes/{new.pk}/verwijderen/"
    assert manager.post(remove, {"reason": "Verkeerd percentage ingegeven"}).status_code == 302
    assert not RegimePeriod.objects.filter(pk=new.pk).exists()
    assert _period(date(2023, 1, 1)).valid_to == date(2025, 3, 31)
    ended = AuditEvent.objects.filter(action="schemes.regimeperiod.update", object_id=f"{KMOP}:2023-01-01")
    assert ended.count() == 1  # by the period's addition only
    assert AuditEvent.objects.filter(action="schemes.regimeperiod.delete").count() == 1


def test_a_period_after_a_gap_is_removed_without_the_question(manager: Client, setting: Setting) -> None:
    """Only a period that another one directly precedes asks whether that one runs on; other rows never."""
    future = _period(date(2026, 2, 1))
    remove = f"{BASE}{KMOP}/periodes/{future.pk}/verwijderen/"
    assert scheme_services.period_before(future) == _period(date(2023, 1, 1))
    assert 'name="restore_previous"' in manager.get(remove).content.decode()

    RegimePeriod.objects.filter(valid_from=date(2023, 1, 1)).update(valid_to=date(2025, 12, 31))
    assert scheme_services.period_before(future) is None
    assert 'name="restore_previous"' not in manager.get(remove).content.decode()
    # ticked or not, nothing else changes
    assert manager.post(remove, {"reason": "Dubbel", "restore_previous": "on"}).status_code == 302
    assert _period(date(2023, 1, 1)).valid_to == date(2025, 12, 31)
    assert scheme_services.period_before(ExcludedService.objects.first()) is None


def test_a_row_that_has_started_cannot_be_removed(manager: Client, setting: Setting) -> None:
    current = _period(date(2023, 1, 1))
    page = manager.get(f"{BASE}{KMOP}/").content.decode()
    url = f"{BASE}{KMOP}/periodes/{current.pk}/verwijderen/"
    assert f'href="{url}"' not in page
    before = _state()
    response = manager.post(url, {"reason": "Weg ermee"})
    assert response.status_code == 200
    assert "Deze periode is al van kracht (sinds 1 januari 2023) en kan niet verwijderd worden" in (
        response.content.decode()
    )
    assert _state() == before


def test_a_medewerker_cannot_remove(staff: Client, setting: Setting) -> None:
    future = _period(date(2026, 2, 1))
    before = _state()
    url = f"{BASE}{KMOP}/periodes/{future.pk}/verwijderen/"
    assert staff.post(url, {"reason": "x"}).status_code == 403
    assert _state() == before

"""The BTB screens (seed 001): overview, appoint (number → person from the national register → confirm), end
an appointment; who may do what; refusals change nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kmop.acm import session as keys
from kmop.acm.models import User
from kmop.audit.models import AuditEvent
from kmop.idm import permissions, services
from kmop.idm.models import AdministratorAppointment, Organisation
from kmop.registers.models import LegalFunction
from tests.idm.conftest import (
    ELS,
    JONAS,
    KLAUS,
    NOBODY,
    PIETER,
    SOFIE,
    SYSTEM,
    TODAY,
    A,
    B,
    World,
    make_enterprise,
)

Level = AdministratorAppointment.Level
EID = "urn:be:vlaanderen:authmech:eid"


def login(client: Client, number: str, acr: str = EID) -> Client:
    user, _ = User.objects.get_or_create(username=number, defaults={"national_number": number})
    client.force_login(user)
    session = client.session
    session[keys.ACR] = acr
    session[keys.LOGIN_AT] = timezone.now().timestamp()
    session.save()
    return client


def appoint(client: Client, code: str, slug: str, number: str, **extra: str):
    data = {"number": number, **extra}
    url = f"/btb/{code}/aanstellen/{slug}/"
    confirm = client.post(url, data)
    assert confirm.status_code == 200, confirm.content.decode()[:2000]
    assert "Controleer en bevestig de aanstelling" in confirm.content.decode()
    return client.post(url, {**data, "bevestig": "1"})


def appointments(**filters: object) -> list[AdministratorAppointment]:
    return list(AdministratorAppointment.objects.filter(ended_at__isnull=True, **filters))


@pytest.fixture
def sofie(world: World, client: Client) -> Client:
    return login(client, SOFIE)


def test_anonymous_goes_to_the_login(world: World, client: Client) -> None:
    response = client.get("/btb/")
    assert response.status_code == 302
    assert "/aanmelden/" in response["Location"]


def test_a_low_level_login_is_refused(world: World, client: Client) -> None:
    login(client, SOFIE, acr="")
    assert client.get("/btb/").status_code == 403


def test_overview_of_a_legal_representative(sofie: Client, world: World) -> None:
    page = sofie.get("/btb/").content.decode()
    assert "Beheer der Toegangsbeheerders" in page
    assert world.a.name in page
    assert "0912.345.673" in page
    assert "Wettelijk vertegenwoordiger" in page
    assert f"/btb/{A}/aanstellen/hoofdtoegangsbeheerder/" in page
    assert "nog geen hoofdtoegangsbeheerder" in page
    assert world.b.name not in page  # Els's enterprise


def test_overview_of_someone_without_a_role(world: World, client: Client) -> None:
    page = login(client, JONAS).get("/btb/").content.decode()
    assert "U kunt geen onderneming beheren" in page
    assert "/aanstellen/" not in page


def test_the_chain_legal_representative_main_access_manager_access_manager(world: World) -> None:
    """Seed 001: the legal representative appoints the main access manager (a BIS number), who appoints an
    access manager for economie, who may then administer the enterprise in the Gebruikersbeheer."""
    sofie = login(Client(), SOFIE)
    form = sofie.get(f"/btb/{A}/aanstellen/hoofdtoegangsbeheerder/").content.decode()
    assert "Rijksregisternummer of BIS-nummer" in form
    confirm = sofie.post(f"/btb/{A}/aanstellen/hoofdtoegangsbeheerder/", {"number": "70.43.12-997.26"})
    page = confirm.content.decode()
    assert "Klaus Becker" in page
    assert "BIS-nummer" in page
    assert "70.43.12-997.26" in page
    assert appointments() == []  # nothing before the confirmation
    done = sofie.post(
        f"/btb/{A}/aanstellen/hoofdtoegangsbeheerder/",
        {"number": "70.43.12-997.26", "email": "klaus@example.org", "bevestig": "1"},
    )
    assert done.status_code == 302
    assert done["Location"] == f"/btb/#onderneming-{A}"
    [main] = appointments(level=Level.MAIN)
    assert (main.person.national_number, main.organisation.code, main.source) == (KLAUS, A, "btb")
    assert main.person.email == "klaus@example.org"
    event = AuditEvent.objects.get(action="idm.appointment.main", object_id=str(main.pk))
    assert event.actor.national_number == SOFIE
    assert event.organisation_code == A
    assert event.acr == EID
    overview = sofie.get("/btb/").content.decode()
    assert "Klaus Becker is aangesteld als hoofdtoegangsbeheerder" in overview
    assert "Hoofdtoegangsbeheerder" in overview

    klaus = login(Client(), KLAUS)
    page = klaus.get("/btb/").content.decode()
    assert world.a.name in page
    assert f"/btb/{A}/aanstellen/toegangsbeheerder/" in page
    assert f"/btb/{A}/aanstellen/hoofdtoegangsbeheerder/" not in page  # only a legal representative
    assert permissions.can_administer_organisation(JONAS, world.a) is False
    response = appoint(klaus, A, "toegangsbeheerder", JONAS, domain="economie")
    assert response.status_code == 302
    [manager] = appointments(level=Level.ACCESS_MANAGER)
    assert (manager.person.national_number, manager.domain) == (JONAS, "economie")
    assert permissions.can_administer_organisation(JONAS, world.a) is True

    jonas = login(Client(), JONAS)
    page = jonas.get("/btb/").content.decode()
    assert "Toegangsbeheerder (Economie" in page
    assert "Toegangen beheren in het Gebruikersbeheer" in page
    assert "/aanstellen/" not in page  # an access manager appoints nobody


def test_only_a_legal_representative_appoints_the_main_access_manager(world: World, client: Client) -> None:
    services.main_access_manager_appoint(actor=SYSTEM, organisation=world.a, person=world.person(KLAUS))
    for number in (KLAUS, JONAS, ELS):  # the main access manager, nobody, another enterprise's representative
        login(client, number)
        url = f"/btb/{A}/aanstellen/hoofdtoegangsbeheerder/"
        assert client.get(url).status_code == 403
        assert client.post(url, {"number": PIETER, "bevestig": "1"}).status_code == 403
    assert [a.person.national_number for a in appointments(level=Level.MAIN)] == [KLAUS]


def test_only_legal_representatives_and_main_access_managers_appoint_access_managers(
    world: World, client: Client
) -> None:
    for number in (JONAS, ELS):
        login(client, number)
        url = f"/btb/{A}/aanstellen/toegangsbeheerder/"
        assert client.get(url).status_code == 403
        response = client.post(url, {"number": PIETER, "domain": "economie", "bevestig": "1"})
        assert response.status_code == 403
    assert appointments() == []
    login(client, SOFIE)  # a legal representative may act as the main access manager
    assert appoint(client, A, "toegangsbeheerder", PIETER, domain="*").status_code == 302
    assert [a.domain for a in appointments(level=Level.ACCESS_MANAGER)] == ["*"]


def test_a_co_main_access_manager_appoints_and_ends_access_managers(world: World, client: Client) -> None:
    services.main_access_manager_appoint(actor=SYSTEM, organisation=world.a, person=world.person(KLAUS))
    login(client, KLAUS)
    assert appoint(client, A, "co-hoofdtoegangsbeheerder", PIETER).status_code == 302
    [co] = appointments(level=Level.CO_MAIN)
    assert co.person.national_number == PIETER

    login(client, PIETER)
    assert appoint(client, A, "toegangsbeheerder", JONAS, domain="economie").status_code == 302
    [manager] = appointments(level=Level.ACCESS_MANAGER)
    event = AuditEvent.objects.get(action="idm.appointment.access_manager", object_id=str(manager.pk))
    assert event.actor.national_number == PIETER
    assert event.organisation_code == A
    # but not the main access manager
    assert client.get(f"/btb/{A}/aanstellen/hoofdtoegangsbeheerder/").status_code == 403
    main = appointments(level=Level.MAIN)[0]
    assert client.get(f"/btb/{A}/aanstellingen/{main.pk}/beeindigen/").status_code == 403

    response = client.post(f"/btb/{A}/aanstellingen/{manager.pk}/beeindigen/", {"reason": "vertrokken"})
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.ended_at is not None
    assert permissions.can_administer_organisation(JONAS, world.a) is False
    end_event = AuditEvent.objects.get(action="idm.appointment.end", object_id=str(manager.pk))
    assert end_event.actor.national_number == PIETER
    assert end_event.reason == "vertrokken"


def test_a_new_main_access_manager_replaces_the_current_one(sofie: Client, world: World) -> None:
    assert appoint(sofie, A, "hoofdtoegangsbeheerder", KLAUS).status_code == 302
    page = sofie.post(f"/btb/{A}/aanstellen/hoofdtoegangsbeheerder/", {"number": PIETER}).content.decode()
    assert "De aanstelling van Klaus Becker als hoofdtoegangsbeheerder wordt beëindigd." in page
    sofie.post(f"/btb/{A}/aanstellen/hoofdtoegangsbeheerder/", {"number": PIETER, "bevestig": "1"})
    assert [a.person.national_number for a in appointments(level=Level.MAIN)] == [PIETER]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"number": "12345678901"}, "is geen geldig rijksregisternummer of BIS-nummer"),
        ({"number": NOBODY}, "Er is geen persoon met nummer"),
        ({"number": ""}, "Vul een rijksregisternummer of BIS-nummer in."),
    ],
)
def test_bad_numbers_are_refused_at_the_field(sofie: Client, world: World, data, message) -> None:
    for confirm in ("", "1"):
        response = sofie.post(f"/btb/{A}/aanstellen/hoofdtoegangsbeheerder/", {**data, "bevestig": confirm})
        page = response.content.decode()
        assert response.status_code == 200
        assert "Er is een probleem" in page
        assert message in page
        assert 'href="#id_number"' in page
    assert appointments() == []


def test_an_access_manager_needs_a_domain_and_a_future_end_date(sofie: Client, world: World) -> None:
    url = f"/btb/{A}/aanstellen/toegangsbeheerder/"
    page = sofie.post(url, {"number": PIETER, "bevestig": "1"}).content.decode()
    assert "Kies een domein." in page
    yesterday = (TODAY - timedelta(days=1)).strftime("%d/%m/%Y")
    page = sofie.post(url, {"number": PIETER, "domain": "economie", "end_date": yesterday}).content.decode()
    assert "De einddatum ligt in het verleden." in page
    page = sofie.post(url, {"number": PIETER, "domain": "nergens", "bevestig": "1"}).content.decode()
    assert "Kies een domein." in page
    assert appointments() == []
    response = appoint(sofie, A, "toegangsbeheerder", PIETER, domain="economie", end_date="31/12/2025")
    assert response.status_code == 302
    assert appointments()[0].end_date == date(2025, 12, 31)


def test_the_same_appointment_twice_is_a_clear_error(sofie: Client, world: World) -> None:
    appoint(sofie, A, "toegangsbeheerder", PIETER, domain="economie")
    page = sofie.post(
        f"/btb/{A}/aanstellen/toegangsbeheerder/", {"number": PIETER, "domain": "economie", "bevestig": "1"}
    ).content.decode()
    assert "is al Toegangsbeheerder" in page
    assert len(appointments()) == 1


def test_change_goes_back_to_the_form_with_the_answers(sofie: Client, world: World) -> None:
    page = sofie.post(
        f"/btb/{A}/aanstellen/toegangsbeheerder/",
        {"number": PIETER, "domain": "economie", "email": "p@example.org", "wijzigen": "1"},
    ).content.decode()
    assert "Er is een probleem" not in page
    assert f'value="{PIETER}"' in page
    assert 'value="p@example.org"' in page
    assert appointments() == []


def test_ending_an_appointment_asks_for_confirmation(sofie: Client, world: World) -> None:
    appoint(sofie, A, "hoofdtoegangsbeheerder", KLAUS)
    [main] = appointments()
    page = sofie.get("/btb/").content.decode()
    url = f"/btb/{A}/aanstellingen/{main.pk}/beeindigen/"
    assert url in page
    confirm = sofie.get(url).content.decode()
    assert "Aanstelling beëindigen" in confirm
    assert "Klaus Becker" in confirm
    assert appointments() != []
    response = sofie.post(url, {})
    assert response.status_code == 302
    assert appointments() == []
    assert (
        "De aanstelling van Klaus Becker als hoofdtoegangsbeheerder is beëindigd."
        in sofie.get("/btb/").content.decode()
    )
    assert sofie.get(url).status_code == 404  # ended: no longer a current appointment


def test_others_cannot_end_and_another_enterprise_is_404(world: World, client: Client) -> None:
    main = services.main_access_manager_appoint(
        actor=SYSTEM, organisation=world.a, person=world.person(KLAUS)
    )
    other = services.main_access_manager_appoint(
        actor=SYSTEM, organisation=world.b, person=world.person(PIETER)
    )
    login(client, JONAS)
    url = f"/btb/{A}/aanstellingen/{main.pk}/beeindigen/"
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    login(client, SOFIE)
    assert client.get(f"/btb/{A}/aanstellingen/{other.pk}/beeindigen/").status_code == 404  # B's, via A
    assert client.post(f"/btb/{A}/aanstellingen/{other.pk}/beeindigen/").status_code == 404
    assert client.post(f"/btb/{B}/aanstellingen/{other.pk}/beeindigen/").status_code == 403
    assert len(appointments()) == 2


@pytest.mark.parametrize(
    "url",
    [
        "/btb/0999999999/aanstellen/hoofdtoegangsbeheerder/",  # not in the KBO
        "/btb/12345/aanstellen/hoofdtoegangsbeheerder/",
        f"/btb/{A}/aanstellen/koning/",
        f"/btb/{A}/aanstellingen/999999/beeindigen/",
    ],
)
def test_unknown_things_are_404(sofie: Client, url: str) -> None:
    assert sofie.get(url).status_code == 404
    assert sofie.post(url, {"number": KLAUS, "bevestig": "1"}).status_code == 404


def test_first_appointment_makes_the_organisation_from_the_kbo(world: World, client: Client) -> None:
    """A foreign provider with a Belgian enterprise number (seed 001): not yet in the IDM; its legal
    representative (a BIS number) appoints the main access manager."""
    foreign = "0945678932"
    make_enterprise(foreign)
    LegalFunction.objects.create(
        enterprise_id=foreign, person_number=KLAUS, function_id="10002", start_date=date(2021, 6, 1)
    )
    assert not Organisation.objects.filter(code=foreign).exists()
    login(client, KLAUS)
    page = client.get("/btb/").content.decode()
    assert "0945.678.932" in page
    assert appoint(client, foreign, "hoofdtoegangsbeheerder", KLAUS).status_code == 302
    organisation = Organisation.objects.get(code=foreign)
    assert [a.person.national_number for a in appointments(organisation=organisation)] == [KLAUS]

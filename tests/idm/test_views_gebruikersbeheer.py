"""The Gebruikersbeheer screens (seeds 000/003): the wizard persoon → werkrelatie → gebruikersrecht, the
person page and its tabs, the actions on a work relation and a grant, Mijn profiel, and who may come in."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from kmop.acm.models import TotpDevice, User
from kmop.audit.models import AuditEvent
from kmop.idm import permissions, services
from kmop.idm.models import AdministratorAppointment, Person, RightGrant, WorkRelation

from .conftest import AN, BART, ELS, JONAS, KLAUS, PIETER, SOFIE, SYSTEM, A, World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo(settings) -> None:
    settings.DEMO_MODE = True


def login(client: Client, number: str) -> None:
    """Log in through the demo eID simulator (as a person does); the organisation choice is not needed."""
    response = client.post("/aanmelden/simulator/eid/", {"national_number": number})
    assert response.status_code == 302, response.content.decode()[:500]


def make_local_admin(world: World, number: str = PIETER, organisation=None) -> AdministratorAppointment:
    person = world.person(number)
    return services.local_admin_appoint(actor=SYSTEM, organisation=organisation or world.a, person=person)


@pytest.fixture
def pieter(client: Client, world: World) -> Client:
    """Pieter, local administrator of A (no right of his own), logged in."""
    make_local_admin(world)
    login(client, PIETER)
    return client


def html(response) -> str:
    return response.content.decode()


def wizard_post(client: Client, url: str, data: dict) -> object:
    return client.post(url, data)


# --- the demo: persoon → werkrelatie → gebruikersrecht ------------------------------------------------


def test_add_person_work_relation_and_right(pieter: Client, world: World) -> None:
    home = pieter.get("/gebruikersbeheer/")
    assert home.status_code == 200
    assert "Nieuwe persoon toevoegen" in html(home)
    assert "Toekenning opzoeken" in html(home)

    # 3.1 persoon: Stap 1 van 3
    page = pieter.get("/gebruikersbeheer/personen/toevoegen/")
    assert "Stap 1 van 3: Geef Identificatienummer op" in html(page)
    assert "Rijksregisternummer / BIS-registernummer" in html(page)
    page = pieter.post("/gebruikersbeheer/personen/toevoegen/", {"step": "0", "number": "92.11.02-997.79"})
    assert "Stap 2 van 3: Geef details" in html(page)
    assert "Jonas" in html(page)
    assert "De Smet" in html(page)
    assert 'type="hidden" name="number" value="92.11.02-997.79"' in html(page)  # the earlier answer, hidden
    data = {
        "number": "92110299779",
        "call_name": "Joske",
        "initials": "J.",
        "email": "",
        "phone": "",
        "reason": "",
    }
    page = pieter.post("/gebruikersbeheer/personen/toevoegen/", {"step": "1", **data})
    assert "Stap 3 van 3: Bevestig" in html(page)
    assert not Person.objects.filter(national_number=JONAS).exists()  # the dry run left nothing behind
    assert not AuditEvent.objects.filter(action="idm.person.add", actor__national_number=PIETER).exists()
    response = pieter.post("/gebruikersbeheer/personen/toevoegen/", {"step": "2", **data, "bevestig": "1"})
    jonas = Person.objects.get(national_number=JONAS)
    assert jonas.call_name == "Joske"
    assert response.status_code == 302
    assert response["Location"] == f"/gebruikersbeheer/personen/{jonas.pk}/"
    page = pieter.get(response["Location"])
    assert "De persoon is toegevoegd. Bepaal nu de werkrelatie." in html(page)
    assert "In afwachting" in html(page)
    assert "Koppel gebruiker aan organisatie" in html(page)

    # 3.2 werkrelatie
    url = f"/gebruikersbeheer/personen/{jonas.pk}/werkrelatie-toevoegen/"
    page = pieter.get(url)
    assert "Stap 1 van 3: Selecteer organisatie" in html(page)
    assert f'value="{A}"' in html(page)
    assert world.b.code not in html(page)  # only the organisations I administer
    page = pieter.post(url, {"step": "0", "organisation": A})
    assert "Stap 2 van 3: Werkrelatie details" in html(page)
    assert 'value="10/03/2025"' in html(page)  # begin: today
    assert 'value="10/03/2035"' in html(page)  # end: prefilled with the 10-year maximum
    assert "Maximumperiode = 10 jaar" in html(page)
    details = {
        "organisation": A,
        "category": "vast",
        "begin_date": "10/03/2025",
        "end_date": "10/03/2035",
        "phone": "09 222 33 44",
        "email": "jonas@example.org",
        "reason": "nieuwe medewerker",
    }
    page = pieter.post(url, {"step": "1", **details})
    assert "Stap 3 van 3: Bevestig" in html(page)
    assert "+3292223344" in html(page)  # the preview shows what the service will store
    assert not WorkRelation.objects.exists()
    response = pieter.post(url, {"step": "2", **details})
    relation = WorkRelation.objects.get(person=jonas)
    assert (relation.begin_date, relation.end_date) == (date(2025, 3, 10), date(2035, 3, 10))
    page = pieter.get(response["Location"])
    assert "Ken nu het gebruikersrecht toe" in html(page)
    assert "Geen gebruikersrechten toegekend" in html(page)
    assert "Verwijder werkrelatie" in html(page)
    assert "Verleng werkrelatie en gebruikersrechten" in html(page)
    assert "Pauzeer werkrelatie" in html(page)

    # 3.3 gebruikersrecht
    url = f"/gebruikersbeheer/werkrelaties/{relation.pk}/recht-toekennen/"
    page = pieter.get(url)
    assert "Stap 1 van 3: Selecteer gebruikersrecht" in html(page)
    assert "VLAIO Inkom Gebruiker Nieuw" in html(page)
    assert "Toepassingsbeheerder" not in html(page)
    assert "departementen" not in html(page)  # not activated for A
    page = pieter.post(url, {"step": "0", "right": "VLAIOInkomGebruikerNieuw"})
    assert "Omschrijving van het recht" in html(page)
    assert 'value="10/03/2029"' in html(page)  # the right's 4-year maximum
    assert "Maximumperiode = 4 jaar" in html(page)
    grant = {
        "right": "VLAIOInkomGebruikerNieuw",
        "begin_date": "10/03/2025",
        "end_date": "10/03/2029",
        "context_values": ["Gebruiker"],
        "reason": "",
    }
    page = pieter.post(url, {"step": "1", **grant})
    assert "Stap 3 van 3: Bevestig" in html(page)
    assert not RightGrant.objects.exists()
    response = pieter.post(url, {"step": "2", **grant})
    assert response.status_code == 302
    created = RightGrant.objects.get()
    assert (created.right.code, created.context_value, created.end_date) == (
        "VLAIOInkomGebruikerNieuw",
        "Gebruiker",
        date(2029, 3, 10),
    )
    assert created.granted_by.national_number == PIETER
    page = pieter.get(response["Location"])
    assert "De persoon heeft nu toegang tot de kmo-portefeuille" in html(page)
    assert "Verwijder werkrelatie" not in html(page)  # once a right is granted
    assert permissions.can_act_for(JONAS, world.a)
    event = AuditEvent.objects.get(action="idm.right_grant.create")
    assert event.actor.national_number == PIETER
    assert event.organisation_code == A


def test_wizard_back_button_keeps_answers(pieter: Client, world: World) -> None:
    data = {"number": JONAS, "call_name": "Joske", "initials": "", "email": "", "phone": "", "reason": ""}
    page = pieter.post("/gebruikersbeheer/personen/toevoegen/", {"step": "2", **data, "terug": "1"})
    assert "Stap 2 van 3" in html(page)
    assert 'value="Joske"' in html(page)
    page = pieter.post("/gebruikersbeheer/personen/toevoegen/", {"step": "1", **data, "terug": "1"})
    assert "Stap 1 van 3" in html(page)
    assert f'value="{JONAS}"' in html(page)


def test_departments_right_only_where_activated(pieter: Client, world: World) -> None:
    bart_actor = _app_manager(world)
    services.organisation_departments_right_set(actor=bart_actor, organisation=world.a, activated=True)
    services.department_create(actor=SYSTEM, organisation=world.a, code="GENT", name="Afdeling Gent")
    services.department_create(actor=SYSTEM, organisation=world.a, code="BRUGGE", name="Afdeling Brugge")
    relation = world.relation(JONAS, world.a)
    url = f"/gebruikersbeheer/werkrelaties/{relation.pk}/recht-toekennen/"
    assert "Dienstverlener kmo-portefeuille, departementen" in html(pieter.get(url))
    page = pieter.post(url, {"step": "0", "right": "DienstverlenerKmoPortefeuilleDepartementen"})
    assert "Afdeling Gent" in html(page)
    assert "Afdeling Brugge" in html(page)
    assert "Maximumperiode = 5 jaar" in html(page)
    data = {
        "right": "DienstverlenerKmoPortefeuilleDepartementen",
        "begin_date": "10/03/2025",
        "end_date": "10/03/2030",
        "context_values": ["GENT", "BRUGGE"],
    }
    # none chosen: a message at the field
    page = pieter.post(url, {"step": "1", **{**data, "context_values": []}})
    assert "Selecteer minstens één departement." in html(page)
    assert not RightGrant.objects.filter(work_relation=relation).exists()
    pieter.post(url, {"step": "1", **data})
    pieter.post(url, {"step": "2", **data})
    granted = RightGrant.objects.filter(work_relation=relation).values_list("context_value", flat=True)
    assert sorted(granted) == ["BRUGGE", "GENT"]


def _app_manager(world: World):
    from .conftest import actor

    relation = world.relation(BART, world.vlaio)
    services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code="VLAIOInkomToepassingsbeheerder"
    )
    return actor(BART)


# --- the person page ----------------------------------------------------------------------------------


def test_person_tabs(pieter: Client, world: World) -> None:
    relation = world.relation(JONAS, world.a)
    services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    user = User.objects.create(username=JONAS, national_number=JONAS)
    TotpDevice.objects.create(user=user, secret="JBSWY3DPEHPK3PXP", confirmed_at="2025-03-01T10:00:00+01:00")
    pk = relation.person.pk
    page = html(pieter.get(f"/gebruikersbeheer/personen/{pk}/"))
    for tab in ("Werkrelatie", "Werkrelatie details", "Accounts", "Historiek"):
        assert f">{tab}</a>" in page
    assert "Geldig van 10/03/2025 tot 10/03/2035" in page
    assert "10/03/2029" in page
    details = html(pieter.get(f"/gebruikersbeheer/personen/{pk}/details/"))
    assert "+3292223344" in details
    assert "x@example.org" in details
    accounts = html(pieter.get(f"/gebruikersbeheer/personen/{pk}/accounts/"))
    assert "Beveiligingscode via mobiele app" in accounts
    assert "Geactiveerd op 01/03/2025" in accounts
    history = html(pieter.get(f"/gebruikersbeheer/personen/{pk}/historiek/"))
    assert "Werkrelatie toegevoegd" in history
    assert "Gebruikersrecht toegekend" in history


def test_a_person_of_another_organisation_added_by_number_shows_no_accounts_or_contact_data(
    pieter: Client, world: World
) -> None:
    """Pieter (A) adds Els (B) by her number: her page opens for the next step, but her accounts and the
    e-mail and phone that B's mails to her use stay hidden until she has a work relation in A."""
    els = world.relation(ELS, world.b, phone="+3291112233", email="els@b.example").person
    Person.objects.filter(pk=els.pk).update(email="els@b.example", phone="+3291112233")
    User.objects.create(username=ELS, national_number=ELS)
    data = {"number": ELS, "call_name": "", "initials": "", "email": "", "phone": "", "reason": ""}
    for step in ("0", "1", "2"):
        pieter.post("/gebruikersbeheer/personen/toevoegen/", {"step": step, **data})
    accounts = html(pieter.get(f"/gebruikersbeheer/personen/{els.pk}/accounts/"))
    assert "Deze persoon heeft nog geen werkrelatie met een organisatie die u beheert." in accounts
    assert "Laatst aangemeld" not in accounts
    url = f"/gebruikersbeheer/personen/{els.pk}/werkrelatie-toevoegen/"
    page = html(pieter.post(url, {"step": "0", "organisation": world.a.code}))
    assert "els@b.example" not in page
    assert "+3291112233" not in page
    world.relation(ELS, world.a)
    assert "Laatst aangemeld" in html(pieter.get(f"/gebruikersbeheer/personen/{els.pk}/accounts/"))


def test_history_hides_other_organisations(pieter: Client, world: World) -> None:
    ours = world.relation(JONAS, world.a)
    world.relation(JONAS, world.b, phone="+3250000000")
    page = html(pieter.get(f"/gebruikersbeheer/personen/{ours.person.pk}/historiek/"))
    assert page.count("Werkrelatie toegevoegd") == 1
    details = html(pieter.get(f"/gebruikersbeheer/personen/{ours.person.pk}/details/"))
    assert "+3250000000" not in details
    assert world.b.name not in details


# --- actions on a work relation and a grant -----------------------------------------------------------


@pytest.fixture
def jonas_in_a(world: World) -> WorkRelation:
    relation = world.relation(JONAS, world.a, begin_date=date(2024, 1, 1), end_date=date(2025, 6, 30))
    services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
        begin_date=date(2024, 1, 1),
        end_date=date(2025, 3, 15),
    )
    return relation


def test_extend_work_relation_to_the_maximum(pieter: Client, jonas_in_a: WorkRelation) -> None:
    url = f"/gebruikersbeheer/werkrelaties/{jonas_in_a.pk}/verlengen/"
    page = html(pieter.get(url))
    assert "De maximumtermijn van 10 jaar wordt toegekend." in page
    assert "Je kan zelf de einddatum kiezen" in page
    page = html(pieter.post(url, {"step": "0", "mode": "maximum"}))
    assert "Stap 2 van 2: Bevestig" in page
    assert "10/03/2035" in page  # the relation's new end
    assert "10/03/2029" in page  # and its right's, to its own maximum from today
    jonas_in_a.refresh_from_db()
    assert jonas_in_a.end_date == date(2025, 6, 30)  # not yet
    response = pieter.post(url, {"step": "1", "mode": "maximum"})
    assert response.status_code == 302
    jonas_in_a.refresh_from_db()
    assert jonas_in_a.end_date == date(2035, 3, 10)
    assert jonas_in_a.grants.get().end_date == date(2029, 3, 10)


def test_extend_work_relation_own_date(pieter: Client, jonas_in_a: WorkRelation) -> None:
    url = f"/gebruikersbeheer/werkrelaties/{jonas_in_a.pk}/verlengen/"
    data = {"mode": "eigen", "end_date": "31/12/2027", "reason": "project"}
    pieter.post(url, {"step": "0", **data})
    pieter.post(url, {"step": "1", **data})
    jonas_in_a.refresh_from_db()
    assert jonas_in_a.end_date == date(2027, 12, 31)
    assert AuditEvent.objects.filter(action="idm.work_relation.extend", reason="project").exists()


def test_extend_and_end_a_grant(pieter: Client, jonas_in_a: WorkRelation) -> None:
    grant = jonas_in_a.grants.get()
    url = f"/gebruikersbeheer/toekenningen/{grant.pk}/verlengen/"
    pieter.post(url, {"step": "0", "mode": "maximum"})
    pieter.post(url, {"step": "1", "mode": "maximum"})
    grant.refresh_from_db()
    assert grant.end_date == date(2025, 6, 30)  # the maximum stops at the relation's end
    url = f"/gebruikersbeheer/toekenningen/{grant.pk}/beeindigen/"
    page = html(pieter.get(url))
    assert "Beëindig gebruikersrecht" in page
    grant.refresh_from_db()
    assert grant.ended_at is None  # GET changes nothing
    response = pieter.post(url, {"reason": "vertrokken"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.ended_at is not None


def test_pause_resume_end(pieter: Client, jonas_in_a: WorkRelation, world: World) -> None:
    base = f"/gebruikersbeheer/werkrelaties/{jonas_in_a.pk}"
    assert permissions.can_act_for(JONAS, world.a)
    pieter.post(f"{base}/pauzeren/", {"reason": "ziekte"})
    assert not permissions.can_act_for(JONAS, world.a)
    page = html(pieter.get(f"/gebruikersbeheer/personen/{jonas_in_a.person.pk}/"))
    assert "Hervat werkrelatie" in page
    assert "Gepauzeerd" in page
    pieter.post(f"{base}/hervatten/", {"reason": ""})
    assert permissions.can_act_for(JONAS, world.a)
    pieter.post(f"{base}/beeindigen/", {"reason": "vertrokken"})
    jonas_in_a.refresh_from_db()
    assert jonas_in_a.ended_at is not None
    assert not permissions.can_act_for(JONAS, world.a)


def test_delete_only_without_grants(pieter: Client, world: World, jonas_in_a: WorkRelation) -> None:
    response = pieter.post(f"/gebruikersbeheer/werkrelaties/{jonas_in_a.pk}/verwijderen/", {"reason": ""})
    assert response.status_code == 200
    assert "kan niet verwijderd worden" in html(response)
    assert WorkRelation.objects.filter(pk=jonas_in_a.pk).exists()
    empty = world.relation(KLAUS, world.a)
    response = pieter.post(
        f"/gebruikersbeheer/werkrelaties/{empty.pk}/verwijderen/", {"reason": "vergissing"}
    )
    assert response.status_code == 302
    assert not WorkRelation.objects.filter(pk=empty.pk).exists()


def test_edit_work_relation(pieter: Client, jonas_in_a: WorkRelation) -> None:
    url = f"/gebruikersbeheer/werkrelaties/{jonas_in_a.pk}/bewerken/"
    page = pieter.post(url, {"category": "extern", "phone": "geen nummer", "email": "j@example.org"})
    assert "geen geldig telefoonnummer" in html(page)
    jonas_in_a.refresh_from_db()
    assert jonas_in_a.category == "vast"
    pieter.post(url, {"category": "extern", "phone": "+3290000000", "email": "j@example.org"})
    jonas_in_a.refresh_from_db()
    assert (jonas_in_a.category, jonas_in_a.phone) == ("extern", "+3290000000")


# --- Mijn profiel, access -----------------------------------------------------------------------------


def test_my_profile(client: Client, world: World, jonas_in_a: WorkRelation) -> None:
    make_local_admin(world)
    login(client, JONAS)
    page = html(client.get("/gebruikersbeheer/mijn-profiel/"))
    assert "Mijn gebruikersrechten" in page
    assert "VLAIO Inkom Gebruiker Nieuw" in page
    assert "15/03/2025" in page
    assert "Mijn lokale beheerders" in page
    assert "Pieter Claes" in page
    assert "Lokale beheerder" in page
    assert "Sofie Verhaeghe" in page  # A's legal representative


def test_legal_representative_administers_his_enterprise(client: Client, world: World) -> None:
    login(client, SOFIE)
    page = client.get("/gebruikersbeheer/")
    assert page.status_code == 200
    assert world.a.name in html(page)


def test_not_an_administrator(client: Client, world: World, jonas_in_a: WorkRelation) -> None:
    login(client, JONAS)
    response = client.get("/gebruikersbeheer/")
    assert response.status_code == 403
    assert "U bent geen lokale beheerder" in html(response)
    assert client.get("/gebruikersbeheer/toekenningen/").status_code == 403
    response = client.post(f"/gebruikersbeheer/werkrelaties/{jonas_in_a.pk}/beeindigen/", {"reason": ""})
    assert response.status_code == 403
    jonas_in_a.refresh_from_db()
    assert jonas_in_a.ended_at is None


def test_anonymous_goes_to_login(client: Client, world: World) -> None:
    response = client.get("/gebruikersbeheer/")
    assert response.status_code == 302
    assert response["Location"].startswith("/aanmelden/")
    assert client.get("/gebruikersbeheer/mijn-profiel/").status_code == 302


def test_application_manager_administers_every_organisation(client: Client, world: World) -> None:
    _app_manager(world)
    relation = world.relation(ELS, world.b)
    login(client, BART)
    page = client.get(f"/gebruikersbeheer/personen/{relation.person.pk}/")
    assert page.status_code == 200
    client.post(f"/gebruikersbeheer/werkrelaties/{relation.pk}/pauzeren/", {"reason": "controle"})
    assert AuditEvent.objects.filter(action="idm.staff_access").exists()
    assert AuditEvent.objects.filter(action="idm.work_relation.pause").exists()


def test_staff_without_the_right_is_no_administrator(client: Client, world: World) -> None:
    relation = world.relation(AN, world.vlaio)
    services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code="VLAIOInkomGebruiker", context_values=["Medewerker"]
    )
    login(client, AN)
    assert client.get("/gebruikersbeheer/").status_code == 403


def test_application_manager_needs_a_high_login_for_other_organisations(client: Client, world: World) -> None:
    """With a security code (substantial) the Toepassingsbeheerder is no administrator of other
    organisations: staff actions on their data need eID or itsme (high)."""
    from kmop.acm import session as keys

    _app_manager(world)
    relation = world.relation(ELS, world.b)
    login(client, BART)
    session = client.session
    session[keys.ACR] = "urn:be:vlaanderen:authmech:csamtotp"
    session.save()
    assert client.get("/gebruikersbeheer/").status_code == 403
    response = client.post(f"/gebruikersbeheer/werkrelaties/{relation.pk}/pauzeren/", {"reason": "controle"})
    assert response.status_code == 403
    assert not relation.pauses.exists()

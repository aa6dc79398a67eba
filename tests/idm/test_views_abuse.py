"""Abuse of the Gebruikersbeheer screens, at the level of the UI: every refusal shows a clear message (or a
404/403) and changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from kmop.audit.models import AuditEvent
from kmop.idm import services
from kmop.idm.models import Person, RightGrant, WorkRelation

from .conftest import ELS, JONAS, NOBODY, PIETER, SYSTEM, B, World
from .test_views_gebruikersbeheer import login, make_local_admin

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo(settings) -> None:
    settings.DEMO_MODE = True


@pytest.fixture
def pieter(client: Client, world: World) -> Client:
    """Pieter, local administrator of A only."""
    make_local_admin(world)
    login(client, PIETER)
    return client


def _changes() -> int:
    return AuditEvent.objects.filter(action__startswith="idm.").count()


ADD = "/gebruikersbeheer/personen/toevoegen/"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("12345678901", "is geen geldig rijksregisternummer of BIS-nummer"),
        ("abc", "is geen geldig rijksregisternummer of BIS-nummer"),
        (NOBODY, "Er is geen persoon met nummer"),
        ("", "Vul een rijksregisternummer of BIS-nummer in"),
    ],
)
def test_invalid_or_unknown_number(pieter: Client, world: World, number: str, message: str) -> None:
    before, persons = _changes(), Person.objects.count()
    page = pieter.post(ADD, {"step": "0", "number": number})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Er is een probleem" in html
    assert message in html
    assert 'href="#id_number"' in html  # the summary links the field
    assert "Stap 1 van 3" in html
    # straight to the confirmation with a bad number: the same refusal, nothing made
    page = pieter.post(ADD, {"step": "2", "number": number})
    assert message in page.content.decode()
    assert (_changes(), Person.objects.count()) == (before, persons)


def add_person(client: Client, number: str) -> Person:
    """The person added through the wizard by the administrator logged in (so its page is open to him)."""
    response = client.post(ADD, {"step": "2", "number": number})
    assert response.status_code == 302
    return Person.objects.get(national_number=number)


def _relation_wizard(client: Client, person: Person, **details: str):
    data = {
        "organisation": world_a_code(),
        "category": "vast",
        "begin_date": "10/03/2025",
        "end_date": "10/03/2035",
        "phone": "+3292223344",
        "email": "j@example.org",
        **details,
    }
    return client.post(
        f"/gebruikersbeheer/personen/{person.pk}/werkrelatie-toevoegen/", {"step": "1", **data}
    )


def world_a_code() -> str:
    from .conftest import A

    return A


def test_work_relation_end_beyond_the_maximum(pieter: Client, world: World) -> None:
    jonas = add_person(pieter, JONAS)
    before = _changes()
    html = _relation_wizard(pieter, jonas, end_date="11/03/2035").content.decode()
    assert "De einddatum mag ten laatste 10/03/2035 zijn (maximumperiode = 10 jaar)." in html
    assert 'href="#id_end_date"' in html
    assert "Stap 2 van 3" in html
    # the confirmation step posted directly with the same answers: refused the same way
    response = pieter.post(
        f"/gebruikersbeheer/personen/{jonas.pk}/werkrelatie-toevoegen/",
        {
            "step": "2",
            "organisation": world.a.code,
            "category": "vast",
            "begin_date": "10/03/2025",
            "end_date": "11/03/2035",
            "phone": "+3292223344",
            "email": "j@example.org",
        },
    )
    assert "maximumperiode = 10 jaar" in response.content.decode()
    assert not WorkRelation.objects.filter(person=jonas).exists()
    assert _changes() == before


def test_begin_after_end(pieter: Client, world: World) -> None:
    jonas = add_person(pieter, JONAS)
    html = _relation_wizard(pieter, jonas, begin_date="01/06/2025", end_date="01/05/2025").content.decode()
    assert "De einddatum ligt voor de begindatum." in html
    relation = world.relation(JONAS, world.a)
    url = f"/gebruikersbeheer/werkrelaties/{relation.pk}/recht-toekennen/"
    html = pieter.post(
        url,
        {
            "step": "1",
            "right": "VLAIOInkomGebruikerNieuw",
            "begin_date": "01/06/2025",
            "end_date": "01/05/2025",
            "context_values": ["Gebruiker"],
        },
    ).content.decode()
    assert "De einddatum ligt voor de begindatum." in html
    assert not RightGrant.objects.filter(work_relation=relation).exists()


def test_right_end_beyond_its_maximum(pieter: Client, world: World) -> None:
    relation = world.relation(JONAS, world.a)
    url = f"/gebruikersbeheer/werkrelaties/{relation.pk}/recht-toekennen/"
    data = {
        "right": "VLAIOInkomGebruikerNieuw",
        "begin_date": "10/03/2025",
        "end_date": "11/03/2029",
        "context_values": ["Gebruiker"],
    }
    html = pieter.post(url, {"step": "1", **data}).content.decode()
    assert "maximumperiode = 4 jaar" in html
    html = pieter.post(url, {"step": "2", **data}).content.decode()
    assert "maximumperiode = 4 jaar" in html
    assert not RightGrant.objects.filter(work_relation=relation).exists()


def test_extend_beyond_the_maximum(pieter: Client, world: World) -> None:
    relation = world.relation(JONAS, world.a)
    grant = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )[0]
    before = _changes()
    url = f"/gebruikersbeheer/werkrelaties/{relation.pk}/verlengen/"
    html = pieter.post(url, {"step": "0", "mode": "eigen", "end_date": "11/03/2035"}).content.decode()
    assert "De einddatum mag ten laatste 10/03/2035 zijn" in html
    html = pieter.post(url, {"step": "0", "mode": "eigen", "end_date": ""}).content.decode()
    assert "Vul de nieuwe einddatum in" in html
    url = f"/gebruikersbeheer/toekenningen/{grant.pk}/verlengen/"
    html = pieter.post(url, {"step": "1", "mode": "eigen", "end_date": "11/03/2029"}).content.decode()
    assert "De einddatum mag ten laatste 10/03/2029 zijn (maximumperiode = 4 jaar)." in html
    assert _changes() == before


def test_another_organisations_objects_by_url(pieter: Client, world: World) -> None:
    """Els works for B, which Pieter does not administer: her page, relation and right: 404 (GET or POST)."""
    relation = world.relation(ELS, world.b)
    grant = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )[0]
    before = _changes()
    person = relation.person
    for url in (
        f"/gebruikersbeheer/personen/{person.pk}/",
        f"/gebruikersbeheer/personen/{person.pk}/details/",
        f"/gebruikersbeheer/personen/{person.pk}/accounts/",
        f"/gebruikersbeheer/personen/{person.pk}/historiek/",
        f"/gebruikersbeheer/personen/{person.pk}/werkrelatie-toevoegen/",
        f"/gebruikersbeheer/werkrelaties/{relation.pk}/recht-toekennen/",
        f"/gebruikersbeheer/werkrelaties/{relation.pk}/verlengen/",
        f"/gebruikersbeheer/werkrelaties/{relation.pk}/bewerken/",
        f"/gebruikersbeheer/werkrelaties/{relation.pk}/pauzeren/",
        f"/gebruikersbeheer/werkrelaties/{relation.pk}/hervatten/",
        f"/gebruikersbeheer/werkrelaties/{relation.pk}/beeindigen/",
        f"/gebruikersbeheer/werkrelaties/{relation.pk}/verwijderen/",
        f"/gebruikersbeheer/toekenningen/{grant.pk}/verlengen/",
        f"/gebruikersbeheer/toekenningen/{grant.pk}/beeindigen/",
        "/gebruikersbeheer/personen/999999/",
    ):
        assert pieter.get(url).status_code == 404, url
        posted = pieter.post(url, {"step": "1", "mode": "maximum", "reason": "x"}).status_code
        assert posted == (405 if "/personen/" in url and "toevoegen" not in url else 404), url
    relation.refresh_from_db()
    grant.refresh_from_db()
    assert relation.ended_at is None
    assert grant.ended_at is None
    assert grant.end_date == date(2029, 3, 10)
    assert not relation.pauses.exists()
    assert _changes() == before


def test_granting_in_an_organisation_not_administered(pieter: Client, world: World) -> None:
    """A work relation in B through a tampered form: refused at the organisation, nothing made."""
    jonas = world.relation(JONAS, world.a).person
    url = f"/gebruikersbeheer/personen/{jonas.pk}/werkrelatie-toevoegen/"
    html = pieter.post(url, {"step": "0", "organisation": B}).content.decode()
    assert "U beheert deze organisatie niet." in html
    response = pieter.post(
        url,
        {
            "step": "2",
            "organisation": B,
            "category": "vast",
            "begin_date": "10/03/2025",
            "end_date": "10/03/2030",
            "phone": "+3292223344",
            "email": "j@example.org",
        },
    )
    assert "U beheert deze organisatie niet." in response.content.decode()
    assert not WorkRelation.objects.filter(organisation=world.b).exists()


def test_administrator_cannot_grant_himself_more(pieter: Client, world: World) -> None:
    """Pieter gives himself a right in A (allowed, as the seed says), but not the application manager right,
    not the departments right before its activation, not beyond the maximum, and nothing in B."""
    own = world.relation(PIETER, world.a)
    url = f"/gebruikersbeheer/werkrelaties/{own.pk}/recht-toekennen/"
    for right in (
        "VLAIOInkomToepassingsbeheerder",
        "DienstverlenerKmoPortefeuilleDepartementen",
        "Onbestaand",
    ):
        html = pieter.post(url, {"step": "0", "right": right}).content.decode()
        assert "Dit gebruikersrecht kan hier niet toegekend worden." in html
        response = pieter.post(
            url, {"step": "2", "right": right, "begin_date": "10/03/2025", "end_date": "10/03/2026"}
        )
        assert "Dit gebruikersrecht kan hier niet toegekend worden." in response.content.decode()
    assert not RightGrant.objects.filter(work_relation=own).exists()
    # within the rules it works: the seed's "aan zichzelf of aan andere personen"
    data = {
        "right": "VLAIOInkomGebruikerNieuw",
        "begin_date": "10/03/2025",
        "end_date": "10/03/2029",
        "context_values": ["Gebruiker"],
    }
    pieter.post(url, {"step": "2", **data})
    assert RightGrant.objects.filter(work_relation=own).count() == 1


def test_vlaio_local_admin_cannot_make_himself_application_manager(client: Client, world: World) -> None:
    """A local administrator of VLAIO may grant VLAIO's staff right, but the application manager right (which
    administers every organisation) only an application manager hands out: not offered, and refused."""
    make_local_admin(world, PIETER, world.vlaio)
    own = world.relation(PIETER, world.vlaio)
    login(client, PIETER)
    url = f"/gebruikersbeheer/werkrelaties/{own.pk}/recht-toekennen/"
    page = client.get(url).content.decode()
    assert "VLAIO Inkom Gebruiker" in page
    assert "Toepassingsbeheerder" not in page
    response = client.post(
        url,
        {
            "step": "2",
            "right": "VLAIOInkomToepassingsbeheerder",
            "begin_date": "10/03/2025",
            "end_date": "10/03/2026",
        },
    )
    assert "Dit gebruikersrecht kan hier niet toegekend worden." in response.content.decode()
    assert not RightGrant.objects.filter(work_relation=own).exists()


def test_changes_need_post_and_csrf(world: World) -> None:
    make_local_admin(world)
    relation = world.relation(JONAS, world.a)
    client = Client(enforce_csrf_checks=True)
    login_with_csrf(client, PIETER)
    # GET on an action only shows the confirmation
    assert client.get(f"/gebruikersbeheer/werkrelaties/{relation.pk}/beeindigen/").status_code == 200
    assert client.post(f"/gebruikersbeheer/werkrelaties/{relation.pk}/beeindigen/", {}).status_code == 403
    relation.refresh_from_db()
    assert relation.ended_at is None
    assert client.put(f"/gebruikersbeheer/werkrelaties/{relation.pk}/beeindigen/").status_code in {403, 405}


def login_with_csrf(client: Client, number: str) -> None:
    from django.conf import settings

    client.get("/aanmelden/simulator/eid/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        "/aanmelden/simulator/eid/", {"national_number": number, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302

"""Toekenning opzoeken: filters, scope (only the organisations I administer), keyset pages of one query, and
the CSV export (UTF-8 with BOM, ``;``, streamed; an empty one has only the header)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.test import Client

from kmop.idm import services
from kmop.idm.models import RightGrant, WorkRelation
from kmop.registers.models import NationalRegisterPerson

from .conftest import ELS, JONAS, KLAUS, PIETER, SYSTEM, A, World
from .test_views_gebruikersbeheer import login, make_local_admin

pytestmark = pytest.mark.django_db

URL = "/gebruikersbeheer/toekenningen/"


@pytest.fixture(autouse=True)
def _demo(settings) -> None:
    settings.DEMO_MODE = True


def _grant(relation: WorkRelation, end: date, profile: str = "Gebruiker") -> RightGrant:
    return services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=[profile],
        end_date=end,
    )[0]


def _people(world: World, count: int, start: int = 0) -> list[WorkRelation]:
    """``count`` more persons with a work relation in A (valid national numbers, in the register)."""
    relations = []
    for i in range(start, start + count):
        number = _valid_number(i)
        NationalRegisterPerson.objects.update_or_create(
            pk=number, defaults={"first_name": f"Voornaam{i:03d}", "last_name": f"Naam{i:03d}", "sex": "X"}
        )
        relations.append(world.relation(number, world.a))
    return relations


def _valid_number(i: int) -> str:
    base = f"800101{i:03d}"  # born 1 January 1980, serial i
    return base + f"{97 - int(base) % 97:02d}"


@pytest.fixture
def pieter(client: Client, world: World) -> Client:
    make_local_admin(world)
    login(client, PIETER)
    return client


def test_search_filters_and_scope(pieter: Client, world: World) -> None:
    jonas = world.relation(JONAS, world.a)
    _grant(jonas, date(2025, 3, 15))
    klaus = world.relation(KLAUS, world.a)
    _grant(klaus, date(2027, 1, 1))
    els = world.relation(ELS, world.b)  # B: not Pieter's
    _grant(els, date(2025, 3, 16))
    page = pieter.get(URL)
    assert page.status_code == 200
    assert "Zoek gebruikersrecht toekenning" in page.content.decode()
    everything = page.content.decode()  # no filter: every grant in his organisations
    assert "De Smet Jonas" in everything
    assert "Becker Klaus" in everything
    assert "Maes" not in everything

    html = pieter.get(URL, {"right": "VLAIOInkomGebruikerNieuw"}).content.decode()
    assert "De Smet Jonas" in html
    assert "Becker Klaus" in html
    assert "Maes" not in html  # another organisation's grant is never shown
    assert html.index("De Smet") < html.index("Becker")  # soonest end first

    html = pieter.get(URL, {"end_until": "31/12/2025"}).content.decode()
    assert "De Smet Jonas" in html
    assert "Becker" not in html
    html = pieter.get(URL, {"person": "beck"}).content.decode()
    assert "Becker Klaus" in html
    assert "De Smet" not in html
    html = pieter.get(URL, {"organisation": "0912.345.673"}).content.decode()
    assert "De Smet Jonas" in html
    html = pieter.get(URL, {"organisation": world.b.code}).content.decode()
    assert "Geen toekenningen gevonden" in html  # B is not his: empty, not an error
    html = pieter.get(URL, {"end_from": "31/12/2025", "end_until": "01/01/2025"}).content.decode()
    assert "Deze datum ligt voor de datum" in html
    html = pieter.get(URL, {"begin_from": "32/13/2025"}).content.decode()
    assert "Vul een geldige datum in" in html


def test_pages_cost_one_query_each(pieter: Client, world: World, django_assert_max_num_queries) -> None:
    relations = _people(world, 5)
    for i, relation in enumerate(relations):
        _grant(relation, date(2025, 4, 1) + timedelta(days=i))
    # session, account, administrator check (2), the rights of the filter, the page, the session's save (3)
    with django_assert_max_num_queries(9) as few:
        pieter.get(URL, {"right": "VLAIOInkomGebruikerNieuw"})
    small = len(few.captured_queries)
    more = _people(world, 55, start=5)
    for relation in more:
        _grant(relation, date(2025, 5, 1))
    with django_assert_max_num_queries(small) as captured:
        first = pieter.get(URL, {"right": "VLAIOInkomGebruikerNieuw"})
    assert len(captured.captured_queries) == small  # the same number of queries for 5 or 60 grants
    html = first.content.decode()
    first_ids = set(re.findall(r"/toekenningen/(\d+)/verlengen/", html))
    assert len(first_ids) == 50
    assert "Volgende pagina" in html
    assert "Eerste pagina" not in html
    link = re.search(r'href="(\?[^"]*na=[^"]*)"', html).group(1).replace("&amp;", "&")
    with django_assert_max_num_queries(small):
        second = pieter.get(URL + link)
    second_html = second.content.decode()
    second_ids = set(re.findall(r"/toekenningen/(\d+)/verlengen/", second_html))
    assert len(second_ids) == 10  # 60 grants: 50 + 10, none twice
    assert not first_ids & second_ids
    assert first_ids | second_ids == {str(pk) for pk in RightGrant.objects.values_list("pk", flat=True)}
    assert "Volgende pagina" not in second_html
    assert "Eerste pagina" in second_html


def test_csv_export(pieter: Client, world: World) -> None:
    jonas = world.relation(JONAS, world.a)
    _grant(jonas, date(2025, 3, 15))
    NationalRegisterPerson.objects.filter(pk=KLAUS).update(last_name="=HYPERLINK(1)")
    klaus = world.relation(KLAUS, world.a)
    _grant(klaus, date(2027, 1, 1))
    response = pieter.get(URL, {"right": "VLAIOInkomGebruikerNieuw", "formaat": "csv"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Organisatiecode", "Organisatie", "Rijksregisternummer"]
    assert len(rows) == 3
    by_number = {row[2]: row for row in rows[1:]}
    assert by_number[JONAS][0] == A
    assert by_number[JONAS][8] == "15/03/2025"
    assert by_number[KLAUS][3] == "'=HYPERLINK(1)"  # never a formula in Excel


def test_csv_export_empty_is_only_the_header(pieter: Client, world: World) -> None:
    response = pieter.get(URL, {"person": "niemand", "formaat": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8")
    lines = body.lstrip("\ufeff").splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Organisatiecode;")


def test_csv_export_with_invalid_filters_is_refused(pieter: Client, world: World) -> None:
    response = pieter.get(URL, {"end_from": "morgen", "formaat": "csv"})
    assert response.status_code == 400
    assert "Vul een geldige datum in" in response.content.decode()


def test_home_and_person_page_without_n_plus_one(pieter: Client, world: World) -> None:
    """The home page's persons and a person's relations with their rights: a fixed number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert pieter.get(url).status_code == 200
        return len(captured.captured_queries)

    relations = _people(world, 3)
    for relation in relations:
        _grant(relation, date(2025, 4, 1))
    person = relations[0].person
    home, page = count("/gebruikersbeheer/"), count(f"/gebruikersbeheer/personen/{person.pk}/")
    for relation in _people(world, 12, start=3):
        _grant(relation, date(2025, 4, 1))
    second = world.relation(
        person.national_number, world.a, begin_date=date(2036, 1, 1), end_date=date(2036, 2, 1)
    )
    assert second.pk
    _grant(relations[0], date(2025, 12, 1), profile="DienstverlenerKmoPortefeuille")
    assert count("/gebruikersbeheer/") == home
    assert count(f"/gebruikersbeheer/personen/{person.pk}/") == page


def test_revoked_administrator_loses_access_at_once(pieter: Client, world: World) -> None:
    """Nothing of the administration is kept between requests: the next request after the appointment ends
    is refused, the search and the extension of a grant he could extend a moment before alike."""
    from kmop.idm.models import AdministratorAppointment

    jonas = world.relation(JONAS, world.a)
    grant = _grant(jonas, date(2025, 3, 15))
    assert pieter.get(URL).status_code == 200
    assert pieter.get(f"/gebruikersbeheer/toekenningen/{grant.pk}/verlengen/").status_code == 200
    appointment = AdministratorAppointment.objects.get(person__national_number=PIETER, ended_at__isnull=True)
    services.appointment_end(actor=SYSTEM, appointment=appointment)
    refused = pieter.get(URL)
    assert refused.status_code == 403
    assert "De Smet" not in refused.content.decode()
    assert pieter.get(f"/gebruikersbeheer/toekenningen/{grant.pk}/verlengen/").status_code == 403


def test_application_manager_with_a_security_code_sees_only_his_own_organisations(
    client: Client, world: World
) -> None:
    """At level substantial the Toepassingsbeheerder administers only what he administers on his own (here:
    local administrator of VLAIO): another organisation's person is a 404 on the person page too, and his
    search shows only VLAIO's grants."""
    from kmop.acm import session as keys

    from .conftest import BART
    from .test_views_gebruikersbeheer import _app_manager

    _app_manager(world)
    make_local_admin(world, BART, world.vlaio)
    els = world.relation(ELS, world.b)
    _grant(els, date(2025, 3, 16))
    login(client, BART)
    assert client.get(f"/gebruikersbeheer/personen/{els.person.pk}/").status_code == 200  # eID: high
    session = client.session
    session[keys.ACR] = "urn:be:vlaanderen:authmech:csamtotp"
    session.save()
    assert client.get(f"/gebruikersbeheer/personen/{els.person.pk}/").status_code == 404
    found = client.get(URL)
    assert found.status_code == 200
    assert "Maes" not in found.content.decode()

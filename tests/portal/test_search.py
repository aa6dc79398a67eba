"""The public "Zoek een dienstverlener" (/zoek-een-dienstverlener/, seed 004's "snelle links"): each
criterion, their combinations, only registrations valid today, the distance from a postcode (nearest first,
within the limit), clear Dutch messages for bad input, a provider's public page without its bank account, the
help page and the home page's six links."""

from __future__ import annotations

import importlib
import re
from datetime import date, timedelta
from html import unescape
from itertools import count

import pytest
from django.test import Client
from django.utils import timezone

from kmop.providers import selectors, services
from kmop.providers.models import Provider, ProviderEstablishment, Registration
from kmop.registers import geo
from kmop.registers.geo import Point, distance_km, postcode_point, postcodes_of_municipality
from tests.providers.conftest import (  # noqa: F401  (fixtures)
    SYSTEM,
    World,
    clock,
    sign_up_data,
    world,
)

URL = "/zoek-een-dienstverlener/"
_numbers = count(100)


@pytest.fixture(autouse=True)
def _demo(settings) -> None:
    settings.DEMO_MODE = True


@pytest.fixture(autouse=True)
def _postcodes(request) -> None:
    """The postcodes the migration loads (a transactional test elsewhere may have flushed them)."""
    if "db" not in request.fixturenames and "providers" not in request.fixturenames:
        return
    request.getfixturevalue("db")
    from kmop.registers.models import Postcode

    if not Postcode.objects.exists():
        migration = importlib.import_module("kmop.registers.migrations.0005_postcode")
        Postcode.objects.bulk_create([Postcode(**row) for row in migration.rows()])
    geo.clear_cache()


def today() -> date:
    return timezone.localdate()


def make_provider(
    name: str,
    postcode: str,
    municipality: str,
    *,
    fields: str = "",
    registrations: tuple[tuple[str, str], ...] = (("opleiding", "G"),),
    others: tuple[tuple[str, str], ...] = (),
    iban: str = "BE71096123456769",
) -> Provider:
    """A provider with its registered office at the postcode, other establishments and registrations
    ``(service, status)``: G and G/V valid today, the others as their status says."""
    n = next(_numbers)
    provider = Provider.objects.create(
        organisation_id=900_000 + n,
        legal_name=name,
        enterprise_number=f"0{n:09d}",
        street="Kerkstraat",
        house_number="1",
        postcode=postcode,
        municipality=municipality,
        contact_name=f"Contact {name}",
        contact_email=f"info{n}@example.org",
        contact_phone="09 123 45 67",
        website=f"https://www.provider{n}.example",
        iban=iban,
        fields_of_expertise=fields,
        presentation=f"{name} helpt kmo's met opleiding en advies.",
        login=f"login{n}",
    )
    ProviderEstablishment.objects.create(
        provider=provider,
        is_registered_office=True,
        name=name,
        street="Kerkstraat",
        house_number="1",
        postcode=postcode,
        municipality=municipality,
    )
    for other_postcode, other_municipality in others:
        ProviderEstablishment.objects.create(
            provider=provider,
            street="Stationsstraat",
            house_number="2",
            postcode=other_postcode,
            municipality=other_municipality,
        )
    now = timezone.now()
    for service, status in registrations:
        valid = {
            "G": (today() - timedelta(days=100), today() + timedelta(days=400)),
            "G/V": (today() - timedelta(days=1700), today() + timedelta(days=20)),
            "G-expired": (today() - timedelta(days=1900), today()),  # expires today: no longer valid
            "G-future": (today() + timedelta(days=1), today() + timedelta(days=1800)),
            "L": (today() - timedelta(days=2000), today() - timedelta(days=100)),
            "S": (today() - timedelta(days=300), today() + timedelta(days=300)),
            "A": (None, None),
            "N": (None, None),
        }[status]
        number = next(_numbers)
        Registration.objects.create(
            number=f"DV.{'O' if service == 'opleiding' else 'A'}{number:06d}",
            provider=provider,
            service=service,
            basis="prive",
            status=status.split("-")[0],
            valid_from=valid[0],
            valid_until=valid[1],
            requested_at=now,
            status_changed_at=now,
        )
    return provider


@pytest.fixture
def providers(db) -> dict[str, Provider]:
    return {
        "gent": make_provider(
            "Leerwijs BV",
            "9000",
            "Gent",
            fields="Digitalisering, Boekhouding",
            others=(("2000", "Antwerpen"),),
        ),
        "wondelgem": make_provider(
            "Adviesburo Noord",
            "9032",
            "Wondelgem",
            fields="Strategie en groei",
            registrations=(("advies", "G/V"),),
        ),
        "aalst": make_provider(
            "Opleidingen Aalst NV",
            "9300",
            "Aalst",
            fields="Talen",
            registrations=(("opleiding", "G"), ("advies", "G")),
        ),
        "leuven": make_provider("Leuven Leert", "3000", "Leuven", fields="Digitalisering"),
        "brugge": make_provider("Brugse Adviseurs", "8000", "Brugge", registrations=(("advies", "G"),)),
        # never found: no registration valid today
        "suspended": make_provider("Geschorst Leerwijs", "9000", "Gent", registrations=(("opleiding", "S"),)),
        "expired": make_provider("Verlopen Leerwijs", "9000", "Gent", registrations=(("opleiding", "L"),)),
        "expires_today": make_provider(
            "Vandaag Verlopen Leerwijs", "9000", "Gent", registrations=(("opleiding", "G-expired"),)
        ),
        "future": make_provider(
            "Toekomstig Leerwijs", "9000", "Gent", registrations=(("opleiding", "G-future"),)
        ),
        "requested": make_provider(
            "Aangevraagd Leerwijs", "9000", "Gent", registrations=(("opleiding", "A"),)
        ),
    }


def names(response) -> list[str]:
    """The providers' names on a result page, in order."""
    assert response.status_code == 200
    html = response.content.decode()
    return [unescape(n) for n in re.findall(r'<h3 class="card__title"><a href="[^"]+">([^<]+)</a>', html)]


def field_error(response, field: str) -> str:
    html = response.content.decode()
    match = re.search(rf'<p class="error-message" id="id_{field}_error">(.*?)</p>', html, re.S)
    assert match, f"no error at {field}"
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).replace("Fout:", "").strip()


# --- the postcodes ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_postcode_of_the_register_has_a_point_in_belgium():
    from kmop.registers.models import Postcode
    from kmop.registers.synthetic import read_municipalities

    codes = {m.zipcode for m in read_municipalities()}
    assert set(Postcode.objects.values_list("code", flat=True)) == codes
    for code in codes:
        point = postcode_point(code)
        assert point is not None, code
        assert 49.4 < point.latitude < 51.6, code
        assert 2.5 < point.longitude < 6.5, code
    # Gent–Brussel is about 50 km in a straight line, Brussel–Antwerpen about 41 km
    assert 45 < distance_km(postcode_point("9000"), postcode_point("1000")) < 55
    assert 38 < distance_km(postcode_point("1000"), postcode_point("2000")) < 45
    assert {"9000", "9030", "9032"} <= set(postcodes_of_municipality("gent"))
    assert postcodes_of_municipality("Gand") == postcodes_of_municipality("Gent")


def test_an_establishment_gets_the_point_of_its_postcode_and_follows_it(world: World):  # noqa: F811
    # signed up through the services (tests/providers/conftest.py): the registered office in 1030
    provider = services.provider_sign_up(actor=SYSTEM, **sign_up_data())
    office = provider.establishments.get(is_registered_office=True)
    assert office.latitude == pytest.approx(postcode_point("1030").latitude)
    assert office.longitude == pytest.approx(postcode_point("1030").longitude)
    added = services.establishment_add(
        actor=SYSTEM,
        provider=provider,
        street="Naamsestraat",
        house_number="5",
        postcode="3000",
        municipality="Leuven",
    )
    assert added.latitude == pytest.approx(postcode_point("3000").latitude)
    services.establishment_update(actor=SYSTEM, establishment=added, postcode="8000", municipality="Brugge")
    added.refresh_from_db()
    assert added.latitude == pytest.approx(postcode_point("8000").latitude)
    assert added.longitude == pytest.approx(postcode_point("8000").longitude)
    services.provider_update(actor=SYSTEM, provider=provider, postcode="9000", municipality="Gent")
    office.refresh_from_db()
    assert office.latitude == pytest.approx(postcode_point("9000").latitude)
    abroad = ProviderEstablishment.objects.create(
        provider=provider,
        street="Hauptstrasse",
        house_number="1",
        postcode="5201",
        municipality="Aachen",
        country="DE",
    )
    assert abroad.latitude is None
    assert abroad.longitude is None


# --- the criteria -------------------------------------------------------------------------------------------


def test_the_form_alone_shows_no_results(client: Client, providers):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Zoek een dienstverlener</h1>" in html
    assert 'id="results-count"' not in html
    assert names(response) == []
    for name in ("naam", "dienst", "vakgebied", "plaats", "afstand"):
        assert f'name="{name}"' in html


def test_an_empty_search_lists_every_provider_with_a_valid_registration_by_name(client: Client, providers):
    assert names(client.get(URL, {"zoeken": "1"})) == [
        "Adviesburo Noord",
        "Brugse Adviseurs",
        "Leerwijs BV",
        "Leuven Leert",
        "Opleidingen Aalst NV",
    ]


def test_by_part_of_the_name_whatever_the_case(client: Client, providers):
    assert names(client.get(URL, {"naam": "leerwijs"})) == ["Leerwijs BV"]
    assert names(client.get(URL, {"naam": "  ADVIES  "})) == ["Adviesburo Noord"]


def test_by_service(client: Client, providers):
    assert names(client.get(URL, {"dienst": "advies"})) == [
        "Adviesburo Noord",
        "Brugse Adviseurs",
        "Opleidingen Aalst NV",
    ]
    assert names(client.get(URL, {"dienst": "opleiding"})) == [
        "Leerwijs BV",
        "Leuven Leert",
        "Opleidingen Aalst NV",
    ]


def test_by_field_of_expertise(client: Client, providers):
    assert names(client.get(URL, {"vakgebied": "digitalisering"})) == ["Leerwijs BV", "Leuven Leert"]
    assert names(client.get(URL, {"vakgebied": "talen"})) == ["Opleidingen Aalst NV"]


def test_the_themes_are_offered_as_suggestions(client: Client, providers):
    html = client.get(URL).content.decode()
    assert '<datalist id="themes">' in html
    assert 'list="themes"' in html


def test_by_postcode_of_any_establishment(client: Client, providers):
    assert names(client.get(URL, {"plaats": "9000"})) == ["Leerwijs BV"]
    assert names(client.get(URL, {"plaats": "2000"})) == ["Leerwijs BV"]  # its other establishment
    assert names(client.get(URL, {"plaats": "9000 Gent"})) == ["Leerwijs BV"]
    assert names(client.get(URL, {"plaats": "1000"})) == []
    html = client.get(URL, {"plaats": "1000"}).content.decode()
    assert "Er zijn geen dienstverleners met een geldige registratie die aan uw zoekopdracht voldoen." in html


def test_by_municipality_its_postcodes_included(client: Client, providers):
    # Wondelgem (9032) is part of Gent
    assert names(client.get(URL, {"plaats": "gent"})) == ["Adviesburo Noord", "Leerwijs BV"]
    assert names(client.get(URL, {"plaats": "Wondelgem"})) == ["Adviesburo Noord"]  # as written
    assert names(client.get(URL, {"plaats": "Gand"})) == ["Adviesburo Noord", "Leerwijs BV"]


def test_criteria_combine(client: Client, providers):
    assert names(client.get(URL, {"plaats": "Gent", "dienst": "opleiding"})) == ["Leerwijs BV"]
    assert names(client.get(URL, {"plaats": "Gent", "dienst": "advies"})) == ["Adviesburo Noord"]
    assert names(client.get(URL, {"naam": "leer", "vakgebied": "digitalisering", "plaats": "3000"})) == [
        "Leuven Leert"
    ]
    assert names(client.get(URL, {"naam": "leerwijs", "dienst": "advies"})) == []


def test_only_providers_with_a_registration_valid_today(client: Client, providers):
    found = names(client.get(URL, {"plaats": "9000"}))
    assert found == ["Leerwijs BV"]
    for key in ("suspended", "expired", "expires_today", "future", "requested"):
        assert client.get(f"{URL}dienstverlener/{providers[key].pk}/").status_code == 404, key


def test_a_result_shows_registrations_establishments_contact_and_presentation(client: Client, providers):
    response = client.get(URL, {"naam": "Opleidingen Aalst"})
    html = unescape(response.content.decode())
    provider = providers["aalst"]
    for registration in provider.registrations.all():
        assert registration.number in html
        assert f"vervaldag {registration.valid_until:%d/%m/%Y}" in html
    assert "9300 Aalst" in html
    assert provider.contact_email in html
    assert provider.website in html
    assert "09 123 45 67" in html
    assert "Opleidingen Aalst NV helpt kmo's met opleiding en advies." in html
    assert provider.iban not in html


def test_a_result_shows_only_the_establishments_at_the_place(client: Client, providers):
    html = client.get(URL, {"plaats": "2000"}).content.decode()
    assert "2000 Antwerpen" in html
    assert "9000 Gent" not in html
    html = client.get(URL, {"naam": "Leerwijs BV"}).content.decode()
    assert "2000 Antwerpen" in html
    assert "9000 Gent" in html


def test_results_are_paginated(client: Client, providers, monkeypatch):
    from kmop.portal import views_search

    monkeypatch.setattr(views_search, "PER_PAGE", 2)
    first = client.get(URL, {"zoeken": "1"})
    assert names(first) == ["Adviesburo Noord", "Brugse Adviseurs"]
    assert "Er werden 5 dienstverleners gevonden." in first.content.decode()
    assert "?zoeken=1&amp;pagina=2" in first.content.decode()
    assert names(client.get(URL, {"zoeken": "1", "pagina": "3"})) == ["Opleidingen Aalst NV"]
    assert names(client.get(URL, {"zoeken": "1", "pagina": "99"})) == ["Opleidingen Aalst NV"]  # the last
    assert names(client.get(URL, {"zoeken": "1", "pagina": "x"})) == ["Adviesburo Noord", "Brugse Adviseurs"]


# --- the distance -------------------------------------------------------------------------------------------


def test_by_distance_from_a_postcode_nearest_first(client: Client, providers):
    # from Gent (9000): Leerwijs 0 km, Wondelgem ~4 km, Aalst ~23 km, Brugge ~40 km, Leuven ~70 km
    response = client.get(URL, {"plaats": "9000", "afstand": "50"})
    assert names(response) == ["Leerwijs BV", "Adviesburo Noord", "Opleidingen Aalst NV", "Brugse Adviseurs"]
    html = response.content.decode()
    assert "De dichtstbijzijnde eerst, binnen 50 km in vogelvlucht." in html
    assert "Open Database License" in html  # the credit the ODbL asks
    distances = [
        float(d.replace(",", ".")) for d in re.findall(r"search-result__distance\">([\d,.]+) km", html)
    ]
    assert distances == sorted(distances)
    assert distances[0] == 0.0
    expected = distance_km(postcode_point("9000"), postcode_point("9300"))
    assert f"{expected:.1f}".replace(".", ",") in html


def test_the_distance_limits_the_results(client: Client, providers):
    assert names(client.get(URL, {"plaats": "9000", "afstand": "10"})) == ["Leerwijs BV", "Adviesburo Noord"]
    assert names(client.get(URL, {"plaats": "9000", "afstand": "1"})) == ["Leerwijs BV"]
    assert names(client.get(URL, {"plaats": "9000", "afstand": "0,5"})) == ["Leerwijs BV"]


def test_the_distance_is_from_the_nearest_establishment(client: Client, providers):
    # Leerwijs has an establishment in Antwerpen: from 2000 it is at 0 km, before the others
    found = names(client.get(URL, {"plaats": "2000", "afstand": "60"}))
    assert found[0] == "Leerwijs BV"
    html = client.get(URL, {"plaats": "2000", "afstand": "5"}).content.decode()
    assert "2000 Antwerpen" in html
    assert "9000 Gent" not in html


def test_distance_from_a_municipality_and_with_other_criteria(client: Client, providers):
    assert names(client.get(URL, {"plaats": "Gent", "afstand": "30", "dienst": "advies"})) == [
        "Adviesburo Noord",
        "Opleidingen Aalst NV",
    ]
    assert names(client.get(URL, {"plaats": "Leuven", "afstand": "20", "vakgebied": "digitalisering"})) == [
        "Leuven Leert"
    ]


@pytest.mark.django_db
def test_the_selector_orders_by_distance_and_annotates_it(providers):
    near = selectors.Near(point=Point(51.0397129, 3.7141549), km=45)
    found = list(selectors.search_providers(on=today(), near=near))
    assert [p.legal_name for p in found] == [
        "Leerwijs BV",
        "Adviesburo Noord",
        "Opleidingen Aalst NV",
        "Brugse Adviseurs",
    ]
    for provider in found:
        office = provider.establishments.order_by("-is_registered_office").first()
        assert provider.distance == pytest.approx(
            distance_km(near.point, Point(office.latitude, office.longitude))
        )


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"plaats": "9999"}, "plaats", "De postcode 9999 bestaat niet in België."),
        ({"plaats": "123"}, "plaats", "Een Belgische postcode heeft 4 cijfers, bijvoorbeeld 9000."),
        ({"plaats": "90000"}, "plaats", "Een Belgische postcode heeft 4 cijfers, bijvoorbeeld 9000."),
        ({"plaats": "9000", "afstand": "-5"}, "afstand", "De afstand moet groter zijn dan 0 km."),
        ({"plaats": "9000", "afstand": "0"}, "afstand", "De afstand moet groter zijn dan 0 km."),
        (
            {"plaats": "9000", "afstand": "veel"},
            "afstand",
            "Geef de afstand in km als een getal, bijvoorbeeld 20.",
        ),
        ({"plaats": "9000", "afstand": "301"}, "afstand", "De afstand is hoogstens 300 km."),
        (
            {"plaats": "9000", "afstand": "1e400"},
            "afstand",
            "De afstand is hoogstens 300 km.",
        ),
        (
            {"plaats": "9000", "afstand": "Infinity"},
            "afstand",
            "Geef de afstand in km als een getal, bijvoorbeeld 20.",
        ),
        (
            {"plaats": "9000", "afstand": "2,55"},
            "afstand",
            "Geef de afstand in km met hoogstens één cijfer na de komma.",
        ),
        ({"afstand": "20"}, "afstand", "Geef ook de gemeente of postcode van waaruit u zoekt."),
        (
            {"plaats": "Atlantis", "afstand": "20"},
            "plaats",
            "Geen Belgische gemeente met de naam Atlantis: geef een postcode.",
        ),
        ({"dienst": "koken"}, "dienst", "Kies opleiding, advies of beide."),
        ({"naam": "x" * 101}, "naam", "Geef hoogstens 100 tekens voor de naam."),
    ],
)
def test_bad_input_gives_a_dutch_message_at_the_field(client: Client, providers, params, field, message):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert field_error(response, field) == message
    html = response.content.decode()
    assert "Er is een probleem" in html
    assert "<title>Fout: " in html
    assert names(response) == []
    assert 'id="results-count"' not in html


@pytest.mark.parametrize("params", [{"naam": "leer\x00wijs"}, {"plaats": "Gent\x00"}])
def test_a_nul_character_gets_the_invalid_address_page(client: Client, providers, params):
    """A NUL in the query string is refused before the search (kmop.web.middleware): the 400 page."""
    response = client.get(URL, params)
    assert response.status_code == 400
    assert "Ongeldig adres" in response.content.decode()


def test_an_unknown_municipality_without_distance_just_finds_nothing(client: Client, providers):
    response = client.get(URL, {"plaats": "Atlantis"})
    assert names(response) == []
    assert "Er is een probleem" not in response.content.decode()


def test_no_javascript_needed(client: Client, providers):
    html = client.get(URL, {"naam": "leer"}).content.decode()
    form = re.search(r'<form method="get" action="([^"]+)"', html)
    assert form
    assert form.group(1) == URL
    assert 'href="/zoek-een-dienstverlener/dienstverlener/' in html


# --- the provider's public page ----------------------------------------------------------------------------


def test_detail_page_shows_public_data_and_no_bank_account(client: Client, providers):
    provider = providers["aalst"]
    response = client.get(f"{URL}dienstverlener/{provider.pk}/", {"terug": "naam=aalst&pagina=1"})
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "<h1>Opleidingen Aalst NV</h1>" in html
    assert provider.display_enterprise_number in html
    for registration in provider.registrations.all():
        assert registration.number in html
        assert f"{registration.valid_until:%d/%m/%Y}" in html
    assert "9300 Aalst" in html
    assert provider.contact_email in html
    assert provider.website in html
    assert provider.iban not in html
    assert "BE71" not in html
    assert provider.login not in html
    assert 'href="/zoek-een-dienstverlener/?naam=aalst&pagina=1"' in html


def test_detail_page_back_link_stays_on_the_search(client: Client, providers):
    provider = providers["aalst"]
    html = unescape(
        client.get(
            f"{URL}dienstverlener/{provider.pk}/", {"terug": "next=https://evil.example&naam=x"}
        ).content.decode()
    )
    assert 'href="/zoek-een-dienstverlener/?naam=x"' in html
    assert not re.search(r'href="[^"]*evil', html)


def test_detail_page_of_an_unknown_provider_is_not_found(client: Client, providers):
    assert client.get(f"{URL}dienstverlener/999999/").status_code == 404


def test_detail_page_shows_only_valid_registrations(client: Client, providers):
    provider = make_provider(
        "Gemengd", "1000", "Brussel", registrations=(("opleiding", "G"), ("advies", "S"))
    )
    html = client.get(f"{URL}dienstverlener/{provider.pk}/").content.decode()
    opleiding, advies = provider.registrations.order_by("service").reverse()
    assert opleiding.service == "opleiding"
    assert opleiding.number in html
    assert advies.number not in html


# --- the help page and the home page -----------------------------------------------------------------------


def test_help_page_summarises_the_three_steps(client: Client, db):
    response = client.get(f"{URL}hoe-registreren/")
    assert response.status_code == 200
    html = response.content.decode()
    for title in (
        "Aanmelden als dienstverlener",
        "Registreren als dienstverlener",
        "Reageren op een steunaanvraag",
    ):
        assert f'<h2 class="steps__title">{title}</h2>' in html
    assert 'href="/dienstverlener/aanmelden/"' in html
    assert 'href="/dienstverlener/login/"' in html


def test_home_page_has_the_six_quick_links_of_seed_004(client: Client, db):
    html = client.get("/").content.decode()
    aside = html[html.index('class="home-layout__aside quick-links"') :]
    aside = aside[: aside.index("</aside>")]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', aside)
    assert [(unescape(href), label) for href, label in links] == [
        ("/aanmelden/", "Login kmo-portefeuille"),
        ("/zoek-een-dienstverlener/", "Zoek een dienstverlener"),
        ("/e-loket/", "Bekijk uw ondernemingsfoto"),
        ("/dienstverlener/login/", "Login dienstverleners"),
        ("/aanmelden/?next=/dienstverlener/", "Login individuele dienstverleners/departementen"),
        ("/zoek-een-dienstverlener/hoe-registreren/", "Hoe registreren en aanmelden?"),
    ]
    for href, _label in links:
        target = client.get(unescape(href))
        assert target.status_code in (200, 302), href
        if target.status_code == 302:  # the ondernemingsfoto asks to log in first
            assert target["Location"].startswith("/aanmelden/?next="), href

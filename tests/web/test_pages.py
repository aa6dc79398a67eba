"""The public pages: home, accessibility statement, base layout, demo-mode parts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .helpers import h1, html, html_lang, parse


def test_home_in_dutch_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "nl"
    assert h1(response) == "Subsidie voor opleiding en advies voor kmo's en zelfstandigen"
    page = html(response)
    assert "<title>Subsidie voor opleiding en advies – kmo-portefeuille</title>" in page
    for text in ("Wat is de kmo-portefeuille?", "Ondernemers", "Dienstverleners", "VLAIO-medewerkers"):
        assert text in page
    assert "geregistreerde dienstverlener" in page


def test_home_in_english_by_accept_language(client):
    response = client.get("/", headers={"accept-language": "en-GB,en;q=0.9"})
    assert response.status_code == 200
    assert html_lang(response) == "en"
    assert h1(response) == "Subsidy for training and advice for SMEs and the self-employed"
    assert "Quick links" in html(response)
    assert "Who is it for?" in html(response)


def test_base_layout(client):
    response = client.get("/")
    page = html(response)
    assert '<a class="skip-link" href="#main">Naar de inhoud</a>' in page
    assert '<main id="main"' in page
    # The login slot offers the login to an anonymous visitor.
    assert '<div class="site-header__login"><a href="/aanmelden/">Aanmelden</a></div>' in page
    collector = parse(response)
    # The footer links the accessibility statement.
    links = dict(zip(collector.link_texts, collector.hrefs, strict=True))
    assert links["Toegankelijkheidsverklaring"] == "/toegankelijkheid/"


def test_language_switch_is_a_post_form_without_javascript(client):
    page = html(client.get("/toegankelijkheid/?x=1"))
    assert '<form class="language-switch" action="/i18n/setlang/" method="post">' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<input name="next" type="hidden" value="/toegankelijkheid/?x=1">' in page
    assert 'name="language" value="en"' in page
    assert '<span lang="en">English</span>' in page
    assert 'name="language" value="nl"' not in page  # only the other language is offered


def test_language_switch_offers_dutch_in_english(client):
    page = html(client.get("/", headers={"accept-language": "en"}))
    assert '<span lang="nl">Nederlands</span>' in page
    assert "Change the language to" in page
    assert 'name="language" value="en"' not in page


def test_quick_links_are_the_six_of_seed_004(client):
    """The green "snelle links" box of the real site (seed 004), each a link to its page."""
    collector = parse(client.get("/"))
    for label in (
        "Login kmo-portefeuille",
        "Zoek een dienstverlener",
        "Bekijk uw ondernemingsfoto",
        "Login dienstverleners",
        "Login individuele dienstverleners/departementen",
        "Hoe registreren en aanmelden?",
    ):
        assert label in collector.link_texts
    for url in (
        reverse("acm:login"),
        reverse("search:search"),
        reverse("eloket:enterprise-profile"),
        reverse("portal:login"),
        f"{reverse('acm:login')}?next={reverse('portal:menu')}",
        reverse("search:how-to-register"),
    ):
        assert url in collector.hrefs
    assert "binnenkort" not in html(client.get("/"))


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/toegankelijkheid/", "/demo/componenten/", "/bestaat-niet/"])
def test_no_broken_internal_links(client, settings, url):
    settings.DEMO_MODE = True
    response = client.get(url)
    for href in set(parse(response).hrefs):
        if href.startswith("#"):
            assert f'id="{href[1:]}"' in html(response), href
        elif href.startswith("/"):
            target = client.get(href)
            if target.status_code == 302:  # a page for persons logged in: to the login, and back after it
                assert target["Location"] == f"{reverse('acm:login')}?next={href}", href
            else:
                assert target.status_code == 200, href


def test_accessibility_statement_in_dutch(client):
    response = client.get("/toegankelijkheid/")
    assert response.status_code == 200
    assert h1(response) == "Toegankelijkheidsverklaring"
    page = html(response)
    for text in (
        "Nalevingsstatus",
        "gedeeltelijk in overeenstemming",
        "WCAG 2.1 niveau AA",
        "EN 301 549",
        "Bestuursdecreet",
        "(EU) 2016/2102",
        "axe-core",
        "Niet-toegankelijke inhoud",
        "Feedback en contactgegevens",
        "1700",
        "Handhavingsprocedure",
        "Vlaamse Ombudsdienst",
        "Leuvenseweg 86",
        "23 november 2026",
        "testserver",
    ):
        assert text in page, text


def test_accessibility_statement_in_english(client):
    response = client.get("/toegankelijkheid/", headers={"accept-language": "en"})
    assert html_lang(response) == "en"
    assert h1(response) == "Accessibility statement"
    page = html(response)
    for text in ("Compliance status", "Partially compliant", "Enforcement procedure", "23 November 2026"):
        assert text in page, text


def test_demo_banner_in_demo_mode(client, settings):
    settings.DEMO_MODE = True
    response = client.get("/")
    assert "demonstratieomgeving" in html(response)
    assert "/demo/personen/" in parse(response).hrefs


def test_no_demo_banner_outside_demo_mode(client, settings):
    settings.DEMO_MODE = False
    response = client.get("/")
    assert "demonstratieomgeving" not in html(response)
    assert "/demo/personen/" not in html(response)
    assert client.get("/demo/componenten/").status_code == 404


def test_component_gallery_shows_the_error_state_first(client, settings):
    settings.DEMO_MODE = True
    page = html(client.get("/demo/componenten/"))
    assert "Er is een probleem" in page
    assert '<a href="#id_enterprise_number">Vul het ondernemingsnummer in</a>' in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_enterprise_number_helptext id_enterprise_number_error"' in page


def test_component_gallery_validates_with_stdnum(client, settings):
    settings.DEMO_MODE = True
    assert "Vul een geldig ondernemingsnummer in" in html(
        client.get("/demo/componenten/", {"enterprise_number": "0123.456.789"})
    )
    page = html(client.get("/demo/componenten/", {"enterprise_number": "BE0123456749"}))
    assert "Er is een probleem" not in page
    assert "Het ondernemingsnummer is geldig." in page
    assert "0123.456.749" in page


def test_pages_only_allow_safe_methods(client):
    assert client.post("/").status_code == 405
    assert client.post("/toegankelijkheid/").status_code == 405

"""A NUL character in a URL's path or query string gets the 400 page (or an API problem), never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/dienstverlener/projecten/%00/",
        "/dienstverlener/projecten/?nummer=%00",
        "/dienstverlener/registraties/DV.O%00/",
        "/zoek-een-dienstverlener/?naam=a%00b",
        "/backoffice/registraties/%00/",
    ],
)
def test_a_nul_in_a_page_address_gets_the_400_page(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert "Ongeldig adres" in response.content.decode()


def test_the_400_page_in_english(client: Client) -> None:
    response = client.get("/zoek-een-dienstverlener/?naam=%00", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.parametrize("url", ["/api/v1/provider/projects/%00/", "/api/v1/provider/projects/?number=%00"])
def test_a_nul_in_an_api_address_gets_a_problem(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_characters"


def test_an_ordinary_address_passes(client: Client) -> None:
    assert client.get("/zoek-een-dienstverlener/?naam=leer").status_code == 200

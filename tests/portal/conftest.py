"""Fixtures of the portal tests: the providers tests' world (tests/providers/conftest.py: enterprise A signed
up as provider "Leerwijs BV", the clock on 10 March 2025) and a client logged in with the provider's own login
and password (seed 004's "Login dienstverleners")."""

from __future__ import annotations

import pytest
from django.test import Client

from kmop.providers import services
from kmop.providers.models import Provider
from tests.providers.conftest import (  # noqa: F401  (fixtures)
    AN,
    IBAN,
    IBAN_2,
    JONAS,
    SOFIE,
    SYSTEM,
    TODAY,
    VLAIO,
    A,
    World,
    actor,
    app_manager,
    clock,
    provider,
    provider_user,
    sign_up_data,
    staff,
    world,
)

PASSWORD = "Kmo-portefeuille-2025!"


@pytest.fixture(autouse=True)
def _demo(settings) -> None:
    settings.DEMO_MODE = True


def password_login(client: Client, login: str, password: str = PASSWORD) -> None:
    response = client.post("/dienstverlener/login/", {"login": login, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def provider_with_password(provider: Provider) -> Provider:  # noqa: F811
    services.provider_password_set(actor=SYSTEM, provider=provider, password=PASSWORD)
    provider.refresh_from_db()
    return provider


@pytest.fixture
def portal(client: Client, provider_with_password: Provider) -> Client:
    """A client logged in as the provider (the registered office's login and password)."""
    password_login(client, provider_with_password.login)
    return client

"""Fixtures of the e-loket tests: the projects tests' setting (tests/projects/conftest.py: enterprise B with a
completed profile, provider A with registrations DV.O000001 and DV.A000002; the clock on 10 March 2025) and a
client logged in through the demo simulator as Els (legal representative of B)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.projects.conftest import (  # noqa: F401  (fixtures)
    ELS,
    SOFIE,
    Setting,
    _fresh_cache,
    clock,
    setting,
    world,
)


@pytest.fixture(autouse=True)
def _demo(settings) -> None:
    settings.DEMO_MODE = True


def login(client: Client, number: str) -> None:
    response = client.post("/aanmelden/simulator/eid/", {"national_number": number})
    assert response.status_code == 302
    if response["Location"] == "/aanmelden-als/":
        response = client.get(response["Location"])
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def els(client: Client, setting: Setting) -> Client:  # noqa: F811
    login(client, ELS)
    return client

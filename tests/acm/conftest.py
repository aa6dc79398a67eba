"""The IDM tests' small world (enterprises A, B, N, VLAIO; the demo personas in the national register), and a
client logged in through the demo simulator."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.idm.conftest import (  # noqa: F401 - fixtures
    JONAS,
    NOBODY,
    NOW,
    SOFIE,
    SYSTEM,
    TOM,
    A,
    B,
    N,
    World,
    app_manager,
    clock,
    world,
)


@pytest.fixture(autouse=True)
def _demo(settings) -> None:
    settings.DEMO_MODE = True


def simulator_login(client: Client, number: str, method: str = "eid"):
    """Log in with the simulator; after a successful login, follow to "aanmelden als" once (its answer is
    returned: a redirect when it chose the only organisation, else the page)."""
    response = client.post(f"/aanmelden/simulator/{method}/", {"national_number": number})
    if response.status_code == 302 and response["Location"] == "/aanmelden-als/":
        return client.get(response["Location"])
    return response

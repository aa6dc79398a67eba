"""Fixtures of the back-office tests: the wallet tests' setting (tests/projects/conftest.py: provider A with
registrations, enterprise B with a completed profile, Els represents B, An is VLAIO staff with
``VLAIOInkomGebruiker``/``Medewerker``; the clock on 10 March 2025; the wallet's debtor account set) and
clients logged in through the demo eID simulator."""

from __future__ import annotations

import pytest
from django.test import Client

from kmop.projects import services as project_services
from kmop.projects.models import Project
from kmop.wallet import camt
from tests.projects.conftest import AN, ELS, SYSTEM
from tests.wallet.conftest import (  # noqa: F401  (fixtures)
    Credit,
    Setting,
    _debtor_account,
    _fresh_cache,
    actor,
    app_manager,
    clock,
    setting,
    statement,
    stream,
    world,
)

TOTP_ACR = "urn:be:vlaanderen:authmech:csamtotp"


@pytest.fixture(autouse=True)
def _demo(settings) -> None:
    settings.DEMO_MODE = True


def login(client: Client, number: str) -> Client:
    response = client.post("/aanmelden/simulator/eid/", {"national_number": number})
    assert response.status_code == 302
    if response["Location"] == "/aanmelden-als/":
        response = client.get(response["Location"])
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


@pytest.fixture
def staff(client: Client, setting: Setting) -> Client:  # noqa: F811
    """An (VLAIO, Medewerker), logged in with eID (level high), acting for VLAIO."""
    return login(client, AN)


@pytest.fixture
def els(client: Client, setting: Setting) -> Client:  # noqa: F811
    """Els, legal representative of enterprise B."""
    return login(client, ELS)


def deposited(setting: Setting, **overrides: object) -> Project:  # noqa: F811
    """A project of B in Lopend: submitted and its own contribution imported from a statement."""
    project = setting.submit(**overrides)
    ref = f"BANK-{project.number}"
    data = statement(
        Credit(str(project.own_contribution), project.structured_reference_display, servicer_ref=ref),
        statement_id=f"S-{project.number}",
    )
    report = camt.import_statement(stream(data), actor=SYSTEM)
    assert report.deposits == 1
    project.refresh_from_db()
    return project


def stop_requested(setting: Setting, reason: str = "De opleiding gaat niet door.") -> Project:  # noqa: F811
    project = deposited(setting)
    return project_services.project_request_stop(actor=setting.els, project=project, reason=reason)

"""Fixtures of the API tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from kmop.registers.models import Enterprise

from .kbo import ENTERPRISE_A, ENTERPRISE_B, ENTERPRISE_C, make_enterprise


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def three_enterprises(db: None) -> list[Enterprise]:
    return [
        make_enterprise(
            ENTERPRISE_A,
            "Bakkerij Janssens",
            name_fr="Boulangerie Janssens",
            zipcode="9000",
            juridical_form="014",
            establishments=2,
        ),
        make_enterprise(
            ENTERPRISE_B,
            "Janssens Advies",
            commercial_name="JA Consult",
            zipcode="3000",
            juridical_form="610",
        ),
        make_enterprise(ENTERPRISE_C, "Peeters Bouw", zipcode="9000", juridical_form="014", status="ST"),
    ]


@pytest.fixture
def enterprise_factory(db: None) -> Callable[..., Enterprise]:
    return make_enterprise

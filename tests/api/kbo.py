"""Register data for the API tests, written with the ORM (numbers compact and valid per python-stdnum),
and the assertion on problem details."""

from __future__ import annotations

import datetime
import json
from typing import Any

from kmop.registers.models import Activity, Address, Contact, Denomination, Enterprise, Establishment
from kmop.registers.numbers import validate_enterprise_number, validate_establishment_number

# Real-looking, valid enterprise numbers (python-stdnum checks them below).
ENTERPRISE_A = "0403170701"
ENTERPRISE_B = "0417497106"
ENTERPRISE_C = "0202239951"


def enterprise_number(seq: int) -> str:
    """The ``seq``-th valid enterprise number of a series that avoids the named ones above."""
    first8 = f"{5_000_000 + seq:08d}"
    return validate_enterprise_number(first8 + f"{97 - int(first8) % 97:02d}")


def establishment_number(seq: int) -> str:
    first8 = f"{21_000_000 + seq:08d}"
    return validate_establishment_number(first8 + f"{97 - int(first8) % 97:02d}")


def make_enterprise(
    number: str,
    name: str,
    *,
    name_fr: str | None = None,
    commercial_name: str | None = None,
    zipcode: str = "9000",
    municipality: str = "Gent",
    juridical_form: str | None = "014",
    status: str = "AC",
    type_of_enterprise: str = "2",
    establishments: int = 0,
    establishment_seq: int = 0,
) -> Enterprise:
    number = validate_enterprise_number(number)
    enterprise = Enterprise.objects.create(
        enterprise_number=number,
        status=status,
        juridical_situation="000",
        type_of_enterprise=type_of_enterprise,
        juridical_form=juridical_form,
        start_date=datetime.date(2001, 3, 14),
    )
    Denomination.objects.create(
        entity_number=number, language="2", type_of_denomination="001", denomination=name
    )
    if name_fr:
        Denomination.objects.create(
            entity_number=number, language="1", type_of_denomination="001", denomination=name_fr
        )
    if commercial_name:
        Denomination.objects.create(
            entity_number=number, language="2", type_of_denomination="003", denomination=commercial_name
        )
    Address.objects.create(
        entity_number=number,
        type_of_address="REGO",
        zipcode=zipcode,
        municipality_nl=municipality,
        street_nl="Kouter",
        house_number="1",
    )
    Contact.objects.create(
        entity_number=number, entity_contact="ENT", contact_type="EMAIL", value="info@example.be"
    )
    Activity.objects.create(
        entity_number=number,
        activity_group="001",
        nace_version="2008",
        nace_code="62010",
        classification="MAIN",
    )
    for seq in range(establishment_seq, establishment_seq + establishments):
        unit = Establishment.objects.create(
            establishment_number=establishment_number(seq),
            enterprise=enterprise,
            start_date=datetime.date(2005, 1, 1),
        )
        Address.objects.create(
            entity_number=unit.establishment_number,
            type_of_address="BAET",
            zipcode="2000",
            municipality_nl="Antwerpen",
            street_nl="Meir",
            house_number=str(seq + 1),
        )
        Denomination.objects.create(
            entity_number=unit.establishment_number,
            language="2",
            type_of_denomination="003",
            denomination=f"{name} vestiging {seq + 1}",
        )
    return enterprise


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """An RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = json.loads(response.content)
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body

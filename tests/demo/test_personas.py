"""The named demo persons: valid numbers, every role, and the demo persons page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from stdnum.be import iban, ssn, vat

from kmop.demo.data import demo_enterprise_records
from kmop.demo.personas import (
    ORGANISATIONS,
    PERSONS,
    VLAIO_OVO_CODE,
    organisation_of,
    personas_with_register_data,
)
from kmop.registers import numbers
from kmop.registers.models import Denomination, Enterprise, LegalFunction, NationalRegisterPerson
from kmop.registers.synthetic import Population


def test_every_role_has_a_person() -> None:
    roles = {p.key for p in PERSONS}
    assert roles >= {
        "legal_representative",
        "sole_trader",
        "employee",
        "local_admin",
        "provider",
        "foreign_provider",
        "vlaio_staff",
        "vlaio_admin",
    }
    for person in PERSONS:
        assert person.role_nl
        assert person.role_en
        assert person.email.endswith(".example")


def test_numbers_are_valid_and_outside_the_synthetic_ranges() -> None:
    for person in PERSONS:
        assert ssn.validate(person.national_number) == person.national_number
        assert ssn.get_birth_date(person.national_number) == person.birth_date
        assert ssn.get_gender(person.national_number) == person.sex
        assert person.national_number[6:9] in {"997", "998"}
    assert ssn.guess_type(next(p for p in PERSONS if p.key == "foreign_provider").national_number) == "bis"
    for organisation in ORGANISATIONS:
        if organisation.is_enterprise:
            assert vat.validate(organisation.code) == organisation.code
            assert organisation.code.startswith("09")
            if organisation.establishment_number:
                assert organisation.establishment_number.startswith("29")
                assert vat.checksum(organisation.establishment_number) == 0
    for organisation in ORGANISATIONS:
        if organisation.is_enterprise and organisation.kind != "foreign":
            assert iban.is_valid(organisation.iban)  # a Belgian bank account
            assert numbers.validate_belgian_iban(organisation.iban) == organisation.iban
        elif organisation.iban:
            assert numbers.validate_iban(organisation.iban) == organisation.iban
    vlaio = next(o for o in ORGANISATIONS if o.kind == "government")
    assert vlaio.code == VLAIO_OVO_CODE
    # the legal-person representative is in a BV in Gent, the sole trader in Flanders
    sofie = next(p for p in PERSONS if p.key == "legal_representative")
    assert (organisation_of(sofie).juridical_form, organisation_of(sofie).municipality) == ("610", "Gent")
    tom = next(p for p in PERSONS if p.key == "sole_trader")
    assert organisation_of(tom).kind == "natural_person"
    assert 1500 <= int(organisation_of(tom).zipcode) <= 3999


def test_demo_records_fit_the_extract() -> None:
    records = demo_enterprise_records(Population(seed=1, size=10))
    assert {r.number for r in records} == {o.code for o in ORGANISATIONS if o.is_enterprise}
    persons = {p.national_number for r in records for p in r.persons}
    assert persons == {p.national_number for p in PERSONS}
    functions = {
        (f.enterprise_number, f.person_number, f.function_code) for r in records for f in r.functions
    }
    assert ("0912345673", "79051499882", "10002") in functions
    assert ("0923456727", "88070999748", "NP001") in functions
    for record in records:
        for lines in record.lines.values():
            for line in lines:
                assert line.endswith("\n")


@pytest.mark.django_db
def test_personas_without_register_data_still_render() -> None:
    personas = personas_with_register_data()
    assert len(personas) == len(PERSONS)
    assert not any(p["in_register"] for p in personas)
    assert personas[0]["organisation_code"] == "0912.345.673"


@pytest.mark.django_db
def test_personas_with_register_data() -> None:
    NationalRegisterPerson.objects.create(
        national_number="79051499882",
        last_name="Verhaeghe",
        first_name="Sofie",
        birth_date=date(1979, 5, 14),
        sex="F",
    )
    Enterprise.objects.create(
        enterprise_number="0912345673",
        status="AC",
        juridical_situation="000",
        type_of_enterprise="2",
        juridical_form="610",
        start_date=date(2014, 3, 3),
    )
    Denomination.objects.create(
        entity_number="0912345673",
        language="2",
        type_of_denomination="001",
        denomination="Houtatelier Verhaeghe",
    )
    from kmop.audit.services import Actor
    from kmop.registers.services import legal_function_codes_load

    legal_function_codes_load(actor=Actor.system("test"))
    LegalFunction.objects.create(
        enterprise_id="0912345673",
        person_number="79051499882",
        function_id="10002",
        start_date=date(2014, 3, 3),
    )
    sofie = next(p for p in personas_with_register_data() if p["key"] == "legal_representative")
    assert sofie["in_register"]
    assert sofie["organisation_in_register"]
    assert sofie["national_number"] == "79.05.14-998.82"
    assert sofie["functions"] == ["Bestuurder"]
    assert sofie["organisation_iban"] == "BE71 4650 9243 5069"


@pytest.mark.django_db
@override_settings(DEMO_MODE=True)
def test_demo_page_in_demo_mode(client: Client) -> None:
    response = client.get(reverse("web:demo-persons"), HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<caption" in html
    assert 'scope="col"' in html
    assert 'scope="row"' in html
    for person in PERSONS:
        assert person.last_name in html
        assert person.email in html
        assert person.role_nl in html
    assert "79.05.14-998.82" in html
    assert "0912.345.673" in html
    assert VLAIO_OVO_CODE in html


@pytest.mark.django_db
@override_settings(DEMO_MODE=True)
def test_demo_page_in_english(client: Client) -> None:
    client.cookies["kmop_language"] = "en"
    response = client.get(reverse("web:demo-persons"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Legal representative of an enterprise (legal person)" in html


@pytest.mark.django_db
@override_settings(DEMO_MODE=False)
def test_no_demo_page_outside_demo_mode(client: Client) -> None:
    assert client.get(reverse("web:demo-persons")).status_code == 404


def _register_data_for_every_persona() -> None:
    """Every demo person, enterprise, name and function in the registers (as ``kmop seed --scale demo``)."""
    from kmop.audit.services import Actor
    from kmop.registers.services import legal_function_codes_load

    legal_function_codes_load(actor=Actor.system("test"))
    for record in demo_enterprise_records(Population(seed=1, size=10)):
        Enterprise.objects.create(
            enterprise_number=record.number,
            status="AC",
            juridical_situation="000",
            type_of_enterprise=record.type_of_enterprise,
            start_date=record.start_date,
        )
        Denomination.objects.create(
            entity_number=record.number, language="2", type_of_denomination="001", denomination=record.name
        )
        for p in record.persons:
            NationalRegisterPerson.objects.create(
                national_number=p.national_number,
                last_name=p.last_name,
                first_name=p.first_name,
                birth_date=p.birth_date,
                sex=p.sex,
            )
        for f in record.functions:
            LegalFunction.objects.create(
                enterprise_id=f.enterprise_number,
                person_number=f.person_number,
                function_id=f.function_code,
                start_date=f.start_date,
            )


@pytest.mark.django_db
def test_personas_take_a_constant_number_of_queries(django_assert_num_queries: Any) -> None:
    _register_data_for_every_persona()
    with django_assert_num_queries(3):  # persons, enterprise names, current functions
        personas = personas_with_register_data()
    assert all(p["in_register"] for p in personas)
    assert all(p["organisation_in_register"] for p in personas if p["organisation_is_enterprise"])
    els = next(p for p in personas if p["key"] == "provider")
    assert els["functions"] == ["Bestuurder", "Gedelegeerd bestuurder"]


@pytest.mark.django_db
@override_settings(DEMO_MODE=True)
def test_demo_page_takes_a_constant_number_of_queries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    _register_data_for_every_persona()
    with django_assert_max_num_queries(5):  # the three of the personas, and the page's own (session)
        response = client.get(reverse("web:demo-persons"), HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    assert "Houtatelier Verhaeghe" in response.content.decode()

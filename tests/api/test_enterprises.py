"""GET /api/v1/enterprises/ and /api/v1/enterprises/{number}/: the public KBO register."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from kmop.api.selectors import ESTABLISHMENTS_INLINE
from kmop.registers.models import Enterprise, Establishment

from .kbo import (
    ENTERPRISE_A,
    ENTERPRISE_B,
    ENTERPRISE_C,
    assert_problem,
    enterprise_number,
    establishment_number,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/enterprises/"


def detail(number: str) -> str:
    return f"/api/v1/enterprises/{number}/"


def numbers(response) -> list[str]:
    return [item["enterprise_number"] for item in response.json()["results"]]


# --- List -------------------------------------------------------------------------------------------


def test_list_is_paginated_and_ordered_by_number(api_client: APIClient, three_enterprises) -> None:
    response = api_client.get(LIST)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["count"] == 3
    assert body["next"] is None
    assert body["previous"] is None
    assert numbers(response) == sorted([ENTERPRISE_A, ENTERPRISE_B, ENTERPRISE_C])


def test_list_item_has_name_office_and_link(api_client: APIClient, three_enterprises) -> None:
    item = next(i for i in api_client.get(LIST).json()["results"] if i["enterprise_number"] == ENTERPRISE_A)
    assert item["display_number"] == "0403.170.701"
    assert item["name"] == "Bakkerij Janssens"  # the Dutch official name before the French one
    assert item["status"] == "AC"
    assert item["juridical_form"] == "014"
    assert item["type_of_enterprise"] == "2"
    assert item["start_date"] == "2001-03-14"
    assert item["registered_office"]["type_of_address"] == "REGO"
    assert item["registered_office"]["zipcode"] == "9000"
    assert item["registered_office"]["municipality_nl"] == "Gent"
    assert item["url"] == f"http://testserver/api/v1/enterprises/{ENTERPRISE_A}/"
    assert api_client.get(item["url"]).status_code == 200


def test_list_empty_register(api_client: APIClient) -> None:
    body = api_client.get(LIST).json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "janssens"}, [ENTERPRISE_A, ENTERPRISE_B]),  # case-insensitive, part of the name
        ({"q": "BOULANGERIE"}, [ENTERPRISE_A]),  # any language
        ({"q": "ja consult"}, [ENTERPRISE_B]),  # commercial names too
        ({"q": "vestiging"}, []),  # names of establishment units are not enterprise names
        ({"q": "%"}, []),  # LIKE wildcards are literal
        ({"zipcode": "9000"}, [ENTERPRISE_C, ENTERPRISE_A]),
        ({"zipcode": "1000"}, []),
        ({"juridical_form": "610"}, [ENTERPRISE_B]),
        ({"status": "ST"}, [ENTERPRISE_C]),
        ({"q": "janssens", "zipcode": "9000"}, [ENTERPRISE_A]),  # filters combine
        ({"zipcode": "9000", "juridical_form": "014", "status": "AC"}, [ENTERPRISE_A]),
        ({"q": ""}, [ENTERPRISE_C, ENTERPRISE_A, ENTERPRISE_B]),  # blank: no filter
        ({"unknown": "x"}, [ENTERPRISE_C, ENTERPRISE_A, ENTERPRISE_B]),  # unknown parameters are ignored
    ],
)
def test_list_filters(api_client: APIClient, three_enterprises, params, expected) -> None:
    response = api_client.get(LIST, params)
    assert response.status_code == 200
    assert numbers(response) == sorted(expected)
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(
    "value", ["0403170701", "0403.170.701", "BE0403170701", "be 0403 170 701", "403170701"]
)
def test_list_filter_enterprise_number_in_any_format(api_client: APIClient, three_enterprises, value) -> None:
    response = api_client.get(LIST, {"enterprise_number": value})
    assert response.status_code == 200
    assert numbers(response) == [ENTERPRISE_A]


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"enterprise_number": "0403.170.702"}, "enterprise_number", "invalid_enterprise_number"),
        ({"enterprise_number": "hello"}, "enterprise_number", "invalid_enterprise_number"),
        ({"juridical_form": "0140"}, "juridical_form", "max_length"),
        ({"status": "ACTIVE"}, "status", "max_length"),
        ({"q": "x" * 201}, "q", "max_length"),
    ],
)
def test_list_invalid_filter_is_a_validation_problem(api_client: APIClient, params, field, code) -> None:
    body = assert_problem(api_client.get(LIST, params), 400)
    assert body["title"] == "Bad Request"
    assert body["errors"] == [{"field": field, "code": code, "detail": body["detail"]}]


def test_list_several_invalid_filters_each_have_an_error(api_client: APIClient) -> None:
    body = assert_problem(api_client.get(LIST, {"status": "ACTIVE", "enterprise_number": "12"}), 400)
    assert sorted(e["field"] for e in body["errors"]) == ["enterprise_number", "status"]
    assert "2" in body["detail"]


def test_invalid_number_detail_names_the_value(api_client: APIClient) -> None:
    body = assert_problem(api_client.get(LIST, {"enterprise_number": "0403.170.702"}), 400)
    assert "0403.170.702" in body["detail"]


# --- Pagination -------------------------------------------------------------------------------------


def test_pagination_pages(api_client: APIClient, enterprise_factory: Callable[..., Enterprise]) -> None:
    created = sorted(enterprise_factory(enterprise_number(i), f"Onderneming {i}").pk for i in range(5))
    first = api_client.get(LIST, {"page_size": 2}).json()
    assert first["count"] == 5
    assert [i["enterprise_number"] for i in first["results"]] == created[:2]
    second = api_client.get(first["next"]).json()
    assert [i["enterprise_number"] for i in second["results"]] == created[2:4]
    third = api_client.get(second["next"]).json()
    assert [i["enterprise_number"] for i in third["results"]] == created[4:]
    assert third["next"] is None
    assert third["previous"] is not None


def test_page_size_is_at_most_500(api_client: APIClient, db: None) -> None:
    Enterprise.objects.bulk_create(
        Enterprise(
            enterprise_number=enterprise_number(i),
            status="AC",
            juridical_situation="000",
            type_of_enterprise="2",
            start_date=datetime.date(2020, 1, 1),
        )
        for i in range(501)
    )
    body = api_client.get(LIST, {"page_size": 10_000}).json()
    assert body["count"] == 501
    assert len(body["results"]) == 500
    assert body["next"] is not None
    assert len(api_client.get(LIST).json()["results"]) == 50  # the default page size


def test_page_beyond_the_last_is_a_404_problem(api_client: APIClient, three_enterprises) -> None:
    assert_problem(api_client.get(LIST, {"page": 2}), 404)
    assert_problem(api_client.get(LIST, {"page": "abc"}), 404)


# --- Detail -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["0403170701", "0403.170.701", "BE0403170701", "BE0403.170.701", "403170701", "403.170.701"]
)
def test_detail_accepts_the_number_in_any_format(api_client: APIClient, three_enterprises, value) -> None:
    response = api_client.get(detail(value))
    assert response.status_code == 200
    body = response.json()
    assert body["enterprise_number"] == ENTERPRISE_A
    assert body["display_number"] == "0403.170.701"


def test_detail_has_everything_the_register_knows(api_client: APIClient, three_enterprises) -> None:
    body = api_client.get(detail("0403.170.701")).json()
    assert body["name"] == "Bakkerij Janssens"
    assert body["url"] == f"http://testserver/api/v1/enterprises/{ENTERPRISE_A}/"
    assert {(d["language"], d["type_of_denomination"], d["denomination"]) for d in body["denominations"]} == {
        ("2", "001", "Bakkerij Janssens"),
        ("1", "001", "Boulangerie Janssens"),
    }
    assert [(a["type_of_address"], a["zipcode"], a["street_nl"]) for a in body["addresses"]] == [
        ("REGO", "9000", "Kouter")
    ]
    assert body["contacts"] == [
        {"entity_contact": "ENT", "contact_type": "EMAIL", "value": "info@example.be"}
    ]
    assert body["activities"] == [
        {"activity_group": "001", "nace_version": "2008", "nace_code": "62010", "classification": "MAIN"}
    ]
    assert body["establishment_count"] == 2
    assert (
        body["establishments_url"] == f"http://testserver/api/v1/enterprises/{ENTERPRISE_A}/establishments/"
    )
    first, second = body["establishments"]
    assert first["establishment_number"] == establishment_number(0)
    assert first["display_number"].count(".") == 3
    assert first["start_date"] == "2005-01-01"
    assert [(a["type_of_address"], a["zipcode"], a["house_number"]) for a in first["addresses"]] == [
        ("BAET", "2000", "1")
    ]
    assert [d["denomination"] for d in first["denominations"]] == ["Bakkerij Janssens vestiging 1"]
    assert second["addresses"][0]["house_number"] == "2"


def test_detail_of_an_enterprise_without_establishments(api_client: APIClient, three_enterprises) -> None:
    body = api_client.get(detail(ENTERPRISE_B)).json()
    assert body["establishments"] == []
    assert body["establishment_count"] == 0
    assert [d["denomination"] for d in body["denominations"]] == ["Janssens Advies", "JA Consult"]


@pytest.mark.parametrize("value", ["0403.170.702", "123", "abc", "04031707011", "BE"])
def test_detail_invalid_number_is_a_400_problem(api_client: APIClient, db: None, value) -> None:
    body = assert_problem(api_client.get(detail(value)), 400)
    assert value in body["detail"]
    assert "ondernemingsnummer" in body["detail"]
    assert body["errors"] == [
        {"field": "enterprise_number", "code": "invalid_enterprise_number", "detail": body["detail"]}
    ]


def test_detail_unknown_number_is_a_404_problem(api_client: APIClient, three_enterprises) -> None:
    unknown = enterprise_number(99)
    body = assert_problem(api_client.get(detail(unknown)), 404)
    assert body["title"] == "Not Found"
    assert f"{unknown[:4]}.{unknown[4:7]}.{unknown[7:]}" in body["detail"]
    assert "errors" not in body


def test_detail_in_english(api_client: APIClient, db: None) -> None:
    body = assert_problem(api_client.get(detail("123"), HTTP_ACCEPT_LANGUAGE="en"), 400)
    assert body["detail"] == "123 is not a valid enterprise number."
    assert body["title"] == "Bad Request"  # the HTTP reason phrase, in every language


def test_detail_inlines_at_most_100_establishments(
    api_client: APIClient, enterprise_factory: Callable[..., Enterprise]
) -> None:
    enterprise = enterprise_factory(ENTERPRISE_A, "Grote Keten")
    Establishment.objects.bulk_create(
        Establishment(
            establishment_number=establishment_number(i),
            enterprise=enterprise,
            start_date=datetime.date(2010, 1, 1),
        )
        for i in range(ESTABLISHMENTS_INLINE + 3)
    )
    body = api_client.get(detail(ENTERPRISE_A)).json()
    assert body["establishment_count"] == ESTABLISHMENTS_INLINE + 3
    assert len(body["establishments"]) == ESTABLISHMENTS_INLINE
    listed = api_client.get(body["establishments_url"], {"page_size": 500}).json()
    assert listed["count"] == ESTABLISHMENTS_INLINE + 3
    assert [e["establishment_number"] for e in listed["results"]] == sorted(
        establishment_number(i) for i in range(ESTABLISHMENTS_INLINE + 3)
    )


# --- Establishments ---------------------------------------------------------------------------------


def test_establishments_list(api_client: APIClient, three_enterprises) -> None:
    response = api_client.get(f"/api/v1/enterprises/{ENTERPRISE_A}/establishments/", {"page_size": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["next"] is not None
    (unit,) = body["results"]
    assert unit["establishment_number"] == establishment_number(0)
    assert unit["addresses"][0]["municipality_nl"] == "Antwerpen"


def test_establishments_of_unknown_or_invalid_enterprise(api_client: APIClient, three_enterprises) -> None:
    assert_problem(api_client.get(f"/api/v1/enterprises/{enterprise_number(98)}/establishments/"), 404)
    assert_problem(api_client.get("/api/v1/enterprises/0403.170.702/establishments/"), 400)
    empty = api_client.get(f"/api/v1/enterprises/{ENTERPRISE_B}/establishments/").json()
    assert empty["count"] == 0


# --- Methods ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("url", [LIST, detail(ENTERPRISE_A), "/api/v1/"])
def test_writes_are_405_problems(api_client: APIClient, three_enterprises, method, url) -> None:
    response = getattr(api_client, method)(url, {"status": "ST"}, format="json")
    body = assert_problem(response, 405)
    assert body["title"] == "Method Not Allowed"
    assert method.upper() in body["detail"]
    assert "GET" in response["Allow"]
    assert Enterprise.objects.get(pk=ENTERPRISE_A).status == "AC"


def test_head_and_options(api_client: APIClient, three_enterprises) -> None:
    assert api_client.head(LIST).status_code == 200
    assert api_client.options(LIST).status_code == 200


# --- Query count ------------------------------------------------------------------------------------


def test_list_queries_do_not_grow_with_the_page(
    api_client: APIClient, enterprise_factory: Callable[..., Enterprise], django_assert_max_num_queries
) -> None:
    for i in range(3):
        enterprise_factory(enterprise_number(i), f"Onderneming {i}", establishments=1, establishment_seq=i)
    # count, page, names, registered offices
    with django_assert_max_num_queries(4):
        assert len(api_client.get(LIST, {"q": "onderneming", "zipcode": "9000"}).json()["results"]) == 3
    for i in range(3, 30):
        enterprise_factory(enterprise_number(i), f"Onderneming {i}", establishments=1, establishment_seq=i)
    with django_assert_max_num_queries(4):
        assert len(api_client.get(LIST, {"q": "onderneming", "zipcode": "9000"}).json()["results"]) == 30


def test_detail_queries_do_not_grow_with_the_establishments(
    api_client: APIClient, enterprise_factory: Callable[..., Enterprise], django_assert_max_num_queries
) -> None:
    enterprise_factory(ENTERPRISE_A, "Klein", establishments=1)
    enterprise_factory(ENTERPRISE_B, "Groot", establishments=40, establishment_seq=100)
    # enterprise, establishments, then names, addresses, contacts and activities of all of them
    for number in (ENTERPRISE_A, ENTERPRISE_B):
        with django_assert_max_num_queries(6):
            assert api_client.get(detail(number)).status_code == 200
    # exists, count, page, then names, addresses, contacts and activities of the page
    with django_assert_max_num_queries(7):
        response = api_client.get(f"/api/v1/enterprises/{ENTERPRISE_B}/establishments/")
    assert len(response.json()["results"]) == 40

# ruff: noqa: F811  (the projects tests' fixtures, imported by name)
"""The enterprise endpoints of API v1 with an API token: the ondernemingsfoto, applications (idempotent),
the preview, a project with its wallet, payment orders, stop and cancel; every refusal reason as a problem
with its code, bad input as a 400 with the field, another enterprise's project a 404 with nothing changed,
English messages with Accept-Language: en."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from kmop.audit.models import AuditEvent
from kmop.projects.models import Project, ProjectStatus, SizeClassYear, YearBudget
from kmop.registers.models import Activity, Address, Enterprise, LegalFunction
from kmop.schemes import services as scheme_services
from kmop.wallet import camt
from kmop.wallet.models import Payout
from tests.idm.conftest import ELS, SOFIE, SYSTEM, A, B
from tests.projects.conftest import (  # noqa: F401  (fixtures)
    Setting,
    _fresh_cache,
    clock,
    setting,
    world,
)
from tests.wallet.conftest import Credit, statement, stream

from .kbo import assert_problem
from .test_tokens import bearer, make_token

PROJECTS = "/api/v1/projects/"
PREVIEW = "/api/v1/projects/preview/"
ENTERPRISE = "/api/v1/enterprise/"

APPLICATION: dict[str, Any] = {
    "registration": "DV.O000001",
    "service": "opleiding",
    "theme": "bedrijfsstrategie",
    "subtheme": "",
    "training_type": "klassikaal",
    "title": "Strategische planning voor kmo's",
    "start_date": "2025-03-03",
    "hours": "16.00",
    "amount": "1000.00",
    "participants": 2,
    "size_class": "KO",
    "declaration": True,
}


@pytest.fixture
def api(setting: Setting) -> APIClient:
    return bearer(make_token(setting)[1])


def submit(api: APIClient, key: str = "key-1", language: str = "", **overrides: Any) -> Any:
    headers: dict[str, str] = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    return api.post(PROJECTS, {**APPLICATION, **overrides}, format="json", **headers)


def filed(api: APIClient, key: str = "key-1", **overrides: Any) -> Project:
    response = submit(api, key, **overrides)
    assert response.status_code == 201, response.content
    return Project.objects.get(number=response.json()["number"])


def running(api: APIClient, key: str = "key-1", **overrides: Any) -> Project:
    project = filed(api, key, **overrides)
    camt.import_statement(
        stream(
            statement(
                Credit(str(project.own_contribution), project.structured_reference_display),
                statement_id=f"S-{project.number}",
            )
        ),
        actor=SYSTEM,
    )
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    return project


def url(project: Project, action: str = "") -> str:
    return f"{PROJECTS}{project.number}/" + (f"{action}/" if action else "")


def nothing_written() -> None:
    assert not Project.objects.exists()
    assert not YearBudget.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="projects.").exists()


# --- the ondernemingsfoto -----------------------------------------------------------------------------------


def test_enterprise_without_data(api: APIClient) -> None:
    body = api.get(ENTERPRISE).json()
    assert body["identity"]["enterprise_number"] == B
    assert body["identity"]["display_number"] == "0934.567.878"
    assert body["year"] == 2025
    assert body["budget"] is None
    assert body["earlier_years"] == []
    assert body["deposits_owed"] == []
    assert body["profile_completed"] is True


def test_enterprise_with_projects_budget_and_earlier_years(api: APIClient, setting: Setting) -> None:
    project = filed(api)
    YearBudget.objects.create(
        organisation=setting.enterprise, year=2024, cap=Decimal("7500"), used=Decimal("1200")
    )
    SizeClassYear.objects.create(organisation=setting.enterprise, year=2024, size_class="MO")
    body = api.get(ENTERPRISE).json()
    assert body["size_class"] == "KO"
    assert body["size_class_locked"] is True
    assert body["budget"] == {
        "year": 2025,
        "size_class": "KO",
        "size_class_locked": True,
        "cap": "7500.00",
        "used": "300.00",
        "left": "7200.00",
    }
    assert body["earlier_years"][0]["year"] == 2024
    assert body["earlier_years"][0]["used"] == "1200.00"
    assert body["earlier_years"][0]["left"] == "6300.00"
    assert body["earlier_years"][0]["size_class"] == "MO"
    (owed,) = body["deposits_owed"]
    assert owed["number"] == project.number
    assert owed["own_contribution"] == "700.00"
    assert owed["structured_reference"] == project.structured_reference_display
    assert owed["deposit_deadline"] == project.deposit_deadline.isoformat()


# --- applications -------------------------------------------------------------------------------------------


def test_submit(api: APIClient, setting: Setting) -> None:
    response = submit(api)
    assert response.status_code == 201, response.content
    body = response.json()
    project = Project.objects.get()
    assert body["number"] == project.number
    assert body["number"].startswith("2025KMO")
    assert body["status"] == "Bevestigd"
    assert body["amount"] == "1000.00"
    assert body["subsidy"] == "300.00"
    assert body["own_contribution"] == "700.00"
    assert body["structured_reference"] == project.structured_reference_display
    assert body["structured_reference"].startswith("+++")
    assert body["deposit_deadline"] == project.deposit_deadline.isoformat()
    assert body["wallet"] == {"balance": "0.00", "entries": []}
    assert project.organisation == setting.enterprise
    assert project.idempotency_key == "api:key-1"
    event = AuditEvent.objects.get(action="projects.application.submit")
    assert event.organisation_code == B
    assert event.actor is not None
    assert event.actor.national_number == ELS
    assert "API-sleutel" in event.actor_label


def test_submit_twice_with_the_same_key_files_one_project(api: APIClient) -> None:
    first = submit(api, "same")
    again = submit(api, "same")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert Project.objects.count() == 1
    assert AuditEvent.objects.filter(action="projects.application.submit").count() == 1
    assert YearBudget.objects.get().used == Decimal("300.00")
    # another key is another application
    other = submit(api, "other")
    assert other.status_code == 201
    assert other.json()["number"] != first.json()["number"]


def test_the_same_key_for_another_application_is_refused(api: APIClient) -> None:
    submit(api, "same")
    body = assert_problem(submit(api, "same", amount="2000.00"), 422)
    assert body["code"] == "idempotency_key_reused"
    assert Project.objects.count() == 1


@pytest.mark.parametrize(
    ("key", "code"), [("", "idempotency_key_required"), ("x" * 61, "idempotency_key_invalid")]
)
def test_idempotency_key_required(api: APIClient, key: str, code: str) -> None:
    body = assert_problem(submit(api, key), 400)
    assert body["code"] == "invalid_request"
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert body["errors"][0]["code"] == code
    nothing_written()


def test_declaration_of_honour_required(api: APIClient) -> None:
    body = assert_problem(submit(api, declaration=False), 400)
    assert body["errors"] == [
        {
            "field": "declaration",
            "code": "declaration_required",
            "detail": "Bevestig de verklaring op erewoord.",
        }
    ]
    nothing_written()


def test_size_class_from_the_year_or_required(api: APIClient, setting: Setting) -> None:
    data = {k: v for k, v in APPLICATION.items() if k != "size_class"}
    response = api.post(PROJECTS, data, format="json", HTTP_IDEMPOTENCY_KEY="a")
    body = assert_problem(response, 400)
    assert body["errors"][0]["field"] == "size_class"
    nothing_written()
    SizeClassYear.objects.create(organisation=setting.enterprise, year=2025, size_class="MO")
    response = api.post(PROJECTS, data, format="json", HTTP_IDEMPOTENCY_KEY="a")
    assert response.status_code == 201
    assert response.json()["size_class"] == "MO"
    assert response.json()["subsidy"] == "200.00"


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (1000.0, "not_a_string"),
        (1000, "not_a_string"),
        (None, "null"),
        ("1000", "decimals"),
        ("1000.5", "decimals"),
        ("1000.001", "decimals"),
        ("1,000.00", "invalid"),
        ("1e5", "invalid"),
        ("NaN", "invalid"),
        ("abc", "invalid"),
        ("-5.00", "not_positive"),
        ("0.00", "not_positive"),
        ("100000000.00", "too_large"),
        ("99999999999999999999.00", "too_large"),
    ],
)
def test_bad_amounts(api: APIClient, amount: Any, code: str) -> None:
    body = assert_problem(submit(api, amount=amount), 400)
    assert body["code"] == "invalid_request"
    (error,) = body["errors"]
    assert error["field"] == "amount"
    assert error["code"] == code
    nothing_written()


@pytest.mark.parametrize("start", ["2025-02-30", "2025-13-01", "03/03/2025", "2025-3-3x", "", 20250303])
def test_bad_dates(api: APIClient, start: Any) -> None:
    body = assert_problem(submit(api, start_date=start), 400)
    assert [e["field"] for e in body["errors"]] == ["start_date"]
    nothing_written()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hours", "0"),
        ("hours", "1.234"),
        ("hours", "abc"),
        ("participants", 0),
        ("title", ""),
        ("service", "x"),
    ],
)
def test_other_bad_fields(api: APIClient, field: str, value: Any) -> None:
    body = assert_problem(submit(api, **{field: value}), 400)
    assert [e["field"] for e in body["errors"]] == [field]
    nothing_written()


def test_not_json(api: APIClient) -> None:
    response = api.post(PROJECTS, "{nope", content_type="application/json", HTTP_IDEMPOTENCY_KEY="a")
    assert_problem(response, 400)
    nothing_written()


# --- every refusal reason -----------------------------------------------------------------------------------


def _related(setting: Setting) -> None:
    LegalFunction.objects.create(
        enterprise_id=A, person_number=ELS, function_id="10002", start_date=date(2020, 1, 1)
    )


REFUSALS: list[tuple[str, dict[str, Any], Any]] = [
    ("outside_filing_window", {"start_date": "2025-02-20"}, None),
    ("below_minimum", {"amount": "99.99"}, None),
    ("below_minimum", {"service": "advies", "registration": "DV.A000002", "amount": "499.00"}, None),
    ("excluded_service", {"title": "Workshop mindfulness op de werkvloer"}, None),
    ("theme_missing", {"theme": ""}, None),
    ("theme_not_in_regime", {"theme": "astrologie"}, None),
    ("subtheme_missing", {"theme": "digitalisering"}, None),
    ("large_enterprise", {"size_class": "GO"}, None),
    ("provider_not_registered", {"registration": "DV.O999999"}, None),
    ("provider_not_registered", {"registration": "DV.A000002"}, None),
    ("related_enterprise", {}, _related),
    ("not_eligible", {}, lambda s: Address.objects.filter(entity_number=B).update(zipcode="5000")),
    ("legal_form_not_accepted", {}, lambda s: Enterprise.objects.filter(pk=B).update(juridical_form="017")),
    ("nace_not_accepted", {}, lambda s: Activity.objects.filter(entity_number=B).update(nace_code="01110")),
]


@pytest.mark.parametrize(("code", "overrides", "prepare"), REFUSALS)
def test_refusal_reasons(
    api: APIClient, setting: Setting, code: str, overrides: dict[str, Any], prepare: Any
) -> None:
    if prepare is not None:
        prepare(setting)
    body = assert_problem(submit(api, **overrides), 422)
    assert body["code"] == "application_refused"
    assert [r["code"] for r in body["refusals"]] == [code]
    assert body["refusals"][0]["detail"]
    assert body["refusals"][0]["detail"] in body["detail"]
    nothing_written()


def test_an_enterprise_stopped_in_the_kbo_applies_with_no_token(api: APIClient, setting: Setting) -> None:
    """Stopped in the KBO: the token stops working (as the web refuses to act for it), so the API never gets
    to the rule of eligibility (``test_refusals.test_not_eligible_not_active``)."""
    Enterprise.objects.filter(pk=B).update(status="ST")
    body = assert_problem(submit(api), 401)
    assert body["code"] == "organisation_inactive"
    nothing_written()


def test_service_not_in_the_regime(setting: Setting, clock: Any) -> None:
    # from 1 February 2026 advice only counts for cybersecurity
    clock.move_to(date(2026, 3, 10))
    api = bearer(make_token(setting)[1])
    body = assert_problem(
        submit(
            api,
            service="advies",
            registration="DV.A000002",
            amount="2000.00",
            start_date="2026-03-05",
        ),
        422,
    )
    assert [r["code"] for r in body["refusals"]] == ["service_not_in_regime"]
    nothing_written()


def test_cap_used_up_in_dutch_and_english(api: APIClient) -> None:
    filed(api, "big", amount="25000.00")  # 7 500: the whole cap
    dutch = assert_problem(submit(api, "next", title="Nog een opleiding"), 422)
    assert [r["code"] for r in dutch["refusals"]] == ["cap_used_up"]
    assert "Het jaarplafond van 7500" in dutch["detail"]
    english = assert_problem(submit(api, "next", language="en", title="Nog een opleiding"), 422)
    assert [r["code"] for r in english["refusals"]] == ["cap_used_up"]
    assert "The annual cap of 7500" in english["refusals"][0]["detail"]
    assert english["title"] == "Unprocessable Content"
    assert Project.objects.count() == 1
    assert YearBudget.objects.get().used == Decimal("7500.00")


def test_field_messages_in_english(api: APIClient) -> None:
    dutch = assert_problem(submit(api, start_date="2025-02-30"), 400)
    english = assert_problem(submit(api, language="en", start_date="2025-02-30"), 400)
    assert english["errors"][0]["code"] == dutch["errors"][0]["code"] == "invalid"
    assert "Date has wrong format" in english["errors"][0]["detail"]
    assert english["errors"][0]["detail"] != dutch["errors"][0]["detail"]


# --- preview ------------------------------------------------------------------------------------------------


def test_preview(api: APIClient) -> None:
    response = api.post(PREVIEW, APPLICATION, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True
    assert body["subsidy"] == "300.00"
    assert body["own_contribution"] == "700.00"
    assert body["cap"] == "7500.00"
    assert body["cap_left"] == "7500.00"
    assert body["refusals"] == []
    assert body["application_date"] == "2025-03-10"
    nothing_written()


def test_preview_with_refusals(api: APIClient) -> None:
    body = api.post(PREVIEW, {**APPLICATION, "amount": "50.00", "theme": ""}, format="json").json()
    assert body["ok"] is False
    assert sorted(r["code"] for r in body["refusals"]) == ["below_minimum", "theme_missing"]
    assert body["subsidy"] is None
    nothing_written()


@pytest.mark.parametrize(
    ("field", "value"), [("amount", "10.001"), ("amount", 10.5), ("start_date", "2025-02-29")]
)
def test_preview_bad_input(api: APIClient, field: str, value: Any) -> None:
    body = assert_problem(api.post(PREVIEW, {**APPLICATION, field: value}, format="json"), 400)
    assert [e["field"] for e in body["errors"]] == [field]


# --- the list and one project -------------------------------------------------------------------------------


def test_list_keyset_pages_and_filters(api: APIClient) -> None:
    projects = [filed(api, f"k{i}", title=f"Opleiding {i}") for i in range(3)]
    projects[0].refresh_from_db()
    first = api.get(PROJECTS, {"page_size": 2}).json()
    assert [p["number"] for p in first["results"]] == [projects[2].number, projects[1].number]
    assert first["next"]
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert [p["number"] for p in second["results"]] == [projects[0].number]
    assert second["next"] is None
    api.post(url(projects[1], "cancel"), {}, format="json")
    cancelled = api.get(PROJECTS, {"status": "ProjectGeannuleerd"}).json()["results"]
    assert [p["number"] for p in cancelled] == [projects[1].number]
    by_reference = api.get(
        PROJECTS, {"structured_reference": projects[0].structured_reference_display}
    ).json()
    assert [p["number"] for p in by_reference["results"]] == [projects[0].number]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "Bezig"}, "status"),
        ({"structured_reference": "+++123/4567/89013+++"}, "structured_reference"),
        ({"structured_reference": "12345"}, "structured_reference"),
        ({"page": "not-a-token"}, "page"),
        ({"page_size": "abc"}, None),
    ],
)
def test_list_bad_parameters(api: APIClient, params: dict[str, str], field: str | None) -> None:
    filed(api)
    response = api.get(PROJECTS, params)
    if field is None:  # DRF falls back to the default page size
        assert response.status_code == 200
        return
    body = assert_problem(response, 400)
    assert [e["field"] for e in body["errors"]] == [field]


def test_project_with_its_wallet(api: APIClient) -> None:
    project = running(api)
    body = api.get(url(project)).json()
    assert body["status"] == "Lopend"
    assert body["wallet"]["balance"] == "1000.00"
    assert sorted(e["amount"] for e in body["wallet"]["entries"]) == ["300.00", "700.00"]
    assert {e["kind"] for e in body["wallet"]["entries"]} == {"deposit", "subsidy"}
    assert [h["to_status"] for h in body["history"]] == ["Bevestigd", "Lopend"]
    assert body["payment_orders"] == []


def test_unknown_project(api: APIClient) -> None:
    body = assert_problem(api.get(f"{PROJECTS}2025KMO999999/"), 404)
    assert body["code"] == "project_not_found"


# --- payment orders, stop, cancel ---------------------------------------------------------------------------


def pay(api: APIClient, project: Project, amount: Any, invoice: str = "F-2025-001", key: str = "") -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post(
        url(project, "payment-orders"),
        {"invoice_number": invoice, "amount": amount},
        format="json",
        **headers,
    )


def test_payment_orders_until_finished(api: APIClient) -> None:
    project = running(api)
    response = pay(api, project, "400.00")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "400.00"
    assert body["balance"] == "600.00"
    assert body["project_status"] == "Lopend"
    assert body["invoice_number"] == "F-2025-001"
    assert body["exported"] is False
    assert body["iban"]
    detail = api.get(url(project)).json()
    assert detail["wallet"]["balance"] == "600.00"
    assert "-400.00" in [e["amount"] for e in detail["wallet"]["entries"]]
    assert [p["amount"] for p in detail["payment_orders"]] == ["400.00"]
    last = pay(api, project, "600.00", "F-2025-002").json()
    assert last["balance"] == "0.00"
    assert last["project_status"] == "Afgewerkt"
    assert AuditEvent.objects.filter(action="wallet.payment_order.create").count() == 2


def test_payment_order_idempotent(api: APIClient) -> None:
    project = running(api)
    first = pay(api, project, "400.00", key="pay-1")
    again = pay(api, project, "400.00", key="pay-1")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Payout.objects.filter(kind="provider").count() == 1
    reused = assert_problem(pay(api, project, "300.00", key="pay-1"), 422)
    assert reused["code"] == "idempotency_key_reused"
    assert Payout.objects.filter(kind="provider").count() == 1
    assert api.get(url(project)).json()["wallet"]["balance"] == "600.00"


def test_payment_order_over_the_balance(api: APIClient) -> None:
    project = running(api)
    body = assert_problem(pay(api, project, "1000.01", key="k"), 422)
    assert body["code"] == "insufficient_balance"
    assert not Payout.objects.filter(kind="provider").exists()
    # the refused request left no key behind: the same key with a correct amount works
    assert pay(api, project, "1000.00", key="k").status_code == 201


def test_payment_order_before_the_deposit(api: APIClient) -> None:
    project = filed(api)
    body = assert_problem(pay(api, project, "100.00"), 409)
    assert body["code"] == "project_not_running"
    assert not Payout.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"invoice_number": "F1", "amount": "10.001"}, "amount"),
        ({"invoice_number": "F1", "amount": 10.0}, "amount"),
        ({"invoice_number": "F1", "amount": "-5.00"}, "amount"),
        ({"invoice_number": "F1", "amount": "1e3"}, "amount"),
        ({"invoice_number": "", "amount": "10.00"}, "invoice_number"),
        ({"invoice_number": "F" * 36, "amount": "10.00"}, "invoice_number"),
        ({"invoice_number": "   ", "amount": "10.00"}, "invoice_number"),
    ],
)
def test_bad_payment_orders(api: APIClient, data: dict[str, Any], field: str) -> None:
    project = running(api)
    body = assert_problem(api.post(url(project, "payment-orders"), data, format="json"), 400)
    assert [e["field"] for e in body["errors"]] == [field]
    assert not Payout.objects.filter(kind="provider").exists()


def test_stop(api: APIClient) -> None:
    project = running(api)
    body = assert_problem(api.post(url(project, "stop"), {"reason": ""}, format="json"), 400)
    assert body["errors"][0]["field"] == "reason"
    response = api.post(url(project, "stop"), {"reason": "De opleiding gaat niet door."}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "StopzettingAangevraagd"
    project.refresh_from_db()
    assert project.status == ProjectStatus.STOPZETTING_AANGEVRAAGD
    assert AuditEvent.objects.filter(action="projects.project.request_stop").count() == 1
    again = assert_problem(api.post(url(project, "stop"), {"reason": "Nog eens."}, format="json"), 409)
    assert again["code"] == "transition_not_allowed"


def test_stop_before_the_deposit_is_refused(api: APIClient) -> None:
    project = filed(api)
    body = assert_problem(api.post(url(project, "stop"), {"reason": "x"}, format="json"), 409)
    assert body["code"] == "transition_not_allowed"
    assert "Bevestigd" in body["detail"]
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD


def test_cancel_releases_the_budget(api: APIClient) -> None:
    project = filed(api)
    assert YearBudget.objects.get().used == Decimal("300.00")
    response = api.post(url(project, "cancel"), {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ProjectGeannuleerd"
    assert YearBudget.objects.get().used == Decimal("0.00")
    assert AuditEvent.objects.filter(action="projects.project.cancel").count() == 1
    body = assert_problem(api.post(url(project, "cancel"), {}, format="json"), 409)
    assert body["code"] == "transition_not_allowed"
    assert "eindstatus" in body["detail"]


# --- scoping and authentication -----------------------------------------------------------------------------


def test_another_enterprises_project_is_not_found_and_nothing_changes(
    api: APIClient, setting: Setting
) -> None:
    project = running(api)
    other = bearer(make_token(setting, SOFIE, A)[1])  # Sofie's token for enterprise A
    events = AuditEvent.objects.count()
    for method, path, data in (
        ("get", url(project), None),
        ("post", url(project, "cancel"), {}),
        ("post", url(project, "stop"), {"reason": "x"}),
        ("post", url(project, "payment-orders"), {"invoice_number": "F1", "amount": "10.00"}),
    ):
        response = getattr(other, method)(path, data, format="json")
        assert assert_problem(response, 404)["code"] == "project_not_found", path
    assert other.get(PROJECTS).json()["results"] == []
    ref = project.structured_reference_display
    assert other.get(PROJECTS, {"structured_reference": ref}).json()["results"] == []
    assert other.get(ENTERPRISE).json()["identity"]["enterprise_number"] == A
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    assert not Payout.objects.filter(kind="provider").exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ENTERPRISE),
        ("get", PROJECTS),
        ("post", PROJECTS),
        ("post", PREVIEW),
        ("get", f"{PROJECTS}2025KMO000001/"),
        ("post", f"{PROJECTS}2025KMO000001/payment-orders/"),
        ("post", f"{PROJECTS}2025KMO000001/stop/"),
        ("post", f"{PROJECTS}2025KMO000001/cancel/"),
    ],
)
def test_every_endpoint_needs_a_token(api: APIClient, method: str, path: str) -> None:
    project = filed(api)
    assert project.number == "2025KMO000001"
    response = getattr(APIClient(), method)(path, APPLICATION, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert assert_problem(response, 401)["code"] == "token_missing"
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD
    assert Project.objects.count() == 1


# --- the same request at the same moment (PostgreSQL: real threads and connections) ------------------------


def _at_once(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = []
    lock = threading.Lock()

    def runner() -> None:
        try:
            barrier.wait(timeout=60)
            result = work()
        except BaseException as error:  # collected for the assertion
            result = error
        finally:
            connections.close_all()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=runner) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    return results


def concurrent(test: Any) -> Any:
    """The marks of a test with real threads and connections (PostgreSQL)."""
    for mark in (
        pytest.mark.postgres,
        pytest.mark.django_db(transaction=True),
        pytest.mark.skipif(
            connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"
        ),
    ):
        test = mark(test)
    return test


@pytest.fixture
def _schemes(db: None) -> None:
    scheme_services.scheme_data_load(actor=SYSTEM)  # a transactional test flushes what the migration loaded


@pytest.mark.usefixtures("_schemes")
@concurrent
def test_the_same_application_at_once_files_one_project(setting: Setting) -> None:
    secret = make_token(setting)[1]
    responses = _at_once(8, lambda: submit(bearer(secret), "same"))
    assert all(not isinstance(r, BaseException) for r in responses), responses
    assert sorted({r.status_code for r in responses}) in ([201], [200, 201])
    assert len({r.json()["number"] for r in responses}) == 1
    assert Project.objects.count() == 1
    assert YearBudget.objects.get().used == Decimal("300.00")


@pytest.mark.usefixtures("_schemes")
@concurrent
def test_the_same_payment_order_at_once_pays_once(setting: Setting) -> None:
    secret = make_token(setting)[1]
    project = running(bearer(secret))
    responses = _at_once(8, lambda: pay(bearer(secret), project, "400.00", key="pay-1"))
    assert all(not isinstance(r, BaseException) for r in responses), responses
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Payout.objects.filter(kind="provider").count() == 1
    assert bearer(secret).get(url(project)).json()["wallet"]["balance"] == "600.00"

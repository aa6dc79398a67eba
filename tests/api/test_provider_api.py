# ruff: noqa: F811  (the projects tests' fixtures, imported by name)
"""The provider endpoints of API v1 (/api/v1/provider/) with a provider's API token: the token's scope kept
apart from an enterprise's, the registrations, the projects (every filter, keyset pagination, amounts as
strings), the detail with its history, and the three reactions (cancel, stop with a proof document, report)
with their Idempotency-Key, each refusal as a problem with its code, another provider's project a 404 with
nothing changed, every change audited with the token."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from kmop.api import services
from kmop.api.models import ApiToken, TokenScope
from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.projects import proofs
from kmop.projects import services as project_services
from kmop.projects.models import Project, ProjectReport, ProjectStatus, ProjectStatusChange
from kmop.providers import services as provider_services
from kmop.providers.models import Registration
from kmop.schemes import services as scheme_services
from kmop.wallet import services as wallet_services
from tests.idm.conftest import SOFIE, SYSTEM, A, N, actor
from tests.projects.conftest import (  # noqa: F401  (fixtures)
    Setting,
    _fresh_cache,
    clock,
    make_registration,
    setting,
    world,
)
from tests.providers.conftest import IBAN_2, sign_up_data

from .kbo import assert_problem
from .test_projects_api import _at_once, concurrent
from .test_tokens import bearer, make_token

BASE = "/api/v1/provider/"
REGISTRATIONS = f"{BASE}registrations/"
PROJECTS = f"{BASE}projects/"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def provider_token(setting: Setting, who: Actor | None = None) -> tuple[ApiToken, str]:
    return services.api_token_create(
        actor=who or actor(SOFIE, A),
        organisation=setting.provider.organisation,
        name="Planning",
        validity_days=90,
        scope=TokenScope.PROVIDER,
    )


@pytest.fixture
def token(setting: Setting) -> tuple[ApiToken, str]:
    return provider_token(setting)


@pytest.fixture
def api(token: tuple[ApiToken, str]) -> APIClient:
    return bearer(token[1])


@pytest.fixture
def other(setting: Setting) -> Registration:
    """Another provider (enterprise N) with its own registration."""
    provider = provider_services.provider_sign_up(
        actor=SYSTEM, **sign_up_data(enterprise_number=N, legal_name="Andere Opleider NV", iban=IBAN_2)
    )
    return make_registration(provider, "DV.O000003", "opleiding")


def running(setting: Setting, **overrides: Any) -> Project:
    project = setting.submit(**overrides)
    wallet_services.book_deposit(
        actor=SYSTEM, project=project, amount=project.own_contribution, reference=f"t-{project.number}"
    )
    return project_services.project_mark_deposited(actor=SYSTEM, project=project)


def finished(setting: Setting, **overrides: Any) -> Project:
    return project_services.project_mark_finished(actor=SYSTEM, project=running(setting, **overrides))


def url(project: Project, action: str = "") -> str:
    return f"{PROJECTS}{project.number}/" + (f"{action}/" if action else "")


def react(
    api: APIClient, project: Project, action: str, data: dict[str, Any], key: str = "k-1", **kw: Any
) -> Any:
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    fmt = "multipart" if action == "stop" else "json"
    return api.post(url(project, action), data, format=kw.get("format", fmt), **headers)


def proof(content: bytes = PDF, name: str = "attest.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def unchanged(project: Project) -> None:
    status = project.status
    project.refresh_from_db()
    assert project.status == status
    assert not AuditEvent.objects.filter(
        action__in=["projects.project.cancel", "projects.project.request_stop", "projects.report.create"]
    ).exists()
    assert not ProjectReport.objects.exists()


# --- the token and its scope --------------------------------------------------------------------------------


def test_without_a_token_401(setting: Setting) -> None:
    response = APIClient().get(PROJECTS)
    body = assert_problem(response, 401)
    assert body["code"] == "token_missing"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_enterprise_token_cannot_read_the_provider_endpoints(setting: Setting) -> None:
    enterprise = bearer(make_token(setting)[1])
    for path in (REGISTRATIONS, PROJECTS):
        assert assert_problem(enterprise.get(path), 403)["code"] == "token_scope_mismatch"


def test_a_provider_token_cannot_use_the_enterprise_endpoints(api: APIClient, setting: Setting) -> None:
    project = setting.submit()
    for response in (
        api.get("/api/v1/enterprise/"),
        api.get("/api/v1/projects/"),
        api.post(f"/api/v1/projects/{project.number}/cancel/", {"reason": "x"}, format="json"),
    ):
        assert assert_problem(response, 403)["code"] == "token_scope_mismatch"
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD


def test_a_password_login_token_acts_as_the_provider(setting: Setting) -> None:
    provider_services.provider_password_set(
        actor=SYSTEM, provider=setting.provider, password="Kmo-portefeuille-2025!"
    )
    setting.provider.refresh_from_db()
    who = Actor.provider_password(setting.provider.login, setting.provider.organisation.code)
    token, secret = provider_token(setting, who)
    project = setting.submit()
    response = react(bearer(secret), project, "cancel", {"reason": "Opleiding gaat niet door."})
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action="projects.project.cancel")
    assert event.actor is None
    assert event.actor_label == f"dienstverlener-login:{setting.provider.login} (API-sleutel {token.key_id})"
    assert event.acr == "api-token"


def test_a_token_of_a_person_without_the_provider_right_is_refused(setting: Setting) -> None:
    # Jonas works for A without the provider profile: he may not make a provider token
    from kmop.idm.errors import NotAllowed
    from tests.idm.conftest import JONAS

    with pytest.raises(NotAllowed):
        provider_token(setting, actor(JONAS, A))
    assert not ApiToken.objects.exists()


# --- registrations ------------------------------------------------------------------------------------------


def test_registrations_of_the_provider_only(api: APIClient, setting: Setting, other: Registration) -> None:
    body = api.get(REGISTRATIONS).json()
    assert [r["number"] for r in body["results"]] == ["DV.A000002", "DV.O000001"]
    first = body["results"][1]
    assert first["service"] == "opleiding"
    assert first["status"] == "G"
    assert first["status_label"] == "Goedgekeurd"
    assert first["level"] == "MZ"
    assert first["holder"] == "Leerwijs BV"
    assert first["valid_until"] == "2030-01-01"
    assert first["url"].endswith(f"{REGISTRATIONS}DV.O000001/")
    assert [r["number"] for r in api.get(REGISTRATIONS, {"service": "advies"}).json()["results"]] == [
        "DV.A000002"
    ]
    Registration.objects.filter(number="DV.A000002").update(status="S")
    assert [r["number"] for r in api.get(REGISTRATIONS, {"status": "s"}).json()["results"]] == ["DV.A000002"]
    body = assert_problem(api.get(REGISTRATIONS, {"status": "X"}), 400)
    assert body["errors"][0]["field"] == "status"
    page = api.get(REGISTRATIONS, {"page_size": 1}).json()
    assert len(page["results"]) == 1
    assert page["next"]
    assert api.get(page["next"]).json()["results"][0]["number"] == "DV.O000001"


def test_registration_detail_and_another_providers_404(
    api: APIClient, setting: Setting, other: Registration
) -> None:
    body = api.get(f"{REGISTRATIONS}dv.o000001/").json()
    assert body["number"] == "DV.O000001"
    assert body["history"] == []
    body = assert_problem(api.get(f"{REGISTRATIONS}{other.number}/"), 404)
    assert body["code"] == "registration_not_found"


# --- projects ---------------------------------------------------------------------------------------------


def test_projects_of_the_provider_only_amounts_as_strings(
    api: APIClient, setting: Setting, other: Registration
) -> None:
    mine = setting.submit(amount=Decimal("1250.50"))
    theirs = setting.submit(registration=other.number)
    body = api.get(PROJECTS).json()
    assert [p["number"] for p in body["results"]] == [mine.number]
    row = body["results"][0]
    assert row["amount"] == "1250.50"
    assert row["enterprise"] == {
        "enterprise_number": "0934567878",
        "display_number": "0934.567.878",
        "name": setting.enterprise.name,
    }
    assert row["registration"] == "DV.O000001"
    assert row["department"] is None
    assert row["status"] == "Bevestigd"
    assert row["year"] == 2025
    assert row["url"].endswith(url(mine))
    assert "subsidy" not in row
    assert theirs.number not in str(body)


def test_every_filter_and_their_combination(api: APIClient, setting: Setting) -> None:
    a = setting.submit(amount=Decimal("1000.00"))
    b = setting.submit(amount=Decimal("2000.00"), registration="DV.A000002", service="advies")
    c = running(setting, amount=Decimal("3000.00"))
    Project.objects.filter(pk=a.pk).update(application_date=date(2024, 12, 20))
    Project.objects.filter(pk=b.pk).update(application_date=date(2025, 2, 1))

    def numbers(**params: Any) -> list[str]:
        response = api.get(PROJECTS, params)
        assert response.status_code == 200, response.content
        return [p["number"] for p in response.json()["results"]]

    assert numbers() == [c.number, b.number, a.number]
    assert numbers(number=b.number) == [b.number]
    assert numbers(number="2025kmo") == [c.number, b.number, a.number]
    assert numbers(number="2024") == []
    assert numbers(enterprise_number="0934.567.878") == [c.number, b.number, a.number]
    assert numbers(enterprise_number="BE0912345673") == []
    assert numbers(enterprise_name=setting.enterprise.name[:4].upper()) == [c.number, b.number, a.number]
    assert numbers(enterprise_name="niemand") == []
    assert numbers(application_date_from="2025-01-01") == [c.number, b.number]
    assert numbers(application_date_to="2025-02-01") == [b.number, a.number]
    assert numbers(application_date_from="2025-01-01", application_date_to="2025-02-28") == [b.number]
    assert numbers(amount="2000.00") == [b.number]
    assert numbers(amount_min="1500.00") == [c.number, b.number]
    assert numbers(amount_max="2000.00") == [b.number, a.number]
    assert numbers(service="advies") == [b.number]
    assert numbers(status="Lopend") == [c.number]
    assert numbers(year=2024) == [a.number]
    assert numbers(year=2025, service="opleiding") == [c.number]
    assert numbers(registration="dv.a000002") == [b.number]
    assert numbers(year=2025, amount_min="1000.00", status="Bevestigd") == [b.number]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"amount": "12"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"application_date_from": "10/03/2025"}, "application_date_from"),
        ({"application_date_from": "2025-03-01", "application_date_to": "2025-01-01"}, "application_date_to"),
        ({"amount_min": "500.00", "amount_max": "100.00"}, "amount_max"),
        ({"enterprise_number": "123"}, "enterprise_number"),
        ({"status": "Klaar"}, "status"),
        ({"service": "coaching"}, "service"),
        ({"year": "twintig"}, "year"),
        ({"number": "KMO"}, "number"),
    ],
)
def test_a_bad_filter_is_a_400_at_its_field(
    api: APIClient, setting: Setting, params: dict[str, str], field: str
) -> None:
    body = assert_problem(api.get(PROJECTS, params), 400)
    assert body["code"] == "invalid_request"
    assert [e["field"] for e in body["errors"]] == [field]


def test_keyset_pagination(api: APIClient, setting: Setting) -> None:
    made = [setting.submit(amount=Decimal("100.00")).number for _ in range(5)]
    first = api.get(PROJECTS, {"page_size": 2}).json()
    assert [p["number"] for p in first["results"]] == made[::-1][:2]
    assert first["previous"] is None
    # a project filed meanwhile does not shift the next page
    newer = setting.submit(amount=Decimal("100.00")).number
    second = api.get(first["next"]).json()
    assert [p["number"] for p in second["results"]] == made[::-1][2:4]
    third = api.get(second["next"]).json()
    assert [p["number"] for p in third["results"]] == made[::-1][4:]
    assert third["next"] is None
    assert newer not in str([first, second, third])
    body = assert_problem(api.get(PROJECTS, {"page": "nonsense"}), 400)
    assert body["errors"][0]["code"] == "invalid_page"


def test_project_detail_with_history_and_actions(api: APIClient, setting: Setting) -> None:
    project = running(setting)
    body = api.get(url(project)).json()
    assert body["number"] == project.number
    assert body["status"] == "Lopend"
    assert body["amount"] == "1000.00"
    last = body["history"][-1]
    assert (last["from_status"], last["to_status"], last["action"]) == ("Bevestigd", "Lopend", "deposit")
    assert last["has_proof"] is False
    assert body["actions"] == ["stop"]
    assert body["reports"] == []


def test_another_providers_project_is_a_404_for_every_endpoint_nothing_changed(
    api: APIClient, setting: Setting, other: Registration
) -> None:
    theirs = setting.submit(registration=other.number)
    assert assert_problem(api.get(url(theirs)), 404)["code"] == "project_not_found"
    for action, data in (
        ("cancel", {"reason": "x"}),
        ("stop", {"reason": "x", "proof": proof()}),
        ("report", {"message": "x"}),
    ):
        assert assert_problem(react(api, theirs, action, data), 404)["code"] == "project_not_found"
    unchanged(theirs)
    assert assert_problem(api.get(f"{PROJECTS}2025KMO999999/"), 404)["code"] == "project_not_found"


# --- cancel -----------------------------------------------------------------------------------------------


def test_cancel_a_confirmed_project_audited_and_idempotent(
    api: APIClient, setting: Setting, token: tuple[ApiToken, str], django_capture_on_commit_callbacks: Any
) -> None:
    project = setting.submit()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = react(api, project, "cancel", {"reason": "  De opleiding gaat niet door.  "})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ProjectGeannuleerd"
    assert body["actions"] == []
    assert body["history"][-1]["reason"] == "De opleiding gaat niet door."
    project.refresh_from_db()
    assert project.status == ProjectStatus.GEANNULEERD
    event = AuditEvent.objects.get(action="projects.project.cancel")
    assert event.actor_label.endswith(f"(API-sleutel {token[0].key_id})")
    assert event.organisation_code == A
    assert event.reason == "De opleiding gaat niet door."
    assert any("De opleiding gaat niet door." in m.body for m in mail.outbox)
    # the same key again: the first result, nothing done twice
    again = react(api, project, "cancel", {"reason": "De opleiding gaat niet door."})
    assert again.status_code == 200
    assert again.json()["status"] == "ProjectGeannuleerd"
    assert AuditEvent.objects.filter(action="projects.project.cancel").count() == 1
    # the same key for another request
    assert assert_problem(react(api, project, "cancel", {"reason": "Iets anders"}), 422)["code"] == (
        "idempotency_key_reused"
    )
    # a new key: the status refuses
    assert assert_problem(react(api, project, "cancel", {"reason": "x"}, key="k-2"), 409)["code"] == (
        "transition_not_allowed"
    )


def test_cancel_refusals(api: APIClient, setting: Setting) -> None:
    project = setting.submit()
    body = assert_problem(react(api, project, "cancel", {"reason": "   "}), 400)
    assert body["errors"][0]["field"] == "reason"
    body = assert_problem(react(api, project, "cancel", {}), 400)
    assert body["errors"][0]["field"] == "reason"
    body = assert_problem(react(api, project, "cancel", {"reason": "x"}, key=""), 400)
    assert body["errors"][0] == {
        "field": "Idempotency-Key",
        "code": "idempotency_key_required",
        "detail": body["errors"][0]["detail"],
    }
    body = assert_problem(react(api, project, "cancel", {"reason": "x"}, key="met spatie"), 400)
    assert body["errors"][0]["code"] == "idempotency_key_invalid"
    unchanged(project)
    lopend = running(setting)
    body = assert_problem(react(api, lopend, "cancel", {"reason": "x"}), 409)
    assert body["code"] == "transition_not_allowed"
    assert "Lopend" in body["detail"]
    unchanged(lopend)


# --- stop -------------------------------------------------------------------------------------------------


def test_stop_a_running_project_with_a_proof(
    api: APIClient, setting: Setting, token: tuple[ApiToken, str]
) -> None:
    project = running(setting)
    response = react(
        api, project, "stop", {"reason": "De klant is failliet.", "proof": proof(PNG, "bewijs.png")}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "StopzettingAangevraagd"
    assert response.json()["history"][-1]["has_proof"] is True
    change = ProjectStatusChange.objects.get(project=project, action="request_stop")
    assert proofs.is_stored_proof(project, change.proof_name)
    assert change.reason == "De klant is failliet."
    event = AuditEvent.objects.get(action="projects.project.request_stop")
    assert event.actor_label.endswith(f"(API-sleutel {token[0].key_id})")
    # the same key with the same reason and file: the first result
    again = react(
        api, project, "stop", {"reason": "De klant is failliet.", "proof": proof(PNG, "bewijs.png")}
    )
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="projects.project.request_stop").count() == 1
    # the same key with another file
    body = assert_problem(
        react(api, project, "stop", {"reason": "De klant is failliet.", "proof": proof()}), 422
    )
    assert body["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (lambda: proof(b"just text, not a PDF", "attest.pdf"), "proof_content"),
        (lambda: proof(PDF, "attest.docx"), "proof_type"),
        (lambda: proof(PNG, "foto.jpg"), "proof_content"),
    ],
)
def test_a_wrong_proof_is_refused_at_its_field(
    api: APIClient, setting: Setting, upload: Any, code: str
) -> None:
    project = running(setting)
    body = assert_problem(react(api, project, "stop", {"reason": "Failliet.", "proof": upload()}), 400)
    assert body["errors"][0]["field"] == "proof"
    assert body["errors"][0]["code"] == code
    unchanged(project)


def test_a_proof_too_large_is_refused(
    api: APIClient, setting: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proofs, "PROOF_MAX_BYTES", 64)
    project = running(setting)
    body = assert_problem(
        react(api, project, "stop", {"reason": "Failliet.", "proof": proof(PDF + b"0" * 100)}), 400
    )
    assert body["errors"][0]["code"] == "proof_too_large"
    unchanged(project)


def test_stop_refusals(api: APIClient, setting: Setting) -> None:
    project = running(setting)
    body = assert_problem(react(api, project, "stop", {"reason": "Failliet."}), 400)
    assert body["errors"][0]["field"] == "proof"
    body = assert_problem(react(api, project, "stop", {"reason": "", "proof": proof()}), 400)
    assert body["errors"][0]["field"] == "reason"
    assert (
        api.post(url(project, "stop"), {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code
        == 415
    )
    unchanged(project)
    confirmed = setting.submit()
    body = assert_problem(react(api, confirmed, "stop", {"reason": "Failliet.", "proof": proof()}), 409)
    assert body["code"] == "transition_not_allowed"
    unchanged(confirmed)


# --- report -----------------------------------------------------------------------------------------------


def test_report_on_a_finished_project(api: APIClient, setting: Setting, token: tuple[ApiToken, str]) -> None:
    project = finished(setting)
    response = react(api, project, "report", {"message": "Het project is nooit uitgevoerd."})
    assert response.status_code == 201, response.content
    body = response.json()
    report = ProjectReport.objects.get()
    assert body["id"] == report.pk
    assert body["project"] == project.number
    assert body["status"] == "open"
    assert report.message == "Het project is nooit uitgevoerd."
    event = AuditEvent.objects.get(action="projects.report.create")
    assert event.actor_label.endswith(f"(API-sleutel {token[0].key_id})")
    again = react(api, project, "report", {"message": "Het project is nooit uitgevoerd."})
    assert again.status_code == 200
    assert again.json()["id"] == report.pk
    assert ProjectReport.objects.count() == 1
    detail = api.get(url(project)).json()
    assert [r["id"] for r in detail["reports"]] == [report.pk]
    assert detail["actions"] == ["report"]
    project.refresh_from_db()
    assert project.status == ProjectStatus.AFGEWERKT


def test_report_refusals(api: APIClient, setting: Setting) -> None:
    project = finished(setting)
    body = assert_problem(react(api, project, "report", {"message": " "}), 400)
    assert body["errors"][0]["field"] == "message"
    body = assert_problem(react(api, project, "report", {"message": "x" * 4001}), 400)
    assert body["errors"][0]["field"] == "message"
    unchanged(project)
    lopend = running(setting)
    body = assert_problem(react(api, lopend, "report", {"message": "Fout."}), 409)
    assert body["code"] == "transition_not_allowed"
    unchanged(lopend)


# --- the same reaction at the same moment (PostgreSQL: real threads and connections) ----------------------


@pytest.fixture
def _schemes(db: None) -> None:
    scheme_services.scheme_data_load(actor=SYSTEM)  # a transactional test flushes what the migration loaded


@pytest.mark.usefixtures("_schemes")
@concurrent
def test_the_same_cancel_at_once_cancels_once(setting: Setting) -> None:
    secret = provider_token(setting)[1]
    project = setting.submit()
    responses = _at_once(6, lambda: react(bearer(secret), project, "cancel", {"reason": "Gaat niet door."}))
    assert all(not isinstance(r, BaseException) for r in responses), responses
    assert [r.status_code for r in responses] == [200] * 6
    assert AuditEvent.objects.filter(action="projects.project.cancel").count() == 1
    assert ProjectStatusChange.objects.filter(project=project, action="cancel").count() == 1


@pytest.mark.usefixtures("_schemes")
@concurrent
def test_the_same_report_at_once_reports_once(setting: Setting) -> None:
    secret = provider_token(setting)[1]
    project = finished(setting)
    responses = _at_once(
        6, lambda: react(bearer(secret), project, "report", {"message": "Nooit uitgevoerd."})
    )
    assert all(not isinstance(r, BaseException) for r in responses), responses
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert ProjectReport.objects.count() == 1

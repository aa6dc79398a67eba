# ruff: noqa: F811  (the projects tests' fixtures, imported by name)
"""API tokens of an enterprise: made and revoked on the e-loket's page (audited), only a hash kept, and the
Bearer authentication of the enterprise endpoints (missing, wrong, revoked, expired, creator without the
right any more)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from kmop.api import services
from kmop.api.models import ApiToken
from kmop.audit.models import AuditEvent
from kmop.idm.errors import NotAllowed
from kmop.registers.models import LegalFunction
from tests.eloket.conftest import login
from tests.idm.conftest import JONAS, A, B, actor
from tests.projects.conftest import (  # noqa: F401  (fixtures)
    ELS,
    SOFIE,
    Setting,
    _fresh_cache,
    clock,
    setting,
    world,
)

from .kbo import assert_problem

PAGE = "/e-loket/api-sleutels/"
ENTERPRISE = "/api/v1/enterprise/"


def make_token(setting: Setting, number: str = ELS, code: str = B, **kwargs: Any) -> tuple[ApiToken, str]:
    organisation = setting.enterprise if code == B else setting.world.a
    return services.api_token_create(
        actor=actor(number, code),
        organisation=organisation,
        name=kwargs.get("name", "Boekhouding"),
        validity_days=kwargs.get("validity_days", 90),
    )


def bearer(secret: str, language: str = "") -> APIClient:
    client = APIClient()
    headers: dict[str, str] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    client.credentials(**headers)
    return client


@pytest.fixture
def token(setting: Setting) -> tuple[ApiToken, str]:
    return make_token(setting)


@pytest.fixture
def api(token: tuple[ApiToken, str]) -> APIClient:
    return bearer(token[1])


# --- the token ----------------------------------------------------------------------------------------------


def test_only_a_hash_is_kept_and_the_secret_is_audited_nowhere(setting: Setting) -> None:
    token, secret = make_token(setting)
    assert secret.startswith(f"kmop_{token.key_id}_")
    assert len(secret) >= 5 + 12 + 1 + 43
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in json.dumps(row, default=str)
    event = AuditEvent.objects.get(action="api.token.create")
    assert event.organisation_code == B
    assert event.after["key_id"] == token.key_id
    assert event.after["name"] == "Boekhouding"
    assert secret not in json.dumps(event.after)
    assert token.created_by is not None
    assert token.created_by.national_number == ELS
    assert token.expires_at - token.created_at == timedelta(days=90)
    # two tokens never share a secret or key id
    other, other_secret = make_token(setting)
    assert other.key_id != token.key_id
    assert other_secret != secret


def test_only_who_may_act_for_the_enterprise_makes_tokens(setting: Setting) -> None:
    with pytest.raises(NotAllowed):  # Jonas is B's auditor: a function that does not represent
        make_token(setting, JONAS, B)
    with pytest.raises(NotAllowed):  # Els acting for another organisation
        services.api_token_create(
            actor=actor(ELS, A), organisation=setting.enterprise, name="x", validity_days=30
        )
    with pytest.raises(NotAllowed):  # Sofie represents A, not B
        services.api_token_create(
            actor=actor(SOFIE, A), organisation=setting.enterprise, name="x", validity_days=30
        )
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api.token.create").exists()


@pytest.mark.parametrize(("name", "days"), [("", 90), ("   ", 90), ("x" * 101, 90), ("ok", 7), ("ok", 0)])
def test_bad_token_input(setting: Setting, name: str, days: int) -> None:
    with pytest.raises(services.TokenError):
        services.api_token_create(
            actor=actor(ELS, B), organisation=setting.enterprise, name=name, validity_days=days
        )
    assert not ApiToken.objects.exists()


# --- authentication -----------------------------------------------------------------------------------------


def test_a_valid_token_acts_for_its_enterprise(setting: Setting, token: tuple[ApiToken, str]) -> None:
    response = bearer(token[1]).get(ENTERPRISE)
    assert response.status_code == 200, response.content
    assert response.json()["identity"]["enterprise_number"] == B
    row = ApiToken.objects.get(pk=token[0].pk)
    assert row.last_used_at is not None


def test_missing_token(setting: Setting) -> None:
    response = APIClient().get(ENTERPRISE)
    body = assert_problem(response, 401)
    assert body["code"] == "token_missing"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Basic ZWxzOnNlY3JldA==", "Token abc", ""])
def test_other_schemes_are_no_token(setting: Setting, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert assert_problem(client.get(ENTERPRISE), 401)["code"] == "token_missing"


def test_wrong_token(setting: Setting, token: tuple[ApiToken, str]) -> None:
    row, secret = token
    assert ApiToken.objects.get(pk=row.pk).last_used_at is None
    tampered = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    for wrong in (tampered, "kmop_000000000000_" + "x" * 43, "nonsense", "kmop_", secret + "x"):
        body = assert_problem(bearer(wrong).get(ENTERPRISE), 401)
        assert body["code"] == "token_invalid", wrong
    body = assert_problem(APIClient(HTTP_AUTHORIZATION="Bearer a b").get(ENTERPRISE), 401)
    assert body["code"] == "token_malformed"
    assert ApiToken.objects.get(pk=row.pk).last_used_at is None  # a wrong token does not touch it


def test_revoked_token(setting: Setting, token: tuple[ApiToken, str]) -> None:
    row, secret = token
    assert bearer(secret).get(ENTERPRISE).status_code == 200
    services.api_token_revoke(actor=actor(ELS, B), token=row)
    body = assert_problem(bearer(secret).get(ENTERPRISE), 401)
    assert body["code"] == "token_revoked"
    assert "ingetrokken" in body["detail"]
    event = AuditEvent.objects.get(action="api.token.revoke")
    assert event.before["revoked_at"] is None
    assert event.after["revoked_at"]
    # revoking again changes nothing
    services.api_token_revoke(actor=actor(ELS, B), token=row)
    assert AuditEvent.objects.filter(action="api.token.revoke").count() == 1


def test_expired_token(setting: Setting, token: tuple[ApiToken, str], clock: Any) -> None:
    assert bearer(token[1]).get(ENTERPRISE).status_code == 200
    clock.shift(timedelta(days=90))
    body = assert_problem(bearer(token[1]).get(ENTERPRISE), 401)
    assert body["code"] == "token_expired"


def test_creator_lost_the_right(setting: Setting, token: tuple[ApiToken, str]) -> None:
    assert bearer(token[1]).get(ENTERPRISE).status_code == 200
    LegalFunction.objects.filter(enterprise_id=B, person_number=ELS).update(end_date=date(2025, 3, 1))
    body = assert_problem(bearer(token[1]).get(ENTERPRISE), 401)
    assert body["code"] == "token_creator_not_allowed"


def test_creator_account_disabled(setting: Setting, token: tuple[ApiToken, str]) -> None:
    user = token[0].created_by
    assert user is not None
    user.is_active = False
    user.save()
    assert assert_problem(bearer(token[1]).get(ENTERPRISE), 401)["code"] == "token_creator_not_allowed"


def test_refusals_in_english(setting: Setting, token: tuple[ApiToken, str]) -> None:
    services.api_token_revoke(actor=actor(ELS, B), token=token[0])
    dutch = assert_problem(bearer(token[1]).get(ENTERPRISE), 401)
    english = assert_problem(bearer(token[1], "en").get(ENTERPRISE), 401)
    assert dutch["code"] == english["code"] == "token_revoked"
    assert english["title"] == "Unauthorized"


def test_the_register_endpoints_stay_public(setting: Setting) -> None:
    assert APIClient().get("/api/v1/enterprises/").status_code == 200
    root = APIClient().get("/api/v1/").json()
    assert root["enterprise"].endswith(ENTERPRISE)
    assert root["projects"].endswith("/api/v1/projects/")


# --- the e-loket page ---------------------------------------------------------------------------------------


@pytest.fixture
def els(client: Client, setting: Setting, settings: Any) -> Client:
    settings.DEMO_MODE = True
    login(client, ELS)
    return client


def test_url_name() -> None:
    assert reverse("api-tokens") == PAGE
    assert reverse("api-token-revoke", args=[7]) == PAGE + "7/intrekken/"


def test_anonymous_goes_to_the_login(client: Client, setting: Setting) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "api-sleutels" in response["Location"]


def test_page_without_tokens(els: Client) -> None:
    html = els.get(PAGE).content.decode()
    assert "API-sleutels" in html
    assert 'id="tokens-none"' in html
    assert "Nieuwe API-sleutel" in html


def test_make_a_token_on_the_page_shows_it_once(els: Client, setting: Setting) -> None:
    response = els.post(PAGE, {"name": "Boekhoudpakket", "validity_days": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    token = ApiToken.objects.get()
    start = html.index('id="token-secret"')
    value = html[html.index('value="', start) + 7 :]
    secret = value[: value.index('"')]
    assert secret.startswith(f"kmop_{token.key_id}_")
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.name == "Boekhoudpakket"
    assert token.expires_at - token.created_at == timedelta(days=30)
    assert AuditEvent.objects.filter(action="api.token.create", organisation_code=B).count() == 1
    # the secret works, and is never shown again
    assert bearer(secret).get(ENTERPRISE).status_code == 200
    again = els.get(PAGE).content.decode()
    assert secret not in again
    assert token.display_prefix in again
    assert "Boekhoudpakket" in again


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "validity_days": "30"}, "Geef de API-sleutel een naam."),
        ({"name": "x" * 101, "validity_days": "30"}, "De naam is te lang"),
        ({"name": "ok", "validity_days": "7"}, "Kies een geldigheidsduur."),
        ({"name": "ok", "validity_days": "abc"}, "Kies een geldigheidsduur."),
    ],
)
def test_bad_input_on_the_page(els: Client, data: dict[str, str], message: str) -> None:
    response = els.post(PAGE, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Er is een probleem" in html
    assert message in html
    assert 'id="token-secret"' not in html
    assert not ApiToken.objects.exists()


def test_revoke_on_the_page(els: Client, setting: Setting) -> None:
    token, secret = make_token(setting)
    url = f"{PAGE}{token.pk}/intrekken/"
    html = els.get(url).content.decode()
    assert "API-sleutel intrekken" in html
    assert token.name in html
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None  # a GET changes nothing
    response = els.post(url)
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEvent.objects.filter(action="api.token.revoke").count() == 1
    assert "is ingetrokken" in els.get(PAGE).content.decode()
    assert assert_problem(bearer(secret).get(ENTERPRISE), 401)["code"] == "token_revoked"


def test_another_organisations_token_is_not_found(els: Client, setting: Setting) -> None:
    other, secret = make_token(setting, SOFIE, A)
    url = f"{PAGE}{other.pk}/intrekken/"
    assert els.get(url).status_code == 404
    assert els.post(url).status_code == 404
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None
    assert other.display_prefix not in els.get(PAGE).content.decode()
    assert bearer(secret).get(ENTERPRISE).json()["identity"]["enterprise_number"] == A

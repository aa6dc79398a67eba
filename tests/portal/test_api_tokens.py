"""The portal's page of API tokens (/dienstverlener/api-sleutels/): made and revoked with the provider's own
login and password or by a person with the provider profile (audited), the secret shown once, only the
provider's own tokens of scope provider; a password-login token stops when the password changes, a person's
when the person loses the right."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kmop.api import services
from kmop.api.models import ApiToken, TokenScope
from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.idm import services as idm_services
from kmop.idm.errors import NotAllowed
from kmop.idm.models import RightGrant
from kmop.providers import services as provider_services
from kmop.providers.models import Provider
from kmop.providers.permissions import DEPARTMENTS_RIGHT
from tests.eloket.conftest import login
from tests.portal.conftest import IBAN_2, JONAS, SOFIE, SYSTEM, A, World, actor

pytestmark = pytest.mark.django_db

PAGE = "/dienstverlener/api-sleutels/"
REGISTRATIONS = "/api/v1/provider/registrations/"


def _secret(page: str) -> str:
    match = re.search(r'id="token-secret" type="text" readonly value="(kmop_[0-9a-f]{12}_[^"]+)"', page)
    assert match, page[:3000]
    return match.group(1)


def _call(secret: str, url: str = REGISTRATIONS) -> int:
    client = Client()
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def test_the_page_needs_a_provider_login(client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/dienstverlener/login/?next=")
    assert client.post(PAGE, {"name": "x", "validity_days": "90"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_password_login_makes_a_provider_token_shown_once_and_audited(
    portal: Client, provider_with_password: Provider
) -> None:
    page = portal.get(PAGE)
    assert page.status_code == 200
    assert "Uw organisatie heeft nog geen API-sleutels." in page.content.decode()
    response = portal.post(PAGE, {"name": "Planningssoftware", "validity_days": "90"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    secret = _secret(response.content.decode())
    token = ApiToken.objects.get()
    assert token.scope == TokenScope.PROVIDER
    assert token.organisation == provider_with_password.organisation
    assert token.created_by is None
    assert token.created_by_label == f"dienstverlener-login:{provider_with_password.login}"
    assert token.password_fingerprint == services.provider_password_fingerprint(provider_with_password)
    event = AuditEvent.objects.get(action="api.token.create")
    assert event.object_id == str(token.pk)
    assert event.actor_label == f"dienstverlener-login:{provider_with_password.login}"
    assert event.organisation_code == provider_with_password.organisation.code
    assert (event.after or {})["scope"] == "provider"
    assert secret not in str(event.after)
    # shown once: the list shows only the beginning
    again = portal.get(PAGE).content.decode()
    assert secret not in again
    assert token.display_prefix in again
    assert "login en paswoord van de dienstverlener" in again
    assert _call(secret) == 200


def test_a_name_is_required_nothing_made(portal: Client) -> None:
    response = portal.post(PAGE, {"name": "  ", "validity_days": "90"})
    assert response.status_code == 200
    assert "Geef de API-sleutel een naam." in response.content.decode()
    response = portal.post(PAGE, {"name": "x", "validity_days": "7"})
    assert "Kies een geldigheidsduur." in response.content.decode()
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api.token.create").exists()


def test_revoke_with_confirmation_stops_the_token_and_is_audited(portal: Client) -> None:
    secret = _secret(portal.post(PAGE, {"name": "Planning", "validity_days": "30"}).content.decode())
    token = ApiToken.objects.get()
    confirm = portal.get(f"{PAGE}{token.pk}/intrekken/")
    assert confirm.status_code == 200
    assert "API-sleutel intrekken" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # the GET changed nothing
    response = portal.post(f"{PAGE}{token.pk}/intrekken/")
    assert response.status_code == 302
    assert response["Location"] == PAGE
    token.refresh_from_db()
    assert token.revoked_at is not None
    event = AuditEvent.objects.get(action="api.token.revoke")
    assert event.before["revoked_at"] is None
    assert event.after["revoked_at"] is not None
    assert _call(secret) == 401


def test_a_new_password_stops_the_password_login_tokens(
    portal: Client, provider_with_password: Provider
) -> None:
    secret = _secret(portal.post(PAGE, {"name": "Planning", "validity_days": "30"}).content.decode())
    assert _call(secret) == 200
    provider_services.provider_password_set(
        actor=SYSTEM, provider=provider_with_password, password="Een-ander-paswoord-9"
    )
    response = Client().get(REGISTRATIONS, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert response.json()["code"] == "token_password_changed"


def test_a_person_with_the_provider_profile_makes_a_token_that_stops_with_the_right(
    client: Client, provider_user: Actor, provider: Provider
) -> None:
    login(client, JONAS)
    response = client.post(PAGE, {"name": "ERP", "validity_days": "365"})
    assert response.status_code == 200, response.content.decode()[:2000]
    secret = _secret(response.content.decode())
    token = ApiToken.objects.get()
    assert token.created_by is not None
    assert token.created_by.national_number == JONAS
    assert token.password_fingerprint == ""
    assert token.scope == TokenScope.PROVIDER
    assert AuditEvent.objects.get(action="api.token.create").actor_label == token.created_by.get_username()
    assert _call(secret) == 200
    for grant in RightGrant.objects.filter(work_relation__person__national_number=JONAS):
        idm_services.right_grant_end(actor=SYSTEM, grant=grant)
    response = Client().get(REGISTRATIONS, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert response.json()["code"] == "token_creator_not_allowed"


def test_only_the_providers_own_provider_tokens_are_listed_and_revocable(
    portal: Client, provider_with_password: Provider, provider_user: Actor
) -> None:
    # an enterprise token of the same organisation (its e-loket) is not on the portal's page
    other = ApiToken.objects.create(
        organisation=provider_with_password.organisation,
        scope=TokenScope.ENTERPRISE,
        name="E-loket-sleutel",
        key_id="0123456789ab",
        token_hash="0" * 64,
        created_by=provider_user.user,
        expires_at=timezone.now() + timedelta(days=30),
    )
    page = portal.get(PAGE).content.decode()
    assert "E-loket-sleutel" not in page
    assert portal.get(f"{PAGE}{other.pk}/intrekken/").status_code == 404
    assert portal.post(f"{PAGE}{other.pk}/intrekken/").status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def test_the_service_refuses_whoever_may_not_manage_the_provider(provider: Provider) -> None:
    # a person of another organisation, and one of this organisation without the provider profile
    for who in (actor(JONAS, "0934567878"), actor(JONAS, provider.organisation.code)):
        with pytest.raises(NotAllowed):
            services.api_token_create(
                actor=who,
                organisation=provider.organisation,
                name="x",
                validity_days=30,
                scope=TokenScope.PROVIDER,
            )
    # the password login of a provider without a password (it cannot log in)
    with pytest.raises(NotAllowed):
        services.api_token_create(
            actor=Actor.provider_password(provider.login, provider.organisation.code),
            organisation=provider.organisation,
            name="x",
            validity_days=30,
            scope=TokenScope.PROVIDER,
        )
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api.token.create").exists()


def test_a_person_with_the_departments_right_only_may_not_manage_tokens(
    client: Client, provider: Provider, world: World, app_manager: Actor
) -> None:
    idm_services.organisation_departments_right_set(actor=app_manager, organisation=world.a, activated=True)
    provider_services.department_create(
        actor=SYSTEM,
        provider=provider,
        code="ACADEMIE",
        name="Leerwijs Academie",
        contact_name="Bart",
        contact_email="academie@leerwijs.example",
        iban=IBAN_2,
    )
    idm_services.right_grant_create(
        actor=SYSTEM,
        work_relation=world.relation(JONAS, world.a),
        right_code=DEPARTMENTS_RIGHT,
        context_values=["ACADEMIE"],
    )
    with pytest.raises(NotAllowed):
        services.api_token_create(
            actor=actor(JONAS, A),
            organisation=provider.organisation,
            name="x",
            validity_days=30,
            scope="provider",
        )
    login(client, JONAS)
    assert client.get("/dienstverlener/").status_code == 200  # in the portal, for its department
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"name": "ERP", "validity_days": "90"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_an_organisation_that_is_enterprise_and_provider_keeps_two_sets_of_keys(
    client: Client, provider: Provider
) -> None:
    # Sofie is the legal representative of A: she may manage A's e-loket and A as a provider
    enterprise_token, enterprise_secret = services.api_token_create(
        actor=actor(SOFIE, A), organisation=provider.organisation, name="Boekhouding", validity_days=30
    )
    provider_token, provider_secret = services.api_token_create(
        actor=actor(SOFIE, A),
        organisation=provider.organisation,
        name="Planning",
        validity_days=30,
        scope="provider",
    )
    login(client, SOFIE)
    eloket = client.get("/e-loket/api-sleutels/").content.decode()
    assert "Boekhouding" in eloket
    assert "Planning" not in eloket
    portal = client.get(PAGE).content.decode()
    assert "Planning" in portal
    assert "Boekhouding" not in portal
    # neither page revokes the other's key
    assert client.post(f"/e-loket/api-sleutels/{provider_token.pk}/intrekken/").status_code == 404
    assert client.post(f"{PAGE}{enterprise_token.pk}/intrekken/").status_code == 404
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()
    # and neither key opens the other's endpoints
    assert _call(provider_secret) == 200
    assert _call(enterprise_secret) == 403
    assert _call(provider_secret, "/api/v1/enterprise/") == 403

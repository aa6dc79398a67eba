"""API tokens: made and revoked by a person acting for an enterprise or a provider (or by a provider logged in
with its own login and password), audited; checked on every API call.

A token has a ``scope``: ``enterprise`` (the e-loket's page, the enterprise endpoints) or ``provider`` (the
portal's page, ``/api/v1/provider/``). Whose right keeps a token working (checked on every request):

* an enterprise's token: its creator may still act for the enterprise (``can_act_for_enterprise``);
* a provider's token made by a person: that person may still act for the provider's organisation and manage
  the whole provider (``kmop.providers.permissions.can_manage_provider``: the profile Dienstverlener
  kmo-portefeuille or a legal representative);
* a provider's token made with the provider's own login and password (no person): the provider's password is
  still the one it was made with (``password_fingerprint``); a new or removed password stops it.

A person's token follows the rule of the per-request check of the web login (``kmop.acm.selectors
.acting_roles``, as ``ActingOrganisationMiddleware``): an ended right, a paused work relation, an organisation
inactive (here or in the KBO) stop it at once, and a natural-person enterprise's representative needs a grant.

A token is ``kmop_`` + a 12-hex key id + ``_`` + 43 characters of ``secrets.token_urlsafe(32)`` (256 bits).
Only the SHA-256 of the whole token is stored: the secret has enough entropy that a slow password hash adds
nothing, and a fast hash keeps the per-request check cheap. The token is found by its key id and compared
with ``hmac.compare_digest`` (constant time).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from kmop.acm.models import User
from kmop.acm.selectors import acting_roles
from kmop.api.models import ApiToken, TokenScope
from kmop.audit.services import PROVIDER_PASSWORD, Actor, audit_record
from kmop.idm import selectors as idm_selectors
from kmop.idm.errors import IdmError, NotAllowed
from kmop.idm.models import Organisation
from kmop.projects import permissions as project_permissions
from kmop.providers import permissions as provider_permissions
from kmop.providers.models import Provider

PREFIX = "kmop_"
KEY_ID_LENGTH = 12
#: the validity periods a person may choose (days); the longest is a year
VALIDITY_DAYS = (30, 90, 180, 365)
NAME_MAX = 100
#: ``last_used_at`` is written at most once per this interval (not a write per request)
LAST_USED_RESOLUTION = timedelta(minutes=1)
AUDIT_OBJECT = "api.ApiToken"


class TokenError(IdmError):
    default_code = "api_token"


@dataclass(frozen=True)
class ApiActor(Actor):
    """The actor of an API call: the token's creator, acting for the token's organisation.

    ``is_authenticated`` lets DRF (throttling, permissions) treat it as a logged-in user."""

    token_id: int = 0
    #: the token's scope (``TokenScope``): which endpoints it may call
    scope: str = TokenScope.ENTERPRISE

    is_authenticated = True


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_key_id(token: str) -> str | None:
    """The key id of a well-formed token, else None."""
    if not token.startswith(PREFIX) or len(token) < len(PREFIX) + KEY_ID_LENGTH + 2 or len(token) > 200:
        return None
    key_id = token[len(PREFIX) : len(PREFIX) + KEY_ID_LENGTH]
    if token[len(PREFIX) + KEY_ID_LENGTH] != "_" or any(c not in "0123456789abcdef" for c in key_id):
        return None
    return key_id


def can_manage_api_tokens(person_number: str, organisation: Organisation, at: datetime | None = None) -> bool:
    """Who may make and revoke an enterprise's tokens, and whose tokens keep working: whoever may act on the
    enterprise's projects in the e-loket (``kmop.projects.permissions.can_act_for_enterprise``: the rule of
    the login's per-request check, ``acting_roles``)."""
    return bool(person_number) and project_permissions.can_act_for_enterprise(person_number, organisation, at)


def can_manage_provider_api_tokens(
    person_number: str, organisation: Organisation, at: datetime | None = None
) -> bool:
    """Who may make and revoke a provider's tokens as a person, and whose tokens keep working: whoever may
    act for the provider's organisation (the login's per-request check, ``acting_roles``, as the portal) and
    manage the whole provider (the portal's registered office; not a person with the departments right)."""
    return (
        bool(person_number)
        and bool(acting_roles(person_number, organisation.pk, at=at))
        and Provider.objects.filter(organisation=organisation).exists()
        and provider_permissions.can_manage_provider(person_number, organisation, at)
    )


def provider_password_fingerprint(provider: Provider) -> str:
    """A keyed hash of the provider's stored password hash: a token made with the password login keeps it and
    stops when it no longer matches (a new password, or none)."""
    return salted_hmac("kmop.api.provider-password", provider.password or "", algorithm="sha256").hexdigest()


def _require_provider_manager(actor: Actor, organisation: Organisation) -> tuple[User | None, Provider]:
    """The maker of a provider's token: a person who may manage the whole provider (returned), or the
    provider's own login (``Actor.provider_password``, no person: None). Anyone else: NotAllowed."""
    refusal = NotAllowed(_("U mag geen API-sleutels beheren voor deze dienstverlener."))
    provider = Provider.objects.filter(organisation=organisation).first()
    if provider is None or actor.organisation_code != organisation.code:
        raise refusal
    if actor.credential == PROVIDER_PASSWORD:
        if actor.user is not None or not provider.password:
            raise refusal
        return None, provider
    user = actor.user
    if (
        user is None
        or not user.national_number
        or not can_manage_provider_api_tokens(user.national_number, organisation)
    ):
        raise refusal
    return user, provider


def _require_manager(actor: Actor, organisation: Organisation) -> User:
    user = actor.user
    if (
        user is None
        or not user.national_number
        or (actor.organisation_code and actor.organisation_code != organisation.code)
        or not can_manage_api_tokens(user.national_number, organisation)
    ):
        raise NotAllowed(_("U mag geen API-sleutels beheren voor deze onderneming."))
    return user


def _snapshot(token: ApiToken) -> dict[str, object]:
    return {
        "organisation": token.organisation.code,
        "scope": token.scope,
        "name": token.name,
        "key_id": token.key_id,
        "created_by": (
            token.created_by.get_username() if token.created_by is not None else token.created_by_label
        ),
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def api_token_create(
    *,
    actor: Actor,
    organisation: Organisation,
    name: str,
    validity_days: int,
    scope: str = TokenScope.ENTERPRISE,
) -> tuple[ApiToken, str]:
    """A new token for the organisation with the scope, made by the acting person (or, for a provider, the
    provider's own login); returns it and its secret (shown once, never stored). Audited."""
    fingerprint = ""
    if scope == TokenScope.ENTERPRISE:
        user: User | None = _require_manager(actor, organisation)
    elif scope == TokenScope.PROVIDER:
        user, provider = _require_provider_manager(actor, organisation)
        if user is None:
            fingerprint = provider_password_fingerprint(provider)
    else:
        raise TokenError(_("Onbekend bereik van de API-sleutel."), field="scope")
    text = " ".join((name or "").split())
    if not text:
        raise TokenError(_("Geef de API-sleutel een naam."), field="name", code="name_required")
    if len(text) > NAME_MAX:
        raise TokenError(_("De naam is te lang (ten hoogste 100 tekens)."), field="name")
    if validity_days not in VALIDITY_DAYS:
        raise TokenError(_("Kies een geldigheidsduur."), field="validity_days")
    now = timezone.now()
    key_id = secrets.token_hex(KEY_ID_LENGTH // 2)
    secret = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            organisation=organisation,
            name=text,
            key_id=key_id,
            token_hash=token_hash(secret),
            scope=scope,
            created_by=user,
            created_by_label=(user.get_username() if user is not None else actor.label)[:200],
            password_fingerprint=fingerprint,
            created_at=now,
            expires_at=now + timedelta(days=validity_days),
        )
        audit_record(
            actor=_for(actor, organisation),
            action="api.token.create",
            object_type=AUDIT_OBJECT,
            object_id=str(token.pk),
            after=_snapshot(token),
            reason=_("API-sleutel aangemaakt"),
        )
    return token, secret


def api_token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke the token (it stops working at once); revoking it again changes nothing. Audited."""
    if token.scope == TokenScope.PROVIDER:
        _require_provider_manager(actor, token.organisation)
    else:
        _require_manager(actor, token.organisation)
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update(of=("self",))  # created_by may be empty: an outer join
            .select_related("organisation", "created_by")
            .get(pk=token.pk)
        )
        if token.revoked_at is not None:
            return token
        before = _snapshot(token)
        token.revoked_at = timezone.now()
        token.revoked_by = actor.label[:200]
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=_for(actor, token.organisation),
            action="api.token.revoke",
            object_type=AUDIT_OBJECT,
            object_id=str(token.pk),
            before=before,
            after=_snapshot(token),
            reason=_("API-sleutel ingetrokken"),
        )
    return token


def _for(actor: Actor, organisation: Organisation) -> Actor:
    return (
        actor if actor.organisation_code else dataclasses.replace(actor, organisation_code=organisation.code)
    )


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of ``api_token_check``: the token and its actor, or why it does not work (``code``)."""

    token: ApiToken | None
    actor: ApiActor | None
    code: str = ""
    message: str = ""


def api_token_check(secret: str, *, at: datetime | None = None) -> TokenCheck:
    """Find the token and check that it may act now: known (hash compared in constant time), not revoked,
    not expired, its creator active and still allowed to act for the enterprise or the provider (or, for a
    provider's password-login token, the provider's password unchanged)."""
    now = at or timezone.now()
    key_id = parse_key_id(secret)
    token = (
        ApiToken.objects.select_related("organisation", "created_by").filter(key_id=key_id).first()
        if key_id
        else None
    )
    # compare also when nothing was found, so that the answer takes as long either way
    expected = token.token_hash if token is not None else "0" * 64
    if not hmac.compare_digest(expected, token_hash(secret)) or token is None:
        return TokenCheck(None, None, "token_invalid", _("De API-sleutel is ongeldig."))
    if token.revoked_at is not None:
        return TokenCheck(token, None, "token_revoked", _("De API-sleutel werd ingetrokken."))
    if token.expires_at <= now:
        return TokenCheck(token, None, "token_expired", _("De API-sleutel is vervallen."))
    user = token.created_by
    if token.scope == TokenScope.PROVIDER:
        refusal = _provider_maker_refusal(token, now)
        if refusal is not None:
            return _or_organisation_inactive(refusal)
    elif (
        user is None
        or not user.is_active
        or not can_manage_api_tokens(user.national_number or "", token.organisation, now)
    ):
        return _or_organisation_inactive(
            TokenCheck(
                token,
                None,
                "token_creator_not_allowed",
                _("Wie deze API-sleutel maakte, mag niet meer optreden voor deze onderneming."),
            )
        )
    # a person's right (``acting_roles``) holds only in an active organisation; the provider's own login: as
    # the portal's password login, not for an organisation inactive here or in the KBO
    if not token.organisation.active or (
        user is None and not idm_selectors.is_organisation_active(token.organisation)
    ):
        return _organisation_inactive(token)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    maker = user.get_username() if user is not None else token.created_by_label
    actor = ApiActor(
        label=f"{maker} (API-sleutel {token.key_id})"[:200],
        user=user,
        organisation_code=token.organisation.code,
        acr="api-token",
        # no person: the provider's own login, which the services let act for that provider only
        credential=PROVIDER_PASSWORD if user is None else "",
        token_id=token.pk,
        scope=token.scope,
    )
    return TokenCheck(token, actor)


def _organisation_inactive(token: ApiToken) -> TokenCheck:
    return TokenCheck(token, None, "organisation_inactive", _("De organisatie is niet meer actief."))


def _or_organisation_inactive(refusal: TokenCheck) -> TokenCheck:
    """The refusal; or, when the token's organisation is no longer active (here or in the KBO), that."""
    if refusal.token is None or idm_selectors.is_organisation_active(refusal.token.organisation):
        return refusal
    return _organisation_inactive(refusal.token)


def _provider_maker_refusal(token: ApiToken, at: datetime) -> TokenCheck | None:
    """Why a provider's token may no longer act (its maker lost the right, or the password changed)."""
    user = token.created_by
    if user is not None:
        if user.is_active and can_manage_provider_api_tokens(
            user.national_number or "", token.organisation, at
        ):
            return None
        return TokenCheck(
            token,
            None,
            "token_creator_not_allowed",
            _("Wie deze API-sleutel maakte, mag niet meer optreden voor deze dienstverlener."),
        )
    provider = Provider.objects.filter(organisation=token.organisation).only("password").first()
    if (
        provider is not None
        and provider.password
        and constant_time_compare(token.password_fingerprint, provider_password_fingerprint(provider))
    ):
        return None
    return TokenCheck(
        token,
        None,
        "token_password_changed",
        _(
            "Het paswoord van de dienstverlener werd gewijzigd sinds deze API-sleutel werd gemaakt: maak een "
            "nieuwe sleutel."
        ),
    )

"""Writes of the login: log a person in (a verified national number and method), log out, act for an
organisation. Each writes its audit event in the same transaction as the account change."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kmop.acm import session as keys
from kmop.acm.methods import LoginMethod
from kmop.acm.models import User
from kmop.acm.selectors import acting_roles
from kmop.audit.services import Actor, audit_record
from kmop.idm.models import Organisation
from kmop.idm.selectors import ActingOption
from kmop.registers.national_register import PersonRecord

#: the backend a login is recorded with (kmop.acm.backends, the first of AUTHENTICATION_BACKENDS)
BACKEND = "kmop.acm.backends.UserBackend"


def _actor(user: User, request: HttpRequest, organisation_code: str = "") -> Actor:
    return Actor(
        label=user.get_username(),
        user=user,
        organisation_code=organisation_code,
        acr=request.session.get(keys.ACR, ""),
    )


def person_login(*, request: HttpRequest, method: LoginMethod, record: PersonRecord) -> User:
    """Log in the person the method identified: the account (username = national number, no usable
    password) is made on first login; the session key changes (``login`` cycles it); the session keeps the
    ``acr``, the method and the login time. Audit ``acm.login``."""
    kept = {k: request.session[k] for k in (keys.NEXT, keys.LOGIN_HINT) if k in request.session}
    with transaction.atomic():
        user = User.objects.select_for_update().filter(national_number=record.national_number).first()
        created = user is None
        if user is None:
            user = User(username=record.national_number, national_number=record.national_number)
            user.set_unusable_password()
        user.first_name = record.first_name[:150]
        user.last_name = record.last_name[:150]
        user.save()
        login(request, user, backend=BACKEND)  # rotates the session key; flushes another user's session
        keys.drop_acting(request.session)  # a new login chooses its organisation again
        request.session.update(kept)
        request.session[keys.ACR] = method.acr
        request.session[keys.METHOD] = method.code
        request.session[keys.LOGIN_AT] = timezone.now().timestamp()
        audit_record(
            actor=_actor(user, request),
            action="acm.login",
            object_type="acm.User",
            object_id=str(user.pk),
            after={"method": method.code, "acr": method.acr, "new_account": created},
        )
    return user


def person_logout(*, request: HttpRequest, reason: str = "") -> None:
    """End the session (flushed: a new, empty one). Audit ``acm.logout``."""
    user = request.user
    if isinstance(user, User):
        with transaction.atomic():
            audit_record(
                actor=_actor(user, request, request.session.get(keys.ORG_CODE, "")),
                action="acm.logout",
                object_type="acm.User",
                object_id=str(user.pk),
                reason=reason,
            )
    logout(request)


def session_expire(*, request: HttpRequest) -> None:
    """The login is older than the absolute lifetime: log out (audited as such)."""
    person_logout(request=request, reason="absolute session lifetime")


def act_as(*, request: HttpRequest, user: User, option: ActingOption, via: str) -> Organisation:
    """Act for an organisation among the person's "aanmelden als" options (the caller got ``option`` from
    ``acting_options`` of this person at this moment). The organisation of an enterprise is made in the IDM
    on first use. The session key changes; the session keeps the organisation and the roles. Audit
    ``acm.act_as``."""
    from kmop.idm import services as idm_services

    assert user.national_number
    with transaction.atomic():
        organisation = option.organisation
        if organisation is None:
            organisation = idm_services.organisation_for_enterprise(
                actor=_actor(user, request, option.code),
                enterprise_number=option.code,
                reason="aanmelden als",
            )
        roles = acting_roles(user.national_number, organisation.pk) or option.roles
        before = request.session.get(keys.ORG_CODE)
        request.session.cycle_key()
        request.session[keys.ORG_ID] = organisation.pk
        request.session[keys.ORG_CODE] = organisation.code
        request.session[keys.ORG_NAME] = organisation.name
        request.session[keys.ROLES] = list(roles)
        audit_record(
            actor=_actor(user, request, organisation.code),
            action="acm.act_as",
            object_type="idm.Organisation",
            object_id=str(organisation.pk),
            before={"organisation": before} if before else None,
            after={"organisation": organisation.code, "roles": list(roles), "via": via},
        )
    return organisation


def login_failed(
    *, request: HttpRequest, user: User | None, identifier: str, method: str, reason: str
) -> None:
    """Audit a failed login try (``acm.login.failed``): the reason and the client address are only here, the
    person sees one generic message. An unknown account is recorded with (the start of) what was typed."""
    from kmop.acm.network import client_address

    with transaction.atomic():
        audit_record(
            actor=Actor(
                label=user.get_username() if user else "anonymous",
                user=user,
                acr=request.session.get(keys.ACR, ""),
            ),
            action="acm.login.failed",
            object_type="acm.User",
            object_id=str(user.pk) if user else "",
            after={"method": method, "address": client_address(request)},
            reason=reason if user or not identifier else f"{reason} ({identifier[:20]})",
        )

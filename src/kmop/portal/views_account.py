"""Sign-up, forgotten password and "Login en paswoord wijzigen" (seed 004 §1 and §2.4).

* ``sign_up``: "Aanmelden als dienstverlener" (anonymous, or a person acting for the enterprise): the form,
  checked by a dry run of ``provider_sign_up`` (KBO, duplicate sign-up, IBAN...), an overview to confirm, then
  the provider is made, given a random password and mailed its login and password, in the language the page
  is used in (the provider's mails' language from then on). Nothing is written before the confirmation.
* ``password_forgotten``: enterprise number + the e-mail address the provider receives its mails on → a
  one-time reset link (signed, ``RESET_HOURS`` valid, bound to the current password: once used, or once the
  password changed, it stops working). The page says the same whether the data matched or not.
* ``credentials``: "Maatschappelijke zetel: wijzig login".
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kmop.acm import throttle
from kmop.acm.network import client_address
from kmop.audit.services import Actor
from kmop.idm.views import dry_run
from kmop.portal import access, mail
from kmop.portal.access import provider_required
from kmop.portal.forms import (
    CredentialsForm,
    NewPasswordForm,
    PasswordForgottenForm,
    SignUpForm,
    legal_form_choices,
    put_error,
)
from kmop.providers import services
from kmop.providers.errors import NotAllowed
from kmop.providers.models import Provider
from kmop.registers.numbers import ValidationError as NumberError
from kmop.registers.numbers import format_enterprise_number, validate_enterprise_number

SIGN_UP = "portal_sign_up"
#: how long a reset link works
RESET_HOURS = 2
RESET_SALT = "kmop.portal.password-reset"


def _sign_up_actor(request: HttpRequest) -> Actor:
    """A person acting for an organisation signs up as that person; anyone else as the web sign-up (the
    seed's anonymous sign-up: the audit keeps the client's address)."""
    acting = getattr(request, "acting", None)
    if acting is not None:
        return Actor(
            label=acting.user.get_username(),
            user=acting.user,
            organisation_code=acting.organisation_code,
            acr=acting.acr,
        )
    return Actor.system(f"web: aanmelding dienstverlener vanaf {client_address(request)}")


def _sign_up_limit(address: str) -> str:
    """The throttle's account for the sign-ups from one client address: ``throttle.ACCOUNT_FAILURES``
    sign-ups within ``throttle.MINUTES`` minutes, then none for that long (the open sign-up is no way to
    register enterprises in bulk)."""
    return f"portal-sign-up:{address}"


def _sign_up_data(form: SignUpForm) -> dict[str, Any]:
    return {name: form.cleaned_data.get(name, "") for name in form.fields}


def _page_language() -> str:
    """The language of the provider's mails, from the language the sign-up page is used in: ``en`` or
    ``nl`` (changed later in "Maatschappelijke zetel wijzigen")."""
    return "en" if (translation.get_language() or "").startswith("en") else "nl"


def sign_up(request: HttpRequest) -> HttpResponse:
    initial = request.session.get(SIGN_UP) if request.method == "GET" and "wijzigen" in request.GET else None
    form = SignUpForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = _sign_up_data(form)
        actor = _sign_up_actor(request)
        try:
            dry_run(
                lambda: services.provider_sign_up(actor=actor, language=_page_language(), **data),
                lambda provider: provider.pk,
            )
        except ValidationError as error:
            put_error(form, error)
        else:
            request.session[SIGN_UP] = data
            return redirect("portal:sign-up-confirm")
    return render(request, "portal/account/sign_up.html", {"form": form})


def sign_up_confirm(request: HttpRequest) -> HttpResponse:
    data = request.session.get(SIGN_UP)
    if not isinstance(data, dict):
        return redirect("portal:sign-up")
    form = SignUpForm(data)
    if not form.is_valid():  # cannot happen for data we stored; start again rather than guess
        return redirect("portal:sign-up")
    if request.method == "POST":
        address = client_address(request)
        limit = _sign_up_limit(address)
        if throttle.check(account=limit, address=address).blocked:
            form.add_error(
                None,
                _(
                    "Er werden te veel organisaties aangemeld vanaf uw adres. Probeer het binnen %(minutes)s "
                    "minuten opnieuw."
                )
                % {"minutes": throttle.MINUTES},
            )
            return render(request, "portal/account/sign_up.html", {"form": form}, status=429)
        actor = _sign_up_actor(request)
        try:
            with transaction.atomic():
                provider = services.provider_sign_up(
                    actor=actor, language=_page_language(), **_sign_up_data(form)
                )
                password = services.provider_password_set(
                    actor=actor, provider=provider, reason=_("Aanmelding als dienstverlener")
                )
                login_url = request.build_absolute_uri(reverse("portal:login"))
                transaction.on_commit(
                    lambda: mail.send(
                        "sign_up",
                        provider.contact_email,
                        {"provider": provider, "password": password, "login_url": login_url},
                        language=provider.language,
                    )
                )
        except ValidationError as error:
            put_error(form, error)
            return render(request, "portal/account/sign_up.html", {"form": form})
        throttle.failed(account=limit, address=address)  # counts the sign-up: at most a few per address
        del request.session[SIGN_UP]
        request.session["portal_signed_up"] = {"name": provider.legal_name, "email": provider.contact_email}
        return redirect("portal:sign-up-done")
    legal_forms = dict(legal_form_choices())
    rows = [
        (form[name].label, legal_forms.get(value, value) if name == "legal_form" and value else value or "")
        for name in form.fields
        for value in (form.cleaned_data.get(name),)
    ]
    return render(request, "portal/account/sign_up_confirm.html", {"rows": rows})


def sign_up_done(request: HttpRequest) -> HttpResponse:
    done = request.session.pop("portal_signed_up", None)
    if not isinstance(done, dict):
        return redirect("portal:login")
    return render(request, "portal/account/sign_up_done.html", done)


def _reset_token(provider: Provider) -> str:
    return signing.dumps({"p": provider.pk, "f": access.password_fingerprint(provider)}, salt=RESET_SALT)


def _provider_of_token(token: str) -> Provider | None:
    try:
        data = signing.loads(token, salt=RESET_SALT, max_age=RESET_HOURS * 3600)
    except signing.BadSignature:
        return None
    provider = Provider.objects.select_related("organisation").filter(pk=data.get("p")).first()
    if provider is None or data.get("f") != access.password_fingerprint(provider):
        return None
    return provider


def password_forgotten(request: HttpRequest) -> HttpResponse:
    """ "Login en paswoord vergeten?": the same answer whether the data matched or not (no way to learn which
    enterprises are providers or which address they use); throttled per client address."""
    form = PasswordForgottenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        if throttle.check(account=None, address=address).blocked:
            form.add_error(
                None,
                _("Te veel aanvragen. Probeer het binnen %(minutes)s minuten opnieuw.")
                % {"minutes": throttle.MINUTES},
            )
            return render(request, "portal/account/password_forgotten.html", {"form": form})
        try:
            number = validate_enterprise_number(form.cleaned_data["enterprise_number"])
        except NumberError:
            form.add_error(
                "enterprise_number",
                _("%(value)s is geen geldig ondernemingsnummer.")
                % {"value": form.cleaned_data["enterprise_number"]},
            )
            return render(request, "portal/account/password_forgotten.html", {"form": form})
        provider = Provider.objects.filter(
            enterprise_number=number, contact_email__iexact=form.cleaned_data["email"].strip()
        ).first()
        if provider is None:
            throttle.failed(account=None, address=address)
        else:
            url = request.build_absolute_uri(reverse("portal:password-reset", args=[_reset_token(provider)]))
            mail.send(
                "password_reset",
                provider.contact_email,
                {"provider": provider, "reset_url": url, "hours": RESET_HOURS},
                language=provider.language,
            )
        return render(
            request,
            "portal/account/password_forgotten_sent.html",
            {"enterprise_number": format_enterprise_number(number), "email": form.cleaned_data["email"]},
        )
    return render(request, "portal/account/password_forgotten.html", {"form": form})


def password_reset(request: HttpRequest, token: str) -> HttpResponse:
    provider = _provider_of_token(token)
    if provider is None:
        return render(request, "portal/account/password_reset_invalid.html", status=400)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor = Actor.provider_password(provider.login, provider.organisation.code)
        try:
            with transaction.atomic():
                # the link works once: checked again under the row's lock (two posts at once: one wins)
                locked = Provider.objects.select_for_update(of=("self",)).get(pk=provider.pk)
                if access.password_fingerprint(locked) != access.password_fingerprint(provider):
                    return render(request, "portal/account/password_reset_invalid.html", status=400)
                services.provider_password_set(
                    actor=actor,
                    provider=locked,
                    password=form.cleaned_data["new_password"],
                    reason=_("Nieuw paswoord via de link 'Login en paswoord vergeten'"),
                )
        except ValidationError as error:
            field = "new_password" if getattr(error, "field", None) == "password" else None
            form.add_error(field, " ".join(error.messages))
        else:
            for key in access.KEYS:
                request.session.pop(key, None)
            messages.success(
                request, _("Uw nieuw paswoord is bewaard. Log in met uw login en het nieuwe paswoord.")
            )
            return redirect("portal:login")
    return render(request, "portal/account/password_reset.html", {"form": form, "provider": provider})


@provider_required(whole_provider=True)
def credentials(request: HttpRequest) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    form = CredentialsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            provider = services.provider_credentials_change(
                actor=portal.actor, provider=portal.provider, **form.cleaned_data
            )
        except NotAllowed:
            raise PermissionDenied from None
        except ValidationError as error:
            put_error(form, error)
        else:
            if portal.via == "password":  # this session stays logged in with the new password
                request.session[access.PASSWORD_HASH] = access.password_fingerprint(provider)
            messages.success(
                request,
                _("Uw login en paswoord zijn gewijzigd. Uw login is nu %(login)s.")
                % {"login": provider.login},
            )
            return redirect("portal:menu")
    return render(request, "portal/account/credentials.html", {"form": form, "login": portal.provider.login})

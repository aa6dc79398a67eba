"""Aanmelden (login methods, demo simulator), aanmelden als (choice of organisation), afmelden."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kmop.acm import eid, passwords, services, sms, totp
from kmop.acm import session as keys
from kmop.acm.forms import (
    ActAsForm,
    CredentialsForm,
    MobileNumberForm,
    PasswordSetForm,
    SimulatorForm,
    SmsCodeForm,
    TotpEnrolForm,
    TotpLoginForm,
)
from kmop.acm.hints import parse_login_hint
from kmop.acm.methods import METHODS, get_method, level_at_least
from kmop.acm.models import PasswordCredential, SmsDevice, TotpDevice, User
from kmop.idm.selectors import ActingOption, acting_options
from kmop.registers.national_register import lookup
from kmop.registers.numbers import format_enterprise_number, format_national_number


def _safe_next(request: HttpRequest, value: str | None) -> str | None:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


def _after_choice(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(request.session.pop(keys.NEXT, None) or reverse("web:home"))


@never_cache
@require_safe
def login_page(request: HttpRequest) -> HttpResponse:
    """The login methods (seed "Kies manier van aanmelden"); ``next`` and ``login_hint`` are kept."""
    next_url = _safe_next(request, request.GET.get("next"))
    if next_url:
        request.session[keys.NEXT] = next_url
    if "login_hint" in request.GET:
        hint = parse_login_hint(request.GET["login_hint"])
        if hint is None:
            messages.warning(request, _("De gevraagde organisatie kon niet gelezen worden."))
        else:
            if request.user.is_authenticated:
                # Already logged in: the choice page preselects it; a link never switches by itself (GET).
                request.session[keys.LOGIN_HINT] = {**hint, "preselect": True}
                return redirect("acm:act-as")
            request.session[keys.LOGIN_HINT] = hint
    return render(request, "acm/login.html", {"methods": METHODS})


def _demo_persons() -> list[dict[str, str]]:
    """The demo persons that are in the national register (one query)."""
    from kmop.demo.personas import PERSONS
    from kmop.registers.national_register import lookup_many

    records = lookup_many(p.national_number for p in PERSONS)
    return [
        {
            "key": p.key,
            "name": f"{records[p.national_number].first_name} {records[p.national_number].last_name}",
            "role": str(p.role),
            "national_number": p.national_number,
            "display_number": format_national_number(p.national_number),
        }
        for p in PERSONS
        if p.national_number in records
    ]


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def simulator(request: HttpRequest, method: str) -> HttpResponse:
    """Demo mode only: the simulator of eID or itsme. Refused (404) outside demo mode."""
    login_method = get_method(method)
    if not settings.DEMO_MODE or login_method is None or not login_method.has_simulator:
        raise Http404
    persons = _demo_persons()
    numbers = {p["key"]: p["national_number"] for p in persons}
    if request.method == "POST":
        form = SimulatorForm(request.POST, persons=numbers)
        if form.is_valid() and form.record is not None:
            services.person_login(request=request, method=login_method, record=form.record)
            return redirect("acm:act-as")
    else:
        chosen = next((p for p in persons if p["key"] == request.GET.get("persoon")), None)
        initial = {"national_number": chosen["display_number"]} if chosen else {}
        form = SimulatorForm(initial=initial, persons=numbers)
    return render(request, "acm/simulator.html", {"method": login_method, "form": form, "persons": persons})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.person_logout(request=request)
    messages.success(request, _("U bent afgemeld."))
    return redirect("acm:login")


def _option_label(option: ActingOption) -> str:
    code = format_enterprise_number(option.code) if option.target_group == "EA" else option.code
    return f"{option.name} ({code})"


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def act_as_view(request: HttpRequest) -> HttpResponse:
    """Aanmelden als": the organisations the person may act for now; skipped when there is exactly one."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return redirect(f"{reverse('acm:login')}?next={reverse('acm:act-as')}")
    next_url = _safe_next(request, request.GET.get("next"))
    if next_url:
        request.session[keys.NEXT] = next_url
    options = acting_options(user.national_number) if user.national_number else []
    by_code = {o.code: o for o in options}
    current = request.session.get(keys.ORG_CODE)
    if request.method == "POST":
        form = ActAsForm(request.POST, choices=[(o.code, _option_label(o)) for o in options])
        if form.is_valid():
            option = by_code[form.cleaned_data["organisation"]]
            services.act_as(request=request, user=user, option=option, via="choice")
            return _after_choice(request)
    else:
        hint = request.session.pop(keys.LOGIN_HINT, None)
        if hint is not None:
            hinted = by_code.get(hint.get("code", ""))
            if hinted is not None and hinted.target_group == hint.get("cap"):
                if not hint.get("preselect"):
                    services.act_as(request=request, user=user, option=hinted, via="login_hint")
                    return _after_choice(request)
                current = hinted.code
            else:
                messages.warning(
                    request,
                    _("U kunt niet aanmelden voor de gevraagde organisatie %(code)s. Kies een organisatie.")
                    % {"code": hint.get("code", "")},
                )
        elif len(options) == 1 and current is None:
            services.act_as(request=request, user=user, option=options[0], via="single")
            return _after_choice(request)
        form = ActAsForm(
            initial={"organisation": current} if current in by_code else {},
            choices=[(o.code, _option_label(o)) for o in options],
        )
    # After an eID/itsme login, offer to activate the security code app for the next logins.
    can_enrol_totp = _high_level_user(request) is not None
    if not options:
        return render(request, "acm/no_access.html", {"can_enrol_totp": can_enrol_totp}, status=200)
    return render(
        request,
        "acm/act_as.html",
        {
            "form": form,
            "options": options,
            "current": request.session.get(keys.ORG_CODE),
            "can_enrol_totp": can_enrol_totp,
        },
    )


TOTP_PENDING = "acm_totp_pending"  # the secret shown for enrolment, until confirmed


def _high_level_user(request: HttpRequest) -> User | None:
    user = request.user
    if (
        isinstance(user, User)
        and user.is_authenticated
        and user.national_number
        and level_at_least(request.session.get(keys.ACR, ""), "high")
    ):
        return user
    return None


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def totp_enrol(request: HttpRequest) -> HttpResponse:
    """Beveiligingscode via mobiele app activeren (or replace it): only after a login at level high (eID,
    itsme), as in CSAM. The secret stays in the session until a first code confirms it."""
    user = _high_level_user(request)
    if user is None:
        if request.user.is_authenticated:
            return render(request, "acm/totp_enrol_refused.html", status=403)
        return redirect(f"{reverse('acm:login')}?next={reverse('acm:totp-enrol')}")
    assert user.national_number
    secret = request.session.get(TOTP_PENDING)
    if request.method == "POST" and secret:
        form = TotpEnrolForm(request.POST)
        if form.is_valid():
            if totp.enrol(request=request, user=user, secret=secret, code=form.cleaned_data["code"]):
                request.session.pop(TOTP_PENDING, None)
                messages.success(request, _("De app voor beveiligingscodes is geactiveerd."))
                return redirect("acm:totp-enrol")
            form.add_error(
                "code", _("Deze beveiligingscode is niet correct. Vul de code in die de app nu toont.")
            )
    else:
        form = TotpEnrolForm()
        if request.method == "POST" or not secret:
            secret = totp.new_secret()
            request.session[TOTP_PENDING] = secret
    uri = totp.provisioning_uri(secret, user.national_number)
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    return render(
        request,
        "acm/totp_enrol.html",
        {
            "form": form,
            "qr_svg": mark_safe(totp.qr_svg(uri)),  # noqa: S308 - segno's SVG of our own URI
            "secret_grouped": totp.grouped(secret),
            "device": device,
            "account": format_national_number(user.national_number),
            "issuer": totp.ISSUER,
            "has_password": passwords.has_password(user),
        },
    )


@require_POST
def totp_remove(request: HttpRequest) -> HttpResponse:
    user = _high_level_user(request)
    if user is None:
        raise PermissionDenied
    if totp.remove(request=request, user=user):
        messages.success(request, _("De app voor beveiligingscodes is verwijderd."))
    return redirect("acm:totp-enrol")


def _try_later() -> str:
    return _(
        "Te veel mislukte pogingen. Om uw gegevens te beschermen kunt u voorlopig niet aanmelden "
        "met een beveiligingscode. Probeer het over %(minutes)s minuten opnieuw."
    ) % {"minutes": totp.LOCK_MINUTES}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def totp_login(request: HttpRequest) -> HttpResponse:
    """Aanmelden met een beveiligingscode via mobiele app: username (or national/BIS number), password and
    the 6-digit code. One generic message for any wrong combination (no account enumeration); "try later"
    when locked/throttled."""
    error = ""
    if request.method == "POST":
        form = TotpLoginForm(request.POST)
        if form.is_valid():
            outcome = totp.login(
                request=request,
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
            )
            if outcome.user is not None:
                return redirect("acm:act-as")
            if outcome.error in ("locked", "throttled"):
                error = _try_later()
            else:
                error = _("De combinatie van gebruikersnaam, wachtwoord en beveiligingscode is niet correct.")
            form = TotpLoginForm(initial={"identifier": form.cleaned_data["identifier"]})
    else:
        form = TotpLoginForm()
    return render(
        request,
        "acm/totp_login.html",
        {"form": form, "error": error, "method": totp.method()},
    )


def _enrol_refused(request: HttpRequest, next_view: str) -> HttpResponse:
    if request.user.is_authenticated:
        return render(request, "acm/enrol_refused.html", status=403)
    return redirect(f"{reverse('acm:login')}?next={reverse(next_view)}")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_set(request: HttpRequest) -> HttpResponse:
    """Gebruikersnaam en wachtwoord instellen (or change them): only after a login at level high, as the
    security code methods ask them together with the code."""
    user = _high_level_user(request)
    if user is None:
        return _enrol_refused(request, "acm:password-set")
    credential = PasswordCredential.objects.filter(user=user).first()
    if request.method == "POST":
        form = PasswordSetForm(request.POST, user=user)
        if form.is_valid():
            passwords.set_credential(
                request=request,
                user=user,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
            messages.success(request, _("Uw gebruikersnaam en wachtwoord zijn ingesteld."))
            return redirect("acm:password-set")
    else:
        form = PasswordSetForm(initial={"username": credential.username if credential else ""}, user=user)
    return render(request, "acm/password_set.html", {"form": form, "credential": credential})


SMS_ENROL = "acm_sms_enrol"  # the challenge sent to the new number, until confirmed
SMS_LOGIN = "acm_sms_login"  # the login challenge of the first step ({"id": None} when no code was sent)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sms_enrol(request: HttpRequest) -> HttpResponse:
    """Beveiligingscode via SMS activeren: a mobile number, confirmed with a code sent to it. Only after a
    login at level high (eID, itsme)."""
    user = _high_level_user(request)
    if user is None:
        return _enrol_refused(request, "acm:sms-enrol")
    pending = request.session.get(SMS_ENROL) or {}
    number_form = MobileNumberForm()
    code_form = SmsCodeForm()
    action = request.POST.get("action", "")
    if request.method == "POST" and action == "send":
        number_form = MobileNumberForm(request.POST)
        if number_form.is_valid():
            number = number_form.cleaned_data["number"]
            challenge = sms.start_enrolment(request=request, user=user, number=number)
            if challenge is not None:
                request.session[SMS_ENROL] = {"id": challenge.pk, "number": number}
                return redirect("acm:sms-enrol")
            number_form.add_error(
                "number",
                _("U hebt het afgelopen uur al te veel nummers geprobeerd. Probeer het later opnieuw."),
            )
    elif request.method == "POST" and action == "resend" and pending:
        if sms.resend(request=request, user=user, challenge_id=pending.get("id"), purpose="enrol"):
            messages.info(request, _("We hebben een nieuwe code gestuurd."))
        else:
            messages.warning(request, _("U kunt geen nieuwe code meer vragen. Vul uw gsm-nummer opnieuw in."))
            request.session.pop(SMS_ENROL, None)
        return redirect("acm:sms-enrol")
    elif request.method == "POST" and action == "cancel":
        request.session.pop(SMS_ENROL, None)
        return redirect("acm:sms-enrol")
    elif request.method == "POST" and action == "confirm" and pending:
        code_form = SmsCodeForm(request.POST)
        if code_form.is_valid():
            if sms.confirm_enrolment(
                request=request,
                user=user,
                challenge_id=pending.get("id"),
                code=code_form.cleaned_data["code"],
            ):
                request.session.pop(SMS_ENROL, None)
                messages.success(request, _("Beveiligingscode via SMS is geactiveerd."))
                return redirect("acm:sms-enrol")
            code_form.add_error(
                "code",
                _(
                    "Deze code is niet correct of niet meer geldig. Vul de code uit de laatste sms "
                    "in, of vraag een nieuwe."
                ),
            )
    device = SmsDevice.objects.filter(user=user).first()
    return render(
        request,
        "acm/sms_enrol.html",
        {
            "number_form": number_form,
            "code_form": code_form,
            "form": code_form if pending else number_form,  # for the error summary
            "pending_number": sms.masked(pending["number"]) if pending.get("number") else "",
            "device": device,
            "device_number": sms.masked(device.number) if device else "",
            "has_password": passwords.has_password(user),
            "minutes": sms.CODE_MINUTES,
        },
    )


@require_POST
def sms_remove(request: HttpRequest) -> HttpResponse:
    user = _high_level_user(request)
    if user is None:
        raise PermissionDenied
    if sms.remove(request=request, user=user):
        messages.success(request, _("Uw gsm-nummer voor beveiligingscodes is verwijderd."))
    return redirect("acm:sms-enrol")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sms_login(request: HttpRequest) -> HttpResponse:
    """Aanmelden met een beveiligingscode via SMS, step 1: username (or national/BIS number) and password.
    Always on to step 2 (no account enumeration), except when too many tries failed."""
    error = ""
    if request.method == "POST":
        form = CredentialsForm(request.POST)
        if form.is_valid():
            outcome = sms.start_login(
                request=request,
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
            )
            if outcome.error in ("locked", "throttled"):
                error = _try_later()
                form = CredentialsForm(initial={"identifier": form.cleaned_data["identifier"]})
            else:
                request.session[SMS_LOGIN] = {"id": outcome.challenge_id}
                return redirect("acm:sms-code")
    else:
        form = CredentialsForm()
    return render(request, "acm/sms_login.html", {"form": form, "error": error, "method": sms.method()})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sms_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the sms. One generic message for a wrong, expired or used code."""
    pending = request.session.get(SMS_LOGIN)
    if pending is None:
        return redirect("acm:sms-login")
    error = ""
    form = SmsCodeForm()
    if request.method == "POST" and request.POST.get("action") == "resend":
        sms.resend(request=request, user=None, challenge_id=pending.get("id"), purpose="login")
        messages.info(
            request,
            _(
                "Als uw gegevens juist zijn, hebben we een nieuwe code gestuurd. Alleen de laatste code "
                "werkt."
            ),
        )
        return redirect("acm:sms-code")
    if request.method == "POST":
        form = SmsCodeForm(request.POST)
        if form.is_valid():
            outcome = sms.verify_login(
                request=request, challenge_id=pending.get("id"), code=form.cleaned_data["code"]
            )
            if outcome.user is not None:
                request.session.pop(SMS_LOGIN, None)
                return redirect("acm:act-as")
            if outcome.error in ("locked", "throttled"):
                error = _try_later()
            else:
                error = _(
                    "De combinatie van gebruikersnaam, wachtwoord en beveiligingscode is niet correct, of de "
                    "code is niet meer geldig."
                )
            form = SmsCodeForm()
    return render(
        request,
        "acm/sms_code.html",
        {"form": form, "error": error, "method": sms.method(), "minutes": sms.CODE_MINUTES},
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def eid_login(request: HttpRequest) -> HttpResponse:
    """Aanmelden met eID (production): the TLS proxy asks the card's certificate and passes it on; this
    view checks it (``kmop.acm.eid``) and logs the person in. A GET shows the start page (no login by a
    link)."""
    login_method = get_method("eid")
    assert login_method is not None
    if request.method != "POST":
        return render(request, "acm/eid_login.html", {"method": login_method, "error": ""})
    reason = ""
    record = None
    try:
        identity = eid.identify(request)
    except eid.CertificateRefused as refused:
        identity, reason = None, str(refused)
    if identity is None and not reason:
        reason = "no certificate"
    if identity is not None:
        record = lookup(identity.national_number)
        if record is None:
            reason = "not in the national register"
    if record is None:
        services.login_failed(
            request=request,
            user=None,
            identifier=identity.national_number if identity else "",
            method="eid",
            reason=f"eid: {reason}",
        )
        error = _(
            "Aanmelden met eID is niet gelukt. Controleer of uw eID in de kaartlezer zit, en of u de pincode "
            "juist hebt ingevuld, en probeer opnieuw."
        )
        return render(request, "acm/eid_login.html", {"method": login_method, "error": error}, status=403)
    services.person_login(request=request, method=login_method, record=record)
    return redirect("acm:act-as")

"""The screens of the Beheer der Toegangsbeheerders (BTB, seed 001): the enterprises I may manage and their
administrators; appoint a main access manager, co-main access manager or access manager (number → the person
from the national register → confirm); end an appointment (with confirmation).

Who comes in: a person logged in at least at level *substantial*. Like CSAM's BTB (and the Gebruikersbeheer),
the BTB works for the **person**, not for the organisation chosen in "aanmelden als": a main access manager
appointed by a legal representative has no user right yet (seed 001: he grants himself one in step 3, after
this), so he cannot act for the enterprise in the kmo-portefeuille, but must reach the BTB. The enterprise is
in the URL, and every request checks the person's role for it at that moment (``kmop.btb.selectors``): a legal
representative (current function in the KBO) for the main access manager; a legal representative, the main or
a co-main access manager for the others. Anyone else gets 403 and nothing changes; an unknown enterprise or
another enterprise's appointment is a 404. Changes only by POST (CSRF), each after a confirmation step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from kmop.acm import session as keys
from kmop.acm.methods import MINIMUM_LEVEL, level_at_least
from kmop.acm.models import User
from kmop.audit.services import Actor
from kmop.btb import selectors, services
from kmop.btb.forms import LEVEL_SLUGS, SLUG_OF, AppointForm, EndForm
from kmop.idm.errors import IdmError, NotAllowed
from kmop.idm.models import AdministratorAppointment
from kmop.registers.numbers import format_enterprise_number, format_national_number

Level = AdministratorAppointment.Level
View = Callable[..., HttpResponse]
_CODE = re.compile(r"^[0-9]{10}$")


def gebruikersbeheer_url() -> str:
    """The Gebruikersbeheer (another app's screens) where the administrators manage the users."""
    try:
        return reverse("idm:home")
    except NoReverseMatch:
        return "/gebruikersbeheer/"


def person_required(view: View) -> View:
    """Logged in with a national or BIS number at least at level *substantial*; else to the login (or 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not isinstance(user, User):
            return redirect_to_login(request.get_full_path())
        if not user.national_number or not level_at_least(request.session.get(keys.ACR, ""), MINIMUM_LEVEL):
            raise PermissionDenied
        return view(request, user, user.national_number, *args, **kwargs)

    return wrapper


def _actor(request: HttpRequest, user: User, code: str) -> Actor:
    return Actor(
        label=user.get_username(), user=user, organisation_code=code, acr=request.session.get(keys.ACR, "")
    )


def _enterprise(code: str) -> str:
    if not _CODE.match(code) or not selectors.enterprise_known(code):
        raise Http404
    return code


def _overview_url(code: str = "") -> str:
    return reverse("btb:overview") + (f"#onderneming-{code}" if code else "")


def _level_title(level: str) -> str:
    if level == Level.MAIN:
        return _("Een hoofdtoegangsbeheerder aanstellen of wijzigen")
    if level == Level.CO_MAIN:
        return _("Een co-hoofdtoegangsbeheerder aanstellen")
    return _("Een toegangsbeheerder aanstellen")


@never_cache
@require_safe
@person_required
def overview(request: HttpRequest, user: User, number: str) -> HttpResponse:
    enterprises = selectors.enterprises_of(number)
    return render(
        request,
        "btb/overview.html",
        {
            "enterprises": enterprises,
            "gebruikersbeheer_url": gebruikersbeheer_url(),
            "slugs": {
                "main": SLUG_OF[Level.MAIN],
                "co_main": SLUG_OF[Level.CO_MAIN],
                "access_manager": SLUG_OF[Level.ACCESS_MANAGER],
            },
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@person_required
def appoint(request: HttpRequest, user: User, number: str, code: str, level_slug: str) -> HttpResponse:
    level = LEVEL_SLUGS.get(level_slug)
    if level is None:
        raise Http404
    code = _enterprise(code)
    allowed = (
        selectors.may_appoint_main(number, code)
        if level == Level.MAIN
        else selectors.may_manage_access_managers(number, code)
    )
    if not allowed:
        raise PermissionDenied
    organisation = selectors.enterprise_organisation(code)
    context: dict[str, Any] = {
        "organisation": organisation,
        "display_code": format_enterprise_number(code),
        "level": level,
        "level_label": Level(level).label,
        "title": _level_title(level),
        "current_main": selectors.current_main(code) if level == Level.MAIN else None,
        "overview_url": _overview_url(code),
    }
    if request.method != "POST":
        return render(request, "btb/appoint.html", {**context, "form": AppointForm(level=level)})
    if "wijzigen" in request.POST:  # back from the confirmation to the form, with what was filled in
        form = AppointForm(initial=request.POST.dict(), level=level)
        return render(request, "btb/appoint.html", {**context, "form": form})
    form = AppointForm(request.POST, level=level)
    if not form.is_valid():
        return render(request, "btb/appoint.html", {**context, "form": form})
    if "bevestig" not in request.POST:
        record = form.record
        assert record is not None
        return render(
            request,
            "btb/confirm.html",
            {
                **context,
                "form": form,
                "record": record,
                "person_number": format_national_number(record.national_number),
                "is_bis": record.national_number[2] in "2345",
                "domain_label": form.domain_label,
            },
        )
    try:
        appointment = services.appoint(
            actor=_actor(request, user, code),
            enterprise_number=code,
            number=form.cleaned_data["number"],
            level=level,
            domain=form.cleaned_data.get("domain", ""),
            end_date=form.cleaned_data.get("end_date"),
            email=form.cleaned_data.get("email", ""),
        )
    except NotAllowed:
        raise PermissionDenied from None
    except IdmError as error:
        form.add_error(error.field if error.field in form.fields else None, error)
        return render(request, "btb/appoint.html", {**context, "form": form})
    label = str(Level(level).label)
    if level == Level.ACCESS_MANAGER:
        label = f"{label} ({form.domain_label})"
    messages.success(
        request,
        _("%(person)s is aangesteld als %(level)s van %(organisation)s.")
        % {
            "person": appointment.person,
            "level": label.lower(),
            "organisation": appointment.organisation.name,
        },
    )
    return HttpResponseRedirect(_overview_url(code))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@person_required
def end(request: HttpRequest, user: User, number: str, code: str, pk: int) -> HttpResponse:
    code = _enterprise(code)
    appointment = selectors.appointment_of(code, pk)
    if appointment is None:
        raise Http404
    if not selectors.may_end(number, appointment):
        raise PermissionDenied
    label = str(Level(appointment.level).label)
    if appointment.level == Level.ACCESS_MANAGER:
        label = f"{label} ({selectors.domain_label(appointment.domain)})"
    form = EndForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_end(
                actor=_actor(request, user, code), appointment=appointment, reason=form.cleaned_data["reason"]
            )
        except NotAllowed:
            raise PermissionDenied from None
        except IdmError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("De aanstelling van %(person)s als %(level)s is beëindigd.")
                % {"person": appointment.person, "level": label.lower()},
            )
            return HttpResponseRedirect(_overview_url(code))
    return render(
        request,
        "btb/end.html",
        {
            "appointment": appointment,
            "label": label,
            "form": form,
            "display_code": format_enterprise_number(code),
            "overview_url": _overview_url(code),
        },
    )

"""The e-loket's views (issue 4 §2–4): thin, forms validate and the projects services act.

* ``enterprise_profile``: the ondernemingsfoto (KBO identity, size class, budget per year, projects, deposits
  owed); an enterprise without a completed profile is sent to the first use first.
* ``first_use``: the eligibility check with its reasons and the completion of the missing data.
* ``application_*``: the application wizard (state in the session, nothing written before the submission).
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kmop.acm.decorators import acting_required
from kmop.audit.services import Actor
from kmop.eloket.forms import TRAINING_TYPES, DeclarationForm, ProfileForm, ProjectForm, ServiceForm
from kmop.idm.models import Organisation
from kmop.projects import selectors as project_selectors
from kmop.projects import services as project_services
from kmop.projects.errors import ApplicationRefused, InvalidInput, NotAllowed, ProjectError
from kmop.projects.models import EnterpriseProfile, ProjectStatus, SizeClass
from kmop.projects.profile_services import complete_profile
from kmop.providers.models import Service
from kmop.providers.selectors import providers_for_application, registration_for_application
from kmop.registers.numbers import format_iban, format_structured_reference
from kmop.registers.selectors import EnterpriseIdentity, enterprise_identity
from kmop.schemes.errors import SchemeError
from kmop.schemes.services import eligibility, themes_on

#: how long the ondernemingsfoto keeps an enterprise's KBO identity (name, legal form, registered office,
#: establishments) in Django's cache: the KBO changes at most daily (the import), so a change shows on the
#: photo at most 5 minutes late; it saves the photo five of its queries
IDENTITY_CACHE_SECONDS = 300


def _identity_key(code: str) -> str:
    return f"eloket:identity:{code}"


def _identity(organisation: Organisation) -> EnterpriseIdentity:
    return enterprise_identity(organisation.code, fallback_name=organisation.name)


def _cached_identity(organisation: Organisation) -> EnterpriseIdentity:
    """``_identity``, kept ``IDENTITY_CACHE_SECONDS`` per enterprise (the ondernemingsfoto only; the first use
    and the eligibility check read the KBO afresh)."""
    key = _identity_key(organisation.code)
    identity = cache.get(key)
    if not isinstance(identity, EnterpriseIdentity):
        identity = _identity(organisation)
        cache.set(key, identity, IDENTITY_CACHE_SECONDS)
    return identity


def profile_completed(organisation: Organisation) -> EnterpriseProfile | None:
    profile = project_selectors.profile_of(organisation)
    return profile if profile is not None and profile.completed_at is not None else None


#: the ondernemingsfoto shows the newest projects; all of them are on /e-loket/projecten/ (with filters)
PROJECTS_SHOWN = 20
_PROJECT_COLUMNS = (
    "number",
    "title",
    "registration__provider__legal_name",
    "application_date",
    "subsidy",
    "status",
)
_DEPOSIT_COLUMNS = ("number", "own_contribution", "structured_reference", "deposit_deadline")


@acting_required
def enterprise_profile(request: HttpRequest) -> HttpResponse:
    """The ondernemingsfoto. Cheap by design (it is the e-loket's landing page): the projects as plain
    rows (``values()``), only the newest ``PROJECTS_SHOWN`` (one more is read to know whether there are
    more), every deposit owed (not only those among the projects shown), the KBO identity from the cache."""
    organisation = request.acting.organisation  # type: ignore[attr-defined]
    profile = profile_completed(organisation)
    if profile is None:
        return redirect("eloket:first-use")
    today = timezone.localdate()
    years = project_selectors.budget_years(organisation)
    this_year = next((b for b in years if b.year == today.year), None)
    if this_year is not None and this_year.size_class:  # the year's size class came with its budget
        size_label, size_locked = dict(SizeClass.choices).get(this_year.size_class, ""), this_year.locked
    else:
        size = project_selectors.size_class_of_year(organisation, today)
        size_label = size.get_size_class_display() if size is not None else ""
        size_locked = size is not None and size.locked_at is not None
    # one reverse for every row: the project's number takes the placeholder's place
    link = reverse("eloket:project", args=["NUMMER"])
    labels = dict(ProjectStatus.choices)
    projects = list(
        project_selectors.projects_of(organisation).values(*_PROJECT_COLUMNS)[: PROJECTS_SHOWN + 1]
    )
    more = len(projects) > PROJECTS_SHOWN
    projects = projects[:PROJECTS_SHOWN]
    for p in projects:
        p["url"] = link.replace("NUMMER", p["number"])
        p["provider"] = p["registration__provider__legal_name"]
        p["status_label"] = labels.get(p["status"], p["status"])
    deposits = list(project_selectors.deposits_owed(organisation).values(*_DEPOSIT_COLUMNS))
    for d in deposits:
        d["url"] = link.replace("NUMMER", d["number"])
        d["reference"] = format_structured_reference(d["structured_reference"])
    context: dict[str, Any] = {
        "identity": _cached_identity(organisation),
        "profile": profile,
        "iban": format_iban(profile.iban) if profile.iban else "",
        "year": today.year,
        "this_year": this_year,
        "earlier_years": [b for b in years if b.year != today.year],
        "size_label": size_label,
        "size_locked": size_locked,
        "projects": projects,
        "more_projects": more,
        "projects_shown": PROJECTS_SHOWN,
        "deposits": deposits,
    }
    return render(request, "eloket/enterprise_profile.html", context)


# --- first use --------------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    acting = request.acting  # type: ignore[attr-defined]
    return Actor(
        label=acting.user.get_username(),
        user=acting.user,
        organisation_code=acting.organisation_code,
        acr=acting.acr,
    )


def _kbo_main_nace(code: str) -> str:
    from kmop.registers.models import Activity

    rows = Activity.objects.filter(entity_number=code, classification="MAIN").order_by("-nace_version")
    row = rows.values_list("nace_code", flat=True).first()
    return row or ""


@acting_required
def first_use(request: HttpRequest) -> HttpResponse:
    organisation = request.acting.organisation  # type: ignore[attr-defined]
    today = timezone.localdate()
    profile = project_selectors.profile_of(organisation)
    size = project_selectors.size_class_of_year(organisation, today)
    locked = size is not None and size.locked_at is not None
    nace = (profile.nace_code if profile else "") or _kbo_main_nace(organisation.code)
    try:
        result = eligibility(organisation.code, today, nace_code=nace or None)
        checks = list(result.checks)
        problem = ""
    except SchemeError as e:
        checks, problem = [], str(e)
    initial = {
        "size_class": size.size_class if size else "KO",
        "size_confirmed": locked,
        "iban": format_iban(profile.iban) if profile and profile.iban else "",
        "nace_code": nace,
        "contact_name": (profile.contact_name if profile else "") or request.acting.user.get_full_name(),  # type: ignore[attr-defined]
        "contact_email": profile.contact_email if profile else "",
        "contact_phone": profile.contact_phone if profile else "",
    }
    form = ProfileForm(request.POST or None, initial=initial, size_locked=locked)
    if request.method == "POST" and form.is_valid():
        try:
            complete_profile(
                actor=_actor(request), organisation=organisation, data=form.cleaned_data, day=today
            )
        except NotAllowed as e:
            raise PermissionDenied(str(e)) from None
        except ProjectError as e:
            form.add_error(e.field if e.field in form.fields else None, e)
        else:
            return redirect("eloket:enterprise-profile")
    return render(
        request,
        "eloket/first_use.html",
        {
            "form": form,
            "checks": checks,
            "problem": problem,
            "eligible": bool(checks) and all(c.ok is not False for c in checks),
            "identity": _identity(organisation),
            "year": today.year,
            "locked": locked,
            "first": profile is None or profile.completed_at is None,
        },
    )


# --- the application wizard -------------------------------------------------------------------------------

WIZARD = "eloket_wizard"
DONE = "eloket_done"


def _wizard(request: HttpRequest) -> dict[str, Any]:
    """The wizard's state in the session for the acting enterprise (a new one with a fresh form token)."""
    code = request.acting.organisation_code  # type: ignore[attr-defined]
    state = request.session.get(WIZARD)
    if not isinstance(state, dict) or state.get("organisation") != code:
        state = {"organisation": code, "token": secrets.token_urlsafe(24)}
        request.session[WIZARD] = state
    return state


def _store(request: HttpRequest, state: dict[str, Any], **values: Any) -> None:
    state.update(values)
    request.session[WIZARD] = state
    request.session.modified = True


def _theme_choices(day: date) -> list[tuple[str, str]]:
    try:
        themes = themes_on(day)
    except SchemeError:
        return []
    choices: list[tuple[str, str]] = []
    for theme in themes:
        choices.append((theme.code, theme.label))
        choices.extend(
            (f"{theme.code}/{sub.code}", f"{theme.label} — {sub.label}") for sub in theme.subthemes
        )
    return choices


def _split_theme(value: str) -> tuple[str, str]:
    theme, _sep, subtheme = (value or "").partition("/")
    return theme, subtheme


def _size_class(organisation: Organisation, day: date) -> str:
    size = project_selectors.size_class_of_year(organisation, day)
    return size.size_class if size else "KO"


def _preview(organisation: Organisation, state: dict[str, Any]) -> project_services.Preview | None:
    if not state.get("registration") or not state.get("amount") or not state.get("start_date"):
        return None
    theme, subtheme = _split_theme(state.get("theme", ""))
    today = timezone.localdate()
    try:
        return project_services.application_preview(
            organisation=organisation,
            registration=state["registration"],
            service=state["service"],
            theme=theme,
            subtheme=subtheme,
            amount=state["amount"],
            start_date=state["start_date"],
            size_class=_size_class(organisation, today),
            on=today,
            title=state.get("title", ""),
        )
    except ProjectError:
        return None


def _needs_profile(organisation: Organisation) -> bool:
    return profile_completed(organisation) is None


@acting_required
def application_start(request: HttpRequest) -> HttpResponse:
    organisation = request.acting.organisation  # type: ignore[attr-defined]
    if _needs_profile(organisation):
        return redirect("eloket:first-use")
    if request.GET.get("opnieuw"):
        request.session.pop(WIZARD, None)
    state = _wizard(request)
    return render(
        request,
        "eloket/application_start.html",
        {
            "provider_done": bool(state.get("registration")),
            "project_done": bool(state.get("amount")),
            "state": state,
        },
    )


@acting_required
def application_provider(request: HttpRequest) -> HttpResponse:
    organisation = request.acting.organisation  # type: ignore[attr-defined]
    if _needs_profile(organisation):
        return redirect("eloket:first-use")
    state = _wizard(request)
    today = timezone.localdate()
    initial = {
        "service": state.get("service", Service.OPLEIDING),
        "registration": state.get("registration", ""),
    }
    form = ServiceForm(request.POST or None, initial=initial)
    results = None
    if request.method == "POST" and form.is_valid():
        service = form.cleaned_data["service"]
        number = form.cleaned_data["registration"].strip()
        if request.POST.get("action") == "search" or (not number and form.cleaned_data["query"]):
            results = list(providers_for_application(service, today, form.cleaned_data["query"])[:25])
        elif not number:
            form.add_error(
                "registration", _("Vul het registratienummer in of zoek de dienstverlener op naam.")
            )
        else:
            found = registration_for_application(number, service, today)
            if found is None:
                form.add_error(
                    "registration",
                    _(
                        "Er is geen dienstverlener met registratienummer %(number)s die vandaag "
                        "geregistreerd is voor %(service)s."
                    )
                    % {"number": number, "service": Service(service).label.lower()},
                )
            else:
                _store(
                    request,
                    state,
                    service=service,
                    registration=found.number,
                    provider=found.provider.legal_name,
                )
                return redirect("eloket:application-project")
    return render(
        request, "eloket/application_provider.html", {"form": form, "results": results, "state": state}
    )


def _project_initial(state: dict[str, Any]) -> dict[str, Any]:
    initial: dict[str, Any] = {
        k: state[k] for k in ("theme", "training_type", "title", "hours", "participants") if k in state
    }
    if state.get("amount"):
        initial["amount"] = state["amount"].replace(".", ",")
    if state.get("start_date"):
        initial["start_date"] = date.fromisoformat(state["start_date"]).strftime("%d/%m/%Y")
    return initial


def _project_values(form: ProjectForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "theme": data["theme"],
        "training_type": data["training_type"],
        "title": data["title"],
        "start_date": data["start_date"].isoformat(),
        "hours": str(data["hours"]),
        "amount": str(data["amount"]),
        "participants": data["participants"],
    }


@acting_required
def application_project(request: HttpRequest) -> HttpResponse:
    organisation = request.acting.organisation  # type: ignore[attr-defined]
    if _needs_profile(organisation):
        return redirect("eloket:first-use")
    state = _wizard(request)
    if not state.get("registration"):
        return redirect("eloket:application-provider")
    themes = _theme_choices(timezone.localdate())
    form = ProjectForm(request.POST or None, initial=_project_initial(state), themes=themes)
    preview = _preview(organisation, state)
    if request.method == "POST" and form.is_valid():
        values = _project_values(form)
        if request.POST.get("action") == "preview":
            preview = _preview(organisation, {**state, **values})
        else:
            _store(request, state, **values)
            return redirect("eloket:application-check")
    return render(
        request,
        "eloket/application_project.html",
        {"form": form, "state": state, "preview": preview},
    )


@acting_required
def application_preview_partial(request: HttpRequest) -> HttpResponse:
    """The live preview (htmx): the project form's values as they are typed, nothing stored."""
    organisation = request.acting.organisation  # type: ignore[attr-defined]
    state = _wizard(request)
    form = ProjectForm(request.POST or None, themes=_theme_choices(timezone.localdate()))
    preview = None
    if request.method == "POST" and form.is_valid():
        preview = _preview(organisation, {**state, **_project_values(form)})
    return render(request, "eloket/_preview.html", {"preview": preview, "form": form, "live": True})


def _summary(state: dict[str, Any]) -> list[tuple[str, str, str]]:
    theme_labels = dict(_theme_choices(timezone.localdate()))
    amount = Decimal(state["amount"])
    return [
        (_("Soort dienst"), Service(state["service"]).label, "eloket:application-provider"),
        (
            _("Dienstverlener"),
            f"{state.get('provider', '')} ({state['registration']})",
            "eloket:application-provider",
        ),
        (
            _("Thema"),
            theme_labels.get(state.get("theme", ""), state.get("theme", "")) or "—",
            "eloket:application-project",
        ),
        (
            _("Soort opleiding"),
            str(dict(TRAINING_TYPES).get(state.get("training_type", ""), "—")),
            "eloket:application-project",
        ),
        (_("Titel"), state["title"], "eloket:application-project"),
        (
            _("Startdatum"),
            date.fromisoformat(state["start_date"]).strftime("%d/%m/%Y"),
            "eloket:application-project",
        ),
        (_("Aantal uren"), state["hours"], "eloket:application-project"),
        (
            _("Projectbedrag exclusief btw"),
            f"€ {floatformat(amount, '2g')}",
            "eloket:application-project",
        ),
        (_("Aantal deelnemers"), str(state["participants"]), "eloket:application-project"),
    ]


@acting_required
def application_check(request: HttpRequest) -> HttpResponse:
    organisation = request.acting.organisation  # type: ignore[attr-defined]
    if _needs_profile(organisation):
        return redirect("eloket:first-use")
    done: dict[str, str] = request.session.get(DONE, {})
    if request.method == "POST" and request.POST.get("token") in done:
        # the same form submitted again: the project it made
        return redirect("eloket:application-done", number=done[request.POST["token"]])
    state = _wizard(request)
    if not state.get("registration"):
        return redirect("eloket:application-provider")
    if not state.get("amount"):
        return redirect("eloket:application-project")
    form = DeclarationForm(request.POST or None, initial={"token": state["token"]})
    refusals: list[str] = []
    if request.method == "POST" and form.is_valid():
        theme, subtheme = _split_theme(state.get("theme", ""))
        today = timezone.localdate()
        try:
            project = project_services.application_submit(
                actor=_actor(request),
                organisation=organisation,
                registration=state["registration"],
                service=state["service"],
                theme=theme,
                subtheme=subtheme,
                training_type=state.get("training_type", ""),
                title=state["title"],
                start_date=state["start_date"],
                hours=state["hours"],
                amount=state["amount"],
                participants=state["participants"],
                size_class=_size_class(organisation, today),
                idempotency_key=form.cleaned_data["token"],
            )
        except ApplicationRefused as e:
            refusals = [r.message for r in e.refusals]
        except (InvalidInput, ProjectError) as e:
            refusals = list(e.messages)
        else:
            done = {**done, form.cleaned_data["token"]: project.number}
            request.session[DONE] = dict(list(done.items())[-20:])
            request.session.pop(WIZARD, None)
            return redirect("eloket:application-done", number=project.number)
    return render(
        request,
        "eloket/application_check.html",
        {
            "form": form,
            "summary": _summary(state),
            "preview": _preview(organisation, state),
            "refusals": refusals,
        },
    )


@acting_required
def application_done(request: HttpRequest, number: str) -> HttpResponse:
    organisation = request.acting.organisation  # type: ignore[attr-defined]
    project = project_selectors.project_of_enterprise(organisation, number)
    if project is None:
        raise Http404
    return render(
        request,
        "eloket/application_done.html",
        {"project": project, "reference": format_structured_reference(project.structured_reference)},
    )

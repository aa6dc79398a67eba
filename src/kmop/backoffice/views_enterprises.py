"""The back office's enterprise pages (issue 6 §3): find an enterprise by enterprise number or name and see
what the platform knows of it — the KBO's register data, its users and their rights, its projects, its
projects' wallets and ledger, its audit history — and, for the application manager logged in at level high,
correct its profile (contact e-mail, IBAN for refunds) or cancel a project on behalf of VLAIO, each with a
reason (``services_organisations``; audited there).

The sections are shared with the provider pages (``views_providers``): the selectors of
``selectors_organisations`` and the partial templates of ``backoffice/partials/``; each long list is paged
with its own parameter (``Section``), so the page is a bounded number of queries whatever the enterprise's
size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kmop.acm.session import Acting
from kmop.backoffice import selectors_organisations as selectors
from kmop.backoffice.decorators import staff_required
from kmop.backoffice.permissions import can_act_in_backoffice, is_application_manager
from kmop.backoffice.services_organisations import (
    enterprise_profile_correct,
    enterprise_project_cancel,
    profile_version,
    project_version,
)
from kmop.backoffice.views import _actor, _context, _with_names
from kmop.idm.errors import IdmError
from kmop.idm.models import Organisation
from kmop.projects.models import EnterpriseProfile, Project
from kmop.projects.services import TRANSITIONS
from kmop.providers.models import Provider
from kmop.registers.numbers import format_iban

SEARCH_PAGE = 50
#: rows per page of the sections (projects, transactions, payouts, history, persons)
SECTION_PAGE = 25


def may_manage(acting: Acting | None) -> bool:
    """The application manager's actions on an organisation's data: the right and a login of level high."""
    return is_application_manager(acting) and can_act_in_backoffice(acting)


@dataclass
class Section:
    """One paged list of a page: its page of rows and the links to the pages around it (the other
    sections' pages kept)."""

    page: Page
    anchor: str
    previous_url: str = ""
    next_url: str = ""


def section(
    request: HttpRequest,
    rows: QuerySet[Any],
    param: str,
    anchor: str,
    per_page: int = SECTION_PAGE,
    paginator: Callable[[QuerySet[Any], int], Paginator] = Paginator,
) -> Section:
    """The page ``request.GET[param]`` of ``rows`` (``per_page`` each; one count and one page query)."""
    page = paginator(rows, per_page).get_page(request.GET.get(param))

    def url(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}#{anchor}"

    return Section(
        page=page,
        anchor=anchor,
        previous_url=url(page.previous_page_number()) if page.has_previous() else "",
        next_url=url(page.next_page_number()) if page.has_next() else "",
    )


def history_section(request: HttpRequest, rows: QuerySet[Any]) -> Section:
    """The audit history's page, each event with ``by`` (the actor's full name, else the label)."""
    result = section(request, rows, "historiek", "historiek")
    events = list(result.page.object_list)
    for event in events:
        name = event.actor.get_full_name() if event.actor is not None else ""
        event.by = name or event.actor_label
    result.page.object_list = events
    return result


class EnterpriseSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Ondernemingsnummer of naam"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "input", "type": "search"}),
    )


def _reason_field(help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Reden"),
        help_text=help_text,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "textarea", "rows": 3}),
        error_messages={
            "required": gettext_lazy("Geef de reden van deze wijziging."),
            "max_length": gettext_lazy("De reden is te lang (ten hoogste 2000 tekens)."),
        },
    )


class ProfileCorrectionForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput, max_length=64)
    contact_email = forms.CharField(
        label=gettext_lazy("E-mailadres contactpersoon"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "input", "autocomplete": "off"}),
        error_messages={"required": gettext_lazy("Vul een e-mailadres in, bijvoorbeeld naam@voorbeeld.be.")},
    )
    iban = forms.CharField(
        label=gettext_lazy("IBAN voor terugbetalingen"),
        help_text=gettext_lazy("Bijvoorbeeld BE71 0961 2345 6769."),
        max_length=42,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
        error_messages={"required": gettext_lazy("Vul het IBAN-rekeningnummer in.")},
    )
    reason = _reason_field(gettext_lazy("Verplicht; komt in de historiek van de onderneming."))


class ProjectCancelForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput, max_length=64)
    reason = _reason_field(gettext_lazy("Verplicht; de onderneming krijgt deze reden per mail."))


# --- search ------------------------------------------------------------------------------------------------


@staff_required
@never_cache
def enterprises(request: HttpRequest) -> HttpResponse:
    form = EnterpriseSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    page = None
    if query:
        page = Paginator(
            selectors.enterprise_search(query).only("pk", "code", "name", "target_group", "active"),
            SEARCH_PAGE,
        ).get_page(request.GET.get("pagina"))
        if page.paginator.count == 1 and not request.GET.get("pagina"):
            return redirect("backoffice:enterprise", code=page.object_list[0].code)
    return render(
        request,
        "backoffice/enterprises/search.html",
        _context(request, form=form, query=query, page=page),
    )


# --- the enterprise ----------------------------------------------------------------------------------------


def _enterprise(code: str) -> Organisation:
    organisation = selectors.enterprise((code or "").strip())
    if organisation is None:
        raise Http404
    return organisation


def _profile(organisation: Organisation) -> EnterpriseProfile | None:
    try:
        return organisation.enterprise_profile
    except EnterpriseProfile.DoesNotExist:
        return None


def _cancellable(project: Project) -> bool:
    return project.status in TRANSITIONS["cancel"].sources


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def enterprise_detail(request: HttpRequest, code: str) -> HttpResponse:
    organisation = _enterprise(code)
    profile = _profile(organisation)
    manage = may_manage(request.acting)  # type: ignore[attr-defined]
    projects = section(request, selectors.enterprise_projects(organisation), "projecten", "projecten")
    projects.page.object_list = list(projects.page.object_list)
    for project in projects.page.object_list:
        project.cancellable = manage and _cancellable(project)
    transactions = section(request, selectors.enterprise_transactions(organisation), "boekingen", "boekingen")
    transactions.page.object_list = _with_names(list(transactions.page.object_list), "actor_label")
    refunds = selectors.enterprise_refunds(organisation)
    context = _context(
        request,
        organisation=organisation,
        register=selectors.register_data(organisation.code),
        representatives=selectors.representatives(organisation.code),
        profile=profile,
        iban=format_iban(profile.iban) if profile is not None and profile.iban else "",
        may_manage=manage,
        relations=section(request, selectors.organisation_rights(organisation), "personen", "rechten"),
        projects=projects,
        wallet=selectors.enterprise_wallet_totals(organisation),
        transactions=transactions,
        refunds=section(request, refunds, "terugbetalingen", "terugbetalingen"),
        refund_totals=selectors.payout_totals(refunds),
        history=history_section(request, selectors.enterprise_history(organisation)),
        provider=Provider.objects.filter(organisation=organisation).only("pk").first(),
    )
    return render(request, "backoffice/enterprises/detail.html", context)


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def enterprise_profile(request: HttpRequest, code: str) -> HttpResponse:
    """Correct the enterprise's contact e-mail and IBAN (the application manager, level high)."""
    organisation = _enterprise(code)
    profile = _profile(organisation)
    manage = may_manage(request.acting)  # type: ignore[attr-defined]
    if request.method == "POST":
        if not manage:
            raise PermissionDenied
        form = ProfileCorrectionForm(request.POST)
        if profile is not None and form.is_valid():
            try:
                enterprise_profile_correct(
                    actor=_actor(request),
                    organisation=organisation,
                    contact_email=form.cleaned_data["contact_email"],
                    iban=form.cleaned_data["iban"],
                    reason=form.cleaned_data["reason"],
                    version=form.cleaned_data["version"],
                )
            except IdmError as error:  # a value refused, changed meanwhile, nothing changed
                field = error.field if error.field in form.fields else None
                form.add_error(field, error)
            else:
                messages.success(
                    request,
                    _("Het profiel van %(name)s is gecorrigeerd.") % {"name": organisation.name},
                )
                return redirect("backoffice:enterprise", code=organisation.code)
    else:
        initial = (
            {
                "version": profile_version(profile),
                "contact_email": profile.contact_email,
                "iban": format_iban(profile.iban) if profile.iban else "",
            }
            if profile is not None
            else {}
        )
        form = ProfileCorrectionForm(initial=initial)
    context = _context(
        request,
        organisation=organisation,
        profile=profile,
        iban=format_iban(profile.iban) if profile is not None and profile.iban else "",
        form=form,
        may_manage=manage,
    )
    return render(request, "backoffice/enterprises/profile.html", context)


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def enterprise_project_cancel_view(request: HttpRequest, code: str, number: str) -> HttpResponse:
    """Cancel a project in Bevestigd on behalf of VLAIO (the application manager, level high)."""
    organisation = _enterprise(code)
    project = (
        selectors.enterprise_projects(organisation).filter(number=(number or "").strip().upper()).first()
    )
    if project is None:
        raise Http404
    manage = may_manage(request.acting)  # type: ignore[attr-defined]
    if request.method == "POST":
        if not manage:
            raise PermissionDenied
        form = ProjectCancelForm(request.POST)
        if form.is_valid():
            try:
                enterprise_project_cancel(
                    actor=_actor(request),
                    project=project,
                    reason=form.cleaned_data["reason"],
                    version=form.cleaned_data["version"],
                )
            except IdmError as error:  # changed meanwhile, no longer cancellable: nothing changed
                form.add_error("reason" if error.field == "reason" else None, error)
            else:
                messages.success(
                    request,
                    _(
                        "Project %(number)s is geannuleerd namens VLAIO. Het budget is vrijgegeven; wat in "
                        "de portefeuille zat, wordt terugbetaald. De onderneming krijgt een mail."
                    )
                    % {"number": project.number},
                )
                return redirect("backoffice:enterprise", code=organisation.code)
    else:
        form = ProjectCancelForm(initial={"version": project_version(project)})
    context = _context(
        request,
        organisation=organisation,
        project=project,
        form=form,
        may_manage=manage,
        cancellable=_cancellable(project),
    )
    return render(request, "backoffice/enterprises/project_cancel.html", context)

"""The Gebruikersbeheer screens (seeds 000 and 003) for local administrators and application managers.

Who may come in: a person logged in (at least *substantial*) who administers at least one organisation
(``permissions.can_administer_organisation``: legal representative, (co-)main access manager, access manager
for economie, local administrator) or VLAIO staff with the Toepassingsbeheerder right. Everything is scoped to
the organisations they administer: another organisation's person, work relation or grant is a 404, and the
services check the same rules again. Changes only by POST (CSRF on), each after a confirmation step.

The wizards (voeg gebruiker toe, koppel gebruiker aan organisatie, ken gebruikersrecht toe, verleng) keep no
state on the server: each step posts the earlier steps' answers again as hidden fields and every step checks
them again. Before the confirmation step the service runs once in a transaction that is rolled back (a dry
run), so the confirmation shows what will happen (e.g. the end date "automatic" gives) and any refusal of the
service is shown at its field before anything is confirmed.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from kmop.acm import session as keys
from kmop.acm.methods import MINIMUM_LEVEL, level_at_least
from kmop.acm.models import TotpDevice, User
from kmop.audit.services import Actor
from kmop.idm import selectors, services
from kmop.idm.dates import add_months
from kmop.idm.errors import IdmError
from kmop.idm.exports import grants_csv
from kmop.idm.forms import (
    ConfirmForm,
    ExtendForm,
    GrantDetailsForm,
    GrantSearchForm,
    OrganisationForm,
    PersonDetailsForm,
    PersonNumberForm,
    ReasonForm,
    RightForm,
    WorkRelationDetailsForm,
    WorkRelationEditForm,
)
from kmop.idm.models import (
    WORK_RELATION_MAX_MONTHS,
    Organisation,
    Person,
    RightDefinition,
    RightGrant,
    TargetGroup,
    WorkRelation,
)
from kmop.registers.numbers import format_enterprise_number, format_national_number
from kmop.web.rows import url_of

View = Callable[..., HttpResponseBase]

#: the session key of the persons this administrator added in this session (their page is open to him
#: before they have a work relation in his organisations)
ADDED_PERSONS = "idm_added_persons"
PAGE_SIZE = 50
HISTORY_SIZE = 200


# --- who acts -------------------------------------------------------------------------------------------


@dataclass
class Administrator:
    """The person logged in who administers organisations (``request`` is kept for the session)."""

    user: User
    number: str
    acr: str
    application_manager: bool
    organisations: QuerySet[Organisation]
    #: the ids of the organisations administered (None for an application manager: all of them)
    organisation_ids: list[int] | None = None

    @property
    def actor(self) -> Actor:
        # No organisation code: the services record the organisation concerned by each change.
        return Actor(label=self.user.get_username(), user=self.user, acr=self.acr)


def _logged_in(request: HttpRequest) -> tuple[User, str] | HttpResponse:
    user = request.user
    if not user.is_authenticated or not isinstance(user, User):
        return redirect_to_login(request.get_full_path())
    if not level_at_least(request.session.get(keys.ACR, ""), MINIMUM_LEVEL) or not user.national_number:
        raise PermissionDenied
    return user, user.national_number


#: staff actions on other organisations' data need a login of this level (IAM.md, decision)
STAFF_LEVEL = "high"


def _administrator(request: HttpRequest, user: User, number: str) -> Administrator | None:
    """The administrator, or None. The Toepassingsbeheerder's powers over every organisation need a login at
    level *high* (eID, itsme); with a security code (*substantial*) he administers only what he administers
    on his own (appointments, KBO).

    Asked again on every request (a revoked administrator loses access at once), in one statement built once
    (``selectors.administration``): building the ORM queries of the same question cost more than running
    them."""
    acr = request.session.get(keys.ACR, "")
    administration = selectors.administration(number)
    if administration.application_manager and level_at_least(acr, STAFF_LEVEL):
        return Administrator(user, number, acr, True, Organisation.objects.all())
    # The ids as a list: the planner then knows how few organisations they are.
    ids = list(administration.organisation_ids)
    if not ids:
        return None
    return Administrator(user, number, acr, False, Organisation.objects.filter(pk__in=ids), ids)


def administrator_required(view: View) -> View:
    """Logged in (at least *substantial*) and an administrator of some organisation; else the login, or 403
    with an explanation and the way to "Mijn profiel"."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        login = _logged_in(request)
        if isinstance(login, HttpResponse):
            return login
        admin = _administrator(request, *login)
        if admin is None:
            return render(request, "idm/no_admin.html", status=403)
        return view(request, admin, *args, **kwargs)

    return wrapper


def _person(request: HttpRequest, admin: Administrator, pk: int) -> Person:
    """A person the administrator may see: a work relation in one of his organisations, or added by him in
    this session (before the first work relation). Anyone else: 404."""
    person = Person.objects.filter(pk=pk).first()
    if person is None:
        raise Http404
    if (
        admin.application_manager
        or pk in request.session.get(ADDED_PERSONS, [])
        or WorkRelation.objects.filter(person=person, organisation__in=admin.organisations).exists()
    ):
        return person
    raise Http404


def _known_here(admin: Administrator, person: Person) -> bool:
    """Whether the person works (or worked) in one of the administrator's organisations. A person only added
    by number in this session is not: his accounts and his contact data (which other organisations' mails
    use) stay his and theirs."""
    return (
        admin.application_manager
        or WorkRelation.objects.filter(person=person, organisation__in=admin.organisations).exists()
    )


def _relation(admin: Administrator, pk: int) -> WorkRelation:
    relation = (
        WorkRelation.objects.filter(pk=pk, organisation__in=admin.organisations)
        .select_related("person", "organisation")
        .first()
    )
    if relation is None:
        raise Http404
    return relation


def _grant(admin: Administrator, pk: int) -> RightGrant:
    grant = (
        RightGrant.objects.filter(pk=pk, work_relation__organisation__in=admin.organisations)
        .select_related("right", "department", "work_relation__person", "work_relation__organisation")
        .first()
    )
    if grant is None:
        raise Http404
    return grant


def _person_url(person: Person | int, tab: str = "person") -> str:
    return reverse(f"idm:{tab}", args=[person if isinstance(person, int) else person.pk])


def _d(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


def _months_label(months: int) -> str:
    if months % 12 == 0:
        return _("%(n)d jaar") % {"n": months // 12}
    return _("%(n)d maanden") % {"n": months}


def _put_error(form: forms.Form, error: IdmError) -> None:
    name = error.field if error.field in form.fields else None
    form.add_error(name, " ".join(error.messages))


class _Rollback(Exception):
    def __init__(self, value: object) -> None:
        super().__init__()
        self.value = value


def dry_run[T](action: Callable[[], T], preview: Callable[[T], Any]) -> Any:
    """Run a service in a transaction that is rolled back; return ``preview`` of its result (computed before
    the rollback). Its refusal (``IdmError``) goes to the caller."""
    try:
        with transaction.atomic():
            raise _Rollback(preview(action()))
    except _Rollback as done:
        return done.value


# --- the wizard engine ----------------------------------------------------------------------------------


@dataclass
class Step:
    title: str
    #: (data or None, the answers of the earlier steps) -> the step's form
    form: Callable[[Any, dict[str, Any]], forms.Form]


@dataclass
class Wizard:
    """A wizard of a few steps whose last one is the confirmation ("Bevestig")."""

    title: str
    steps: Sequence[Step]
    #: the dry run before the confirmation: the answers -> a preview for the confirmation page
    preview: Callable[[dict[str, Any]], Any]
    #: the real thing: the answers -> where to go
    finish: Callable[[dict[str, Any]], HttpResponse]
    template: str
    context: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] = lambda answers, ctx: ctx
    cancel_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def render(
        self,
        request: HttpRequest,
        index: int,
        done: list[forms.Form],
        form: forms.Form,
        answers: dict[str, Any],
        preview: Any = None,
    ) -> HttpResponse:
        context = {
            "wizard": self,
            "step_index": index,
            "step_number": index + 1,
            "step_count": len(self.steps),
            "step": self.steps[index],
            "is_last": index == len(self.steps) - 1,
            "hidden_forms": done,
            "form": form,
            "answers": answers,
            "preview": preview,
            "cancel_url": self.cancel_url,
            **self.extra,
        }
        return render(request, self.template, self.context(answers, context))

    def run(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return self.render(request, 0, [], self.steps[0].form(None, {}), {})
        try:
            index = min(max(int(request.POST.get("step", "0")), 0), len(self.steps) - 1)
        except ValueError:
            index = 0
        back = "terug" in request.POST
        answers: dict[str, Any] = {}
        done: list[forms.Form] = []
        for i in range(index if back else index + 1):
            form = self.steps[i].form(request.POST, answers)
            if not form.is_valid():
                return self.render(request, i, done, form, answers)
            answers.update(form.cleaned_data)
            done.append(form)
        if back:
            target = max(index - 1, 0)
            if not done:
                return self.render(request, 0, [], self.steps[0].form(None, {}), {})
            return self.render(request, target, done[:target], done[target], answers)
        last_data_step = len(self.steps) - 2
        if index < last_data_step:
            following = self.steps[index + 1].form(None, answers)
            return self.render(request, index + 1, done, following, answers)
        try:
            if index == last_data_step:
                preview = self.preview(answers)
                confirm = self.steps[-1].form(None, answers)
                return self.render(request, len(self.steps) - 1, done, confirm, answers, preview)
            return self.finish(answers)
        except IdmError as error:
            at = next(
                (i for i in range(last_data_step + 1) if error.field and error.field in done[i].fields),
                last_data_step,
            )
            prior: dict[str, Any] = {}
            for earlier in done[:at]:
                prior.update(earlier.cleaned_data)
            form = self.steps[at].form(request.POST, prior)
            form.is_valid()
            _put_error(form, error)
            return self.render(request, at, done[:at], form, answers)


def action_labels() -> dict[str, str]:
    """The Historiek's words for the audit actions."""
    return {
        "idm.person.add": _("Persoon toegevoegd"),
        "idm.person.refresh": _("Gegevens bijgewerkt uit het rijksregister"),
        "idm.work_relation.create": _("Werkrelatie toegevoegd"),
        "idm.work_relation.update": _("Werkrelatie gewijzigd"),
        "idm.work_relation.extend": _("Werkrelatie verlengd"),
        "idm.work_relation.pause": _("Werkrelatie gepauzeerd"),
        "idm.work_relation.resume": _("Werkrelatie hervat"),
        "idm.work_relation.end": _("Werkrelatie beëindigd"),
        "idm.work_relation.delete": _("Werkrelatie verwijderd"),
        "idm.right_grant.create": _("Gebruikersrecht toegekend"),
        "idm.right_grant.extend": _("Gebruikersrecht verlengd"),
        "idm.right_grant.end": _("Gebruikersrecht beëindigd"),
        "idm.right_grant.remind": _("Herinnering verstuurd"),
        "idm.appointment.end": _("Aanstelling beëindigd"),
        "idm.appointment.main": _("Aangesteld als hoofdtoegangsbeheerder"),
        "idm.appointment.co_main": _("Aangesteld als co-hoofdtoegangsbeheerder"),
        "idm.appointment.access_manager": _("Aangesteld als toegangsbeheerder"),
        "idm.appointment.local_admin": _("Aangesteld als lokale beheerder"),
    }


# --- Hoofdpagina ----------------------------------------------------------------------------------------


@never_cache
@require_safe
@administrator_required
def home(request: HttpRequest, admin: Administrator) -> HttpResponse:
    """Hoofdpagina: persoon zoeken, mijn taken (rights that expire within 10 days), the persons of my
    organisations with their work relations, and the links to the actions."""
    query = request.GET.get("zoek", "").strip()[:100]
    persons: list[Person] = []
    more = False
    if query or not admin.application_manager:  # every person of every organisation: only on a search
        persons, more = selectors.persons_overview(
            administrator=admin.number, query=query, limit=PAGE_SIZE, organisations=admin.organisations
        )
    today = timezone.localdate()
    expiring_grants = selectors.grant_search(
        administrator=admin.number,
        end_from=today,
        end_until=today + timedelta(days=10),
        application_manager=admin.application_manager,
        organisation_ids=admin.organisation_ids,
    )
    expiring, _cursor = selectors.grant_search_page(expiring_grants, size=10)
    organisations = [] if admin.application_manager else list(admin.organisations.order_by("name"))
    return render(
        request,
        "idm/home.html",
        {
            "admin": admin,
            "organisations": organisations,
            "persons": persons,
            "more": more,
            "query": query,
            "expiring": expiring,
            "expiring_url": reverse("idm:grant-search")
            + "?"
            + urlencode({"end_from": _d(today), "end_until": _d(today + timedelta(days=10))}),
        },
    )


# --- Voeg gebruiker toe ---------------------------------------------------------------------------------


def _default_organisation(request: HttpRequest, admin: Administrator) -> Organisation:
    """The organisation under which a person is added: the one acted for when I administer it, else the
    first one I administer (VLAIO's application manager: VLAIO)."""
    acting = getattr(request, "acting", None)
    if acting is not None:
        organisation = admin.organisations.filter(pk=acting.organisation_id).first()
        if organisation is not None:
            return organisation
    organisation = admin.organisations.order_by("name").first()
    if organisation is None:
        raise PermissionDenied
    return organisation


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@administrator_required
def person_add(request: HttpRequest, admin: Administrator) -> HttpResponse:
    """Voeg gebruiker toe: Stap 1 van 3 (identificatienummer), 2 van 3 (details), 3 van 3 (bevestig)."""
    organisation = _default_organisation(request, admin)

    def add(answers: dict[str, Any]) -> Person:
        return services.person_add_by_number(
            actor=admin.actor,
            organisation=organisation,
            number=answers["number"],
            email=answers.get("email", ""),
            phone=answers.get("phone", ""),
            call_name=answers.get("call_name", ""),
            initials=answers.get("initials", ""),
            reason=answers.get("reason", ""),
        )

    def finish(answers: dict[str, Any]) -> HttpResponse:
        person = add(answers)
        added = [p for p in request.session.get(ADDED_PERSONS, []) if p != person.pk][-49:]
        request.session[ADDED_PERSONS] = [*added, person.pk]
        messages.success(request, _("De persoon is toegevoegd. Bepaal nu de werkrelatie."))
        return HttpResponseRedirect(_person_url(person))

    def context(answers: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
        number = answers.get("number")
        if number:
            from kmop.registers.national_register import lookup

            ctx["record"] = lookup(number)
            ctx["display_number"] = format_national_number(number)
            ctx["known"] = Person.objects.filter(national_number=number).first()
        return ctx

    wizard = Wizard(
        title=_("Voeg gebruiker toe"),
        steps=[
            Step(_("Geef Identificatienummer op"), lambda data, a: PersonNumberForm(data)),
            Step(_("Geef details"), lambda data, a: PersonDetailsForm(data)),
            Step(_("Bevestig"), lambda data, a: ConfirmForm(data)),
        ],
        preview=lambda answers: dry_run(lambda: add(answers), lambda p: p),
        finish=finish,
        template="idm/person_add.html",
        context=context,
        cancel_url=reverse("idm:home"),
        extra={"progress": 1},
    )
    return wizard.run(request)


# --- De persoon: Werkrelatie, Werkrelatie details, Accounts, Historiek ---------------------------------


@dataclass
class RelationView:
    relation: WorkRelation
    status: str
    grants: list[RightGrant]
    open: bool
    can_delete: bool
    can_pause: bool
    can_resume: bool
    can_grant: bool


def _relation_views(relations: Sequence[WorkRelation]) -> list[RelationView]:
    now = timezone.now()
    result = []
    for relation in relations:
        status = relation.status(now)
        grants = sorted(
            relation.grants.all(), key=lambda g: (g.ended_at is not None, g.right.code, g.end_date)
        )
        ended = status == WorkRelation.Status.ENDED
        result.append(
            RelationView(
                relation=relation,
                status=status,
                grants=grants,
                open=not ended,
                can_delete=not grants,
                can_pause=status in {WorkRelation.Status.ACTIVE, WorkRelation.Status.FUTURE},
                can_resume=status == WorkRelation.Status.PAUSED,
                can_grant=status
                in {WorkRelation.Status.ACTIVE, WorkRelation.Status.FUTURE, WorkRelation.Status.PAUSED},
            )
        )
    return result


def grant_status(grant: RightGrant, today: date) -> str:
    if grant.ended_at is not None:
        return _("Beëindigd")
    if grant.end_date < today:
        return _("Verlopen")
    if grant.begin_date > today:
        return _("Toekomstig")
    return _("Actief")


@never_cache
@require_safe
@administrator_required
def person_page(request: HttpRequest, admin: Administrator, pk: int, tab: str) -> HttpResponse:
    """Gegevens van gebruiker with the tabs Werkrelatie, Werkrelatie details, Accounts, Historiek."""
    person = _person(request, admin, pk)
    relations = list(
        WorkRelation.objects.filter(person=person, organisation__in=admin.organisations)
        .select_related("organisation")
        .prefetch_related("grants__right", "grants__department", "pauses")
        .order_by("organisation__name", "-begin_date")
    )
    views = _relation_views(relations)
    today = timezone.localdate()
    for view in views:
        for grant in view.grants:
            grant.status_label = grant_status(grant, today)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "person": person,
        "display_number": format_national_number(person.national_number),
        "tab": tab,
        "relations": views,
        "workflow_active": any(v.status == WorkRelation.Status.ACTIVE for v in views),
        "known_here": admin.application_manager or bool(relations),
    }
    if tab == "accounts" and context["known_here"]:
        account = User.objects.filter(national_number=person.national_number).first()
        context["account"] = account
        context["totp"] = TotpDevice.objects.filter(user=account).first() if account else None
    if tab == "historiek":
        organisations = Organisation.objects.all() if admin.application_manager else admin.organisations
        events = list(selectors.person_history_in(person, organisations)[:HISTORY_SIZE])
        labels = action_labels()
        for event in events:
            event.label = labels.get(event.action, event.action)  # type: ignore[attr-defined]
        context["events"] = events
    return render(request, "idm/person.html", context)


# --- Koppel gebruiker aan organisatie -------------------------------------------------------------------


def _organisation_choices(admin: Administrator, limit: int = 500) -> list[tuple[str, str]]:
    organisations = admin.organisations.filter(selectors.organisation_active_q()).order_by("name")[:limit]
    return [(o.code, f"{o.name} ({o.display_code})") for o in organisations]


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@administrator_required
def work_relation_add(request: HttpRequest, admin: Administrator, pk: int) -> HttpResponse:
    """Koppel gebruiker aan organisatie: organisatie, werkrelatie details (einde: maximum 10 jaar),
    bevestig."""
    person = _person(request, admin, pk)
    known = _known_here(admin, person)
    choices = _organisation_choices(admin)

    def organisation_of(answers: dict[str, Any]) -> Organisation:
        organisation = admin.organisations.filter(code=answers.get("organisation", "")).first()
        if organisation is None:
            raise Http404
        return organisation

    def details(data: Any, answers: dict[str, Any]) -> forms.Form:
        organisation = organisation_of(answers)
        today = timezone.localdate()
        initial = {
            "category": WorkRelation.Category.CIVIL_SERVANT
            if not organisation.is_enterprise
            else WorkRelation.Category.PERMANENT,
            "begin_date": today,
            "end_date": add_months(today, WORK_RELATION_MAX_MONTHS),
            "phone": person.phone if known else "",
            "email": person.email if known else "",
        }
        return WorkRelationDetailsForm(data, initial=initial, government=not organisation.is_enterprise)

    def create(answers: dict[str, Any]) -> WorkRelation:
        return services.work_relation_create(
            actor=admin.actor,
            person=person,
            organisation=organisation_of(answers),
            category=answers["category"],
            phone=answers["phone"],
            email=answers["email"],
            begin_date=answers["begin_date"],
            end_date=answers["end_date"],
            reason=answers.get("reason", ""),
        )

    def finish(answers: dict[str, Any]) -> HttpResponse:
        relation = create(answers)
        messages.success(
            request,
            _("De werkrelatie met %(organisation)s is toegevoegd. Ken nu het gebruikersrecht toe.")
            % {"organisation": relation.organisation.name},
        )
        return HttpResponseRedirect(_person_url(person))

    def context(answers: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
        if answers.get("organisation"):
            ctx["organisation"] = organisation_of(answers)
        ctx["person"] = person
        return ctx

    wizard = Wizard(
        title=_("Koppel gebruiker aan organisatie"),
        steps=[
            Step(_("Selecteer organisatie"), lambda data, a: OrganisationForm(data, choices=choices)),
            Step(_("Werkrelatie details"), details),
            Step(_("Bevestig"), lambda data, a: ConfirmForm(data)),
        ],
        preview=lambda answers: dry_run(lambda: create(answers), lambda r: r),
        finish=finish,
        template="idm/work_relation_add.html",
        context=context,
        cancel_url=_person_url(person),
        extra={"progress": 2},
    )
    return wizard.run(request)


# --- Ken gebruikersrecht toe ----------------------------------------------------------------------------


def available_rights(admin: Administrator, organisation: Organisation) -> list[RightDefinition]:
    """The rights that can be granted in the organisation by this administrator: its target group, the
    organisations the right is for, the departments right only once activated for the provider, and the
    application manager right only by an application manager."""
    result = []
    for right in RightDefinition.objects.filter(active=True).order_by("label_nl"):
        if organisation.target_group not in right.target_groups:
            continue
        if right.organisation_codes and organisation.code not in right.organisation_codes:
            continue
        if right.needs_activation and not organisation.departments_right_activated:
            continue
        if right.code == selectors.APPLICATION_MANAGER_RIGHT and not admin.application_manager:
            continue
        result.append(right)
    return result


def _context_choices(right: RightDefinition, organisation: Organisation) -> tuple[str, list[tuple[str, str]]]:
    if right.context == RightDefinition.Context.NONE:
        return "", []
    if right.context == RightDefinition.Context.DEPARTMENTS:
        departments = organisation.departments.order_by("name")
        return _("Departementen"), [(d.code, d.name) for d in departments]
    return _("Profiel"), [(v.code, v.label_nl) for v in right.values.order_by("label_nl")]


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@administrator_required
def grant_add(request: HttpRequest, admin: Administrator, pk: int) -> HttpResponse:
    """Ken gebruikersrecht toe: gebruikersrecht, details (profiel of departementen; einde: het maximum),
    bevestig."""
    relation = _relation(admin, pk)
    organisation = relation.organisation
    rights = {r.code: r for r in available_rights(admin, organisation)}

    def right_of(answers: dict[str, Any]) -> RightDefinition:
        right = rights.get(answers.get("right", ""))
        if right is None:
            raise Http404
        return right

    def details(data: Any, answers: dict[str, Any]) -> forms.Form:
        right = right_of(answers)
        label, choices = _context_choices(right, organisation)
        begin = max(timezone.localdate(), relation.begin_date)
        initial = {
            "begin_date": begin,
            "end_date": min(add_months(begin, right.max_months), relation.end_date),
        }
        noun = _("departement") if right.context == RightDefinition.Context.DEPARTMENTS else _("profiel")
        return GrantDetailsForm(
            data,
            context_noun=noun,
            initial=initial,
            context_label=label,
            choices=choices,
            max_label=_months_label(right.max_months),
        )

    def create(answers: dict[str, Any]) -> list[RightGrant]:
        return services.right_grant_create(
            actor=admin.actor,
            work_relation=relation,
            right_code=right_of(answers).code,
            context_values=answers.get("context_values", []),
            begin_date=answers["begin_date"],
            end_date=answers["end_date"],
            reason=answers.get("reason", ""),
        )

    def finish(answers: dict[str, Any]) -> HttpResponse:
        grants = create(answers)
        messages.success(
            request,
            _(
                "Het gebruikersrecht %(right)s is toegekend. De persoon heeft nu toegang tot de "
                "kmo-portefeuille voor %(organisation)s."
            )
            % {"right": grants[0].right.label_nl, "organisation": organisation.name},
        )
        return HttpResponseRedirect(_person_url(relation.person))

    def context(answers: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
        if answers.get("right"):
            right = right_of(answers)
            ctx["right"] = right
            ctx["context_labels"] = dict(_context_choices(right, organisation)[1])
        ctx["relation"] = relation
        ctx["person"] = relation.person
        return ctx

    wizard = Wizard(
        title=_("Ken gebruikersrecht toe"),
        steps=[
            Step(
                _("Selecteer gebruikersrecht"),
                lambda data, a: RightForm(data, choices=[(r.code, r.label_nl) for r in rights.values()]),
            ),
            Step(_("Geef details"), details),
            Step(_("Bevestig"), lambda data, a: ConfirmForm(data)),
        ],
        preview=lambda answers: dry_run(lambda: create(answers), lambda grants: grants),
        finish=finish,
        template="idm/grant_add.html",
        context=context,
        cancel_url=_person_url(relation.person),
        extra={"progress": 3},
    )
    return wizard.run(request)


# --- Verlengen ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtensionPreview:
    end_date: date
    grants: list[tuple[RightGrant, date, date]]  # grant, old end, new end


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@administrator_required
def work_relation_extend(request: HttpRequest, admin: Administrator, pk: int) -> HttpResponse:
    """Verleng werkrelatie en gebruikersrechten: an own end date within 10 years from today, or the maximum;
    the running rights follow up to their own maximum."""
    relation = _relation(admin, pk)
    old_ends = {g.pk: g.end_date for g in relation.grants.filter(ended_at__isnull=True)}

    def extend(answers: dict[str, Any]) -> WorkRelation:
        return services.work_relation_extend(
            actor=admin.actor,
            work_relation=relation,
            end_date=answers.get("end_date"),
            reason=answers.get("reason", ""),
        )

    def preview(result: WorkRelation) -> ExtensionPreview:
        grants = [
            (g, old_ends.get(g.pk, g.end_date), g.end_date)
            for g in result.grants.filter(ended_at__isnull=True).select_related("right")
        ]
        return ExtensionPreview(result.end_date, grants)

    def finish(answers: dict[str, Any]) -> HttpResponse:
        result = extend(answers)
        messages.success(
            request,
            _("De werkrelatie en haar gebruikersrechten zijn verlengd tot %(end)s.")
            % {"end": _d(result.end_date)},
        )
        return HttpResponseRedirect(_person_url(relation.person))

    wizard = Wizard(
        title=_("Verleng werkrelatie en gebruikersrechten"),
        steps=[
            Step(
                _("Kies de nieuwe einddatum"),
                lambda data, a: ExtendForm(
                    data, initial={"mode": ExtendForm.MAXIMUM}, max_label=_("10 jaar")
                ),
            ),
            Step(_("Bevestig"), lambda data, a: ConfirmForm(data)),
        ],
        preview=lambda answers: dry_run(lambda: extend(answers), preview),
        finish=finish,
        template="idm/extend.html",
        cancel_url=_person_url(relation.person),
        extra={"relation": relation, "person": relation.person},
    )
    return wizard.run(request)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@administrator_required
def grant_extend(request: HttpRequest, admin: Administrator, pk: int) -> HttpResponse:
    """Verleng een gebruikersrecht: an own end date within its maximum from today, or the maximum."""
    grant = _grant(admin, pk)
    relation = grant.work_relation
    old_end = grant.end_date

    def extend(answers: dict[str, Any]) -> RightGrant:
        return services.right_grant_extend(
            actor=admin.actor, grant=grant, end_date=answers.get("end_date"), reason=answers.get("reason", "")
        )

    def finish(answers: dict[str, Any]) -> HttpResponse:
        result = extend(answers)
        messages.success(
            request,
            _("Het gebruikersrecht %(right)s is verlengd tot %(end)s.")
            % {"right": result.right.label_nl, "end": _d(result.end_date)},
        )
        return HttpResponseRedirect(_person_url(relation.person))

    max_label = _months_label(grant.right.max_months)
    wizard = Wizard(
        title=_("Verleng gebruikersrecht"),
        steps=[
            Step(
                _("Kies de nieuwe einddatum"),
                lambda data, a: ExtendForm(data, initial={"mode": ExtendForm.MAXIMUM}, max_label=max_label),
            ),
            Step(_("Bevestig"), lambda data, a: ConfirmForm(data)),
        ],
        preview=lambda answers: dry_run(
            lambda: extend(answers), lambda g: ExtensionPreview(g.end_date, [(g, old_end, g.end_date)])
        ),
        finish=finish,
        template="idm/extend.html",
        cancel_url=_person_url(relation.person),
        extra={"relation": relation, "person": relation.person, "grant": grant},
    )
    return wizard.run(request)


# --- Bewerk, pauzeer, hervat, beëindig, verwijder -------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@administrator_required
def work_relation_edit(request: HttpRequest, admin: Administrator, pk: int) -> HttpResponse:
    """Bewerk werkrelatie: categorie, telefoonnummer, e-mailadres."""
    relation = _relation(admin, pk)
    if request.method == "POST":
        form = WorkRelationEditForm(request.POST)
        if form.is_valid():
            try:
                services.work_relation_update(
                    actor=admin.actor,
                    work_relation=relation,
                    category=form.cleaned_data["category"],
                    phone=form.cleaned_data["phone"],
                    email=form.cleaned_data["email"],
                    reason=form.cleaned_data["reason"],
                )
            except IdmError as error:
                _put_error(form, error)
            else:
                messages.success(request, _("De werkrelatie is gewijzigd."))
                return HttpResponseRedirect(_person_url(relation.person))
    else:
        form = WorkRelationEditForm(
            initial={"category": relation.category, "phone": relation.phone, "email": relation.email}
        )
    return render(
        request,
        "idm/work_relation_edit.html",
        {"form": form, "relation": relation, "person": relation.person},
    )


@dataclass(frozen=True)
class Confirmation:
    title: str
    question: str
    button: str
    done: str
    warning: bool = False


def _confirm(
    request: HttpRequest,
    *,
    confirmation: Confirmation,
    action: Callable[[str], object],
    person: Person,
    subject: dict[str, Any],
) -> HttpResponse:
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            action(form.cleaned_data["reason"])
        except IdmError as error:
            _put_error(form, error)
        else:
            messages.success(request, confirmation.done)
            return HttpResponseRedirect(_person_url(person))
    return render(
        request,
        "idm/confirm.html",
        {"form": form, "confirmation": confirmation, "person": person, **subject},
    )


def _relation_action(confirmation: Callable[[], Confirmation], service: Callable[..., object]) -> View:
    @never_cache
    @require_http_methods(["GET", "HEAD", "POST"])
    @administrator_required
    def view(request: HttpRequest, admin: Administrator, pk: int) -> HttpResponse:
        relation = _relation(admin, pk)
        return _confirm(
            request,
            confirmation=confirmation(),
            action=lambda reason: service(actor=admin.actor, work_relation=relation, reason=reason),
            person=relation.person,
            subject={"relation": relation},
        )

    return view


work_relation_pause = _relation_action(
    lambda: Confirmation(
        _("Pauzeer werkrelatie"),
        _(
            "Alle gebruikersrechten van deze werkrelatie werken niet meer tot u ze hervat. Wilt u de "
            "werkrelatie pauzeren?"
        ),
        _("Bevestig"),
        _("De werkrelatie is gepauzeerd."),
        warning=True,
    ),
    services.work_relation_pause,
)
work_relation_resume = _relation_action(
    lambda: Confirmation(
        _("Hervat werkrelatie"),
        _(
            "De gebruikersrechten van deze werkrelatie werken weer (binnen hun eigen data). Wilt u ze "
            "hervatten?"
        ),
        _("Bevestig"),
        _("De werkrelatie is hervat."),
    ),
    services.work_relation_resume,
)
work_relation_end = _relation_action(
    lambda: Confirmation(
        _("Beëindig werkrelatie"),
        _("De werkrelatie en al haar gebruikersrechten eindigen vandaag en werken meteen niet meer."),
        _("Bevestig"),
        _("De werkrelatie en haar gebruikersrechten zijn beëindigd."),
        warning=True,
    ),
    services.work_relation_end,
)
work_relation_delete = _relation_action(
    lambda: Confirmation(
        _("Verwijder werkrelatie"),
        _("De werkrelatie wordt verwijderd. Dat kan enkel zolang er geen gebruikersrecht op is toegekend."),
        _("Bevestig"),
        _("De werkrelatie is verwijderd."),
        warning=True,
    ),
    services.work_relation_delete,
)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@administrator_required
def grant_end(request: HttpRequest, admin: Administrator, pk: int) -> HttpResponse:
    grant = _grant(admin, pk)
    return _confirm(
        request,
        confirmation=Confirmation(
            _("Beëindig gebruikersrecht"),
            _("Het gebruikersrecht eindigt vandaag en werkt meteen niet meer."),
            _("Bevestig"),
            _("Het gebruikersrecht %(right)s is beëindigd.") % {"right": grant.right.label_nl},
            warning=True,
        ),
        action=lambda reason: services.right_grant_end(actor=admin.actor, grant=grant, reason=reason),
        person=grant.work_relation.person,
        subject={"relation": grant.work_relation, "grant": grant},
    )


# --- Toekenning opzoeken --------------------------------------------------------------------------------


def _cursor(value: str) -> selectors.GrantCursor | None:
    try:
        day, pk = value.split("_", 1)
        return date.fromisoformat(day), int(pk)
    except ValueError:
        return None


def _grant_rows(grants: Sequence[Any], today: date) -> SafeString:
    """The table rows of a page of "toekenning opzoeken", rendered here rather than by the template
    language: its per-row lookups, ``{% url %}`` and ``{% translate %}`` tags were about half of the page's
    time at 50 rows. Labels and URL patterns are resolved once per page; every value is escaped
    (``html.escape``, as Django's ``escape``) before it goes into the markup."""
    person_url, extend_url = url_of("idm:person"), url_of("idm:grant-extend")
    e = html.escape
    extend, of = e(_("Verleng")), e(_("van"))
    statuses = {
        "ended": e(_("Beëindigd")),
        "expired": e(_("Verlopen")),
        "future": e(_("Toekomstig")),
        "active": e(_("Actief")),
    }

    def row(grant: Any) -> str:  # a row of selectors.GRANT_ROW_FIELDS
        label = grant.right__label_nl
        if grant.department__name is not None:
            right = f"{label} – {grant.department__name}"
        elif grant.context_value:
            right = f"{label} – {grant.context_value}"
        else:
            right = label
        if grant.ended_at is not None:
            status = statuses["ended"]
        elif grant.end_date < today:
            status = statuses["expired"]
        elif grant.begin_date > today:
            status = statuses["future"]
        else:
            status = statuses["active"]
        link = ""
        if not grant.ended_at:
            holder = f"{grant.work_relation__person__first_name} {grant.work_relation__person__last_name}"
            hidden = f'<span class="visually-hidden"> {e(label)} {of} {e(holder)}</span>'
            link = f'<a href="{e(extend_url(grant.id))}">{extend}{hidden}</a>'
        name = f"{e(grant.work_relation__person__last_name)} {e(grant.work_relation__person__first_name)}"
        code = grant.work_relation__organisation__code
        if grant.work_relation__organisation__target_group == TargetGroup.ECONOMIC_ACTOR:
            code = format_enterprise_number(code)  # as Organisation.display_code
        organisation_cell = f"{e(grant.work_relation__organisation__name)} ({e(code)})"
        person = e(person_url(grant.work_relation__person_id))
        return (
            f'\n    <tr>\n      <td><a href="{person}">{name}</a></td>\n'
            f"      <td>{organisation_cell}</td>\n      <td>{e(right)}</td>\n"
            f"      <td>{grant.begin_date:%d/%m/%Y}</td>\n      <td>{grant.end_date:%d/%m/%Y}</td>\n"
            f"      <td>{status}</td>\n      <td>{link}</td>\n    </tr>"
        )

    return mark_safe("".join(row(grant) for grant in grants))  # noqa: S308 - every value escaped above


@never_cache
@require_safe
@administrator_required
def grant_search(request: HttpRequest, admin: Administrator) -> HttpResponseBase:
    """Toekenning opzoeken: the grants in my organisations, filtered, soonest end first, 50 a page (keyset
    on end date and id: one query per page), or all of them as CSV (``?formaat=csv``)."""
    rights = [(r.code, r.label_nl) for r in RightDefinition.objects.order_by("label_nl")]
    searched = True  # without filters: every grant in my organisations (the seed's "Zoek" with empty fields)
    form = GrantSearchForm(request.GET, rights=rights)
    grants: list[RightGrant] = []
    next_cursor = None
    valid = searched and form.is_valid()
    if valid:
        data = form.cleaned_data
        organisation = None
        if data["organisation"]:
            code = "".join(c for c in data["organisation"] if c.isalnum()).upper()
            organisation = Organisation.objects.filter(code__in=[code, code.zfill(10)]).first()
            if organisation is None:
                form.add_error(
                    "organisation", _("Er is geen organisatie met code %(code)s.") % {"code": code}
                )
                valid = False
        if valid:
            queryset = selectors.grant_search(
                administrator=admin.number,
                organisation=organisation,
                right_code=data["right"] or None,
                begin_from=data["begin_from"],
                begin_until=data["begin_until"],
                end_from=data["end_from"],
                end_until=data["end_until"],
                person=data["person"],
                include_ended=data["include_ended"],
                application_manager=admin.application_manager,
                organisation_ids=admin.organisation_ids,
            )
            if request.GET.get("formaat") == "csv":
                # in the order of the pages (the index), so the export streams from its first row on
                rows = grants_csv(queryset.order_by("end_date", "id"))
                response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
                stamp = timezone.localdate().isoformat()
                response["Content-Disposition"] = f'attachment; filename="toekenningen-{stamp}.csv"'
                return response
            after = _cursor(request.GET.get("na", ""))
            grants, next_cursor = selectors.grant_search_rows(queryset, after=after, size=PAGE_SIZE)
    if request.GET.get("formaat") == "csv" and not valid:
        return render(request, "idm/grant_search.html", {"form": form, "searched": True}, status=400)
    params = request.GET.copy()
    params.pop("na", None)
    params.pop("formaat", None)
    next_params = params.copy()
    if next_cursor is not None:
        next_params["na"] = f"{next_cursor[0].isoformat()}_{next_cursor[1]}"
    csv_params = params.copy()
    csv_params["formaat"] = "csv"
    return render(
        request,
        "idm/grant_search.html",
        {
            "form": form,
            "searched": searched,
            "valid": valid,
            "grants": grants,
            "rows": _grant_rows(grants, timezone.localdate()),
            "next_url": f"?{next_params.urlencode()}" if next_cursor else "",
            "first_url": f"?{params.urlencode()}" if "na" in request.GET else "",
            "csv_url": f"?{csv_params.urlencode()}",
        },
    )


# --- Mijn profiel ---------------------------------------------------------------------------------------


@never_cache
@require_safe
def my_profile(request: HttpRequest) -> HttpResponse:
    """Mijn profiel: my rights with their end dates, the enterprises I represent, my local administrators."""
    login = _logged_in(request)
    if isinstance(login, HttpResponse):
        return login
    user, number = login
    person = Person.objects.filter(national_number=number).first()
    relations = _relation_views(list(selectors.work_relations_of(person))) if person else []
    today = timezone.localdate()
    for view in relations:
        for grant in view.grants:
            grant.status_label = grant_status(grant, today)  # type: ignore[attr-defined]
    represented = list(
        selectors.represented_enterprises(number).values_list("enterprise_id", flat=True).distinct()
    )
    organisations: dict[str, Organisation] = {}
    for view in relations:
        if view.open and view.relation.end_date >= today:
            organisations[view.relation.organisation.code] = view.relation.organisation
    for organisation in Organisation.objects.filter(code__in=represented):
        organisations.setdefault(organisation.code, organisation)
    administrators = [
        (organisation, selectors.administrators_of(organisation))
        for organisation in sorted(organisations.values(), key=lambda o: o.name.lower())
    ]
    from kmop.registers.selectors import enterprise_names

    names = enterprise_names(represented)
    return render(
        request,
        "idm/my_profile.html",
        {
            "profile_user": user,
            "display_number": format_national_number(number),
            "person": person,
            "relations": relations,
            "represented": [(code, names.get(code, code)) for code in represented],
            "administrators": administrators,
            "is_administrator": selectors.is_application_manager(number)
            or selectors.administered_organisations(number).exists(),
        },
    )

"""The e-loket's application core (RULES.md §1–3, docs/decisions/0012-projects.md).

* ``application_preview(...) -> Preview``: the wizard's live preview (subsidy, own contribution, refusals),
  nothing written.
* ``application_submit(*, actor, ...) -> Project``: judged by the regime of the application date; refused with
  ``ApplicationRefused(refusals)`` (the schemes' codes + ``provider_not_registered``, ``related_enterprise``,
  ``not_eligible``, ``cap_used_up``); else, in one transaction: the year's budget taken with one conditional
  UPDATE on the locked ``YearBudget`` row, the size class locked for the year, the project numbered
  (``YYYYKMO`` + 6 digits) with its structured reference, status Bevestigd, audited, and an e-mail to the
  enterprise's contact after the commit. The wizard's form token (``idempotency_key``) makes a second
  submission of the same form return the first project.
* the transitions of the life cycle (``TRANSITIONS``), each audited, none out of a final state: cancel,
  request stop, decide stop, mark deposited, mark finished, close expired. The budget is released on a
  cancel and on a stop in the application's calendar year; the wallet (``kmop.wallet.services``) is told in
  the same transaction (``release_on_cancel``, ``settle_stop``).
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Round
from django.template import loader
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kmop.audit.services import PROVIDER_PASSWORD, Actor, AuditChange, audit_record, audit_record_many
from kmop.idm import selectors as idm_selectors
from kmop.idm.models import Organisation
from kmop.notifications import mail
from kmop.projects import permissions
from kmop.projects.errors import (
    ApplicationRefused,
    InvalidInput,
    NotAllowed,
    ProjectError,
    TransitionNotAllowed,
)
from kmop.projects.models import (
    AMOUNT_MAX,
    FINAL_STATUSES,
    NUMBER_MAX,
    EnterpriseProfile,
    Project,
    ProjectNumberSequence,
    ProjectStatus,
    ProjectStatusChange,
    SizeClassYear,
    YearBudget,
)
from kmop.providers.models import Registration, Service
from kmop.providers.permissions import staff_organisation_codes
from kmop.schemes.errors import SchemeError
from kmop.schemes.regime import CENT, Regime
from kmop.schemes.services import Calculation, Eligibility, Refusal, calculate, check_application, eligibility
from kmop.schemes.services import regime_on as scheme_regime_on

logger = logging.getLogger(__name__)

__all__ = [
    "PROJECT",
    "TRANSITIONS",
    "Preview",
    "application_preview",
    "application_submit",
    "next_project_number",
    "project_cancel",
    "project_close_expired",
    "project_decide_stop",
    "project_mark_deposited",
    "project_mark_finished",
    "project_request_stop",
    "structured_reference_for",
]

PROJECT = "projects.Project"
BUDGET = "projects.YearBudget"

HOURS_MAX = Decimal("10000")
PARTICIPANTS_MAX = 100_000
TITLE_MAX = 300
KEY_MAX = 64

#: the refusal codes of this app, on top of the schemes' ``REFUSAL_CODES``
REFUSAL_CODES = ("provider_not_registered", "related_enterprise", "not_eligible", "cap_used_up")


# --- helpers ----------------------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def _d(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _for(actor: Actor, organisation: Organisation) -> Actor:
    return (
        actor if actor.organisation_code else dataclasses.replace(actor, organisation_code=organisation.code)
    )


def _acting_number(actor: Actor) -> str | None:
    """The national number of the person who acts; None for the system (a command, a job, the wallet).
    A provider logged in with its own password is refused here (``_require_enterprise_or_provider`` lets it
    act on its own projects first)."""
    if actor.user is None:
        if not actor.is_system:
            raise NotAllowed(_("U bent niet aangemeld."))
        return None
    number = actor.user.national_number
    if not number:
        raise NotAllowed(_("Uw account is niet gekoppeld aan een rijksregisternummer of BIS-nummer."))
    return number


def _acting_elsewhere(actor: Actor, organisation: Organisation) -> bool:
    """The actor acts for another organisation (``aanmelden als``) than the one concerned."""
    return bool(actor.organisation_code) and actor.organisation_code != organisation.code


def _require_enterprise(actor: Actor, organisation: Organisation, *, staff_allowed: bool = True) -> None:
    """Refuse unless the actor may act for the enterprise (or is the system, or staff when allowed)."""
    number = _acting_number(actor)
    if number is None:
        return
    if staff_allowed and permissions.is_staff(number):
        return
    if _acting_elsewhere(actor, organisation) or not permissions.can_act_for_enterprise(number, organisation):
        raise NotAllowed(
            _(
                "U mag niet optreden voor %(organisation)s: dit project of deze aanvraag is niet van uw "
                "onderneming."
            ),
            organisation=organisation.name,
        )


def _require_enterprise_or_provider(actor: Actor, project: Project) -> str:
    """``"enterprise"``, ``"provider"``, ``"staff"`` or ``"system"``: who acts; NotAllowed for anyone else."""
    if actor.credential == PROVIDER_PASSWORD:  # a provider's own login: its own projects only
        provider_org = project.registration.provider.organisation
        if (
            actor.organisation_code
            and actor.organisation_code == provider_org.code
            and idm_selectors.is_organisation_active(provider_org)
        ):
            return "provider"
        raise NotAllowed(_("U mag dit project (%(number)s) niet wijzigen."), number=project.number)
    number = _acting_number(actor)
    if number is None:
        return "system"
    provider_org = project.registration.provider.organisation
    if not _acting_elsewhere(actor, project.organisation) and permissions.can_act_for_enterprise(
        number, project.organisation
    ):
        return "enterprise"
    if not _acting_elsewhere(actor, provider_org) and permissions.can_act_for_provider(number, provider_org):
        return "provider"
    if permissions.is_staff(number):
        return "staff"
    raise NotAllowed(_("U mag dit project (%(number)s) niet wijzigen."), number=project.number)


def _require_staff(actor: Actor) -> None:
    if actor.user is not None and actor.user.is_staff:
        return  # a back-office account (Django staff), e.g. the one uploading a bank statement
    number = _acting_number(actor)
    if number is None:
        return  # the system: a command, a daily job
    if not permissions.is_staff(number):
        raise NotAllowed(_("Enkel de dienst kmo-portefeuille van VLAIO mag hierover beslissen."))
    # a staff member acting for another organisation of theirs: the audit would name that one
    if actor.organisation_code not in staff_organisation_codes():
        raise NotAllowed(_("Wissel eerst van organisatie: u handelt nu niet voor VLAIO."))


def _reason(value: str, *, required: bool, what: str = "reason") -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(_("Geef een reden op."), field=what, code="reason_required")
    if len(text) > 2000:
        raise InvalidInput(_("De reden is te lang (ten hoogste 2000 tekens)."), field=what)
    return text


def project_snapshot(project: Project) -> dict[str, Any]:
    return {
        "number": project.number,
        "organisation": project.organisation.code,
        "registration": project.registration.number,
        "service": project.service,
        "theme": project.theme,
        "subtheme": project.subtheme,
        "title": project.title,
        "start_date": project.start_date.isoformat(),
        "application_date": project.application_date.isoformat(),
        "amount": str(project.amount),
        "rate": str(project.rate),
        "subsidy": str(project.subsidy),
        "own_contribution": str(project.own_contribution),
        "budget_held": str(project.budget_held),
        "structured_reference": project.structured_reference,
        "deposit_deadline": project.deposit_deadline.isoformat(),
        "status": project.status,
        "size_class": project.size_class,
        "regime_from": project.regime_from.isoformat(),
    }


# --- input -----------------------------------------------------------------------------------------------


def clean_amount(value: Any, *, field_name: str = "amount") -> Decimal:
    """A project amount in euro excluding VAT: positive, at most two decimals, not absurdly large."""
    if isinstance(value, float):
        value = str(value)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(_("Vul een bedrag in euro in, bijvoorbeeld 1250,00."), field=field_name) from None
    if not amount.is_finite():
        raise InvalidInput(_("Vul een bedrag in euro in, bijvoorbeeld 1250,00."), field=field_name)
    # quantize raises InvalidOperation for "1e30" (more digits than the context's precision): a huge amount
    # goes to the checks below (copy_abs: no context, so no Overflow for "1E+9999999")
    if amount.copy_abs() <= AMOUNT_MAX and amount != amount.quantize(CENT):
        raise InvalidInput(_("Een bedrag heeft ten hoogste twee decimalen."), field=field_name)
    if amount <= 0:
        raise InvalidInput(_("Het bedrag moet groter zijn dan 0."), field=field_name)
    if amount > AMOUNT_MAX:
        raise InvalidInput(
            _("Het bedrag is onwaarschijnlijk groot (meer dan %(max)s euro): controleer het."),
            field=field_name,
            max="99.999.999,99",
        )
    return amount.quantize(CENT)


def clean_date(value: Any, *, field_name: str) -> date:
    """A date (a ``date``, or ``YYYY-MM-DD`` / ``DD/MM/YYYY`` text); an impossible date is refused."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InvalidInput(
        _("'%(value)s' is geen bestaande datum (bijvoorbeeld 31/01/2026)."), field=field_name, value=text
    )


def _clean_hours(value: Any) -> Decimal:
    try:
        hours = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(_("Vul het aantal uren in."), field="hours") from None
    if not hours.is_finite() or hours <= 0 or hours > HOURS_MAX or hours != hours.quantize(CENT):
        raise InvalidInput(
            _("Het aantal uren moet tussen 0 en %(max)s liggen, met ten hoogste twee decimalen."),
            field="hours",
            max=str(HOURS_MAX),
        )
    return hours


def _clean_participants(value: Any) -> int:
    try:
        number = int(str(value).strip())
    except (ValueError, TypeError):
        raise InvalidInput(_("Vul het aantal deelnemers in."), field="participants") from None
    if not 1 <= number <= PARTICIPANTS_MAX:
        raise InvalidInput(
            _("Het aantal deelnemers moet tussen 1 en %(max)s liggen."),
            field="participants",
            max=PARTICIPANTS_MAX,
        )
    return number


def _clean_service(value: str) -> str:
    if value not in Service.values:
        raise InvalidInput(_("Kies opleiding of advies."), field="service")
    return value


# --- the facts an application is judged on ----------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """What an application would give (``application_preview``) or gave: the numbers and the refusals."""

    application_date: date
    regime: Regime | None
    size_class: str
    size_class_locked: bool
    registration: Registration | None
    calculation: Calculation | None
    cap: Decimal | None
    cap_left: Decimal | None
    deposit_deadline: date | None
    refusals: tuple[Refusal, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.refusals

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.refusals]

    @property
    def subsidy(self) -> Decimal | None:
        return self.calculation.subsidy if self.calculation else None

    @property
    def own_contribution(self) -> Decimal | None:
        return self.calculation.own_contribution if self.calculation else None

    @property
    def rate(self) -> Decimal | None:
        return self.calculation.rate if self.calculation else None


@dataclass(frozen=True)
class _Facts:
    """The reads an application needs besides its own fields (taken before the budget lock)."""

    regime: Regime
    eligibility: Eligibility | None
    eligibility_refusals: tuple[Refusal, ...]
    registration: Registration | None
    registration_refusals: tuple[Refusal, ...]
    nace_code: str | None
    legal_form_code: str | None


def _regime(on: date) -> Regime:
    try:
        return scheme_regime_on(on)
    except SchemeError as e:
        raise ApplicationRefused([Refusal("application_before_regime", str(e))]) from None


def _profile(organisation: Organisation) -> EnterpriseProfile | None:
    return EnterpriseProfile.objects.filter(organisation=organisation).first()


def _eligibility(
    organisation: Organisation, on: date, nace_code: str
) -> tuple[Eligibility | None, list[Refusal]]:
    """The KBO checks of RULES.md §1 that ``check_application`` does not make itself (registered, active, an
    establishment in Flanders) as ``not_eligible`` refusals; legal form and main activity are judged by
    ``check_application`` with the register's legal form and activity."""
    try:
        result = eligibility(organisation.code, on, nace_code=nace_code or None)
    except SchemeError as e:
        return None, [Refusal("not_eligible", str(e), {"check": "registered"})]
    refusals = [
        Refusal("not_eligible", c.message, {"check": c.code})
        for c in result.checks
        if c.code in ("registered", "active", "flemish_establishment") and c.ok is not True
    ]
    return result, refusals


def related_enterprises(enterprise_number: str, provider_number: str, on: date) -> list[str]:
    """The national numbers of the persons who are a current legal representative of both enterprises
    (RULES.md §1: no subsidy between related enterprises); the same enterprise counts as related too."""
    from kmop.registers.models import LegalFunction

    if enterprise_number == provider_number:
        return ["*"]
    current = LegalFunction.objects.filter(start_date__lte=on, function__represents=True).exclude(
        end_date__lt=on
    )
    mine = current.filter(enterprise_id=enterprise_number).values("person_number")
    return sorted(
        set(
            current.filter(enterprise_id=provider_number, person_number__in=mine).values_list(
                "person_number", flat=True
            )
        )
    )


def _registration(
    registration: Registration | str | None,
    service: str,
    start_date: date,
    organisation: Organisation,
    on: date,
) -> tuple[Registration | None, list[Refusal]]:
    from kmop.providers.selectors import normalise_registration_number, registration_for_application

    number = registration.number if isinstance(registration, Registration) else (registration or "")
    found = registration_for_application(number, service, start_date) if number else None
    if found is None:
        return None, [
            Refusal(
                "provider_not_registered",
                _(
                    "De dienstverlener met registratienummer %(number)s is niet geregistreerd voor "
                    "%(service)s op de startdatum %(start)s."
                )
                % {
                    "number": normalise_registration_number(number) or "?",
                    "service": Service(service).label if service in Service.values else service,
                    "start": _d(start_date),
                },
                {"registration": number, "service": service, "start_date": start_date},
            )
        ]
    shared = related_enterprises(organisation.code, found.provider.enterprise_number, on)
    if shared:
        return found, [
            Refusal(
                "related_enterprise",
                _(
                    "De onderneming en de dienstverlener %(provider)s zijn verbonden ondernemingen (een "
                    "gemeenschappelijke wettelijke vertegenwoordiger): daarvoor is geen steun mogelijk."
                )
                % {"provider": found.provider.legal_name},
                {"provider": found.provider.enterprise_number},
            )
        ]
    return found, []


def _facts(
    *,
    organisation: Organisation,
    registration: Registration | str | None,
    service: str,
    start_date: date,
    on: date,
) -> _Facts:
    regime = _regime(on)
    profile = _profile(organisation)
    declared_nace = profile.nace_code if profile else ""
    elig, elig_refusals = _eligibility(organisation, on, declared_nace)
    reg, reg_refusals = _registration(registration, service, start_date, organisation, on)
    nace: str | None = declared_nace or None
    legal_form: str | None = None
    if elig is not None:
        legal_form = elig.legal_form_code
        if elig.main_nace_codes:
            nace = next((c for c in elig.main_nace_codes if regime.nace_accepted(c)), elig.main_nace_codes[0])
    return _Facts(regime, elig, tuple(elig_refusals), reg, tuple(reg_refusals), nace, legal_form)


def _rule_refusals(
    facts: _Facts,
    *,
    size_class: str,
    service: str,
    theme: str,
    subtheme: str,
    amount: Decimal,
    start_date: date,
    on: date,
    title: str,
) -> list[Refusal]:
    refusals = check_application(
        facts.regime,
        service=service,
        theme=theme or None,
        subtheme=subtheme or None,
        amount=amount,
        start_date=start_date,
        application_date=on,
        size_class=size_class,
        legal_form_code=facts.legal_form_code,
        nace_code=facts.nace_code,
        title=title,
    )
    return [*facts.eligibility_refusals, *refusals, *facts.registration_refusals]


def _cap_refusal(cap: Decimal, year: int) -> Refusal:
    return Refusal(
        "cap_used_up",
        _("Het jaarplafond van %(cap)s euro voor %(year)s is volledig gebruikt.")
        % {"cap": cap, "year": year},
        {"cap": cap, "year": year},
    )


def _locked_size_class(organisation: Organisation, year: int) -> str | None:
    return (
        SizeClassYear.objects.filter(organisation=organisation, year=year, locked_at__isnull=False)
        .values_list("size_class", flat=True)
        .first()
    )


def application_preview(
    *,
    organisation: Organisation,
    registration: Registration | str | None,
    service: str,
    theme: str = "",
    subtheme: str = "",
    amount: Any,
    start_date: Any,
    size_class: str,
    on: date | None = None,
    title: str = "",
) -> Preview:
    """The wizard's live preview: subsidy, own contribution and every refusal, judged by the regime of ``on``
    (the application date, today). Nothing is written or locked; ``application_submit`` judges again.
    Raises ``InvalidInput`` for a malformed amount or date."""
    on = on or _today()
    amount = clean_amount(amount)
    start = clean_date(start_date, field_name="start_date")
    service = _clean_service(service)
    facts = _facts(
        organisation=organisation, registration=registration, service=service, start_date=start, on=on
    )
    locked = _locked_size_class(organisation, on.year)
    size = locked or size_class
    refusals = _rule_refusals(
        facts,
        size_class=size,
        service=service,
        theme=theme,
        subtheme=subtheme,
        amount=amount,
        start_date=start,
        on=on,
        title=title,
    )
    calc = cap = cap_left = None
    if size in facts.regime.size_classes:
        budget = YearBudget.objects.filter(organisation=organisation, year=on.year).first()
        cap = budget.cap if budget else facts.regime.yearly_cap(size)
        cap_left = budget.left if budget else cap
        if cap_left <= 0:
            refusals.append(_cap_refusal(cap, on.year))
        if not refusals:
            calc = calculate(
                facts.regime,
                size_class=size,
                service=service,
                theme=theme or None,
                subtheme=subtheme or None,
                amount=amount,
                cap_left=cap_left,
            )
    return Preview(
        application_date=on,
        regime=facts.regime,
        size_class=size,
        size_class_locked=locked is not None,
        registration=facts.registration,
        calculation=calc,
        cap=cap,
        cap_left=cap_left,
        deposit_deadline=facts.regime.deposit_deadline(on),
        refusals=tuple(refusals),
    )


# --- numbers ----------------------------------------------------------------------------------------------


def next_project_number(year: int) -> tuple[str, str]:
    """The next project number of the year and its structured reference: one ``INSERT ... ON CONFLICT DO
    UPDATE ... RETURNING`` on the year's sequence row (PostgreSQL and SQLite alike), whose row lock lasts
    until the transaction ends: unique and, as a rollback gives the number back, gap-free. Call it late in the
    transaction (it serialises all applications of the year for the rest of it)."""
    table = ProjectNumberSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_value) VALUES (%s, 1) "
            f"ON CONFLICT (year) DO UPDATE SET last_value = {table}.last_value + 1 RETURNING last_value",
            [year],
        )
        row = cursor.fetchone()
    assert row is not None
    value = int(row[0])
    if value > NUMBER_MAX:
        raise ProjectError(_("De projectnummers van %(year)s zijn op."), year=year, code="numbers_exhausted")
    number = f"{year:04d}KMO{value:06d}"
    return number, structured_reference_for(number)


def structured_reference_for(number: str) -> str:
    """The 12 digits of the structured reference of project ``YYYYKMOnnnnnn``: ``YYYY`` + ``nnnnnn`` and the
    two check digits (the 10 digits modulo 97, 97 for 0), as ``stdnum.be.ogm_vcs`` checks them."""
    base = number[:4] + number[7:]
    if len(base) != 10 or not base.isdigit():
        raise ValueError(f"not a project number: {number!r}")
    check = int(base) % 97 or 97
    return f"{base}{check:02d}"


# --- submission -------------------------------------------------------------------------------------------


def _lock_budget(organisation: Organisation, year: int, cap: Decimal) -> YearBudget:
    """The year's budget row, created if needed (``INSERT ... ON CONFLICT DO NOTHING``), locked ``FOR UPDATE``
    until the transaction ends: applications of one enterprise and year are serialised from here."""
    locked = YearBudget.objects.select_for_update().filter(organisation=organisation, year=year).first()
    if locked is not None:  # the usual case after the year's first application: one statement
        return locked
    YearBudget.objects.bulk_create(
        [YearBudget(organisation=organisation, year=year, cap=cap, used=Decimal("0.00"))],
        ignore_conflicts=True,
    )
    return YearBudget.objects.select_for_update().get(organisation=organisation, year=year)


def _lock_size_class(organisation: Organisation, year: int, size: str, now: datetime) -> None:
    """Lock the year's size class at ``size`` (made if needed, a confirmation kept): one ``INSERT ... ON
    CONFLICT DO UPDATE`` (PostgreSQL, SQLite). Only applications lock a size class, and they hold the year's
    budget row lock, so an unlocked class read under that lock is still unlocked here."""
    table = SizeClassYear._meta.db_table
    moment = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organisation_id, year, size_class, confirmed_at, locked_at) "
            f"VALUES (%s, %s, %s, %s, %s) ON CONFLICT (organisation_id, year) DO UPDATE SET "
            f"size_class = excluded.size_class, locked_at = excluded.locked_at, "
            f"confirmed_at = COALESCE({table}.confirmed_at, excluded.confirmed_at)",
            [organisation.pk, year, size, moment, moment],
        )


def _take_budget(budget: YearBudget, amount: Decimal) -> bool:
    """``used = used + amount WHERE used + amount <= cap``: one conditional UPDATE; False when it would
    exceed the cap (the CHECK constraint ``used <= cap`` backs it)."""
    if amount <= 0:
        return True
    # rounded to the cent: SQLite computes with floats (960.03 + 6539.97 is not 7500.00 there); on
    # PostgreSQL, exact numerics, the rounding changes nothing
    after = Round(F("used") + amount, 2)
    return (
        YearBudget.objects.filter(pk=budget.pk)
        .alias(after=after)
        .filter(after__lte=F("cap"))
        .update(used=after)
        == 1
    )


def _existing(organisation: Organisation, key: str) -> Project | None:
    if not key:
        return None
    return Project.objects.filter(organisation=organisation, idempotency_key=key).first()


def application_submit(
    *,
    actor: Actor,
    organisation: Organisation,
    registration: Registration | str | None,
    service: str,
    theme: str = "",
    subtheme: str = "",
    training_type: str = "",
    title: str,
    start_date: Any,
    hours: Any,
    amount: Any,
    participants: Any = 1,
    size_class: str,
    on: date | None = None,
    idempotency_key: str = "",
    reason: str = "",
) -> Project:
    """File an application: a ``Project`` in status Bevestigd, or ``ApplicationRefused(refusals)`` (nothing
    written). ``idempotency_key`` (the wizard's form token, unique per enterprise): a second submission with
    it returns the first project unchanged. ``InvalidInput`` for malformed values, ``NotAllowed`` for an actor
    who may not act for the enterprise."""
    _require_enterprise(actor, organisation, staff_allowed=False)
    if on is not None and on != _today() and actor.user is not None:
        # the application date is the day of filing; only the system (seed, migration of old files) sets it
        raise InvalidInput(_("De aanvraagdatum is de dag van indienen."), field="application_date")
    on = on or _today()
    amount = clean_amount(amount)
    start = clean_date(start_date, field_name="start_date")
    service = _clean_service(service)
    hours = _clean_hours(hours)
    participants = _clean_participants(participants)
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("Geef de titel van de opleiding of het advies."), field="title")
    if len(title) > TITLE_MAX:
        raise InvalidInput(_("De titel is te lang (ten hoogste 300 tekens)."), field="title")
    key = (idempotency_key or "").strip()
    if len(key) > KEY_MAX:
        raise InvalidInput(_("De formuliersleutel is te lang."), field="idempotency_key")
    existing = _existing(organisation, key)
    if existing is not None:
        return existing
    facts = _facts(
        organisation=organisation, registration=registration, service=service, start_date=start, on=on
    )
    try:
        with transaction.atomic():
            return _submit(
                actor=actor,
                organisation=organisation,
                facts=facts,
                service=service,
                theme=theme or "",
                subtheme=subtheme or "",
                training_type=(training_type or "").strip()[:40],
                title=title,
                start=start,
                hours=hours,
                amount=amount,
                participants=participants,
                size_class=size_class,
                on=on,
                key=key,
            )
    except IntegrityError:
        # the same form submitted twice at the same moment: the other one won the unique key
        existing = _existing(organisation, key)
        if existing is not None:
            return existing
        raise


def _submit(
    *,
    actor: Actor,
    organisation: Organisation,
    facts: _Facts,
    service: str,
    theme: str,
    subtheme: str,
    training_type: str,
    title: str,
    start: date,
    hours: Decimal,
    amount: Decimal,
    participants: int,
    size_class: str,
    on: date,
    key: str,
) -> Project:
    regime = facts.regime
    year = on.year
    locked_size = _locked_size_class(organisation, year)
    size = locked_size or size_class
    budget: YearBudget | None = None
    if size in regime.size_classes:
        budget = _lock_budget(organisation, year, regime.yearly_cap(size))
        # from here on this enterprise's applications of the year wait for us: read again what may have
        # changed while we judged (the size class locked by an application that committed meanwhile, the key)
        locked_size = _locked_size_class(organisation, year)
        size = locked_size or size
        existing = _existing(organisation, key)
        if existing is not None:
            return existing
    refusals = _rule_refusals(
        facts,
        size_class=size,
        service=service,
        theme=theme,
        subtheme=subtheme,
        amount=amount,
        start_date=start,
        on=on,
        title=title,
    )
    if budget is not None and budget.left <= 0:
        refusals.append(_cap_refusal(budget.cap, year))
    if refusals or budget is None or facts.registration is None:
        raise ApplicationRefused(refusals)
    calc = calculate(
        regime,
        size_class=size,
        service=service,
        theme=theme or None,
        subtheme=subtheme or None,
        amount=amount,
        cap_left=budget.left,
    )
    if not _take_budget(budget, calc.subsidy):  # cannot happen under the row lock; the database says no
        raise ApplicationRefused([_cap_refusal(budget.cap, year)])
    now = timezone.now()
    if locked_size is None:  # the year's first successful application locks the size class
        _lock_size_class(organisation, year, size, now)
    number, reference = next_project_number(year)
    project = Project.objects.create(
        number=number,
        organisation=organisation,
        registration=facts.registration,
        service=service,
        theme=theme,
        subtheme=subtheme,
        training_type=training_type,
        title=title,
        start_date=start,
        hours=hours,
        participants=participants,
        amount=amount,
        application_date=on,
        regime_from=regime.valid_from,
        regime_version=str(regime.data_version)[:40],
        size_class=size,
        rate=calc.rate,
        subsidy=calc.subsidy,
        own_contribution=calc.own_contribution,
        budget_held=calc.subsidy,
        structured_reference=reference,
        deposit_deadline=regime.deposit_deadline(on),
        status=ProjectStatus.BEVESTIGD,
        status_changed_at=now,
        idempotency_key=key,
        created_by=actor.label[:200],
    )
    ProjectStatusChange.objects.create(
        project=project,
        from_status="",
        to_status=project.status,
        action="submit",
        at=now,
        actor_label=actor.label,
    )
    after = project_snapshot(project)
    after["capped"] = calc.capped
    after["budget_used"] = str(budget.used + calc.subsidy)
    audit_record(
        actor=_for(actor, organisation),
        action="projects.application.submit",
        object_type=PROJECT,
        object_id=str(project.pk),
        after=after,
        reason=_("Aanvraag ingediend volgens de regeling vanaf %(since)s") % {"since": _d(regime.valid_from)},
    )
    _mail_on_commit(project, "submitted")
    return project


# --- e-mails ----------------------------------------------------------------------------------------------


def _mail_on_commit(project: Project, name: str, **extra: Any) -> None:
    project_id = project.pk
    transaction.on_commit(lambda: send_project_mail(project_id, name, **extra))


def send_project_mail(project_id: int, name: str, **extra: Any) -> bool:
    """Send ``projects/mail/<name>_<lang>.txt`` (+ ``_subject``) to the enterprise's contact; False when the
    enterprise has no contact e-mail address or the mail could not be sent (logged, never raised: the
    project's change stands)."""
    project = Project.objects.select_related("organisation", "registration__provider").get(pk=project_id)
    return _send_mail(project, _profile(project.organisation), name, **extra)


def send_project_mails(project_ids: list[int], name: str) -> int:
    """``send_project_mail`` for many projects (the daily jobs): the projects and the profiles read in two
    queries; returns how many were sent."""
    projects = list(
        Project.objects.filter(pk__in=project_ids)
        .select_related("organisation", "registration__provider")
        .order_by("pk")
    )
    profiles = {
        p.organisation_id: p
        for p in EnterpriseProfile.objects.filter(organisation_id__in={p.organisation_id for p in projects})
    }
    templates: dict[str, Any] = {}  # each template looked up once for the batch
    messages = [
        message
        for p in projects
        if (message := _project_message(p, profiles.get(p.organisation_id), name, templates=templates))
    ]
    if not messages:
        return 0
    try:
        return int(mailers.default.send_messages(messages))  # the outbox: one INSERT per thousand
    except Exception:
        logger.exception("the %s mails of %d projects could not be sent", name, len(messages))
        return 0


def _project_message(
    project: Project,
    profile: EnterpriseProfile | None,
    name: str,
    *,
    templates: dict[str, Any] | None = None,
    **extra: Any,
) -> EmailMessage | None:
    """The ``name`` mail of a project to its enterprise's contact, in its language (None: no address)."""
    if profile is None or not profile.contact_email:
        logger.info("project %s: no contact e-mail for the %s mail", project.number, name)
        return None
    language = profile.language if profile.language in ("nl", "en") else "nl"
    context = {"project": project, "profile": profile, **extra}
    found = {} if templates is None else templates

    def render(template_name: str) -> str:
        if template_name not in found:
            found[template_name] = loader.get_template(template_name)
        return str(found[template_name].render(context))

    with translation.override(language):
        subject = " ".join(render(f"projects/mail/{name}_subject_{language}.txt").split())
        body = render(f"projects/mail/{name}_{language}.txt")
    message = mail.message(subject, body, [profile.contact_email], language=language)
    message.kmop_organisation = project.organisation  # type: ignore[attr-defined]
    return message


def _send_mail(
    project: Project,
    profile: EnterpriseProfile | None,
    name: str,
    **extra: Any,
) -> bool:
    message = _project_message(project, profile, name, **extra)
    if message is None:
        return False
    try:
        message.send()
    except Exception:
        logger.exception("project %s: the %s mail could not be sent", project.number, name)
        return False
    return True


# --- transitions ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    label: str


def _t(action: str, sources: Iterable[str], target: str, label: str) -> Transition:
    return Transition(action, frozenset(sources), target, label)


S = ProjectStatus
#: every allowed change of status; nothing leaves a final status (Afgewerkt, ProjectGeannuleerd, Gestopt)
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("deposit", [S.BEVESTIGD], S.LOPEND, "eigen bijdrage gestort"),
        _t("cancel", [S.BEVESTIGD], S.GEANNULEERD, "geannuleerd"),
        _t("deposit_expired", [S.BEVESTIGD], S.GEANNULEERD, "geen correcte storting binnen de termijn"),
        _t("request_stop", [S.LOPEND], S.STOPZETTING_AANGEVRAAGD, "stopzetting aangevraagd"),
        _t("approve_stop", [S.STOPZETTING_AANGEVRAAGD], S.GESTOPT, "stopzetting goedgekeurd"),
        _t("refuse_stop", [S.STOPZETTING_AANGEVRAAGD], S.LOPEND, "stopzetting geweigerd"),
        _t("finish", [S.LOPEND], S.AFGEWERKT, "afgewerkt"),
        _t("close_expired", [S.LOPEND, S.STOPZETTING_AANGEVRAAGD], S.AFGEWERKT, "afgesloten na de termijn"),
    )
}
assert all(not (t.sources & FINAL_STATUSES) for t in TRANSITIONS.values())


def _lock_project(project: Project) -> Project:
    locked = (
        Project.objects.select_for_update(of=("self",))
        .select_related("organisation", "registration__provider__organisation")
        .get(pk=project.pk)
    )
    return locked


def _check_transition(project: Project, action: str) -> Transition:
    transition = TRANSITIONS[action]
    if project.status in FINAL_STATUSES:
        raise TransitionNotAllowed(
            _("Project %(number)s heeft de eindstatus %(status)s: er kan niets meer aan veranderen."),
            number=project.number,
            status=ProjectStatus(project.status).label,
        )
    if project.status not in transition.sources:
        raise TransitionNotAllowed(
            _("Dit kan niet voor project %(number)s in status %(status)s (enkel vanuit %(allowed)s)."),
            number=project.number,
            status=ProjectStatus(project.status).label,
            allowed=", ".join(str(ProjectStatus(s).label) for s in sorted(transition.sources)),
        )
    return transition


def _apply(
    actor: Actor,
    project: Project,
    action: str,
    *,
    reason: str = "",
    note: str = "",
    proof_name: str = "",
    before_hook: Callable[[Project], None] | None = None,
) -> Project:
    """Lock the project, check the transition, change the status, record history and audit."""
    project = _lock_project(project)
    transition = _check_transition(project, action)
    before = project_snapshot(project)
    if before_hook is not None:
        before_hook(project)
    now = timezone.now()
    from_status = project.status
    project.status = transition.target
    project.status_changed_at = now
    fields = ["status", "status_changed_at", "budget_held", "updated_at"]
    if action == "deposit":
        project.deposited_at = now
        fields.append("deposited_at")
    if note:
        project.note = (project.note + "\n" if project.note else "") + note
        fields.append("note")
    project.save(update_fields=fields)
    ProjectStatusChange.objects.create(
        project=project,
        from_status=from_status,
        to_status=project.status,
        action=action,
        at=now,
        actor_label=actor.label[:200],
        reason=reason or note,
        proof_name=proof_name[:200],
    )
    audit_record(
        actor=_for(actor, project.organisation),
        action=f"projects.project.{action}",
        object_type=PROJECT,
        object_id=str(project.pk),
        before=before,
        after=project_snapshot(project),
        reason=reason or note or transition.label,
    )
    return project


def _release_budget(project: Project) -> Decimal:
    """Give the project's held subsidy back to its year's budget (``used = used - held``); returns it."""
    held = project.budget_held
    if held > 0:
        updated = (
            YearBudget.objects.filter(
                organisation_id=project.organisation_id, year=project.application_date.year
            )
            .alias(after=Round(F("used") - held, 2))
            .filter(after__gte=0)
            .update(used=Round(F("used") - held, 2))
        )
        if updated != 1:
            raise ProjectError(
                _("Het jaarbudget van project %(number)s klopt niet: neem contact op met de helpdesk."),
                number=project.number,
                code="budget_mismatch",
            )
        project.budget_held = Decimal("0.00")
    return held


def wallet_hook(name: str) -> Callable[..., Any] | None:
    """The wallet's reaction ``kmop.wallet.services.<name>`` (``release_on_cancel``, ``settle_stop``, ...), or
    None while the wallet app is not installed. Imported here, not at the top: the wallet imports projects."""
    try:
        module = importlib.import_module("kmop.wallet.services")
    except ModuleNotFoundError as e:
        if e.name in ("kmop.wallet", "kmop.wallet.services"):
            return None
        raise
    hook = getattr(module, name, None)
    return hook if callable(hook) else None


def _call_wallet(name: str, project: Project, actor: Actor) -> None:
    """Call the wallet's ``name(project, actor=actor)`` in the caller's transaction (a failure rolls the
    transition back with it)."""
    hook = wallet_hook(name)
    if hook is not None:
        hook(project, actor=actor)


def project_mark_deposited(*, actor: Actor, project: Project, reason: str = "") -> Project:
    """Bevestigd → Lopend: the own contribution was deposited correctly (called by the wallet's deposit
    matching, in its transaction)."""
    _require_staff(actor)
    with transaction.atomic():
        return _apply(actor, project, "deposit", reason=reason)


def project_mark_deposited_bulk(*, actor: Actor, projects: Iterable[Project], reason: str = "") -> int:
    """Bevestigd → Lopend for many projects at once (the wallet's camt.053 import): the rows locked, one
    UPDATE, bulk history and audit, in the caller's transaction. ``TransitionNotAllowed`` (nothing changed)
    when one of them is not in Bevestigd. Returns the number changed."""
    _require_staff(actor)
    ids = sorted({p.pk for p in projects})
    if not ids:
        return 0
    text = reason or TRANSITIONS["deposit"].label
    with transaction.atomic():
        now = timezone.now()
        changed = 0
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            rows = list(
                Project.objects.select_for_update()
                .filter(pk__in=chunk)
                .order_by("pk")
                .values_list("pk", "number", "status")
            )
            wrong = [(number, status) for _pk, number, status in rows if status != ProjectStatus.BEVESTIGD]
            if wrong:
                number, status = wrong[0]
                raise TransitionNotAllowed(
                    _(
                        "Dit kan niet voor project %(number)s in status %(status)s "
                        "(enkel vanuit %(allowed)s)."
                    ),
                    number=number,
                    status=ProjectStatus(status).label,
                    allowed=ProjectStatus.BEVESTIGD.label,
                )
            Project.objects.filter(pk__in=chunk).update(
                status=ProjectStatus.LOPEND, status_changed_at=now, deposited_at=now, updated_at=now
            )
            ProjectStatusChange.objects.bulk_create(
                [
                    ProjectStatusChange(
                        project_id=pk,
                        from_status=ProjectStatus.BEVESTIGD,
                        to_status=ProjectStatus.LOPEND,
                        action="deposit",
                        at=now,
                        actor_label=actor.label[:200],
                        reason=text,
                    )
                    for pk, _number, _status in rows
                ]
            )
            audit_record_many(
                actor=actor,
                changes=(
                    AuditChange(
                        action="projects.project.deposit",
                        object_type=PROJECT,
                        object_id=str(pk),
                        before={"number": number, "status": ProjectStatus.BEVESTIGD.value},
                        after={"number": number, "status": ProjectStatus.LOPEND.value},
                    )
                    for pk, number, _status in rows
                ),
                reason=text,
            )
            changed += len(rows)
    return changed


def project_cancel(*, actor: Actor, project: Project, reason: str) -> Project:
    """Bevestigd → ProjectGeannuleerd by the enterprise (withdraws), the provider (cancels, reason required;
    the enterprise gets an e-mail with it) or staff; the budget is released and the wallet refunds."""
    who = _require_enterprise_or_provider(actor, project)
    text = _reason(reason, required=who in ("provider", "staff"))
    with transaction.atomic():

        def release(locked: Project) -> None:
            _release_budget(locked)

        project = _apply(actor, project, "cancel", reason=text, before_hook=release)
        _call_wallet("release_on_cancel", project, actor)
        _mail_on_commit(project, "cancelled", reason=text, by=who)
    return project


def project_request_stop(*, actor: Actor, project: Project, reason: str, proof: Any = None) -> Project:
    """Lopend → StopzettingAangevraagd, by the enterprise (reason) or the provider (reason and a proof
    document); the kmo-portefeuille service decides (``project_decide_stop``)."""
    who = _require_enterprise_or_provider(actor, project)
    text = _reason(reason, required=True)
    proof_name = str(getattr(proof, "name", "") or (proof if isinstance(proof, str) else "") or "")
    if who == "provider" and not proof_name:
        raise InvalidInput(
            _("Een dienstverlener voegt een bewijsstuk toe bij een vraag tot stopzetting."), field="proof"
        )
    with transaction.atomic():
        return _apply(actor, project, "request_stop", reason=text, proof_name=proof_name)


def project_decide_stop(*, actor: Actor, project: Project, approve: bool, reason: str) -> Project:
    """StopzettingAangevraagd → Gestopt (approved: settled by the wallet; the budget released when the stop is
    decided in the application's calendar year) or back to Lopend (refused); reason required."""
    _require_staff(actor)
    text = _reason(reason, required=True)
    with transaction.atomic():
        if not approve:
            project = _apply(actor, project, "refuse_stop", reason=text)
            _mail_on_commit(project, "stop_refused", reason=text)
            return project
        today = _today()

        def settle(locked: Project) -> None:
            if today.year == locked.application_date.year:
                _release_budget(locked)

        project = _apply(actor, project, "approve_stop", reason=text, before_hook=settle)
        _call_wallet("settle_stop", project, actor)
        _mail_on_commit(project, "stopped", reason=text)
    return project


def project_mark_finished(*, actor: Actor, project: Project, reason: str = "") -> Project:
    """Lopend → Afgewerkt: everything paid out (called by the wallet)."""
    number = _acting_number(actor)
    if number is not None and not permissions.is_staff(number):
        _require_enterprise(actor, project.organisation)
    with transaction.atomic():
        return _apply(actor, project, "finish", reason=reason)


def close_note_for_year(application_year: int) -> str:
    """The note of a project closed after its term (RULES.md §3: Afgewerkt with a note)."""
    return _("Afgesloten: de opleiding of het advies moest afgewerkt en betaald zijn op 31/12/%(year)s.") % {
        "year": application_year + 1
    }


def close_note(project: Project) -> str:
    return close_note_for_year(project.application_date.year)


def project_close_expired(*, actor: Actor, project: Project) -> Project:
    """Lopend or StopzettingAangevraagd → Afgewerkt with a note, when 31 December of the year after the
    application year has passed (RULES.md §3); the wallet refunds what is left (``settle_close``)."""
    _require_staff(actor)
    if _today() <= date(project.application_date.year + 1, 12, 31):
        raise TransitionNotAllowed(
            _("Project %(number)s loopt nog tot 31/12/%(year)s."),
            number=project.number,
            year=project.application_date.year + 1,
        )
    with transaction.atomic():
        project = _apply(actor, project, "close_expired", note=close_note(project))
        _call_wallet("settle_close", project, actor)
    return project


def expire_deposits_bulk(*, actor: Actor, day: date, batch_size: int = 1000) -> int:
    """ "No correct deposit within the deadline" for every project in Bevestigd whose deposit deadline is
    before ``day``: ProjectGeannuleerd, budget released, an e-mail; in batches, each its own transaction.
    Idempotent (only Bevestigd projects), and catches up after missed days (every deadline before ``day``)."""
    total = 0
    note = _("Geannuleerd: de eigen bijdrage werd niet (correct) gestort binnen de termijn.")
    while True:
        with transaction.atomic():
            batch = list(
                Project.objects.select_for_update(
                    skip_locked=connection.features.has_select_for_update_skip_locked
                )
                .filter(status=ProjectStatus.BEVESTIGD, deposit_deadline__lt=day)
                .order_by("deposit_deadline", "id")
                .values_list("id", "organisation_id", "application_date", "budget_held", "status")[
                    :batch_size
                ]
            )
            if not batch:
                return total
            _bulk_transition(actor, batch, "deposit_expired", note, release=True)
        total += len(batch)
        send_project_mails([row[0] for row in batch], "deposit_expired")


def close_expired_bulk(*, actor: Actor, day: date, batch_size: int = 1000) -> int:
    """Lopend or StopzettingAangevraagd projects of an application year before ``day.year - 1``: Afgewerkt
    with the note (RULES.md §3), the wallet told; set-based in batches, idempotent."""
    total = 0
    limit = date(day.year - 1, 1, 1)
    sources = TRANSITIONS["close_expired"].sources
    while True:
        with transaction.atomic():
            batch = list(
                Project.objects.select_for_update(
                    skip_locked=connection.features.has_select_for_update_skip_locked
                )
                .filter(status__in=sources, application_date__lt=limit)
                .order_by("application_date", "id")
                .values_list("id", "organisation_id", "application_date", "budget_held", "status")[
                    :batch_size
                ]
            )
            if not batch:
                return total
            _bulk_transition(actor, batch, "close_expired", "", release=False)
        total += len(batch)


def _release_budgets(per_budget: dict[tuple[int, int], Decimal]) -> None:
    """``used = used - held`` for many enterprise-years in one statement (``WITH v AS (VALUES ...) UPDATE ...
    FROM v``, PostgreSQL and SQLite >= 3.33)."""
    rows = [(organisation_id, year, held) for (organisation_id, year), held in per_budget.items() if held > 0]
    table = YearBudget._meta.db_table
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s::bigint, %s::integer, %s::numeric)"] * len(chunk))
        else:
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH v (organisation_id, year, held) AS (VALUES {values}) "
                f"UPDATE {table} SET used = ROUND({table}.used - v.held, 2) FROM v "
                f"WHERE {table}.organisation_id = v.organisation_id AND {table}.year = v.year",
                [value for row in chunk for value in row],
            )


def _bulk_transition(
    actor: Actor, batch: list[tuple[int, int, date, Decimal, str]], action: str, note: str, *, release: bool
) -> None:
    """One action on a batch of locked projects (id, organisation, application date, budget held, status): one
    UPDATE of the statuses per note, one UPDATE of the budgets, bulk history and audit, the wallet told."""
    transition = TRANSITIONS[action]
    now = timezone.now()
    ids = [row[0] for row in batch]
    statuses = {row[0]: row[4] for row in batch}
    notes: dict[int, str] = {}
    if action == "close_expired":
        notes = {row[0]: close_note_for_year(row[2].year) for row in batch}
    fields: dict[str, Any] = {"status": transition.target, "status_changed_at": now, "updated_at": now}
    if release:
        per_budget: dict[tuple[int, int], Decimal] = {}
        for _id, organisation_id, application_date, held, _status in batch:
            key = (organisation_id, application_date.year)
            per_budget[key] = per_budget.get(key, Decimal("0.00")) + held
        _release_budgets(per_budget)
        fields["budget_held"] = Decimal("0.00")
    by_note: dict[str, list[int]] = {}
    for project_id in ids:
        by_note.setdefault(notes.get(project_id, note), []).append(project_id)
    for text, members in by_note.items():
        Project.objects.filter(pk__in=members).update(**fields, **({"note": text} if text else {}))
    _insert_rows(
        ProjectStatusChange,
        ("project_id", "from_status", "to_status", "action", "at", "actor_label", "reason", "proof_name"),
        [
            (
                project_id,
                statuses[project_id],
                transition.target,
                action,
                now,
                actor.label[:200],
                notes.get(project_id, note),
                "",
            )
            for project_id in ids
        ],
    )
    audit_record_many(
        actor=actor,
        changes=(
            AuditChange(
                action=f"projects.project.{action}",
                object_type=PROJECT,
                object_id=str(project_id),
                before={"status": statuses[project_id], "budget_held": str(held)},
                after={"status": transition.target, "budget_held": "0.00" if release else str(held)},
            )
            for project_id, _org, _day, held, _status in batch
        ),
        reason=note or transition.label,
    )
    _tell_wallet_bulk(actor, ids, "release_on_cancel" if action == "deposit_expired" else "settle_close")


def _wallet_balances(ids: list[int]) -> dict[int, Decimal] | None:
    """The wallet balance of each project that has money in its wallet, or None without the wallet app. Two
    indexed queries: the projects' accounts, then their entries by account (a join of the entries with the
    accounts made PostgreSQL read every entry of the ledger)."""
    try:
        from kmop.wallet.models import Account, Entry
    except ImportError:  # pragma: no cover - the wallet app is installed
        return None
    from django.db.models import Sum

    accounts = dict(
        Account.objects.filter(kind="project", project_id__in=ids).values_list("id", "project_id")
    )
    if not accounts:
        return {}
    rows = (
        Entry.objects.filter(account_id__in=list(accounts))
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    return {
        accounts[account_id]: Decimal(total).quantize(CENT)
        for account_id, total in rows
        if total and Decimal(total) > 0
    }


#: what the wallet's ``<name>_many`` reads of the projects it is handed (``settle_close_many``): only these
#: loaded, the projects of a batch are several times cheaper to build
WALLET_MANY_FIELDS = ("id", "number", "amount", "subsidy", "organisation_id", "organisation__name")


def _tell_wallet_bulk(actor: Actor, ids: list[int], name: str) -> None:
    """The wallet's reaction ``name`` (``release_on_cancel``, ``settle_close``) for a batch of projects:
    all of them to ``kmop.wallet.services.<name>_many(projects, actor=...)`` when the wallet has it (it sums
    their balances under its lock and books nothing for an empty wallet). Else one call per project with money
    in its wallet (one query finds them)."""
    hook = wallet_hook(name)
    if hook is None:
        return
    many = wallet_hook(f"{name}_many")
    if many is not None:  # it sums the balances itself, under its lock: no need to find them here first
        projects = (
            Project.objects.filter(pk__in=ids)
            .select_related("organisation")
            .only(*WALLET_MANY_FIELDS)
            .order_by("pk")
        )
        many(list(projects), actor=actor)
        return
    balances = _wallet_balances(ids)
    if balances is None:
        targets = list(Project.objects.filter(pk__in=ids).select_related("organisation").order_by("pk"))
    else:
        if not balances:
            return
        targets = list(
            Project.objects.filter(pk__in=list(balances)).select_related("organisation").order_by("pk")
        )
    for project in targets:
        hook(project, actor=actor)


def _insert_rows(model: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert rows (values of the columns, by their database names) of a model without its instances: with
    ``COPY`` on PostgreSQL, else with ``bulk_create``."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    names = [model._meta.get_field(c[:-3] if c.endswith("_id") else c).attname for c in columns]
    model.objects.bulk_create([model(**dict(zip(names, row, strict=True))) for row in rows])

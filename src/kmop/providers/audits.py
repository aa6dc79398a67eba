"""Audit reports of private providers' requests (RULES.md §4, issue 6): staff enter the audit body's result —
the body, the date, and per indicator of the kmop-norm two scores B/G/T/V (the described method, and its
practice) — and the back office approves a private provider's request only with a passing report.

* ``audit_report_record``: only for a pending request (A, G/V, L/H) on the basis "private dienstverlener",
  on the version staff saw; every indicator scored (a starter's audit exempts experience and client
  satisfaction), a body of the appointed list, a date not in the future nor more than a year back. The result
  is computed: passed when every score is at least T (toereikend) (decision). A first request's (A) report
  sets whether the provider is a starter (validity 2 years instead of 5). Audited
  (``providers.audit_report.record``).
* ``current_audit_report``: the latest report entered since the request (``status_changed_at``), or None;
  ``approval_blocked_reason``: why a request may not be approved yet (no report, a failing one), or "".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kmop.audit.services import Actor, audit_record
from kmop.providers.errors import ProviderError, StaleRegistration
from kmop.providers.models import (
    PASSING_SCORES,
    PENDING_STATUSES,
    STARTER_EXEMPT,
    AuditBody,
    AuditReport,
    AuditScore,
    Basis,
    Indicator,
    Registration,
    RegistrationStatus,
    Score,
)
from kmop.providers.services import _lock_registration, _require_staff


def _require_level(actor: Actor) -> None:
    """A person records a decision's basis at level high (IAM.md, staff actions); the system may."""
    from kmop.acm.methods import level_at_least

    if actor.user is not None and not level_at_least(actor.acr, "high"):
        raise ProviderError(
            _("Meld u aan met eID of itsme om een auditrapport in te voeren."), code="level_high"
        )


def required_indicators(starter: bool) -> list[str]:
    return [code for code in Indicator.values if not (starter and code in STARTER_EXEMPT)]


def needs_audit(registration: Registration) -> bool:
    return registration.basis == Basis.PRIVATE


#: the actions that start a request (A, G/V, L/H); the expiry that turns G/V into L/H continues the request
REQUEST_ACTIONS = ("request", "extend", "renew")


def request_started_at(registration: Registration) -> datetime | None:
    """When the current request started: its latest request, extension or renewal."""
    return (
        registration.events.filter(action__in=REQUEST_ACTIONS)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )


def current_audit_report(registration: Registration) -> AuditReport | None:
    """The latest report entered during the current request, with its scores."""
    if registration.status not in PENDING_STATUSES:
        return None
    started = request_started_at(registration) or registration.status_changed_at
    return (
        AuditReport.objects.filter(registration=registration, entered_at__gte=started)
        .prefetch_related("scores")
        .first()
    )


def approval_blocked_reason(registration: Registration, report: AuditReport | None = None) -> str:
    """Why the request may not be approved yet ("" when it may); ``report``: its current report if read."""
    if not needs_audit(registration):
        return ""
    report = report or current_audit_report(registration)
    if report is None:
        return _(
            "Voer eerst het auditrapport van deze aanvraag in: een private dienstverlener heeft een "
            "geslaagde audit nodig."
        )
    if not report.passed:
        return _(
            "Het auditrapport van deze aanvraag is niet geslaagd: de aanvraag kan niet goedgekeurd worden."
        )
    return ""


def audit_report_record(
    *,
    actor: Actor,
    registration: Registration,
    audit_body: str,
    audit_date: date | None,
    scores: Mapping[str, tuple[str, str]],
    starter: bool = False,
    remark: str = "",
    expected_version: int | None = None,
) -> AuditReport:
    """Record the audit report of a pending private provider's request (see the module's docstring). Raises
    ``ProviderError`` with nothing recorded when the input is incomplete or the request changed."""
    _require_staff(actor)
    _require_level(actor)
    if audit_body not in AuditBody.values:
        raise ProviderError(
            _("Kies een van de aangestelde auditbureaus."), field="audit_body", code="audit_body"
        )
    today = timezone.localdate()
    if audit_date is None:
        raise ProviderError(_("Geef de datum van de audit."), field="audit_date", code="audit_date")
    if audit_date > today or audit_date < today - timedelta(days=366):
        raise ProviderError(
            _("De datum van de audit ligt in de toekomst of meer dan een jaar terug."),
            field="audit_date",
            code="audit_date",
        )
    required = required_indicators(starter)
    missing = [
        str(Indicator(code).label)
        for code in required
        if not all(value in Score.values for value in scores.get(code, ("", "")))
    ]
    if missing:
        raise ProviderError(
            _("Geef beide scores (B, G, T of V) voor: %(indicators)s."),
            field="scores",
            code="scores_missing",
            indicators=", ".join(missing),
        )
    seen_version = registration.version if expected_version is None else expected_version
    with transaction.atomic():
        locked = _lock_registration(registration)
        if locked.version != seen_version:
            raise StaleRegistration(
                _(
                    "Registratie %(number)s werd intussen gewijzigd (nu %(status_code)s: %(status)s). "
                    "Bekijk ze opnieuw."
                ),
                code="stale",
                number=locked.number,
                status_code=locked.status,
                status=locked.get_status_display(),
            )
        if starter and locked.status != RegistrationStatus.REQUESTED:
            raise ProviderError(
                _(
                    "Een startersaudit hoort enkel bij een eerste aanvraag (A): een verlenging of "
                    "hernieuwing vraagt een volledige audit."
                ),
                field="starter",
                code="starter_follow_up",
            )
        if locked.status not in PENDING_STATUSES or not needs_audit(locked):
            raise ProviderError(
                _(
                    "Een auditrapport hoort bij een aanvraag van een private dienstverlener die op een "
                    "beslissing wacht."
                ),
                code="not_pending",
            )
        rows = {code: scores[code] for code in required}
        passed = all(m in PASSING_SCORES and p in PASSING_SCORES for m, p in rows.values())
        report = AuditReport.objects.create(
            registration=locked,
            audit_body=audit_body,
            audit_date=audit_date,
            starter=starter,
            passed=passed,
            remark=" ".join((remark or "").split())[:2000],
            entered_by=actor.label[:200],
        )
        was_starter = locked.is_starter
        if locked.status == RegistrationStatus.REQUESTED and locked.is_starter != starter:
            # a first request's audit says whether the provider takes the starter track (2 years, then a
            # follow-up audit for 3 more); a follow-up audit (G/V) is never a starter's. The registration
            # changed: a decision on the version seen before (another validity) is refused as stale
            locked.is_starter = starter
            locked.version += 1
            locked.save(update_fields=["is_starter", "version"])
        AuditScore.objects.bulk_create(
            AuditScore(report=report, indicator=code, method=m, practice=p) for code, (m, p) in rows.items()
        )
        audit_record(
            actor=actor,
            action="providers.audit_report.record",
            object_type="providers.Registration",
            object_id=locked.number,
            before={"is_starter": was_starter},
            after={
                "is_starter": locked.is_starter,
                "audit_body": audit_body,
                "audit_date": audit_date.isoformat(),
                "starter": starter,
                "passed": passed,
                "scores": {code: f"{m}/{p}" for code, (m, p) in rows.items()},
            },
            reason=report.remark,
        )
    return report

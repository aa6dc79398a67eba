"""The daily reminders of expiring rights (IAM.md "Reminders", seed 003's sample mail).

From 10 days before a right's end date, every day: one e-mail per right to its holder (in the person's
language), and one digest per organisation to its administrators (one message per language, addressed to all
of them) with a link to extend each work relation. Only effective rights are reminded (a right of a paused
work relation, an ended right or a right in an inactive organisation is not: the reminder asks to extend what
works now). A right extended beyond the 10 days, or ended, gets no more reminders.

Never twice on the same day, even when the job runs twice: each right's reminder of the day is claimed first
(``RightGrant.last_reminder_on`` set to the day, with the same conditional update as
``services.right_grant_mark_reminded`` and the same audit event ``idm.right_grant.remind``), in batches, and
only claimed rights are mailed. A mail that cannot be sent gives its claim back, so a later run that day
sends it.

Performance (the bench runs it over 500,000 grants): the due rights are selected in one set-based query
(``values_list`` + ``iterator``: no model instances), claimed per batch with one ``SELECT ... FOR UPDATE``,
one ``UPDATE`` and one bulk ``INSERT`` of audit events; the administrators of all concerned organisations
are read with a few queries per 1,000 organisations. The templates are compiled once per language.

``send_reminders(day, connection=...)`` is what ``kmop daily`` (``idm/daily_jobs.py``) and the bench call;
pass any Django e-mail backend instance as ``connection`` (e.g. the locmem backend).
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.idm import selectors
from kmop.idm.models import Person, RightContextValue, RightGrant, TargetGroup, WorkRelation
from kmop.registers.numbers import format_enterprise_number

logger = logging.getLogger(__name__)

#: reminders start this many days before the end date (the end date itself included)
REMINDER_DAYS = 10
LANGUAGES = ("nl", "en")
RIGHT_GRANT = "idm.RightGrant"
REMIND_ACTION = "idm.right_grant.remind"
UNDO_ACTION = "idm.right_grant.remind_undo"


@dataclass
class ReminderReport:
    """What a reminder pass did on a day."""

    day: date
    due: int = 0  # rights selected as due (effective, ending within 10 days, not reminded that day)
    claimed: int = 0  # rights whose reminder of the day this pass claimed
    holder_mails: int = 0
    digest_mails: int = 0
    holders_without_email: int = 0
    administrators_without_email: int = 0
    failed_mails: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.claimed} rechten herinnerd, {self.holder_mails} e-mails aan houders, "
            f"{self.digest_mails} overzichten aan beheerders, {self.failed_mails} mislukt"
            + (
                f", {self.holders_without_email} houders zonder e-mailadres"
                if self.holders_without_email
                else ""
            )
        )


@dataclass(frozen=True)
class _Due:
    """One due right, as read by the one selecting query."""

    grant_id: int
    end_date: date
    previous: date | None  # last_reminder_on before this pass claimed it
    right_id: int
    right_nl: str
    right_en: str
    context_value: str
    department: str | None
    relation_id: int
    relation_email: str
    first_name: str
    last_name: str
    person_email: str
    language: str
    organisation_id: int
    organisation_name: str
    organisation_code: str
    target_group: str

    @property
    def email(self) -> str:
        return self.relation_email or self.person_email

    @property
    def organisation_display(self) -> str:
        if self.target_group == TargetGroup.ECONOMIC_ACTOR:
            return format_enterprise_number(self.organisation_code)
        return self.organisation_code


_FIELDS = (
    "id",
    "end_date",
    "last_reminder_on",
    "right_id",
    "right__label_nl",
    "right__label_en",
    "context_value",
    "department__name",
    "work_relation_id",
    "work_relation__email",
    "work_relation__person__first_name",
    "work_relation__person__last_name",
    "work_relation__person__email",
    "work_relation__person__language",
    "work_relation__organisation_id",
    "work_relation__organisation__name",
    "work_relation__organisation__code",
    "work_relation__organisation__target_group",
)


def moment_of(day: date) -> datetime:
    """The moment the effective rights of ``day`` are judged at: now for today, else noon of that day."""
    now = timezone.now()
    if timezone.localdate(now) == day:
        return now
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def due_grants(day: date) -> Any:
    """The rights whose reminder is due on ``day``: effective then, ending within 10 days (from ``day`` to
    ``day + 10``), not reminded on that day yet. A queryset (ordered by end date) of the rows ``_FIELDS``."""
    return (
        selectors.effective_grants(at=moment_of(day))
        .filter(end_date__gte=day, end_date__lte=day + timedelta(days=REMINDER_DAYS))
        .exclude(last_reminder_on=day)
        .order_by()
        .values_list(*_FIELDS)
    )


def _batches(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[_Due]]:
    iterator = iter(rows)
    while batch := [_Due(*row) for row in itertools.islice(iterator, size)]:
        yield batch


def _claim(batch: list[_Due], day: date, actor: Actor) -> list[_Due]:
    """Claim the day's reminder of these rights (one lock, one update, one audit insert): the claimed ones."""
    by_id = {due.grant_id: due for due in batch}
    with transaction.atomic():
        ids = list(
            RightGrant.objects.select_for_update()
            .filter(pk__in=list(by_id))
            .exclude(last_reminder_on=day)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            return []
        RightGrant.objects.filter(pk__in=ids).update(last_reminder_on=day)
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    actor=actor.user,
                    actor_label=actor.label,
                    organisation_code=actor.organisation_code or by_id[pk].organisation_code,
                    acr=actor.acr,
                    action=REMIND_ACTION,
                    object_type=RIGHT_GRANT,
                    object_id=str(pk),
                    after={"last_reminder_on": day.isoformat(), "end_date": by_id[pk].end_date.isoformat()},
                )
                for pk in ids
            ]
        )
    return [by_id[pk] for pk in ids]


def _give_back(failed: list[_Due], day: date, actor: Actor, reason: str) -> None:
    """A mail that was not sent gives its claim back (``last_reminder_on`` as it was), audited."""
    if not failed:
        return
    with transaction.atomic():
        by_previous: dict[date | None, list[int]] = defaultdict(list)
        for due in failed:
            by_previous[due.previous].append(due.grant_id)
        for previous, ids in by_previous.items():
            RightGrant.objects.filter(pk__in=ids, last_reminder_on=day).update(last_reminder_on=previous)
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    actor=actor.user,
                    actor_label=actor.label,
                    organisation_code=actor.organisation_code or due.organisation_code,
                    acr=actor.acr,
                    action=UNDO_ACTION,
                    object_type=RIGHT_GRANT,
                    object_id=str(due.grant_id),
                    before={"last_reminder_on": day.isoformat()},
                    after={"last_reminder_on": due.previous.isoformat() if due.previous else None},
                    reason=reason[:500],
                )
                for due in failed
            ]
        )


# --- mails ---------------------------------------------------------------------------------------------


def base_url() -> str:
    url = str(getattr(settings, "KMOP_BASE_URL", "") or "").rstrip("/")
    if not url:
        raise ImproperlyConfigured(
            "KMOP_BASE_URL is empty: the reminders need the site's public address (https://...) "
            "for their links"
        )
    return url


def _path(name: str, fallback: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def extend_url(base: str, work_relation_id: int) -> str:
    """The absolute link to extend a work relation and its rights in the Gebruikersbeheer."""
    fallback = f"/gebruikersbeheer/werkrelaties/{work_relation_id}/verlengen/"
    return base + _path("idm:work-relation-extend", fallback, work_relation_id)


def _extend_urls(base: str) -> Callable[[int], str]:
    """``extend_url`` with the URL resolved once (the digests hold one link per right)."""
    sentinel = 987654321987
    pattern = extend_url(base, sentinel)
    head, _sep, tail = pattern.partition(str(sentinel))
    return lambda work_relation_id: f"{head}{work_relation_id}{tail}"


class _Templates:
    """The mail templates, compiled once per language."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def render(self, name: str, language: str, context: dict[str, Any], extension: str = "txt") -> str:
        key = f"idm/mail/{name}_{language if language in LANGUAGES else 'nl'}.{extension}"
        template = self._cache.get(key)
        if template is None:
            template = self._cache[key] = loader.get_template(key)
        return str(template.render(context))


def _right_label(due: _Due, language: str, profiles: dict[tuple[int, str], tuple[str, str]]) -> str:
    label = due.right_en if language == "en" else due.right_nl
    if due.department:
        return f"{label}, {due.department}"
    if due.context_value:
        nl, en = profiles.get((due.right_id, due.context_value), (due.context_value, due.context_value))
        return f"{label}, {'profile' if language == 'en' else 'profiel'} {en if language == 'en' else nl}"
    return label


def _profiles() -> dict[tuple[int, str], tuple[str, str]]:
    return {
        (right_id, code): (nl, en)
        for right_id, code, nl, en in RightContextValue.objects.values_list(
            "right_id", "code", "label_nl", "label_en"
        )
    }


def _message(
    templates: _Templates, name: str, language: str, context: dict[str, Any], to: str | list[str]
) -> EmailMultiAlternatives:
    subject = " ".join(templates.render(f"{name}_subject", language, context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=templates.render(name, language, context),
        to=[to] if isinstance(to, str) else to,
    )
    message.attach_alternative(templates.render(name, language, context, "html"), "text/html")
    return message


@dataclass(frozen=True)
class _Recipient:
    national_number: str
    first_name: str
    last_name: str
    email: str
    language: str


def _chunks(values: list[Any], size: int = 1000) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _administrators(
    organisations: dict[int, tuple[str, str]], at: datetime
) -> tuple[dict[int, list[_Recipient]], int]:
    """The administrators of these organisations (id -> (code, target group)) with an e-mail address,
    set-based: their legal representatives in the KBO and their administering appointments (as
    ``administrators_of``). Also returns how many administrators had no e-mail address."""
    day = timezone.localdate(at)
    numbers: dict[int, set[str]] = defaultdict(set)
    ids = list(organisations)
    by_code = {code: pk for pk, (code, group) in organisations.items() if group == TargetGroup.ECONOMIC_ACTOR}
    for chunk in _chunks(ids):
        for organisation_id, number in (
            selectors.administering_appointments(at=at)
            .filter(organisation_id__in=chunk)
            .order_by()
            .values_list("organisation_id", "person__national_number")
        ):
            numbers[organisation_id].add(number)
    from kmop.registers.selectors import current_legal_functions

    for chunk in _chunks(list(by_code)):
        for code, number in (
            current_legal_functions(on=day)
            .filter(enterprise_id__in=chunk, function__represents=True)
            .order_by()
            .values_list("enterprise_id", "person_number")
        ):
            numbers[by_code[code]].add(number)
    all_numbers = sorted({n for group in numbers.values() for n in group})
    persons: dict[str, tuple[int, str, str, str, str]] = {}
    for chunk in _chunks(all_numbers):
        for pk, number, first, last, email, language in Person.objects.filter(
            national_number__in=chunk
        ).values_list("pk", "national_number", "first_name", "last_name", "email", "language"):
            persons[number] = (pk, first, last, email, language)
    # no e-mail on the person: the e-mail of their latest open work relation in that organisation
    relation_emails: dict[tuple[int, int], str] = {}
    without = [p[0] for p in persons.values() if not p[3]]
    for chunk in _chunks(without):
        for person_id, organisation_id, email in (
            WorkRelation.objects.filter(person_id__in=chunk, organisation_id__in=ids, ended_at__isnull=True)
            .order_by("begin_date")
            .values_list("person_id", "organisation_id", "email")
        ):
            relation_emails[(person_id, organisation_id)] = email
    result: dict[int, list[_Recipient]] = {}
    missing = 0
    for organisation_id, group in numbers.items():
        recipients = []
        for number in sorted(group):
            person = persons.get(number)
            email = ""
            if person is not None:
                email = person[3] or relation_emails.get((person[0], organisation_id), "")
            if not email or person is None:
                missing += 1
                continue
            recipients.append(_Recipient(number, person[1], person[2], email, person[4]))
        result[organisation_id] = recipients
    return result, missing


def _send(connection: BaseEmailBackend, message: EmailMultiAlternatives, report: ReminderReport) -> bool:
    try:
        sent = connection.send_messages([message])
    except Exception as e:
        report.failed_mails += 1
        report.errors.append(f"{', '.join(message.to)}: {type(e).__name__}: {e}")
        logger.warning("reminder mail to %s failed: %s", ", ".join(message.to), e)
        return False
    if not sent:
        report.failed_mails += 1
        report.errors.append(f"{', '.join(message.to)}: not sent")
        return False
    return True


def _add(digests: dict[int, list[_Due]], organisations: dict[int, tuple[str, str]], due: _Due) -> None:
    digests[due.organisation_id].append(due)
    organisations[due.organisation_id] = (due.organisation_code, due.target_group)


def send_reminders(
    day: date | None = None,
    *,
    connection: BaseEmailBackend | None = None,
    actor: Actor | None = None,
    batch_size: int = 1000,
) -> ReminderReport:
    """The reminder pass of ``day`` (today): claim and mail every due right, then the digests. Returns what it
    did; sending again the same day sends nothing more. ``connection``: an e-mail backend instance (default:
    Django's default mailer, ``django.core.mail.mailers.default``)."""
    day = day or timezone.localdate()
    actor = actor or Actor.system("kmop daily")
    base = base_url()
    at = moment_of(day)
    report = ReminderReport(day=day)
    templates = _Templates()
    profiles = _profiles()
    connection = connection or mailers.default
    digests: dict[int, list[_Due]] = defaultdict(list)
    organisations: dict[int, tuple[str, str]] = {}
    common = {
        "base_url": base,
        "profile_url": base + _path("idm:my-profile", "/gebruikersbeheer/mijn-profiel/"),
    }
    connection.open()
    try:
        for batch in _batches(due_grants(day).iterator(chunk_size=batch_size), batch_size):
            report.due += len(batch)
            claimed = _claim(batch, day, actor)
            report.claimed += len(claimed)
            failed: list[_Due] = []
            for due in claimed:
                if not due.email:
                    report.holders_without_email += 1
                    _add(digests, organisations, due)
                    continue
                language = due.language if due.language in LANGUAGES else "nl"
                context = {
                    **common,
                    "first_name": due.first_name,
                    "right": _right_label(due, language, profiles),
                    "organisation_name": due.organisation_name,
                    "organisation_code": due.organisation_display,
                    "end_date": due.end_date,
                }
                if _send(
                    connection, _message(templates, "reminder_holder", language, context, due.email), report
                ):
                    report.holder_mails += 1
                    _add(digests, organisations, due)
                else:
                    failed.append(due)  # its claim is given back: in the digest of the run that sends it
            if failed:
                _give_back(failed, day, actor, report.errors[-1])
        if digests:
            recipients, report.administrators_without_email = _administrators(organisations, at)
            extend = _extend_urls(base)
            for organisation_id, grants in digests.items():
                grants.sort(key=lambda g: (g.end_date, g.last_name, g.first_name, g.grant_id))
                first = grants[0]
                by_language: dict[str, list[str]] = defaultdict(list)
                for recipient in recipients.get(organisation_id, []):
                    language = recipient.language if recipient.language in LANGUAGES else "nl"
                    by_language[language].append(recipient.email)
                for language, addresses in sorted(by_language.items()):
                    rows = [
                        {
                            "name": f"{g.first_name} {g.last_name}",
                            "right": _right_label(g, language, profiles),
                            "end_date": g.end_date,
                            "extend_url": extend(g.relation_id),
                        }
                        for g in grants
                    ]
                    context = {
                        **common,
                        "organisation_name": first.organisation_name,
                        "organisation_code": first.organisation_display,
                        "rows": rows,
                        "count": len(rows),
                    }
                    message = _message(templates, "reminder_digest", language, context, addresses)
                    if _send(connection, message, report):
                        report.digest_mails += 1
    finally:
        connection.close()
    return report

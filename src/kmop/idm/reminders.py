"""The daily reminders of expiring rights (IAM.md "Reminders", seed 003's sample mail).

From 10 days before a right's end date, every day: one e-mail per right to its holder (in the person's
language), and one digest per organisation to its administrators (one message per language, addressed to all
of them) with a link to extend each work relation. Only effective rights are reminded (a right of a paused
work relation, an ended right or a right in an inactive organisation is not: the reminder asks to extend what
works now). A right extended beyond the 10 days, or ended, gets no more reminders.

Set-based and transactional (decision 0014): in ONE transaction a pass

1. takes the pass lock (PostgreSQL: a transaction-level advisory lock; SQLite: its write lock), so two passes
   run one after the other and the second finds nothing due;
2. copies the due grants (``due_grants``: effective on the day, ending within 10 days, not reminded that day)
   with what the mails need into a temporary table (one ``INSERT … SELECT``);
3. claims them: one ``UPDATE idm_rightgrant SET last_reminder_on = <day>`` (never twice on the same day);
4. audits them: one ``INSERT … SELECT`` of ``idm.right_grant.remind`` events;
5. queues the holders' e-mails: one ``INSERT … SELECT`` into the outbox with the JSON context
   (``jsonb_build_object`` / SQLite's ``json_object``), kind ``idm.reminder_holder``;
6. queues the digests: the administrators of the concerned organisations (a few queries per 1,000
   organisations) into a second temporary table, then one grouped ``INSERT … SELECT`` (kind
   ``idm.reminder_digest``, one row per organisation and language with the rights as a JSON array).

No e-mail is rendered or sent here: ``kmop send_mail`` renders and delivers the outbox rows (with retries),
so a pass that fails or is rolled back leaves no claim, no audit event and no e-mail behind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection as db_connection
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.idm import selectors
from kmop.idm.models import Person, RightContextValue, RightGrant, TargetGroup, WorkRelation
from kmop.notifications import kinds
from kmop.notifications.models import OutboxMessage
from kmop.registers.numbers import format_enterprise_number

#: reminders start this many days before the end date (the end date itself included)
REMINDER_DAYS = 10
LANGUAGES = ("nl", "en")
RIGHT_GRANT = "idm.RightGrant"
REMIND_ACTION = "idm.right_grant.remind"
HOLDER_KIND = "idm.reminder_holder"
DIGEST_KIND = "idm.reminder_digest"
#: pg_advisory_xact_lock key of the reminder pass
PASS_LOCK = 0x6B6D6F70_0001
DUE_TABLE = "kmop_reminder_due"
ADMIN_TABLE = "kmop_reminder_admins"


@dataclass
class ReminderReport:
    """What a reminder pass did on a day (the e-mails are queued in the outbox; ``kmop send_mail`` sends)."""

    day: date
    due: int = 0  # rights selected as due (effective, ending within 10 days, not reminded that day)
    claimed: int = 0  # rights whose reminder of the day this pass claimed
    holder_mails: int = 0  # e-mails to holders queued
    digest_mails: int = 0  # digests to administrators queued
    holders_without_email: int = 0
    administrators_without_email: int = 0
    failed_mails: int = 0  # always 0 now: a delivery failure is retried by the outbox worker
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.claimed} rechten herinnerd, {self.holder_mails} e-mails aan houders, "
            f"{self.digest_mails} overzichten aan beheerders in de outbox gezet"
            + (
                f", {self.holders_without_email} houders zonder e-mailadres"
                if self.holders_without_email
                else ""
            )
        )


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

#: the temporary table's columns, in the order of ``_DUE_FIELDS``
_DUE_COLUMNS = (
    ("grant_id", "bigint"),
    ("end_date", "date"),
    ("right_id", "bigint"),
    ("right_nl", "text"),
    ("right_en", "text"),
    ("context_value", "text"),
    ("department", "text"),
    ("relation_id", "bigint"),
    ("relation_email", "text"),
    ("person_id", "bigint"),
    ("first_name", "text"),
    ("last_name", "text"),
    ("person_email", "text"),
    ("language", "text"),
    ("organisation_id", "bigint"),
    ("organisation_name", "text"),
    ("organisation_code", "text"),
    ("target_group", "text"),
)
_DUE_FIELDS = (
    "id",
    "end_date",
    "right_id",
    "right__label_nl",
    "right__label_en",
    "context_value",
    "department__name",
    "work_relation_id",
    "work_relation__email",
    "work_relation__person_id",
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


def _due(day: date) -> Any:
    return (
        selectors.effective_grants(at=moment_of(day))
        .filter(end_date__gte=day, end_date__lte=day + timedelta(days=REMINDER_DAYS))
        .exclude(last_reminder_on=day)
        .order_by()
    )


def due_grants(day: date) -> Any:
    """The rights whose reminder is due on ``day``: effective then, ending within 10 days (from ``day`` to
    ``day + 10``), not reminded on that day yet. A queryset of the rows ``_FIELDS``."""
    return _due(day).values_list(*_FIELDS)


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


# --- rendering (at delivery, by the outbox worker) --------------------------------------------------------


def _label(row: dict[str, Any], language: str) -> str:
    english = language == "en"
    label = str(row["right_en"] if english else row["right_nl"])
    if row.get("department"):
        return f"{label}, {row['department']}"
    if row.get("context_value"):
        value = (row.get("profile_en") if english else row.get("profile_nl")) or row["context_value"]
        return f"{label}, {'profile' if english else 'profiel'} {value}"
    return label


def _organisation(context: dict[str, Any]) -> dict[str, Any]:
    code = str(context["organisation_code"])
    economic = context.get("target_group") == TargetGroup.ECONOMIC_ACTOR
    return {
        "organisation_name": context["organisation_name"],
        "organisation_code": format_enterprise_number(code) if economic else code,
        "base_url": context["base_url"],
    }


def _prepare_holder(context: dict[str, Any], language: str) -> dict[str, Any]:
    return {
        **_organisation(context),
        "first_name": context["first_name"],
        "right": _label(context, language),
        "end_date": date.fromisoformat(str(context["end_date"])[:10]),
        "profile_url": context["profile_url"],
    }


def _prepare_digest(context: dict[str, Any], language: str) -> dict[str, Any]:
    extend = _extend_urls(str(context["base_url"]))
    grants = sorted(
        context["rows"],
        key=lambda r: (str(r["end_date"])[:10], r["last_name"], r["first_name"], int(r["grant_id"])),
    )
    rows = [
        {
            "name": f"{g['first_name']} {g['last_name']}",
            "right": _label(g, language),
            "end_date": date.fromisoformat(str(g["end_date"])[:10]),
            "extend_url": extend(int(g["relation_id"])),
        }
        for g in grants
    ]
    return {**_organisation(context), "rows": rows, "count": len(rows)}


kinds.register(kinds.Kind(HOLDER_KIND, "idm/mail/reminder_holder", LANGUAGES, prepare=_prepare_holder))
kinds.register(kinds.Kind(DIGEST_KIND, "idm/mail/reminder_digest", LANGUAGES, prepare=_prepare_digest))


@dataclass(frozen=True)
class _Recipient:
    national_number: str
    first_name: str
    last_name: str
    email: str
    language: str


def _chunks(values: list[Any], size: int = 10000) -> Iterator[list[Any]]:
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
    # the organisations of the pass are in its temporary table: one query each, whatever their number
    for organisation_id, number in (
        selectors.administering_appointments(at=at)
        .filter(organisation_id__in=RawSQL(f"SELECT organisation_id FROM {DUE_TABLE}", []))  # noqa: S611
        .order_by()
        .values_list("organisation_id", "person__national_number")
    ):
        numbers[organisation_id].add(number)
    from kmop.registers.selectors import current_legal_functions

    for code, number in (
        current_legal_functions(on=day)
        .filter(
            enterprise_id__in=RawSQL(  # noqa: S611 - a constant table name, no input
                f"SELECT organisation_code FROM {DUE_TABLE} WHERE target_group = %s",
                [TargetGroup.ECONOMIC_ACTOR],
            ),
            function__represents=True,
        )
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


# --- the pass ---------------------------------------------------------------------------------------------


class _Sql:
    """The few dialect differences of the pass (PostgreSQL and SQLite)."""

    def __init__(self) -> None:
        self.postgres = db_connection.vendor == "postgresql"
        self.obj = "jsonb_build_object" if self.postgres else "json_object"
        self.agg = "jsonb_agg" if self.postgres else "json_group_array"
        self.temp = "CREATE TEMPORARY TABLE"


def _execute(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> int:
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount or 0)


def _scalar(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> Any:
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _lock(sql: _Sql) -> None:
    """One pass at a time: the second one waits, then finds the rights claimed."""
    if sql.postgres:
        _scalar("SELECT pg_advisory_xact_lock(%s)", [PASS_LOCK])
    else:  # a write takes SQLite's one write lock for the rest of the transaction
        _execute(f"UPDATE {RightGrant._meta.db_table} SET last_reminder_on = last_reminder_on WHERE id = -1")


def _temp_tables(sql: _Sql) -> None:
    for table in (DUE_TABLE, ADMIN_TABLE):
        _execute(f"DROP TABLE IF EXISTS {table}")
    columns = ", ".join(f"{name} {kind}" for name, kind in _DUE_COLUMNS)
    _execute(f"{sql.temp} {DUE_TABLE} ({columns})")
    _execute(f"{sql.temp} {ADMIN_TABLE} (organisation_id bigint, language text, recipients text)")


def _drop_temp_tables() -> None:
    for table in (DUE_TABLE, ADMIN_TABLE):
        _execute(f"DROP TABLE IF EXISTS {table}")


def _outbox_insert(columns: str) -> str:
    return f"INSERT INTO {OutboxMessage._meta.db_table} ({columns}) "


_OUTBOX_COLUMNS = (
    "channel, recipient, sender, subject, body_text, body_html, template, context, envelope, language, "
    "created_at, organisation_id, person_id, state, attempts, next_attempt_at, claimed_at, claimed_by, "
    "sent_at, error"
)


def _right_json(sql: _Sql, alias: str = "d") -> str:
    """The JSON pairs of a due right (its labels, profile, holder, dates), for the holder and digest rows."""
    return (
        f"'grant_id', {alias}.grant_id, 'end_date', {alias}.end_date, 'right_nl', {alias}.right_nl, "
        f"'right_en', {alias}.right_en, 'context_value', {alias}.context_value, "
        f"'department', {alias}.department, 'profile_nl', cv.label_nl, 'profile_en', cv.label_en, "
        f"'first_name', {alias}.first_name, 'last_name', {alias}.last_name, "
        f"'relation_id', {alias}.relation_id"
    )


def _profiles_join(alias: str = "d") -> str:
    return (
        f"LEFT JOIN {RightContextValue._meta.db_table} cv "
        f"ON cv.right_id = {alias}.right_id AND cv.code = {alias}.context_value"
    )


def _email(alias: str = "d") -> str:
    return (
        f"CASE WHEN COALESCE({alias}.relation_email, '') <> '' THEN {alias}.relation_email "
        f"ELSE COALESCE({alias}.person_email, '') END"
    )


def send_reminders(
    day: date | None = None,
    *,
    connection: Any = None,
    actor: Actor | None = None,
    batch_size: int = 1000,
) -> ReminderReport:
    """The reminder pass of ``day`` (today): claim every due right and queue its e-mails in the outbox, then
    the digests, all in one transaction. Returns what it did; running again the same day does nothing more.

    ``connection`` and ``batch_size`` are kept for the callers of the former version and not used: the
    e-mails are delivered by ``kmop send_mail`` (``kmop.notifications.delivery``)."""
    day = day or timezone.localdate()
    actor = actor or Actor.system("kmop daily")
    base = base_url()
    at = moment_of(day)
    report = ReminderReport(day=day)
    sql = _Sql()
    now = db_connection.ops.adapt_datetimefield_value(timezone.now())
    common = {
        "base_url": base,
        "profile_url": base + _path("idm:my-profile", "/gebruikersbeheer/mijn-profiel/"),
    }
    with transaction.atomic():
        _lock(sql)
        _temp_tables(sql)
        due_sql, due_params = _due(day).values_list(*_DUE_FIELDS).query.sql_with_params()
        names = ", ".join(name for name, _kind in _DUE_COLUMNS)
        report.due = _execute(f"INSERT INTO {DUE_TABLE} ({names}) {due_sql}", due_params)
        if not report.due:
            _drop_temp_tables()
            return report
        if sql.postgres:  # a temporary table has no statistics until analysed: the joins below need them
            _execute(f"ANALYZE {DUE_TABLE}")
        grants = RightGrant._meta.db_table
        report.claimed = _execute(
            f"UPDATE {grants} SET last_reminder_on = %s WHERE id IN (SELECT grant_id FROM {DUE_TABLE})",
            [db_connection.ops.adapt_datefield_value(day)],
        )
        audit_columns = (
            "at, actor_id, actor_label, organisation_code, acr, action, object_type, object_id, before, "
            "after, reason"
        )
        _execute(
            f"INSERT INTO {AuditEvent._meta.db_table} ({audit_columns}) "
            f"SELECT %s, %s, %s, COALESCE(%s, d.organisation_code), %s, %s, %s, CAST(d.grant_id AS TEXT), "
            f"NULL, {sql.obj}('last_reminder_on', CAST(%s AS TEXT), 'end_date', d.end_date), '' "
            f"FROM {DUE_TABLE} d ORDER BY d.grant_id",
            [
                now,
                actor.user.pk if actor.user is not None else None,
                actor.label,
                actor.organisation_code or None,
                actor.acr,
                REMIND_ACTION,
                RIGHT_GRANT,
                day.isoformat(),
            ],
        )
        report.holder_mails = _execute(
            _outbox_insert(_OUTBOX_COLUMNS) + f"SELECT 'email', {_email()}, '', '', '', '', %s, "
            f"{sql.obj}({_right_json(sql)}, 'organisation_name', d.organisation_name, "
            f"'organisation_code', d.organisation_code, 'target_group', d.target_group, "
            f"'base_url', CAST(%s AS TEXT), 'profile_url', CAST(%s AS TEXT)), NULL, "
            f"CASE WHEN d.language IN ('nl', 'en') THEN d.language ELSE 'nl' END, %s, d.organisation_id, "
            f"d.person_id, %s, 0, NULL, NULL, '', NULL, '' "
            f"FROM {DUE_TABLE} d {_profiles_join()} WHERE {_email()} <> '' ORDER BY d.grant_id",
            [HOLDER_KIND, common["base_url"], common["profile_url"], now, OutboxMessage.State.PENDING],
        )
        report.holders_without_email = report.claimed - report.holder_mails
        _digests(sql, report, at, now, base)
        _drop_temp_tables()
    return report


def _digests(sql: _Sql, report: ReminderReport, at: datetime, now: Any, base: str) -> None:
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT organisation_id, organisation_code, target_group FROM {DUE_TABLE}")
        organisations = {pk: (code, group) for pk, code, group in cursor.fetchall()}
    recipients, report.administrators_without_email = _administrators(organisations, at)
    rows: list[tuple[int, str, str]] = []
    for organisation_id, people in recipients.items():
        by_language: dict[str, list[str]] = defaultdict(list)
        for recipient in people:
            language = recipient.language if recipient.language in LANGUAGES else "nl"
            by_language[language].append(recipient.email)
        rows += [(organisation_id, lang, ", ".join(addresses)) for lang, addresses in by_language.items()]
    if not rows:
        return
    with db_connection.cursor() as cursor:
        if sql.postgres:
            cursor.execute(
                f"INSERT INTO {ADMIN_TABLE} (organisation_id, language, recipients) "
                "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[])",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {ADMIN_TABLE} (organisation_id, language, recipients) VALUES (%s, %s, %s)", rows
            )
    report.digest_mails = _execute(
        _outbox_insert(_OUTBOX_COLUMNS) + f"SELECT 'email', a.recipients, '', '', '', '', %s, "
        f"{sql.obj}('organisation_name', MAX(d.organisation_name), "
        f"'organisation_code', MAX(d.organisation_code), 'target_group', MAX(d.target_group), "
        f"'base_url', CAST(%s AS TEXT), 'rows', {sql.agg}({sql.obj}({_right_json(sql)}))), NULL, "
        f"a.language, %s, a.organisation_id, NULL, %s, 0, NULL, NULL, '', NULL, '' "
        f"FROM {ADMIN_TABLE} a JOIN {DUE_TABLE} d ON d.organisation_id = a.organisation_id "
        f"{_profiles_join()} "
        f"GROUP BY a.organisation_id, a.language, a.recipients ORDER BY a.organisation_id, a.language",
        [DIGEST_KIND, base, now, OutboxMessage.State.PENDING],
    )

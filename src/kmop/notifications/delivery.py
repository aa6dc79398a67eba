"""Delivery of the outbox's e-mails (``kmop send_mail``): claim, deliver, mark.

1. **Claim** a batch (100 rows by default) in its own committed transaction: one ``UPDATE … WHERE id IN
   (SELECT … ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED)`` sets ``state = sending``,
   ``claimed_at``/``claimed_by`` (the lease) and counts the attempt. Claimable: ``pending`` rows whose
   ``next_attempt_at`` has come, and ``sending`` rows whose lease expired (their worker was killed or hung).
   Several workers on PostgreSQL never take the same row (``SKIP LOCKED``). SQLite has no ``SKIP LOCKED``:
   the one ``UPDATE`` statement holds SQLite's write lock, so claims are still exclusive, but run one worker
   at a time there.
2. **Deliver** each claimed row through the forward mailer (``MAILERS["forward"]``, from
   ``KMOP_EMAIL_FORWARD_BACKEND``), rendering a queued row from its notification kind. Every delivery of a
   row carries the same ``Message-ID`` (``<kmop.outbox.<pk>.<created>@<host>>``). One connection to the mail
   server per batch. Whenever half the lease has passed, the worker renews the lease of the batch's remaining
   rows (``renew``) and drops those another worker took meanwhile, so a batch may take longer than the lease.
3. **Mark** each row right after its delivery: ``sent``; on an error back to ``pending`` with an exponential
   backoff (1, 2, 4 … minutes, at most 6 hours), ``failed`` after ``MAX_ATTEMPTS`` attempts. Without a forward
   mailer a row is marked ``stored`` ("alleen bewaard": development and demo). On PostgreSQL the marks are
   committed without waiting for the WAL flush (``_quick_commits``).

At least once: a worker killed after the mail server accepted a message and before its mark commits leaves
the row ``sending``; when the lease expires another worker delivers it again — the one case of a duplicate,
which the receiving server can drop by its unchanged Message-ID. A worker killed before the acceptance loses
nothing: the row is taken again.
"""

from __future__ import annotations

import base64
import email.message
import email.policy
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import HeaderRegistry
from email.policy import Policy
from typing import Any
from urllib.parse import urlsplit

import structlog
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from kmop.notifications.backends import OutboxEmailBackend
from kmop.notifications.models import OutboxMessage

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)
#: a worker renews its batch's lease (``renew``) whenever half of it has passed, before the next message, so
#: LEASE must exceed twice the longest delivery of one message (SMTP: a few commands of at most 20 s each),
#: whatever the batch size: a slow but live worker keeps its batch
BATCH_SIZE = 100
FORWARD = "forward"
PURGED_ERROR = "de inhoud van dit bericht is gewist na de bewaartermijn (KMOP_OUTBOX_RETENTION_DAYS)"

State = OutboxMessage.State
TABLE = OutboxMessage._meta.db_table


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt after ``attempts`` failed ones: 1, 2, 4 … minutes, at most 6 h."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


def forward_mailer() -> BaseEmailBackend | None:
    """The real mailer: ``MAILERS["forward"]``; else the default mailer when it is not the outbox itself
    (tests, where Django's test runner makes every mailer locmem, or a development console mailer); else None
    (messages are then only stored)."""
    configured = getattr(settings, "MAILERS", {}) or {}
    if FORWARD in configured:
        return mailers[FORWARD]
    default = mailers.default
    return None if isinstance(default, OutboxEmailBackend) else default


def _domain() -> str:
    host = urlsplit(str(getattr(settings, "KMOP_BASE_URL", "") or "")).hostname
    return host or "kmop.invalid"


def message_id(message: OutboxMessage) -> str:
    """Stable per outbox row: every (re)delivery of the row carries it."""
    return f"<kmop.outbox.{message.pk}.{message.created_at:%Y%m%d%H%M%S}@{_domain()}>"


class _FoldOnce:
    """Mixin of the header classes: a header is immutable, so its folded form (what the generator writes)
    is computed once per policy."""

    def fold(self, *, policy: Policy) -> str:
        folds = self.__dict__.setdefault("_kmop_folds", {})
        found = folds.get(id(policy))
        if found is None or found[0] is not policy:
            found = folds[id(policy)] = (policy, super().fold(policy=policy))  # type: ignore[misc]
        return str(found[1])


class _CachedHeaderClasses(HeaderRegistry):
    """The standard header registry, but each header's class made once (the stock one builds a new class
    with ``type()`` for every header of every message), and the headers whose values repeat from message to
    message (``SHARED``: the MIME structure, the sender, the second's date) parsed once and shared: parsing
    and folding headers was most of the time a worker spent turning a message into bytes (13–16 → 8–9 ms a
    message of the mail bench's mix, on a loaded machine; the same bytes). Header objects are immutable; a
    changed header is a new one."""

    SHARED = frozenset({"mime-version", "content-type", "content-transfer-encoding", "from", "date"})
    LIMIT = 512

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}
        self._headers: dict[tuple[str, str], Any] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            base = super().__getitem__(name)
            cls = self._classes[key] = type(base.__name__, (_FoldOnce, base), {})
        return cls

    def __call__(self, name: str, value: Any) -> Any:
        if name.lower() not in self.SHARED or not isinstance(value, str):
            return self[name](name, value)
        key = (name, value)
        header = self._headers.get(key)
        if header is None:
            if len(self._headers) >= self.LIMIT:
                self._headers.clear()
            header = self._headers[key] = self[name](name, value)
        return header


_fast_policies: dict[int, tuple[Policy, Policy]] = {}


def _fast(policy: Policy) -> Policy:
    """``policy`` with the cached header classes (one clone per policy; the mailers pass module constants,
    ``email.policy.SMTP`` for Django's SMTP backend)."""
    found = _fast_policies.get(id(policy))
    if found is None or found[0] is not policy:
        fast = policy.clone(header_factory=_CachedHeaderClasses())  # type: ignore[call-arg]
        found = _fast_policies[id(policy)] = (policy, fast)
    return found[1]


class OutboxEmail(EmailMultiAlternatives):
    """The outbox's message: builds its MIME form with ``_fast`` header classes, whatever the mailer asks."""

    def message(self, *, policy: Any = email.policy.default) -> Any:
        if type(getattr(policy, "header_factory", None)) is HeaderRegistry:  # the stock registry only
            policy = _fast(policy)
        return super().message(policy=policy)


def email_of(message: OutboxMessage) -> EmailMultiAlternatives:
    """The ``EmailMessage`` to hand to the mailer (a queued row is rendered here)."""
    rendered = message.render()
    envelope = message.envelope or {}
    to = envelope.get("to")
    if to is None and not envelope:
        to = [address.strip() for address in message.recipient.split(",") if address.strip()]
    email = OutboxEmail(
        subject=rendered.subject,
        body=rendered.text or rendered.html,
        from_email=message.sender or None,
        to=to or [],
        cc=envelope.get("cc") or [],
        bcc=envelope.get("bcc") or [],
        reply_to=envelope.get("reply_to") or [],
        headers={**(envelope.get("headers") or {}), "Message-ID": message_id(message)},
    )
    if rendered.text and rendered.html:
        email.attach_alternative(rendered.html, "text/html")
    elif rendered.html:
        email.content_subtype = "html"
    for attachment in envelope.get("attachments") or []:
        email.attach(attachment["filename"], base64.b64decode(attachment["content"]), attachment["mimetype"])
    return email


def claim(*, worker: str, batch_size: int = BATCH_SIZE, lease: timedelta = LEASE) -> list[OutboxMessage]:
    """Take up to ``batch_size`` deliverable rows (committed before any delivery)."""
    now = timezone.now()
    skip_locked = (
        " FOR UPDATE SKIP LOCKED" if db_connection.features.has_select_for_update_skip_locked else ""
    )
    sql = (
        f"UPDATE {TABLE} SET state = %s, claimed_at = %s, claimed_by = %s, attempts = attempts + 1 "
        f"WHERE id IN (SELECT id FROM {TABLE} WHERE channel = %s AND ("
        f"(state = %s AND (next_attempt_at IS NULL OR next_attempt_at <= %s)) "
        f"OR (state = %s AND claimed_at < %s)) ORDER BY id LIMIT %s{skip_locked})"
    )
    token = f"{worker[:80]}#{uuid.uuid4().hex[:12]}"  # this claim's rows, whatever the clock's precision
    at = db_connection.ops.adapt_datetimefield_value
    params: list[Any] = [
        State.SENDING,
        at(now),
        token,
        OutboxMessage.Channel.EMAIL,
        State.PENDING,
        at(now),
        State.SENDING,
        at(now - lease),
        batch_size,
    ]
    with transaction.atomic():
        with db_connection.cursor() as cursor:
            cursor.execute(sql, params)
            if not cursor.rowcount:
                return []
        return list(OutboxMessage.objects.filter(state=State.SENDING, claimed_by=token).order_by("pk"))


def _mark(message: OutboxMessage, **changes: Any) -> None:
    """Record one row's outcome: one autocommitted ``UPDATE`` (inside ``_quick_commits`` on PostgreSQL)."""
    OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING).update(**changes)


@contextmanager
def _quick_commits() -> Iterator[None]:
    """While a batch is delivered, PostgreSQL commits the marks without waiting for the WAL flush
    (``synchronous_commit = off`` for this session, then back to the server's setting). A mark lost in a
    database crash (the last fraction of a second) leaves its row ``sending``, so it is delivered again after
    the lease with the same Message-ID: the at-least-once case a killed worker already has. Waiting for the
    flush (10+ ms a commit on a busy disk) bounded a worker to well under a hundred mails a second. The claim
    before it is committed normally."""
    quick = db_connection.vendor == "postgresql" and not db_connection.in_atomic_block
    if quick:
        with db_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        if quick:
            with db_connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def renew(token: str, pks: list[int]) -> set[int]:
    """Extend the lease of the rows of the claim ``token`` that are still this worker's (``sending``, not
    taken by another worker after an expired lease); returns their ids."""
    if not pks:
        return set()
    now = db_connection.ops.adapt_datetimefield_value(timezone.now())
    placeholders = ", ".join(["%s"] * len(pks))
    with transaction.atomic(), db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET claimed_at = %s "
            f"WHERE claimed_by = %s AND state = %s AND id IN ({placeholders}) RETURNING id",
            [now, token, State.SENDING, *pks],
        )
        return {row[0] for row in cursor.fetchall()}


@dataclass
class Delivered:
    claimed: int = 0
    sent: int = 0
    stored: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Delivered) -> None:
        for name in ("claimed", "sent", "stored", "retried", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors


def deliver_batch(
    *,
    connection: BaseEmailBackend | None = None,
    worker: str | None = None,
    batch_size: int = BATCH_SIZE,
    lease: timedelta = LEASE,
    max_attempts: int = MAX_ATTEMPTS,
    after_send: Callable[[OutboxMessage], None] | None = None,
) -> Delivered:
    """Claim one batch and deliver it through ``connection`` (default: the forward mailer; none: stored)."""
    worker = worker or worker_id()
    result = Delivered()
    batch = claim(worker=worker, batch_size=batch_size, lease=lease)
    renew_at = time.monotonic() + lease.total_seconds() / 2
    result.claimed = len(batch)
    if not batch:
        return result
    mailer = connection if connection is not None else forward_mailer()
    if mailer is None:
        OutboxMessage.objects.filter(pk__in=[m.pk for m in batch], state=State.SENDING).update(
            state=State.STORED, error=""
        )
        result.stored = len(batch)
        return result
    purged = [m for m in batch if m.purged_at is not None]
    if purged:  # set back to pending after the retention emptied it: nothing left to send
        for message in purged:
            _mark(message, state=State.FAILED, error=PURGED_ERROR)
            result.failed += 1
            result.errors.append(f"{message.recipient}: {PURGED_ERROR}")
        batch = [m for m in batch if m.purged_at is None]
        if not batch:
            return result
    try:
        mailer.open()
    except Exception as exc:  # the mail server is down: the whole batch waits for its backoff
        for message in batch:
            _failed(message, exc, result, max_attempts)
        return result
    token = batch[0].claimed_by
    try:
        with _quick_commits():
            todo, index = list(batch), 0
            while index < len(todo):
                if time.monotonic() >= renew_at:  # a long batch keeps its lease, message by message
                    held = renew(token, [m.pk for m in todo[index:]])
                    renew_at = time.monotonic() + lease.total_seconds() / 2
                    lost = [m.pk for m in todo[index:] if m.pk not in held]
                    if lost:  # taken by another worker after our lease expired: theirs now
                        log.warning("email.lease_lost", outbox_ids=lost, worker=worker)
                        todo = todo[:index] + [m for m in todo[index:] if m.pk in held]
                        continue
                message = todo[index]
                index += 1
                try:
                    accepted = mailer.send_messages([email_of(message)])
                    if not accepted:
                        raise RuntimeError("the mailer accepted nothing")
                except Exception as exc:
                    _failed(message, exc, result, max_attempts)
                    continue
                _mark(message, state=State.SENT, sent_at=timezone.now(), error="")
                result.sent += 1
                if after_send is not None:
                    after_send(message)
    finally:
        mailer.close()
    return result


def _failed(message: OutboxMessage, exc: Exception, result: Delivered, max_attempts: int) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    result.errors.append(f"{message.recipient}: {error}")
    now: datetime = timezone.now()
    if message.attempts >= max_attempts:
        _mark(message, state=State.FAILED, error=error)
        result.failed += 1
        log.error("email.failed", outbox_id=message.pk, attempts=message.attempts, error=error)
    else:
        _mark(message, state=State.PENDING, next_attempt_at=now + backoff(message.attempts), error=error)
        result.retried += 1
        log.warning("email.retry", outbox_id=message.pk, attempts=message.attempts, error=error)


def deliver_pending(
    *, connection: BaseEmailBackend | None = None, batch_size: int = BATCH_SIZE, **options: Any
) -> Delivered:
    """Drain: deliver batches until nothing is claimable (what ``kmop send_mail --once`` does)."""
    total = Delivered()
    while True:
        result = deliver_batch(connection=connection, batch_size=batch_size, **options)
        total.add(result)
        if not result.claimed:
            return total

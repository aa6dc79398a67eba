"""One throttle for every guessable login secret (TOTP code, sms code, password): per account and per client
address, in Django's cache (``KMOP_CACHE_URL``: shared by all processes, see decision 0008).

- Per account: after ``ACCOUNT_FAILURES`` failures within ``MINUTES`` the account is locked for ``MINUTES``
  (even the right secret is refused meanwhile); a success clears its count.
- Per client address: at most ``ADDRESS_FAILURES`` failures per ``MINUTES`` window, whatever the accounts.

The counters are a read-modify-write in the cache (the database cache has no atomic increment), so two
requests at the same moment may both be counted as one: the limits can be passed by a few concurrent tries,
never by many. Accounts are keyed by a hash of their id, addresses by a hash of the address.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils import timezone

ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
MINUTES = 15

PREFIX = "kmop:throttle:login"


def _key(kind: str, value: str) -> str:
    return f"{PREFIX}:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _now() -> float:
    return timezone.now().timestamp()


def _live(entry: Any, now: float) -> dict[str, float] | None:
    if isinstance(entry, dict) and entry.get("until", 0) > now:
        return entry
    return None


def _count(key: str, now: float) -> int:
    """Add one failure to the window of ``key``; the new count."""
    entry = _live(cache.get(key), now) or {"n": 0, "until": now + MINUTES * 60}
    entry["n"] += 1
    cache.set(key, entry, timeout=int(entry["until"] - now) + 1)
    return int(entry["n"])


@dataclass(frozen=True)
class Verdict:
    blocked: bool
    #: "account" (locked) or "address" (too many failures from this address); "" when not blocked
    why: str = ""


def check(*, account: str | None, address: str) -> Verdict:
    """Whether a try must be refused before looking at the secret."""
    now = _now()
    if account is not None and _live(cache.get(_key("lock", account)), now):
        return Verdict(True, "account")
    entry = _live(cache.get(_key("address", address)), now)
    if entry and entry["n"] >= ADDRESS_FAILURES:
        return Verdict(True, "address")
    return Verdict(False)


def failed(*, account: str | None, address: str) -> bool:
    """Count a failure; True when it locked the account (its ``ACCOUNT_FAILURES``-th failure)."""
    now = _now()
    _count(_key("address", address), now)
    if account is None:
        return False
    if _count(_key("account", account), now) < ACCOUNT_FAILURES:
        return False
    until = now + MINUTES * 60
    cache.set(_key("lock", account), {"until": until}, timeout=MINUTES * 60 + 1)
    cache.delete(_key("account", account))
    return True


def succeeded(*, account: str) -> None:
    cache.delete(_key("account", account))


def is_locked(account: str) -> bool:
    return _live(cache.get(_key("lock", account)), _now()) is not None

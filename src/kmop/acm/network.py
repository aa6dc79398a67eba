"""Who is on the other end: the client address (for throttling and the audit) and whether a request comes
from a trusted reverse proxy (``KMOP_TRUSTED_PROXIES``: addresses or networks, e.g. ``10.0.0.5,10.1.0.0/16``).

``X-Forwarded-For`` is believed only when ``REMOTE_ADDR`` is a trusted proxy; then the client is the
right-most address in it that is not itself a trusted proxy (proxies append, a client can only prepend).
Anything else (no trusted proxy, a malformed header) gives ``REMOTE_ADDR``.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in configured)


def trusted_networks() -> tuple[IPNetwork, ...]:
    return _networks(tuple(getattr(settings, "KMOP_TRUSTED_PROXIES", None) or ()))


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in trusted_networks())


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the direct peer (``REMOTE_ADDR``) is one of ``KMOP_TRUSTED_PROXIES``."""
    return _is_trusted(request.META.get("REMOTE_ADDR", ""))


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if not from_trusted_proxy(request):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            return remote  # a hop we cannot read: do not guess further left
        if not _is_trusted(address):
            return address
    return remote

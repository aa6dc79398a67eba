"""The client address: X-Forwarded-For only from a trusted proxy; the throttle counts by that address."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from kmop.acm import throttle
from kmop.acm.network import client_address, from_trusted_proxy

from .conftest import NOBODY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def address(remote: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **extra))


def test_forwarded_for_from_an_untrusted_address_is_ignored(settings) -> None:
    settings.KMOP_TRUSTED_PROXIES = ["10.0.0.5"]
    assert address("198.51.100.1", "203.0.113.7") == "198.51.100.1"
    assert not from_trusted_proxy(RequestFactory().get("/", REMOTE_ADDR="198.51.100.1"))


def test_forwarded_for_from_a_trusted_proxy(settings) -> None:
    settings.KMOP_TRUSTED_PROXIES = ["10.0.0.5", "10.1.0.0/16"]
    assert address("10.0.0.5", "203.0.113.7") == "203.0.113.7"
    # the client can prepend anything; the right-most address that is not a proxy is the client
    assert address("10.0.0.5", "192.0.2.66, 203.0.113.7, 10.1.2.3") == "203.0.113.7"
    assert address("10.0.0.5", "not-an-address") == "10.0.0.5"
    assert address("10.0.0.5") == "10.0.0.5"
    assert address("10.0.0.5", "2001:db8::1") == "2001:db8::1"


def test_no_trusted_proxies_by_default(settings) -> None:
    settings.KMOP_TRUSTED_PROXIES = []
    assert address("127.0.0.1", "203.0.113.7") == "127.0.0.1"


def test_a_forged_forwarded_for_does_not_escape_the_throttle(client: Client, settings) -> None:
    """An attacker who changes X-Forwarded-For on every try is still counted by its own address."""
    settings.KMOP_TRUSTED_PROXIES = ["10.0.0.5"]
    for i in range(throttle.ADDRESS_FAILURES):
        client.post(
            "/aanmelden/beveiligingscode-app/",
            {"identifier": NOBODY, "password": "x" * 12, "code": "123456"},
            REMOTE_ADDR="198.51.100.1",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    assert throttle.check(account=None, address="198.51.100.1").blocked
    assert not throttle.check(account=None, address="203.0.113.1").blocked
    response = client.post(
        "/aanmelden/beveiligingscode-app/",
        {"identifier": NOBODY, "password": "x" * 12, "code": "123456"},
        REMOTE_ADDR="198.51.100.1",
        HTTP_X_FORWARDED_FOR="203.0.113.250",
    )
    assert "Probeer het over 15 minuten opnieuw." in response.content.decode()


def test_behind_the_proxy_clients_are_counted_apart(client: Client, settings) -> None:
    settings.KMOP_TRUSTED_PROXIES = ["10.0.0.5"]
    for _ in range(throttle.ADDRESS_FAILURES):
        client.post(
            "/aanmelden/beveiligingscode-app/",
            {"identifier": NOBODY, "password": "x" * 12, "code": "123456"},
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR="203.0.113.1",
        )
    assert throttle.check(account=None, address="203.0.113.1").blocked
    assert not throttle.check(account=None, address="10.0.0.5").blocked  # the proxy itself is not blocked

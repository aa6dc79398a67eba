"""Sending an sms: one adapter interface (``SmsGateway.send_sms(number, text)``), chosen by the setting
``KMOP_SMS_GATEWAY`` (a dotted path to a class). The bundled ``OutboxSmsGateway`` only writes the message to
the outbox (development, demo, tests); a production deployment names a class that calls its sms provider and
may subclass ``OutboxSmsGateway`` to keep the outbox record as well.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import get_language

from kmop.notifications.models import OutboxMessage

DEFAULT_GATEWAY = "kmop.notifications.sms.OutboxSmsGateway"


class SmsGateway(Protocol):
    def send_sms(self, number: str, text: str, *, person: Any = None, organisation: Any = None) -> None:
        """Send ``text`` to ``number`` (E.164, e.g. +32470123456); raise on a failure."""


class OutboxSmsGateway:
    """Writes the sms to the outbox (state "alleen bewaard"): nothing leaves the platform."""

    def send_sms(self, number: str, text: str, *, person: Any = None, organisation: Any = None) -> None:
        OutboxMessage.objects.create(
            channel=OutboxMessage.Channel.SMS,
            state=OutboxMessage.State.STORED,  # an sms goes out at once (the gateway), never via the worker
            recipient=number,
            body_text=text,
            language=(get_language() or "")[:10],
            person=person,
            organisation=organisation,
        )


def gateway() -> SmsGateway:
    path = getattr(settings, "KMOP_SMS_GATEWAY", "") or DEFAULT_GATEWAY
    gateway: SmsGateway = import_string(path)()
    return gateway


def send_sms(number: str, text: str, *, person: Any = None, organisation: Any = None) -> None:
    gateway().send_sms(number, text, person=person, organisation=organisation)

"""The outbox: the e-mail backend stores every message as pending (the worker delivers it, see
test_delivery.py), the sms adapter is chosen by a setting and its bundled implementation writes to the outbox,
the demo page lists both (a queued message rendered)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.test import Client
from django.utils import translation

from kmop.notifications import kinds, sms
from kmop.notifications.backends import OutboxEmailBackend
from kmop.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

PAGE = "/demo/berichten/"


def test_the_backend_stores_text_and_html(settings) -> None:
    message = EmailMultiAlternatives(
        "Uw recht loopt af", "Beste Sofie,\n\nUw recht loopt af.", "kmop@example.org", ["sofie@example.org"]
    )
    message.attach_alternative("<p>Beste Sofie,</p><p>Uw recht loopt af.</p>", "text/html")
    with translation.override("en"):
        assert OutboxEmailBackend(alias="test").send_messages([message]) == 1
    stored = OutboxMessage.objects.get()
    assert stored.channel == "email"
    assert stored.recipient == "sofie@example.org"
    assert stored.sender == "kmop@example.org"
    assert stored.subject == "Uw recht loopt af"
    assert stored.body_text == "Beste Sofie,\n\nUw recht loopt af."
    assert stored.body_html == "<p>Beste Sofie,</p><p>Uw recht loopt af.</p>"
    assert stored.language == "en"
    assert stored.state == "pending"  # delivered by kmop send_mail, not inline
    assert stored.sent_at is None


def test_many_messages_are_stored_in_one_statement(django_assert_num_queries) -> None:
    messages = [
        EmailMessage(f"Project {i}", f"Beste klant {i}", "kmop@example.org", [f"klant{i}@example.org"])
        for i in range(25)
    ]
    with django_assert_num_queries(1):  # a daily job queues thousands: one INSERT, not one per message
        assert OutboxEmailBackend(alias="test").send_messages(messages) == 25
    stored = OutboxMessage.objects.order_by("id")
    assert [m.recipient for m in stored] == [f"klant{i}@example.org" for i in range(25)]
    assert {m.state for m in stored} == {"pending"}


def test_the_backend_links_organisation_and_person(world) -> None:
    from kmop.idm.models import Organisation, Person

    organisation = Organisation.objects.first()
    person = Person.objects.first()
    message = EmailMessage("Onderwerp", "Tekst", "kmop@example.org", ["a@example.org"], cc=["b@example.org"])
    message.kmop_organisation = organisation  # type: ignore[attr-defined]
    message.kmop_person = person  # type: ignore[attr-defined]
    message.kmop_language = "nl"  # type: ignore[attr-defined]
    OutboxEmailBackend(alias="test").send_messages([message])
    stored = OutboxMessage.objects.get()
    assert stored.organisation == organisation
    assert stored.person == person
    assert stored.recipient == "a@example.org, b@example.org"


def test_the_backend_never_forwards_inline_and_a_rolled_back_change_sends_nothing(settings) -> None:
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
        "forward": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
    }
    mail.outbox = []
    message = EmailMessage("Onderwerp", "Tekst", "kmop@example.org", ["a@example.org"])

    def change_that_fails() -> None:
        with transaction.atomic():
            OutboxEmailBackend(alias="test", forward="forward").send_messages([message])
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert mail.outbox == []
    assert not OutboxMessage.objects.exists()
    assert OutboxEmailBackend(alias="test", forward="forward").send_messages([message]) == 1
    assert mail.outbox == []  # stored only: the worker delivers
    assert OutboxMessage.objects.get().state == "pending"


def test_the_settings_use_the_outbox_as_default_mailer() -> None:
    from kmop.conf import settings as project_settings

    assert project_settings.MAILERS["default"]["BACKEND"] == "kmop.notifications.backends.OutboxEmailBackend"


SENT: list[tuple[str, str]] = []


class RecordingGateway:
    def send_sms(self, number: str, text: str, *, person: Any = None, organisation: Any = None) -> None:
        SENT.append((number, text))


def test_the_sms_adapter_is_chosen_by_a_setting(settings) -> None:
    sms.send_sms("+32470123456", "Uw code is 123456")
    stored = OutboxMessage.objects.get()
    assert (stored.channel, stored.recipient, stored.body_text) == (
        "sms",
        "+32470123456",
        "Uw code is 123456",
    )
    settings.KMOP_SMS_GATEWAY = "tests.notifications.test_outbox.RecordingGateway"
    SENT.clear()
    sms.send_sms("+32470999999", "Andere tekst")
    assert SENT == [("+32470999999", "Andere tekst")]
    assert OutboxMessage.objects.count() == 1  # the other adapter did not write to the outbox


def test_demo_page_lists_the_outbox_newest_first(client: Client, settings, clock) -> None:
    settings.DEMO_MODE = True
    sms.send_sms("+32470123456", "Uw beveiligingscode is 654321.")
    clock.shift(60)
    message = EmailMessage(
        "Herinnering <verlengen>", "Regel 1\nRegel <script>2</script>", "kmop@example.org", ["x@example.org"]
    )
    OutboxEmailBackend(alias="test").send_messages([message])
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Herinnering &lt;verlengen&gt;") < html.index("Uw beveiligingscode is 654321.")
    assert "Regel 1<br>Regel &lt;script&gt;2&lt;/script&gt;" in html  # readable, and escaped
    assert "+32470123456" in html
    assert "x@example.org" in html
    assert 'href="/demo/berichten/"' in client.get("/demo/personen/").content.decode()


def test_demo_page_renders_a_queued_message(client: Client, settings) -> None:
    settings.DEMO_MODE = True
    OutboxMessage.objects.create(
        channel="email",
        recipient="x@example.org",
        template="idm.reminder_holder",
        context=HOLDER_CONTEXT,
        language="nl",
    )
    html = client.get(PAGE).content.decode()
    # rendered on the fly from its kind (still pending), escaped
    assert "Gebruikersbeheer: jouw recht tot een Vlaamse toepassing dient verlengd te worden" in html
    assert "Recht &lt;A&gt;, profiel Gebruiker" in html
    assert "Te verzenden" in html or "te verzenden" in html


HOLDER_CONTEXT = {
    "first_name": "Sofie",
    "right_nl": "Recht <A>",
    "right_en": "Right <A>",
    "context_value": "Gebruiker",
    "department": None,
    "profile_nl": None,
    "profile_en": "User",
    "organisation_name": "Bakkerij Peeters",
    "organisation_code": "0912345673",
    "target_group": "EA",
    "end_date": "2025-03-15",
    "base_url": "https://kmop.example",
    "profile_url": "https://kmop.example/gebruikersbeheer/mijn-profiel/",
}


def test_a_kind_renders_per_language_with_its_context() -> None:
    dutch = kinds.render("idm.reminder_holder", "nl", HOLDER_CONTEXT)
    english = kinds.render("idm.reminder_holder", "en", HOLDER_CONTEXT)
    unknown = kinds.render("idm.reminder_holder", "fr", HOLDER_CONTEXT)  # falls back to Dutch
    assert dutch.subject == unknown.subject
    assert english.subject == "User management: your right to a Flemish application needs to be extended"
    assert (
        'User right "Right <A>, profile User" for organisation Bakkerij Peeters 0912.345.673' in english.text
    )
    assert "Right &lt;A&gt;" in english.html
    with pytest.raises(LookupError):
        kinds.get("nobody.nothing")


def test_demo_page_is_404_outside_demo_mode(client: Client, settings) -> None:
    settings.DEMO_MODE = False
    assert client.get(PAGE).status_code == 404

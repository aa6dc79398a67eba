"""The back office's registration decisions: the queue of pending registrations (A, G/V, L/H); approve (the
first day of the validity; the provider gets the certificate by mail after the commit) or refuse (a reason is
required); a decision on a registration that changed since is refused; only staff at level high may decide."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from kmop.acm import session as keys
from kmop.audit.models import AuditEvent
from kmop.idm.errors import NotAllowed
from kmop.providers import services as provider_services
from kmop.providers.models import ProviderDepartment, Registration
from tests.backoffice.conftest import TOTP_ACR, Setting
from tests.backoffice.test_audit_reports import passing_audit
from tests.projects.conftest import SYSTEM, B

LIST = "/backoffice/registraties/"


def url(number: str) -> str:
    return f"{LIST}{number}/"


def department_request(setting: Setting, service: str = "advies") -> Registration:
    """A request (A) of the provider's department "Academie"."""
    department = provider_services.department_create(
        actor=SYSTEM,
        provider=setting.provider,
        code="ACAD",
        name="Academie",
        contact_name="Pieter Claes",
        contact_email="academie@leerwijs.example",
        iban="BE68793230773034",
    )
    return provider_services.registration_request(
        actor=SYSTEM,
        provider=setting.provider,
        service=service,
        basis="kennisinstelling",
        department=department,
    )


def test_the_queue_lists_the_pending_registrations(staff: Client, setting: Setting) -> None:
    extension = provider_services.registration_extend(actor=SYSTEM, registration=setting.training)
    requested = department_request(setting)
    html = staff.get(LIST).content.decode()
    assert 'href="/backoffice/registraties/"' in html  # the navigation
    table = html[html.index('id="pending-registrations"') :]
    assert extension.number in table
    assert requested.number in table
    assert setting.advice.number not in table  # G: nothing to decide
    assert table.index(extension.number) < table.index(requested.number)  # the oldest first
    assert url(requested.number) in table
    assert "Academie" in table


def test_approve_a_request_mails_the_certificate(
    staff: Client, setting: Setting, django_capture_on_commit_callbacks: Any
) -> None:
    registration = department_request(setting)
    page = staff.get(url(registration.number)).content.decode()
    assert 'id="approve-form"' in page
    assert 'id="refuse-form"' in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            url(registration.number),
            {
                "beslissing": "goedkeuren",
                "goedkeuren-version": str(registration.version),
                "goedkeuren-valid_from": "01/04/2025",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == LIST
    registration.refresh_from_db()
    assert registration.status == "G"
    assert (registration.valid_from, registration.valid_until) == (date(2025, 4, 1), date(2030, 4, 1))
    event = registration.events.latest("at", "id")
    assert (event.action, event.from_status, event.to_status) == ("approve", "A", "G")
    assert AuditEvent.objects.filter(action="providers.registration.approve").count() == 1
    (message,) = mail.outbox
    assert message.to == ["info@leerwijs.example", "academie@leerwijs.example"]
    assert registration.number in message.subject
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (f"certificaat-{registration.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert b"01/04/2030" in content
    assert "is goedgekeurd, geldig tot de vervaldag 01/04/2030" in staff.get(LIST).content.decode()


def test_approve_an_extension_moves_the_expiry_date(staff: Client, setting: Setting) -> None:
    extension = provider_services.registration_extend(actor=SYSTEM, registration=setting.training)
    passing_audit(setting, extension)
    staff.post(
        url(extension.number),
        {
            "beslissing": "goedkeuren",
            "goedkeuren-version": str(extension.version),
            "goedkeuren-valid_from": "",
        },
    )
    extension.refresh_from_db()
    assert (extension.status, extension.valid_from, extension.valid_until) == (
        "G",
        date(2016, 1, 1),
        date(2035, 1, 1),
    )


def test_refuse_needs_a_reason(staff: Client, setting: Setting) -> None:
    registration = department_request(setting)
    response = staff.post(
        url(registration.number),
        {"beslissing": "weigeren", "weigeren-version": str(registration.version), "weigeren-reason": "  "},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_weigeren-reason_error"' in html
    assert "Geef een reden voor de weigering." in html
    registration.refresh_from_db()
    assert (registration.status, registration.version) == ("A", 1)
    assert not AuditEvent.objects.filter(action="providers.registration.refuse").exists()
    staff.post(
        url(registration.number),
        {
            "beslissing": "weigeren",
            "weigeren-version": str(registration.version),
            "weigeren-reason": "De audit kmop-norm is negatief.",
        },
    )
    registration.refresh_from_db()
    assert registration.status == "N"
    assert registration.decision_reason == "De audit kmop-norm is negatief."
    assert not mail.outbox


def test_a_decision_on_a_changed_registration_is_refused(staff: Client, setting: Setting) -> None:
    registration = department_request(setting)
    seen = registration.version
    provider_services.registration_decide(
        actor=setting.staff, registration=registration, decision="refuse", reason="Dubbel."
    )
    response = staff.post(
        url(registration.number), {"beslissing": "goedkeuren", "goedkeuren-version": str(seen)}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "werd intussen gewijzigd" in html
    assert 'id="not-pending"' in html
    registration.refresh_from_db()
    assert registration.status == "N"


def test_a_security_code_may_look_but_not_decide(staff: Client, setting: Setting) -> None:
    registration = department_request(setting)
    session = staff.session
    session[keys.ACR] = TOTP_ACR
    session.save()
    page = staff.get(url(registration.number)).content.decode()
    assert 'id="level-warning"' in page
    assert 'id="approve-form"' not in page
    response = staff.post(
        url(registration.number),
        {"beslissing": "goedkeuren", "goedkeuren-version": str(registration.version)},
    )
    assert response.status_code == 403
    registration.refresh_from_db()
    assert registration.status == "A"


def test_an_enterprise_user_is_refused(els: Client, setting: Setting) -> None:
    registration = department_request(setting)
    assert els.get(LIST).status_code == 403
    assert (
        els.post(
            url(registration.number), {"beslissing": "goedkeuren", "goedkeuren-version": "1"}
        ).status_code
        == 403
    )
    registration.refresh_from_db()
    assert registration.status == "A"
    assert ProviderDepartment.objects.count() == 1


def test_an_unknown_registration_is_404(staff: Client, setting: Setting) -> None:
    assert staff.get(url("DV.O999999")).status_code == 404


def test_an_approval_date_far_from_today_is_refused_at_the_field(staff: Client, setting: Setting) -> None:
    registration = department_request(setting)
    response = staff.post(
        url(registration.number),
        {
            "beslissing": "goedkeuren",
            "goedkeuren-version": str(registration.version),
            "goedkeuren-valid_from": "31/12/9999",
        },
    )
    assert response.status_code == 200
    assert "Kies een dag binnen een jaar voor of na vandaag" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == "A"


def test_suspend_then_lift_with_a_reason(staff: Client, setting: Setting) -> None:
    registration = setting.training  # G
    page = staff.get(url(registration.number)).content.decode()
    assert 'id="measure-form"' in page
    assert 'value="suspend"' in page
    assert 'value="lift"' not in page  # only for S
    response = staff.post(
        url(registration.number),
        {
            "beslissing": "maatregel",
            "maatregel-version": str(registration.version),
            "maatregel-measure": "suspend",
        },
    )
    assert response.status_code == 200
    assert "Geef de reden van de maatregel." in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == "G"
    response = staff.post(
        url(registration.number),
        {
            "beslissing": "maatregel",
            "maatregel-version": str(registration.version),
            "maatregel-measure": "suspend",
            "maatregel-reason": "Klachten van klanten in onderzoek",
        },
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == "S"
    assert AuditEvent.objects.filter(action="providers.registration.suspend").exists()
    page = staff.get(url(registration.number)).content.decode()
    assert 'value="lift"' in page
    assert 'value="suspend"' not in page
    staff.post(
        url(registration.number),
        {
            "beslissing": "maatregel",
            "maatregel-version": str(registration.version),
            "maatregel-measure": "lift",
            "maatregel-reason": "Onderzoek afgesloten",
        },
    )
    registration.refresh_from_db()
    assert registration.status == "G"


def test_a_measure_on_a_registration_that_changed_meanwhile_is_refused(
    staff: Client, setting: Setting
) -> None:
    registration = setting.training
    seen = registration.version
    provider_services.registration_extend(actor=SYSTEM, registration=registration)  # G → G/V meanwhile
    response = staff.post(
        url(registration.number),
        {
            "beslissing": "maatregel",
            "maatregel-version": str(seen),
            "maatregel-measure": "stop",
            "maatregel-reason": "Stopt met de activiteit",
        },
    )
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.status == "G/V"


def test_a_medewerker_with_a_code_login_cannot_take_a_measure(staff: Client, setting: Setting) -> None:
    """Staff logged in with a security code (substantial) may look, not act."""
    from kmop.acm import session as keys
    from tests.backoffice.conftest import TOTP_ACR

    session = staff.session
    session[keys.ACR] = TOTP_ACR
    session.save()
    assert 'id="measure-form"' not in staff.get(url(setting.training.number)).content.decode()
    response = staff.post(
        url(setting.training.number),
        {
            "beslissing": "maatregel",
            "maatregel-version": str(setting.training.version),
            "maatregel-measure": "exclude",
            "maatregel-reason": "x",
        },
    )
    assert response.status_code == 403
    setting.training.refresh_from_db()
    assert setting.training.status == "G"


def test_the_service_refuses_staff_acting_for_another_organisation(setting: Setting) -> None:
    """A decision is audited for the organisation acted for: acting for another organisation of theirs, a
    Medewerker of VLAIO decides nothing through the service (the pages already refuse it)."""
    registration = department_request(setting)
    events = AuditEvent.objects.count()
    with pytest.raises(NotAllowed, match="u handelt nu niet voor VLAIO"):
        provider_services.registration_decide(
            actor=replace(setting.staff, organisation_code=B),
            registration=registration,
            decision="refuse",
            reason="Dubbel.",
        )
    registration.refresh_from_db()
    assert registration.status == "A"
    assert AuditEvent.objects.count() == events
    provider_services.registration_decide(
        actor=setting.staff, registration=registration, decision="refuse", reason="Dubbel."
    )
    registration.refresh_from_db()
    assert registration.status == "N"

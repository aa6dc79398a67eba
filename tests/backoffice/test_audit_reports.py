"""Audit reports (issue 6): staff enter the audit body's result of a private provider's request — body,
date, two scores B/G/T/V per indicator of the kmop-norm; the result is computed (every score at least T). The
request is approved only with a passing report of this request. Bad input (missing scores, a date in the
future, a request that changed meanwhile, a login with a security code) is refused with a clear message and
records nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from django.test import Client

from kmop.acm import session as keys
from kmop.audit.models import AuditEvent
from kmop.providers import services as provider_services
from kmop.providers.audits import approval_blocked_reason, audit_report_record
from kmop.providers.errors import ProviderError
from kmop.providers.models import AuditReport, Indicator, Registration
from tests.backoffice.conftest import TOTP_ACR, Setting
from tests.projects.conftest import SYSTEM

LIST = "/backoffice/registraties/"
EID = "urn:be:vlaanderen:authmech:eid"


def url(number: str) -> str:
    return f"{LIST}{number}/"


def passing_audit(setting: Setting, registration: Registration) -> AuditReport:
    return audit_report_record(
        actor=replace(setting.staff, acr=EID),
        registration=registration,
        audit_body="vincotte",
        audit_date=date(2025, 3, 1),
        scores=dict.fromkeys(Indicator.values, ("T", "V")),
    )


def form(registration: Registration, **scores: str) -> dict[str, str]:
    data = {
        "beslissing": "auditrapport",
        "auditrapport-version": str(registration.version),
        "auditrapport-audit_body": "kiwa",
        "auditrapport-audit_date": "03/03/2025",
    }
    for code in Indicator.values:
        data[f"auditrapport-method_{code}"] = scores.get(code, "T")
        data[f"auditrapport-practice_{code}"] = scores.get(code, "V")
    return data


def first_request(setting: Setting) -> Registration:
    """A private provider's first request (A) for advies, of a department."""
    department = provider_services.department_create(
        actor=SYSTEM,
        provider=setting.provider,
        code="ADV",
        name="Advies",
        contact_name="Pieter Claes",
        contact_email="advies@leerwijs.example",
        iban="BE68793230773034",
    )
    return provider_services.registration_request(
        actor=SYSTEM, provider=setting.provider, service="advies", basis="prive", department=department
    )


def extension(setting: Setting) -> Registration:
    """A private provider's extension request (G/V)."""
    registration = provider_services.registration_extend(actor=SYSTEM, registration=setting.training)
    assert registration.basis == "prive"
    return registration


def approve(client: Client, registration: Registration) -> str:
    response = client.post(
        url(registration.number),
        {
            "beslissing": "goedkeuren",
            "goedkeuren-version": str(registration.version),
            "goedkeuren-valid_from": "",
        },
    )
    return response.content.decode() if response.status_code == 200 else response["Location"]


def test_enter_a_passing_report_then_approve(staff: Client, setting: Setting) -> None:
    registration = extension(setting)
    page = staff.get(url(registration.number)).content.decode()
    assert 'id="audit-form"' in page
    assert 'id="no-audit-report"' in page
    response = staff.post(url(registration.number), form(registration))
    assert response["Location"] == url(registration.number)
    report = AuditReport.objects.get(registration=registration)
    assert report.passed
    assert report.scores.count() == len(Indicator.values)
    event = AuditEvent.objects.get(action="providers.audit_report.record")
    assert event.after["scores"]["integriteit"] == "T/V"
    page = staff.get(url(registration.number)).content.decode()
    assert 'id="audit-scores"' in page
    assert "geslaagd" in page
    assert approve(staff, registration) == LIST
    registration.refresh_from_db()
    assert registration.status == "G"


def test_a_failing_score_fails_the_report_and_blocks_the_approval(staff: Client, setting: Setting) -> None:
    registration = extension(setting)
    staff.post(url(registration.number), form(registration, kennis="G"))
    assert not AuditReport.objects.get(registration=registration).passed
    html = approve(staff, registration)
    assert "Het auditrapport van deze aanvraag is niet geslaagd" in html
    registration.refresh_from_db()
    assert registration.status == "G/V"


def test_no_report_blocks_the_approval(staff: Client, setting: Setting) -> None:
    registration = extension(setting)
    html = approve(staff, registration)
    assert "Voer eerst het auditrapport van deze aanvraag in" in html
    registration.refresh_from_db()
    assert registration.status == "G/V"
    assert not AuditEvent.objects.filter(action="providers.registration.approve").exists()


def test_missing_scores_are_refused_and_nothing_is_recorded(staff: Client, setting: Setting) -> None:
    registration = extension(setting)
    html = staff.post(
        url(registration.number), form(registration, ervaring="", integriteit="")
    ).content.decode()
    assert "Er is een probleem" in html
    assert "Geef beide scores (B, G, T of V) voor: Aantoonbare ervaring, Integriteit." in html
    assert not AuditReport.objects.exists()
    assert not AuditEvent.objects.filter(action="providers.audit_report.record").exists()


def test_a_starter_audit_exempts_experience_and_satisfaction_of_a_first_request(
    staff: Client, setting: Setting
) -> None:
    registration = first_request(setting)
    assert 'name="auditrapport-starter"' in staff.get(url(registration.number)).content.decode()
    data = form(registration, ervaring="", tevredenheid="")
    data["auditrapport-starter"] = "on"
    staff.post(url(registration.number), data)
    report = AuditReport.objects.get(registration=registration)
    assert report.starter
    assert report.passed
    assert set(report.scores.values_list("indicator", flat=True)) == set(Indicator.values) - {
        "ervaring",
        "tevredenheid",
    }
    registration.refresh_from_db()
    assert registration.is_starter  # the starter track: 2 years
    assert approve(staff, registration) == LIST
    registration.refresh_from_db()
    assert (registration.status, registration.valid_until) == ("G", date(2027, 3, 10))


def test_a_follow_up_audit_is_never_a_starter_audit(staff: Client, setting: Setting) -> None:
    registration = extension(setting)
    assert 'name="auditrapport-starter"' not in staff.get(url(registration.number)).content.decode()
    data = form(registration, ervaring="", tevredenheid="")
    data["auditrapport-starter"] = "on"
    html = staff.post(url(registration.number), data).content.decode()
    assert "Een startersaudit hoort enkel bij een eerste aanvraag (A)" in html
    assert not AuditReport.objects.exists()


def test_the_service_refuses_an_approval_without_a_report(setting: Setting) -> None:
    """Not only the back office's form: any person's approval (the admin too) needs the report."""
    registration = extension(setting)
    with pytest.raises(ProviderError) as refused:
        provider_services.registration_decide(
            actor=setting.staff, registration=registration, decision="approve"
        )
    assert refused.value.code == "audit_required"
    registration.refresh_from_db()
    assert registration.status == "G/V"


def test_the_report_still_counts_when_the_request_expires_into_a_renewal(setting: Setting) -> None:
    registration = extension(setting)
    passing_audit(setting, registration)
    provider_services.registration_expire_due(actor=SYSTEM, day=registration.valid_until)
    registration.refresh_from_db()
    assert registration.status == "L/H"
    assert approval_blocked_reason(registration) == ""


def test_a_date_in_the_future_is_refused(staff: Client, setting: Setting) -> None:
    registration = extension(setting)
    data = form(registration)
    data["auditrapport-audit_date"] = "01/01/2026"
    html = staff.post(url(registration.number), data).content.decode()
    assert "De datum van de audit ligt in de toekomst of meer dan een jaar terug." in html
    assert not AuditReport.objects.exists()


def test_a_request_that_changed_meanwhile_is_refused(staff: Client, setting: Setting) -> None:
    registration = extension(setting)
    data = form(registration)
    provider_services.registration_decide(
        actor=setting.staff, registration=registration, decision="refuse", reason="Dossier onvolledig."
    )
    html = staff.post(url(registration.number), data).content.decode()
    assert "werd intussen gewijzigd" in html
    assert not AuditReport.objects.exists()


def test_a_security_code_login_cannot_enter_a_report(staff: Client, setting: Setting) -> None:
    registration = extension(setting)
    session = staff.session
    session[keys.ACR] = TOTP_ACR
    session.save()
    assert 'id="audit-form"' not in staff.get(url(registration.number)).content.decode()
    assert staff.post(url(registration.number), form(registration)).status_code == 403
    assert not AuditReport.objects.exists()


def test_a_knowledge_institution_needs_no_audit(staff: Client, setting: Setting) -> None:
    registration = provider_services.registration_request(
        actor=SYSTEM,
        provider=setting.provider,
        service="advies",
        basis="kennisinstelling",
        department=provider_services.department_create(
            actor=SYSTEM,
            provider=setting.provider,
            code="ACAD",
            name="Academie",
            contact_name="Pieter Claes",
            contact_email="academie@leerwijs.example",
            iban="BE68793230773034",
        ),
    )
    assert 'id="audit-form"' not in staff.get(url(registration.number)).content.decode()


def test_a_starter_report_entered_meanwhile_makes_an_approval_stale(setting: Setting) -> None:
    """A report that makes the first request a starter's changes the approval (2 years instead of 5): a
    colleague's approval on the version seen before it is refused, not given the other validity unseen."""
    an = replace(setting.staff, acr=EID)
    registration = first_request(setting)
    passing_audit(setting, registration)  # a full audit: 5 years
    seen = Registration.objects.get(pk=registration.pk)
    assert not seen.is_starter
    starter_scores = {
        code: ("T", "T") for code in Indicator.values if code not in ("ervaring", "tevredenheid")
    }
    audit_report_record(
        actor=an,
        registration=seen,
        audit_body="kiwa",
        audit_date=date(2025, 3, 2),
        scores=starter_scores,
        starter=True,
    )
    event = AuditEvent.objects.filter(action="providers.audit_report.record").latest("id")
    assert (event.before["is_starter"], event.after["is_starter"]) == (False, True)
    with pytest.raises(ProviderError) as refused:
        provider_services.registration_decide(actor=an, registration=seen, decision="approve")
    assert refused.value.code == "stale"
    registration.refresh_from_db()
    assert (registration.status, registration.is_starter) == ("A", True)

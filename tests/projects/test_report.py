"""``report_services``: a provider's *melden* on a finished project (kept as a case, audited, the service
mailed) and its *stopzetten* with a proof document (checked by content, stored, the service mailed);
the refusals change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.projects import report_services
from kmop.projects import services as project_services
from kmop.projects.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from kmop.projects.models import Project, ProjectReport, ProjectReportStatus, ProjectStatus
from kmop.wallet import services as wallet_services
from tests.notifications.mail_parts import assert_html_part
from tests.projects.conftest import SYSTEM, Setting

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def provider_actor(setting: Setting) -> Actor:
    return Actor.provider_password(setting.provider.login, setting.provider.organisation.code)


def running(setting: Setting) -> Project:
    project = setting.submit()
    wallet_services.book_deposit(
        actor=SYSTEM, project=project, amount=project.own_contribution, reference="t"
    )
    return project_services.project_mark_deposited(actor=SYSTEM, project=project)


def finished(setting: Setting) -> Project:
    return project_services.project_mark_finished(actor=SYSTEM, project=running(setting))


def test_a_report_on_a_finished_project_is_kept_audited_and_mailed(
    setting: Setting, django_capture_on_commit_callbacks
) -> None:
    project = finished(setting)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = report_services.project_report(
            actor=provider_actor(setting), project=project, message="  Te laat ingediend.  "
        )
    report.refresh_from_db()
    assert report.message == "Te laat ingediend."
    assert report.status == ProjectReportStatus.OPEN
    assert report.provider_organisation == setting.provider.organisation
    assert report.actor_label == f"dienstverlener-login:{setting.provider.login}"
    event = AuditEvent.objects.get(action="projects.report.create", object_id=str(report.pk))
    assert event.after["project"] == project.number
    assert event.organisation_code == setting.provider.organisation.code
    [message] = mail.outbox
    assert message.to == [report_services.SERVICE_EMAIL]
    assert project.number in message.subject
    assert "Te laat ingediend." in message.body
    project.refresh_from_db()
    assert project.status == ProjectStatus.AFGEWERKT  # a report changes no status


def test_the_service_address_comes_from_the_settings_when_set(
    setting: Setting, settings, django_capture_on_commit_callbacks
) -> None:
    settings.KMOP_SERVICE_EMAIL = "dienst@vlaio.example"
    project = finished(setting)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report_services.project_report(actor=provider_actor(setting), project=project, message="Fout bedrag.")
    assert mail.outbox[0].to == ["dienst@vlaio.example"]
    assert_html_part(mail.outbox[0], "nl", project.number, "Fout bedrag.")


def test_a_report_is_refused_outside_afgewerkt_for_others_and_without_message(setting: Setting) -> None:
    project = running(setting)
    with pytest.raises(TransitionNotAllowed):
        report_services.project_report(actor=provider_actor(setting), project=project, message="x")
    project = project_services.project_mark_finished(actor=SYSTEM, project=project)
    with pytest.raises(InvalidInput) as e:
        report_services.project_report(actor=provider_actor(setting), project=project, message="   ")
    assert e.value.field == "message"
    with pytest.raises(NotAllowed):  # the enterprise does not report to the service about its provider
        report_services.project_report(actor=setting.els, project=project, message="x")
    with pytest.raises(NotAllowed):  # another provider's login
        report_services.project_report(
            actor=Actor.provider_password("someone", setting.enterprise.code), project=project, message="x"
        )
    assert not ProjectReport.objects.exists()
    assert not AuditEvent.objects.filter(action="projects.report.create").exists()


def test_staff_closes_a_case_once(setting: Setting) -> None:
    report = report_services.project_report(
        actor=provider_actor(setting), project=finished(setting), message="Niet subsidiabel."
    )
    with pytest.raises(NotAllowed):
        report_services.project_report_close(actor=provider_actor(setting), report=report, note="")
    closed = report_services.project_report_close(actor=setting.staff, report=report, note="Gebeld.")
    assert closed.status == ProjectReportStatus.CLOSED
    assert closed.closed_at is not None
    with pytest.raises(TransitionNotAllowed):
        report_services.project_report_close(actor=setting.staff, report=report)


def test_a_stop_with_proof_stores_the_file_and_mails_the_service(
    setting: Setting, settings, django_capture_on_commit_callbacks
) -> None:
    project = running(setting)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        changed = report_services.project_request_stop_with_proof(
            actor=provider_actor(setting),
            project=project,
            reason="Opleiding gaat niet door.",
            proof=SimpleUploadedFile("attest.pdf", PDF, content_type="application/pdf"),
        )
    assert changed.status == ProjectStatus.STOPZETTING_AANGEVRAAGD
    change = changed.status_changes.latest("at", "id")
    assert change.proof_name.startswith(f"bewijsstukken/{project.number}/")
    assert (Path(settings.MEDIA_ROOT) / change.proof_name).read_bytes() == PDF
    [message] = mail.outbox
    assert message.to == [report_services.SERVICE_EMAIL]
    assert "Opleiding gaat niet door." in message.body
    assert AuditEvent.objects.filter(
        action="projects.project.request_stop", object_id=str(project.pk)
    ).exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("attest.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 20, "proof_content"),
        ("attest.exe", PDF, "proof_type"),
        ("attest.pdf", b"", "proof_empty"),
    ],
)
def test_a_wrong_proof_is_refused_and_nothing_stored(
    setting: Setting, settings, name: str, content: bytes, code: str
) -> None:
    project = running(setting)
    with pytest.raises(InvalidInput) as e:
        report_services.project_request_stop_with_proof(
            actor=provider_actor(setting),
            project=project,
            reason="x",
            proof=SimpleUploadedFile(name, content),
        )
    assert e.value.code == code
    assert e.value.field == "proof"
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    assert not (Path(settings.MEDIA_ROOT) / "bewijsstukken").exists()


def test_a_too_large_proof_is_refused(setting: Setting, settings) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100 * 1024 * 1024
    project = running(setting)
    big = SimpleUploadedFile("attest.pdf", PDF + b"0" * (10 * 1024 * 1024))
    with pytest.raises(InvalidInput) as e:
        report_services.project_request_stop_with_proof(
            actor=provider_actor(setting), project=project, reason="x", proof=big
        )
    assert e.value.code == "proof_too_large"
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND


def test_a_stop_with_proof_is_refused_outside_lopend_and_for_a_foreign_stored_name(setting: Setting) -> None:
    project = setting.submit()  # Bevestigd
    with pytest.raises(TransitionNotAllowed):
        report_services.project_request_stop_with_proof(
            actor=provider_actor(setting), project=project, reason="x", proof=SimpleUploadedFile("a.pdf", PDF)
        )
    project = running(setting)
    with pytest.raises(InvalidInput):
        report_services.project_request_stop_with_proof(
            actor=provider_actor(setting), project=project, reason="x", proof="../../etc/passwd"
        )
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND

"""The back office's "Meldingen": a provider's report on a finished project, read and closed by staff."""

from __future__ import annotations

import pytest
from django.test import Client

from kmop.audit.models import AuditEvent
from kmop.projects import report_services
from kmop.projects.models import ProjectReport, ProjectReportStatus
from tests.backoffice.conftest import Setting
from tests.projects.test_report import finished, provider_actor

pytestmark = pytest.mark.django_db


def _report(setting: Setting) -> ProjectReport:
    return report_services.project_report(
        actor=provider_actor(setting),
        project=finished(setting),
        message="Dit project was niet subsidiabel: een wettelijk verplichte opleiding.",
    )


def test_staff_read_and_close_a_report(staff: Client, setting: Setting) -> None:
    report = _report(setting)
    page = staff.get("/backoffice/meldingen/").content.decode()
    assert report.project.number in page
    assert "wettelijk verplichte opleiding" in page
    detail = staff.get(f"/backoffice/meldingen/{report.pk}/").content.decode()
    assert "Melding afsluiten" in detail
    response = staff.post(f"/backoffice/meldingen/{report.pk}/", {"note": ""})
    assert response.status_code == 200
    assert "Geef een opmerking bij het afsluiten." in response.content.decode()
    report.refresh_from_db()
    assert report.status == ProjectReportStatus.OPEN
    response = staff.post(
        f"/backoffice/meldingen/{report.pk}/", {"note": "Dienstverlener gebeld; steun teruggevorderd."}
    )
    assert response["Location"] == "/backoffice/meldingen/"
    report.refresh_from_db()
    assert report.status == ProjectReportStatus.CLOSED
    assert AuditEvent.objects.filter(action="projects.report.close", object_id=str(report.pk)).exists()
    assert "Er zijn geen open meldingen." in staff.get("/backoffice/meldingen/").content.decode()
    # closing again is refused with a message, nothing changes
    response = staff.post(f"/backoffice/meldingen/{report.pk}/", {"note": "nog eens"})
    assert "Deze melding is al afgesloten." in response.content.decode()


def test_an_enterprise_user_cannot_see_the_reports(els: Client, setting: Setting) -> None:
    report = _report(setting)
    assert els.get("/backoffice/meldingen/").status_code == 403
    assert els.post(f"/backoffice/meldingen/{report.pk}/", {"note": "x"}).status_code == 403
    report.refresh_from_db()
    assert report.status == ProjectReportStatus.OPEN


def test_an_unknown_report_is_not_found(staff: Client, setting: Setting) -> None:
    assert staff.get("/backoffice/meldingen/999999/").status_code == 404

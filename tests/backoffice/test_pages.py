"""The start page's counts, the ledger (newest first, per project, pages), and a statement that Django keeps
in a temporary file (above ``FILE_UPLOAD_MAX_MEMORY_SIZE``) is imported like a small one."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kmop.backoffice import views
from kmop.projects.models import ProjectStatus
from tests.backoffice.conftest import Credit, Setting, deposited, statement, stop_requested


def test_the_start_page_counts_what_waits(staff: Client, setting: Setting) -> None:
    stop_requested(setting)
    html = staff.get("/backoffice/").content.decode()
    start = html.index('<a href="/backoffice/stopzettingen/">Vragen tot stopzetting</a>')
    row = html[start : html.index("</tr>", start)]
    assert '<a href="/backoffice/stopzettingen/">1<span class="visually-hidden">' in row
    assert "0 betalingen wachten op uitvoering (€ 0,00)." in html


def test_the_ledger_newest_first_and_per_project(staff: Client, setting: Setting) -> None:
    first = deposited(setting)
    second = deposited(setting, title="Tweede opleiding")
    response = staff.get("/backoffice/boekingen/")
    rows = response.context["transactions"]
    assert [tx.project.number for tx in rows] == [second.number] * 2 + [first.number] * 2
    assert {tx.moved for tx in rows} == {Decimal("700.00"), Decimal("300.00")}
    only = staff.get("/backoffice/boekingen/", {"project": first.number.lower()}).context["transactions"]
    assert {tx.project.number for tx in only} == {first.number}
    assert [tx.kind for tx in only] == ["subsidy", "deposit"]
    none = staff.get("/backoffice/boekingen/", {"project": "2025KMO999999"})
    assert 'id="no-transactions"' in none.content.decode()


def test_the_ledger_pages(staff: Client, setting: Setting, monkeypatch) -> None:
    monkeypatch.setattr(views, "PAGE", 3)
    deposited(setting)
    deposited(setting, title="Tweede opleiding")
    page1 = staff.get("/backoffice/boekingen/")
    assert page1.context["has_next"]
    assert len(page1.context["transactions"]) == 3
    page2 = staff.get("/backoffice/boekingen/", {"pagina": "2"})
    assert not page2.context["has_next"]
    assert len(page2.context["transactions"]) == 1
    assert staff.get("/backoffice/boekingen/", {"pagina": "x"}).status_code == 200


def test_a_statement_in_a_temporary_file_is_imported(staff: Client, setting: Setting, settings) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # Django keeps the upload on disk
    project = setting.submit()
    data = statement(Credit("700.00", project.structured_reference_display))
    file = SimpleUploadedFile("groot.xml", data, content_type="application/xml")
    response = staff.post("/backoffice/betalingen/camt/", {"statement": file})
    assert response.context["result"].report.deposits == 1
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND


def test_every_page_renders_in_english(staff: Client, setting: Setting, settings) -> None:
    project = stop_requested(setting)
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in (
        "/backoffice/",
        "/backoffice/betalingen/camt/",
        "/backoffice/uitbetalingen/",
        "/backoffice/stopzettingen/",
        f"/backoffice/stopzettingen/{project.number}/",
        "/backoffice/boekingen/",
    ):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert '<html lang="en">' in response.content.decode(), url

"""The portal's "Overzicht projecten" (seed 004 §2.3): the last 2 calendar years or all, the filters per
column that combine, sorting, pagination, the CSV and Excel exports (parsed), the zero-row export, the detail
page and the three reactions (annuleren, stopzetten, melden) with their refusals: wrong status, another
provider's project, a bad proof; and the scope of a person with the departments right."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.idm import services as idm_services
from kmop.idm.models import Organisation
from kmop.projects import provider_selectors, report_services
from kmop.projects import services as project_services
from kmop.projects.models import EnterpriseProfile, Project, ProjectReport, ProjectStatus
from kmop.projects.provider_selectors import ProjectFilters, ProviderScope
from kmop.providers import services as provider_services
from kmop.providers.models import Provider, ProviderDepartment, Registration
from kmop.wallet import services as wallet_services
from tests.portal.conftest import AN, IBAN_2, JONAS, SYSTEM, VLAIO, A, World, actor
from tests.projects.conftest import ELS, B, Setting, make_eligible, make_registration

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
URL = "/dienstverlener/projecten/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def setting(world: World, provider_with_password: Provider) -> Setting:
    """The projects tests' setting with the portal's provider (A, Leerwijs BV): registrations for opleiding
    and advies, B an eligible enterprise with a profile (its contact is mailed), An VLAIO staff."""
    provider = provider_with_password
    training = make_registration(provider, "DV.O000001", "opleiding")
    advice = make_registration(provider, "DV.A000002", "advies")
    make_eligible(B)
    EnterpriseProfile.objects.create(
        organisation=world.b,
        iban="BE68539007547034",
        nace_code="62010",
        contact_name="Els Maes",
        contact_email="els@b.example",
        completed_at=timezone.now(),
    )
    relation = world.relation(AN, world.vlaio)
    idm_services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code="VLAIOInkomGebruiker", context_values=["Medewerker"]
    )
    return Setting(
        world=world,
        provider=provider,
        training=training,
        advice=advice,
        enterprise=world.b,
        els=actor(ELS, B),
        staff=actor(AN, VLAIO),
        sofie=actor(JONAS, A),
    )


_counter = iter(range(1, 1_000_000))


def make_project(
    registration: Registration,
    organisation: Organisation,
    *,
    day: date,
    amount: str = "1000.00",
    status: str = ProjectStatus.BEVESTIGD,
    number: str | None = None,
) -> Project:
    """A project row as the seed writes it (no service call): for the overview's reads."""
    n = next(_counter)
    amount_value = Decimal(amount)
    subsidy = (amount_value * Decimal("0.3")).quantize(Decimal("0.01"))
    return Project.objects.create(
        number=number or f"{day.year}KMO{n:06d}",
        organisation=organisation,
        registration=registration,
        service=registration.service,
        title="Project",
        start_date=day,
        hours=Decimal("8"),
        amount=amount_value,
        application_date=day,
        regime_from=date(2016, 4, 1),
        size_class="KO",
        rate=Decimal("0.3"),
        subsidy=subsidy,
        own_contribution=amount_value - subsidy,
        budget_held=Decimal("0"),
        structured_reference=f"{n:012d}",
        deposit_deadline=day,
        status=status,
        status_changed_at=timezone.now(),
    )


def rows(page: Any) -> list[str]:
    """The project numbers in the list's table, in order."""
    return re.findall(r'<th scope="row">(\d{4}KMO\d{6})</th>', page.content.decode())


def other_provider(world: World) -> tuple[Provider, Registration]:
    from tests.providers.conftest import sign_up_data

    other = provider_services.provider_sign_up(
        actor=SYSTEM, **sign_up_data(enterprise_number=world.n.code, legal_name="Andere BV")
    )
    return other, make_registration(other, "DV.O000009", "opleiding")


# --- the overview -----------------------------------------------------------------------------------------


def test_the_overview_shows_the_last_two_calendar_years_with_the_seed_sentence(
    portal: Client, setting: Setting
) -> None:
    b = setting.enterprise
    make_project(setting.training, b, day=date(2025, 3, 3), amount="1198.35", number="2025KMO000001")
    make_project(setting.advice, b, day=date(2024, 1, 1), number="2024KMO000001")
    make_project(setting.training, b, day=date(2023, 12, 31), number="2023KMO000001")
    page = portal.get(URL)
    text = page.content.decode()
    assert page.status_code == 200
    assert (
        "U vindt hier een overzicht van uw projecten van de laatste 2 kalenderjaren. Er werden 2 (waarvan 2 "
        "getoond) projecten gevonden." in text
    )
    assert rows(page) == ["2025KMO000001", "2024KMO000001"]
    assert "€ 1.198,35" in text
    assert "Opleiding" in text
    assert "Bevestigd" in text
    all_years = portal.get(URL, {"periode": "alle"})
    assert rows(all_years) == ["2025KMO000001", "2024KMO000001", "2023KMO000001"]
    assert "Er werden 3 (waarvan 3 getoond)" in all_years.content.decode()
    assert 'href="?periode=alle"' in text  # "klik hier"


def test_the_filters_combine(portal: Client, setting: Setting, world: World) -> None:
    b, a = setting.enterprise, world.a
    make_project(setting.training, b, day=date(2025, 2, 1), amount="728.93", number="2025KMO000011")
    make_project(
        setting.training, b, day=date(2025, 2, 1), amount="728.93", number="2025KMO000012", status="Lopend"
    )
    make_project(setting.advice, b, day=date(2025, 2, 1), amount="728.93", number="2025KMO000013")
    make_project(setting.training, a, day=date(2025, 2, 1), amount="728.93", number="2025KMO000014")
    make_project(setting.training, b, day=date(2025, 2, 2), amount="728.93", number="2025KMO000015")
    make_project(setting.training, b, day=date(2025, 2, 1), amount="780.99", number="2025KMO000016")

    def found(**params: str) -> list[str]:
        return sorted(rows(portal.get(URL, params)))

    everything = ["2025KMO000011", "2025KMO000012", "2025KMO000013", "2025KMO000014", "2025KMO000015"]
    assert found(bedrag="728,93") == everything
    assert found(bedrag="728,93", datum="01/02/2025") == [n for n in everything if n != "2025KMO000015"]
    assert found(bedrag="728,93", datum="01/02/2025", dienst="opleiding") == [
        "2025KMO000011",
        "2025KMO000012",
        "2025KMO000014",
    ]
    assert found(bedrag="728,93", datum="01/02/2025", dienst="opleiding", onderneming=b.name[:6]) == [
        "2025KMO000011",
        "2025KMO000012",
    ]
    assert found(
        bedrag="728,93", datum="01/02/2025", dienst="opleiding", onderneming=b.name[:6], status="Lopend"
    ) == ["2025KMO000012"]
    assert found(nummer="kmo00001") == sorted([*everything, "2025KMO000016"])
    assert found(nummer="000016") == ["2025KMO000016"]
    assert found(nummer="2025kmo00001") == sorted([*everything, "2025KMO000016"])  # the start of a number
    assert found(nummer="2025KMO000016") == ["2025KMO000016"]
    assert found(nummer="2024KMO") == []
    assert found(onderneming=b.code) == [n for n in [*everything, "2025KMO000016"] if n != "2025KMO000014"]
    assert found(bedrag="780") == ["2025KMO000016"]  # a whole euro: 780,00 up to 780,99
    assert found(datum="02/2025") == sorted([*everything, "2025KMO000016"])


def test_a_bad_filter_value_gets_a_message_and_is_ignored(portal: Client, setting: Setting) -> None:
    make_project(setting.training, setting.enterprise, day=date(2025, 2, 1), number="2025KMO000021")
    page = portal.get(URL, {"datum": "31/02/2025", "bedrag": "veel", "status": "Onbekend"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Geef een datum als dd/mm/jjjj, een maand als mm/jjjj of een jaar als jjjj." in text
    assert "Geef een bedrag als 1.198,35 of 1198." in text
    assert "Kies een status uit de lijst." in text
    assert rows(page) == ["2025KMO000021"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("bedrag", ["2025KMO000033", "2025KMO000031", "2025KMO000032"]),
        ("-bedrag", ["2025KMO000032", "2025KMO000031", "2025KMO000033"]),
        ("nummer", ["2025KMO000031", "2025KMO000032", "2025KMO000033"]),
        ("datum", ["2025KMO000032", "2025KMO000033", "2025KMO000031"]),
        ("-datum", ["2025KMO000031", "2025KMO000033", "2025KMO000032"]),
        ("status", ["2025KMO000033", "2025KMO000031", "2025KMO000032"]),
        ("dienst", ["2025KMO000032", "2025KMO000031", "2025KMO000033"]),
        ("onderneming", ["2025KMO000031", "2025KMO000033", "2025KMO000032"]),
        ("; DROP TABLE x", ["2025KMO000031", "2025KMO000033", "2025KMO000032"]),  # not in the whitelist
    ],
)
def test_sorting_on_each_column(
    portal: Client, setting: Setting, world: World, sort: str, expected: list[str]
) -> None:
    a, b = world.a, setting.enterprise  # A's name sorts before B's
    assert a.name < b.name
    make_project(setting.training, a, day=date(2025, 3, 1), amount="500.00", number="2025KMO000031")
    make_project(
        setting.advice, b, day=date(2025, 1, 1), amount="900.00", number="2025KMO000032", status="Lopend"
    )
    make_project(
        setting.training, a, day=date(2025, 2, 1), amount="100.00", number="2025KMO000033", status="Afgewerkt"
    )
    assert rows(portal.get(URL, {"sorteer": sort})) == expected


def test_pagination_keeps_the_filters(portal: Client, setting: Setting) -> None:
    for i in range(1, 31):
        make_project(setting.training, setting.enterprise, day=date(2025, 1, i), number=f"2025KMO{i:06d}")
    make_project(setting.advice, setting.enterprise, day=date(2025, 2, 1), number="2025KMO000099")
    first = portal.get(URL, {"dienst": "opleiding", "sorteer": "nummer"})
    assert rows(first) == [f"2025KMO{i:06d}" for i in range(1, 26)]
    text = first.content.decode()
    assert "Er werden 30 (waarvan 25 getoond) projecten gevonden." in text
    assert "Pagina 1 van 2" in text
    assert 'href="?dienst=opleiding&amp;sorteer=nummer&amp;pagina=2"' in text
    second = portal.get(URL, {"dienst": "opleiding", "sorteer": "nummer", "pagina": "2"})
    assert rows(second) == [f"2025KMO{i:06d}" for i in range(26, 31)]
    assert "Er werden 30 (waarvan 5 getoond)" in second.content.decode()
    assert (
        rows(portal.get(URL, {"dienst": "opleiding", "sorteer": "nummer", "pagina": "x"}))[0]
        == "2025KMO000001"
    )
    assert rows(portal.get(URL, {"dienst": "opleiding", "sorteer": "nummer", "pagina": "99"}))[-1] == (
        "2025KMO000030"
    )


def test_only_the_providers_own_projects_are_listed(portal: Client, setting: Setting, world: World) -> None:
    _other, registration = other_provider(world)
    make_project(setting.training, setting.enterprise, day=date(2025, 1, 2), number="2025KMO000041")
    make_project(registration, setting.enterprise, day=date(2025, 1, 2), number="2025KMO000042")
    assert rows(portal.get(URL)) == ["2025KMO000041"]
    assert portal.get(URL + "2025KMO000042/").status_code == 404


def test_the_overview_needs_a_login(client: Client, setting: Setting) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/dienstverlener/login/")


# --- exports ------------------------------------------------------------------------------------------------


def _export_setting(setting: Setting, world: World) -> None:
    make_project(
        setting.training, setting.enterprise, day=date(2025, 3, 3), amount="1198.35", number="2025KMO000051"
    )
    make_project(
        setting.advice, setting.enterprise, day=date(2025, 1, 3), amount="20.00", number="2025KMO000052"
    )
    make_project(setting.training, world.a, day=date(2024, 5, 6), amount="728.93", number="2024KMO000053")
    make_project(setting.training, world.a, day=date(2020, 5, 6), amount="1.00", number="2020KMO000054")


def test_the_csv_export_has_the_filtered_list(portal: Client, setting: Setting, world: World) -> None:
    _export_setting(setting, world)
    response = portal.get(URL + "export/csv/", {"dienst": "opleiding"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert table[0] == list(provider_selectors.EXPORT_COLUMNS)
    assert table[1:] == [
        [
            "2025KMO000051",
            setting.enterprise.name,
            setting.enterprise.code,
            "03/03/2025",
            "1198,35",
            "Opleiding",
            "Bevestigd",
        ],
        ["2024KMO000053", world.a.name, world.a.code, "06/05/2024", "728,93", "Opleiding", "Bevestigd"],
    ]
    everything = portal.get(URL + "export/csv/", {"periode": "alle", "sorteer": "bedrag"})
    numbers = [
        r[0]
        for r in csv.reader(io.StringIO(b"".join(everything.streaming_content).decode()[1:]), delimiter=";")
    ]
    assert numbers[1:] == ["2020KMO000054", "2025KMO000052", "2024KMO000053", "2025KMO000051"]


def test_the_csv_export_quotes_cells_a_spreadsheet_would_run(
    portal: Client, setting: Setting, world: World
) -> None:
    """CSV injection: an enterprise named like a formula is written as text (a leading ')."""
    Organisation.objects.filter(pk=setting.enterprise.pk).update(name='=HYPERLINK("http://evil.example")')
    make_project(
        setting.training, setting.enterprise, day=date(2025, 3, 3), amount="10.00", number="2025KMO000061"
    )
    response = portal.get(URL + "export/csv/")
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    (row,) = list(csv.reader(io.StringIO(body), delimiter=";"))[1:]
    assert row[1] == '\'=HYPERLINK("http://evil.example")'


def test_the_export_headings_follow_the_language(portal: Client, setting: Setting, world: World) -> None:
    _export_setting(setting, world)
    response = portal.get(URL + "export/csv/", HTTP_ACCEPT_LANGUAGE="en")
    heading = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff").splitlines()[0]
    assert heading.startswith("Project no")


def _xlsx_rows(content: bytes) -> list[list[str]]:
    """The first sheet's cells as text (shared or inline strings, numbers as written)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314
            shared = [
                "".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in root.findall("m:si", ns)
            ]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    out = []
    for row in sheet.iter(f"{{{ns['m']}}}row"):
        cells = []
        for cell in row.findall("m:c", ns):
            kind = cell.get("t")
            if kind == "s":
                cells.append(shared[int(cell.find("m:v", ns).text)])  # type: ignore[union-attr,arg-type]
            elif kind == "inlineStr":
                cells.append("".join(t.text or "" for t in cell.iter(f"{{{ns['m']}}}t")))
            else:
                cells.append(cell.find("m:v", ns).text or "")  # type: ignore[union-attr]
        out.append(cells)
    return out


def test_the_excel_export_has_the_filtered_list(portal: Client, setting: Setting, world: World) -> None:
    _export_setting(setting, world)
    response = portal.get(URL + "export/xlsx/", {"onderneming": setting.enterprise.name})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert ".xlsx" in response["Content-Disposition"]
    table = _xlsx_rows(b"".join(response.streaming_content))
    assert table[0] == list(provider_selectors.EXPORT_COLUMNS)
    assert [r[0] for r in table[1:]] == ["2025KMO000051", "2025KMO000052"]
    first = table[1]
    assert first[1] == setting.enterprise.name
    assert first[3] == str((date(2025, 3, 3) - date(1899, 12, 30)).days)  # an Excel date
    assert Decimal(first[4]) == Decimal("1198.35")
    assert first[5:] == ["Opleiding", "Bevestigd"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_of_zero_rows_gives_a_message_not_a_file(
    portal: Client, setting: Setting, fmt: str
) -> None:
    make_project(setting.training, setting.enterprise, day=date(2025, 3, 3), number="2025KMO000061")
    response = portal.get(URL + f"export/{fmt}/", {"status": "Gestopt"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == URL + "?status=Gestopt"
    assert "er is niets te exporteren" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


def test_an_unknown_export_format_is_not_found(portal: Client, setting: Setting) -> None:
    assert portal.get(URL + "export/pdf/").status_code == 404


# --- the detail page and the reactions ---------------------------------------------------------------------


def confirmed(setting: Setting) -> Project:
    return setting.submit(idempotency_key=f"k{next(_counter)}")


def running(setting: Setting) -> Project:
    project = confirmed(setting)
    wallet_services.book_deposit(
        actor=SYSTEM, project=project, amount=project.own_contribution, reference="t"
    )
    return project_services.project_mark_deposited(actor=SYSTEM, project=project)


def finished(setting: Setting) -> Project:
    return project_services.project_mark_finished(actor=SYSTEM, project=running(setting))


def detail(project: Project) -> str:
    return f"{URL}{project.number}/"


def to_confirm(portal: Client, project: Project, action: str, data: dict[str, Any]) -> str:
    response = portal.post(f"{detail(project)}{action}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return str(response["Location"])


def snapshot(project: Project) -> tuple[str, int, int]:
    project.refresh_from_db()
    return (
        project.status,
        project.status_changes.count(),
        ProjectReport.objects.filter(project=project).count(),
    )


def test_the_detail_shows_data_history_and_only_the_allowed_action(portal: Client, setting: Setting) -> None:
    project = confirmed(setting)
    page = portal.get(detail(project)).content.decode()
    assert project.number in page
    assert setting.enterprise.name in page
    assert 'id="history"' in page
    assert f"{detail(project)}annuleren/" in page
    assert f"{detail(project)}stopzetten/" not in page
    assert f"{detail(project)}melden/" not in page
    lopend = running(setting)
    page = portal.get(detail(lopend)).content.decode()
    assert f"{detail(lopend)}stopzetten/" in page
    assert f"{detail(lopend)}annuleren/" not in page


def test_cancel_with_a_reason_mails_the_client(
    portal: Client, setting: Setting, django_capture_on_commit_callbacks
) -> None:
    project = confirmed(setting)
    missing = portal.post(f"{detail(project)}annuleren/", {"reason": "   "})
    assert missing.status_code == 200
    assert "Geef een reden op." in missing.content.decode()
    url = to_confirm(portal, project, "annuleren", {"reason": "Projectbedrag onjuist."})
    assert "Projectbedrag onjuist." in portal.get(url).content.decode()
    assert snapshot(project)[0] == ProjectStatus.BEVESTIGD  # nothing before the confirmation
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = portal.post(url)
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.GEANNULEERD
    change = project.status_changes.latest("at", "id")
    assert change.reason == "Projectbedrag onjuist."
    assert change.actor_label == f"dienstverlener-login:{setting.provider.login}"
    [message] = mail.outbox
    assert message.to == ["els@b.example"]
    assert "Reden: Projectbedrag onjuist." in message.body
    assert setting.provider.legal_name in message.body
    again = portal.post(url)  # the same confirmation again: nothing more
    assert again.status_code == 302
    assert project.status_changes.filter(action="cancel").count() == 1
    assert AuditEvent.objects.filter(action="portal.project_action").count() == 1


def test_stop_with_a_proof_mails_the_service(
    portal: Client, setting: Setting, settings, django_capture_on_commit_callbacks
) -> None:
    project = running(setting)
    proof = SimpleUploadedFile("attest.pdf", PDF, content_type="application/pdf")
    url = to_confirm(portal, project, "stopzetten", {"reason": "Opleiding gaat niet door.", "proof": proof})
    assert "attest.pdf" in portal.get(url).content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        portal.post(url)
    project.refresh_from_db()
    assert project.status == ProjectStatus.STOPZETTING_AANGEVRAAGD
    change = project.status_changes.latest("at", "id")
    assert (Path(settings.MEDIA_ROOT) / change.proof_name).read_bytes() == PDF
    [message] = mail.outbox
    assert message.to == [report_services.SERVICE_EMAIL]
    assert "Opleiding gaat niet door." in message.body


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("attest.exe", PDF, "Het bewijsstuk moet een PDF-bestand of een afbeelding (PNG of JPEG) zijn."),
        ("attest.pdf", b"\xff\xd8\xff" + b"0" * 20, "De inhoud van het bewijsstuk is geen PDF"),
        (None, None, "Voeg een bewijsstuk toe."),
    ],
)
def test_a_wrong_proof_is_refused_at_the_field(
    portal: Client, setting: Setting, settings, name: str | None, content: bytes | None, message: str
) -> None:
    project = running(setting)
    before = snapshot(project)
    data: dict[str, Any] = {"reason": "x"}
    if name is not None:
        data["proof"] = SimpleUploadedFile(name, content or b"")
    response = portal.post(f"{detail(project)}stopzetten/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot(project) == before
    assert not (Path(settings.MEDIA_ROOT) / "bewijsstukken").exists()


def test_a_too_large_proof_is_refused(portal: Client, setting: Setting, settings) -> None:
    project = running(setting)
    big = SimpleUploadedFile("attest.pdf", PDF + b"0" * (10 * 1024 * 1024))
    response = portal.post(f"{detail(project)}stopzetten/", {"reason": "x", "proof": big})
    assert "Het bewijsstuk is te groot (ten hoogste 10 MB)." in response.content.decode()
    assert snapshot(project)[0] == ProjectStatus.LOPEND
    assert not (Path(settings.MEDIA_ROOT) / "bewijsstukken").exists()


def test_report_on_a_finished_project_is_kept_and_mailed(
    portal: Client, setting: Setting, django_capture_on_commit_callbacks
) -> None:
    project = finished(setting)
    assert f"{detail(project)}melden/" in portal.get(detail(project)).content.decode()
    url = to_confirm(portal, project, "melden", {"message": "Niet subsidiabele diensten."})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        portal.post(url)
    report = ProjectReport.objects.get(project=project)
    assert report.message == "Niet subsidiabele diensten."
    assert report.status == "open"
    assert mail.outbox[0].to == [report_services.SERVICE_EMAIL]
    project.refresh_from_db()
    assert project.status == ProjectStatus.AFGEWERKT
    assert "Niet subsidiabele diensten." in portal.get(detail(project)).content.decode()


@pytest.mark.parametrize(
    ("make", "action"),
    [
        (running, "annuleren"),
        (confirmed, "stopzetten"),
        (confirmed, "melden"),
        (finished, "annuleren"),
        (finished, "stopzetten"),
    ],
)
def test_an_action_not_allowed_in_the_status_is_hidden_and_refused(
    portal: Client, setting: Setting, make: Any, action: str
) -> None:
    project = make(setting)
    before = snapshot(project)
    assert f"{detail(project)}{action}/" not in portal.get(detail(project)).content.decode()
    data = {"reason": "x", "message": "x", "proof": SimpleUploadedFile("a.pdf", PDF)}
    response = portal.post(f"{detail(project)}{action}/", data)
    assert response.status_code == 302
    assert response["Location"] == detail(project)
    assert snapshot(project) == before


def test_a_confirmation_after_the_status_changed_is_refused(portal: Client, setting: Setting) -> None:
    project = confirmed(setting)
    url = to_confirm(portal, project, "annuleren", {"reason": "Te laat ingediend."})
    project_services.project_cancel(actor=setting.els, project=project, reason="")  # the client withdrew
    before = snapshot(project)
    response = portal.post(url)
    assert response.status_code == 200
    assert "eindstatus" in response.content.decode()
    assert snapshot(project) == before


def test_another_providers_project_is_not_found_and_unchanged(
    portal: Client, setting: Setting, world: World
) -> None:
    _other, registration = other_provider(world)
    project = make_project(registration, setting.enterprise, day=date(2025, 3, 1))
    for url in (detail(project), f"{detail(project)}annuleren/", f"{detail(project)}bevestigen/abc/"):
        assert portal.get(url).status_code == 404
    assert portal.post(f"{detail(project)}annuleren/", {"reason": "x"}).status_code == 404
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD
    assert not project.status_changes.exists()


def test_an_unknown_action_is_not_found(portal: Client, setting: Setting) -> None:
    project = confirmed(setting)
    assert portal.get(f"{detail(project)}verwijderen/").status_code == 404


# --- the departments right ---------------------------------------------------------------------------------


@pytest.fixture
def department(setting: Setting) -> ProviderDepartment:
    return provider_services.department_create(
        actor=SYSTEM,
        provider=setting.provider,
        code="ICT",
        name="Departement ICT",
        contact_name="Jonas De Smet",
        contact_email="ict@leerwijs.example",
        iban=IBAN_2,
    )


def test_the_scope_of_a_department_is_its_registrations(
    setting: Setting, department: ProviderDepartment
) -> None:
    own = make_registration(setting.provider, "DV.O000003", "opleiding", department=department)
    office = make_project(setting.training, setting.enterprise, day=date(2025, 1, 5))
    of_department = make_project(own, setting.enterprise, day=date(2025, 1, 6))
    whole = ProviderScope(provider_id=setting.provider.pk)
    only = ProviderScope(provider_id=setting.provider.pk, department_ids=frozenset({department.pk}))
    none = ProviderScope(provider_id=setting.provider.pk, department_ids=frozenset())
    assert set(provider_selectors.provider_projects(whole, ProjectFilters())) == {office, of_department}
    assert list(provider_selectors.provider_projects(only, ProjectFilters())) == [of_department]
    assert not provider_selectors.provider_projects(none, ProjectFilters()).exists()
    assert provider_selectors.project_of_provider(only, office.number) is None
    assert provider_selectors.project_of_provider(only, of_department.number) == of_department


def test_a_person_with_the_departments_right_sees_only_its_departments_projects(
    client: Client, setting: Setting, department: ProviderDepartment, world: World, app_manager: Actor
) -> None:
    from kmop.providers.permissions import DEPARTMENTS_RIGHT
    from tests.eloket.conftest import login

    idm_services.organisation_departments_right_set(actor=app_manager, organisation=world.a, activated=True)
    relation = world.relation(JONAS, world.a)
    idm_services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code=DEPARTMENTS_RIGHT, context_values=["ICT"]
    )
    own = make_registration(setting.provider, "DV.O000003", "opleiding", department=department)
    office = make_project(setting.training, setting.enterprise, day=date(2025, 1, 5))
    of_department = make_project(own, setting.enterprise, day=date(2025, 1, 6))
    login(client, JONAS)
    page = client.get(URL)
    assert page.status_code == 200, page.content.decode()[:2000]
    assert rows(page) == [of_department.number]
    assert "enkel de projecten van de registraties van uw departement" in page.content.decode()
    assert client.get(detail(office)).status_code == 404
    page = client.get(detail(of_department))
    assert page.status_code == 200
    assert 'id="no-actions"' in page.content.decode()  # the reactions are the whole provider's
    assert client.post(f"{detail(of_department)}annuleren/", {"reason": "x"}).status_code == 403
    of_department.refresh_from_db()
    assert of_department.status == ProjectStatus.BEVESTIGD
    csv_body = b"".join(client.get(URL + "export/csv/").streaming_content).decode()
    assert of_department.number in csv_body
    assert office.number not in csv_body


def test_the_count_stops_at_the_cap(portal: Client, setting: Setting, monkeypatch) -> None:
    monkeypatch.setattr(provider_selectors, "COUNT_CAP", 30)
    for i in range(1, 36):
        make_project(setting.training, setting.enterprise, day=date(2025, 1, 1), number=f"2025KMO{i:06d}")
    first = portal.get(URL, {"sorteer": "nummer"})
    text = first.content.decode()
    assert "Er werden meer dan 30 (waarvan 25 getoond) projecten gevonden." in text
    assert 'id="projects-capped"' in text
    second = portal.get(URL, {"sorteer": "nummer", "pagina": "2"})
    assert rows(second) == [f"2025KMO{i:06d}" for i in range(26, 36)]
    assert 'rel="next"' not in second.content.decode()

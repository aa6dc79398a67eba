"""The e-loket's project pages: the list with filters and pages, the detail (data, history, wallet, deposit
instructions) and the three actions with their confirmation step (betaalopdracht, stopzetten, annuleren):
every refusal changes nothing, a second POST of the same confirmation changes nothing, another enterprise's
project answers 404, a person without the right to manage the projects gets 403."""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from kmop.audit.models import AuditEvent
from kmop.idm import services as idm_services
from kmop.projects.models import Project, ProjectStatus, ProjectStatusChange
from kmop.wallet import camt
from kmop.wallet import services as wallet_services
from kmop.wallet.models import LedgerTransaction, Payout
from tests.eloket.conftest import ELS, SOFIE, Setting, login
from tests.idm.conftest import JONAS, SYSTEM
from tests.wallet.conftest import Credit, statement, stream

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def detail(project: Project) -> str:
    return f"/e-loket/projecten/{project.number}/"


def action_url(project: Project, action: str) -> str:
    return f"/e-loket/projecten/{project.number}/{action}/"


def running(setting: Setting, **overrides: object) -> Project:
    project = setting.submit(**overrides)
    camt.import_statement(
        stream(
            statement(
                Credit(str(project.own_contribution), project.structured_reference_display),
                statement_id=f"S-{project.number}",
            )
        ),
        actor=SYSTEM,
    )
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    return project


def to_confirm(client: Client, project: Project, action: str, data: dict, **extra: object) -> str:
    """Step 1; returns the confirmation page's URL."""
    response = client.post(action_url(project, action), data, **extra)
    assert response.status_code == 302, response.content.decode()[:3000]
    url = response["Location"]
    assert re.fullmatch(rf"/e-loket/projecten/{project.number}/bevestigen/[\w-]+/", url), url
    return url


def snapshot(project: Project) -> tuple:
    project.refresh_from_db()
    return (
        project.status,
        wallet_services.project_balance(project),
        Payout.objects.count(),
        LedgerTransaction.objects.count(),
        ProjectStatusChange.objects.filter(project=project).count(),
    )


# --- urls, list -------------------------------------------------------------------------------------------


def test_url_names() -> None:
    assert reverse("eloket:projects") == "/e-loket/projecten/"
    assert reverse("eloket:project", args=["2025KMO000001"]) == "/e-loket/projecten/2025KMO000001/"


def test_anonymous_goes_to_the_login(client: Client, setting: Setting) -> None:
    response = client.get("/e-loket/projecten/")
    assert response.status_code == 302
    assert "/e-loket/projecten/" in response["Location"]


def test_list_filters_and_pages(els: Client, setting: Setting, monkeypatch) -> None:
    from kmop.eloket import views_projects

    monkeypatch.setattr(views_projects, "PER_PAGE", 2)
    first = setting.submit(idempotency_key="a", title="Eerste")
    second = running(setting, idempotency_key="b", title="Tweede", amount="200.00")
    third = setting.submit(idempotency_key="c", title="Derde", amount="300.00")
    html = els.get("/e-loket/projecten/").content.decode()
    assert "Er werden 3 projecten gevonden." in html
    assert "Pagina 1 van 2" in html
    assert 'href="?pagina=2"' in html
    assert html.count('href="/e-loket/projecten/2025KMO') == 2
    html = els.get("/e-loket/projecten/?pagina=2").content.decode()
    assert html.count('href="/e-loket/projecten/2025KMO') == 1
    html = els.get("/e-loket/projecten/?status=Lopend").content.decode()
    assert f'href="{detail(second)}"' in html
    assert detail(first) not in html
    assert detail(third) not in html
    html = els.get("/e-loket/projecten/?status=Bevestigd&jaar=2025&pagina=1").content.decode()
    assert "Er werden 2 projecten gevonden." in html
    html = els.get("/e-loket/projecten/?jaar=2024").content.decode()
    assert "Kies een jaar uit de lijst." in html  # 2024 has no projects: not in the list
    html = els.get("/e-loket/projecten/?status=Onbekend&pagina=zeven").content.decode()
    assert "Kies een status uit de lijst." in html
    assert "Er werden 3 projecten gevonden." in html  # a wrong filter filters nothing


def test_list_only_shows_own_projects(client: Client, setting: Setting) -> None:
    project = setting.submit(idempotency_key="a")
    login(client, SOFIE)  # acts for A
    html = client.get("/e-loket/projecten/").content.decode()
    assert project.number not in html
    assert 'id="projects-none"' in html


def test_photo_links_to_the_detail(els: Client, setting: Setting) -> None:
    project = setting.submit(idempotency_key="a")
    html = els.get("/e-loket/").content.decode()
    assert f'href="{detail(project)}"' in html
    assert 'href="/e-loket/projecten/"' in html


# --- detail -----------------------------------------------------------------------------------------------


def test_detail_of_a_confirmed_project(els: Client, setting: Setting, settings) -> None:
    settings.WALLET_DEBTOR_IBAN = "BE71096123456769"
    settings.WALLET_DEBTOR_NAME = "Agentschap Innoveren en Ondernemen"
    project = setting.submit(idempotency_key="a")
    html = els.get(detail(project)).content.decode()
    ref = project.structured_reference
    assert f"+++{ref[:3]}/{ref[3:7]}/{ref[7:]}+++" in html
    assert "BE71 0961 2345 6769" in html
    assert "Agentschap Innoveren en Ondernemen" in html
    assert project.deposit_deadline.strftime("%d/%m/%Y") in html
    assert "DV.O000001" in html
    assert setting.provider.legal_name in html
    assert "Strategische planning" in html
    assert "Bedrijfsstrategie" in html
    assert "03/03/2025" in html
    assert 'id="subsidy">€ 300,00' in html
    assert 'id="own-contribution">€ 700,00' in html
    assert "Bevestigd" in html
    assert 'id="ledger-none"' in html
    assert action_url(project, "annuleren") in html
    assert action_url(project, "stopzetten") not in html
    assert action_url(project, "betaalopdracht") not in html


def test_detail_of_a_running_project_shows_the_wallet(els: Client, setting: Setting) -> None:
    project = running(setting, idempotency_key="a")
    wallet_services.payment_order_create(
        actor=setting.els, project=project, invoice_number="F-001", amount=Decimal("250.00")
    )
    html = els.get(detail(project)).content.decode()
    assert 'id="deposit"' not in html
    assert 'id="wallet-balance">€ 750,00' in html
    assert 'id="wallet-deposited">€ 700,00' in html
    assert 'id="wallet-subsidy">€ 300,00' in html
    assert 'id="wallet-paid">€ 250,00' in html
    assert "F-001" in html
    assert "+ € 700,00" in html  # the deposit in the ledger's lines
    assert "− € 250,00" in html  # the payment order
    assert "wacht op uitvoering" in html
    assert "Lopend" in html
    assert "eigen bijdrage gestort" in html  # the history
    assert action_url(project, "betaalopdracht") in html
    assert action_url(project, "stopzetten") in html
    assert action_url(project, "annuleren") not in html


def test_detail_queries_do_not_grow_with_the_bookings(
    els: Client, setting: Setting, django_assert_max_num_queries
) -> None:
    project = running(setting, idempotency_key="a")
    wallet_services.payment_order_create(
        actor=setting.els, project=project, invoice_number="F-1", amount="10"
    )
    with django_assert_max_num_queries(40) as few:
        els.get(detail(project))
    for n in range(2, 6):
        wallet_services.payment_order_create(
            actor=setting.els, project=project, invoice_number=f"F-{n}", amount="10"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        els.get(detail(project))


def test_unknown_project_is_404(els: Client, setting: Setting) -> None:
    assert els.get("/e-loket/projecten/2025KMO999999/").status_code == 404
    assert els.get("/e-loket/projecten/2025KMO999999/annuleren/").status_code == 404


def test_other_enterprise_project_by_url_is_refused_and_nothing_changes(
    client: Client, setting: Setting
) -> None:
    confirmed = setting.submit(idempotency_key="a")
    project = running(setting, idempotency_key="b", amount="500.00")
    login(client, SOFIE)  # acts for A, not for B
    before = snapshot(project), snapshot(confirmed)
    for url in (detail(project), action_url(project, "betaalopdracht"), action_url(confirmed, "annuleren")):
        response = client.get(url)
        assert response.status_code == 404
        html = response.content.decode()
        assert project.title not in html  # nothing of the project revealed
        assert "DV.O000001" not in html
    assert (
        client.post(
            action_url(project, "betaalopdracht"), {"invoice_number": "X", "amount": "10"}
        ).status_code
        == 404
    )
    assert client.post(action_url(project, "stopzetten"), {"reason": "weg"}).status_code == 404
    assert client.post(action_url(confirmed, "annuleren"), {"reason": "weg"}).status_code == 404
    assert client.post(f"{detail(project)}bevestigen/abc/").status_code == 404
    assert (snapshot(project), snapshot(confirmed)) == before


def test_a_token_of_one_enterprise_does_nothing_for_another(
    els: Client, client: Client, setting: Setting
) -> None:
    project = running(setting, idempotency_key="a")
    url = to_confirm(els, project, "betaalopdracht", {"invoice_number": "F-1", "amount": "100,00"})
    login(client, SOFIE)
    before = snapshot(project)
    assert client.post(url).status_code == 404
    assert snapshot(project) == before


@pytest.fixture
def jonas(setting: Setting) -> Client:
    """Jonas acts for B with the e-loket's provider profile, not with the right to manage B's projects."""
    relation = setting.world.relation(JONAS, setting.enterprise)
    idm_services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["DienstverlenerKmoPortefeuille"],
    )
    client = Client()
    login(client, JONAS)
    return client


def test_without_the_right_to_manage_projects_403(jonas: Client, els: Client, setting: Setting) -> None:
    project = running(setting, idempotency_key="a")
    html = jonas.get(detail(project)).content.decode()
    assert 'id="actions"' not in html
    before = snapshot(project)
    assert jonas.get(action_url(project, "betaalopdracht")).status_code == 403
    assert (
        jonas.post(action_url(project, "betaalopdracht"), {"invoice_number": "F", "amount": "1"}).status_code
        == 403
    )
    assert jonas.post(action_url(project, "stopzetten"), {"reason": "x"}).status_code == 403
    url = to_confirm(els, project, "betaalopdracht", {"invoice_number": "F-1", "amount": "100,00"})
    assert jonas.post(url).status_code == 403
    assert snapshot(project) == before


# --- betaalopdracht ---------------------------------------------------------------------------------------


def test_payment_orders_until_finished(els: Client, setting: Setting) -> None:
    project = running(setting, idempotency_key="a")
    url = to_confirm(els, project, "betaalopdracht", {"invoice_number": "F-2025-001", "amount": "400,00"})
    html = els.get(url).content.decode()
    assert 'id="confirm-invoice">F-2025-001' in html
    assert 'id="confirm-amount">€ 400,00' in html
    assert Payout.objects.count() == 0  # nothing before the confirmation
    response = els.post(url)
    assert response.status_code == 302
    assert response["Location"] == detail(project)
    html = els.get(detail(project)).content.decode()
    assert "Betaalopdracht voor factuur F-2025-001 van € 400,00 geregistreerd." in html
    assert 'id="wallet-balance">€ 600,00' in html
    payout = Payout.objects.get()
    assert (payout.invoice_number, payout.amount) == ("F-2025-001", Decimal("400.00"))
    event = AuditEvent.objects.get(action="eloket.project_action")
    assert event.after["invoice_number"] == "F-2025-001"
    assert AuditEvent.objects.filter(action="wallet.payment_order.create").count() == 1

    response = els.post(
        action_url(project, "betaalopdracht"), {"invoice_number": "F-2025-002", "amount": "600,01"}
    )
    assert response.status_code == 200
    assert "groter dan het saldo" in response.content.decode()
    url = to_confirm(els, project, "betaalopdracht", {"invoice_number": "F-2025-002", "amount": "600"})
    els.post(url)
    project.refresh_from_db()
    assert project.status == ProjectStatus.AFGEWERKT
    assert wallet_services.project_balance(project) == 0
    html = els.get(detail(project)).content.decode()
    assert "Afgewerkt" in html
    assert 'id="actions"' not in html
    assert els.get(action_url(project, "betaalopdracht")).status_code == 302  # back to the detail, no form


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("12,345", "Een bedrag heeft ten hoogste twee cijfers na de komma."),
        ("-5", "Het bedrag moet groter zijn dan nul."),
        ("0", "Het bedrag moet groter zijn dan nul."),
        ("99999999999999", "Dit bedrag is onwaarschijnlijk groot."),
        ("tien euro", "Geef een geldig bedrag op, bijvoorbeeld 250,00."),
        ("NaN", "Geef een geldig bedrag op, bijvoorbeeld 250,00."),
        ("", "Vul het te betalen bedrag in."),
        ("1000,01", "Het bedrag is groter dan het saldo van de portefeuille (€ 1000,00)."),
    ],
)
def test_payment_order_bad_amounts_change_nothing(
    els: Client, setting: Setting, amount: str, message: str
) -> None:
    project = running(setting, idempotency_key="a")
    before = snapshot(project)
    response = els.post(action_url(project, "betaalopdracht"), {"invoice_number": "F-1", "amount": amount})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Er is een probleem" in html
    assert message in html
    assert 'href="#id_amount"' in html
    assert snapshot(project) == before
    assert not els.session.get("eloket_project_actions")


@pytest.mark.parametrize(
    ("invoice", "message"),
    [("", "Geef het factuurnummer van de dienstverlener op."), ("X" * 36, "Het factuurnummer is te lang")],
)
def test_payment_order_bad_invoice_number(els: Client, setting: Setting, invoice: str, message: str) -> None:
    project = running(setting, idempotency_key="a")
    html = els.post(
        action_url(project, "betaalopdracht"), {"invoice_number": invoice, "amount": "10"}
    ).content.decode()
    assert message in html
    assert Payout.objects.count() == 0


def test_payment_order_double_submission_pays_once(els: Client, setting: Setting) -> None:
    project = running(setting, idempotency_key="a")
    url = to_confirm(els, project, "betaalopdracht", {"invoice_number": "F-1", "amount": "100"})
    assert els.post(url).status_code == 302
    before = snapshot(project)
    response = els.post(url)  # the same form again (a double click, the back button)
    assert response.status_code == 302
    assert response["Location"] == detail(project)
    assert "Dit formulier werd al verwerkt" in els.get(detail(project)).content.decode()
    assert snapshot(project) == before
    assert Payout.objects.count() == 1


def test_payment_order_more_than_the_balance_at_confirmation(els: Client, setting: Setting) -> None:
    project = running(setting, idempotency_key="a")
    first = to_confirm(els, project, "betaalopdracht", {"invoice_number": "F-1", "amount": "800"})
    second = to_confirm(els, project, "betaalopdracht", {"invoice_number": "F-2", "amount": "800"})
    els.post(first)
    before = snapshot(project)
    response = els.post(second)
    assert response.status_code == 200
    assert "groter dan het saldo van de portefeuille" in response.content.decode()
    assert snapshot(project) == before


def test_change_link_keeps_the_values(els: Client, setting: Setting) -> None:
    project = running(setting, idempotency_key="a")
    url = to_confirm(els, project, "betaalopdracht", {"invoice_number": "F-77", "amount": "12,50"})
    token = url.rstrip("/").rsplit("/", 1)[1]
    html = els.get(f"{action_url(project, 'betaalopdracht')}?t={token}").content.decode()
    assert 'value="F-77"' in html
    assert 'value="12,50"' in html


def test_an_expired_confirmation(els: Client, setting: Setting) -> None:
    project = running(setting, idempotency_key="a")
    before = snapshot(project)
    assert els.get(f"{detail(project)}bevestigen/onbekend/").status_code == 404
    response = els.post(f"{detail(project)}bevestigen/onbekend/")
    assert response.status_code == 200
    assert "Dit formulier is verlopen of onbekend" in response.content.decode()
    assert snapshot(project) == before


def test_csrf_is_required(els: Client, setting: Setting) -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies = els.cookies
    project = running(setting, idempotency_key="a")
    response = client.post(action_url(project, "betaalopdracht"), {"invoice_number": "F-1", "amount": "10"})
    assert response.status_code == 403
    assert Payout.objects.count() == 0


# --- stopzetten -------------------------------------------------------------------------------------------


def proof(name: str = "bewijs.pdf", content: bytes = PDF):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_stop_with_a_proof(els: Client, setting: Setting, settings) -> None:
    project = running(setting, idempotency_key="a")
    url = to_confirm(els, project, "stopzetten", {"reason": "De opleiding gaat niet door.", "proof": proof()})
    html = els.get(url).content.decode()
    assert 'id="confirm-proof">bewijs.pdf' in html
    assert "De opleiding gaat niet door." in html
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    assert els.post(url).status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.STOPZETTING_AANGEVRAAGD
    change = ProjectStatusChange.objects.get(project=project, action="request_stop")
    assert change.reason == "De opleiding gaat niet door."
    stored = Path(settings.MEDIA_ROOT) / change.proof_name
    assert stored.read_bytes() == PDF
    assert change.proof_name.startswith(f"bewijsstukken/{project.number}/")
    assert AuditEvent.objects.filter(action="projects.project.request_stop").count() == 1
    html = els.get(detail(project)).content.decode()
    assert "Stopzetting aangevraagd" in html
    assert "bewijs.pdf" in html
    before = snapshot(project)
    assert els.post(url).status_code == 302  # the same confirmation again
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "", "proof": "file"}, "Geef een reden op."),
        ({"reason": "   ", "proof": "file"}, "Geef een reden op."),
        ({"reason": "x" * 2001, "proof": "file"}, "De reden is te lang"),
        ({"reason": "Gaat niet door"}, "Voeg een bewijsstuk toe."),
        (
            {"reason": "Gaat niet door", "proof": ("bewijs.exe", b"MZ...")},
            "moet een PDF-bestand of een afbeelding",
        ),
        (
            {"reason": "Gaat niet door", "proof": ("bewijs.pdf", b"not a pdf")},
            "De inhoud van het bewijsstuk is geen PDF",
        ),
        ({"reason": "Gaat niet door", "proof": ("bewijs.pdf", b"")}, "Het bewijsstuk is leeg."),
    ],
)
def test_stop_refusals_change_nothing(
    els: Client, setting: Setting, settings, data: dict, message: str
) -> None:
    project = running(setting, idempotency_key="a")
    before = snapshot(project)
    post = dict(data)
    if post.get("proof") == "file":
        post["proof"] = proof()
    elif isinstance(post.get("proof"), tuple):
        post["proof"] = proof(*post["proof"])
    response = els.post(action_url(project, "stopzetten"), post)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot(project) == before
    assert not (Path(settings.MEDIA_ROOT) / "bewijsstukken").exists()


def test_stop_proof_too_large(els: Client, setting: Setting, monkeypatch) -> None:
    from kmop.eloket import forms_projects

    monkeypatch.setattr(forms_projects, "PROOF_MAX_BYTES", 100)
    project = running(setting, idempotency_key="a")
    response = els.post(
        action_url(project, "stopzetten"), {"reason": "x", "proof": proof(content=PDF + b"0" * 100)}
    )
    assert "Het bewijsstuk is te groot (ten hoogste 10 MB)." in response.content.decode()
    assert snapshot(project)[0] == ProjectStatus.LOPEND


def test_stop_an_image_proof(els: Client, setting: Setting) -> None:
    project = running(setting, idempotency_key="a")
    png = proof("foto.PNG", b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    url = to_confirm(els, project, "stopzetten", {"reason": "Ziekte", "proof": png})
    els.post(url)
    project.refresh_from_db()
    assert project.status == ProjectStatus.STOPZETTING_AANGEVRAAGD


def test_stop_not_for_a_confirmed_project(els: Client, setting: Setting) -> None:
    project = setting.submit(idempotency_key="a")
    response = els.post(action_url(project, "stopzetten"), {"reason": "x", "proof": proof()})
    assert response.status_code == 302
    assert response["Location"] == detail(project)
    assert "Stopzetten kan enkel voor een lopend project" in els.get(detail(project)).content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD


# --- annuleren --------------------------------------------------------------------------------------------


def test_cancel_before_the_deposit(els: Client, setting: Setting) -> None:
    project = setting.submit(idempotency_key="a")
    held = project.budget_held
    assert held > 0
    url = to_confirm(els, project, "annuleren", {"reason": "Het project gaat niet door."})
    assert "Een geannuleerd project kan niet opnieuw geactiveerd worden." in els.get(url).content.decode()
    assert els.post(url).status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.GEANNULEERD
    assert project.budget_held == 0
    assert AuditEvent.objects.filter(action="projects.project.cancel").count() == 1
    html = els.get(detail(project)).content.decode()
    assert "Project geannuleerd" in html
    assert "Het project gaat niet door." in html
    assert 'id="deposit"' not in html
    before = snapshot(project)
    assert els.post(url).status_code == 302  # double submission
    assert snapshot(project) == before
    assert AuditEvent.objects.filter(action="projects.project.cancel").count() == 1


def test_cancel_needs_a_reason(els: Client, setting: Setting) -> None:
    project = setting.submit(idempotency_key="a")
    before = snapshot(project)
    html = els.post(action_url(project, "annuleren"), {"reason": " "}).content.decode()
    assert "Geef een reden op." in html
    assert snapshot(project) == before


def test_cancel_not_after_the_deposit(els: Client, setting: Setting) -> None:
    project = setting.submit(idempotency_key="a")
    url = to_confirm(els, project, "annuleren", {"reason": "weg"})
    camt.import_statement(
        stream(statement(Credit(str(project.own_contribution), project.structured_reference_display))),
        actor=SYSTEM,
    )
    before = snapshot(project)
    assert before[0] == ProjectStatus.LOPEND
    response = els.post(url)  # confirmed after the deposit came in: the service refuses
    assert response.status_code == 200
    assert "enkel vanuit Bevestigd" in response.content.decode()
    assert snapshot(project) == before
    assert els.get(action_url(project, "annuleren")).status_code == 302


def test_unknown_action_is_404(els: Client, setting: Setting) -> None:
    project = setting.submit(idempotency_key="a")
    assert els.get(action_url(project, "verwijderen")).status_code == 404


# --- the daily job and the language -----------------------------------------------------------------------


def test_no_deposit_within_30_days_shows_cancelled(els: Client, setting: Setting, clock) -> None:
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command

    project = setting.submit(idempotency_key="a")
    day = project.deposit_deadline + timedelta(days=1)
    clock.move_to(day)
    call_command("daily", "--date", day.isoformat(), "--job", "projects.deposit_deadline", stdout=StringIO())
    project.refresh_from_db()
    assert project.status == ProjectStatus.GEANNULEERD
    login(els, ELS)  # the session of 30 days ago has expired
    html = els.get(detail(project)).content.decode()
    assert "Project geannuleerd" in html
    assert "niet (correct) gestort binnen de termijn" in html
    assert 'id="actions"' not in html


def test_english(els: Client, setting: Setting) -> None:
    project = running(setting, idempotency_key="a")
    els.cookies["kmop_language"] = "en"
    html = els.get(detail(project)).content.decode()
    assert '<html lang="en">' in html
    assert "Running" in html
    assert "Own contribution" in html
    response = els.post(action_url(project, "betaalopdracht"), {"invoice_number": "F-1", "amount": "12,345"})
    assert "An amount has at most two digits after the decimal point." in response.content.decode()
    response = els.post(action_url(project, "betaalopdracht"), {"invoice_number": "", "amount": "1"})
    assert "Enter the service provider&#x27;s invoice number." in response.content.decode()
    assert Payout.objects.count() == 0


# --- the same confirmation at the same moment (PostgreSQL: row locks between connections) ------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL")
def test_the_same_confirmation_posted_by_8_threads_at_once_pays_once(els: Client, setting: Setting) -> None:
    from kmop.schemes import services as scheme_services

    scheme_services.scheme_data_load(actor=SYSTEM)  # a transactional test flushes what the migration loaded
    project = running(setting, idempotency_key="a")
    url = to_confirm(els, project, "betaalopdracht", {"invoice_number": "F-1", "amount": "100"})
    count = 8
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post() -> None:
        client = Client()
        client.cookies = els.cookies
        try:
            barrier.wait(timeout=60)
            statuses.append(client.post(url).status_code)
        except BaseException as error:  # collected for the assertion
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors
    assert statuses == [302] * count
    assert Payout.objects.count() == 1
    assert wallet_services.project_balance(project) == Decimal("900.00")
    assert AuditEvent.objects.filter(action="eloket.project_action").count() == 1

"""Stop requests: listed with reason and proof; approved → Gestopt with the settlement (the unused own
contribution refunded, the subsidy back, the budget released within the application's year), refused →
Lopend; a reason is required; a request decided meanwhile is refused with a clear message."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from kmop.audit.models import AuditEvent
from kmop.projects import services as project_services
from kmop.projects.errors import NotAllowed
from kmop.projects.models import EnterpriseProfile, ProjectStatus, YearBudget
from kmop.wallet import services as wallet_services
from kmop.wallet.models import Payout
from tests.backoffice.conftest import Setting, deposited, stop_requested
from tests.projects.conftest import B

LIST = "/backoffice/stopzettingen/"


def url(number: str) -> str:
    return f"{LIST}{number}/"


def test_the_requests_are_listed_with_their_reason(staff: Client, setting: Setting) -> None:
    project = stop_requested(setting, reason="De zaakvoerder is ziek.")
    html = staff.get(LIST).content.decode()
    assert project.number in html
    assert "De zaakvoerder is ziek." in html
    assert url(project.number) in html
    page = staff.get(url(project.number))
    assert page.status_code == 200
    settlement = page.context["settlement"]
    assert settlement.balance == Decimal("1000.00")
    assert (settlement.subsidy_back, settlement.refund) == (Decimal("300.00"), Decimal("700.00"))
    assert settlement.budget_released


def test_approve_stops_and_settles(staff: Client, setting: Setting) -> None:
    project = stop_requested(setting)
    EnterpriseProfile.objects.filter(organisation=setting.enterprise).update(iban="BE71096123456769")
    budget = YearBudget.objects.get(organisation=setting.enterprise, year=2025)
    assert budget.used == Decimal("300.00")
    response = staff.post(url(project.number), {"decision": "goedkeuren", "reason": "Bewijs in orde."})
    assert response.status_code == 302
    assert response["Location"] == LIST
    project.refresh_from_db()
    assert project.status == ProjectStatus.GESTOPT
    assert wallet_services.project_balance(project) == 0
    refund = Payout.objects.get(project=project, kind=Payout.Kind.REFUND)
    assert (refund.amount, refund.iban) == (Decimal("700.00"), "BE71096123456769")
    budget.refresh_from_db()
    assert budget.used == 0
    change = project.status_changes.latest("at", "id")
    assert (change.action, change.reason) == ("approve_stop", "Bewijs in orde.")
    event = AuditEvent.objects.filter(action="projects.project.approve_stop").get()
    assert event.actor_label.endswith("83041899839")
    html = staff.get(LIST).content.decode()
    assert "Terug te betalen eigen bijdrage: € 700,00; steun terug naar het budget: € 300,00." in html
    assert 'id="no-stop-requests"' in html


def test_refuse_keeps_the_project_running(staff: Client, setting: Setting) -> None:
    project = stop_requested(setting)
    response = staff.post(url(project.number), {"decision": "weigeren", "reason": "Geen bewijs."})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    assert wallet_services.project_balance(project) == Decimal("1000.00")
    assert not Payout.objects.filter(project=project).exists()
    assert project.status_changes.latest("at", "id").reason == "Geen bewijs."
    assert "is geweigerd: het project loopt verder" in staff.get(LIST).content.decode()


def test_a_decision_needs_a_choice_and_a_reason(staff: Client, setting: Setting) -> None:
    project = stop_requested(setting)
    response = staff.post(url(project.number), {"decision": "goedkeuren", "reason": "   "})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Er is een probleem" in html
    assert "Geef een motivering voor uw beslissing." in html
    response = staff.post(url(project.number), {"reason": "ok"})
    assert "Kies of u de stopzetting goedkeurt of weigert." in response.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.STOPZETTING_AANGEVRAAGD


def test_a_request_decided_meanwhile_is_not_decided_again(staff: Client, setting: Setting) -> None:
    project = stop_requested(setting)
    assert staff.post(url(project.number), {"decision": "weigeren", "reason": "Nee."}).status_code == 302
    response = staff.post(url(project.number), {"decision": "goedkeuren", "reason": "Toch wel."})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    assert "heeft geen openstaande vraag tot stopzetting (status Lopend)" in staff.get(LIST).content.decode()
    assert project.status_changes.filter(action="approve_stop").count() == 0


def test_an_unknown_project_is_404(staff: Client, setting: Setting) -> None:
    assert staff.get(url("2025KMO999999")).status_code == 404


def test_staff_download_the_proof_document(staff: Client, setting: Setting, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    project = deposited(setting)
    stored = default_storage.save(
        f"bewijsstukken/{project.number}/t/attest.pdf", ContentFile(b"%PDF-1.7 proof")
    )
    project_services.project_request_stop(
        actor=setting.els, project=project, reason="De opleiding gaat niet door.", proof=stored
    )
    page = staff.get(url(project.number)).content.decode()
    assert f'href="{url(project.number)}bewijsstuk/"' in page
    assert ">attest.pdf</a>" in page
    response = staff.get(f"{url(project.number)}bewijsstuk/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="attest.pdf"'
    assert b"".join(response.streaming_content) == b"%PDF-1.7 proof"


def test_the_proof_is_for_staff_only(els: Client, setting: Setting) -> None:
    project = stop_requested(setting)
    assert els.get(f"{url(project.number)}bewijsstuk/").status_code == 403


def test_no_proof_no_download(staff: Client, setting: Setting) -> None:
    project = stop_requested(setting)  # the enterprise's request without a document
    assert staff.get(f"{url(project.number)}bewijsstuk/").status_code == 404


def test_the_service_refuses_staff_acting_for_another_organisation(setting: Setting) -> None:
    """A decision is audited for the organisation acted for: a Medewerker of VLAIO acting for another
    organisation of theirs decides nothing through the service (the back office's pages already refuse it)."""
    project = stop_requested(setting)
    elsewhere = replace(setting.staff, organisation_code=B)
    events = AuditEvent.objects.count()
    with pytest.raises(NotAllowed, match="u handelt nu niet voor VLAIO"):
        project_services.project_decide_stop(actor=elsewhere, project=project, approve=False, reason="Nee.")
    project.refresh_from_db()
    assert project.status == ProjectStatus.STOPZETTING_AANGEVRAAGD
    assert AuditEvent.objects.count() == events
    decided = project_services.project_decide_stop(
        actor=setting.staff, project=project, approve=False, reason="Nee."
    )
    assert decided.status == ProjectStatus.LOPEND

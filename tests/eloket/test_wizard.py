from __future__ import annotations

from django.test import Client

from kmop.projects.models import Project, ProjectStatus
from tests.eloket.conftest import SOFIE, Setting, login

START = "/e-loket/aanvragen/"
PROVIDER = "/e-loket/aanvragen/dienstverlener/"
PROJECT = "/e-loket/aanvragen/project/"
PREVIEW = "/e-loket/aanvragen/berekening/"
CHECK = "/e-loket/aanvragen/controleren/"

DETAILS = {
    "theme": "bedrijfsstrategie",
    "training_type": "klassikaal",
    "title": "Strategische planning voor kmo's",
    "start_date": "03/03/2025",
    "hours": "16",
    "amount": "1000,00",
    "participants": "2",
}


def _to_check(client: Client, **details: str) -> None:
    response = client.post(PROVIDER, {"service": "opleiding", "registration": "DV.O000001", "action": "next"})
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == PROJECT
    response = client.post(PROJECT, {**DETAILS, **details, "action": "next"})
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == CHECK


def _token(client: Client) -> str:
    html = client.get(CHECK).content.decode()
    marker = 'name="token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_pages_render(els: Client) -> None:
    assert "Projectaanvraag indienen" in els.get(START).content.decode()
    assert "Dienst en dienstverlener" in els.get(PROVIDER).content.decode()
    # later steps without the earlier ones go back
    assert els.get(PROJECT)["Location"] == PROVIDER
    assert els.get(CHECK)["Location"] == PROVIDER


def test_end_to_end(els: Client, setting: Setting) -> None:
    _to_check(els)
    html = els.get(CHECK).content.decode()
    assert "Controleer uw antwoorden" in html
    assert "DV.O000001" in html
    assert "Klassikaal" in html
    assert "€ 1.000,00" in html
    assert 'id="preview-subsidy"' in html
    assert not Project.objects.exists()  # nothing written before the submission
    token = _token(els)
    # without the declaration of honour: a field message
    html = els.post(CHECK, {"token": token}).content.decode()
    assert "Bevestig de verklaring op erewoord." in html
    assert not Project.objects.exists()
    response = els.post(CHECK, {"token": token, "declaration": "on"})
    assert response.status_code == 302
    project = Project.objects.get()
    assert response["Location"] == f"/e-loket/aanvragen/bevestiging/{project.number}/"
    assert project.organisation == setting.enterprise
    assert project.status == ProjectStatus.BEVESTIGD
    assert project.amount == 1000
    assert project.participants == 2
    html = els.get(response["Location"]).content.decode()
    assert project.number in html
    assert "Bevestigd" in html
    ref = project.structured_reference
    assert f"+++{ref[:3]}/{ref[3:7]}/{ref[7:]}+++" in html
    assert project.deposit_deadline.strftime("%d/%m/%Y") in html
    assert f"{project.own_contribution:.2f}".replace(".", ",") in html


def test_double_submission_gives_one_project(els: Client, setting: Setting) -> None:
    _to_check(els)
    token = _token(els)
    first = els.post(CHECK, {"token": token, "declaration": "on"})
    second = els.post(CHECK, {"token": token, "declaration": "on"})
    assert Project.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_refusal_shows_the_reason(els: Client, setting: Setting) -> None:
    setting.training.status = "S"  # suspended after the provider step
    _to_check(els)
    setting.training.save(update_fields=["status"])
    html = els.post(CHECK, {"token": _token(els), "declaration": "on"}).content.decode()
    assert "Uw aanvraag kan niet worden aanvaard" in html
    assert "niet geregistreerd voor" in html
    assert not Project.objects.exists()


def test_unknown_registration_is_a_field_message(els: Client) -> None:
    html = els.post(PROVIDER, {"service": "advies", "registration": "DV.O000001"}).content.decode()
    assert "Er is een probleem" in html
    assert "Er is geen dienstverlener met registratienummer DV.O000001" in html


def test_search_and_choose(els: Client) -> None:
    html = els.post(PROVIDER, {"service": "advies", "query": "", "action": "search"}).content.decode()
    assert "DV.A000002" in html
    assert "DV.O000001" not in html


def test_bad_amounts_and_dates_are_field_messages(els: Client) -> None:
    els.post(PROVIDER, {"service": "opleiding", "registration": "DV.O000001"})
    for amount, message in (
        ("100,123", "ten hoogste twee decimalen"),
        ("-5", "groter zijn dan 0"),
        ("999999999999", "onwaarschijnlijk groot"),
        ("veel", "Vul een bedrag in euro in"),
    ):
        html = els.post(PROJECT, {**DETAILS, "amount": amount}).content.decode()
        assert message in html, amount
        assert 'href="#id_amount"' in html
    for day in ("31/02/2025", "2025-13-01", "01/01/0001"):
        html = els.post(PROJECT, {**DETAILS, "start_date": day}).content.decode()
        assert 'href="#id_start_date"' in html, day
    html = els.post(PROJECT, {**DETAILS, "hours": "-1"}).content.decode()
    assert 'href="#id_hours"' in html


def test_live_preview_and_plain_button(els: Client) -> None:
    els.post(PROVIDER, {"service": "opleiding", "registration": "DV.O000001"})
    html = els.post(PREVIEW, DETAILS, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="preview-subsidy"' in html
    assert "<html" not in html
    html = els.post(PROJECT, {**DETAILS, "action": "preview"}).content.decode()
    assert 'id="preview-own"' in html


def test_another_enterprises_project_is_404(client: Client, setting: Setting) -> None:
    project = setting.submit(idempotency_key="x")
    login(client, SOFIE)  # acts for A
    assert client.get(f"/e-loket/aanvragen/bevestiging/{project.number}/").status_code == 404


def test_without_profile_the_wizard_sends_to_first_use(els: Client, setting: Setting) -> None:
    from kmop.projects.models import EnterpriseProfile

    EnterpriseProfile.objects.filter(organisation=setting.enterprise).update(completed_at=None)
    for url in (START, PROVIDER, PROJECT, CHECK):
        assert els.get(url)["Location"] == "/e-loket/eerste-gebruik/", url


def test_wizard_state_is_per_enterprise(els: Client, setting: Setting) -> None:
    _to_check(els)
    session = els.session
    state = session["eloket_wizard"]
    state["organisation"] = "0000000000"  # as if filled in while acting for another enterprise
    session["eloket_wizard"] = state
    session.save()
    assert els.get(CHECK)["Location"] == PROVIDER

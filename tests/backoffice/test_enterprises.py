"""The back office's enterprise pages (issue 6 §3): search, the register data, rights, projects, wallet and
history of an enterprise; the application manager (level high) corrects the profile and cancels a project
for VLAIO, with a reason, on the version seen; a Medewerker only looks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from kmop.acm import session as keys
from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.backoffice import services_organisations
from kmop.backoffice.services_organisations import profile_version
from kmop.idm import services as idm_services
from kmop.idm.models import WorkRelation
from kmop.projects import services as project_services
from kmop.projects.errors import NotAllowed
from kmop.projects.models import EnterpriseProfile, Project, ProjectStatus
from kmop.registers.models import Address, Denomination, Establishment, KboCode
from kmop.wallet.models import LedgerTransaction
from tests.backoffice.conftest import TOTP_ACR, Setting, deposited, login
from tests.projects.conftest import AN, JONAS, SOFIE, SYSTEM, B, actor

pytestmark = pytest.mark.django_db

URL = f"/backoffice/ondernemingen/{B}/"
PROFILE_URL = f"{URL}profiel/"


def cancel_url(project: Project) -> str:
    return f"{URL}projecten/{project.number}/annuleren/"


def _make_app_manager(setting: Setting) -> None:
    idm_services.right_grant_create(
        actor=SYSTEM,
        work_relation=WorkRelation.objects.get(person__national_number=AN, organisation=setting.world.vlaio),
        right_code="VLAIOInkomToepassingsbeheerder",
    )


@pytest.fixture
def manager(client: Client, setting: Setting) -> Client:
    """An: Medewerker and Toepassingsbeheerder of VLAIO, logged in with eID (level high)."""
    _make_app_manager(setting)
    return login(client, AN)


def _register(setting: Setting) -> None:
    """B's name, legal form, status and an establishment with its address in the KBO."""
    Denomination.objects.create(
        entity_number=B, language="2", type_of_denomination="001", denomination="Bee BV"
    )
    KboCode.objects.create(
        category="JuridicalForm", code="610", language="NL", description="Besloten vennootschap"
    )
    KboCode.objects.create(category="Status", code="AC", language="NL", description="Actief")
    KboCode.objects.create(
        category="Nace2008", code="62010", language="NL", description="Ontwikkelen van software"
    )
    Establishment.objects.create(
        establishment_number="2123456789", start_date=date(2015, 1, 1), enterprise_id=B
    )
    Address.objects.create(
        entity_number="2123456789",
        type_of_address="BAET",
        zipcode="9000",
        municipality_nl="Gent",
        street_nl="Veldstraat",
        house_number="1",
    )


def _profile_post(profile: EnterpriseProfile, **overrides: str) -> dict[str, str]:
    data = {
        "version": profile_version(profile),
        "contact_email": "boekhouding@b.example",
        "iban": "BE71 0961 2345 6769",
        "reason": "De onderneming vroeg per brief een ander rekeningnummer.",
    }
    data.update(overrides)
    return data


# --- looking ---------------------------------------------------------------------------------------------


def test_search_by_number_and_name(staff: Client, setting: Setting) -> None:
    response = staff.get("/backoffice/ondernemingen/", {"q": "0934.567.878"})
    assert response.status_code == 302  # one match: its page
    assert response["Location"] == URL
    name = setting.enterprise.name
    response = staff.get("/backoffice/ondernemingen/", {"q": name[:4]})
    assert response.status_code in (200, 302)
    page = staff.get("/backoffice/ondernemingen/", {"q": "geen-zo-een-onderneming"}).content.decode()
    assert 'id="no-enterprises"' in page
    assert staff.get("/backoffice/ondernemingen/0000000097/").status_code == 404
    assert (
        staff.get(f"/backoffice/ondernemingen/{setting.world.vlaio.code}/").status_code == 404
    )  # no enterprise


def test_an_enterprise_user_sees_no_enterprise_page(els: Client, setting: Setting) -> None:
    assert els.get("/backoffice/ondernemingen/").status_code == 403
    assert els.get(URL).status_code == 403
    assert els.post(PROFILE_URL, {"reason": "x"}).status_code == 403


def test_the_enterprise_page_shows_register_rights_projects_wallet_and_history(
    staff: Client, setting: Setting
) -> None:
    _register(setting)
    relation = setting.world.relation(JONAS, setting.enterprise)
    idm_services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    confirmed = setting.submit(title="Bevestigd project")
    running = deposited(setting, title="Lopend project")
    html = staff.get(URL).content.decode()
    # the KBO
    assert "Bee BV" in html
    assert "Besloten vennootschap" in html
    assert "62010 Ontwikkelen van software (NACE 2008)" in html
    assert "Veldstraat 1, 9000 Gent" in html
    assert "2.123.456.789" in html
    assert "Els Maes" in html  # the legal representative
    # rights
    assert "Jonas De Smet" in html
    assert "Gebruiker" in html
    # projects with the wallet balance, linked to the ledger and the provider
    assert confirmed.number in html
    assert running.number in html
    assert f"/backoffice/boekingen/?project={running.number}" in html
    assert f"/backoffice/dienstverleners/{setting.provider.pk}/" in html
    assert "€ 1.000,00" in html or "€ 1000,00" in html
    # the wallet: the deposit and the subsidy booked for the running project
    assert LedgerTransaction.objects.filter(project=running).count() >= 1
    assert 'id="transactions"' in html
    # the history: the projects' events
    assert "projects.project.deposit" in html
    # a Medewerker sees no buttons
    assert "Profiel corrigeren" not in html
    assert "annuleren/" not in html


def test_the_enterprise_page_has_a_bounded_number_of_queries(
    staff: Client, setting: Setting, django_assert_max_num_queries
) -> None:
    _register(setting)

    def user(number: str) -> None:
        relation = setting.world.relation(number, setting.enterprise)
        idm_services.right_grant_create(
            actor=SYSTEM,
            work_relation=relation,
            right_code="VLAIOInkomGebruikerNieuw",
            context_values=["Gebruiker"],
        )

    user(JONAS)
    for _ in range(2):
        deposited(setting)
    staff.get(URL)
    with django_assert_max_num_queries(40) as few:
        assert staff.get(URL).status_code == 200
    user(SOFIE)
    for _ in range(8):
        deposited(setting)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff.get(URL).status_code == 200


def test_the_history_is_paged(staff: Client, setting: Setting) -> None:
    for _ in range(14):  # a project and its deposit: 2 events each at least
        deposited(setting)
    html = staff.get(URL).content.decode()
    assert "Pagina 1 van" in html
    assert "historiek=2#historiek" in html
    second = staff.get(URL, {"historiek": "2"}).content.decode()
    assert 'id="history"' in second
    assert "historiek=1#historiek" in second


# --- correcting the profile -----------------------------------------------------------------------------


def test_a_medewerker_cannot_correct_the_profile(staff: Client, setting: Setting) -> None:
    profile = EnterpriseProfile.objects.get(organisation=setting.enterprise)
    page = staff.get(PROFILE_URL).content.decode()
    assert 'id="not-allowed"' in page
    assert 'id="profile-form"' not in page
    response = staff.post(PROFILE_URL, _profile_post(profile))
    assert response.status_code == 403
    profile.refresh_from_db()
    assert profile.iban == "BE68539007547034"
    assert profile.contact_email == "els@b.example"
    assert not AuditEvent.objects.filter(action=services_organisations.PROFILE_CORRECT).exists()


def test_an_application_manager_with_a_security_code_cannot_correct(
    manager: Client, setting: Setting
) -> None:
    session = manager.session
    session[keys.ACR] = TOTP_ACR
    session.save()
    profile = EnterpriseProfile.objects.get(organisation=setting.enterprise)
    assert "Profiel corrigeren" not in manager.get(URL).content.decode()
    assert manager.post(PROFILE_URL, _profile_post(profile)).status_code == 403
    profile.refresh_from_db()
    assert profile.contact_email == "els@b.example"


def test_the_application_manager_corrects_the_profile_with_a_reason(
    manager: Client, setting: Setting
) -> None:
    profile = EnterpriseProfile.objects.get(organisation=setting.enterprise)
    profile.bic = "GKCCBEBB"
    profile.save()
    assert "Profiel corrigeren" in manager.get(URL).content.decode()
    response = manager.post(PROFILE_URL, _profile_post(profile))
    assert response.status_code == 302
    assert response["Location"] == URL
    profile.refresh_from_db()
    assert profile.contact_email == "boekhouding@b.example"
    assert profile.iban == "BE71096123456769"
    assert profile.bic == ""  # the old account's BIC
    event = AuditEvent.objects.get(action=services_organisations.PROFILE_CORRECT)
    assert event.actor is not None
    assert event.actor.national_number == AN
    assert event.organisation_code == setting.world.vlaio.code  # acting for VLAIO
    assert event.acr == "urn:be:vlaanderen:authmech:eid"
    assert event.object_id == B
    assert event.before == {
        "organisation": B,
        "contact_email": "els@b.example",
        "iban": "BE68539007547034",
        "bic": "GKCCBEBB",
    }
    assert event.after["iban"] == "BE71096123456769"
    assert event.reason == "De onderneming vroeg per brief een ander rekeningnummer."
    html = manager.get(URL).content.decode()
    assert "BE71 0961 2345 6769" in html
    assert "De onderneming vroeg per brief een ander rekeningnummer." in html  # in the history


def test_a_corrected_account_gets_the_refunds_that_waited_for_one(manager: Client, setting: Setting) -> None:
    """A refund made while the enterprise had no valid IBAN waits for a person; the corrected account takes
    it (audited with the correction's reason), a refund with an account or already exported stays as it is."""
    from kmop.wallet import services as wallet_services
    from kmop.wallet.models import Payout, PayoutBatch

    project = deposited(setting)
    for n, iban in enumerate(("", "BE62510007547061", "")):
        wallet_services.book_refund(
            actor=SYSTEM, amount=Decimal("10.00"), reference=f"test-refund-{n}", project=project, iban=iban
        )
    exported = Payout.objects.filter(project=project, iban="").order_by("id").last()
    assert exported is not None
    Payout.objects.filter(pk=exported.pk).update(
        batch=PayoutBatch.objects.create(
            message_id="TEST-1",
            created_by="test",
            debtor_iban="BE68539007547034",
            count=1,
            total=Decimal("10.00"),
            content=b"",
        )
    )
    profile = EnterpriseProfile.objects.get(organisation=setting.enterprise)
    assert manager.post(PROFILE_URL, _profile_post(profile)).status_code == 302
    accounts = list(Payout.objects.filter(project=project).order_by("id").values_list("iban", flat=True))
    assert accounts == ["BE71096123456769", "BE62510007547061", ""]
    event = AuditEvent.objects.get(action="wallet.payout.account")
    assert (event.before["iban"], event.after["iban"]) == ("", "BE71096123456769")
    assert event.reason == "De onderneming vroeg per brief een ander rekeningnummer."
    # the e-mail alone changes no account
    profile.refresh_from_db()
    post = _profile_post(profile, contact_email="andere@b.example", iban="BE71 0961 2345 6769")
    assert manager.post(PROFILE_URL, post).status_code == 302
    assert AuditEvent.objects.filter(action="wallet.payout.account").count() == 1


def test_a_correction_without_a_reason_is_refused(manager: Client, setting: Setting) -> None:
    profile = EnterpriseProfile.objects.get(organisation=setting.enterprise)
    response = manager.post(PROFILE_URL, _profile_post(profile, reason="   "))
    assert response.status_code == 200
    assert "Geef de reden van deze wijziging." in response.content.decode()
    profile.refresh_from_db()
    assert profile.contact_email == "els@b.example"
    assert not AuditEvent.objects.filter(action=services_organisations.PROFILE_CORRECT).exists()


@pytest.mark.parametrize("iban", ["BE71 0961 2345 6760", "NL00 1234", "geen iban"])
def test_an_invalid_iban_is_refused(manager: Client, setting: Setting, iban: str) -> None:
    profile = EnterpriseProfile.objects.get(organisation=setting.enterprise)
    response = manager.post(PROFILE_URL, _profile_post(profile, iban=iban))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dit is geen geldig IBAN-rekeningnummer." in html
    assert 'id="id_iban_error"' in html
    profile.refresh_from_db()
    assert profile.iban == "BE68539007547034"
    assert profile.contact_email == "els@b.example"


def test_an_invalid_email_is_refused(manager: Client, setting: Setting) -> None:
    profile = EnterpriseProfile.objects.get(organisation=setting.enterprise)
    response = manager.post(PROFILE_URL, _profile_post(profile, contact_email="geen-adres"))
    assert "Vul een geldig e-mailadres in" in response.content.decode()
    profile.refresh_from_db()
    assert profile.contact_email == "els@b.example"


def test_a_profile_changed_meanwhile_is_not_overwritten(manager: Client, setting: Setting) -> None:
    profile = EnterpriseProfile.objects.get(organisation=setting.enterprise)
    seen = _profile_post(profile)
    EnterpriseProfile.objects.filter(pk=profile.pk).update(contact_email="nieuw@b.example")  # the enterprise
    response = manager.post(PROFILE_URL, seen)
    assert response.status_code == 200
    assert "werd intussen gewijzigd" in response.content.decode()
    profile.refresh_from_db()
    assert profile.contact_email == "nieuw@b.example"
    assert profile.iban == "BE68539007547034"
    assert not AuditEvent.objects.filter(action=services_organisations.PROFILE_CORRECT).exists()


def _correct_profile(setting: Setting, actor: Actor) -> None:
    """The enterprise's profile corrected through the service (as the page's form would)."""
    profile = EnterpriseProfile.objects.get(organisation=setting.enterprise)
    services_organisations.enterprise_profile_correct(
        actor=actor,
        organisation=setting.enterprise,
        contact_email="a@b.example",
        iban="BE71096123456769",
        reason="x",
        version=profile_version(profile),
    )


def test_the_service_refuses_a_medewerker_too(setting: Setting) -> None:
    staff = Actor(label="an", user=setting.staff.user, organisation_code=setting.world.vlaio.code, acr="x")
    with pytest.raises(NotAllowed):
        _correct_profile(setting, staff)


def test_the_service_refuses_the_application_manager_acting_for_another_organisation(
    manager: Client, setting: Setting
) -> None:
    """The audit says for whom a change was made: acting for another organisation of theirs, the application
    manager changes nothing through the service (the pages already refuse it)."""
    from dataclasses import replace

    profile = EnterpriseProfile.objects.get(organisation=setting.enterprise)
    an = replace(setting.staff, acr="urn:be:vlaanderen:authmech:eid")
    with pytest.raises(NotAllowed, match="u handelt nu niet voor VLAIO"):
        _correct_profile(setting, replace(an, organisation_code=B))
    profile.refresh_from_db()
    assert profile.contact_email == "els@b.example"
    # acting for VLAIO, the same call is taken
    _correct_profile(setting, an)
    profile.refresh_from_db()
    assert profile.contact_email == "a@b.example"


# --- cancelling a project ------------------------------------------------------------------------------


def test_a_medewerker_cannot_cancel_a_project(staff: Client, setting: Setting) -> None:
    project = setting.submit()
    page = staff.get(cancel_url(project)).content.decode()
    assert 'id="cancel-form"' not in page
    version = services_organisations.project_version(project)
    response = staff.post(cancel_url(project), {"version": version, "reason": "Dubbel ingediend"})
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD
    assert not AuditEvent.objects.filter(action="projects.project.cancel").exists()


def test_the_application_manager_cancels_a_confirmed_project_for_vlaio(
    manager: Client, setting: Setting
) -> None:
    project = setting.submit()
    html = manager.get(URL).content.decode()
    assert cancel_url(project) in html
    page = manager.get(cancel_url(project)).content.decode()
    assert 'id="cancel-form"' in page
    version = services_organisations.project_version(project)
    response = manager.post(cancel_url(project), {"version": version, "reason": "Dubbel ingediend"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.GEANNULEERD
    assert project.budget_held == Decimal("0.00")
    change = project.status_changes.get(action="cancel")
    assert change.reason == "Dubbel ingediend"
    event = AuditEvent.objects.get(action=services_organisations.PROJECT_CANCEL)
    assert event.actor is not None
    assert event.actor.national_number == AN
    assert event.organisation_code == setting.world.vlaio.code
    assert event.after == {"organisation": B, "project": project.number, "status": "ProjectGeannuleerd"}
    assert event.reason == "Dubbel ingediend"
    assert AuditEvent.objects.filter(action="projects.project.cancel", object_id=str(project.pk)).exists()


def test_a_cancellation_without_a_reason_is_refused(manager: Client, setting: Setting) -> None:
    project = setting.submit()
    version = services_organisations.project_version(project)
    response = manager.post(cancel_url(project), {"version": version, "reason": ""})
    assert response.status_code == 200
    assert "Geef de reden van deze wijziging." in response.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD


def test_a_project_changed_meanwhile_is_not_cancelled(manager: Client, setting: Setting) -> None:
    project = setting.submit()
    seen = services_organisations.project_version(project)
    # the own contribution arrives meanwhile: the project runs
    project_services.project_mark_deposited(actor=SYSTEM, project=project)
    response = manager.post(cancel_url(project), {"version": seen, "reason": "Dubbel ingediend"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Project {project.number} werd intussen gewijzigd (nu status Lopend)" in html
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    assert not AuditEvent.objects.filter(action="projects.project.cancel").exists()


def test_a_running_project_cannot_be_cancelled(manager: Client, setting: Setting) -> None:
    project = deposited(setting)
    assert cancel_url(project) not in manager.get(URL).content.decode()
    page = manager.get(cancel_url(project)).content.decode()
    assert 'id="not-cancellable"' in page
    version = services_organisations.project_version(project)
    response = manager.post(cancel_url(project), {"version": version, "reason": "Dubbel ingediend"})
    assert response.status_code == 200
    assert "Dit kan niet voor project" in response.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND


def test_a_project_of_another_enterprise_is_not_found(manager: Client, setting: Setting) -> None:
    project = setting.submit()
    url = f"/backoffice/ondernemingen/{setting.world.a.code}/projecten/{project.number}/annuleren/"
    assert manager.get(url).status_code == 404
    assert manager.post(url, {"version": "x", "reason": "x"}).status_code == 404


def test_els_cannot_use_the_staff_service(setting: Setting) -> None:
    project = setting.submit()
    with pytest.raises(NotAllowed):
        services_organisations.enterprise_project_cancel(
            actor=actor("75093099831", B),
            project=project,
            reason="x",
            version=services_organisations.project_version(project),
        )
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD


def test_an_application_manager_with_a_security_code_cannot_cancel(manager: Client, setting: Setting) -> None:
    session = manager.session
    session[keys.ACR] = TOTP_ACR
    session.save()
    project = setting.submit()
    assert cancel_url(project) not in manager.get(URL).content.decode()
    assert 'id="cancel-form"' not in manager.get(cancel_url(project)).content.decode()
    version = services_organisations.project_version(project)
    assert manager.post(cancel_url(project), {"version": version, "reason": "x"}).status_code == 403
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD


def test_an_enterprise_no_longer_in_the_kbo(staff: Client, setting: Setting) -> None:
    from kmop.registers.models import Enterprise

    Enterprise.objects.filter(pk=B).delete()
    html = staff.get(URL).content.decode()
    assert 'id="not-in-register"' in html
    assert "0934.567.878" in html


def test_a_provider_s_enterprise_page_links_its_provider_page(staff: Client, setting: Setting) -> None:
    html = staff.get(f"/backoffice/ondernemingen/{setting.world.a.code}/").content.decode()
    assert 'id="also-provider"' in html
    assert f'href="/backoffice/dienstverleners/{setting.provider.pk}/"' in html
    assert 'id="also-provider"' not in staff.get(URL).content.decode()

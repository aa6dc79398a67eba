"""Every back-office page is for VLAIO staff (acting for VLAIO with the Medewerker role) only: anonymous →
the login, an enterprise's user or an application manager without the Medewerker role → 403, also by URL and
for every POST (nothing changed); staff with a security code (substantial) may look but not act."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kmop.acm import session as keys
from kmop.audit.models import AuditEvent
from kmop.projects.models import ProjectStatus
from kmop.wallet.models import LedgerTransaction, PayoutBatch
from tests.backoffice.conftest import TOTP_ACR, Credit, Setting, login, statement, stop_requested
from tests.projects.conftest import BART

PAGES = [
    "/backoffice/",
    "/backoffice/betalingen/camt/",
    "/backoffice/uitbetalingen/",
    "/backoffice/stopzettingen/",
    "/backoffice/boekingen/",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_the_login(client: Client, setting: Setting, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/aanmelden/?next=")


@pytest.mark.parametrize("url", PAGES)
def test_an_enterprise_user_is_refused(els: Client, url: str) -> None:
    assert els.get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_staff_sees_every_page_with_the_navigation(staff: Client, url: str) -> None:
    response = staff.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-current="page"' in html
    for label in ("Rekeninguittreksels", "Uitbetalingen", "Stopzettingen", "Boekingen"):
        assert label in html
    assert 'id="level-warning"' not in html  # logged in with eID: may act


def test_an_enterprise_user_cannot_post_anything(els: Client, setting: Setting) -> None:
    project = stop_requested(setting)
    upload = statement(Credit("700.00", "+++090/9337/55493+++"), statement_id="X")
    count = LedgerTransaction.objects.count()
    file = SimpleUploadedFile("x.xml", upload, content_type="application/xml")
    assert els.post("/backoffice/betalingen/camt/", {"statement": file}).status_code == 403
    assert els.post("/backoffice/uitbetalingen/").status_code == 403
    response = els.post(
        f"/backoffice/stopzettingen/{project.number}/", {"decision": "goedkeuren", "reason": "ok"}
    )
    assert response.status_code == 403
    assert LedgerTransaction.objects.count() == count
    assert not PayoutBatch.objects.exists()
    project.refresh_from_db()
    assert project.status == ProjectStatus.STOPZETTING_AANGEVRAAGD


def test_an_application_manager_without_the_medewerker_role_is_refused(
    client: Client, setting: Setting, app_manager: object
) -> None:
    login(client, BART)
    assert client.get("/backoffice/").status_code == 403


def test_a_former_staff_member_is_refused_at_once(staff: Client, setting: Setting) -> None:
    from kmop.idm import services as idm_services
    from kmop.idm.models import RightGrant
    from tests.projects.conftest import SYSTEM

    assert staff.get("/backoffice/").status_code == 200
    grant = RightGrant.objects.get(right__code="VLAIOInkomGebruiker")
    idm_services.right_grant_end(actor=SYSTEM, grant=grant)
    response = staff.get("/backoffice/")
    assert response.status_code == 302  # no organisation to act for any more: "aanmelden als"
    assert response["Location"].startswith("/aanmelden-als/")
    assert staff.post("/backoffice/uitbetalingen/").status_code == 403


def test_staff_with_a_security_code_may_look_but_not_act(staff: Client, setting: Setting) -> None:
    session = staff.session
    session[keys.ACR] = TOTP_ACR
    session.save()
    response = staff.get("/backoffice/uitbetalingen/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="level-warning"' in html
    assert "Betaalbestand aanmaken" not in html
    assert staff.post("/backoffice/uitbetalingen/").status_code == 403
    assert not AuditEvent.objects.filter(action="wallet.payouts.export").exists()


def test_the_predicates_on_acting() -> None:
    """Without the database's right definitions nobody is staff: the organisation comes from the data."""
    from kmop.acm.session import Acting
    from kmop.backoffice import permissions

    def acting(code: str, *roles: str, acr: str = "urn:be:vlaanderen:authmech:eid") -> Acting:
        return Acting(
            user=None,  # type: ignore[arg-type]
            national_number="83041899839",
            organisation_id=1,
            organisation_code=code,
            organisation_name="",
            roles=roles,
            acr=acr,
            method="eid",
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(permissions, "staff_organisation_codes", lambda right="": frozenset({"OVO003112"}))
        staff = acting("OVO003112", "VLAIOInkomGebruiker-Medewerker")
        manager = acting("OVO003112", "VLAIOInkomGebruiker-Medewerker", "VLAIOInkomToepassingsbeheerder")
        assert permissions.can_view_backoffice(staff)
        assert permissions.can_act_in_backoffice(staff)
        assert not permissions.is_application_manager(staff)
        assert permissions.is_application_manager(manager)
        assert not permissions.can_view_backoffice(acting("OVO003112", "VLAIOInkomToepassingsbeheerder"))
        assert not permissions.can_view_backoffice(acting("0934567878", "VLAIOInkomGebruiker-Medewerker"))
        assert not permissions.can_view_backoffice(acting("OVO003112", "VLAIOInkomGebruikerNieuw-Gebruiker"))
        assert not permissions.can_view_backoffice(None)
        totp = acting("OVO003112", "VLAIOInkomGebruiker-Medewerker", acr=TOTP_ACR)
        assert permissions.can_view_backoffice(totp)
        assert not permissions.can_act_in_backoffice(totp)

"""OpenID Connect in a real browser: the platform (relying party, at localhost) logs in through the bundled
ACM as external provider (at 127.0.0.1 on the same live server: another site for the browser), with the
demo eID simulator as the provider's login; every page axe-clean at desktop and mobile width."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey
from playwright.sync_api import Page, expect

from kmop.acm import session as keys
from kmop.audit.services import Actor
from kmop.oidc.services import client_register
from kmop.registers.models import (
    Denomination,
    Enterprise,
    LegalFunction,
    LegalFunctionCode,
    NationalRegisterPerson,
)

from .harness import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SOFIE = "79051499882"
HOUTATELIER, LEERWIJS = "0912345673", "0934567878"


@pytest.fixture
def external_acm(transactional_db: None, live_server, settings, tmp_path: Path) -> str:
    """RP mode against the bundled provider; Sofie represents two legal-person enterprises."""
    from django.core.cache import cache

    cache.clear()
    op = live_server.url.replace("localhost", "127.0.0.1")
    key = RSAKey.generate_key(2048, private=True, auto_kid=True)
    key_file = tmp_path / "rp.json"
    key_file.write_text(__import__("json").dumps(key.as_dict(private=True)))
    settings.DEMO_MODE = True
    settings.KMOP_OIDC_PROVIDER = True
    settings.KMOP_BASE_URL = op
    settings.KMOP_OIDC_SIGNING_KEY_FILE = str(tmp_path / "op.json")
    settings.KMOP_ACM_ISSUER = f"{op}/op"
    settings.KMOP_ACM_CLIENT_ID = "kmop-platform"
    settings.KMOP_ACM_PRIVATE_KEY_FILE = str(key_file)
    client_register(
        actor=Actor.system("tests"),
        client_id="kmop-platform",
        name="kmo-portefeuille",
        redirect_uris=[f"{live_server.url}/aanmelden/acm/terug/"],
        jwks={"keys": [key.as_dict(private=False)]},
    )
    NationalRegisterPerson.objects.create(
        national_number=SOFIE,
        first_name="Sofie",
        last_name="Verhaeghe",
        birth_date=date(1979, 5, 14),
        sex="F",
    )
    LegalFunctionCode.objects.update_or_create(
        code="10002", defaults={"label_nl": "Bestuurder", "label_en": "Director", "represents": True}
    )
    for number, name in ((HOUTATELIER, "Houtatelier Verhaeghe"), (LEERWIJS, "Leerwijs Opleidingen")):
        Enterprise.objects.create(
            enterprise_number=number,
            status="AC",
            juridical_situation="000",
            type_of_enterprise="2",
            juridical_form="610",
            start_date=date(2014, 3, 3),
        )
        Denomination.objects.create(
            entity_number=number, language="2", type_of_denomination="001", denomination=name
        )
        LegalFunction.objects.create(
            enterprise_id=number, person_number=SOFIE, function_id="10002", start_date=date(2014, 3, 3)
        )
    return op


def test_login_through_external_acm(page: Page, page_errors, external_acm: str, live_server) -> None:
    page.goto("/aanmelden/")
    # at the provider (another site): its login page with the bundled ACM's methods
    expect(page).to_have_url(re.compile(re.escape(external_acm) + r"/op/aanmelden/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden")
    check_page(page, "oidc-provider-login", page_errors)
    page.get_by_role("link", name="eID en aangesloten kaartlezer").click()
    page.get_by_role("button", name="Aanmelden als Sofie Verhaeghe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden als")
    check_page(page, "oidc-provider-act-as", page_errors)
    page.get_by_label(re.compile("Houtatelier Verhaeghe")).check()
    page.get_by_role("button", name="Verder").click()
    # back on the platform: logged in, acting for the organisation chosen at the provider
    # (the refresh page, the callback's code exchange over HTTP: allow a loaded machine its time)
    expect(page).to_have_url(f"{live_server.url}/", timeout=30_000)
    header = page.locator(".site-header__login")
    expect(header).to_contain_text("Sofie Verhaeghe")
    expect(header).to_contain_text("Houtatelier Verhaeghe")
    check_page(page, "oidc-platform-logged-in", page_errors)
    cookie = next(c for c in page.context.cookies(live_server.url) if c["name"] == "kmop_session")
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore(session_key=cookie["value"])
    assert session[keys.ORG_CODE] == HOUTATELIER
    assert session[keys.ROLES] == ["VLAIOInkomGebruikerNieuw-Gebruiker"]


def test_a_forged_callback_shows_a_clear_page(page: Page, page_errors, external_acm: str) -> None:
    response = page.goto("/aanmelden/acm/terug/?code=x&state=forged")
    assert response is not None
    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden is niet gelukt")
    check_page(page, "oidc-callback-error", page_errors, allow_errors=("400",))

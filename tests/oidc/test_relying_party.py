"""The platform as relying party of an external ACM, and the itsme adapter, tested against the bundled
provider over real HTTP: one live server is both, the provider at 127.0.0.1 and the relying party at
localhost (two hosts, so two cookie jars, as two sites would have). Plus the ID token checks and the
mapping of the role claims, with a role for another organisation refused."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.test import Client as DjangoClient
from joserfc import jwt

from kmop.acm import selectors as acm_selectors
from kmop.acm import session as keys
from kmop.acm.selectors import acting_roles, external_roles_from_claims, parse_role
from kmop.audit.models import AuditEvent
from kmop.idm import services
from kmop.idm.models import Organisation
from kmop.oidc import keys as signing
from kmop.oidc.relying_party import RelyingPartyError, validate_id_token

from .conftest import JONAS, SOFIE, SYSTEM, A, B, N, RpKey, World, make_rp_key, register

EID = "urn:be:vlaanderen:authmech:eid"
IMPLICIT = "VLAIOInkomGebruikerNieuw-Gebruiker"


def _grant(world: World, number: str, organisation: Organisation) -> None:
    relation = world.relation(number, organisation)
    services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )


# --- over HTTP --------------------------------------------------------------------------------------


class Sites:
    def __init__(self, live_url: str) -> None:
        self.rp = live_url  # http://localhost:PORT
        self.op = live_url.replace("localhost", "127.0.0.1")


@pytest.fixture
def sites(live_server, transactional_db: None, settings, tmp_path: Path) -> Sites:
    cache.clear()
    found = Sites(live_server.url)
    assert "localhost" in found.rp
    settings.KMOP_BASE_URL = found.op
    return found


@pytest.fixture
def acm_mode(sites: Sites, settings, rp_key: RpKey) -> Sites:
    settings.KMOP_ACM_ISSUER = f"{sites.op}/op"
    settings.KMOP_ACM_CLIENT_ID = "kmop-platform"
    settings.KMOP_ACM_PRIVATE_KEY_FILE = str(rp_key.path)
    settings.KMOP_ACM_SCOPES = "openid profile vo rrn"
    register("kmop-platform", [f"{sites.rp}/aanmelden/acm/terug/"], jwks=rp_key.public_jwks)
    return sites


def _simulator_login(browser: requests.Session, sites: Sites, number: str) -> requests.Response:
    page = browser.get(f"{sites.op}/aanmelden/simulator/eid/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    return browser.post(
        f"{sites.op}/aanmelden/simulator/eid/",
        data={"csrfmiddlewaretoken": token.group(1), "national_number": number},
        timeout=60,
    )


def _rp_session(browser: requests.Session) -> SessionStore:
    jar = [c for c in browser.cookies if c.name == "kmop_session" and c.domain.startswith("localhost")]
    assert len(jar) == 1
    return SessionStore(session_key=jar[0].value)


def test_login_through_the_external_acm_over_http(acm_mode: Sites, world: World, clock) -> None:
    """/aanmelden/ → external ACM (discovery, PKCE, state, nonce) → its login and aanmelden als → callback:
    the code is exchanged with private_key_jwt, the ID token checked against the JWKS; the person acts for
    the organisation of the token with the same roles as a local login."""
    _grant(world, SOFIE, world.b)  # Sofie: legal representative of A, a right in B
    browser = requests.Session()
    response = browser.get(f"{acm_mode.rp}/aanmelden/?login_hint=", timeout=30)
    assert response.url.startswith(f"{acm_mode.op}/op/aanmelden/?next=%2Fop%2Fauthorize%2F")
    assert "code_challenge_method%3DS256" in response.url
    assert "nonce%3D" in response.url
    response = _simulator_login(browser, acm_mode, SOFIE)
    assert response.url == f"{acm_mode.op}/aanmelden-als/"  # two organisations: the person chooses at ACM
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
    assert token
    response = browser.post(
        f"{acm_mode.op}/aanmelden-als/",
        data={"csrfmiddlewaretoken": token.group(1), "organisation": A},
        timeout=60,
    )
    assert response.status_code == 200
    assert response.url == f"{acm_mode.rp}/"  # back on the platform, logged in
    session = _rp_session(browser)
    assert session[keys.ORG_CODE] == A
    assert session[keys.METHOD] == "eid"
    assert session[keys.ACR] == EID
    assert session[keys.ROLES] == [IMPLICIT]
    assert session[acm_selectors.EXTERNAL_ROLES]["wv"] == A
    # the same roles as a local login of the same person for the same organisation
    assert tuple(session[keys.ROLES]) == acting_roles(SOFIE, world.a.pk)
    assert AuditEvent.objects.filter(action="acm.act_as", after__via="acm").exists()
    # the next request is re-checked from the kept claims: still acting for A
    home = browser.get(f"{acm_mode.rp}/", timeout=30)
    assert home.status_code == 200
    assert _rp_session(browser)[keys.ORG_CODE] == A


def test_login_hint_goes_to_the_external_acm(acm_mode: Sites, world: World, clock) -> None:
    from kmop.acm.hints import make_login_hint

    _grant(world, SOFIE, world.b)
    browser = requests.Session()
    browser.get(f"{acm_mode.rp}/aanmelden/", params={"login_hint": make_login_hint("EA", B)}, timeout=30)
    response = _simulator_login(browser, acm_mode, SOFIE)
    assert response.url == f"{acm_mode.rp}/"  # the hint chose B at the provider: no question
    session = _rp_session(browser)
    assert session[keys.ORG_CODE] == B
    assert session[keys.ROLES] == [IMPLICIT]
    assert tuple(session[keys.ROLES]) == acting_roles(SOFIE, world.b.pk)


def test_next_to_another_site_is_not_followed(acm_mode: Sites, world: World, clock) -> None:
    _grant(world, JONAS, world.a)
    browser = requests.Session()
    browser.get(f"{acm_mode.rp}/aanmelden/", params={"next": "https://evil.example/"}, timeout=30)
    response = _simulator_login(browser, acm_mode, JONAS)
    assert response.url == f"{acm_mode.rp}/"
    assert all("evil" not in r.headers.get("Location", "") for r in response.history)


def test_a_forged_callback_is_refused(acm_mode: Sites, world: World, clock) -> None:
    browser = requests.Session()
    browser.get(f"{acm_mode.rp}/aanmelden/", timeout=30)  # a login started: state in the session
    response = browser.get(f"{acm_mode.rp}/aanmelden/acm/terug/?code=x&state=forged", timeout=30)
    assert response.status_code == 400
    assert "Aanmelden is niet gelukt" in response.text
    assert keys.ORG_ID not in _rp_session(browser)


def test_itsme_adapter_over_http(sites: Sites, world: World, settings, tmp_path: Path, clock) -> None:
    """The itsme adapter against a test double of itsme (the bundled provider): its claim with the national
    number logs the person in with the itsme method; "aanmelden als" then uses the local grants."""
    key = make_rp_key(tmp_path / "itsme-rp.json")
    settings.KMOP_ITSME_DISCOVERY_URL = f"{sites.op}/op/.well-known/openid-configuration"
    settings.KMOP_ITSME_CLIENT_ID = "kmop-itsme"
    settings.KMOP_ITSME_PRIVATE_KEY_FILE = str(key.path)
    settings.KMOP_ITSME_SERVICE_CODE = "KMOP_LOGIN"
    settings.KMOP_ITSME_NATIONAL_NUMBER_CLAIM = "rrn"  # the test double's name for it
    register("kmop-itsme", [f"{sites.rp}/aanmelden/itsme/terug/"], jwks=key.public_jwks)
    _grant(world, JONAS, world.a)
    browser = requests.Session()
    response = browser.get(f"{sites.rp}/aanmelden/itsme/", timeout=30)
    authorization = response.history[0].headers["Location"]
    assert "scope=openid+service%3AKMOP_LOGIN+profile+eid" in authorization  # itsme's service scope
    assert "acr_values=http%3A%2F%2Fitsme.services%2Fv2%2Fclaim%2Facr_advanced" in authorization
    response = _simulator_login(browser, sites, JONAS)
    assert response.url == f"{sites.rp}/"  # itsme login, then the only organisation
    session = _rp_session(browser)
    assert session[keys.METHOD] == "itsme"
    assert session[keys.ACR] == "urn:be:vlaanderen:authmech:itsme"
    assert session[keys.ORG_CODE] == A
    assert acm_selectors.EXTERNAL_ROLES not in session  # local grants, not claims


# --- ID token checks ---------------------------------------------------------------------------------

METADATA = {"issuer": "http://127.0.0.1:9/op", "jwks_uri": "http://127.0.0.1:9/op/jwks/"}


def _signed(**overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": METADATA["issuer"],
        "aud": ["kmop-platform"],
        "sub": "abc",
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
        "acr": EID,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    key = signing.signing_key()
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


@pytest.fixture
def provider_keys(db: None) -> None:
    cache.set(f"oidc:jwks:{METADATA['jwks_uri']}", signing.public_jwks())


def test_a_valid_id_token_passes(provider_keys: None) -> None:
    claims = validate_id_token(_signed(), metadata=METADATA, client_id="kmop-platform", nonce="n-1")
    assert claims["sub"] == "abc"


@pytest.mark.parametrize(
    "overrides",
    [
        {"nonce": "other"},
        {"nonce": None},
        {"aud": ["someone-else"]},
        {"iss": "http://127.0.0.1:9/other"},
        {"exp": int(time.time()) - 3600},
        {"aud": ["kmop-platform", "other"]},  # several audiences without azp
    ],
)
def test_id_token_checks(provider_keys: None, overrides: dict[str, Any]) -> None:
    with pytest.raises(RelyingPartyError):
        validate_id_token(_signed(**overrides), metadata=METADATA, client_id="kmop-platform", nonce="n-1")


def test_id_token_signed_by_another_key_is_refused(provider_keys: None, tmp_path: Path) -> None:
    other = make_rp_key(tmp_path / "k.json").key
    forged = jwt.encode(
        {"alg": "RS256", "kid": signing.signing_key().kid}, {"iss": METADATA["issuer"]}, other
    )
    cache.set(f"oidc:jwks:{METADATA['jwks_uri']}", signing.public_jwks())
    with pytest.raises(RelyingPartyError):
        validate_id_token(forged, metadata=METADATA, client_id="kmop-platform", nonce="n-1")


# --- role claims -------------------------------------------------------------------------------------


def test_parse_role() -> None:
    assert parse_role(f"VLAIOInkomGebruikerNieuw-Gebruiker:{A}") == (IMPLICIT, A)
    assert parse_role("VLAIOInkomToepassingsbeheerder:OVO003112") == (
        "VLAIOInkomToepassingsbeheerder",
        "OVO003112",
    )
    # the first "-" after the right code splits; a context value may hold more dashes; the last ":" splits
    assert parse_role("DienstverlenerKmoPortefeuilleDepartementen-Dep-1:0428315871") == (
        "DienstverlenerKmoPortefeuilleDepartementen-Dep-1",
        "0428315871",
    )
    assert parse_role("Recht-Ctx:met:dubbelpunt:0428315871") == ("Recht-Ctx:met:dubbelpunt", "0428315871")
    for bad in ("", "zonder-organisatie", ":0428315871", "Recht-:0428315871", "Recht:", 5):
        assert parse_role(bad) is None  # type: ignore[arg-type]


def test_claim_name_is_case_insensitive_and_may_be_a_json_string() -> None:
    listed = external_roles_from_claims({"VLAIO_Inkom_Rol_3D": [f"{IMPLICIT}:{A}"]})
    assert listed.roles == {A: (IMPLICIT,)}
    as_text = external_roles_from_claims({"vlaio_inkom_rol_3d": f'["{IMPLICIT}:{B}"]', "wv_orgcode": A})
    assert as_text.roles == {B: (IMPLICIT,)}
    assert as_text.wv_orgcode == A


def _rp_logged_in(client: DjangoClient, settings, claims: dict[str, Any], organisation: Organisation) -> None:
    """A session as after an external ACM login with these claims, acting for ``organisation``."""
    from kmop.acm.models import User

    settings.KMOP_ACM_ISSUER = "https://acm.example/op"
    user = User.objects.create(username=JONAS, national_number=JONAS)
    client.force_login(user)
    session = client.session
    session[keys.LOGIN_AT] = time.time()
    session[keys.ACR] = EID
    session[keys.METHOD] = "eid"
    session[acm_selectors.EXTERNAL_ROLES] = external_roles_from_claims(
        claims, login_at=session[keys.LOGIN_AT]
    ).as_session()
    session[keys.ORG_ID] = organisation.pk
    session[keys.ORG_CODE] = organisation.code
    session[keys.ORG_NAME] = organisation.name
    session.save()


def test_a_role_for_another_organisation_gives_no_access(
    client: DjangoClient, world: World, settings
) -> None:
    """Abuse: the token has a role for B; the session (tampered, or a switch) says A: refused on the next
    request, whatever the local grants say."""
    _grant(world, JONAS, world.a)  # even a local grant in A does not count for an external login
    _rp_logged_in(client, settings, {"vlaio_inkom_rol_3d": [f"{IMPLICIT}:{B}"]}, world.a)
    response = client.get("/")
    assert keys.ORG_ID not in client.session
    assert response.status_code == 302
    # and with the organisation the token names, access stays
    client.logout()
    from kmop.acm.models import User

    User.objects.filter(username=JONAS).delete()
    _rp_logged_in(client, settings, {"vlaio_inkom_rol_3d": [f"{IMPLICIT}:{B}"]}, world.b)
    response = client.get("/")
    assert response.status_code == 200
    assert client.session[keys.ORG_CODE] == B
    assert client.session[keys.ROLES] == [IMPLICIT]


def test_wv_orgcode_of_a_natural_person_enterprise_gives_no_implicit_role(
    client: DjangoClient, world: World, settings
) -> None:
    _rp_logged_in(client, settings, {"wv_orgcode": N}, world.n)
    client.get("/")
    assert keys.ORG_ID not in client.session


def test_the_token_chooses_only_an_organisation_it_names(world: World) -> None:
    external = external_roles_from_claims({"vlaio_inkom_rol_3d": [f"{IMPLICIT}:{B}"]})
    assert external.chosen_organisation(A) is None  # vo_orgcode A, but no role for A
    assert external.chosen_organisation("") == B
    assert acm_selectors.external_acting_option(external, A) is None
    option = acm_selectors.external_acting_option(external, B)
    assert option is not None
    assert option.roles == (IMPLICIT,)
    # an inactive organisation gives nothing
    Organisation.objects.filter(pk=world.b.pk).update(active=False)
    assert acm_selectors.external_acting_option(external, B) is None


def test_rp_mode_sends_the_login_page_to_the_external_acm(client: DjangoClient, db: None, settings) -> None:
    settings.KMOP_ACM_ISSUER = "https://acm.example/op"
    response = client.get("/aanmelden/", {"next": "/x/", "login_hint": "abc"})
    assert response.status_code == 302
    assert response["Location"] == "/aanmelden/acm/?next=%2Fx%2F&login_hint=abc"
    settings.KMOP_ACM_ISSUER = ""
    assert client.get("/aanmelden/").status_code == 200

"""The bundled ACM as OpenID Connect provider: discovery, JWKS, the code flow with PKCE, client
authentication, the claims, and what it refuses."""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.test import Client as DjangoClient
from joserfc import jwt
from joserfc.jwk import KeySet

from kmop.acm.hints import make_login_hint
from kmop.idm import services
from kmop.oidc.models import AccessToken

from .conftest import (
    ISSUER,
    JONAS,
    REDIRECT_URI,
    SOFIE,
    SYSTEM,
    TOKEN_URL,
    A,
    B,
    Flow,
    RpKey,
    World,
    assertion,
    login_and_authorize,
    make_rp_key,
    query,
    register,
    token_request,
)

pytestmark = pytest.mark.django_db

ACRS = {
    "urn:be:vlaanderen:authmech:eid",
    "urn:be:vlaanderen:authmech:itsme",
    "urn:be:vlaanderen:authmech:csamtotp",
    "urn:be:vlaanderen:authmech:csamsms",
}


def _grant(world: World, number: str, organisation, context: str = "Gebruiker") -> None:
    relation = world.relation(number, organisation)
    services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code="VLAIOInkomGebruikerNieuw", context_values=[context]
    )


def _jwks(client: DjangoClient) -> KeySet:
    return KeySet.import_key_set(client.get("/op/jwks/").json())


def _id_token(client: DjangoClient, value: str) -> dict:
    return dict(jwt.decode(value, _jwks(client)).claims)


def test_discovery(client: DjangoClient) -> None:
    data = client.get("/op/.well-known/openid-configuration").json()
    assert data["issuer"] == ISSUER
    assert data["token_endpoint"] == TOKEN_URL
    assert data["authorization_endpoint"] == "http://localhost/op/authorize/"
    assert data["jwks_uri"] == "http://localhost/op/jwks/"
    assert data["userinfo_endpoint"] == "http://localhost/op/userinfo/"
    assert set(data["acr_values_supported"]) == ACRS
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert {"private_key_jwt", "client_secret_basic"} <= set(data["token_endpoint_auth_methods_supported"])
    assert data["response_types_supported"] == ["code"]
    for claim in ("sub", "rrn", "vo_orgcode", "wv_orgcode", "vlaio_inkom_rol_3d", "acr", "amr", "vo_email"):
        assert claim in data["claims_supported"]


def test_jwks_has_only_the_public_key(client: DjangoClient) -> None:
    keys = client.get("/op/jwks/").json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA"
    assert keys[0]["alg"] == "RS256"
    assert keys[0]["kid"]
    assert "d" not in keys[0]
    assert "p" not in keys[0]


def test_code_flow_claims_and_userinfo(
    client: DjangoClient, world: World, rp_client, rp_key: RpKey, flow: Flow
):
    _grant(world, JONAS, world.a)
    location = login_and_authorize(client, flow, JONAS)
    assert location.startswith(REDIRECT_URI + "?")
    params = query(location)
    assert params["state"] == flow.state
    response = token_request(client, params["code"], flow.verifier, rp_key.key)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    token = response.json()
    assert token["token_type"].lower() == "bearer"
    assert token["expires_in"] == 3600
    claims = _id_token(client, token["id_token"])  # the JWKS validates the signature
    assert claims["iss"] == ISSUER
    assert claims["aud"] == ["kmop-rp"]
    assert claims["nonce"] == flow.nonce
    assert claims["rrn"] == JONAS
    assert (claims["given_name"], claims["family_name"]) == ("Jonas", "De Smet")
    assert claims["vo_orgcode"] == A
    assert claims["vo_orgnaam"] == world.a.name
    assert claims["vo_doelgroepcode"] == "EA"
    assert claims["vo_doelgroepnaam"] == "Economische actoren"
    assert claims["vo_email"] == "x@example.org"
    assert claims["acr"] == "urn:be:vlaanderen:authmech:eid"
    assert claims["amr"] == ["eid"]
    assert claims["vlaio_inkom_rol_3d"] == [f"VLAIOInkomGebruikerNieuw-Gebruiker:{A}"]
    assert "wv_orgcode" not in claims
    assert claims["sub"]
    assert claims["sub"] != JONAS
    assert JONAS not in claims["sub"]
    assert claims["vo_id"]
    assert claims["at_hash"]
    # userinfo gives the same claims for the access token
    info = client.get("/op/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}").json()
    assert info["sub"] == claims["sub"]
    assert info["vlaio_inkom_rol_3d"] == claims["vlaio_inkom_rol_3d"]
    # the subject is stable for the person
    client.post("/afmelden/")
    second = Flow(flow.verifier, flow.challenge, "s2", "n2")
    params = query(login_and_authorize(client, second, JONAS))
    again = _id_token(
        client, token_request(client, params["code"], flow.verifier, rp_key.key).json()["id_token"]
    )
    assert again["sub"] == claims["sub"]


def test_legal_representative_gets_wv_orgcode_and_login_hint_chooses(
    client: DjangoClient, world: World, rp_client, rp_key: RpKey, flow: Flow
) -> None:
    _grant(world, SOFIE, world.b)  # Sofie: legal representative of A, a right in B
    hint_a = make_login_hint("EA", A)
    params = query(login_and_authorize(client, flow, SOFIE, login_hint=hint_a))
    claims = _id_token(
        client, token_request(client, params["code"], flow.verifier, rp_key.key).json()["id_token"]
    )
    assert claims["vo_orgcode"] == A
    assert claims["wv_orgcode"] == A
    assert claims["vlaio_inkom_rol_3d"] == []  # no grant in A: the implicit profile comes from wv_orgcode
    # logged in, acting for A; a hint for B asks "aanmelden als" with B preselected, then comes back
    flow_b = Flow(flow.verifier, flow.challenge, "sb", "nb")
    response = client.get("/op/authorize/", flow_b.params(login_hint=make_login_hint("EA", B)))
    assert response["Location"] == "/aanmelden-als/"
    page = client.get("/aanmelden-als/")
    assert page.status_code == 200
    response = client.post("/aanmelden-als/", {"organisation": B})
    response = client.get(response["Location"])
    params = query(response["Location"])
    claims = _id_token(
        client, token_request(client, params["code"], flow.verifier, rp_key.key).json()["id_token"]
    )
    assert claims["vo_orgcode"] == B
    assert "wv_orgcode" not in claims
    assert claims["vlaio_inkom_rol_3d"] == [f"VLAIOInkomGebruikerNieuw-Gebruiker:{B}"]


def _logged_in_code(client: DjangoClient, world: World, flow: Flow) -> str:
    _grant(world, JONAS, world.a)
    return query(login_and_authorize(client, flow, JONAS))["code"]


def test_pkce_is_required(client: DjangoClient, world: World, rp_client, flow: Flow) -> None:
    for extra in ({"code_challenge": ""}, {"code_challenge_method": "plain"}, {"code_challenge_method": ""}):
        response = client.get("/op/authorize/", flow.params(**extra))
        assert response.status_code == 302
        assert response["Location"].startswith(REDIRECT_URI)  # a registered URI: the error goes back to it
        params = query(response["Location"])
        assert params["error"] == "invalid_request"
        assert params["state"] == flow.state
        assert "code" not in params


def test_wrong_or_missing_verifier_is_refused(
    client: DjangoClient, world: World, rp_client, rp_key: RpKey, flow: Flow
) -> None:
    code = _logged_in_code(client, world, flow)
    wrong = token_request(client, code, "x" * 50, rp_key.key)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    missing = token_request(client, code, None, rp_key.key)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    assert not AccessToken.objects.exists()


def test_replayed_code_is_refused_and_revokes(
    client: DjangoClient, world: World, rp_client, rp_key: RpKey, flow: Flow
) -> None:
    code = _logged_in_code(client, world, flow)
    first = token_request(client, code, flow.verifier, rp_key.key)
    assert first.status_code == 200
    access = first.json()["access_token"]
    assert client.get("/op/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    second = token_request(client, code, flow.verifier, rp_key.key)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert client.get("/op/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401


def test_client_assertion_audience_signature_and_replay(
    client: DjangoClient, world: World, rp_client, rp_key: RpKey, flow: Flow, tmp_path
) -> None:
    code = _logged_in_code(client, world, flow)
    # another key, a wrong audience: refused
    other = make_rp_key(tmp_path / "other.json")
    assert token_request(client, code, flow.verifier, other.key).status_code in (400, 401)
    wrong_aud = token_request(client, code, flow.verifier, rp_key.key, audience="https://elsewhere.example/")
    assert wrong_aud.status_code in (400, 401)
    assert wrong_aud.json()["error"] == "invalid_client"
    # the token endpoint URL is accepted as audience as well as the issuer
    ok = token_request(client, code, flow.verifier, rp_key.key, audience=TOKEN_URL)
    assert ok.status_code == 200
    # an assertion is used once
    flow2 = Flow(flow.verifier, flow.challenge, "s2", "n2")
    code2 = query(client.get("/op/authorize/", flow2.params())["Location"])["code"]
    used = assertion(rp_key.key, "kmop-rp", ISSUER, jti="once")
    assert token_request(client, code2, flow.verifier, rp_key.key, client_assertion=used).status_code == 200
    flow3 = Flow(flow.verifier, flow.challenge, "s3", "n3")
    code3 = query(client.get("/op/authorize/", flow3.params())["Location"])["code"]
    replay = token_request(client, code3, flow.verifier, rp_key.key, client_assertion=used)
    assert replay.status_code in (400, 401)
    assert replay.json()["error"] == "invalid_client"
    # no client authentication at all: refused
    bare = token_request(
        client, code3, flow.verifier, rp_key.key, client_assertion=None, client_assertion_type=None
    )
    assert bare.status_code in (400, 401)


def test_client_secret_basic(client: DjangoClient, world: World, flow: Flow) -> None:
    _client, secret = register("basic-rp", [REDIRECT_URI], secret=True)
    code = query(
        login_and_authorize(client, flow, JONAS, client_id="basic-rp")
        if _grant(world, JONAS, world.a) is None
        else ""
    )["code"]
    basic = base64.b64encode(f"basic-rp:{secret}".encode()).decode()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": flow.verifier,
    }
    wrong = base64.b64encode(b"basic-rp:not-the-secret").decode()
    assert client.post("/op/token/", data, HTTP_AUTHORIZATION=f"Basic {wrong}").status_code == 401
    response = client.post("/op/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200
    assert _id_token(client, response.json()["id_token"])["aud"] == ["basic-rp"]


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/cb",
        REDIRECT_URI + "extra",
        REDIRECT_URI.replace("localhost", "localhost.evil.example"),
        REDIRECT_URI + "?next=https://evil.example/",
    ],
)
def test_unregistered_redirect_uri_is_never_followed(
    client: DjangoClient, world: World, rp_client, flow: Flow, redirect_uri: str
) -> None:
    response = client.get("/op/authorize/", flow.params(redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "Location" not in response
    assert "Aanmelden is niet gelukt" in response.content.decode()


def test_unknown_client_is_an_error_page(client: DjangoClient, world: World, flow: Flow) -> None:
    response = client.get("/op/authorize/", flow.params(client_id="nobody"))
    assert response.status_code == 400
    assert "Location" not in response


def test_provider_login_keeps_only_an_authorization_path(client: DjangoClient, world: World) -> None:
    from kmop.acm import session as keys

    client.get("/op/aanmelden/", {"next": "https://evil.example/op/authorize/"})
    assert keys.NEXT not in client.session
    client.get("/op/aanmelden/", {"next": "//evil.example/op/authorize/"})
    assert keys.NEXT not in client.session
    client.get("/op/aanmelden/", {"next": "/op/authorize/?client_id=x"})
    assert client.session[keys.NEXT] == "/op/authorize/?client_id=x"


def test_a_higher_acr_asks_a_new_login(client: DjangoClient, world: World, rp_client, flow: Flow) -> None:
    from kmop.acm import session as keys

    _grant(world, JONAS, world.a)
    login_and_authorize(client, flow, JONAS)
    session = client.session
    session[keys.ACR] = "urn:be:vlaanderen:authmech:csamtotp"  # as after a security-code login
    session.save()
    again = Flow(flow.verifier, flow.challenge, "s2", "n2")
    response = client.get("/op/authorize/", again.params(acr_values="urn:be:vlaanderen:authmech:eid"))
    assert response["Location"].startswith("/op/aanmelden/")
    response = client.get("/op/authorize/", again.params(acr_values="urn:be:vlaanderen:authmech:csamtotp"))
    assert response["Location"].startswith(REDIRECT_URI + "?code=")


def test_provider_off_is_404(client: DjangoClient, settings) -> None:
    settings.KMOP_OIDC_PROVIDER = False
    assert client.get("/op/.well-known/openid-configuration").status_code == 404
    assert client.get("/op/authorize/").status_code == 404


def test_role_claim_json_shape(
    client: DjangoClient, world: World, rp_client, rp_key: RpKey, flow: Flow
) -> None:
    code = _logged_in_code(client, world, flow)
    id_token = token_request(client, code, flow.verifier, rp_key.key).json()["id_token"]
    payload = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))
    assert isinstance(payload["vlaio_inkom_rol_3d"], list)


def test_after_own_forms_the_way_back_is_a_page(
    client: DjangoClient, world: World, rp_client, flow: Flow
) -> None:
    """Browsers apply the login form's CSP (form-action 'self') to its redirects: after our own pages the
    code goes back through a page with an immediate refresh and a link, to the registered URI only."""
    _grant(world, JONAS, world.a)
    login_and_authorize(client, flow, JONAS)
    again = Flow(flow.verifier, flow.challenge, "s2", "n2")
    response = client.get("/op/authorize/", again.params(), HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 200
    html = response.content.decode()
    link = re.search(r'<a class="button" href="([^"]+)"', html)
    assert link is not None
    assert link.group(1).startswith(REDIRECT_URI + "?code=")
    assert f'content="0;url={link.group(1)}"' in html

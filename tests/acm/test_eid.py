"""Production eID adapter: the client certificate passed by a trusted TLS proxy, checked against the
configured CA certificates; the simulator only in demo mode. Certificates are made with ``cryptography``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import Client
from django.utils import timezone

from kmop.acm import session as keys
from kmop.acm.models import User
from kmop.audit.models import AuditEvent

from .conftest import NOBODY, SOFIE, World

pytestmark = pytest.mark.django_db

URL = "/aanmelden/eid/"
PROXY = "10.0.0.5"
HEADER = "HTTP_X_SSL_CLIENT_CERT"
REFUSED = "Aanmelden met eID is niet gelukt."


def _name(common_name: str, serial: str = "") -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if serial:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attributes)


@dataclass
class Issued:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def issue(
    subject: x509.Name,
    issuer: Issued | None,
    *,
    ca: bool,
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
) -> Issued:
    now = timezone.now()  # the tests' clock (the world's fixed day)
    not_before = not_before or now - datetime.timedelta(days=30)
    not_after = not_after or now + datetime.timedelta(days=365)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    certificate = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return Issued(certificate, key)


def pem(issued: Issued) -> str:
    return issued.certificate.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class Pki:
    root: Issued
    citizen_ca: Issued
    sofie: Issued


@pytest.fixture
def pki(settings, tmp_path: Path, world: World) -> Pki:
    root = issue(_name("Belgium Root CA4 (test)"), None, ca=True)
    citizen_ca = issue(_name("Citizen CA (test)"), root, ca=True)
    sofie = issue(_name("Sofie Verhaeghe (Authentication)", SOFIE), citizen_ca, ca=False)
    bundle = tmp_path / "eid-ca.pem"
    bundle.write_text(pem(root) + pem(citizen_ca))
    settings.KMOP_EID_CA_FILE = str(bundle)
    settings.KMOP_EID_CERT_HEADER = "X-SSL-Client-Cert"
    settings.KMOP_TRUSTED_PROXIES = [PROXY]
    settings.DEMO_MODE = False
    return Pki(root, citizen_ca, sofie)


def post(client: Client, certificate: Issued | str | None, address: str = PROXY):
    extra = {"REMOTE_ADDR": address}
    if certificate is not None:
        extra[HEADER] = quote(certificate if isinstance(certificate, str) else pem(certificate))
    return client.post(URL, **extra)


def last_failure() -> str:
    return AuditEvent.objects.filter(action="acm.login.failed").latest("pk").reason


def test_a_valid_certificate_logs_in(client: Client, world: World, pki: Pki) -> None:
    assert client.get(URL).status_code == 200  # a start page: no login by a GET
    assert "_auth_user_id" not in client.session
    response = post(client, pki.sofie)
    assert response.status_code == 302
    assert response["Location"] == "/aanmelden-als/"
    assert client.session[keys.ACR] == "urn:be:vlaanderen:authmech:eid"
    assert int(client.session["_auth_user_id"]) == User.objects.get(national_number=SOFIE).pk


def test_the_header_from_an_untrusted_address_is_ignored(client: Client, world: World, pki: Pki) -> None:
    response = post(client, pki.sofie, address="198.51.100.20")  # straight to the app, not via the proxy
    assert response.status_code == 403
    assert REFUSED in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert last_failure() == "eid: no certificate"


def test_an_expired_certificate_is_refused(client: Client, world: World, pki: Pki) -> None:
    expired = issue(
        _name("Sofie Verhaeghe (Authentication)", SOFIE),
        pki.citizen_ca,
        ca=False,
        not_before=timezone.now() - datetime.timedelta(days=3650),
        not_after=timezone.now() - datetime.timedelta(days=1),
    )
    assert post(client, expired).status_code == 403
    assert "_auth_user_id" not in client.session
    assert last_failure() == "eid: certificate not valid now"


def test_an_expired_ca_is_refused(client: Client, world: World, pki: Pki, settings, tmp_path: Path) -> None:
    old_ca = issue(
        _name("Citizen CA (old)"), pki.root, ca=True, not_after=timezone.now() - datetime.timedelta(days=1)
    )
    leaf = issue(_name("Sofie", SOFIE), old_ca, ca=False)
    (tmp_path / "eid-ca.pem").write_text(pem(pki.root) + pem(pki.citizen_ca) + pem(old_ca))
    assert post(client, leaf).status_code == 403
    assert last_failure() == "eid: CA certificate not valid now"


def test_a_certificate_of_another_ca_is_refused(client: Client, world: World, pki: Pki) -> None:
    # same names as the real chain, other keys: the signature does not match
    fake_root = issue(_name("Belgium Root CA4 (test)"), None, ca=True)
    fake_ca = issue(_name("Citizen CA (test)"), fake_root, ca=True)
    forged = issue(_name("Sofie Verhaeghe (Authentication)", SOFIE), fake_ca, ca=False)
    assert post(client, forged).status_code == 403
    assert "_auth_user_id" not in client.session
    assert last_failure() == "eid: not issued by a configured CA"
    self_signed = issue(_name("Sofie", SOFIE), None, ca=False)
    assert post(client, self_signed).status_code == 403


def test_a_leaf_cannot_issue(client: Client, world: World, pki: Pki, tmp_path: Path) -> None:
    """A person's certificate (no CA) in the bundle by mistake still cannot sign another one."""
    other = issue(_name("Other", SOFIE), pki.sofie, ca=False)
    (tmp_path / "eid-ca.pem").write_text(pem(pki.root) + pem(pki.citizen_ca) + pem(pki.sofie))
    assert post(client, other).status_code == 403
    assert last_failure() == "eid: not issued by a configured CA"


def test_unreadable_or_unknown_is_refused(client: Client, world: World, pki: Pki) -> None:
    assert post(client, "-----BEGIN CERTIFICATE-----\nnonsense\n-----END CERTIFICATE-----").status_code == 403
    assert last_failure() == "eid: unreadable certificate"
    nobody = issue(_name("Nobody", NOBODY), pki.citizen_ca, ca=False)
    assert post(client, nobody).status_code == 403
    assert last_failure().startswith("eid: not in the national register")
    no_number = issue(_name("No number"), pki.citizen_ca, ca=False)
    assert post(client, no_number).status_code == 403
    assert last_failure() == "eid: no national number in the subject"
    assert "_auth_user_id" not in client.session


def test_without_ca_file_everything_is_refused(client: Client, world: World, pki: Pki, settings) -> None:
    settings.KMOP_EID_CA_FILE = ""
    assert post(client, pki.sofie).status_code == 403
    assert last_failure() == "eid: no CA certificates configured"


def test_the_simulator_is_refused_outside_demo_mode(client: Client, world: World, pki: Pki) -> None:
    assert client.get("/aanmelden/simulator/eid/").status_code == 404
    assert client.post("/aanmelden/simulator/eid/", {"national_number": SOFIE}).status_code == 404
    assert client.post("/aanmelden/simulator/itsme/", {"national_number": SOFIE}).status_code == 404
    assert "_auth_user_id" not in client.session
    html = client.get("/aanmelden/").content.decode()
    assert f'href="{URL}"' in html  # eID goes to the certificate adapter
    assert "/aanmelden/simulator/" not in html


def test_in_demo_mode_the_login_page_links_the_simulator(client: Client, settings) -> None:
    settings.DEMO_MODE = True
    html = client.get("/aanmelden/").content.decode()
    assert 'href="/aanmelden/simulator/eid/"' in html
    assert f'href="{URL}"' not in html


def test_itsme_points_to_the_oidc_login_outside_demo_mode(settings) -> None:
    from django.urls import NoReverseMatch, reverse

    from kmop.acm.methods import get_method

    settings.DEMO_MODE = False
    itsme = get_method("itsme")
    assert itsme is not None
    try:
        expected = reverse("oidc:itsme-start")
    except NoReverseMatch:  # the oidc app does not provide it (yet): the method is listed, not linked
        expected = ""
    assert itsme.url == expected
    assert itsme.available == bool(expected)

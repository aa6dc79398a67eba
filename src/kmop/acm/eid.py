"""Production eID adapter: the TLS proxy in front of the platform asks for the client certificate of the eID
card (the authentication certificate), checks the TLS handshake, and passes the certificate on in a header
(``KMOP_EID_CERT_HEADER``, PEM, URL-encoded, as nginx's ``$ssl_client_escaped_cert``).

The header is believed only from a trusted proxy (``KMOP_TRUSTED_PROXIES``); the certificate must chain up
to one of the configured CA certificates (``KMOP_EID_CA_FILE``: the Belgium Root CAs and the citizen CAs, PEM)
with every certificate of the chain valid now; the national number is the subject's ``serialNumber``. Anything
else is refused. See decision 0008.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from kmop.acm.network import from_trusted_proxy

MAX_CHAIN = 5


class CertificateRefused(Exception):
    """Why a certificate was not accepted (for the audit; the person sees one message)."""


@dataclass(frozen=True)
class EidIdentity:
    national_number: str
    subject: str
    serial: int


def header_meta_key() -> str:
    name = getattr(settings, "KMOP_EID_CERT_HEADER", "") or "X-SSL-Client-Cert"
    return "HTTP_" + name.upper().replace("-", "_")


@lru_cache(maxsize=4)
def _load_cas(path: str, _mtime: float) -> tuple[x509.Certificate, ...]:
    return tuple(x509.load_pem_x509_certificates(Path(path).read_bytes()))


def trusted_cas() -> tuple[x509.Certificate, ...]:
    path = getattr(settings, "KMOP_EID_CA_FILE", "") or ""
    if not path or not Path(path).is_file():
        return ()
    return _load_cas(path, Path(path).stat().st_mtime)


def certificate_from_request(request: HttpRequest) -> x509.Certificate | None:
    """The client certificate from the proxy's header; None when there is none or it does not come from a
    trusted proxy (then the header is ignored: anyone can send it). Raises ``CertificateRefused`` when the
    header cannot be read."""
    raw = request.META.get(header_meta_key(), "")
    if not raw or not from_trusted_proxy(request):
        return None
    try:
        return x509.load_pem_x509_certificate(unquote(raw).encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise CertificateRefused("unreadable certificate") from exc


def _valid_now(certificate: x509.Certificate, now: datetime.datetime, what: str) -> None:
    if not (certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc):
        raise CertificateRefused(f"{what} not valid now")


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def verify_chain(leaf: x509.Certificate, cas: tuple[x509.Certificate, ...]) -> None:
    """The leaf and each issuer up to a configured self-signed root: issued by (signature checked) a
    configured CA certificate, valid now. Raises ``CertificateRefused``."""
    if not cas:
        raise CertificateRefused("no CA certificates configured")
    now = timezone.now().astimezone(datetime.UTC)
    _valid_now(leaf, now, "certificate")
    current = leaf
    for _ in range(MAX_CHAIN):
        issuers = [ca for ca in cas if ca.subject == current.issuer and _is_ca(ca)]
        issuer = None
        for candidate in issuers:
            try:
                current.verify_directly_issued_by(candidate)
            except (ValueError, TypeError, InvalidSignature):
                continue
            issuer = candidate
            break
        if issuer is None:
            raise CertificateRefused("not issued by a configured CA")
        _valid_now(issuer, now, "CA certificate")
        if issuer.subject == issuer.issuer:  # a configured root: the chain is complete
            return
        current = issuer
    raise CertificateRefused("chain too long")


def national_number(certificate: x509.Certificate) -> str:
    values = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    number = str(values[0].value).strip() if values else ""
    if not (len(number) == 11 and number.isdigit()):
        raise CertificateRefused("no national number in the subject")
    return number


def identify(request: HttpRequest) -> EidIdentity | None:
    """The person of the eID certificate in the request; None when there is no (trusted) certificate.
    Raises ``CertificateRefused`` for a certificate that is there but not acceptable."""
    certificate = certificate_from_request(request)
    if certificate is None:
        return None
    verify_chain(certificate, trusted_cas())
    return EidIdentity(
        national_number=national_number(certificate),
        subject=certificate.subject.rfc4514_string(),
        serial=certificate.serial_number,
    )

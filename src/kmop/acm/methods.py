"""The login methods of the Toegangsbeheer (ACM) as data: code, label, ``acr``, eIDAS level, availability.

The list and the ``acr`` URNs follow IAM.md. In demo mode (``settings.DEMO_MODE``) eID and itsme go to the
demo simulator; outside it, eID uses the client certificate passed by the TLS proxy (``kmop.acm.eid``) and
itsme the OpenID Connect login of ``kmop.oidc`` (view ``oidc:itsme-start``; the method is unavailable while
that view does not exist). The security codes via mobile app (``kmop.acm.totp``) and via sms
(``kmop.acm.sms``) are real everywhere; the federal token was retired on 31 January 2024.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: eIDAS levels of assurance, from low to high
EIDAS_LEVELS = ("low", "substantial", "high")
#: the kmo-portefeuille requires at least this level (IAM.md)
MINIMUM_LEVEL = "substantial"

SIMULATOR = "simulator"
TOTP = "totp"
SMS = "sms"
EID_CERTIFICATE = "eid-certificate"
ITSME_OIDC = "itsme-oidc"

#: the view of each real adapter
ADAPTER_VIEWS = {
    EID_CERTIFICATE: "acm:eid-login",
    ITSME_OIDC: "oidc:itsme-start",
    TOTP: "acm:totp-login",
    SMS: "acm:sms-login",
}
#: where a method is activated first (after an eID/itsme login)
ENROL_VIEWS = {TOTP: "acm:totp-enrol", SMS: "acm:sms-enrol"}


@dataclass(frozen=True)
class LoginMethod:
    code: str
    label: str | Promise
    acr: str
    eidas: str  # one of EIDAS_LEVELS, "" for a retired method
    #: the real implementation (a key of ``ADAPTER_VIEWS``), "" when there is none
    adapter: str = ""
    #: in demo mode, the demo simulator replaces the adapter
    has_simulator: bool = False
    retired_on: date | None = None
    info_url: str = ""
    hint: str | Promise = ""

    @property
    def retired(self) -> bool:
        return self.retired_on is not None

    @property
    def simulated(self) -> bool:
        """In demo mode a method with a simulator goes to the simulator."""
        return self.has_simulator and bool(settings.DEMO_MODE)

    @property
    def url(self) -> str:
        """Where the login with this method starts; "" when it cannot be used here."""
        if self.retired:
            return ""
        if self.simulated:
            return reverse("acm:simulator", args=[self.code])
        view = ADAPTER_VIEWS.get(self.adapter)
        if not view:
            return ""
        try:
            return reverse(view)
        except NoReverseMatch:  # e.g. the oidc app does not provide itsme (yet)
            return ""

    @property
    def enrol_url(self) -> str:
        view = ENROL_VIEWS.get(self.adapter)
        return reverse(view) if view else ""

    @property
    def available(self) -> bool:
        """Usable now: not retired, and implemented here (a simulator only in demo mode)."""
        return bool(self.url)

    @property
    def eidas_label(self) -> str | Promise:
        return {"high": _("hoog"), "substantial": _("substantieel"), "low": _("laag")}.get(self.eidas, "")


METHODS: tuple[LoginMethod, ...] = (
    LoginMethod(
        code="eid",
        label=_("eID en aangesloten kaartlezer"),
        acr="urn:be:vlaanderen:authmech:eid",
        eidas="high",
        adapter=EID_CERTIFICATE,
        has_simulator=True,
        info_url="https://www.vlaanderen.be/nl/vlaamse-overheid/werking-van-de-vlaamse-overheid/aanmelden-met-eid-en-aangesloten-kaartlezer",
        hint=_("Met uw elektronische identiteitskaart en een aangesloten kaartlezer"),
    ),
    LoginMethod(
        code="itsme",
        label=_("itsme"),
        acr="urn:be:vlaanderen:authmech:itsme",
        eidas="high",
        adapter=ITSME_OIDC,
        has_simulator=True,
        info_url="https://www.itsme.be/nl",
        hint=_("Met de itsme-app op uw smartphone"),
    ),
    LoginMethod(
        code="csamtotp",
        label=_("Beveiligingscode via mobiele app"),
        acr="urn:be:vlaanderen:authmech:csamtotp",
        eidas="substantial",
        adapter=TOTP,
        info_url="https://www.vlaanderen.be/nl/vlaamse-overheid/werking-van-de-vlaamse-overheid/aanmelden-met-beveiligingscode-mobiele-app",
        hint=_("Met uw gebruikersnaam, wachtwoord en een app voor beveiligingscodes"),
    ),
    LoginMethod(
        code="csamsms",
        label=_("Beveiligingscode via SMS"),
        acr="urn:be:vlaanderen:authmech:csamsms",
        eidas="substantial",
        adapter=SMS,
        info_url="https://www.vlaanderen.be/nl/vlaamse-overheid/werking-van-de-vlaamse-overheid/aanmelden-met-beveiligingscode-sms",
        hint=_("Met uw gebruikersnaam, wachtwoord en een code per sms"),
    ),
    LoginMethod(
        code="federal_token",
        label=_("Federaal token"),
        acr="",
        eidas="",
        retired_on=date(2024, 1, 31),
        info_url="https://www.vlaanderen.be/nl/vlaamse-overheid/werking-van-de-vlaamse-overheid/aanmelden-met-een-federaal-token",
    ),
)

METHODS_BY_CODE = {m.code: m for m in METHODS}


def get_method(code: str) -> LoginMethod | None:
    return METHODS_BY_CODE.get(code)


def method_for_acr(acr: str) -> LoginMethod | None:
    return next((m for m in METHODS if acr and m.acr == acr), None)


def level_at_least(acr: str, level: str) -> bool:
    """Whether a login with this ``acr`` reaches the eIDAS ``level`` ("substantial", "high")."""
    method = method_for_acr(acr)
    if method is None or not method.eidas:
        return False
    return EIDAS_LEVELS.index(method.eidas) >= EIDAS_LEVELS.index(level)

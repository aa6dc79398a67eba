"""The login methods of the Toegangsbeheer (ACM) as data: code, label, ``acr``, eIDAS level, availability.

The list and the ``acr`` URNs follow IAM.md. eID and itsme can be used only through the demo simulator
(``settings.DEMO_MODE``); the security code via mobile app (TOTP, ``kmop.acm.totp``) is real and available
everywhere; the security code via SMS comes in a later release and the federal token was retired on
31 January 2024. A later adapter (production eID/itsme through ACM, SMS) sets ``adapter``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: eIDAS levels of assurance, from low to high
EIDAS_LEVELS = ("low", "substantial", "high")
#: the kmo-portefeuille requires at least this level (IAM.md)
MINIMUM_LEVEL = "substantial"

SIMULATOR = "simulator"
TOTP = "totp"


@dataclass(frozen=True)
class LoginMethod:
    code: str
    label: str | Promise
    acr: str
    eidas: str  # one of EIDAS_LEVELS, "" for a retired method
    #: how it works here: "simulator" (demo only), "totp" (real), "" when nothing implements it yet
    adapter: str = ""
    retired_on: date | None = None
    info_url: str = ""

    @property
    def retired(self) -> bool:
        return self.retired_on is not None

    @property
    def available(self) -> bool:
        """Usable now: not retired, and implemented (a simulator only in demo mode)."""
        if self.retired or not self.adapter:
            return False
        return self.adapter != SIMULATOR or bool(settings.DEMO_MODE)

    @property
    def simulated(self) -> bool:
        return self.adapter == SIMULATOR

    @property
    def eidas_label(self) -> str | Promise:
        return {"high": _("hoog"), "substantial": _("substantieel"), "low": _("laag")}.get(self.eidas, "")


METHODS: tuple[LoginMethod, ...] = (
    LoginMethod(
        code="eid",
        label=_("eID en aangesloten kaartlezer"),
        acr="urn:be:vlaanderen:authmech:eid",
        eidas="high",
        adapter=SIMULATOR,
        info_url="https://www.vlaanderen.be/nl/vlaamse-overheid/werking-van-de-vlaamse-overheid/aanmelden-met-eid-en-aangesloten-kaartlezer",
    ),
    LoginMethod(
        code="itsme",
        label=_("itsme"),
        acr="urn:be:vlaanderen:authmech:itsme",
        eidas="high",
        adapter=SIMULATOR,
        info_url="https://www.itsme.be/nl",
    ),
    LoginMethod(
        code="csamtotp",
        label=_("Beveiligingscode via mobiele app"),
        acr="urn:be:vlaanderen:authmech:csamtotp",
        eidas="substantial",
        adapter=TOTP,
        info_url="https://www.vlaanderen.be/nl/vlaamse-overheid/werking-van-de-vlaamse-overheid/aanmelden-met-beveiligingscode-mobiele-app",
    ),
    LoginMethod(
        code="csamsms",
        label=_("Beveiligingscode via sms"),
        acr="urn:be:vlaanderen:authmech:csamsms",
        eidas="substantial",
        info_url="https://www.vlaanderen.be/nl/vlaamse-overheid/werking-van-de-vlaamse-overheid/aanmelden-met-beveiligingscode-sms",
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

"""The back office's own navigation: one entry per work area (issue 6 adds its queues, scheme configuration,
enterprise and provider pages and dashboards here)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    #: the item is current for every path under its URL (not for the start page)
    prefix: bool = True


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("backoffice:home", _("Start"), prefix=False),
    NavItem("backoffice:camt-upload", _("Rekeninguittreksels")),
    NavItem("backoffice:payouts", _("Uitbetalingen")),
    NavItem("backoffice:stop-requests", _("Stopzettingen")),
    NavItem("backoffice:deposits", _("Stortingen")),
    NavItem("backoffice:ledger", _("Boekingen")),
    NavItem("backoffice:registrations", _("Registraties")),
    NavItem("backoffice:enterprises", _("Ondernemingen")),
    NavItem("backoffice:providers", _("Dienstverleners")),
    NavItem("backoffice:reports", _("Meldingen")),
    NavItem("backoffice:outbox", _("Berichten")),
    NavItem("backoffice:dashboards", _("Dashboards")),
    NavItem("backoffice:schemes", _("Steunmaatregelen")),
)


def navigation(request: HttpRequest) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for item in NAVIGATION:
        url = reverse(item.url_name)
        current = request.path == url or (item.prefix and request.path.startswith(url))
        items.append({"url": url, "label": item.label, "current": current})
    return items

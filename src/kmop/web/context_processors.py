from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _


def platform(request: HttpRequest) -> dict[str, object]:
    return {"DEMO_MODE": settings.DEMO_MODE}


def _links(request: HttpRequest) -> list[tuple[str, str]]:
    """The header's links to the parts the person may use for the organisation acted for."""
    from kmop.backoffice.permissions import can_view_backoffice
    from kmop.projects.permissions import ENTERPRISE_PROFILE, ENTERPRISE_RIGHT

    acting = getattr(request, "acting", None)
    if acting is None:
        return []
    links: list[tuple[str, str]] = []
    if acting.has_role(ENTERPRISE_RIGHT, ENTERPRISE_PROFILE):
        links.append((reverse("eloket:enterprise-profile"), _("E-loket")))
    if can_view_backoffice(acting):
        links.append((reverse("backoffice:home"), _("Backoffice")))
    return links


def navigation(request: HttpRequest) -> dict[str, object]:
    """``NAV_LINKS``: computed only when a page's header shows them (not for API or plain responses)."""
    return {"NAV_LINKS": SimpleLazyObject(lambda: _links(request))}

"""The public "Zoek een dienstverlener" (``/zoek-een-dienstverlener/``): the search, a provider's public page
and the help page "Hoe registreren en aanmelden?" (seed 004). No login; only providers with a registration
valid today are found or shown, and never their bank account."""

from __future__ import annotations

from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from kmop.portal.forms_search import SearchForm
from kmop.providers import selectors
from kmop.schemes.errors import SchemeError
from kmop.schemes.services import themes_on

#: providers per result page
PER_PAGE = 10


def _themes() -> list[str]:
    """The themes of today's regime, offered as suggestions for "Vakgebied of thema"."""
    try:
        return sorted({str(theme.label) for theme in themes_on(timezone.localdate())})
    except SchemeError:
        return []


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    asked = any(request.GET.get(name) not in (None, "") for name in SearchForm.base_fields) or (
        "zoeken" in request.GET
    )
    form = SearchForm(request.GET if asked else None, themes=_themes())
    context: dict[str, object] = {"form": form, "asked": asked}
    if asked and form.is_valid():
        criteria = form.criteria()
        near = (
            selectors.Near(point=criteria.centre, km=criteria.km)
            if criteria.centre is not None and criteria.km is not None
            else None
        )
        queryset = selectors.search_providers(
            on=today,
            name=criteria.name,
            service=criteria.service,
            field=criteria.field,
            postcode="" if near else criteria.postcode,
            municipality="" if near else criteria.municipality,
            near=near,
        )
        page = selectors.search_page(queryset, request.GET.get("pagina"), PER_PAGE)
        context.update(
            {
                "searched": True,
                # the detail links: their prefix and the search to go back to, computed once per page
                "detail_prefix": reverse("search:search") + "dienstverlener/",
                "back_query": quote(request.GET.urlencode(), safe=""),
                "page": page,
                "criteria": criteria,
                "near": near,
                "hits": selectors.search_hits(
                    page.providers,
                    on=today,
                    postcode="" if near else criteria.postcode,
                    municipality="" if near else criteria.municipality,
                    near=near,
                ),
            }
        )
    return render(request, "portal/search/search.html", context)


@require_safe
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    provider = selectors.public_provider(pk, today)
    if provider is None:
        raise Http404
    (hit,) = selectors.search_hits([provider], on=today)
    # back to the search the visitor came from: only its criteria, re-encoded, on the search's own URL
    criteria = QueryDict(request.GET.get("terug", "")).copy()
    kept = QueryDict(mutable=True)
    for name in (*SearchForm.base_fields, "zoeken", "pagina"):
        value = criteria.get(name)
        if value:
            kept[name] = value
    back = reverse("search:search") + (f"?{kept.urlencode()}" if kept else "")
    return render(request, "portal/search/detail.html", {"provider": provider, "hit": hit, "back": back})


@require_safe
def how_to_register(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/search/how_to_register.html")

"""``/dienstverlener/api-sleutels/``: the provider's API tokens (included by ``kmop.portal.urls``, namespace
``portal``)."""

from django.urls import URLPattern, path

from kmop.portal import views_api

urlpatterns: list[URLPattern] = [
    path("", views_api.api_tokens, name="api-tokens"),
    path("<int:pk>/intrekken/", views_api.api_token_revoke, name="api-token-revoke"),
]

"""``/e-loket/api-sleutels/``: the enterprise's API tokens (included before the e-loket's own URLs)."""

from django.urls import path

from kmop.api import token_views

urlpatterns = [
    path("", token_views.api_tokens, name="api-tokens"),
    path("<int:pk>/intrekken/", token_views.api_token_revoke, name="api-token-revoke"),
]

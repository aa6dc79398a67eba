"""``Authorization: Bearer kmop_…``: an enterprise's or a provider's API token
(``kmop.api.services.api_token_check``).

On success ``request.user`` is the ``ApiActor`` (the token's creator acting for the token's organisation) and
``request.auth`` the ``ApiToken``. A wrong, revoked or expired token, or one whose creator may no longer act
for the enterprise, is a 401 problem with its ``code``; no header at all leaves the request anonymous (the
view's permission then answers 401 with ``WWW-Authenticate: Bearer``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from kmop.api.problems import AuthenticationProblem
from kmop.api.services import api_token_check

if TYPE_CHECKING:
    from rest_framework.request import Request

REALM = "kmo-portefeuille"


class ApiTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise AuthenticationProblem(
                _("Geef de API-sleutel als 'Authorization: Bearer <sleutel>'."), code="token_malformed"
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationProblem(_("De API-sleutel is ongeldig."), code="token_invalid") from None
        check = api_token_check(secret)
        if check.actor is None:
            raise AuthenticationProblem(check.message, code=check.code)
        return check.actor, check.token

    def authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{REALM}"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "kmop.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token (`kmop_…`) of an enterprise, made on the e-loket's page API-sleutels, or of a "
                "provider, made on the providers' portal's page API-sleutels. An enterprise's token opens "
                "the enterprise endpoints only, a provider's token `/api/v1/provider/` only (else 403 "
                "`token_scope_mismatch`). It acts for its organisation only, until it is revoked or expires, "
                "and only while the person who made it may act for the organisation (a provider's token "
                "made with the provider's own login and password: while that password is unchanged)."
            ),
        }

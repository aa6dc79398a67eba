"""``RejectNulMiddleware``: a request whose path or query string holds a NUL character is answered 400.

No page or API takes a NUL in its URL, and PostgreSQL refuses one in a text value (psycopg raises
``DataError``): without this, any view that puts a URL part in a query would answer 500. Forms and DRF
serializers already refuse NUL in submitted fields; this covers the URL. The answer is the 400 page in the
user's language, or an RFC 9457 problem under ``/api/``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def _has_nul(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    return "\x00" in request.path or "\x00" in unquote(query)


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "type": "about:blank",
                        "title": "Bad Request",
                        "status": 400,
                        "code": "invalid_characters",
                        "detail": "The address holds a NUL character.",
                    },
                    status=400,
                    content_type="application/problem+json",
                )
            return render(request, "400.html", status=400)
        return self.get_response(request)

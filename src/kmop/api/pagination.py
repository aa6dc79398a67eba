from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ErrorDetail, NotFound
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.request import Request


class DefaultPagination(PageNumberPagination):
    """Every list of the API: ``?page=`` and ``?page_size=`` (at most 500)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    # Plain strings, not DRF's translated ones: the OpenAPI document must not depend on the active language.
    page_query_description = "A page number within the paginated result set (from 1)."
    page_size_query_description = "Number of results per page (default 50, at most 500)."


class KeysetPagination(CursorPagination):
    """Keyset pagination for lists that grow while a client pages (an enterprise's projects): ``?page=`` is
    an opaque page token from the ``next`` or ``previous`` link (not a page number), so a project filed
    meanwhile never shifts a page. Newest project number first."""

    ordering = "-number"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    cursor_query_param = "page"
    cursor_query_description = (
        "The page token: take the `next` or `previous` link of the previous answer (keyset pagination); "
        "leave it out for the first page."
    )
    page_size_query_description = "Number of results per page (default 50, at most 500)."

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            return super().decode_cursor(request)
        except NotFound:
            from kmop.api.problems import InvalidRequest

            raise InvalidRequest(
                {
                    self.cursor_query_param: [
                        ErrorDetail(
                            _("Deze paginasleutel is ongeldig: gebruik de link next of previous."),
                            code="invalid_page",
                        )
                    ]
                }
            ) from None

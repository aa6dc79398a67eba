from rest_framework.pagination import PageNumberPagination


class DefaultPagination(PageNumberPagination):
    """Every list of the API: ``?page=`` and ``?page_size=`` (at most 500)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    # Plain strings, not DRF's translated ones: the OpenAPI document must not depend on the active language.
    page_query_description = "A page number within the paginated result set (from 1)."
    page_size_query_description = "Number of results per page (default 50, at most 500)."

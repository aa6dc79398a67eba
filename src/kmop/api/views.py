"""The API's views: thin, reading through ``kmop.api.selectors``.

Every view derives from ``ApiView`` or ``ApiGenericView`` (a strict Content-Security-Policy for JSON) and
names its permission class (``kmop.api.permissions``); errors become problem details (``kmop.api.problems``).
"""

from __future__ import annotations

from typing import Any

from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from kmop.api import selectors
from kmop.api.permissions import CanReadRegister
from kmop.api.problems import problem_responses
from kmop.api.serializers import (
    EnterpriseDetailSerializer,
    EnterpriseFilterSerializer,
    EnterpriseNumberSerializer,
    EnterpriseSummarySerializer,
    EstablishmentSerializer,
)
from kmop.registers.numbers import format_enterprise_number

# JSON is never a document: it may load nothing, be framed nowhere, submit nowhere.
API_CSP = {
    "default-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
}


class ApiView(APIView):
    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        return csp_override(API_CSP)(super().as_view(**initkwargs))


class ApiGenericView(ApiView, GenericAPIView[Any]):
    pass


# (200, media type) rather than 200: drf-spectacular finds the main response by the smallest key as text, and
# only paginates (adds ?page= and ?page_size=) when that is a list.
OK_JSON = (200, "application/json")

ENTERPRISE_NUMBER_PARAMETER = OpenApiParameter(
    "enterprise_number",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The enterprise number, e.g. `0403.170.701` or `0403170701`.",
)


def valid_enterprise_number(value: str) -> str:
    """The 10 digits of an enterprise number in a URL; a 400 problem when it is not a valid number."""
    serializer = EnterpriseNumberSerializer(data={"enterprise_number": value})
    serializer.is_valid(raise_exception=True)
    number: str = serializer.validated_data["enterprise_number"]
    return number


class ApiRootView(ApiView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="root_retrieve",
        summary="The API's entry point",
        responses=inline_serializer(
            "ApiRoot",
            {
                "version": serializers.CharField(),
                "schema": serializers.URLField(),
                "enterprises": serializers.URLField(),
                "enterprise": serializers.URLField(help_text="The token's enterprise (an API token)."),
                "projects": serializers.URLField(
                    help_text="The token's enterprise's projects (an API token)."
                ),
                "provider_registrations": serializers.URLField(
                    help_text="The token's provider's registrations (an API token of a provider)."
                ),
                "provider_projects": serializers.URLField(
                    help_text="The token's provider's projects (an API token of a provider)."
                ),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "version": "v1",
                "schema": reverse("api-schema", request=request),
                "enterprises": reverse("api-v1:enterprise-list", request=request),
                "enterprise": reverse("api-v1:enterprise", request=request),
                "projects": reverse("api-v1:project-list", request=request),
                "provider_registrations": reverse("api-v1:provider-registration-list", request=request),
                "provider_projects": reverse("api-v1:provider-project-list", request=request),
            }
        )


class EnterpriseListView(ApiGenericView):
    permission_classes = [CanReadRegister]
    serializer_class = EnterpriseSummarySerializer

    @extend_schema(
        operation_id="enterprises_list",
        summary="Search the enterprises of the KBO",
        description="Filters combine (AND). Ordered by enterprise number.",
        parameters=[EnterpriseFilterSerializer],
        responses={OK_JSON: EnterpriseSummarySerializer(many=True), **problem_responses((400, 404, 429))},
    )
    def get(self, request: Request) -> Response:
        params = EnterpriseFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        enterprises = selectors.enterprise_list(filters=selectors.EnterpriseFilters(**params.validated_data))
        page = self.paginate_queryset(enterprises)
        assert page is not None  # every list is paginated
        serializer = self.get_serializer(selectors.enterprise_summaries(page), many=True)
        return self.get_paginated_response(serializer.data)


class EnterpriseDetailView(ApiGenericView):
    permission_classes = [CanReadRegister]
    serializer_class = EnterpriseDetailSerializer

    @extend_schema(
        operation_id="enterprises_retrieve",
        summary="An enterprise of the KBO with its names, addresses, contacts, activities and establishments",
        parameters=[ENTERPRISE_NUMBER_PARAMETER],
        responses={200: EnterpriseDetailSerializer, **problem_responses((400, 404, 429))},
    )
    def get(self, request: Request, enterprise_number: str) -> Response:
        number = valid_enterprise_number(enterprise_number)
        enterprise = selectors.enterprise_detail(enterprise_number=number)
        if enterprise is None:
            raise not_in_register(number)
        return Response(self.get_serializer(enterprise).data)


class EnterpriseEstablishmentListView(ApiGenericView):
    permission_classes = [CanReadRegister]
    serializer_class = EstablishmentSerializer

    @extend_schema(
        operation_id="enterprises_establishments_list",
        summary="The establishment units of an enterprise",
        parameters=[ENTERPRISE_NUMBER_PARAMETER],
        responses={OK_JSON: EstablishmentSerializer(many=True), **problem_responses((400, 404, 429))},
    )
    def get(self, request: Request, enterprise_number: str) -> Response:
        number = valid_enterprise_number(enterprise_number)
        if not selectors.enterprise_exists(enterprise_number=number):
            raise not_in_register(number)
        page = self.paginate_queryset(selectors.enterprise_establishments(enterprise_number=number))
        assert page is not None  # every list is paginated
        serializer = self.get_serializer(selectors.establishment_details(page), many=True)
        return self.get_paginated_response(serializer.data)


def not_in_register(number: str) -> NotFound:
    return NotFound(
        _("Er is geen onderneming met nummer %(number)s in de KBO.")
        % {"number": format_enterprise_number(number)}
    )


class ApiNotFoundView(ApiView):
    """Any other URL under /api/: a 404 problem instead of the HTML page."""

    permission_classes = [AllowAny]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound()


class SchemaView(ApiView, SpectacularAPIView):
    """The OpenAPI document (YAML, or JSON with ``?format=json``)."""

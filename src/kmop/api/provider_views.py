"""The provider endpoints of API v1 (``/api/v1/provider/``): a provider's own software, with an API token of
that provider (scope ``provider``, made on the portal's page ``/dienstverlener/api-sleutels/``).

Every view acts for the token's organisation's provider and reads only its registrations and projects
(``kmop.api.provider_selectors``): another provider's project number is a 404 ``project_not_found`` and
nothing changes. The reactions go through the services of the projects app, which check who acts, the
status, write the history and the audit trail and mail:

* ``POST projects/{number}/cancel/``: Bevestigd → ProjectGeannuleerd (``project_cancel``; reason required);
* ``POST projects/{number}/stop/``: Lopend → StopzettingAangevraagd, with a proof document (multipart;
  ``report_services.project_request_stop_with_proof``: PDF, PNG or JPEG by content, at most 10 MB);
* ``POST projects/{number}/report/``: a message on an Afgewerkt project, kept as a case (``project_report``).

A reaction in another status is a 409 ``transition_not_allowed``; each takes a required ``Idempotency-Key``:
the same key again returns the first result (200) and does nothing twice; the key with another request is a
422 ``idempotency_key_reused``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, NoReturn, cast

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from kmop.api import provider_selectors as selectors
from kmop.api.authentication import ApiTokenAuthentication
from kmop.api.enterprise_views import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY_MAX,
    _invalid,
    _key_reused,
    service_errors,
    valid,
)
from kmop.api.models import ApiIdempotencyKey, ApiToken, TokenScope
from kmop.api.pagination import KeysetPagination
from kmop.api.permissions import ActsForProvider
from kmop.api.problems import ApiProblem, AuthenticationProblem, coded_problem_responses
from kmop.api.provider_selectors import ACTIONS_BY_STATUS
from kmop.api.provider_serializers import (
    ProviderCancelRequestSerializer,
    ProviderProjectDetailSerializer,
    ProviderProjectFilterSerializer,
    ProviderProjectSerializer,
    ProviderReportRequestSerializer,
    ProviderStopRequestSerializer,
    RegistrationDetailSerializer,
    RegistrationFilterSerializer,
    RegistrationSerializer,
    ReportSerializer,
)
from kmop.api.services import ApiActor
from kmop.api.views import ApiGenericView
from kmop.idm.models import Organisation
from kmop.projects import report_services
from kmop.projects import services as project_services
from kmop.projects.models import Project, ProjectReport, ProjectStatus
from kmop.providers.models import Provider

OK_JSON = (200, "application/json")
CREATED_JSON = (201, "application/json")
PROBLEMS = (400, 401, 403, 404, 429)


PROJECT_NUMBER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The project number, e.g. `2025KMO000123`."
)
REGISTRATION_NUMBER = OpenApiParameter(
    "number",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The registration number, e.g. `DV.O000001`.",
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A key the client makes per reaction (1-60 visible ASCII characters, e.g. a UUID). The same "
    "key again returns the first result (200) instead of doing it twice; with another request it is refused "
    "(422 `idempotency_key_reused`).",
)


class RegistrationPagination(KeysetPagination):
    """Keyset pagination of the registrations, by number."""

    ordering = "number"


class ProviderApiView(ApiGenericView):
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [ActsForProvider]

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> NoReturn:
        if request.successful_authenticator is None:
            raise AuthenticationProblem(
                _("Geef een API-sleutel van de dienstverlener mee: 'Authorization: Bearer <sleutel>'."),
                code="token_missing",
            )
        if getattr(request.user, "scope", "") == TokenScope.ENTERPRISE:
            raise ApiProblem(
                _(
                    "Dit is een API-sleutel van een onderneming: die geeft geen toegang tot de API voor "
                    "dienstverleners."
                ),
                status=403,
                code="token_scope_mismatch",
            )
        raise ApiProblem(_("Deze API-sleutel mag dit niet."), status=403, code="not_allowed")

    def organisation(self) -> Organisation:
        return cast(ApiToken, self.request.auth).organisation

    def actor(self) -> ApiActor:
        return cast(ApiActor, self.request.user)

    def provider(self) -> Provider:
        provider = selectors.provider_of(self.organisation())
        if provider is None:  # the provider was removed after the token was made
            raise ApiProblem(
                _("Deze organisatie is geen dienstverlener (meer)."), status=403, code="not_a_provider"
            )
        return provider

    def project(self, number: str) -> Project:
        project = selectors.provider_project(self.provider(), number)
        if project is None:
            raise ApiProblem(
                _("U hebt geen project met nummer %(number)s.") % {"number": number[:20]},
                status=404,
                code="project_not_found",
            )
        return project

    def project_response(self, number: str, status: int = 200) -> Response:
        provider = self.provider()
        project = self.project(number)  # again, as it is now
        detail = selectors.provider_project_detail(provider, project)
        data = ProviderProjectDetailSerializer(
            project, context={"request": self.request, "detail": detail}
        ).data
        return Response(data, status=status)


# --- registrations -----------------------------------------------------------------------------------------


class RegistrationListView(ProviderApiView):
    pagination_class = RegistrationPagination
    serializer_class = RegistrationSerializer

    @extend_schema(
        operation_id="provider_registrations_list",
        summary="The provider's registrations (registered office and departments), by number",
        parameters=[RegistrationFilterSerializer],
        responses={OK_JSON: RegistrationSerializer(many=True), **coded_problem_responses(PROBLEMS)},
    )
    def get(self, request: Request) -> Response:
        filters = valid(RegistrationFilterSerializer, request.query_params)
        registrations = selectors.provider_registrations(
            self.provider(), status=filters.get("status", ""), service=filters.get("service", "")
        )
        page = self.paginate_queryset(registrations)
        assert page is not None  # every list is paginated
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RegistrationDetailView(ProviderApiView):
    @extend_schema(
        operation_id="provider_registrations_retrieve",
        summary="A registration of the provider with its history",
        parameters=[REGISTRATION_NUMBER],
        responses={OK_JSON: RegistrationDetailSerializer, **coded_problem_responses(PROBLEMS)},
    )
    def get(self, request: Request, number: str) -> Response:
        registration = selectors.provider_registration(self.provider(), number)
        if registration is None:
            raise ApiProblem(
                _("U hebt geen registratie met nummer %(number)s.") % {"number": number[:20]},
                status=404,
                code="registration_not_found",
            )
        context = {"request": request, "history": selectors.registration_history(registration)}
        return Response(RegistrationDetailSerializer(registration, context=context).data)


# --- projects ----------------------------------------------------------------------------------------------


class ProjectListView(ProviderApiView):
    pagination_class = KeysetPagination
    serializer_class = ProviderProjectSerializer

    @extend_schema(
        operation_id="provider_projects_list",
        summary="The provider's projects, newest number first; the filters combine",
        parameters=[ProviderProjectFilterSerializer],
        responses={OK_JSON: ProviderProjectSerializer(many=True), **coded_problem_responses(PROBLEMS)},
    )
    def get(self, request: Request) -> Response:
        data = valid(ProviderProjectFilterSerializer, request.query_params)
        filters = selectors.ProjectFilters(
            number=data.get("number", ""),
            enterprise_number=data.get("enterprise_number", ""),
            enterprise_name=data.get("enterprise_name", "").strip(),
            application_date_from=data.get("application_date_from"),
            application_date_to=data.get("application_date_to"),
            amount=data.get("amount"),
            amount_min=data.get("amount_min"),
            amount_max=data.get("amount_max"),
            service=data.get("service", ""),
            status=data.get("status", ""),
            year=data.get("year"),
            registration=data.get("registration", ""),
        )
        page = self.paginate_queryset(selectors.provider_projects(self.provider(), filters))
        assert page is not None  # every list is paginated
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ProjectDetailView(ProviderApiView):
    @extend_schema(
        operation_id="provider_projects_retrieve",
        summary="A project of the provider with its status history, the provider's reports and the reactions "
        "possible now",
        parameters=[PROJECT_NUMBER],
        responses={OK_JSON: ProviderProjectDetailSerializer, **coded_problem_responses(PROBLEMS)},
    )
    def get(self, request: Request, number: str) -> Response:
        return self.project_response(number)


# --- reactions ---------------------------------------------------------------------------------------------


def _idempotency_key(request: Request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not key:
        raise _invalid(
            IDEMPOTENCY_HEADER,
            _(
                "Geef een header Idempotency-Key mee, zodat een herhaalde reactie niet twee keer wordt "
                "uitgevoerd."
            ),
            "idempotency_key_required",
        )
    if len(key) > IDEMPOTENCY_KEY_MAX or not all("!" <= c <= "~" for c in key):
        raise _invalid(
            IDEMPOTENCY_HEADER,
            _("De Idempotency-Key heeft 1 tot 60 zichtbare ASCII-tekens."),
            "idempotency_key_invalid",
        )
    return key


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _file_digest(upload: Any) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


class ReactionView(ProviderApiView):
    """One reaction: the project (404 for another provider's), the key, the input, the status, then the
    service inside the transaction that stores the key."""

    OPERATION = ""
    ACTION = ""
    CREATED_STATUS = 200

    def not_now(self, project: Project) -> ApiProblem:
        allowed = [s for s, actions in ACTIONS_BY_STATUS.items() if self.ACTION in actions]
        return ApiProblem(
            _("Dit kan niet voor project %(number)s in status %(status)s (enkel vanuit %(allowed)s).")
            % {
                "number": project.number,
                "status": ProjectStatus(project.status).label,
                "allowed": ", ".join(str(ProjectStatus(s).label) for s in allowed),
            },
            status=409,
            code="transition_not_allowed",
        )

    def react(
        self, request: Request, project: Project, fingerprint: str, act: Callable[[Project], str]
    ) -> Response:
        """``act`` calls the service and returns the id kept with the key (the result's)."""
        key = _idempotency_key(request)
        organisation = self.organisation()
        earlier = self._earlier(organisation, key, fingerprint, project)
        if earlier is not None:
            return earlier
        if self.ACTION not in ACTIONS_BY_STATUS.get(project.status, ()):
            raise self.not_now(project)
        try:
            with transaction.atomic():
                row = ApiIdempotencyKey.objects.create(
                    organisation=organisation, operation=self.OPERATION, key=key, fingerprint=fingerprint
                )
                with service_errors():
                    row.object_id = act(project)
                row.save(update_fields=["object_id"])
        except IntegrityError:
            # the same key at the same moment: the other request did it
            earlier = self._earlier(organisation, key, fingerprint, project)
            if earlier is None:
                raise
            return earlier
        return self.result(project, row.object_id, self.CREATED_STATUS)

    def _earlier(
        self, organisation: Organisation, key: str, fingerprint: str, project: Project
    ) -> Response | None:
        row = ApiIdempotencyKey.objects.filter(
            organisation=organisation, operation=self.OPERATION, key=key
        ).first()
        if row is None:
            return None
        if row.fingerprint != fingerprint:
            raise _key_reused()
        return self.result(project, row.object_id, 200)

    def result(self, project: Project, object_id: str, status: int) -> Response:
        return self.project_response(project.number, status)


REACTION_RESPONSES = {
    OK_JSON: OpenApiResponse(
        ProviderProjectDetailSerializer,
        description="The project after the reaction (or as it is now, for a repeated Idempotency-Key).",
    ),
    **coded_problem_responses((*PROBLEMS, 409, 422)),
}


class ProjectCancelView(ReactionView):
    OPERATION = "provider.project.cancel"
    ACTION = "cancel"
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="provider_projects_cancel",
        summary="Cancel a confirmed project (Bevestigd → ProjectGeannuleerd); the client is mailed the "
        "reason",
        parameters=[PROJECT_NUMBER, IDEMPOTENCY_PARAMETER],
        request=ProviderCancelRequestSerializer,
        responses=REACTION_RESPONSES,
    )
    def post(self, request: Request, number: str) -> Response:
        target = self.project(number)  # another provider's: 404 before anything else
        data = valid(ProviderCancelRequestSerializer, request.data)
        reason = data["reason"].strip()
        if not reason:
            raise _invalid("reason", _("Geef een reden op."), "blank")

        def act(project: Project) -> str:
            project_services.project_cancel(actor=self.actor(), project=project, reason=reason)
            return project.number

        return self.react(request, target, _fingerprint(self.ACTION, target.number, reason), act)


class ProjectStopView(ReactionView):
    OPERATION = "provider.project.stop"
    ACTION = "stop"
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="provider_projects_stop",
        summary="Ask to stop a running project (Lopend → StopzettingAangevraagd), with a reason and a proof "
        "document",
        description="`multipart/form-data` with `reason` and `proof` (a PDF, PNG or JPEG file of at most "
        "10 MB; its content must match its type). The kmo-portefeuille service decides and is mailed.",
        parameters=[PROJECT_NUMBER, IDEMPOTENCY_PARAMETER],
        request={"multipart/form-data": ProviderStopRequestSerializer},
        responses=REACTION_RESPONSES,
    )
    def post(self, request: Request, number: str) -> Response:
        target = self.project(number)  # another provider's: 404 before anything else
        data = valid(ProviderStopRequestSerializer, request.data)
        reason = data["reason"].strip()
        if not reason:
            raise _invalid("reason", _("Geef een reden op."), "blank")
        proof = data["proof"]

        def act(project: Project) -> str:
            report_services.project_request_stop_with_proof(
                actor=self.actor(), project=project, reason=reason, proof=proof
            )
            return project.number

        fingerprint = _fingerprint(self.ACTION, target.number, reason, _file_digest(proof))
        return self.react(request, target, fingerprint, act)


class ProjectReportView(ReactionView):
    OPERATION = "provider.project.report"
    ACTION = "report"
    CREATED_STATUS = 201
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="provider_projects_report",
        summary="Report on a finished project (Afgewerkt): a message to the kmo-portefeuille service, kept "
        "as a case",
        description="201 with the report; the same `Idempotency-Key` again returns that report (200) and "
        "reports nothing twice.",
        parameters=[PROJECT_NUMBER, IDEMPOTENCY_PARAMETER],
        request=ProviderReportRequestSerializer,
        responses={
            CREATED_JSON: OpenApiResponse(ReportSerializer, description="The report."),
            OK_JSON: OpenApiResponse(ReportSerializer, description="Reported before with this key."),
            **coded_problem_responses((*PROBLEMS, 409, 422)),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        target = self.project(number)  # another provider's: 404 before anything else
        data = valid(ProviderReportRequestSerializer, request.data)
        message = data["message"].strip()
        if not message:
            raise _invalid("message", _("Schrijf uw bericht."), "blank")

        def act(project: Project) -> str:
            report = report_services.project_report(actor=self.actor(), project=project, message=message)
            return str(report.pk)

        return self.react(request, target, _fingerprint(self.ACTION, target.number, message), act)

    def result(self, project: Project, object_id: str, status: int) -> Response:
        report = ProjectReport.objects.select_related("project").get(
            pk=int(object_id), project=project, provider_organisation=self.organisation()
        )
        return Response(ReportSerializer(report).data, status=status)

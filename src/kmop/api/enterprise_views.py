"""The enterprise endpoints of API v1: an enterprise's own software, with an API token of that enterprise.

Every view acts for ``request.auth.organisation`` (the token's) and only through the services of the projects
and wallet apps, which check the rules, write the audit trail and refuse what the e-loket refuses. A project
is always looked up through the enterprise (``project_of_enterprise``): another enterprise's number is a 404
and nothing changes. The services' refusals become problems with a stable ``code``:

* ``InvalidInput`` and malformed fields → 400 ``invalid_request`` with ``errors``;
* ``ApplicationRefused`` → 422 ``application_refused`` with ``refusals`` (each rule's ``code`` and reason);
* ``TransitionNotAllowed`` → 409 ``transition_not_allowed``; a payment order outside Lopend → 409
  ``project_not_running``; over the balance → 422 ``insufficient_balance``;
* ``NotAllowed`` → 403 ``not_allowed``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn, cast

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ErrorDetail
from rest_framework.request import Request
from rest_framework.response import Response

from kmop.api import enterprise_selectors as selectors
from kmop.api.authentication import ApiTokenAuthentication
from kmop.api.enterprise_serializers import (
    ApplicationRequestSerializer,
    EnterpriseSnapshotSerializer,
    PaymentOrderRequestSerializer,
    PaymentOrderResultSerializer,
    PreviewRequestSerializer,
    PreviewSerializer,
    ProjectDetailSerializer,
    ProjectFilterSerializer,
    ProjectSerializer,
    ReasonRequestSerializer,
    StopRequestSerializer,
)
from kmop.api.models import ApiIdempotencyKey, ApiToken, TokenScope
from kmop.api.pagination import KeysetPagination
from kmop.api.permissions import ActsForEnterprise
from kmop.api.problems import (
    ApiProblem,
    AuthenticationProblem,
    InvalidRequest,
    coded_problem_responses,
)
from kmop.api.services import ApiActor
from kmop.api.views import ApiGenericView
from kmop.idm.errors import IdmError, NotAllowed
from kmop.idm.models import Organisation
from kmop.projects import selectors as project_selectors
from kmop.projects import services as project_services
from kmop.projects.errors import ApplicationRefused, InvalidInput, TransitionNotAllowed
from kmop.projects.models import Project
from kmop.providers.selectors import normalise_registration_number
from kmop.wallet import services as wallet_services
from kmop.wallet.models import Payout
from kmop.wallet.services import WalletError

IDEMPOTENCY_HEADER = "Idempotency-Key"
#: the API's keys are stored as ``api:<key>`` beside the wizard's form tokens (64 characters in all)
IDEMPOTENCY_KEY_MAX = 60
OK_JSON = (200, "application/json")
CREATED_JSON = (201, "application/json")

NUMBER_PARAMETER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The project number, e.g. `2026KMO000123`."
)


def _idempotency_parameter(required: bool) -> OpenApiParameter:
    return OpenApiParameter(
        IDEMPOTENCY_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=required,
        description="A key the client makes per operation (1-60 visible ASCII characters, e.g. a UUID). The "
        "same key again returns the first result (200) instead of doing it twice.",
    )


# --- errors ------------------------------------------------------------------------------------------------


def _invalid(field: str | None, message: str, code: str = "invalid") -> InvalidRequest:
    return InvalidRequest({field or "non_field_errors": [ErrorDetail(message, code=code)]})


@contextmanager
def service_errors() -> Iterator[None]:
    """The services' refusals as problems (nothing was changed)."""
    try:
        yield
    except ApplicationRefused as e:
        raise ApiProblem(
            " ".join(r.message for r in e.refusals) or _("De aanvraag wordt geweigerd."),
            status=422,
            code="application_refused",
            refusals=[{"code": r.code, "detail": r.message} for r in e.refusals],
        ) from None
    except TransitionNotAllowed as e:
        raise ApiProblem(str(e), status=409, code="transition_not_allowed") from None
    except NotAllowed as e:
        raise ApiProblem(str(e), status=403, code="not_allowed") from None
    except WalletError as e:
        if e.code == "not_running":
            raise ApiProblem(str(e), status=409, code="project_not_running") from None
        if e.code == "insufficient_balance":
            raise ApiProblem(str(e), status=422, code="insufficient_balance") from None
        raise _invalid(e.field, str(e), e.code or "invalid") from None
    except InvalidInput as e:
        raise _invalid(e.field, str(e), e.code or "invalid") from None
    except IdmError as e:
        if e.field:
            raise _invalid(e.field, str(e), e.code or "invalid") from None
        raise ApiProblem(str(e), status=409, code=e.code or "conflict") from None


def valid(serializer_class: type[Any], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise InvalidRequest(serializer.errors)
    result: dict[str, Any] = serializer.validated_data
    return result


def _idempotency_key(request: Request, *, required: bool) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not key:
        if required:
            raise _invalid(
                IDEMPOTENCY_HEADER,
                _(
                    "Geef een header Idempotency-Key mee, zodat een herhaalde aanvraag geen tweede "
                    "project maakt."
                ),
                "idempotency_key_required",
            )
        return ""
    if len(key) > IDEMPOTENCY_KEY_MAX or not all("!" <= c <= "~" for c in key):
        raise _invalid(
            IDEMPOTENCY_HEADER,
            _("De Idempotency-Key heeft 1 tot 60 zichtbare ASCII-tekens."),
            "idempotency_key_invalid",
        )
    return key


def _key_reused() -> ApiProblem:
    return ApiProblem(
        _("Deze Idempotency-Key werd al gebruikt voor een ander verzoek."),
        status=422,
        code="idempotency_key_reused",
    )


# --- the base view -----------------------------------------------------------------------------------------


class EnterpriseApiView(ApiGenericView):
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [ActsForEnterprise]

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> NoReturn:
        if request.successful_authenticator is None:
            raise AuthenticationProblem(
                _("Geef een API-sleutel van de onderneming mee: 'Authorization: Bearer <sleutel>'."),
                code="token_missing",
            )
        if getattr(request.user, "scope", "") == TokenScope.PROVIDER:
            raise ApiProblem(
                _(
                    "Dit is een API-sleutel van een dienstverlener: die geeft geen toegang tot de API voor "
                    "ondernemingen."
                ),
                status=403,
                code="token_scope_mismatch",
            )
        raise ApiProblem(_("Deze API-sleutel mag dit niet."), status=403, code="not_allowed")

    def organisation(self) -> Organisation:
        token = cast(ApiToken, self.request.auth)
        return token.organisation

    def actor(self) -> ApiActor:
        return cast(ApiActor, self.request.user)

    def project(self, number: str) -> Project:
        project = project_selectors.project_of_enterprise(self.organisation(), number)
        if project is None:
            raise ApiProblem(
                _("Uw onderneming heeft geen project met nummer %(number)s.") % {"number": number[:20]},
                status=404,
                code="project_not_found",
            )
        return project

    def project_response(self, project: Project, status: int = 200) -> Response:
        project = self.project(project.number)  # again through the enterprise, with its provider
        detail = selectors.project_detail(project)
        data = ProjectDetailSerializer(project, context={"request": self.request, "detail": detail}).data
        return Response(data, status=status)


PROBLEMS = (400, 401, 403, 404, 429)


class EnterpriseView(EnterpriseApiView):
    @extend_schema(
        operation_id="enterprise_retrieve",
        summary="The ondernemingsfoto of the token's enterprise",
        description="Identity from the KBO, the size class of the year, the budget used and left this year "
        "and in earlier years, and the own contributions still to deposit with their structured reference "
        "and "
        "deadline.",
        responses={OK_JSON: EnterpriseSnapshotSerializer, **coded_problem_responses(PROBLEMS)},
    )
    def get(self, request: Request) -> Response:
        snapshot = selectors.enterprise_snapshot(self.organisation())
        return Response(EnterpriseSnapshotSerializer(snapshot).data)


class ProjectListView(EnterpriseApiView):
    pagination_class = KeysetPagination
    serializer_class = ProjectSerializer

    @extend_schema(
        operation_id="projects_list",
        summary="The enterprise's projects, newest number first",
        parameters=[ProjectFilterSerializer],
        responses={OK_JSON: ProjectSerializer(many=True), **coded_problem_responses(PROBLEMS)},
    )
    def get(self, request: Request) -> Response:
        filters = valid(ProjectFilterSerializer, request.query_params)
        projects = selectors.enterprise_projects(
            self.organisation(),
            status=filters.get("status", ""),
            structured_reference=filters.get("structured_reference", ""),
        )
        page = self.paginate_queryset(projects)
        assert page is not None  # every list is paginated
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="projects_create",
        summary="File an application",
        description="Judged by the regime of today, exactly as in the e-loket. 201 with the project (status "
        "Bevestigd, own contribution, structured reference, deposit deadline); the same `Idempotency-Key` "
        "again returns that project (200) and files nothing. Refused by the rules: 422 `application_refused` "
        "with every rule's `code` and reason.",
        parameters=[_idempotency_parameter(required=True)],
        request=ApplicationRequestSerializer,
        responses={
            CREATED_JSON: OpenApiResponse(ProjectDetailSerializer, description="The project filed."),
            OK_JSON: OpenApiResponse(ProjectDetailSerializer, description="Filed before with this key."),
            **coded_problem_responses((*PROBLEMS, 422)),
        },
    )
    def post(self, request: Request) -> Response:
        key = _idempotency_key(request, required=True)
        data = valid(ApplicationRequestSerializer, request.data)
        organisation = self.organisation()
        stored_key = f"api:{key}"
        before = project_selectors.projects_of(organisation).filter(idempotency_key=stored_key).first()
        if before is not None:
            if not _same_application(before, data):
                raise _key_reused()
            return self.project_response(before, 200)
        with service_errors():
            project = project_services.application_submit(
                actor=self.actor(),
                organisation=organisation,
                registration=data["registration"],
                service=data["service"],
                theme=data["theme"],
                subtheme=data["subtheme"],
                training_type=data["training_type"],
                title=data["title"],
                start_date=data["start_date"],
                hours=data["hours"],
                amount=data["amount"],
                participants=data["participants"],
                size_class=_size_class(organisation, data),
                idempotency_key=stored_key,
            )
        if not _same_application(project, data):  # a parallel request with the same key won
            raise _key_reused()
        return self.project_response(project, 201)


def _size_class(organisation: Organisation, data: dict[str, Any]) -> str:
    if data.get("size_class"):
        return str(data["size_class"])
    confirmed = project_selectors.size_class_of_year(organisation)
    if confirmed is None:
        raise _invalid(
            "size_class",
            _("Bevestig de ondernemingsgrootte (KO of MO) voor dit jaar: geef size_class mee."),
            "size_class_required",
        )
    return confirmed.size_class


def _same_application(project: Project, data: dict[str, Any]) -> bool:
    """The project answers this request (a key reused for another application is refused)."""
    return (
        project.amount == data["amount"]
        and project.start_date == data["start_date"]
        and project.service == data["service"]
        and project.title == str(data["title"]).strip()
        and project.registration.number == normalise_registration_number(data["registration"])
    )


class ProjectPreviewView(EnterpriseApiView):
    @extend_schema(
        operation_id="projects_preview",
        summary="What an application would give today (nothing is filed)",
        description="The subsidy, own contribution and cap left by the regime of today, or the rules' "
        "refusals (`ok` false, each with its `code`).",
        request=PreviewRequestSerializer,
        responses={OK_JSON: PreviewSerializer, **coded_problem_responses(PROBLEMS)},
    )
    def post(self, request: Request) -> Response:
        data = valid(PreviewRequestSerializer, request.data)
        organisation = self.organisation()
        with service_errors():
            preview = project_services.application_preview(
                organisation=organisation,
                registration=data["registration"],
                service=data["service"],
                theme=data["theme"],
                subtheme=data["subtheme"],
                amount=data["amount"],
                start_date=data["start_date"],
                size_class=_size_class(organisation, data),
                title=data["title"],
            )
        return Response(PreviewSerializer(preview).data)


class ProjectDetailView(EnterpriseApiView):
    @extend_schema(
        operation_id="projects_retrieve",
        summary="A project of the enterprise with its wallet (balance and entries) and payment orders",
        parameters=[NUMBER_PARAMETER],
        responses={OK_JSON: ProjectDetailSerializer, **coded_problem_responses(PROBLEMS)},
    )
    def get(self, request: Request, number: str) -> Response:
        return self.project_response(self.project(number))


class ProjectCancelView(EnterpriseApiView):
    @extend_schema(
        operation_id="projects_cancel",
        summary="Withdraw an application (Bevestigd → ProjectGeannuleerd); the budget is released",
        parameters=[NUMBER_PARAMETER],
        request=ReasonRequestSerializer,
        responses={OK_JSON: ProjectDetailSerializer, **coded_problem_responses((*PROBLEMS, 409))},
    )
    def post(self, request: Request, number: str) -> Response:
        project = self.project(number)
        data = valid(ReasonRequestSerializer, request.data)
        with service_errors():
            project = project_services.project_cancel(
                actor=self.actor(), project=project, reason=data["reason"]
            )
        return self.project_response(project)


class ProjectStopView(EnterpriseApiView):
    @extend_schema(
        operation_id="projects_stop",
        summary="Ask to stop a running project (Lopend → StopzettingAangevraagd), with a reason",
        parameters=[NUMBER_PARAMETER],
        request=StopRequestSerializer,
        responses={OK_JSON: ProjectDetailSerializer, **coded_problem_responses((*PROBLEMS, 409))},
    )
    def post(self, request: Request, number: str) -> Response:
        project = self.project(number)
        data = valid(StopRequestSerializer, request.data)
        with service_errors():
            project = project_services.project_request_stop(
                actor=self.actor(), project=project, reason=data["reason"]
            )
        return self.project_response(project)


@dataclass(frozen=True)
class PaymentOrderResult:
    id: int
    invoice_number: str
    amount: Decimal
    name: str
    iban: str
    created_at: Any
    batch_id: int | None
    project_status: str
    balance: Decimal


class PaymentOrderView(EnterpriseApiView):
    OPERATION = "payment_order"

    @extend_schema(
        operation_id="projects_payment_orders_create",
        summary="Order the payment of a provider's invoice (or part of it) from the project's wallet",
        description="Only for a project in Lopend, never more than the balance; several partial invoices are "
        "allowed. The payout goes to the IBAN of the provider's registration. When the wallet is empty after "
        "it, the project is Afgewerkt. With an `Idempotency-Key`, the same key again returns the first order "
        "(200) and pays nothing twice.",
        parameters=[NUMBER_PARAMETER, _idempotency_parameter(required=False)],
        request=PaymentOrderRequestSerializer,
        responses={
            CREATED_JSON: OpenApiResponse(PaymentOrderResultSerializer, description="The payment order."),
            OK_JSON: OpenApiResponse(
                PaymentOrderResultSerializer, description="Ordered before with this key."
            ),
            **coded_problem_responses((*PROBLEMS, 409, 422)),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        project = self.project(number)
        key = _idempotency_key(request, required=False)
        data = valid(PaymentOrderRequestSerializer, request.data)
        organisation = self.organisation()
        fingerprint = hashlib.sha256(
            json.dumps([project.number, data["invoice_number"].strip(), str(data["amount"])]).encode()
        ).hexdigest()
        if key:
            earlier = self._earlier(organisation, key, fingerprint)
            if earlier is not None:
                return earlier
        try:
            with transaction.atomic():
                row = (
                    ApiIdempotencyKey.objects.create(
                        organisation=organisation, operation=self.OPERATION, key=key, fingerprint=fingerprint
                    )
                    if key
                    else None
                )
                with service_errors():
                    payout = wallet_services.payment_order_create(
                        actor=self.actor(),
                        project=project,
                        invoice_number=data["invoice_number"],
                        amount=data["amount"],
                    )
                if row is not None:
                    row.object_id = str(payout.pk)
                    row.save(update_fields=["object_id"])
        except IntegrityError:
            # the same key at the same moment: the other request made the order
            earlier = self._earlier(organisation, key, fingerprint) if key else None
            if earlier is None:
                raise
            return earlier
        return Response(self._result(payout), status=201)

    def _earlier(self, organisation: Organisation, key: str, fingerprint: str) -> Response | None:
        row = ApiIdempotencyKey.objects.filter(
            organisation=organisation, operation=self.OPERATION, key=key
        ).first()
        if row is None:
            return None
        if row.fingerprint != fingerprint:
            raise _key_reused()
        payout = Payout.objects.get(pk=int(row.object_id), project__organisation=organisation)
        return Response(self._result(payout), status=200)

    def _result(self, payout: Payout) -> dict[str, Any]:
        assert payout.project_id is not None  # a payment order always has its project
        project = Project.objects.get(pk=payout.project_id)
        result = PaymentOrderResult(
            id=payout.pk,
            invoice_number=payout.invoice_number,
            amount=payout.amount,
            name=payout.name,
            iban=payout.iban,
            created_at=payout.created_at,
            batch_id=payout.batch_id,
            project_status=project.status,
            balance=wallet_services.project_balance(project),
        )
        return dict(PaymentOrderResultSerializer(result).data)

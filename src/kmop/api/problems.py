"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error of the API, including an unexpected exception (500), is a JSON object with ``type``, ``title``,
``status`` and ``detail``; validation errors (400) add ``errors``, one entry per message with the ``field``
(dotted path; ``null`` for the request as a whole), a machine-readable ``code`` and the ``detail``.
``type`` is ``about:blank`` (the HTTP status says it all), so ``title`` is the HTTP reason phrase.
The enterprise endpoints add a stable, machine-readable ``code`` (``ApiProblem``,
``AuthenticationProblem``, ``InvalidRequest``) and, for a refused application, ``refusals`` (each with its
rule's ``code`` and ``detail``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from http import HTTPStatus
from typing import Any

from django.core.signals import got_request_exception
from django.utils.log import log_response
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler, set_rollback

PROBLEM_CONTENT_TYPE = "application/problem+json"

logger = logging.getLogger("django.request")


class ApiProblem(exceptions.APIException):
    """A refusal with its HTTP status, a stable ``code`` and extension members (``extra``)."""

    def __init__(self, detail: str, *, status: int, code: str, **extra: Any) -> None:
        super().__init__(detail, code)
        self.status_code = status
        self.problem_code = code
        self.extra = extra


class AuthenticationProblem(exceptions.AuthenticationFailed):
    """401 with a ``code`` (DRF adds ``WWW-Authenticate`` from the view's authentication class)."""

    def __init__(self, detail: str, *, code: str) -> None:
        super().__init__(detail, code)
        self.problem_code = code
        self.extra: dict[str, Any] = {}


class InvalidRequest(exceptions.ValidationError):
    """400 with ``errors`` and the ``code`` ``invalid_request``."""

    problem_code = "invalid_request"
    extra: dict[str, Any] = {}


def problem(status: int, detail: str, *, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        problem(status, detail, errors=errors),
        status=status,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def flatten_errors(detail: Any, path: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """DRF's nested validation errors as a flat list of ``{field, code, detail}``."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from flatten_errors(
                value, path if key == api_settings.NON_FIELD_ERRORS_KEY else (*path, str(key))
            )
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            yield from flatten_errors(item, (*path, str(index)) if isinstance(item, dict | list) else path)
    else:
        yield {
            "field": ".".join(path) or None,
            "code": getattr(detail, "code", "invalid"),
            "detail": str(detail),
        }


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's ``EXCEPTION_HANDLER``: every exception inside an API view becomes a problem response."""
    response = exception_handler(exc, context)
    if response is None:
        return _server_error(exc, context)
    if isinstance(exc, exceptions.ValidationError):
        errors = list(flatten_errors(exc.detail))
        if len(errors) == 1:
            detail = errors[0]["detail"]
        else:
            detail = ngettext(
                "Het verzoek bevat %(count)d fout.", "Het verzoek bevat %(count)d fouten.", len(errors)
            ) % {"count": len(errors)}
        response.data = problem(response.status_code, detail, errors=errors)
    else:
        data = response.data
        detail = str(data["detail"]) if isinstance(data, dict) and "detail" in data else str(data)
        response.data = problem(response.status_code, detail)
    code = getattr(exc, "problem_code", None)
    if code:
        response.data["code"] = code
        response.data.update(getattr(exc, "extra", {}))
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _server_error(exc: Exception, context: dict[str, Any]) -> Response:
    """An unexpected exception: logged with its traceback, answered with a problem that reveals nothing."""
    set_rollback()
    request = context.get("request")
    django_request = getattr(request, "_request", None)
    got_request_exception.send(sender=None, request=django_request)
    response = problem_response(500, _("Er ging iets mis aan onze kant. Probeer het later opnieuw."))
    log_response(
        "%s: %s",
        HTTPStatus.INTERNAL_SERVER_ERROR.phrase,
        getattr(django_request, "path", ""),
        response=response,
        request=django_request,
        logger=logger,
        exception=exc,
    )
    return response


# --- The OpenAPI description of problems ------------------------------------------------------------


class ProblemSerializer(serializers.Serializer[Any]):
    type = serializers.CharField(help_text="A URI reference that identifies the problem type.")
    title = serializers.CharField(help_text="The HTTP reason phrase of the status.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(
        help_text="What went wrong, for a human reader (in the request's language)."
    )


class CodedProblemSerializer(ProblemSerializer):
    code = serializers.CharField(
        required=False,
        help_text="A stable, machine-readable code of the refusal (the enterprise endpoints), e.g. "
        "`token_expired`, `project_not_found`, `application_refused`, `transition_not_allowed`.",
    )


class RefusalSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(
        help_text="The rule's stable code, e.g. `outside_filing_window`, `cap_used_up`."
    )
    detail = serializers.CharField(
        help_text="The rule's reason, with its numbers (in the request's language)."
    )


class RefusedProblemSerializer(CodedProblemSerializer):
    refusals = RefusalSerializer(
        many=True, required=False, help_text="For `application_refused`: every rule that refuses."
    )


class ProblemErrorSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(
        allow_null=True,
        help_text="The parameter or field, as a dotted path; null for the request as a whole.",
    )
    code = serializers.CharField(help_text="A machine-readable code, e.g. `invalid`, `max_length`.")
    detail = serializers.CharField(help_text="The message.")


class ValidationProblemSerializer(ProblemSerializer):
    # The field shadows Serializer.errors only on the class; DRF moves declared fields into _declared_fields.
    errors = ProblemErrorSerializer(  # type: ignore[assignment]
        many=True, help_text="One entry per invalid parameter or field."
    )


_DESCRIPTIONS = {
    400: "The request is invalid (validation problem with `errors`).",
    401: "Authentication is needed.",
    403: "Not allowed.",
    404: "Not found.",
    405: "Method not allowed.",
    409: "The action is not possible in the current state (problem with `code`).",
    422: "The rules refuse the request (problem with `code`; `refusals` for an application).",
    429: "Too many requests: wait the seconds in `Retry-After`.",
    500: "Unexpected error.",
}


def problem_responses(statuses: Sequence[int]) -> dict[tuple[int, str], OpenApiResponse]:
    """``extend_schema(responses=...)`` entries for the given error statuses."""
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response=ValidationProblemSerializer if status == 400 else ProblemSerializer,
            description=_DESCRIPTIONS[status],
        )
        for status in statuses
    }


class CodedValidationProblemSerializer(ValidationProblemSerializer):
    code = serializers.CharField(help_text="`invalid_request`.")


def coded_problem_responses(statuses: Sequence[int]) -> dict[tuple[int, str], OpenApiResponse]:
    """Like ``problem_responses``, for the enterprise endpoints (problems with ``code``)."""
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response=(
                CodedValidationProblemSerializer
                if status == 400
                else RefusedProblemSerializer
                if status == 422
                else CodedProblemSerializer
            ),
            description=_DESCRIPTIONS[status],
        )
        for status in statuses
    }

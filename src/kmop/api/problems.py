"""Errors as RFC 9457 problem details."""

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    problem: dict[str, Any] = {"type": "about:blank", "title": response.status_text, "status": response.status_code}
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        problem["detail"] = str(detail["detail"])
    else:
        problem["errors"] = detail
    response.data = problem
    response["Content-Type"] = "application/problem+json"
    return response

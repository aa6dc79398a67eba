"""Every error of the API is an RFC 9457 problem (application/problem+json), also 401, 403, 429 and 500."""

from __future__ import annotations

import logging

import pytest
from rest_framework import exceptions, serializers
from rest_framework.authentication import BasicAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.throttling import BaseThrottle

from kmop.api import selectors
from kmop.api.permissions import CanReadRegister
from kmop.api.problems import flatten_errors
from kmop.api.views import ApiView

from .kbo import assert_problem

factory = APIRequestFactory()


def call(view_class: type[ApiView], method: str = "get") -> Response:
    response = view_class.as_view()(getattr(factory, method)("/api/v1/test/"))
    response.render()
    return response


class Raising(ApiView):
    # An authentication class that sends WWW-Authenticate, as API tokens will: DRF then answers 401, not 403.
    authentication_classes = [BasicAuthentication]
    permission_classes = [CanReadRegister]
    exception: Exception = RuntimeError("boom")

    def get(self, request: Request) -> Response:
        raise self.exception


@pytest.mark.parametrize(
    ("exception", "status", "title"),
    [
        (exceptions.NotAuthenticated(), 401, "Unauthorized"),
        (exceptions.AuthenticationFailed(), 401, "Unauthorized"),
        (exceptions.PermissionDenied(), 403, "Forbidden"),
        (exceptions.NotFound(), 404, "Not Found"),
        (exceptions.MethodNotAllowed("POST"), 405, "Method Not Allowed"),
        (exceptions.NotAcceptable(), 406, "Not Acceptable"),
        (exceptions.UnsupportedMediaType("text/csv"), 415, "Unsupported Media Type"),
        (exceptions.Throttled(wait=30), 429, "Too Many Requests"),
        (exceptions.ParseError(), 400, "Bad Request"),
    ],
)
def test_drf_exceptions_become_problems(exception, status, title) -> None:
    view = type("View", (Raising,), {"exception": exception})
    response = call(view)
    body = assert_problem(response, status)
    assert body["title"] == title
    assert set(body) == {"type", "title", "status", "detail"}
    if status == 429:
        assert response["Retry-After"] == "30"
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Basic")


def test_validation_error_lists_every_error_with_its_field() -> None:
    error = serializers.ValidationError(
        {
            "name": ["Too long.", "Not unique."],
            "address": {"zipcode": ["Required."]},
            "non_field_errors": ["No."],
        }
    )
    view = type("View", (Raising,), {"exception": error})
    body = assert_problem(call(view), 400)
    assert body["detail"]
    assert body["errors"] == [
        {"field": "name", "code": "invalid", "detail": "Too long."},
        {"field": "name", "code": "invalid", "detail": "Not unique."},
        {"field": "address.zipcode", "code": "invalid", "detail": "Required."},
        {"field": None, "code": "invalid", "detail": "No."},
    ]


def test_flatten_nested_lists() -> None:
    detail = serializers.ValidationError([{"a": ["x"]}, {}, {"a": ["y"]}]).detail
    assert [(e["field"], e["detail"]) for e in flatten_errors(detail)] == [("0.a", "x"), ("2.a", "y")]


def test_unexpected_exception_is_a_500_problem_that_reveals_nothing(caplog) -> None:
    view = type("View", (Raising,), {"exception": RuntimeError("secret database password")})
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = call(view)
    body = assert_problem(response, 500)
    assert body["title"] == "Internal Server Error"
    assert "secret" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    # ... but it is logged, with the traceback, for the operators
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert "secret database password" in str(record.exc_info[1])


@pytest.mark.django_db
def test_500_inside_a_real_endpoint(monkeypatch) -> None:
    def broken(**kwargs):
        raise RuntimeError("selector broke")

    monkeypatch.setattr(selectors, "enterprise_list", broken)
    client = APIClient(raise_request_exception=False)
    response = client.get("/api/v1/enterprises/")
    body = assert_problem(response, 500)
    assert "selector broke" not in body["detail"]
    assert "<html" not in response.content.decode().lower()


def test_throttled_request_is_a_429_problem() -> None:
    class NeverAllow(BaseThrottle):
        def allow_request(self, request, view) -> bool:
            return False

        def wait(self) -> float:
            return 12

    view = type("View", (Raising,), {"throttle_classes": [NeverAllow]})
    response = call(view)
    assert_problem(response, 429)
    assert response["Retry-After"] == "12"


def test_views_without_a_permission_class_refuse_everyone() -> None:
    class Forgotten(ApiView):
        def get(self, request: Request) -> Response:
            return Response({"secret": True})

    body = assert_problem(call(Forgotten), 403)
    assert body["title"] == "Forbidden"


@pytest.mark.parametrize(
    "url", ["/api/", "/api/v1/unknown/", "/api/v2/", "/api/v1/enterprises/0403170701/x/"]
)
def test_unknown_api_urls_are_404_problems(url) -> None:
    assert_problem(APIClient().get(url), 404)
    assert_problem(APIClient().post(url), 404)


def test_unknown_api_url_without_slash_is_redirected_then_a_problem() -> None:
    response = APIClient().get("/api/v1/unknown")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/unknown/"

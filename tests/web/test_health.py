"""GET /health/: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from django.db import OperationalError, connection


@pytest.mark.django_db
def test_health_ok(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_database_unreachable(client, caplog):
    with (
        mock.patch.object(connection, "cursor", side_effect=OperationalError("could not connect")),
        caplog.at_level(logging.ERROR, logger="kmop.web.views"),
    ):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert "no-cache" in response["Cache-Control"]
    assert "database unreachable" in caplog.text


@pytest.mark.django_db
def test_health_only_answers_get_and_head(client):
    assert client.head("/health/").status_code == 200
    assert client.post("/health/").status_code == 405

"""The committed openapi.yaml is the schema the code generates (`make openapi` writes it)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from rest_framework.test import APIClient

COMMITTED = Path(settings.BASE_DIR) / "openapi.yaml"


def generate(tmp_path: Path, language: str) -> str:
    target = tmp_path / f"openapi.{language}.yaml"
    with translation.override(language):
        # The same command as `make openapi`, in this process; --fail-on-warn as `make check`.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    return target.read_text()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_committed_schema_is_up_to_date(tmp_path: Path, language: str) -> None:
    generated = generate(tmp_path, language)
    committed = COMMITTED.read_text()
    if generated != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                "openapi.yaml (committed)",
                "generated",
                n=2,
            )
        )
        pytest.fail(f"openapi.yaml is out of date: run make openapi and commit it.\n{diff[:5000]}")


def test_schema_is_served() -> None:
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    assert "/api/v1/enterprises/" in document["paths"]
    assert "/api/v1/enterprises/{enterprise_number}/" in document["paths"]
    json_response = APIClient().get("/api/schema/", {"format": "json"})
    assert json_response.status_code == 200
    assert json_response.json()["paths"].keys() == document["paths"].keys()


def test_every_operation_documents_its_problems() -> None:
    document = yaml.safe_load(COMMITTED.read_text())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path == "/api/v1/":
                continue
            for status in ("400", "404", "429"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, (method, path, status)
            assert "application/json" in operation["responses"]["200"]["content"]


def test_every_list_is_paginated() -> None:
    document = yaml.safe_load(COMMITTED.read_text())
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if operation["operationId"].endswith("_list"):
                names = {p["name"] for p in operation["parameters"]}
                assert {"page", "page_size"} <= names, path
                schema = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
                assert schema.split("/")[-1].startswith("Paginated"), path

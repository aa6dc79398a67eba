"""The right definitions as data: ``data/rights.json`` (versioned), applied by a migration and
``kmop seed``.

``sync_right_definitions`` takes the model classes as arguments so that a data migration can pass its
historical
models; the service ``right_definitions_load`` wraps it with audit events.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RIGHTS_FILE = Path(__file__).resolve().parent / "data" / "rights.json"

_FIELDS = (
    "label_nl",
    "label_en",
    "description_nl",
    "description_en",
    "context",
    "max_months",
    "target_groups",
    "organisation_codes",
    "needs_activation",
)


def read_rights_file(path: Path = RIGHTS_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def sync_right_definitions(
    right_model: Any, value_model: Any, data: dict[str, Any] | None = None
) -> list[tuple[str, dict[str, Any] | None, dict[str, Any]]]:
    """Make the table equal to the file: create or update every right and its context values; rights no longer
    in the file are made inactive (never deleted: grants refer to them). Idempotent.

    Returns the changes as ``(code, before, after)`` (an empty list when nothing changed).
    """
    data = data if data is not None else read_rights_file()
    version = int(data["version"])
    changes: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] = []
    seen = []
    for entry in data["rights"]:
        code = entry["code"]
        seen.append(code)
        wanted = {name: entry[name] for name in _FIELDS}
        values = [(v["code"], v["label_nl"], v["label_en"]) for v in entry.get("context_values", [])]
        after = {**wanted, "context_values": [v[0] for v in values], "active": True}
        right = right_model.objects.filter(code=code).first()
        before = None
        if right is not None:
            before = {name: getattr(right, name) for name in _FIELDS}
            before["context_values"] = sorted(right.values.values_list("code", flat=True))
            before["active"] = right.active
            for name, value in wanted.items():
                setattr(right, name, value)
            right.active = True
            right.data_version = version
            right.save()
        else:
            right = right_model.objects.create(code=code, data_version=version, active=True, **wanted)
        for value_code, label_nl, label_en in values:
            value_model.objects.update_or_create(
                right=right, code=value_code, defaults={"label_nl": label_nl, "label_en": label_en}
            )
        right.values.exclude(code__in=[v[0] for v in values]).delete()
        after["context_values"] = sorted(after["context_values"])
        if before != after:
            changes.append((code, before, after))
    for right in right_model.objects.filter(active=True).exclude(code__in=seen):
        right.active = False
        right.save(update_fields=["active"])
        changes.append((right.code, {"active": True}, {"active": False}))
    return changes

"""``kmop load_schemes``: loads the data files; an invalid file changes nothing and says why."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kmop.audit.models import AuditEvent
from kmop.schemes.data import DATA_DIR, read_data_file
from kmop.schemes.models import RegimePeriod

pytestmark = pytest.mark.django_db


def test_reloading_the_shipped_files_changes_nothing() -> None:
    out = io.StringIO()
    call_command("load_schemes", stdout=out)
    assert "0 wijziging(en)" in out.getvalue()


def test_a_new_version_with_a_new_period(tmp_path: Path) -> None:
    data = copy.deepcopy(read_data_file(DATA_DIR / "kmo-portefeuille.json"))
    data["data_version"] = 2
    data["periods"][-1]["valid_to"] = "2099-12-31"
    new = copy.deepcopy(data["periods"][-1])
    new.update(valid_from="2100-01-01", valid_to=None, label_nl="Kmo-portefeuille 2100")
    data["periods"].append(new)
    path = tmp_path / "kmo-portefeuille.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    call_command("load_schemes", str(path), "--reason", "Besluit 2099", stdout=out)
    assert "2 wijziging(en)" in out.getvalue()
    assert RegimePeriod.objects.filter(label_nl="Kmo-portefeuille 2100").exists()
    assert set(AuditEvent.objects.filter(action="schemes.data_load").values_list("reason", flat=True)) == {
        "Besluit 2099"
    }


def test_an_overlapping_file_changes_nothing(tmp_path: Path) -> None:
    data = copy.deepcopy(read_data_file(DATA_DIR / "kmo-portefeuille.json"))
    data["data_version"] = 2
    new = copy.deepcopy(data["periods"][-1])
    new.update(valid_from="2100-01-01")
    data["periods"].append(new)
    path = tmp_path / "kmo-portefeuille.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = RegimePeriod.objects.count()
    with pytest.raises(CommandError) as error:
        call_command("load_schemes", str(path))
    assert "Overlappende periodes" in str(error.value)
    assert RegimePeriod.objects.count() == before
    assert not AuditEvent.objects.filter(action="schemes.data_load").exists()


def test_a_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        call_command("load_schemes", str(tmp_path / "nope.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("load_schemes", str(broken))
    assert "Niets geladen" in str(error.value)

"""kmop import_functions: our legal functions CSV (docs/functions-csv.md)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.transaction import TransactionManagementError

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor, audit_record
from kmop.registers.errors import ImportFileError
from kmop.registers.functions import import_functions_file
from kmop.registers.models import LegalFunction, LegalFunctionCode
from kmop.registers.services import legal_function_codes_load, legal_functions_load
from kmop.registers.synthetic import LegalFunctionRow

pytestmark = pytest.mark.django_db

HEADER = '"EnterpriseNumber","PersonNumber","FunctionCode","StartDate","EndDate"\n'
GOOD = (
    '"0403.170.701","85073003328","10006",01-02-2015,\n'
    '"0403.170.701","75.46.08-980.95","10002",01-02-2015,31-12-2020\n'
    '"0123456749","17073003384","10002",15-03-2019,\n'
)
ACTOR = Actor.system("test")


@pytest.fixture(autouse=True)
def codes() -> None:
    legal_function_codes_load(actor=ACTOR)


def _write(tmp_path: Path, text: str, name: str = "functions.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _state() -> list[tuple[str, str, str, date, date | None]]:
    return sorted(
        LegalFunction.objects.values_list(
            "enterprise_id", "person_number", "function_id", "start_date", "end_date"
        )
    )


def test_codes_are_loaded_from_the_data_file() -> None:
    assert LegalFunctionCode.objects.get(code="10006").label_nl == "Zaakvoerder"
    assert LegalFunctionCode.objects.get(code="10002").represents
    assert not LegalFunctionCode.objects.get(code="10021").represents
    assert not LegalFunctionCode.objects.get(code="90001").represents
    assert LegalFunctionCode.objects.get(code="NP001").represents
    assert legal_function_codes_load(actor=ACTOR) == 0  # idempotent


def test_import_creates_the_functions(tmp_path: Path) -> None:
    result = import_functions_file(_write(tmp_path, HEADER + GOOD), actor=ACTOR)
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    assert _state() == [
        ("0123456749", "17073003384", "10002", date(2019, 3, 15), None),
        ("0403170701", "75460898095", "10002", date(2015, 2, 1), date(2020, 12, 31)),
        ("0403170701", "85073003328", "10006", date(2015, 2, 1), None),
    ]
    assert result.unknown_enterprises == 2  # not in the KBO tables of this test: imported all the same
    event = AuditEvent.objects.get(action="legal_function.import")
    assert event.object_id == "functions.csv"
    assert event.after["created"] == 3
    assert event.actor_label == "test"
    # one event per function created, with what it became
    created = AuditEvent.objects.filter(action="legal_function.create", object_type="registers.LegalFunction")
    assert created.count() == 3
    function = LegalFunction.objects.get(person_number="75460898095")
    event = created.get(object_id=str(function.pk))
    assert event.before is None
    assert event.after == {
        "enterprise_number": "0403170701",
        "person_number": "75460898095",
        "function_code": "10002",
        "start_date": "2015-02-01",
        "end_date": "2020-12-31",
    }
    assert (event.actor_label, event.reason) == ("test", "import van functies uit functions.csv")


def test_the_default_actor_is_the_system(tmp_path: Path) -> None:
    import_functions_file(_write(tmp_path, HEADER + GOOD))
    events = AuditEvent.objects.filter(action__startswith="legal_function.")
    assert set(events.values_list("actor_label", flat=True)) == {"import_functions"}


def test_import_is_idempotent_and_an_upsert(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + GOOD)
    import_functions_file(path, actor=ACTOR)
    first = _state()
    again = import_functions_file(path, actor=ACTOR)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert _state() == first
    # a later file ends one function and adds one; what it does not mention stays
    later = _write(
        tmp_path,
        HEADER + '"0403.170.701","85073003328","10006",01-02-2015,30-06-2024\n'
        '"0403.170.701","17073003384","10007",01-07-2024,\n',
        "later.csv",
    )
    events = AuditEvent.objects.filter(action__in=["legal_function.create", "legal_function.update"])
    assert events.count() == 3  # the second import changed nothing, so it audits no function
    result = import_functions_file(later, actor=ACTOR)
    assert (result.created, result.updated) == (1, 1)
    assert LegalFunction.objects.count() == 4
    ended = LegalFunction.objects.get(person_number="85073003328")
    assert ended.end_date == date(2024, 6, 30)
    # what the later file changed can be reconstructed from the audit trail
    update = AuditEvent.objects.get(action="legal_function.update")
    assert update.object_id == str(ended.pk)
    assert update.before is not None
    assert update.after is not None
    assert (update.before["end_date"], update.after["end_date"]) == (None, "2024-06-30")
    assert {k: v for k, v in update.before.items() if k != "end_date"} == {
        k: v for k, v in update.after.items() if k != "end_date"
    }
    assert update.reason == "import van functies uit later.csv"
    new = LegalFunction.objects.get(person_number="17073003384", function_id="10007")
    assert AuditEvent.objects.get(action="legal_function.create", object_id=str(new.pk)).after == {
        "enterprise_number": "0403170701",
        "person_number": "17073003384",
        "function_code": "10007",
        "start_date": "2024-07-01",
        "end_date": None,
    }
    assert events.count() == 5


def test_a_later_line_for_the_same_function_wins(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER + '"0403.170.701","85073003328","10006",01-02-2015,\n'
        '"0403.170.701","85073003328","10006",01-02-2015,01-01-2016\n',
    )
    import_functions_file(path, actor=ACTOR)
    assert _state() == [("0403170701", "85073003328", "10006", date(2015, 2, 1), date(2016, 1, 1))]


def test_bom_quotes_and_empty_last_line_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + HEADER + "0403170701,85073003328,10006,01-02-2015,\n\n").encode("utf-8"))
    assert import_functions_file(path, actor=ACTOR).created == 1


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ('"EnterpriseNumber","PersonNumber","Function","StartDate","EndDate"\n', 1, None, "kop"),
        ("", 1, None, "kop"),
        (HEADER + '"0403.170.701","85073003328","10006",01-02-2015\n', 2, None, "velden"),
        (HEADER + GOOD + '"0403.170.701","85073003328","10006",01-02-2015,,x\n', 5, None, "velden"),
        (HEADER + '"0403.170.701","85073003328","10006,01-02-2015,\n', 2, None, "onleesbare"),
        (
            HEADER + '"0403.170.702","85073003328","10006",01-02-2015,\n',
            2,
            "EnterpriseNumber",
            "ondernemingsnummer",
        ),
        (
            HEADER + '"2.147.812.701","85073003328","10006",01-02-2015,\n',
            2,
            "EnterpriseNumber",
            "ondernemingsnummer",
        ),
        (
            HEADER + GOOD + '"0403.170.701","85073003329","10006",01-02-2015,\n',
            5,
            "PersonNumber",
            "BIS-nummer",
        ),
        (HEADER + '"0403.170.701","00600099734","10006",01-02-2015,\n', 2, "PersonNumber", "BIS-nummer"),
        (HEADER + '"0403.170.701","85073003328","99999",01-02-2015,\n', 2, "FunctionCode", "functiecode"),
        (HEADER + '"0403.170.701","85073003328","10006",2015-02-01,\n', 2, "StartDate", "datum"),
        (HEADER + '"0403.170.701","85073003328","10006",,\n', 2, "StartDate", "datum"),
        (HEADER + '"0403.170.701","85073003328","10006",30-02-2015,\n', 2, "StartDate", "datum"),
        (HEADER + '"0403.170.701","85073003328","10006",01-02-2015,31/12/2020\n', 2, "EndDate", "datum"),
        (HEADER + '"0403.170.701","85073003328","10006",01-02-2015,31-01-2015\n', 2, "EndDate", "einddatum"),
        (HEADER + GOOD[:49] + "\n" + GOOD[49:], 3, None, "lege regel"),
        (HEADER + "\n\n" + GOOD, 2, None, "lege regel"),
    ],
    ids=[
        "wrong header",
        "empty file",
        "too few fields",
        "too many fields",
        "unterminated quote",
        "bad enterprise check digits",
        "establishment number",
        "bad national number",
        "MAGDA test number",
        "unknown function code",
        "ISO date",
        "no start date",
        "no such day",
        "bad end date",
        "end before start",
        "empty line between lines",
        "empty lines after the header",
    ],
)
def test_errors_name_file_line_and_column_and_change_nothing(
    tmp_path: Path, text: str, line: int, column: str | None, message: str
) -> None:
    LegalFunction.objects.create(
        enterprise_id="0123456749",
        person_number="17073003384",
        function_id="10002",
        start_date=date(2019, 3, 15),
    )
    before = _state()
    path = _write(tmp_path, text, "bad.csv")
    with pytest.raises(ImportFileError) as caught:
        import_functions_file(path, actor=ACTOR)
    error = caught.value
    assert (error.file, error.line, error.column) == ("bad.csv", line, column)
    assert message in error.message
    assert str(error).startswith("bad.csv, regel ")
    assert _state() == before  # nothing of the file was applied
    assert not AuditEvent.objects.filter(action__startswith="legal_function.").exists()


@pytest.mark.parametrize("line", [2, 3, 4, 900])
def test_bytes_that_are_not_utf8_are_reported_at_their_line(tmp_path: Path, line: int) -> None:
    lines = (HEADER + GOOD * 300).encode("utf-8").splitlines(keepends=True)
    # a Latin-1 "é" in the first field: the decoder reads ahead in blocks, so the reader cannot say where
    lines[line - 1] = lines[line - 1].replace(b'",', b'\xe9",', 1)
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"".join(lines))
    with pytest.raises(ImportFileError) as caught:
        import_functions_file(path, actor=ACTOR)
    assert (caught.value.file, caught.value.line) == ("latin1.csv", line)
    assert "UTF-8" in caught.value.message
    assert not LegalFunction.objects.exists()


def test_a_big_file_is_imported_in_batches(tmp_path: Path) -> None:
    from kmop.registers.synthetic import Population
    from kmop.registers.synthetic_extract import FUNCTIONS_HEADER, function_line

    rows = [f for r in Population(seed=2, size=400) for f in r.functions]
    path = _write(tmp_path, FUNCTIONS_HEADER + "".join(map(function_line, rows)))
    result = import_functions_file(path, actor=ACTOR, batch_size=100)
    assert result.created == len(rows) == LegalFunction.objects.count()
    again = import_functions_file(path, actor=ACTOR, batch_size=100)
    assert again.unchanged == len(rows)


def test_command(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("import_functions", str(_write(tmp_path, HEADER + GOOD)), stdout=out)
    assert "functions.csv: 3 regels, 3 aangemaakt, 0 gewijzigd, 0 ongewijzigd" in out.getvalue()
    assert "2 ondernemingsnummers staan (nog) niet in de KBO-tabellen" in out.getvalue()
    # the operating-system user is the actor
    assert AuditEvent.objects.filter(action="legal_function.create").count() == 3
    assert all(
        label.startswith("import_functions (")
        for label in AuditEvent.objects.filter(action="legal_function.create").values_list(
            "actor_label", flat=True
        )
    )
    with pytest.raises(CommandError, match=r"bad\.csv, regel 2, kolom FunctionCode"):
        call_command(
            "import_functions",
            str(_write(tmp_path, HEADER + '"0403.170.701","85073003328","X",01-02-2015,\n', "bad.csv")),
        )
    with pytest.raises(CommandError, match=r"missing\.csv"):
        call_command("import_functions", str(tmp_path / "missing.csv"))


def test_command_in_english(tmp_path: Path) -> None:
    from django.utils import translation

    out = io.StringIO()
    with translation.override("en"):
        call_command("import_functions", str(_write(tmp_path, HEADER + GOOD)), stdout=out)
    assert "functions.csv: 3 lines, 3 created, 0 changed, 0 unchanged" in out.getvalue()


def test_a_broken_file_leaves_the_function_codes_unchanged(tmp_path: Path) -> None:
    """The command loads missing codes in the transaction of the import: a broken file changes nothing."""
    LegalFunctionCode.objects.all().delete()
    events = AuditEvent.objects.count()
    broken = _write(tmp_path, HEADER + '"0403.170.701","85073003328","10006",01-02-2015\n', "broken.csv")
    with pytest.raises(CommandError, match=r"er is niets gewijzigd: broken\.csv, regel 2"):
        call_command("import_functions", str(broken), stdout=io.StringIO())
    assert not LegalFunctionCode.objects.exists()
    assert AuditEvent.objects.count() == events
    out = io.StringIO()
    call_command("import_functions", str(_write(tmp_path, HEADER + GOOD)), stdout=out)
    assert LegalFunctionCode.objects.filter(code="10006").exists()
    assert "functiecodes aangemaakt" in out.getvalue()


# --- writes and audit events outside a transaction ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(TransactionManagementError, match="inside the transaction"):
        audit_record(actor=ACTOR, action="x.test", object_type="x", object_id="1")
    assert not AuditEvent.objects.filter(action="x.test").exists()


@pytest.mark.django_db(transaction=True)
def test_legal_functions_load_is_one_transaction() -> None:
    legal_function_codes_load(actor=ACTOR)

    def rows_then_a_failure() -> Iterator[LegalFunctionRow]:
        yield LegalFunctionRow("0403170701", "85073003328", "10006", date(2015, 2, 1), None)
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError):
        legal_functions_load(actor=ACTOR, functions=rows_then_a_failure(), replace=True, reason="test")
    assert not LegalFunction.objects.exists()
    assert not AuditEvent.objects.filter(action="legal_function.load").exists()
    count = legal_functions_load(
        actor=ACTOR,
        functions=[LegalFunctionRow("0403170701", "85073003328", "10006", date(2015, 2, 1), None)],
        reason="test",
    )
    assert count == LegalFunction.objects.count() == 1
    event = AuditEvent.objects.get(action="legal_function.load")
    assert event.after == {"legal_functions": 1, "replace": False}

"""The KBO Open Data importer (``kmop import_kbo``, ``import_extract``), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
import io
import random
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import models
from stdnum.be import vat

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.registers import importer as importer_module
from kmop.registers.errors import ImportFileError
from kmop.registers.importer import ExtractSequenceError, import_extract
from kmop.registers.importer_tables import numbers_valid
from kmop.registers.management.commands.import_kbo import Command
from kmop.registers.models import (
    Activity,
    Address,
    Branch,
    Contact,
    Denomination,
    Enterprise,
    Establishment,
    KboCode,
    KboExtract,
)
from tests.registers import kbo_files
from tests.registers.kbo_files import B1, E1, E2, E3, S1, S2, SAMPLE_UPDATE, compact, csv_text, full, update

pytestmark = pytest.mark.django_db(transaction=True)

KBO_MODELS: list[type[models.Model]] = [
    KboCode,
    Enterprise,
    Establishment,
    Denomination,
    Address,
    Contact,
    Activity,
    Branch,
]


def rows_of(model: type[models.Model]) -> list[tuple[Any, ...]]:
    """A table's rows without the surrogate id, sorted: equal when the content is equal."""
    names = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
    return sorted(model._default_manager.values_list(*names), key=repr)


def snapshot() -> dict[str, Any]:
    state: dict[str, Any] = {model.__name__: rows_of(model) for model in KBO_MODELS}
    state["extracts"] = list(KboExtract.objects.order_by("id").values_list("id", "extract_number", "forced"))
    state["audit"] = AuditEvent.objects.count()
    return state


@pytest.fixture
def imported_full(tmp_path: Path) -> KboExtract:
    return import_extract(full().write(tmp_path / "full"))


def assert_fails(
    path: Path, *, file: str, line: int | None, column: str | None, contains: str = ""
) -> ImportFileError:
    """Importing fails with that file/line/column and leaves the database as it was."""
    before = snapshot()
    with pytest.raises(ImportFileError) as caught:
        import_extract(path)
    error = caught.value
    assert error.file.endswith(file), error
    assert error.line == line, error
    assert error.column == column, error
    assert contains in str(error), error
    assert f"/{file}" in str(error) or str(error).startswith(file)
    assert snapshot() == before
    return error


# --- full extracts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "folder"])
def test_full_extract_loads_every_table(tmp_path: Path, zipped: bool) -> None:
    extract = import_extract(full(number=146).write(tmp_path, zipped=zipped))

    assert extract.extract_type == "full"
    assert extract.extract_number == 146
    assert extract.snapshot_date == datetime.date(2025, 10, 10)
    assert extract.extract_timestamp is not None
    assert extract.extract_timestamp.astimezone(datetime.UTC) == datetime.datetime(
        2025, 10, 11, 5, 40, 18, tzinfo=datetime.UTC
    )
    assert extract.version == "1.0.0"
    assert extract.forced is False
    assert extract.row_counts == {
        "code.csv": len(kbo_files.CODES),
        "enterprise.csv": 3,
        "establishment.csv": 2,
        "denomination.csv": 5,
        "address.csv": 4,
        "contact.csv": 3,
        "activity.csv": 5,
        "branch.csv": 1,
    }

    assert KboCode.objects.count() == len(kbo_files.CODES)
    e1 = Enterprise.objects.get(pk=compact(E1))
    assert (e1.status, e1.juridical_situation, e1.type_of_enterprise) == ("AC", "000", "2")
    assert (e1.juridical_form, e1.juridical_form_cac, e1.start_date) == (
        "014",
        None,
        datetime.date(2003, 2, 1),
    )
    e3 = Enterprise.objects.get(pk=compact(E3))
    assert (e3.juridical_form, e3.juridical_form_cac, e3.start_date) == (
        "610",
        "014",
        datetime.date(2024, 2, 29),
    )
    assert Enterprise.objects.get(pk=compact(E2)).juridical_form is None
    assert str(e1) == E1

    s1 = Establishment.objects.get(pk=compact(S1))
    assert (s1.enterprise_id, s1.start_date) == (compact(E1), datetime.date(2003, 3, 1))
    assert Branch.objects.get(pk=compact(B1)).enterprise_id == compact(E3)

    names = set(Denomination.objects.filter(entity_number=compact(E1)).values_list("denomination", flat=True))
    assert names == {"Janssens & Zonen", 'Bakkerij "De Korenaar", Gent'}
    assert Denomination.objects.get(entity_number=compact(B1)).type_of_denomination == "004"

    seat = Address.objects.get(entity_number=compact(E1))
    assert (seat.zipcode, seat.street_nl, seat.house_number, seat.box, seat.country_nl) == (
        "9000",
        "Kerkstraat",
        "12",
        None,
        None,
    )
    assert seat.date_striking_off is None
    assert Address.objects.get(entity_number=compact(S2)).date_striking_off == datetime.date(2024, 12, 31)
    assert Address.objects.get(entity_number=compact(E3)).country_fr == "France"

    assert set(Contact.objects.filter(entity_number=compact(E1)).values_list("contact_type", "value")) == {
        ("TEL", "09/123.45.67"),
        ("EMAIL", "info@korenaar.be"),
    }
    assert set(
        Activity.objects.filter(entity_number=compact(E1)).values_list("nace_version", "nace_code")
    ) == {
        ("2008", "47110"),
        ("2025", "62100"),
        ("2003", "72220"),
    }

    event = AuditEvent.objects.get(action="kbo.import")
    assert (event.actor_label, event.object_type, event.object_id) == (
        "import_kbo",
        "KboExtract",
        str(extract.pk),
    )
    assert event.after is not None
    assert event.after["row_counts"]["activity.csv"] == 5
    assert event.after["extract_number"] == 146


def test_full_extract_replaces_everything(tmp_path: Path, imported_full: KboExtract) -> None:
    other = kbo_files.enterprise(50)
    second = full(
        number=2,
        codes=[c for c in kbo_files.CODES if c[0] != "Nace2003"],
        tables={
            "enterprise": [(other, "AC", "000", "1", "", "", "01-01-2020")],
            "denomination": [(other, "2", "001", "Nieuw")],
        },
    )
    import_extract(second.write(tmp_path / "second"))

    assert list(Enterprise.objects.values_list("pk", flat=True)) == [compact(other)]
    assert list(Denomination.objects.values_list("denomination", flat=True)) == ["Nieuw"]
    for model in (Establishment, Address, Contact, Activity, Branch):
        assert not model.objects.exists(), model
    assert not KboCode.objects.filter(category="Nace2003").exists()
    assert KboExtract.objects.count() == 2


def test_full_extract_twice_gives_the_same_rows(tmp_path: Path) -> None:
    path = full().write(tmp_path)
    import_extract(path)
    first = snapshot()
    import_extract(path)
    second = snapshot()
    assert {k: v for k, v in first.items() if k not in ("extracts", "audit")} == {
        k: v for k, v in second.items() if k not in ("extracts", "audit")
    }
    assert KboExtract.objects.count() == 2


def test_indexes_survive_a_full_import(tmp_path: Path) -> None:
    """A full load drops the secondary indexes and primary keys and rebuilds them with the same names."""
    from django.db import connection

    def indexes() -> dict[str, Any]:
        with connection.cursor() as cursor:
            return {
                model._meta.db_table: sorted(
                    (name, tuple(info["columns"]), bool(info["primary_key"]), bool(info["unique"]))
                    for name, info in connection.introspection.get_constraints(
                        cursor, model._meta.db_table
                    ).items()
                )
                for model in KBO_MODELS
            }

    before = indexes()
    assert any(columns == ("entity_number",) for _n, columns, _p, _u in before["registers_activity"])
    import_extract(full().write(tmp_path))
    assert indexes() == before
    tables = kbo_files.base_tables()
    tables["activity"].append((E1, "001", "2008", "00000", "MAIN"))
    with pytest.raises(ImportFileError):
        import_extract(full(number=2, tables=tables).write(tmp_path / "broken"))
    assert indexes() == before


def test_values_that_need_escaping_and_line_breaks(tmp_path: Path) -> None:
    """Tabs, backslashes, quotes and line breaks inside values are kept exactly (the COPY escapes)."""
    tables = kbo_files.base_tables()
    tables["denomination"] = [
        (E1, "2", "001", "Tab\there"),
        (E1, "2", "002", "Back\\slash \\N"),
        (E2, "2", "001", "Two\nlines"),
        (S1, "2", "003", "CR\r\nLF"),
    ]
    import_extract(full(tables=tables).write(tmp_path))
    assert set(Denomination.objects.values_list("denomination", flat=True)) == {
        "Tab\there",
        "Back\\slash \\N",
        "Two\nlines",
        "CR\r\nLF",
    }


def test_byte_order_mark_and_crlf_line_ends(tmp_path: Path) -> None:
    import_extract(full(bom=True, newline="\r\n").write(tmp_path))
    assert Enterprise.objects.count() == 3
    assert Denomination.objects.get(entity_number=compact(E2)).denomination == "Peeters, Marc"


def test_many_rows_over_several_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files larger than a batch load completely; an error in a later batch has the right line."""
    monkeypatch.setattr(importer_module, "BATCH_ROWS", 7)
    numbers = [kbo_files.enterprise(100 + i) for i in range(40)]
    tables: dict[str, list[tuple[str, ...]]] = {
        "enterprise": [(n, "AC", "000", "1", "", "", "01-01-2020") for n in numbers],
        "activity": [(n, "001", "2008", "62010", "MAIN") for n in numbers for _ in range(3)],
        "denomination": [(n, "2", "001", f"Naam\nmet regel {i}") for i, n in enumerate(numbers)],
    }
    import_extract(full(tables=tables).write(tmp_path / "ok"))
    assert Enterprise.objects.count() == 40
    assert Activity.objects.count() == 120
    assert Denomination.objects.filter(denomination__startswith="Naam\nmet").count() == 40

    # Row 30 of denomination.csv (two lines per row, header on line 1) starts on line 2 + 29 * 2.
    tables["denomination"][29] = (numbers[29], "9", "001", "Naam\nmet regel")
    assert_fails(
        full(tables=tables).write(tmp_path / "bad"),
        file="denomination.csv",
        line=60,
        column="Language",
        contains="'9'",
    )


# --- update extracts --------------------------------------------------------------------------------


def test_update_deletes_before_inserts_and_upserts(tmp_path: Path, imported_full: KboExtract) -> None:
    new = kbo_files.enterprise(60)
    extract = import_extract(
        update(
            number=2,
            deletes={
                # E1 is deleted and inserted again: deletes first, so it stays (with its new values).
                "enterprise": [E1, E2],
                "establishment": [S2],
                "denomination": [E1, E2],
                "address": [S2],
                "contact": [E1],
                "activity": [E2],
                "branch": [B1],
            },
            tables={
                "enterprise": [
                    (E1, "AC", "000", "2", "610", "610", "01-02-2003"),
                    (E3, "AC", "000", "2", "014", "", "29-02-2024"),  # an upsert of an existing row
                    (new, "AC", "000", "1", "", "", "10-10-2025"),
                ],
                "denomination": [(E1, "2", "001", "Janssens NV"), (new, "2", "001", "Nieuwe zaak")],
                "activity": [(S1, "003", "2025", "62100", "MAIN")],
            },
        ).write(tmp_path)
    )

    assert extract.extract_type == "update"
    assert extract.row_counts["enterprise_delete.csv"] == 2
    assert extract.row_counts["enterprise_insert.csv"] == 3
    assert set(Enterprise.objects.values_list("pk", "juridical_form", "juridical_form_cac")) == {
        (compact(E1), "610", "610"),
        (compact(E3), "014", None),
        (compact(new), None, None),
    }
    assert list(Establishment.objects.values_list("pk", flat=True)) == [compact(S1)]
    assert not Branch.objects.exists()
    assert set(Denomination.objects.values_list("entity_number", "denomination")) == {
        (compact(E1), "Janssens NV"),
        (compact(S1), "Korenaar Gent"),
        (compact(B1), "Succursale Belge"),
        (compact(new), "Nieuwe zaak"),
    }
    assert not Address.objects.filter(entity_number=compact(S2)).exists()
    assert Address.objects.count() == 3
    assert list(Contact.objects.values_list("entity_number", flat=True)) == [compact(S1)]
    # The insert file holds S1's complete set of activities: its old row is replaced.
    assert list(Activity.objects.filter(entity_number=compact(S1)).values_list("nace_code", flat=True)) == [
        "62100"
    ]
    assert not Activity.objects.filter(entity_number=compact(E2)).exists()
    assert Activity.objects.filter(entity_number=compact(E1)).count() == 3


def test_update_twice_gives_the_same_rows(tmp_path: Path, imported_full: KboExtract) -> None:
    path = update(
        number=2,
        deletes={"enterprise": [E2], "denomination": [E2]},
        tables={
            "enterprise": [(E1, "AC", "000", "2", "610", "", "01-02-2003")],
            "denomination": [(E1, "2", "001", "Eén"), (E1, "1", "001", "Un")],
            "activity": [(E1, "001", "2008", "62010", "MAIN")],
        },
    ).write(tmp_path)
    import_extract(path)
    first = snapshot()
    import_extract(path)  # the very last extract again: allowed, and nothing changes
    second = snapshot()
    assert {k: v for k, v in first.items() if k not in ("extracts", "audit")} == {
        k: v for k, v in second.items() if k not in ("extracts", "audit")
    }
    assert Denomination.objects.filter(entity_number=compact(E1)).count() == 2
    assert list(KboExtract.objects.order_by("id").values_list("extract_number", "forced")) == [
        (1, False),
        (2, False),
        (2, False),
    ]


def test_update_replaces_the_code_table(tmp_path: Path, imported_full: KboExtract) -> None:
    codes = [*kbo_files.CODES, ("ContactType", "FAX", "NL", "Faxnummer")]
    import_extract(
        update(number=2, codes=codes, tables={"contact": [(E2, "ENT", "FAX", "09/111.11.11")]}).write(
            tmp_path
        )
    )
    assert KboCode.objects.filter(category="ContactType", code="FAX").exists()
    assert KboCode.objects.count() == len(codes)
    assert Contact.objects.get(entity_number=compact(E2)).contact_type == "FAX"


def test_an_unchanged_code_table_is_left_as_it_is(tmp_path: Path, imported_full: KboExtract) -> None:
    """An update whose code.csv is the previous extract's, byte for byte, does not rewrite the code table,
    and its data files are still checked against those codes."""
    rows = list(KboCode.objects.order_by("pk").values_list("pk", "category", "code"))
    assert imported_full.code_digest
    bad = update(number=2, tables={"contact": [(E2, "ENT", "FAX", "09/111.11.11")]}).write(tmp_path / "bad")
    assert_fails(bad, file="contact_insert.csv", line=2, column="ContactType", contains="FAX")
    extract = import_extract(
        update(number=2, tables={"contact": [(E2, "ENT", "EMAIL", "info@example.be")]}).write(tmp_path)
    )
    assert extract.code_digest == imported_full.code_digest
    assert "code.csv" not in extract.row_counts
    assert list(KboCode.objects.order_by("pk").values_list("pk", "category", "code")) == rows
    assert Contact.objects.get(entity_number=compact(E2)).value == "info@example.be"
    # changed again: rewritten (new keys), and its digest recorded
    codes = [*kbo_files.CODES, ("ContactType", "FAX", "NL", "Faxnummer")]
    changed = import_extract(update(number=3, codes=codes).write(tmp_path / "changed"))
    assert changed.code_digest not in ("", extract.code_digest)
    assert changed.row_counts["code.csv"] == len(codes)
    assert KboCode.objects.filter(category="ContactType", code="FAX").exists()


# --- the sequence -----------------------------------------------------------------------------------


def test_update_without_a_full_extract_is_refused(tmp_path: Path) -> None:
    path = update(number=2).write(tmp_path)
    before = snapshot()
    with pytest.raises(ExtractSequenceError) as caught:
        import_extract(path)
    assert caught.value.file.endswith("meta.csv")
    assert (caught.value.line, caught.value.column) == (5, "Value")
    assert "volledig extract" in str(caught.value)
    assert snapshot() == before

    extract = import_extract(path, force=True)
    assert extract.forced is True


def test_update_out_of_sequence_is_refused_unless_forced(tmp_path: Path, imported_full: KboExtract) -> None:
    gap = update(number=3, tables={"enterprise": [(E2, "AC", "000", "1", "", "", "02-02-2002")]}).write(
        tmp_path
    )
    before = snapshot()
    with pytest.raises(ExtractSequenceError) as caught:
        import_extract(gap)
    assert "verwacht 2" in str(caught.value)
    assert snapshot() == before

    forced = import_extract(gap, force=True)
    assert forced.forced is True
    assert Enterprise.objects.get(pk=compact(E2)).start_date == datetime.date(2002, 2, 2)

    # The next one follows the forced one; an older one is refused again.
    assert import_extract(update(number=4).write(tmp_path / "next")).forced is False
    with pytest.raises(ExtractSequenceError):
        import_extract(update(number=2).write(tmp_path / "old"))


def test_a_full_extract_with_the_same_or_a_higher_number_is_accepted(
    tmp_path: Path, imported_full: KboExtract
) -> None:
    import_extract(update(number=2).write(tmp_path / "u"))
    same = import_extract(full(number=2).write(tmp_path / "f2"))  # the same number as the last update
    assert same.forced is False
    again = import_extract(full(number=2).write(tmp_path / "f2again"))  # the same full extract again
    assert again.forced is False
    later = import_extract(full(number=9).write(tmp_path / "f9"))  # a gap is fine for a full extract
    assert later.forced is False
    # After a full extract the update must follow its number.
    with pytest.raises(ExtractSequenceError):
        import_extract(update(number=11).write(tmp_path / "u11"))
    assert import_extract(update(number=10).write(tmp_path / "u10")).forced is False


def test_an_older_full_extract_is_refused_unless_forced(tmp_path: Path, imported_full: KboExtract) -> None:
    import_extract(update(number=2).write(tmp_path / "u2"))
    tables = kbo_files.base_tables()
    tables["enterprise"][1] = (E2, "AC", "000", "1", "", "", "02-02-2002")
    older = full(number=1, tables=tables).write(tmp_path / "f1")
    before = snapshot()
    with pytest.raises(ExtractSequenceError) as caught:
        import_extract(older)
    error = caught.value
    assert error.file.endswith("meta.csv")
    assert (error.line, error.column) == (5, "Value")
    assert "Volledig extract 1 is ouder dan het laatst geïmporteerde extract 2" in str(error)
    assert "--force" in str(error)
    assert snapshot() == before

    forced = import_extract(older, force=True)
    assert (forced.extract_type, forced.extract_number, forced.forced) == ("full", 1, True)
    assert Enterprise.objects.get(pk=compact(E2)).start_date == datetime.date(2002, 2, 2)
    event = AuditEvent.objects.filter(action="kbo.import").latest("id")
    assert event.after is not None
    assert event.after["forced"] is True
    # The sequence goes on from the forced full extract.
    assert import_extract(update(number=2).write(tmp_path / "u2b")).forced is False


def test_the_actor_is_recorded(tmp_path: Path) -> None:
    extract = import_extract(full().write(tmp_path), actor=Actor.system("import_kbo (test)"))
    event = AuditEvent.objects.get(action="kbo.import")
    assert (event.actor_label, event.object_id) == ("import_kbo (test)", str(extract.pk))


# --- broken files: each names the file, line and column, and changes nothing ----------------------


def test_wrong_header(tmp_path: Path, imported_full: KboExtract) -> None:
    header = list(kbo_files.HEADERS["enterprise"])
    header[6] = "Startdate"
    text = csv_text(header, [])
    error = assert_fails(
        full(number=2, raw={"enterprise.csv": text}).write(tmp_path),
        file="enterprise.csv",
        line=1,
        column=None,
    )
    assert '"StartDate"' in str(error)
    assert '"Startdate"' in str(error)


@pytest.mark.parametrize("name", ["code.csv", "meta.csv", "activity_insert.csv", "branch_delete.csv"])
def test_wrong_header_of_other_files(tmp_path: Path, imported_full: KboExtract, name: str) -> None:
    extract = update(number=2)
    text = extract.files()[name]
    assert isinstance(text, str)
    first, rest = text.split("\n", 1)
    broken = first.replace('"', "", 2) + ',"Extra"\n' + rest
    assert_fails(update(number=2, raw={name: broken}).write(tmp_path), file=name, line=1, column=None)


def test_empty_file(tmp_path: Path, imported_full: KboExtract) -> None:
    assert_fails(
        full(number=2, raw={"contact.csv": ""}).write(tmp_path), file="contact.csv", line=1, column=None
    )


def test_malformed_csv_line(tmp_path: Path, imported_full: KboExtract) -> None:
    text = csv_text(kbo_files.HEADERS["denomination"], [(E1, "2", "001", "Goed")])
    text += f'"{E2}","2","001","Slecht" afgesloten\n'
    error = assert_fails(
        full(number=2, raw={"denomination.csv": text}).write(tmp_path),
        file="denomination.csv",
        line=3,
        column=None,
    )
    assert "CSV" in str(error)


def test_wrong_number_of_columns(tmp_path: Path, imported_full: KboExtract) -> None:
    rows = [(S1, "01-03-2003", E1), (S2, "16-09-2025")]
    text = csv_text(kbo_files.HEADERS["establishment"], rows)
    error = assert_fails(
        full(number=2, raw={"establishment.csv": text}).write(tmp_path),
        file="establishment.csv",
        line=3,
        column=None,
    )
    assert "3" in str(error)
    assert "2" in str(error)


@pytest.mark.parametrize(
    ("table", "row", "column", "contains"),
    [
        (
            "enterprise",
            ("0200.000.100", "AC", "000", "1", "", "", "01-01-2020"),
            "EnterpriseNumber",
            "ondernemingsnummer",
        ),
        (
            "enterprise",
            (kbo_files.establishment(9), "AC", "000", "1", "", "", "01-01-2020"),
            "EnterpriseNumber",
            "",
        ),
        (
            "establishment",
            ("2.000.000.100", "01-01-2020", E1),
            "EstablishmentNumber",
            "vestigingseenheidsnummer",
        ),
        ("establishment", (E2, "01-01-2020", E1), "EstablishmentNumber", ""),
        ("establishment", (kbo_files.establishment(9), "01-01-2020", "0200.000.100"), "EnterpriseNumber", ""),
        ("denomination", ("0200.000.199", "2", "001", "X"), "EntityNumber", "entiteitsnummer"),
        ("denomination", ("2.000.000.100", "2", "001", "X"), "EntityNumber", "entiteitsnummer"),
        ("address", ("12345", "REGO", "", "", "", "", "", "", "", "", "", "", ""), "EntityNumber", ""),
        ("contact", ("BE0200000199", "ENT", "TEL", "1"), "EntityNumber", ""),
        ("activity", ("9.000.006", "001", "2008", "62010", "MAIN"), "EntityNumber", ""),
        ("branch", ("8.000.006.626", "01-01-2010", E3), "Id", "bijkantoor"),
    ],
)
def test_invalid_numbers(
    tmp_path: Path, imported_full: KboExtract, table: str, row: tuple[str, ...], column: str, contains: str
) -> None:
    rows = list(kbo_files.base_tables()[table])
    rows.insert(1, row)
    assert_fails(
        full(number=2, tables={**kbo_files.base_tables(), table: rows}).write(tmp_path),
        file=f"{table}.csv",
        line=3,
        column=column,
        contains=contains,
    )


@pytest.mark.parametrize(
    ("table", "row", "column"),
    [
        ("enterprise", (E1, "AC", "000", "2", "", "", "29-02-2023"), "StartDate"),
        ("enterprise", (E1, "AC", "000", "2", "", "", "2003-02-01"), "StartDate"),
        ("enterprise", (E1, "AC", "000", "2", "", "", ""), "StartDate"),
        ("establishment", (S1, "32-01-2003", E1), "StartDate"),
        ("address", (E1, "REGO", "", "", "", "", "", "", "", "", "", "", "1-1-2020"), "DateStrikingOff"),
        ("branch", (B1, "01/01/2010", E3), "StartDate"),
    ],
)
def test_invalid_dates(
    tmp_path: Path, imported_full: KboExtract, table: str, row: tuple[str, ...], column: str
) -> None:
    rows = list(kbo_files.base_tables()[table])
    rows.insert(0, row)
    assert_fails(
        full(number=2, tables={**kbo_files.base_tables(), table: rows}).write(tmp_path),
        file=f"{table}.csv",
        line=2,
        column=column,
    )


@pytest.mark.parametrize(
    ("table", "row", "column", "category"),
    [
        ("enterprise", (E1, "XX", "000", "2", "", "", "01-01-2020"), "Status", "Status"),
        (
            "enterprise",
            (E1, "AC", "999", "2", "", "", "01-01-2020"),
            "JuridicalSituation",
            "JuridicalSituation",
        ),
        ("enterprise", (E1, "AC", "000", "3", "", "", "01-01-2020"), "TypeOfEnterprise", "TypeOfEnterprise"),
        ("enterprise", (E1, "AC", "000", "2", "999", "", "01-01-2020"), "JuridicalForm", "JuridicalForm"),
        (
            "enterprise",
            (E1, "AC", "000", "2", "014", "998", "01-01-2020"),
            "JuridicalFormCAC",
            "JuridicalForm",
        ),
        ("denomination", (E1, "7", "001", "X"), "Language", "Language"),
        ("denomination", (E1, "2", "009", "X"), "TypeOfDenomination", "TypeOfDenomination"),
        (
            "address",
            (E1, "HOME", "", "", "", "", "", "", "", "", "", "", ""),
            "TypeOfAddress",
            "TypeOfAddress",
        ),
        ("contact", (E1, "XYZ", "TEL", "1"), "EntityContact", "EntityContact"),
        ("contact", (E1, "ENT", "FAX", "1"), "ContactType", "ContactType"),
        ("activity", (E1, "002", "2008", "62010", "MAIN"), "ActivityGroup", "ActivityGroup"),
        # 62100 is a Nace2025 code, not a Nace2008 one: codes are checked per NaceVersion.
        ("activity", (E1, "001", "2008", "62100", "MAIN"), "NaceCode", "Nace2008"),
        ("activity", (E1, "001", "2020", "62010", "MAIN"), "NaceVersion", ""),
        ("activity", (E1, "001", "2008", "62010", "PRIM"), "Classification", "Classification"),
    ],
)
def test_unknown_codes(
    tmp_path: Path, imported_full: KboExtract, table: str, row: tuple[str, ...], column: str, category: str
) -> None:
    rows = [*kbo_files.base_tables()[table], row]
    line = len(rows) + 1
    error = assert_fails(
        full(number=2, tables={**kbo_files.base_tables(), table: rows}).write(tmp_path),
        file=f"{table}.csv",
        line=line,
        column=column,
        contains=category,
    )
    assert row[kbo_files.HEADERS[table].index(column)] in str(error)


def test_codes_come_from_the_same_extract(tmp_path: Path, imported_full: KboExtract) -> None:
    """A code known in the database but missing from this extract's code.csv is refused."""
    codes = [c for c in kbo_files.CODES if c[:2] != ("ContactType", "EMAIL")]
    assert_fails(
        full(number=2, codes=codes).write(tmp_path),
        file="contact.csv",
        line=3,
        column="ContactType",
        contains="EMAIL",
    )


def test_text_too_long_and_required_values(tmp_path: Path, imported_full: KboExtract) -> None:
    tables = kbo_files.base_tables()
    tables["address"].append((E2, "BAET", "", "", "9" * 21, "", "", "", "", "", "", "", ""))
    assert_fails(
        full(number=2, tables=tables).write(tmp_path / "a"), file="address.csv", line=6, column="Zipcode"
    )
    tables = kbo_files.base_tables()
    tables["denomination"].append((E2, "2", "002", ""))
    assert_fails(
        full(number=2, tables=tables).write(tmp_path / "b"),
        file="denomination.csv",
        line=7,
        column="Denomination",
        contains="ontbreekt",
    )


@pytest.mark.parametrize("name", ["activity.csv", "code.csv", "meta.csv", "branch.csv"])
def test_missing_file(tmp_path: Path, imported_full: KboExtract, name: str) -> None:
    error = assert_fails(full(number=2, omit={name}).write(tmp_path), file=name, line=None, column=None)
    assert "ontbreekt" in str(error)


def test_missing_file_in_an_update(tmp_path: Path, imported_full: KboExtract) -> None:
    assert_fails(
        update(number=2, omit={"address_delete.csv"}).write(tmp_path, zipped=False),
        file="address_delete.csv",
        line=None,
        column=None,
    )


def test_missing_extract(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="bestaat niet"):
        import_extract(tmp_path / "KboOpenData_0001_2025_10_Full.zip")


def test_duplicate_key_in_a_full_extract(tmp_path: Path, imported_full: KboExtract) -> None:
    tables = kbo_files.base_tables()
    tables["enterprise"].append((E2, "AC", "000", "1", "", "", "01-01-2021"))
    error = assert_fails(
        full(number=2, tables=tables).write(tmp_path),
        file="enterprise.csv",
        line=5,
        column="EnterpriseNumber",
    )
    assert "regel 3" in str(error)
    assert E2 in str(error)


def test_duplicate_key_in_an_update(tmp_path: Path, imported_full: KboExtract) -> None:
    rows = [(S1, "01-03-2003", E1), (S2, "16-09-2025", E2), (S1, "02-03-2003", E1)]
    error = assert_fails(
        update(number=2, deletes={"enterprise": [E3]}, tables={"establishment": rows}).write(tmp_path),
        file="establishment_insert.csv",
        line=4,
        column="EstablishmentNumber",
    )
    assert "regel 2" in str(error)


def test_error_in_the_last_insert_file_undoes_the_deletes(tmp_path: Path, imported_full: KboExtract) -> None:
    assert_fails(
        update(
            number=2,
            deletes={
                table: [E1] for table in ("enterprise", "denomination", "address", "contact", "activity")
            },
            tables={
                "enterprise": [(E1, "AC", "000", "2", "", "", "01-01-2001")],
                "branch": [(B1, "01-01-2010", "0200.000.199")],
            },
        ).write(tmp_path),
        file="branch_insert.csv",
        line=2,
        column="EnterpriseNumber",
    )


def test_invalid_meta(tmp_path: Path, imported_full: KboExtract) -> None:
    extract = full(number=2)
    rows = extract.meta_rows()
    rows[0] = ("SnapshotDate", "31-09-2025")
    assert_fails(
        full(number=2, raw={"meta.csv": csv_text(kbo_files.HEADERS["meta"], rows)}).write(tmp_path / "a"),
        file="meta.csv",
        line=2,
        column="Value",
    )
    rows = extract.meta_rows()
    rows[2] = ("ExtractType", "monthly")
    assert_fails(
        full(number=2, raw={"meta.csv": csv_text(kbo_files.HEADERS["meta"], rows)}).write(tmp_path / "b"),
        file="meta.csv",
        line=4,
        column="Value",
    )
    rows = extract.meta_rows()[:3]
    assert_fails(
        full(number=2, raw={"meta.csv": csv_text(kbo_files.HEADERS["meta"], rows)}).write(tmp_path / "c"),
        file="meta.csv",
        line=None,
        column=None,
        contains="ExtractNumber",
    )


def test_duplicate_code_in_code_csv(tmp_path: Path, imported_full: KboExtract) -> None:
    codes = [*kbo_files.CODES, ("Status", "AC", "NL", "Nog eens actief")]
    assert_fails(
        full(number=2, codes=codes).write(tmp_path), file="code.csv", line=len(codes) + 1, column="Code"
    )


def test_invalid_utf8(tmp_path: Path, imported_full: KboExtract) -> None:
    text = csv_text(
        kbo_files.HEADERS["denomination"], [(E1, "2", "001", "Goed"), (E2, "2", "001", "Caf\x00")]
    )
    raw = text.encode("utf-8").replace(b"\x00", b"\xe9")  # Latin-1 é: not UTF-8
    error = assert_fails(
        full(number=2, raw={"denomination.csv": raw}).write(tmp_path),
        file="denomination.csv",
        line=3,
        column=None,
    )
    assert "UTF-8" in str(error)


def test_truncated_zip(tmp_path: Path, imported_full: KboExtract) -> None:
    path = full(number=2).write(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    error = assert_fails(path, file=path.name, line=None, column=None)
    assert "zip" in str(error)


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"]
)
def test_corrupt_zip_member(tmp_path: Path, imported_full: KboExtract, compression: int) -> None:
    """A damaged member (CRC error, or broken compressed data) is found while streaming it."""
    rows = [(kbo_files.enterprise(200 + i), "001", "2008", "62010", "MAIN") for i in range(2000)]
    path = full(number=2, tables={**kbo_files.base_tables(), "activity": rows}).write(
        tmp_path, compression=compression
    )
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("activity.csv")
        offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        size = info.compress_size
    data = bytearray(path.read_bytes())
    middle = offset + size // 2
    data[middle : middle + 8] = bytes(b ^ 0x55 for b in data[middle : middle + 8])
    path.write_bytes(bytes(data))
    before = snapshot()
    with pytest.raises(ImportFileError) as caught:
        import_extract(path)
    # Depending on where the damage falls: a CRC or zlib error, or a line that no longer validates.
    assert caught.value.file.endswith("activity.csv"), caught.value
    assert snapshot() == before


def test_damaged_code_csv_in_an_update(tmp_path: Path, imported_full: KboExtract) -> None:
    """code.csv is read whole first (its digest): damage there is named too, and changes nothing."""
    path = update(number=2, tables={"contact": [(E2, "ENT", "EMAIL", "info@example.be")]}).write(
        tmp_path, compression=zipfile.ZIP_STORED
    )
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("code.csv")
    data = path.read_bytes()
    position = data.index(b"ContactType", info.header_offset + 30 + len(info.filename) + len(info.extra))
    path.write_bytes(data[:position] + b"ContactTypf" + data[position + 11 :])
    error = assert_fails(path, file="code.csv", line=None, column=None)
    assert "CRC" in str(error)


def test_crc_error_while_streaming(tmp_path: Path, imported_full: KboExtract) -> None:
    """Data changed inside a stored member, still valid CSV: only the CRC at its end tells."""
    tables = kbo_files.base_tables()
    tables["denomination"] = [(E1, "2", "001", f"Naam {i} CRC-AAAA") for i in range(3000)]
    path = full(number=2, tables=tables).write(tmp_path, compression=zipfile.ZIP_STORED)
    data = path.read_bytes()
    assert data.count(b"CRC-AAAA") == 3000
    position = data.index(b"CRC-AAAA", len(data) // 2)
    path.write_bytes(data[:position] + b"CRC-BBBB" + data[position + 8 :])
    error = assert_fails(path, file="denomination.csv", line=None, column=None)
    assert "CRC" in str(error)


# --- numbers: the fast path agrees with python-stdnum ------------------------------------------------


NUMBER_KINDS = ("enterprise", "establishment", "branch", "entity")


def number_samples() -> list[str]:
    """Random ten-digit numbers, valid ones of every kind, the edge cases, and wrong forms."""
    rnd = random.Random(20251012)
    samples = [f"{rnd.randrange(10**10):010d}" for _ in range(20000)]
    # Random numbers with valid check digits (about 1 in 97 of the random ones has them).
    samples += [
        f"{first8:08d}{97 - first8 % 97:02d}" for first8 in (rnd.randrange(10**8) for _ in range(2000))
    ]
    samples += [kbo_files.enterprise(i) for i in range(1000)]
    samples += [kbo_files.enterprise(i).replace(".", "") for i in range(1000)]
    samples += [kbo_files.establishment(i) for i in range(1000)]
    samples += [kbo_files.establishment(i).replace(".", "") for i in range(1000)]
    samples += [kbo_files.branch(i) for i in range(100)]
    samples += list(kbo_files.EDGE_NUMBERS)
    samples += ["", ".", "0200.000.19", "0200.000.1977", "02.00.000.197", "020000019", "0200 000 197"]
    samples += ["０２００００００１９７", "٠٢٠٠٠٠٠٠١٩٧", "BE0200000197", "x" * 10, "-200000197", "+200000197"]
    return sorted(set(samples))


def test_fast_number_check_agrees_with_stdnum() -> None:
    """numbers_valid (the batch check) accepts exactly what python-stdnum and the first-digit rule accept."""
    samples = number_samples()
    for kind in NUMBER_KINDS:
        for value in samples:
            assert numbers_valid([value], kind) == kbo_files.stdnum_number_valid(value, kind), (kind, value)
    # Real checks happen: the edge cases hold valid and invalid numbers of each kind.
    assert vat.is_valid("0000000097")
    assert numbers_valid(["0000.000.097"], "enterprise")
    assert not vat.is_valid("0000000000")
    assert vat.checksum("0000000000") == 0
    for kind in ("enterprise", "entity"):
        for zeros in ("0000000000", "0000.000.000", "0.000.000.000"):
            assert not numbers_valid([zeros], kind)
            # ... also among valid numbers in the same batch.
            assert not numbers_valid([kbo_files.enterprise(1), zeros, kbo_files.enterprise(2)], kind)
    assert numbers_valid([kbo_files.enterprise(1), kbo_files.establishment(1), kbo_files.branch(1)], "entity")


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("enterprise", "EnterpriseNumber", "0000.000.000"),
        ("enterprise", "EnterpriseNumber", "0000000000"),
        ("establishment", "EnterpriseNumber", "0000.000.000"),
        ("denomination", "EntityNumber", "0000.000.000"),
        ("address", "EntityNumber", "0.000.000.000"),  # written like an establishment number
        ("branch", "EnterpriseNumber", "0000.000.000"),
    ],
)
@pytest.mark.parametrize("kind", ["full", "update"])
def test_all_zero_number_is_refused(
    tmp_path: Path, imported_full: KboExtract, table: str, column: str, value: str, kind: str
) -> None:
    """0000.000.000 passes the mod-97 check but not python-stdnum: refused on every path (also the
    PostgreSQL fast path of full extracts), naming the file, line and column."""
    rows = list(kbo_files.base_tables()[table])
    index = kbo_files.HEADERS[table].index(column)
    row = list(rows[0])
    row[index] = value
    # A key of its own, so that only the number is wrong.
    fresh_keys = {"establishment": kbo_files.establishment(50), "branch": kbo_files.branch(50)}
    if table in fresh_keys:
        row[0] = fresh_keys[table]
    rows.insert(1, tuple(row))
    if kind == "full":
        path = full(number=2, tables={**kbo_files.base_tables(), table: rows}).write(tmp_path)
        name = f"{table}.csv"
    else:
        path = update(number=2, tables={table: rows}).write(tmp_path)
        name = f"{table}_insert.csv"
    error = assert_fails(path, file=name, line=3, column=column)
    assert repr(value) in str(error)


def test_all_zero_number_in_a_delete_file_is_refused(tmp_path: Path, imported_full: KboExtract) -> None:
    assert_fails(
        update(number=2, deletes={"enterprise": [E2, "0000.000.000"]}).write(tmp_path),
        file="enterprise_delete.csv",
        line=3,
        column="EnterpriseNumber",
        contains="'0000.000.000'",
    )


# --- the real sample --------------------------------------------------------------------------------


@pytest.fixture
def sample_update() -> Path:
    if not (SAMPLE_UPDATE / "meta.csv").exists():
        pytest.skip(
            f"the real KBO sample is not there ({SAMPLE_UPDATE}): shared/samples is not part of a clone"
        )
    return SAMPLE_UPDATE


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_real_sample_update(tmp_path: Path, sample_update: Path, zipped: bool) -> None:
    """The real update extract 147 of 12-10-2025, after a full extract 146 with its official code table."""
    code_text = (sample_update / "code.csv").read_text(encoding="utf-8")
    old = "0552.627.113"  # in enterprise_insert.csv, with a new start date
    import_extract(
        full(
            number=146,
            code_text=code_text,
            tables={
                "enterprise": [
                    (old, "AC", "000", "1", "", "", "01-01-2000"),
                    ("0502.503.253", "AC", "000", "1", "", "", "01-01-2000"),
                ],
                "denomination": [("0502.503.253", "2", "001", "Weg"), ("0552.627.113", "2", "001", "Oud")],
            },
        ).write(tmp_path / "full")
    )
    path = sample_update
    if zipped:
        path = Path(shutil.make_archive(str(tmp_path / sample_update.name), "zip", sample_update))
    extract = import_extract(path)

    assert (extract.extract_type, extract.extract_number) == ("update", 147)
    assert extract.snapshot_date == datetime.date(2025, 10, 11)
    assert extract.row_counts["enterprise_insert.csv"] == 28
    assert extract.row_counts["enterprise_delete.csv"] == 162
    assert extract.row_counts["activity_insert.csv"] == 425
    assert extract.row_counts["branch_insert.csv"] == 0
    assert KboCode.objects.count() == 21500

    assert not Enterprise.objects.filter(pk="0502503253").exists()  # in enterprise_delete.csv only
    assert Enterprise.objects.count() == 28
    updated = Enterprise.objects.get(pk="0552627113")
    assert (updated.status, updated.type_of_enterprise, updated.start_date) == (
        "AC",
        "1",
        datetime.date(2025, 9, 15),
    )
    assert list(
        Denomination.objects.filter(entity_number="0552627113").values_list("denomination", flat=True)
    ) == ["Callebaut, Brenda"]
    assert not Denomination.objects.filter(entity_number="0502503253").exists()
    assert Establishment.objects.get(pk="2190171611").enterprise_id == "0859001118"
    assert Establishment.objects.count() == 22
    assert Activity.objects.count() == 425
    assert set(Activity.objects.values_list("nace_version", flat=True)) <= {"2003", "2008", "2025"}
    assert Address.objects.count() == 68
    assert (
        Contact.objects.filter(entity_number="0628983929", contact_type="EMAIL").get().value
        == "info@svd-solutions.be"
    )

    # The same update again: allowed (the very last one) and the same rows.
    before = snapshot()
    import_extract(path)
    after = snapshot()
    assert {k: v for k, v in before.items() if k not in ("extracts", "audit")} == {
        k: v for k, v in after.items() if k not in ("extracts", "audit")
    }


# --- the command ------------------------------------------------------------------------------------


def test_command_imports_several_extracts_in_order(tmp_path: Path) -> None:
    out = io.StringIO()
    first = full(number=10).write(tmp_path / "a")
    second = update(number=11, tables={"enterprise": [(E2, "AC", "000", "1", "", "", "03-03-2003")]}).write(
        tmp_path / "b", zipped=False
    )
    call_command("import_kbo", str(first), str(second), "--no-progress", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 2
    assert "full-extract 10" in lines[0]
    assert "update-extract 11" in lines[1]
    assert list(KboExtract.objects.order_by("id").values_list("extract_number", flat=True)) == [10, 11]
    assert Enterprise.objects.get(pk=compact(E2)).start_date == datetime.date(2003, 3, 3)


def test_command_force(tmp_path: Path) -> None:
    path = update(number=5).write(tmp_path)
    with pytest.raises(CommandError, match="volledig extract"):
        call_command("import_kbo", str(path), "--no-progress")
    out = io.StringIO()
    call_command("import_kbo", str(path), "--force", stdout=out)
    assert "geforceerd" in out.getvalue()
    assert KboExtract.objects.get().forced is True


def test_command_error_exits_with_status_1_and_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = full(number=1).write(tmp_path / "good")
    tables = kbo_files.base_tables()
    tables["enterprise"][1] = (E2, "AC", "000", "1", "", "", "31-11-2020")
    bad = full(number=2, tables=tables).write(tmp_path / "bad")
    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(["kmop", "import_kbo", "--skip-checks", "--no-progress", str(good), str(bad)])
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "full-extract 1 " in captured.out
    error_lines = captured.err.strip().splitlines()
    assert len(error_lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert "enterprise.csv, regel 3, kolom StartDate" in error_lines[0]
    assert "'31-11-2020'" in error_lines[0]
    # The message tells that the extract before it was imported, and that the failing one changed nothing.
    assert f"Import van {bad} mislukt, dit extract heeft niets gewijzigd" in error_lines[0]
    assert f"de extracten ervoor zijn wel geïmporteerd ({good} (full-extract 1))" in error_lines[0]
    assert "er is niets gewijzigd" not in error_lines[0]
    # The first extract stays imported, the second changed nothing.
    assert list(KboExtract.objects.values_list("extract_number", flat=True)) == [1]
    assert Enterprise.objects.get(pk=compact(E2)).start_date == datetime.date(2025, 9, 15)


def test_progress_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import_extract(full().write(tmp_path), progress=True)
    assert "enterprise.csv" in capsys.readouterr().err
    assert Enterprise.objects.count() == 3


def test_command_error_in_the_first_extract_changed_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = kbo_files.base_tables()
    tables["enterprise"][1] = (E2, "AC", "000", "1", "", "", "31-11-2020")
    bad = full(number=1, tables=tables).write(tmp_path / "bad")
    good = full(number=2).write(tmp_path / "good")
    with pytest.raises(SystemExit):
        Command().run_from_argv(["kmop", "import_kbo", "--skip-checks", "--no-progress", str(bad), str(good)])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"Import van {bad} mislukt, er is niets gewijzigd: " in captured.err
    assert "geïmporteerd" not in captured.err
    assert not KboExtract.objects.exists()  # the next one is not imported either


def test_command_error_after_several_extracts_names_them(tmp_path: Path) -> None:
    first = full(number=1).write(tmp_path / "a")
    second = update(number=2).write(tmp_path / "b")
    third = update(number=4).write(tmp_path / "c")  # out of sequence
    with pytest.raises(CommandError) as caught:
        call_command("import_kbo", str(first), str(second), str(third), "--no-progress", stdout=io.StringIO())
    message = str(caught.value)
    assert message.startswith(f"Import van {third} mislukt, dit extract heeft niets gewijzigd; ")
    assert f"({first} (full-extract 1); {second} (update-extract 2))" in message
    assert "verwacht 3" in message
    assert list(KboExtract.objects.order_by("id").values_list("extract_number", flat=True)) == [1, 2]


def test_command_records_the_os_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "beheerder")
    call_command("import_kbo", str(full().write(tmp_path)), "--no-progress", stdout=io.StringIO())
    assert AuditEvent.objects.get(action="kbo.import").actor_label == "import_kbo (beheerder)"

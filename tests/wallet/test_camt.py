"""camt.053: parsing (the real samples too), deposits matched, refunds, idempotency, bad files."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kmop.projects.models import Project, ProjectStatus
from kmop.wallet import camt, services
from kmop.wallet.models import AccountKind, Entry, LedgerTransaction, Payout, TransactionKind
from tests.idm.conftest import SYSTEM
from tests.projects.conftest import Setting
from tests.wallet.conftest import SAMPLES, Credit, assert_balanced, statement, stream

CAMT_SAMPLES = [
    SAMPLES / "Subite-eu_camt-to-coda" / "BE68793230773034-202411.xml",
    SAMPLES / "Subite-eu_camt-to-coda" / "BE68793230773034-202412.xml",
    SAMPLES / "Subite-eu_camt-to-coda" / "account_statement.xml",
    SAMPLES / "Subite-eu_camt-to-coda" / "LT625883379695428516_CAMT_053_2024-03-11.xml",
    SAMPLES / "OCA_bank-statement-import" / "test-camt053.xml",
    SAMPLES / "OCA_bank-statement-import" / "test-camt053-no-ntry.xml",
    SAMPLES / "OCA_bank-statement-import" / "test-camt053-txdtls.xml",
    SAMPLES / "OCA_bank-statement-import" / "test-camt053-bookgdt-dttm.xml",
    SAMPLES / "OCA_bank-statement-import" / "sftp-camt053.xml",
]


def ogm(project: Project) -> str:
    return project.structured_reference_display


def test_a_correct_deposit_books_deposit_and_subsidy_and_the_project_runs(setting: Setting) -> None:
    project = setting.submit()
    assert project.own_contribution == Decimal("700.00")
    assert project.subsidy == Decimal("300.00")
    report = camt.import_statement(stream(statement(Credit("700.00", ogm(project)))), actor=SYSTEM)
    assert (report.credits, report.deposits, report.refunds) == (1, 1, 0)
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    assert services.project_balance(project) == Decimal("1000.00")
    assert set(LedgerTransaction.objects.values_list("kind", flat=True)) == {"deposit", "subsidy"}
    assert services.account_balance(services.system_account(AccountKind.SUBSIDY)) == Decimal("-300.00")
    assert_balanced()


def test_the_reference_in_the_unstructured_text_is_found(setting: Setting) -> None:
    project = setting.submit()
    report = camt.import_statement(
        stream(statement(Credit("700.00", ustrd=f"betaling {ogm(project)}"))), actor=SYSTEM
    )
    assert report.deposits == 1


def test_a_wrong_amount_is_refunded(setting: Setting) -> None:
    project = setting.submit()
    report = camt.import_statement(stream(statement(Credit("699.99", ogm(project)))), actor=SYSTEM)
    assert (report.deposits, report.refunds) == (0, 1)
    assert "699.99" in report.lines[0].message
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD
    assert services.project_balance(project) == 0
    payout = Payout.objects.get()
    assert (payout.kind, payout.amount, payout.iban) == (
        "refund",
        Decimal("699.99"),
        "DE89370400440532013000",
    )
    assert services.account_balance(services.system_account(AccountKind.REFUNDS)) == Decimal("699.99")
    assert_balanced()


def test_an_unknown_reference_is_refunded(setting: Setting) -> None:
    setting.submit()
    report = camt.import_statement(stream(statement(Credit("700.00", "+++090/9337/55493+++"))), actor=SYSTEM)
    assert (report.deposits, report.refunds) == (0, 1)
    assert report.lines[0].outcome == "terugbetaling"
    assert LedgerTransaction.objects.get().kind == TransactionKind.UNMATCHED


def test_a_second_deposit_for_the_same_project_is_refunded(setting: Setting) -> None:
    project = setting.submit()
    data = statement(Credit("700.00", ogm(project)), Credit("700.00", ogm(project)))
    report = camt.import_statement(stream(data), actor=SYSTEM)
    assert (report.deposits, report.refunds) == (1, 1)
    assert services.project_balance(project) == Decimal("1000.00")


def test_the_same_statement_twice_books_nothing_twice(setting: Setting) -> None:
    project = setting.submit()
    other = setting.submit(title="Andere opleiding")
    data = statement(Credit("700.00", ogm(project)), Credit("5.00", ogm(other)))
    camt.import_statement(stream(data), actor=SYSTEM)
    count = Entry.objects.count()
    again = camt.import_statement(stream(data), actor=SYSTEM)
    assert (again.deposits, again.refunds, again.already_booked) == (0, 0, 2)
    assert Entry.objects.count() == count
    assert Payout.objects.count() == 1
    assert services.project_balance(project) == Decimal("1000.00")


def test_debits_are_ignored(setting: Setting) -> None:
    report = camt.import_statement(stream(statement(Credit("10.00", direction="DBIT"))), actor=SYSTEM)
    assert (report.entries, report.credits, report.skipped) == (1, 0, 1)
    assert not LedgerTransaction.objects.exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"Datum;Bedrag\n2025-03-11;700,00\n", "geen XML"),
        (b"", "leeg"),
        (statement(Credit("700.00")).replace(b"camt.053.001.02", b"camt.054.001.04"), "geen camt.053"),
        (b"<Document xmlns='urn:example'><A/></Document>", "geen camt.053"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><Document/>', "documenttypedefinitie"),
    ],
)
def test_bad_files_are_refused(setting: Setting, data: bytes, words: str) -> None:
    with pytest.raises(camt.CamtError) as refused:
        camt.import_statement(stream(data), actor=SYSTEM)
    assert words in str(refused.value)
    assert not LedgerTransaction.objects.exists()


def test_a_cut_off_file_books_nothing(setting: Setting) -> None:
    project = setting.submit()
    data = statement(
        *[Credit("700.00", ogm(project))] + [Credit("1.00", servicer_ref=f"R{i}") for i in range(50)]
    )
    with pytest.raises(camt.CamtError) as refused:
        camt.import_statement(stream(data[: len(data) - 300]), actor=SYSTEM, batch_size=5)
    assert "onvolledig" in str(refused.value)
    assert not LedgerTransaction.objects.exists()
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD


@pytest.mark.parametrize("version", ["02", "04", "08"])
def test_the_namespaces_02_to_08(setting: Setting, version: str) -> None:
    entries = list(camt.parse(stream(statement(Credit("12.34", "+++090/9337/55493+++"), version=version))))
    assert [(e.amount, e.structured_reference, e.credit) for e in entries] == [
        (Decimal("12.34"), "090933755493", True)
    ]


def test_the_command_prints_the_report(setting: Setting, tmp_path: Path) -> None:
    project = setting.submit()
    path = tmp_path / "uittreksel.xml"
    path.write_bytes(statement(Credit("700.00", ogm(project))))
    out = io.StringIO()
    call_command("import_camt", str(path), stdout=out)
    assert "1 stortingen gekoppeld" in out.getvalue()
    bad = tmp_path / "kapot.xml"
    bad.write_bytes(b"not xml")
    with pytest.raises(CommandError, match="niets geboekt"):
        call_command("import_camt", str(bad))


@pytest.mark.parametrize("path", CAMT_SAMPLES, ids=lambda p: p.name)
def test_the_real_samples_parse(path: Path) -> None:
    if not path.exists():
        pytest.skip(
            f"the real camt.053 samples are absent ({path.name}): shared/samples is not part of a clone"
        )
    with path.open("rb") as handle:
        entries = list(camt.parse(handle))
    if "no-ntry" in path.name:
        assert entries == []
        return
    assert len(entries) >= path.read_bytes().count(b"<Ntry>") > 0
    assert all(e.amount >= 0 and e.currency for e in entries)


def test_a_real_batch_entry_gives_one_item_per_transaction() -> None:
    path = SAMPLES / "OCA_bank-statement-import" / "test-camt053-txdtls.xml"
    if not path.exists():
        pytest.skip("the real camt.053 samples are absent: shared/samples is not part of a clone")
    with path.open("rb") as handle:
        entries = list(camt.parse(handle))
    assert len(entries) == 2
    assert {e.currency for e in entries} == {"CHF"}
    assert sum(e.amount for e in entries) == Decimal("3483.00")  # the batch entry's amount
    assert all(e.credit for e in entries)
    assert len({e.reference for e in entries}) == 2  # each its own idempotency key


def test_a_real_belgian_statement_in_detail() -> None:
    path = SAMPLES / "Subite-eu_camt-to-coda" / "BE68793230773034-202411.xml"
    if not path.exists():
        pytest.skip("the real camt.053 samples are absent: shared/samples is not part of a clone")
    with path.open("rb") as handle:
        entries = list(camt.parse(handle))
    assert len(entries) == 268
    assert sum(1 for e in entries if e.credit) == 4
    first = entries[0]
    assert (first.amount, first.credit, first.debtor_iban) == (Decimal("50000"), True, "BE91516952884376")
    assert len({e.reference for e in entries}) == 268


def test_the_real_samples_import_as_refunds(setting: Setting) -> None:
    path = SAMPLES / "Subite-eu_camt-to-coda" / "BE68793230773034-202411.xml"
    if not path.exists():
        pytest.skip("the real camt.053 samples are absent: shared/samples is not part of a clone")
    with path.open("rb") as handle:
        report = camt.import_statement(handle, actor=SYSTEM)
    assert report.entries > 200
    assert report.deposits == 0
    assert report.refunds == report.credits - sum(1 for line in report.lines if line.outcome == "manueel")
    assert_balanced()

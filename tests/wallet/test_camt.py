"""camt.053: parsing (the real samples too), deposits matched, refunds, idempotency, bad files; the set-based
import (PostgreSQL) against the batched one."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from kmop.audit.models import AuditEvent
from kmop.idm.errors import NotAllowed
from kmop.projects.models import Project, ProjectStatus, ProjectStatusChange
from kmop.wallet import camt, services
from kmop.wallet.models import Account, AccountKind, Entry, LedgerTransaction, Payout, TransactionKind
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


# --- the set-based import (PostgreSQL) and the batched one (SQLite, or set_based=False) ---------------------

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the set-based import is PostgreSQL's"
)


def mixed_statement(p1: Project, p2: Project, p3: Project) -> bytes:
    """Good and bad credits for three projects in Bevestigd (own contribution 700.00, subsidy 300.00)."""
    return statement(
        Credit("699.99", ogm(p1), servicer_ref="R01"),  # wrong amount, before the right one
        Credit("700.00", ogm(p1), servicer_ref="R02"),  # deposit
        Credit("700.00", ogm(p1), servicer_ref="R03"),  # a second deposit: the project is Lopend now
        Credit("700.00", "+++090/9337/55493+++", servicer_ref="R04"),  # unknown reference
        Credit("700.00", servicer_ref="R05", debtor_iban="BE00123456789012"),  # no reference, bad IBAN
        Credit("700.00", ogm(p2), servicer_ref="R06", currency="USD"),  # not in euro
        Credit("700.001", ogm(p2), servicer_ref="R07"),  # three decimals
        Credit("12345678901.00", ogm(p2), servicer_ref="R08"),  # absurdly large
        Credit("0.00", ogm(p2), servicer_ref="R09"),  # nothing
        Credit("10.00", ogm(p2), servicer_ref="R10", direction="DBIT"),  # a debit
        Credit("700.0", ogm(p2), servicer_ref="R11"),  # deposit (one decimal in the file)
        Credit("700.00", ogm(p3), servicer_ref="R02"),  # the bank's reference of entry 2 again
        Credit("700.00", ustrd=f"betaling {ogm(p3)}", servicer_ref="R13"),  # deposit, reference in Ustrd
    )


def three_projects(setting: Setting) -> tuple[Project, Project, Project]:
    p1, p2, p3 = (setting.submit(title=f"Opleiding {i}") for i in (1, 2, 3))
    assert {p.own_contribution for p in (p1, p2, p3)} == {Decimal("700.00")}
    return p1, p2, p3


@pytest.mark.parametrize("batch_size", [None, 2], ids=["one-batch", "batches-of-2"])
def test_mixed_good_and_bad_entries(setting: Setting, batch_size: int | None) -> None:
    p1, p2, p3 = three_projects(setting)
    events_before = AuditEvent.objects.count()
    report = camt.import_statement(stream(mixed_statement(p1, p2, p3)), actor=SYSTEM, batch_size=batch_size)
    assert (report.entries, report.credits, report.deposits, report.refunds) == (13, 12, 3, 4)
    assert (report.already_booked, report.skipped) == (1, 5)  # the reference twice; the debit + 4 manual
    assert [(ln.reference, ln.outcome, ln.message) for ln in report.lines] == [
        (
            "camt:R01",
            "terugbetaling",
            f"bedrag 699.99 in plaats van de eigen bijdrage 700.00 voor {p1.number}",
        ),
        ("camt:R03", "terugbetaling", f"project {p1.number} is niet meer in status Bevestigd"),
        ("camt:R04", "terugbetaling", "onbekende gestructureerde mededeling"),
        ("camt:R05", "terugbetaling", "geen gestructureerde mededeling"),
        ("camt:R06", "manueel", "niet in euro (USD)"),
        ("camt:R07", "manueel", "ongeldig bedrag"),
        ("camt:R08", "manueel", "onwaarschijnlijk groot bedrag"),
        ("camt:R09", "manueel", "ongeldig bedrag"),
    ]
    assert [ln.amount for ln in report.lines][:4] == [Decimal("699.99")] + [Decimal("700.00")] * 3
    for project in (p1, p2, p3):
        project.refresh_from_db()
        assert project.status == ProjectStatus.LOPEND
        assert project.deposited_at is not None
        assert services.project_balance(project) == Decimal("1000.00")
        change = ProjectStatusChange.objects.get(project=project, action="deposit")
        assert (change.from_status, change.to_status, change.action) == ("Bevestigd", "Lopend", "deposit")
        event = AuditEvent.objects.get(action="projects.project.deposit", object_id=str(project.pk))
        assert (event.before["status"], event.after["status"]) == ("Bevestigd", "Lopend")
    kinds = sorted(LedgerTransaction.objects.values_list("kind", flat=True))
    assert kinds == ["deposit"] * 3 + ["subsidy"] * 3 + ["unmatched"] * 4
    for tx in LedgerTransaction.objects.all():
        event = AuditEvent.objects.get(action=f"wallet.transaction.{tx.kind}", object_id=str(tx.pk))
        assert event.after["reference"] == tx.reference
        lines = sorted(tx.entries.values_list("amount", flat=True))
        assert [Decimal(amount) for _account, amount in event.after["entries"]] == sorted(
            lines, key=lambda a: a > 0
        )
    # a project transition, a transaction, a refund payout
    assert AuditEvent.objects.count() - events_before == 3 + 10 + 4
    payouts = {
        p.transaction.reference: (p.amount, p.iban) for p in Payout.objects.select_related("transaction")
    }
    assert payouts == {
        "camt:R01": (Decimal("699.99"), "DE89370400440532013000"),
        "camt:R03": (Decimal("700.00"), "DE89370400440532013000"),
        "camt:R04": (Decimal("700.00"), "DE89370400440532013000"),
        "camt:R05": (Decimal("700.00"), ""),  # the sender's IBAN is wrong: refunded by hand
    }
    for payout in Payout.objects.all():
        event = AuditEvent.objects.get(action="wallet.payout.create", object_id=str(payout.pk))
        assert event.object_type == "wallet.Payout"
        assert event.after == {
            "project": None,
            "amount": str(payout.amount),
            "iban": payout.iban,
            "name": payout.name,
        }
    assert services.account_balance(services.system_account(AccountKind.REFUNDS)) == Decimal("2799.99")
    assert services.account_balance(services.system_account(AccountKind.BANK)) == Decimal("-4899.99")
    assert services.account_balance(services.system_account(AccountKind.SUBSIDY)) == Decimal("-900.00")
    assert_balanced()


def test_the_mixed_statement_twice_books_nothing_twice(setting: Setting) -> None:
    p1, p2, p3 = three_projects(setting)
    data = mixed_statement(p1, p2, p3)
    camt.import_statement(stream(data), actor=SYSTEM)
    counts = [m.objects.count() for m in (LedgerTransaction, Entry, Payout, ProjectStatusChange, AuditEvent)]
    again = camt.import_statement(stream(data), actor=SYSTEM)
    assert (again.deposits, again.refunds, again.already_booked) == (0, 0, 8)
    assert [ln.outcome for ln in again.lines] == ["manueel"] * 4  # never booked, so reported again
    assert [
        m.objects.count() for m in (LedgerTransaction, Entry, Payout, ProjectStatusChange, AuditEvent)
    ] == (counts)


def test_an_invalid_amount_in_the_middle_books_nothing(setting: Setting) -> None:
    project = setting.submit()
    credits = [Credit("700.00", ogm(project))] + [Credit("1.00", servicer_ref=f"R{i}") for i in range(30)]
    data = statement(*credits).replace(b'<Amt Ccy="EUR">1.00</Amt>', b'<Amt Ccy="EUR">-1.00</Amt>', 1)
    with pytest.raises(camt.CamtError) as refused:
        camt.import_statement(stream(data), actor=SYSTEM, batch_size=5)
    assert "Boeking 2 " in str(refused.value)
    assert "-1.00" in str(refused.value)
    assert not LedgerTransaction.objects.exists()
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD


@pytest.mark.parametrize(
    ("cut", "words"),
    [
        (lambda data: data[: len(data) // 2], "onvolledig"),  # cut off in the middle of an entry
        (lambda data: data.replace(b"</Ntry>", b"</Ntr>", 1), "geen geldige XML (regel 1"),
        (lambda data: data.replace(b"<Ntry>", b"<Ntry><Ntry>", 1).rsplit(b"</Stmt>", 1)[0], "onvolledig"),
    ],
)
def test_broken_xml_is_refused_with_the_place(setting: Setting, cut: Any, words: str) -> None:
    project = setting.submit()
    data = statement(
        *[Credit("700.00", ogm(project))] + [Credit("1.00", servicer_ref=f"R{i}") for i in range(20)]
    )
    with pytest.raises(camt.CamtError) as refused:
        camt.import_statement(stream(cut(data)), actor=SYSTEM)
    assert words in str(refused.value)
    assert "regel" in str(refused.value)
    assert not LedgerTransaction.objects.exists()
    assert not ProjectStatusChange.objects.filter(project=project, action="deposit").exists()


def test_several_statements_in_one_file_keep_their_ids() -> None:
    one = statement(Credit("1.00"), statement_id="STMT-A")
    two = statement(Credit("2.00"), Credit("3.00"), statement_id="STMT-B")
    body = re.sub(rb"<AcctSvcrRef>[^<]*</AcctSvcrRef>", b"", one.replace(b"</BkToCstmrStmt></Document>", b""))
    body += re.sub(rb"<AcctSvcrRef>[^<]*</AcctSvcrRef>", b"", two[two.index(b"<Stmt>") :])
    entries = list(camt.parse(stream(body)))
    assert [e.reference for e in entries] == ["camt:STMT-A#1", "camt:STMT-B#1", "camt:STMT-B#2"]


def test_a_utf16_document_type_declaration_is_refused() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Document/>'
    with pytest.raises(camt.CamtError, match="documenttypedefinitie"):
        list(camt.parse(stream(data.encode("utf-16"))))


def snapshot(events_after: int) -> dict[str, Any]:
    """What an import wrote, without ids and times (a transaction by its reference)."""
    refs = dict(LedgerTransaction.objects.values_list("id", "reference"))
    payouts = dict(Payout.objects.values_list("id", "transaction__reference"))
    return {
        "transactions": sorted(
            LedgerTransaction.objects.values_list("kind", "project_id", "reference", "memo", "actor_label")
        ),
        "entries": sorted((refs[e.transaction_id], str(e.account), e.amount) for e in Entry.objects.all()),
        "payouts": sorted(
            (
                refs[p.transaction_id],
                p.kind,
                p.project_id,
                p.amount,
                p.iban,
                p.name,
                p.remittance,
                p.created_by,
            )
            for p in Payout.objects.all()
        ),
        "projects": sorted(
            (p.pk, p.status, p.deposited_at is not None, p.status_changed_at == p.deposited_at)
            for p in Project.objects.all()
        ),
        "history": sorted(
            ProjectStatusChange.objects.values_list(
                "project_id", "from_status", "to_status", "action", "actor_label", "reason"
            )
        ),
        "accounts": sorted(Account.objects.values_list("kind", "project_id")),
        "audit": sorted(
            (
                e.action,
                e.object_type,
                refs[int(e.object_id)]
                if e.object_type == "wallet.LedgerTransaction"
                else payouts[int(e.object_id)]
                if e.object_type == "wallet.Payout"
                else e.object_id,
                e.actor_label,
                json.dumps(e.before, sort_keys=True),
                json.dumps(e.after, sort_keys=True),
                e.reason if e.object_type == "projects.Project" else "",
            )
            for e in AuditEvent.objects.filter(id__gt=events_after)
        ),
    }


@on_postgres
@pytest.mark.parametrize("batch_size", [2, 2000])
def test_set_based_and_batched_give_the_same_results(setting: Setting, batch_size: int) -> None:
    p1, p2, p3 = three_projects(setting)
    setting.submit(title="Niet betaald")  # stays Bevestigd in both
    data = mixed_statement(p1, p2, p3) + b""
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    results = []
    for set_based in (True, False):
        with transaction.atomic():
            report = camt.import_statement(
                stream(data), actor=SYSTEM, set_based=set_based, batch_size=batch_size
            )
            results.append((report, snapshot(mark)))
            transaction.set_rollback(True)
    (set_report, set_state), (batch_report, batch_state) = results
    assert set_report == batch_report
    assert set_report.deposits == 3
    for key in set_state:
        assert set_state[key] == batch_state[key], key


@on_postgres
def test_the_statement_check_refuses_an_unbalanced_insert_at_once(setting: Setting) -> None:
    bank = services.system_account(AccountKind.BANK)
    refunds = services.system_account(AccountKind.REFUNDS)

    def unbalanced() -> None:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL kmop.wallet_statement_check = 'on'")
            tx = LedgerTransaction.objects.create(kind=TransactionKind.UNMATCHED, actor_label="test")
            Entry.objects.bulk_create(
                [
                    Entry(transaction=tx, account=bank, amount=Decimal("-5.00")),
                    Entry(transaction=tx, account=refunds, amount=Decimal("4.99")),
                ]
            )

    with pytest.raises(DatabaseError, match="sum to"):
        unbalanced()  # at the INSERT, not at commit (the test's transaction never commits)
    assert not LedgerTransaction.objects.exists()


@on_postgres
def test_the_import_leaves_the_row_check_on_and_the_trigger_checks_its_transactions(setting: Setting) -> None:
    p1, p2, p3 = three_projects(setting)
    with transaction.atomic():
        camt.import_statement(stream(mixed_statement(p1, p2, p3)), actor=SYSTEM)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('kmop.wallet_statement_check', true)")
            assert cursor.fetchone()[0] == "off"
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks of commit, now
    assert LedgerTransaction.objects.count() == 10
    assert_balanced()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_file_at_once_book_it_once(setting: Setting) -> None:
    from kmop.schemes import services as scheme_services
    from tests.wallet.test_concurrency import _run_threads

    scheme_services.scheme_data_load(actor=SYSTEM)
    p1, p2, p3 = three_projects(setting)
    data = mixed_statement(p1, p2, p3)
    reports: list[camt.CamtReport] = []

    def work(_index: int) -> None:
        reports.append(camt.import_statement(stream(data), actor=SYSTEM))

    assert _run_threads(2, work) == []
    assert sorted((r.deposits, r.refunds, r.already_booked) for r in reports) == [(0, 0, 8), (3, 4, 1)]
    assert LedgerTransaction.objects.count() == 10
    assert ProjectStatusChange.objects.filter(action="deposit").count() == 3
    assert_balanced()


@pytest.mark.parametrize("set_based", [None, False], ids=["default", "batched"])
def test_an_enterprise_cannot_import_a_statement(setting: Setting, set_based: bool | None) -> None:
    project = setting.submit()
    with pytest.raises(NotAllowed):
        camt.import_statement(
            stream(statement(Credit("700.00", ogm(project)), Credit("5.00"))),
            actor=setting.els,
            set_based=set_based,
        )
    assert not LedgerTransaction.objects.exists()
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD


def batch_statement(*transactions: tuple[str, str], entry_ref: str = "NREF-1") -> bytes:
    """One batch entry (``NtryRef``, no ``AcctSvcrRef``) whose transactions each carry an amount and a
    reference: (amount, structured reference)."""
    total = sum((Decimal(amount) for amount, _ref in transactions), Decimal("0"))
    txs = "".join(
        f'<TxDtls><Amt Ccy="EUR">{amount}</Amt><RltdPties><Dbtr><Nm>Onderneming B</Nm></Dbtr>'
        f"<DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct></RltdPties>"
        f"<RmtInf><Strd><CdtrRefInf><Ref>{ref}</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>"
        for amount, ref in transactions
    )
    entry = (
        f'<Ntry><NtryRef>{entry_ref}</NtryRef><Amt Ccy="EUR">{total:.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        f"<Sts>BOOK</Sts><BookgDt><Dt>2025-03-11</Dt></BookgDt><NtryDtls>{txs}</NtryDtls></Ntry>"
    )
    return re.sub(rb"<Ntry>.*</Ntry>", entry.encode(), statement(Credit("1.00"), statement_id="STMT-BATCH"))


@pytest.mark.parametrize("set_based", [None, False], ids=["default", "batched"])
def test_a_batch_entry_without_the_banks_reference_books_each_transaction(
    setting: Setting, set_based: bool | None
) -> None:
    project = setting.submit()
    data = batch_statement(("700.00", ogm(project)), ("200.00", "+++090/9337/55493+++"))
    entries = list(camt.parse(stream(data)))
    assert [e.reference for e in entries] == ["camt:STMT-BATCH#NREF-1/1", "camt:STMT-BATCH#NREF-1/2"]
    report = camt.import_statement(stream(data), actor=SYSTEM, set_based=set_based)
    assert (report.credits, report.deposits, report.refunds, report.already_booked) == (2, 1, 1, 0)
    assert [(ln.amount, ln.outcome) for ln in report.lines] == [(Decimal("200.00"), "terugbetaling")]
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    assert Payout.objects.get().amount == Decimal("200.00")
    assert services.account_balance(services.system_account(AccountKind.BANK)) == Decimal("-900.00")
    count = Entry.objects.count()
    again = camt.import_statement(stream(data), actor=SYSTEM, set_based=set_based)
    assert (again.deposits, again.refunds, again.already_booked) == (0, 0, 2)
    assert Entry.objects.count() == count
    assert services.account_balance(services.system_account(AccountKind.BANK)) == Decimal("-900.00")
    assert_balanced()


def test_a_single_entry_keeps_its_key() -> None:
    data = re.sub(rb"<AcctSvcrRef>[^<]*</AcctSvcrRef>", b"", statement(Credit("5.00"), statement_id="S"))
    assert [e.reference for e in camt.parse(stream(data))] == ["camt:S#1"]  # its NtryRef, no position


@pytest.mark.parametrize("set_based", [None, False], ids=["default", "batched"])
def test_a_key_twice_with_another_amount_is_reported(setting: Setting, set_based: bool | None) -> None:
    data = statement(Credit("5.00", servicer_ref="SAME"), Credit("7.00", servicer_ref="SAME"))
    report = camt.import_statement(stream(data), actor=SYSTEM, set_based=set_based)
    assert (report.refunds, report.already_booked, report.skipped) == (1, 0, 1)
    assert [(ln.reference, ln.amount, ln.outcome) for ln in report.lines] == [
        ("camt:SAME", Decimal("5.00"), "terugbetaling"),
        ("camt:SAME", Decimal("7.00"), "manueel"),
    ]
    assert "twee keer" in report.lines[1].message
    assert Payout.objects.get().amount == Decimal("5.00")
    again = camt.import_statement(stream(data), actor=SYSTEM, set_based=set_based)
    assert (again.refunds, again.already_booked, again.skipped) == (0, 1, 1)
    assert [ln.outcome for ln in again.lines] == ["manueel"]  # never booked, so reported again
    assert Payout.objects.count() == 1

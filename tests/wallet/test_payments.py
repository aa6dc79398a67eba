"""Payment orders, payouts exported as pain.001, and the wallet's side of cancel and stop."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.test import override_settings

from kmop.audit.models import AuditEvent
from kmop.projects import services as project_services
from kmop.projects.models import Project, ProjectStatus
from kmop.providers.selectors import payout_iban
from kmop.wallet import camt, services
from kmop.wallet.models import AccountKind, Payout, PayoutBatch
from tests.idm.conftest import SYSTEM
from tests.projects.conftest import Setting
from tests.wallet.conftest import DEBTOR_IBAN, Credit, assert_balanced, statement, stream

NS = {"p": services.PAIN_NS}


def running(setting: Setting, **overrides: object) -> Project:
    project = setting.submit(**overrides)
    camt.import_statement(
        stream(
            statement(
                Credit(str(project.own_contribution), project.structured_reference_display),
                statement_id=f"S-{project.number}",
            )
        ),
        actor=SYSTEM,
    )
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    return project


def test_partial_invoices_then_finished(setting: Setting) -> None:
    project = running(setting)
    first = services.payment_order_create(
        actor=setting.els, project=project, invoice_number="F-2025-001", amount="400.00"
    )
    assert first.iban == payout_iban(project.registration)
    assert services.project_balance(project) == Decimal("600.00")
    services.payment_order_create(
        actor=setting.els, project=project, invoice_number="F-2025-002", amount="250"
    )
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    services.payment_order_create(
        actor=setting.els, project=project, invoice_number="F-2025-003", amount="350.00"
    )
    project.refresh_from_db()
    assert services.project_balance(project) == 0
    assert project.status == ProjectStatus.AFGEWERKT
    assert AuditEvent.objects.filter(action="wallet.payment_order.create").count() == 3
    assert_balanced()


def test_a_payment_order_over_the_balance_is_refused(setting: Setting) -> None:
    project = running(setting)
    with pytest.raises(services.WalletError) as refused:
        services.payment_order_create(
            actor=setting.els, project=project, invoice_number="F1", amount="1000.01"
        )
    assert refused.value.code == "insufficient_balance"
    assert not Payout.objects.filter(kind="provider").exists()
    assert services.project_balance(project) == Decimal("1000.00")


@pytest.mark.parametrize(
    ("invoice", "amount"),
    [
        ("", "10.00"),
        ("F1", "10.001"),
        ("F1", "-5"),
        ("F1", "abc"),
        ("F1", "1e20"),
        ("F1", "1e30"),
        ("F1", "-1e30"),
        ("F1", "1E+999999"),
        ("F1", "-1E+9999999"),
        ("F1", "NaN"),
        ("F1", "Infinity"),
    ],
)
def test_bad_payment_orders_are_refused(setting: Setting, invoice: str, amount: str) -> None:
    project = running(setting)
    with pytest.raises(services.WalletError):
        services.payment_order_create(
            actor=setting.els, project=project, invoice_number=invoice, amount=amount
        )
    assert services.project_balance(project) == Decimal("1000.00")


def test_payment_orders_only_for_a_running_project(setting: Setting) -> None:
    project = setting.submit()
    with pytest.raises(services.WalletError) as refused:
        services.payment_order_create(actor=setting.els, project=project, invoice_number="F1", amount="1.00")
    assert refused.value.code == "not_running"


def test_no_payment_order_after_the_term(setting: Setting, clock: Any) -> None:
    project = running(setting)  # applied on 10 March 2025: to be finished and paid by 31/12/2026
    clock.move_to(date(2026, 12, 31))
    services.payment_order_create(actor=setting.els, project=project, invoice_number="F1", amount="100.00")
    clock.move_to(date(2027, 1, 1))
    with pytest.raises(services.WalletError) as refused:
        services.payment_order_create(
            actor=setting.els, project=project, invoice_number="F2", amount="100.00"
        )
    assert refused.value.code == "term_over"
    assert "31/12/2026" in str(refused.value)
    assert services.project_balance(project) == Decimal("900.00")
    assert Payout.objects.filter(kind="provider").count() == 1


def test_another_enterprise_cannot_order_a_payment(setting: Setting) -> None:
    project = running(setting)
    from kmop.idm.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.payment_order_create(
            actor=setting.sofie, project=project, invoice_number="F1", amount="1.00"
        )
    assert services.project_balance(project) == Decimal("1000.00")


def test_pain001_export_once(setting: Setting) -> None:
    project = running(setting)
    services.payment_order_create(actor=setting.els, project=project, invoice_number="F-1", amount="400.00")
    services.payment_order_create(actor=setting.els, project=project, invoice_number="F-2", amount="100.50")
    camt.import_statement(
        stream(statement(Credit("12.00", "+++090/9337/55493+++", servicer_ref="OTHER-1"))), actor=SYSTEM
    )
    content = services.payouts_export_pain001(actor=SYSTEM)
    root = ET.fromstring(content)  # noqa: S314  (our own output)
    assert root.tag == f"{{{services.PAIN_NS}}}Document"
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header is not None
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "3"
    assert header.findtext("p:CtrlSum", namespaces=NS) == "512.50"
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info is not None
    assert info.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == DEBTOR_IBAN
    txs = info.findall("p:CdtTrfTxInf", NS)
    amounts = [Decimal(tx.findtext("p:Amt/p:InstdAmt", namespaces=NS) or "0") for tx in txs]
    assert sum(amounts) == Decimal("512.50")
    ibans = [tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) for tx in txs]
    assert ibans == [payout_iban(project.registration)] * 2 + ["DE89370400440532013000"]
    assert PayoutBatch.objects.get().count == 3
    assert services.account_balance(services.system_account(AccountKind.PAYOUTS)) == 0
    assert services.account_balance(services.system_account(AccountKind.REFUNDS)) == 0
    with pytest.raises(services.WalletError) as nothing:
        services.payouts_export_pain001(actor=SYSTEM)
    assert nothing.value.code == "nothing_to_export"
    assert_balanced()


def test_pain001_needs_the_debtor_account(setting: Setting) -> None:
    project = running(setting)
    services.payment_order_create(actor=setting.els, project=project, invoice_number="F-1", amount="1.00")
    with override_settings(WALLET_DEBTOR_IBAN=""), pytest.raises(services.WalletError):
        services.payouts_export_pain001(actor=SYSTEM)
    assert Payout.objects.filter(batch__isnull=True).count() == 1


def test_cancel_before_any_deposit_books_nothing(setting: Setting) -> None:
    project = setting.submit()
    project_services.project_cancel(actor=setting.els, project=project, reason="")
    assert services.release_on_cancel(project) == 0
    assert not Payout.objects.exists()


def test_release_on_cancel_refunds_what_is_in_the_wallet(setting: Setting) -> None:
    project = setting.submit()
    services.book_deposit(actor=SYSTEM, project=project, amount=Decimal("20.00"), reference="camt:manual")
    assert services.release_on_cancel(project) == Decimal("20.00")
    assert services.release_on_cancel(project) == 0  # once
    assert services.project_balance(project) == 0
    payout = Payout.objects.get(kind="refund")
    assert payout.amount == Decimal("20.00")
    assert payout.iban == ""  # the enterprise's profile IBAN of the fixture is not a valid Belgian account
    assert_balanced()


def test_stop_refunds_the_unused_own_contribution_and_returns_the_subsidy(setting: Setting) -> None:
    project = running(setting)
    services.payment_order_create(actor=setting.els, project=project, invoice_number="F-1", amount="400.00")
    project_services.project_request_stop(
        actor=setting.els, project=project, reason="De opleiding gaat niet door"
    )
    project_services.project_decide_stop(actor=setting.staff, project=project, approve=True, reason="Akkoord")
    project.refresh_from_db()
    assert project.status == ProjectStatus.GESTOPT
    assert services.project_balance(project) == 0
    # 600 left: 30 % subsidy (180.00) back to the budget, 420.00 refunded to the enterprise
    assert services.account_balance(services.system_account(AccountKind.SUBSIDY)) == Decimal("-120.00")
    refund = Payout.objects.get(kind="refund")
    assert refund.amount == Decimal("420.00")
    assert services.settle_stop(project) == (0, 0)  # nothing twice
    assert_balanced()


def test_the_refund_payout_of_a_stop_is_audited_with_its_account(setting: Setting) -> None:
    from kmop.projects.models import EnterpriseProfile

    EnterpriseProfile.objects.filter(organisation=setting.enterprise).update(iban="BE71096123456769")
    project = running(setting)
    project_services.project_request_stop(actor=setting.els, project=project, reason="Gaat niet door")
    project_services.project_decide_stop(actor=SYSTEM, project=project, approve=True, reason="Akkoord")
    refund = Payout.objects.get(kind="refund")
    assert refund.iban == "BE71096123456769"
    event = AuditEvent.objects.get(action="wallet.payout.create", object_id=str(refund.pk))
    assert event.object_type == "wallet.Payout"
    assert event.after == {
        "project": project.number,
        "amount": "700.00",
        "iban": "BE71096123456769",
        "name": setting.enterprise.name,
    }
    assert event.organisation_code == setting.enterprise.code  # the system acts for no organisation
    assert event.reason == refund.transaction.memo


def test_the_refund_payout_of_a_cancel_is_audited(setting: Setting) -> None:
    project = setting.submit()
    services.book_deposit(actor=SYSTEM, project=project, amount=Decimal("20.00"), reference="camt:manual")
    project_services.project_cancel(actor=setting.els, project=project, reason="")
    services.release_on_cancel(project)
    refund = Payout.objects.get(kind="refund")
    event = AuditEvent.objects.get(action="wallet.payout.create", object_id=str(refund.pk))
    assert (event.after["iban"], event.after["amount"]) == ("", "20.00")
    assert event.organisation_code == setting.enterprise.code


def test_split_favours_the_enterprise(setting: Setting) -> None:
    project = setting.submit(amount=Decimal("333.33"))
    subsidy, own = services.split_remaining(project, Decimal("0.01"))
    assert (subsidy, own) == (Decimal("0.00"), Decimal("0.01"))


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1e30", "onwaarschijnlijk groot"),
        ("-1e30", "onwaarschijnlijk groot"),
        ("1E+999999", "onwaarschijnlijk groot"),
        ("-1E+9999999", "onwaarschijnlijk groot"),
        ("NaN", "geldig bedrag"),
        ("Infinity", "geldig bedrag"),
    ],
)
def test_a_huge_or_no_amount_is_a_form_error(amount: str, words: str) -> None:
    from kmop.eloket.forms_projects import PaymentOrderForm

    form = PaymentOrderForm({"invoice_number": "F1", "amount": amount}, balance=Decimal("1000.00"))
    assert not form.is_valid()
    assert words in " ".join(form.errors["amount"])

"""Payouts: the open ones with their totals; "Betaalbestand aanmaken" returns a pain.001 file (parsed back:
counts, control sums, amounts and IBANs exact) and marks the payouts exported (each once); earlier files can
be downloaded again; nothing to export is a message, not a 500."""

from __future__ import annotations

from decimal import Decimal
from xml.etree import ElementTree as ET

from django.test import Client

from kmop.wallet import services as wallet_services
from kmop.wallet.models import Payout, PayoutBatch
from tests.backoffice.conftest import Credit, Setting, deposited, statement, stream
from tests.projects.conftest import SYSTEM

URL = "/backoffice/uitbetalingen/"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
UNKNOWN = "+++090/9337/55493+++"


def open_payouts(setting: Setting) -> list[Payout]:
    """A provider payout of €250.10 (a payment order), a refund of €33.33 (unknown reference, with the
    sender's IBAN) and a refund without an IBAN (never exported)."""
    from kmop.wallet import camt

    project = deposited(setting)
    wallet_services.payment_order_create(
        actor=setting.els, project=project, invoice_number="F-2025/017", amount=Decimal("250.10")
    )
    data = statement(
        Credit("33.33", UNKNOWN, servicer_ref="R-1"),
        Credit("7.00", UNKNOWN, servicer_ref="R-2", debtor_iban=""),
        statement_id="S-2",
    )
    camt.import_statement(stream(data), actor=SYSTEM)
    return list(Payout.objects.order_by("id"))


def test_the_open_payouts_and_their_totals(staff: Client, setting: Setting) -> None:
    open_payouts(setting)
    response = staff.get(URL)
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals.provider_count, totals.provider_total) == (1, Decimal("250.10"))
    assert (totals.refund_count, totals.refund_total) == (2, Decimal("40.33"))
    assert (totals.manual_count, totals.manual_total) == (1, Decimal("7.00"))
    assert (totals.exportable_count, totals.exportable_total) == (2, Decimal("283.43"))
    html = response.content.decode()
    assert "F-2025/017" in html
    assert 'id="total-exportable">2 · € 283,43<' in html
    assert "Betaalbestand aanmaken" in html


def test_the_payment_file_is_a_download_and_the_payouts_are_exported_once(
    staff: Client, setting: Setting
) -> None:
    payouts = open_payouts(setting)
    response = staff.post(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="KMOP-20250310')
    assert disposition.endswith('.xml"')
    root = ET.fromstring(response.content)  # noqa: S314  (our own output)
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", NS).text == "2"
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", NS).text == "283.43"
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info.find("p:DbtrAcct/p:Id/p:IBAN", NS).text == "BE71096123456769"
    transfers = {
        tx.find("p:PmtId/p:EndToEndId", NS).text: (
            Decimal(tx.find("p:Amt/p:InstdAmt", NS).text),
            tx.find("p:CdtrAcct/p:Id/p:IBAN", NS).text,
        )
        for tx in info.findall("p:CdtTrfTxInf", NS)
    }
    provider, refund, manual = payouts
    assert transfers == {
        f"KMOP{provider.pk}": (Decimal("250.10"), provider.iban),
        f"KMOP{refund.pk}": (Decimal("33.33"), "DE89370400440532013000"),
    }
    batch = PayoutBatch.objects.get()
    assert bytes(batch.content) == response.content
    assert set(Payout.objects.filter(batch=batch).values_list("pk", flat=True)) == {provider.pk, refund.pk}
    manual.refresh_from_db()
    assert manual.batch is None
    # the page afterwards: the message, the file listed and downloadable again; only the manual one open
    page = staff.get(URL)
    html = page.content.decode()
    assert f"Betaalbestand {batch.message_id} aangemaakt: 2 betalingen, samen € 283,43." in html
    assert f"{batch.message_id}.xml" in html
    assert page.context["totals"].exportable_count == 0
    assert "Betaalbestand aanmaken" not in html
    again = staff.get(f"/backoffice/uitbetalingen/bestanden/{batch.pk}/")
    assert again.status_code == 200
    assert again.content == response.content
    assert 'attachment; filename="' in again["Content-Disposition"]
    # a second export finds nothing: a message, nothing booked
    second = staff.post(URL)
    assert second.status_code == 302
    assert "Er zijn geen betalingen om uit te voeren." in staff.get(URL).content.decode()
    assert PayoutBatch.objects.count() == 1


def test_an_unknown_file_is_404(staff: Client, setting: Setting) -> None:
    assert staff.get("/backoffice/uitbetalingen/bestanden/999/").status_code == 404


def test_without_the_debtor_account_nothing_is_exported(staff: Client, setting: Setting, settings) -> None:
    open_payouts(setting)
    settings.WALLET_DEBTOR_IBAN = ""
    response = staff.post(URL)
    assert response.status_code == 302
    assert "WALLET_DEBTOR_IBAN" in staff.get(URL).content.decode()
    assert not PayoutBatch.objects.exists()
    assert not Payout.objects.filter(batch__isnull=False).exists()

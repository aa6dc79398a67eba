"""Fixtures of the wallet tests: the projects' setting (tests/projects/conftest.py: provider A with
registrations, enterprise B with a completed profile, Els acts for B, An is VLAIO staff) and a builder of
camt.053 statements."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import override_settings

from kmop.wallet.models import Entry
from tests.projects.conftest import (  # noqa: F401  (fixtures)
    Setting,
    _fresh_cache,
    actor,
    app_manager,
    clock,
    setting,
    world,
)

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
DEBTOR_IBAN = "BE71096123456769"


@pytest.fixture(autouse=True)
def _debtor_account() -> Iterator[None]:
    with override_settings(WALLET_DEBTOR_IBAN=DEBTOR_IBAN, WALLET_DEBTOR_BIC="GKCCBEBB"):
        yield


@dataclass
class Credit:
    amount: str
    reference: str = ""
    ustrd: str = ""
    servicer_ref: str = ""
    debtor_iban: str = "DE89370400440532013000"
    direction: str = "CRDT"
    currency: str = "EUR"


def entry_xml(credit: Credit, index: int) -> str:
    ref = credit.servicer_ref or f"BANKREF{index:08d}"
    strd = (
        f"<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>BBA</Issr></Tp>"
        f"<Ref>{credit.reference}</Ref></CdtrRefInf></Strd>"
        if credit.reference
        else ""
    )
    ustrd = f"<Ustrd>{credit.ustrd}</Ustrd>" if credit.ustrd else ""
    return (
        f'<Ntry><NtryRef>{index}</NtryRef><Amt Ccy="{credit.currency}">{credit.amount}</Amt>'
        f"<CdtDbtInd>{credit.direction}</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-03-11</Dt></BookgDt>"
        f"<ValDt><Dt>2025-03-11</Dt></ValDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Onderneming B</Nm></Dbtr>"
        f"<DbtrAcct><Id><IBAN>{credit.debtor_iban}</IBAN></Id></DbtrAcct></RltdPties>"
        f"<RmtInf>{ustrd}{strd}</RmtInf></TxDtls></NtryDtls></Ntry>"
    )


def statement(*credits: Credit, version: str = "02", statement_id: str = "STMT-1") -> bytes:
    entries = "".join(entry_xml(c, i) for i, c in enumerate(credits, start=1))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2025-03-11T18:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><Acct><Id><IBAN>{DEBTOR_IBAN}</IBAN></Id></Acct>{entries}</Stmt>"
        f"</BkToCstmrStmt></Document>"
    ).encode()


def stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def assert_balanced() -> None:
    """Every ledger transaction sums to zero (and has at least two lines)."""
    totals: dict[int, Decimal] = {}
    counts: dict[int, int] = {}
    for tx, amount in Entry.objects.values_list("transaction_id", "amount"):
        totals[tx] = totals.get(tx, Decimal("0")) + amount
        counts[tx] = counts.get(tx, 0) + 1
    assert all(total == 0 for total in totals.values()), totals
    assert all(count >= 2 for count in counts.values()), counts

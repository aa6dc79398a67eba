"""ISO 20022 camt.053 bank statements: a streaming parser and the deposit matching.

``parse(stream)`` streams the file in 64 KB chunks. The prolog, up to the root element, is read with the
standard library's expat parser (``xml.parsers.expat``) directly, so that it can be hardened: a document type
declaration or an entity declaration is refused (no entity expansion, no external entities) and the root must
be a ``Document`` of camt.053.001.02 to .08. The rest goes through ElementTree's C pull parser (the same expat
underneath, no new dependency) with end events only: each ``Ntry`` element is built in C, read and cleared,
so memory stays flat whatever the size of the statement (a cleared placeholder per entry remains until the
end of its ``Stmt``). Each credit entry (or each transaction of a batch entry) yields a ``CamtEntry``:
amount, currency, booking date, the bank's reference (``AcctSvcrRef``), the structured reference
(``<CdtrRefInf><Ref>``, or ``+++123/4567/89012+++`` in ``<Ustrd>``) and the sender's account. lxml was
measured and not added: on 100,000 entries its ``iterparse`` with a tag filter took 2.0 s bare and 4.5 s with
the fields read (an element proxy per node), ElementTree's pull parser 1.9 s bare and about 3 s with them; the
expat callbacks of the parser before took 12 s.

``import_statement(file, *, actor)`` books in one database transaction: the exact own contribution with the
reference of a project in Bevestigd → deposit + subsidy and Bevestigd → Lopend (status history and audit per
project); anything else → a refund (a report line). A bank entry booked before (same reference) is skipped,
so importing the same statement twice books nothing twice. A file that is not XML, not camt.053 or cut off
raises ``CamtError`` (Dutch message with the line) and nothing is booked.

Two ways to book, with the same results (``tests/wallet/test_camt.py`` compares them):

* **set-based** (PostgreSQL, the default there): the file is parsed in a thread of its own (``_Producer``)
  that hands the credits over in chunks (4,000 first, then 20,000), so the next chunk is parsed while the
  database books the one before. Each chunk is ``COPY``'d into a temporary staging table; one statement locks
  the projects named (in id order), one classifies every credit (already booked, manual, deposit, or the
  refund's reason, the first exact deposit of a project in file order winning: the chunks before are booked,
  their projects Lopend); the deposits' ledger transactions, entries, audit events, project updates and
  status changes are written with ``INSERT … SELECT``; the refunds (the minority, whose texts and IBAN check
  are made in Python) with ``COPY``. Imports are serialised by a transaction-level advisory lock, so two
  imports of the same file at once book it once. Each ledger transaction's lines go in one statement, whose
  balance the trigger of migration 0003 checks (instead of one query per entry at commit). The project
  transition is written here set-based, as ``kmop.projects.services.project_mark_deposited_bulk`` does it.
  The time of each step is logged at DEBUG (``python -m bench camt_import`` prints it).
* **batched** (SQLite, or ``set_based=False``): per batch of 2,000 credits, one query for the references
  booked before, one locking query for the projects, ``services.book_many`` for the transactions, one bulk
  insert of the payouts and ``project_mark_deposited_bulk``.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import re
import threading
import time
import xml.parsers.expat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Any
from xml.etree import ElementTree as ET

from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor, audit_record_many
from kmop.idm.errors import IdmError
from kmop.projects.models import Project, ProjectStatus, ProjectStatusChange
from kmop.wallet.models import Account, AccountKind, Entry, LedgerTransaction, Payout, TransactionKind
from kmop.wallet.services import (
    AMOUNT_MAX,
    AlreadyBooked,
    Booking,
    audit_payouts,
    book_many,
    payout_audit,
    project_accounts,
    system_account,
)

__all__ = ["CamtEntry", "CamtError", "CamtReport", "ReportLine", "import_statement", "parse"]

NAMESPACES = frozenset(f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{v:02d}" for v in range(2, 9))
logger = logging.getLogger(__name__)

CHUNK = 1 << 16
BATCH = 2000
#: credits per chunk of the set-based import (parsed in a thread while the chunk before is booked)
SET_CHUNK = 20_000
FIRST_CHUNK = 4_000
CENT = Decimal("0.01")
#: pg_advisory_xact_lock key of the import ("kmopcamt"): imports run one at a time
LOCK_KEY = 0x6B6D6F7063616D74
_AMOUNT = re.compile(r"^\d{1,18}(\.\d{1,5})?$")
_OGM = re.compile(r"(?:\+\+\+|\*\*\*)\s*(\d{3})\s*/?\s*(\d{4})\s*/?\s*(\d{5})\s*(?:\+\+\+|\*\*\*)")
_OGM_EXACT = re.compile(r"\+\+\+(\d{3})/(\d{4})/(\d{5})\+\+\+")


class CamtError(IdmError):
    """The file is not a readable camt.053 statement; nothing was booked."""

    default_code = "camt"


@dataclass
class CamtEntry:
    statement_id: str
    index: int
    amount: Decimal
    currency: str
    credit: bool
    booked: bool
    reversal: bool
    booking_date: date | None
    account_servicer_reference: str
    entry_reference: str
    structured_reference: str
    remittance: str
    debtor_iban: str
    debtor_name: str
    #: the place of this transaction in its batch entry (1, 2, …), 0 for an entry of one transaction
    position: int = 0

    @property
    def reference(self) -> str:
        """The idempotency key of this bank entry: the bank's own reference, else statement id + the entry's
        reference (or its place in the statement); a transaction of a batch entry adds ``/position``, so that
        each has its own (an entry of one transaction keeps the key it always had)."""
        if self.account_servicer_reference:  # already with /position for a batch entry's transaction
            key = self.account_servicer_reference
        elif self.entry_reference:
            suffix = f"/{self.position}" if self.position else ""
            key = f"{self.statement_id}#{self.entry_reference}{suffix}"
        else:  # the index of a batch entry's transaction is entry index * 1000 + position
            key = f"{self.statement_id}#{self.index}"
        return f"camt:{key}"


@dataclass
class ReportLine:
    reference: str
    amount: Decimal
    structured_reference: str
    outcome: str
    message: str


@dataclass
class CamtReport:
    entries: int = 0
    credits: int = 0
    deposits: int = 0
    refunds: int = 0
    already_booked: int = 0
    skipped: int = 0
    lines: list[ReportLine] = field(default_factory=list)

    def as_text(self) -> str:
        head = _(
            "%(entries)s boekingen gelezen, %(credits)s ontvangsten: %(deposits)s stortingen gekoppeld, "
            "%(refunds)s terug te betalen, %(already)s al eerder geboekt, %(skipped)s niet van toepassing."
        ) % {
            "entries": self.entries,
            "credits": self.credits,
            "deposits": self.deposits,
            "refunds": self.refunds,
            "already": self.already_booked,
            "skipped": self.skipped,
        }
        return "\n".join(
            [head, *(f"{ln.reference}\t{ln.amount}\t{ln.outcome}\t{ln.message}" for ln in self.lines)]
        )


def _ogm_valid(digits: str) -> bool:
    """python-stdnum's ``be.ogm_vcs`` check on 12 digits: not zero, ``int(first 10) % 97 or 97`` = last 2."""
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        return False
    return int(digits) > 0 and (int(digits[:10]) % 97 or 97) == int(digits[10:])


def _structured(text: str) -> str:
    """A Belgian structured reference (OGM/VCS) in a text → its 12 digits if the check digits are right."""
    exact = _OGM_EXACT.fullmatch(text)
    if exact:  # the usual +++123/4567/89012+++: no need for the general search below
        digits = exact[1] + exact[2] + exact[3]
        return digits if _ogm_valid(digits) else ""
    candidates = []
    for m in _OGM.finditer(text):
        candidates.append("".join(g for g in m.groups() if g))
    digits = re.sub(r"[\s+/*]", "", text)
    if len(digits) == 12 and digits.isdigit():
        candidates.append(digits)
    for candidate in candidates:
        if _ogm_valid(candidate):
            return candidate
    return ""


# --- the parser ------------------------------------------------------------------------------------------


class _RootSeen(Exception):
    """The prolog's expat parser reached the root element: the rest is ElementTree's."""


def _forbid(*_args: Any) -> None:
    raise CamtError(_("Het bestand bevat een documenttypedefinitie of entiteiten; die worden niet aanvaard."))


def _prolog(stream: IO[bytes]) -> tuple[str, list[bytes]]:
    """Read up to the root element with a hardened expat parser: no document type declaration, no entity
    declaration, a ``Document`` of camt.053.001.02–.08. Returns its namespace and the chunks read."""
    chunks: list[bytes] = []
    namespace: list[str] = []

    def start(name: str, _attrs: Any) -> None:
        ns, _sep, local = name.rpartition("|")
        if ns not in NAMESPACES or local != "Document":
            raise CamtError(
                _(
                    "Dit is geen camt.053-rekeninguittreksel (ISO 20022 camt.053.001.02 tot .08): het "
                    "bestand begint met %(element)s in de naamruimte '%(namespace)s'."
                ),
                element=local,
                namespace=ns or "-",
            )
        namespace.append(ns)
        raise _RootSeen

    parser = xml.parsers.expat.ParserCreate(namespace_separator="|")
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid  # type: ignore[assignment]
    try:
        while chunk := stream.read(CHUNK):
            chunks.append(chunk)
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _RootSeen:
        return namespace[0], chunks
    except xml.parsers.expat.ExpatError as error:
        if not chunks:
            raise CamtError(_("Het bestand is leeg.")) from None
        raise CamtError(
            _("Dit is geen XML-bestand (regel %(line)s: %(error)s)."),
            line=error.lineno,
            error=xml.parsers.expat.ErrorString(error.code) if error.code else "",
        ) from None
    raise CamtError(_("Het bestand is leeg."))  # pragma: no cover  (expat refuses a document without root)


def _end_events(head: list[bytes], stream: IO[bytes]) -> Iterator[tuple[str, ET.Element]]:
    """ElementTree's pull parser over the whole file (the prolog's chunks again, then the rest): the end
    event of every element. A syntax error → ``CamtError`` with the line; one at the end → cut off."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("end",))
    final = False
    try:
        for chunk in itertools.chain(head, iter(lambda: stream.read(CHUNK), b"")):
            parser.feed(chunk)
            yield from parser.read_events()  # type: ignore[misc]  # end events only
        final = True
        parser.close()
        yield from parser.read_events()  # type: ignore[misc]
    except ET.ParseError as error:
        line = error.position[0]
        if final:
            raise CamtError(
                _("Het bestand is onvolledig: het houdt op in het midden (regel %(line)s)."), line=line
            ) from None
        raise CamtError(
            _("Het bestand is geen geldige XML (regel %(line)s: %(error)s)."),
            line=line,
            error=xml.parsers.expat.ErrorString(error.code) if error.code else "",
        ) from None


def _text(element: ET.Element) -> str:
    return (element.text or "").strip()


def _reader(namespace: str) -> Callable[[ET.Element], dict[str, Any]]:
    """The fields of one ``Ntry`` element (namespace ``namespace``) as a dict: the entry's own fields and a
    list ``txs`` of the fields of each ``TxDtls``."""
    q = "{" + namespace + "}"
    amt, cdt_dbt, rvsl, sts, cd, bookg_dt = (
        q + n for n in ("Amt", "CdtDbtInd", "RvslInd", "Sts", "Cd", "BookgDt")
    )
    dates = (q + "Dt", q + "DtTm")
    servicer, ntry_ref, tx_dtls, tx_amt, refs = (
        q + n for n in ("AcctSvcrRef", "NtryRef", "TxDtls", "TxAmt", "Refs")
    )
    cdtr_ref_inf, ref, ustrd, dbtr_acct, iban, parties, dbtr, nm = (
        q + n for n in ("CdtrRefInf", "Ref", "Ustrd", "DbtrAcct", "IBAN", "RltdPties", "Dbtr", "Nm")
    )

    def transaction_fields(tx: ET.Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        amount = tx.find(amt)  # TxDtls/Amt (.04 on), else the first AmtDtls/TxAmt/Amt
        if amount is None:
            for holder in tx.iter(tx_amt):
                amount = holder.find(amt)
                if amount is not None:
                    break
        if amount is not None:
            out["amount"], out["currency"] = _text(amount), amount.get("Ccy", "")
        for holder in tx.iter(refs):
            found = holder.find(servicer)
            if found is not None:
                out["servicer_ref"] = _text(found)
                break
        for holder in tx.iter(cdtr_ref_inf):
            found = holder.find(ref)
            if found is not None:
                out["ref"] = _text(found)
                break
        texts = [text for element in tx.iter(ustrd) if (text := _text(element))]
        if texts:
            out["ustrd"] = " ".join(texts)
        for account in tx.iter(dbtr_acct):
            for number in account.iter(iban):
                out["debtor_iban"] = _text(number)
        for holder in tx.iter(parties):
            for debtor in holder.iter(dbtr):
                for name in debtor.iter(nm):
                    out.setdefault("debtor_name", _text(name))
        return out

    def read(ntry: ET.Element) -> dict[str, Any]:
        entry: dict[str, Any] = {}
        for child in ntry:
            tag = child.tag
            if tag == amt:
                entry["amount"], entry["currency"] = _text(child), child.get("Ccy", "")
            elif tag == cdt_dbt:
                entry["credit"] = _text(child)
            elif tag == rvsl:
                entry["reversal"] = _text(child).lower() == "true"
            elif tag == sts:  # <Sts>BOOK</Sts>, or <Sts><Cd>BOOK</Cd></Sts> (.08)
                status = _text(child)
                for code in child:
                    if code.tag == cd and _text(code):
                        status = _text(code)
                if status:
                    entry["status"] = status
            elif tag == bookg_dt:
                for when in child:
                    if when.tag in dates:
                        entry["booking_date"] = _text(when)[:10]
            elif tag == servicer:
                entry.setdefault("servicer_ref", _text(child))
            elif tag == ntry_ref:
                entry["entry_ref"] = _text(child)
        entry["txs"] = [transaction_fields(tx) for tx in ntry.iter(tx_dtls)]
        return entry

    return read


def _items(entry: dict[str, Any], statement_id: str, index: int) -> Iterator[CamtEntry]:
    """One ``CamtEntry`` per entry, or per transaction of a batch entry whose transactions each carry an
    amount (each its own idempotency key: the bank's reference, else the entry's ``NtryRef``, with
    ``/position``)."""
    txs = entry["txs"] or [{}]
    split = len(txs) > 1 and all("amount" in tx for tx in txs)
    for position, tx in enumerate(txs, start=1):
        merged = {**entry, **{k: v for k, v in tx.items() if v}} if split else {**tx, **entry}
        if not split:
            for key in ("ref", "ustrd", "debtor_iban", "debtor_name", "servicer_ref"):
                if key not in entry and key in tx:
                    merged[key] = tx[key]
            merged["amount"], merged["currency"] = entry.get("amount", ""), entry.get("currency", "")
        yield _entry(merged, statement_id, index, position if split else 0)


def _entry(raw: dict[str, Any], statement_id: str, index: int, position: int) -> CamtEntry:
    text = raw.get("amount", "")
    if not _AMOUNT.match(text):
        raise CamtError(
            _("Boeking %(index)s van het uittreksel heeft een ongeldig bedrag '%(amount)s'."),
            index=index,
            amount=text,
        )
    try:
        booking_date: date | None = (
            date.fromisoformat(raw["booking_date"]) if raw.get("booking_date") else None
        )
    except ValueError:
        raise CamtError(
            _("Boeking %(index)s van het uittreksel heeft een ongeldige boekingsdatum."), index=index
        ) from None
    reference = raw.get("ref", "")
    structured = _structured(reference) if reference else ""
    if not structured and raw.get("ustrd"):
        structured = _structured(raw["ustrd"])
    servicer = raw.get("servicer_ref", "")
    if position:
        servicer = f"{servicer}/{position}" if servicer else ""
    return CamtEntry(
        statement_id=statement_id,
        index=index * 1000 + position if position else index,
        amount=Decimal(text),
        currency=raw.get("currency", "") or "",
        credit=raw.get("credit") == "CRDT",
        booked=raw.get("status", "BOOK") == "BOOK",
        reversal=bool(raw.get("reversal")),
        booking_date=booking_date,
        account_servicer_reference=servicer,
        entry_reference=raw.get("entry_ref", ""),
        structured_reference=structured,
        remittance=(raw.get("ustrd") or reference)[:140],
        debtor_iban=raw.get("debtor_iban", "").replace(" ", ""),
        debtor_name=raw.get("debtor_name", ""),
        position=position,
    )


def parse(stream: IO[bytes]) -> Iterator[CamtEntry]:
    """The entries of a camt.053 statement, streamed. Raises ``CamtError`` (Dutch) for a file that is not
    XML, not camt.053.001.02–.08, or cut off — possibly after some entries were yielded: the caller books in
    one transaction, so nothing is booked."""
    namespace, head = _prolog(stream)
    q = "{" + namespace + "}"
    ntry, stmt, group_header, identifier = q + "Ntry", q + "Stmt", q + "GrpHdr", q + "Id"
    read = _reader(namespace)
    statement_id = ""
    index = 0
    want_id = False  # the first element to end after GrpHdr or a Stmt is the next Stmt's Id
    for _event, element in _end_events(head, stream):
        tag = element.tag
        if tag == ntry:
            index += 1
            entry = read(element)
            element.clear()
            yield from _items(entry, statement_id, index)
        elif want_id:
            want_id = False
            if tag == identifier:
                statement_id = _text(element)
        elif tag in (group_header, stmt):
            want_id = True
            if tag == stmt:
                element.clear()


# --- the import: what both ways share ----------------------------------------------------------------------

#: the outcomes of a credit: booked before, not bookable (manual), a deposit, or a refund with its reason
BOOKED, MANUAL, DEPOSIT = "booked", "manual", "deposit"
#: why a credit is manual: its bank reference came before in the file with another amount or currency
DUPLICATE = "duplicate"
UNKNOWN, NO_REFERENCE, NOT_CONFIRMED, WRONG_AMOUNT = "unknown", "no_reference", "not_confirmed", "amount"


def _manual(entry: CamtEntry) -> str | None:
    """Why a credit cannot be booked at all (a report line "manueel"), or None."""
    if entry.currency != "EUR":
        return "currency"
    if entry.amount <= 0 or entry.amount != entry.amount.quantize(CENT):
        return "amount"
    if entry.amount > AMOUNT_MAX:
        return "large"
    return None


def _reason(
    outcome: str,
    *,
    manual: str | None = None,
    currency: str = "",
    number: str = "",
    amount: Any = None,
    own: Any = None,
) -> str:
    if outcome == MANUAL:
        if manual == "currency":
            return _("niet in euro (%(currency)s)") % {"currency": currency or "?"}
        if manual == "large":
            return _("onwaarschijnlijk groot bedrag")
        if manual == DUPLICATE:
            return _("Dezelfde referentie komt twee keer voor.")
        return _("ongeldig bedrag")
    if outcome == UNKNOWN:
        return _("onbekende gestructureerde mededeling")
    if outcome == NO_REFERENCE:
        return _("geen gestructureerde mededeling")
    if outcome == NOT_CONFIRMED:
        return _("project %(number)s is niet meer in status Bevestigd") % {"number": number}
    return _("bedrag %(amount)s in plaats van de eigen bijdrage %(own)s voor %(number)s") % {
        "amount": amount,
        "own": own,
        "number": number,
    }


def _credits(
    entries: Iterable[CamtEntry], report: CamtReport
) -> Iterator[tuple[CamtEntry, Decimal, str | None]]:
    """The credits to look at, each with its amount (to the cent unless manual) and why it is manual;
    counts the rest in the report (debits, not booked, reversals: skipped; a reference seen before in this
    file with the same amount: already booked). A reference seen before with another amount or currency is
    not the same bank entry: it is manual (``DUPLICATE``, reported, never booked nor taken as booked)."""
    seen: dict[str, tuple[Decimal, str]] = {}
    for entry in entries:
        report.entries += 1
        if not entry.credit or not entry.booked or entry.reversal:
            report.skipped += 1
            continue
        report.credits += 1
        first = seen.get(entry.reference)
        if first is not None:
            if first != (entry.amount, entry.currency):
                yield entry, entry.amount, DUPLICATE
            else:
                report.already_booked += 1
            continue
        seen[entry.reference] = (entry.amount, entry.currency)
        manual = _manual(entry)
        yield entry, (entry.amount if manual else entry.amount.quantize(CENT)), manual


def _valid_iban(value: str) -> bool:
    from stdnum import iban

    return bool(value) and iban.is_valid(value)


def _refund_texts(reason: str) -> tuple[str, str]:
    """The refund's transaction memo and the payout's remittance."""
    memo = _("Storting terug te betalen: %(reason)s") % {"reason": reason}
    remittance = _("Terugbetaling: %(reason)s") % {"reason": reason}
    return memo[:500], remittance[:140]


def _require_staff(actor: Actor) -> None:
    from kmop.projects import services as project_services

    project_services._require_staff(actor)


def import_statement(
    file: IO[bytes], *, actor: Actor, batch_size: int | None = None, set_based: bool | None = None
) -> CamtReport:
    """Import a camt.053 statement (see the module's docstring); returns the report. Raises ``CamtError``
    with nothing booked when the file cannot be read. ``set_based``: None = set-based on PostgreSQL, batched
    elsewhere; False forces the batched way (the tests compare both). ``batch_size``: credits per batch
    (default 2,000) or per set-based chunk (default 20,000)."""
    _require_staff(actor)
    if set_based is None:
        set_based = connection.vendor == "postgresql"
    report = CamtReport()
    with transaction.atomic():
        if set_based:
            _SetBased(actor, report).run(file, batch_size or SET_CHUNK)
        else:
            _import_batched(file, actor, report, batch_size or BATCH)
    return report


# --- batched (SQLite, and the reference for the set-based way) ---------------------------------------------


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while batch := list(itertools.islice(items, size)):
        yield batch


def _import_batched(file: IO[bytes], actor: Actor, report: CamtReport, batch_size: int) -> None:
    from kmop.projects.services import project_mark_deposited_bulk

    bank = system_account(AccountKind.BANK)
    subsidy = system_account(AccountKind.SUBSIDY)
    refunds = system_account(AccountKind.REFUNDS)
    for batch in _batches(_credits(parse(file), report), batch_size):
        booked = set(
            LedgerTransaction.objects.filter(reference__in=[e.reference for e, _a, _m in batch]).values_list(
                "reference", flat=True
            )
        )
        wanted = {
            e.structured_reference
            for e, _a, manual in batch
            if e.structured_reference and manual is None and e.reference not in booked
        }
        projects = {
            p.structured_reference: p
            for p in Project.objects.select_for_update(of=("self",))
            .filter(structured_reference__in=wanted)
            .order_by("pk")
        }
        status = {p.pk: p.status for p in projects.values()}  # a deposit in this batch makes it Lopend
        matched: list[tuple[CamtEntry, Decimal, Project]] = []
        refunded: list[tuple[CamtEntry, Decimal, str]] = []
        for entry, amount, manual in batch:
            if entry.reference in booked and manual != DUPLICATE:
                report.already_booked += 1
                continue
            if manual:
                reason = _reason(MANUAL, manual=manual, currency=entry.currency)
                report.lines.append(
                    ReportLine(entry.reference, amount, entry.structured_reference, "manueel", reason)
                )
                report.skipped += 1
                continue
            project = projects.get(entry.structured_reference)
            if project is None:
                outcome = UNKNOWN if entry.structured_reference else NO_REFERENCE
            elif status[project.pk] != ProjectStatus.BEVESTIGD:
                outcome = NOT_CONFIRMED
            elif amount != project.own_contribution:
                outcome = WRONG_AMOUNT
            else:
                status[project.pk] = ProjectStatus.LOPEND
                matched.append((entry, amount, project))
                continue
            reason = _reason(
                outcome,
                number=project.number if project else "",
                amount=amount,
                own=project.own_contribution if project else None,
            )
            refunded.append((entry, amount, reason))
            report.lines.append(
                ReportLine(entry.reference, amount, entry.structured_reference, "terugbetaling", reason)
            )
        bookings: list[Booking] = []
        for entry, amount, reason in refunded:
            bookings.append(
                Booking(
                    kind=TransactionKind.UNMATCHED,
                    project=None,
                    lines=[(bank, -amount), (refunds, amount)],
                    reference=entry.reference,
                    memo=_refund_texts(reason)[0],
                )
            )
        accounts = project_accounts(p for _e, _a, p in matched)
        for entry, amount, project in matched:
            account = accounts[project.pk]
            bookings.append(
                Booking(
                    kind=TransactionKind.DEPOSIT,
                    project=project,
                    lines=[(bank, -amount), (account, amount)],
                    reference=entry.reference,
                    memo=_("Storting eigen bijdrage %(number)s") % {"number": project.number},
                )
            )
            if project.subsidy > 0:
                bookings.append(
                    Booking(
                        kind=TransactionKind.SUBSIDY,
                        project=project,
                        lines=[(subsidy, -project.subsidy), (account, project.subsidy)],
                        reference=f"subsidy:{project.number}",
                        memo=_("Steun kmo-portefeuille %(number)s") % {"number": project.number},
                    )
                )
        transactions = book_many(actor=actor, bookings=bookings)
        payouts = Payout.objects.bulk_create(
            [
                Payout(
                    kind=Payout.Kind.REFUND,
                    transaction=ledger,
                    amount=amount,
                    iban=entry.debtor_iban if _valid_iban(entry.debtor_iban) else "",
                    name=(entry.debtor_name or "?")[:140],
                    remittance=_refund_texts(reason)[1],
                    created_by=actor.label[:200],
                )
                for ledger, (entry, amount, reason) in zip(transactions, refunded, strict=False)
            ]
        )
        audit_payouts(
            actor,
            (
                (
                    "",  # money that matched no project: no enterprise known
                    payout_audit(
                        payout.pk,
                        project_number=None,
                        amount=payout.amount,
                        iban=payout.iban,
                        name=payout.name,
                        reason=_refund_texts(reason)[0],
                    ),
                )
                for payout, (_entry, _amount, reason) in zip(payouts, refunded, strict=True)
            ),
        )
        report.refunds += len(refunded)
        project_mark_deposited_bulk(actor=actor, projects=[p for _e, _a, p in matched])
        report.deposits += len(matched)


# --- set-based (PostgreSQL) --------------------------------------------------------------------------------

_TEMP_TABLES = ("camt_in", "camt_project", "camt_out", "camt_deposit")

_CREATE_STAGING = """
CREATE TEMP TABLE camt_in (
    seq integer NOT NULL, reference text NOT NULL, amount numeric NOT NULL, currency text NOT NULL,
    structured text NOT NULL, manual text, debtor_iban text NOT NULL, debtor_name text NOT NULL
) ON COMMIT DROP
"""

# the projects named by credits not booked before, locked (in id order) and read in one statement
_LOCK_PROJECTS = """
CREATE TEMP TABLE camt_project (
    id bigint, number text, status text, own_contribution numeric, subsidy numeric, structured_reference text
) ON COMMIT DROP;
WITH locked AS (
    SELECT p.id, p.number, p.status, p.own_contribution, p.subsidy, p.structured_reference
    FROM {project} p
    WHERE p.structured_reference IN (
        SELECT s.structured FROM camt_in s
        WHERE s.structured <> '' AND s.manual IS NULL
          AND NOT EXISTS (SELECT 1 FROM {tx} t WHERE t.reference = s.reference)
    )
    ORDER BY p.id
    FOR UPDATE OF p
)
INSERT INTO camt_project SELECT * FROM locked;
ANALYZE camt_project
"""

# every credit's outcome; of the exact deposits for a project in Bevestigd the first in the file wins, the
# ones after it find the project Lopend (as the batched way, which goes through the file in order)
_CLASSIFY = """
CREATE TEMP TABLE camt_out ON COMMIT DROP AS
WITH c AS (
    SELECT s.*, EXISTS (SELECT 1 FROM {tx} t WHERE t.reference = s.reference) AS booked,
           p.id AS project_id, p.number, p.status, p.own_contribution, p.subsidy
    FROM camt_in s LEFT JOIN camt_project p ON p.structured_reference = s.structured AND s.structured <> ''
), w AS (
    SELECT c.*, min(c.seq) FILTER (
        WHERE NOT c.booked AND c.manual IS NULL AND c.status = %(confirmed)s AND c.amount = c.own_contribution
    ) OVER (PARTITION BY c.project_id) AS first_ok
    FROM c
)
SELECT w.seq, w.reference, w.amount, w.currency, w.structured, w.manual, w.debtor_iban, w.debtor_name,
       w.project_id, w.number, w.own_contribution, w.subsidy,
       CASE
           WHEN w.manual = %(duplicate)s THEN 'manual'
           WHEN w.booked THEN 'booked'
           WHEN w.manual IS NOT NULL THEN 'manual'
           WHEN w.project_id IS NULL THEN CASE WHEN w.structured <> '' THEN 'unknown' ELSE 'no_reference' END
           WHEN w.status <> %(confirmed)s OR w.seq > w.first_ok THEN 'not_confirmed'
           WHEN w.seq = w.first_ok THEN 'deposit'
           ELSE 'amount'
       END AS outcome
FROM w
"""

# the deposits, with the ids of their ledger transactions taken from the sequence in file order
_DEPOSITS = """
CREATE TEMP TABLE camt_deposit ON COMMIT DROP AS
SELECT d.*, nextval(%(sequence)s::regclass) AS deposit_tx,
       CASE WHEN d.subsidy > 0 THEN nextval(%(sequence)s::regclass) END AS subsidy_tx
FROM (
    SELECT seq, reference, amount, project_id, number, subsidy FROM camt_out WHERE outcome = 'deposit'
    ORDER BY seq OFFSET 0
) d;
ANALYZE camt_deposit
"""

_DEPOSIT_ACCOUNTS = """
INSERT INTO {account} (kind, project_id, created_at)
SELECT 'project', project_id, %(now)s FROM camt_deposit ORDER BY project_id
ON CONFLICT (project_id) WHERE kind = 'project' DO NOTHING
"""

_DEPOSIT_TRANSACTIONS = """
INSERT INTO {tx} (id, kind, project_id, memo, created_at, actor_label, reference)
SELECT v.id, v.kind, d.project_id, left(replace(v.memo, %(placeholder)s, d.number), 500), %(now)s, %(label)s,
       v.reference
FROM camt_deposit d
CROSS JOIN LATERAL (VALUES
    (d.deposit_tx, 'deposit', %(deposit_memo)s, d.reference),
    (d.subsidy_tx, 'subsidy', %(subsidy_memo)s, 'subsidy:' || d.number)
) AS v(id, kind, memo, reference)
WHERE v.id IS NOT NULL
ORDER BY v.id
"""

_DEPOSIT_ENTRIES = """
INSERT INTO {entry} (transaction_id, account_id, amount)
SELECT v.tx, v.account, v.amount
FROM camt_deposit d
JOIN {account} a ON a.kind = 'project' AND a.project_id = d.project_id
CROSS JOIN LATERAL (VALUES
    (d.deposit_tx, %(bank)s::bigint, -d.amount),
    (d.deposit_tx, a.id, d.amount),
    (d.subsidy_tx, %(subsidy)s::bigint, -d.subsidy),
    (d.subsidy_tx, a.id, d.subsidy)
) AS v(tx, account, amount)
WHERE v.tx IS NOT NULL
ORDER BY v.tx
"""

# as services.book_many (one event per transaction, with its entries) and the projects' deposit transition
_DEPOSIT_AUDIT = """
INSERT INTO {audit} (at, actor_id, actor_label, organisation_code, acr, action, object_type, object_id,
                     before, after, reason)
SELECT %(now)s, %(user)s, %(actor)s, %(organisation)s, %(acr)s, v.action, v.object_type, v.object_id,
       v.before, v.after, v.reason
FROM camt_deposit d
CROSS JOIN LATERAL (VALUES
    ('wallet.transaction.deposit', 'wallet.LedgerTransaction', d.deposit_tx::text, NULL::jsonb,
     jsonb_build_object(
         'kind', 'deposit', 'project', d.number, 'reference', d.reference,
         'memo', left(replace(%(deposit_memo)s, %(placeholder)s, d.number), 500),
         'entries', jsonb_build_array(
             jsonb_build_array('bank', (-d.amount)::text),
             jsonb_build_array('project:' || d.project_id, d.amount::text))),
     ''),
    ('wallet.transaction.subsidy', 'wallet.LedgerTransaction', d.subsidy_tx::text, NULL::jsonb,
     jsonb_build_object(
         'kind', 'subsidy', 'project', d.number, 'reference', 'subsidy:' || d.number,
         'memo', left(replace(%(subsidy_memo)s, %(placeholder)s, d.number), 500),
         'entries', jsonb_build_array(
             jsonb_build_array('subsidy', (-d.subsidy)::text),
             jsonb_build_array('project:' || d.project_id, d.subsidy::text))),
     ''),
    ('projects.project.deposit', {project_type}, d.project_id::text,
     jsonb_build_object('number', d.number, 'status', %(confirmed)s::text),
     jsonb_build_object('number', d.number, 'status', %(running)s::text),
     %(transition)s)
) AS v(action, object_type, object_id, before, after, reason)
WHERE v.object_id IS NOT NULL
"""

# Bevestigd → Lopend as kmop.projects.services.project_mark_deposited_bulk does it, set-based
_DEPOSIT_PROJECTS = """
UPDATE {project} p
SET status = %(running)s, status_changed_at = %(now)s, deposited_at = %(now)s, updated_at = %(now)s
FROM camt_deposit d
WHERE p.id = d.project_id AND p.status = %(confirmed)s
"""

_DEPOSIT_HISTORY = """
INSERT INTO {history} (project_id, from_status, to_status, action, at, actor_label, reason, proof_name)
SELECT project_id, %(confirmed)s, %(running)s, 'deposit', %(now)s, %(label)s, %(transition)s, ''
FROM camt_deposit ORDER BY project_id
"""

_NOT_DEPOSITED = """
SELECT seq, reference, amount, currency, structured, manual, outcome, number, own_contribution, debtor_iban,
       debtor_name
FROM camt_out WHERE outcome NOT IN ('deposit', 'booked') ORDER BY seq
"""


_STEPS = {
    _LOCK_PROJECTS: "lock the projects named",
    _CLASSIFY: "classify the credits",
    _DEPOSITS: "number the deposits' transactions",
    _DEPOSIT_ACCOUNTS: "wallet accounts of the projects",
    _DEPOSIT_TRANSACTIONS: "insert the ledger transactions",
    _DEPOSIT_ENTRIES: "insert the entries",
    _DEPOSIT_AUDIT: "insert the audit events",
    _DEPOSIT_PROJECTS: "update the projects: Lopend",
    _DEPOSIT_HISTORY: "insert the status history",
    _NOT_DEPOSITED: "read the refunds and manual lines",
}


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "project": quote(Project._meta.db_table),
        "history": quote(ProjectStatusChange._meta.db_table),
        "tx": quote(LedgerTransaction._meta.db_table),
        "entry": quote(Entry._meta.db_table),
        "account": quote(Account._meta.db_table),
        "payout": quote(Payout._meta.db_table),
        "audit": quote(AuditEvent._meta.db_table),
        "project_type": "'projects.Project'",
    }


class _Producer(threading.Thread):
    """Parses the file in a thread of its own and hands the credits over in chunks of rows for the staging
    table, so that the next chunk is parsed while the database books the one before (two cores). Counts
    what it skips in a report of its own. An error (``CamtError``) is handed over as the last item."""

    def __init__(self, file: IO[bytes], size: int) -> None:
        super().__init__(name="camt-parser", daemon=True)
        self.file = file
        self.size = size
        self.report = CamtReport()
        self.queue: queue.Queue[list[tuple[Any, ...]] | BaseException | None] = queue.Queue(maxsize=2)
        self.stop = threading.Event()
        self.language = translation.get_language()

    def run(self) -> None:
        item: list[tuple[Any, ...]] | BaseException | None = None
        try:
            with translation.override(self.language):
                rows: list[tuple[Any, ...]] = []
                size = min(self.size, FIRST_CHUNK)  # a small first chunk: the database starts sooner
                for seq, (entry, amount, manual) in enumerate(
                    _credits(parse(self.file), self.report), start=1
                ):
                    rows.append(
                        (
                            seq,
                            entry.reference,
                            amount,
                            entry.currency,
                            entry.structured_reference,
                            manual,
                            entry.debtor_iban,
                            entry.debtor_name,
                        )
                    )
                    if len(rows) >= size:
                        if not self._put(rows):
                            return
                        rows = []
                        size = self.size
                if rows and not self._put(rows):
                    return
        except BaseException as error:  # handed to the importing thread, which raises it
            item = error
        self._put(item)

    def _put(self, item: list[tuple[Any, ...]] | BaseException | None) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def next(self) -> list[tuple[Any, ...]] | None:
        item = self.queue.get()
        if isinstance(item, BaseException):
            raise item
        return item


class _SetBased:
    """The import on PostgreSQL, set-based (see the module's docstring)."""

    def __init__(self, actor: Actor, report: CamtReport) -> None:
        from kmop.projects.services import TRANSITIONS

        self.actor = actor
        self.report = report
        self.now = timezone.now()
        self.label = actor.label[:200]
        self.tables = _tables()
        self.params: dict[str, Any] = {
            "now": self.now,
            "label": self.label,
            "actor": actor.label,
            "user": actor.user.pk if actor.user is not None else None,
            "organisation": actor.organisation_code,
            "acr": actor.acr,
            "confirmed": ProjectStatus.BEVESTIGD.value,
            "running": ProjectStatus.LOPEND.value,
            "duplicate": DUPLICATE,
            "transition": str(TRANSITIONS["deposit"].label),
            "placeholder": "%(number)s",
            "deposit_memo": _("Storting eigen bijdrage %(number)s"),
            "subsidy_memo": _("Steun kmo-portefeuille %(number)s"),
        }

    def sql(self, cursor: Any, statement: str) -> int:
        start = time.perf_counter()
        cursor.execute(statement.format(**self.tables), self.params)
        self.lap(_STEPS[statement], start)
        return int(cursor.rowcount)

    @staticmethod
    def lap(step: str, start: float) -> None:
        """Where the time goes (DEBUG log of ``kmop.wallet.camt``; the benchmark prints it)."""
        logger.debug("camt step %-40s %.3f s", step, time.perf_counter() - start)

    def run(self, file: IO[bytes], chunk: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            self.params["bank"] = system_account(AccountKind.BANK).pk
            self.params["subsidy"] = system_account(AccountKind.SUBSIDY).pk
            self.params["refunds"] = system_account(AccountKind.REFUNDS).pk
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [LedgerTransaction._meta.db_table])
            self.params["sequence"] = cursor.fetchone()[0]
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # all lines of a transaction go in one statement: checked per statement (migration 0003)
            cursor.execute("SET LOCAL kmop.wallet_statement_check = 'on'")
            self._drop(cursor)
            cursor.execute("DROP TABLE IF EXISTS camt_in")
            cursor.execute(_CREATE_STAGING)
            producer = _Producer(file, chunk)
            producer.start()
            try:
                while True:
                    start = time.perf_counter()
                    rows = producer.next()
                    self.lap("wait for the parser", start)
                    if rows is None:
                        break
                    self._chunk(cursor, rows)
            finally:
                producer.stop.set()
                producer.join()
            for name in ("entries", "credits", "already_booked", "skipped"):
                setattr(self.report, name, getattr(self.report, name) + getattr(producer.report, name))
            self._drop(cursor)
            cursor.execute("DROP TABLE IF EXISTS camt_in")
            cursor.execute("SET LOCAL kmop.wallet_statement_check = 'off'")

    def _chunk(self, cursor: Any, rows: list[tuple[Any, ...]]) -> None:
        """Book one chunk of credits (the chunks before it are booked: their references, their projects
        now Lopend)."""
        self._drop(cursor)
        cursor.execute("TRUNCATE camt_in")
        start = time.perf_counter()
        columns = (
            "seq",
            "reference",
            "amount",
            "currency",
            "structured",
            "manual",
            "debtor_iban",
            "debtor_name",
        )
        copy_rows(cursor, "camt_in", columns, rows)
        cursor.execute("ANALYZE camt_in")
        self.lap("COPY into camt_in", start)
        self.sql(cursor, _LOCK_PROJECTS)
        self.sql(cursor, _CLASSIFY)
        cursor.execute("SELECT outcome, count(*) FROM camt_out GROUP BY outcome")
        counts = dict(cursor.fetchall())
        self.report.already_booked += counts.get(BOOKED, 0)
        try:
            deposits = self._deposits(cursor) if counts.get(DEPOSIT) else 0
            start = time.perf_counter()
            self._not_deposited(cursor)
            self.lap("refunds: transactions, entries, payouts, audit (COPY)", start)
        except IntegrityError:  # a reference booked by another way meanwhile (subsidy:<project>)
            raise AlreadyBooked(_("Dit werd al geboekt.")) from None
        self.report.deposits += deposits

    @staticmethod
    def _drop(cursor: Any) -> None:
        cursor.execute("DROP TABLE IF EXISTS " + ", ".join(t for t in _TEMP_TABLES if t != "camt_in"))

    def _deposits(self, cursor: Any) -> int:
        count = self.sql(cursor, _DEPOSITS)
        cursor.execute("SELECT count(*) FROM camt_deposit")
        count = cursor.fetchone()[0]
        self.sql(cursor, _DEPOSIT_ACCOUNTS)
        self.sql(cursor, _DEPOSIT_TRANSACTIONS)
        self.sql(cursor, _DEPOSIT_ENTRIES)
        self.sql(cursor, _DEPOSIT_AUDIT)
        changed = self.sql(cursor, _DEPOSIT_PROJECTS)
        if changed != count:  # pragma: no cover  (the projects are locked since the classification)
            raise RuntimeError(f"camt: {changed} projects changed for {count} deposits")
        self.sql(cursor, _DEPOSIT_HISTORY)
        return int(count)

    def _not_deposited(self, cursor: Any) -> None:
        """The report's lines in file order; the refunds booked (transactions, entries, payouts, audit)."""
        self.sql(cursor, _NOT_DEPOSITED)
        refunds: list[tuple[str, Decimal, str, str]] = []  # reference, amount, reason, IBAN
        names: list[str] = []
        for (
            seq,
            reference,
            amount,
            currency,
            structured,
            manual,
            outcome,
            number,
            own,
            iban,
            name,
        ) in cursor.fetchall():
            del seq
            if outcome == MANUAL:
                reason = _reason(MANUAL, manual=manual, currency=currency)
                self.report.lines.append(ReportLine(reference, amount, structured, "manueel", reason))
                self.report.skipped += 1
                continue
            reason = _reason(outcome, number=number or "", amount=amount, own=own)
            self.report.lines.append(ReportLine(reference, amount, structured, "terugbetaling", reason))
            refunds.append((reference, amount, reason, iban if _valid_iban(iban) else ""))
            names.append((name or "?")[:140])
        self.report.refunds += len(refunds)
        if not refunds:
            return
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
            [self.params["sequence"], len(refunds)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Payout._meta.db_table, len(refunds)],
        )
        payout_ids = sorted(row[0] for row in cursor.fetchall())
        bank, refunds_account = self.params["bank"], self.params["refunds"]
        copy_rows(
            cursor,
            self.tables["tx"],
            ("id", "kind", "project_id", "memo", "created_at", "actor_label", "reference"),
            (
                (
                    pk,
                    TransactionKind.UNMATCHED.value,
                    None,
                    _refund_texts(reason)[0],
                    self.now,
                    self.label,
                    ref,
                )
                for pk, (ref, _amount, reason, _iban) in zip(ids, refunds, strict=True)
            ),
        )
        copy_rows(
            cursor,
            self.tables["entry"],
            ("transaction_id", "account_id", "amount"),
            (
                row
                for pk, (_ref, amount, _reason, _iban) in zip(ids, refunds, strict=True)
                for row in ((pk, bank, -amount), (pk, refunds_account, amount))
            ),
        )
        copy_rows(
            cursor,
            self.tables["payout"],
            (
                "id",
                "kind",
                "project_id",
                "transaction_id",
                "invoice_number",
                "amount",
                "iban",
                "bic",
                "name",
                "remittance",
                "created_at",
                "created_by",
                "batch_id",
            ),
            (
                (
                    payout_id,
                    Payout.Kind.REFUND.value,
                    None,
                    pk,
                    "",
                    amount,
                    iban,
                    "",
                    name,
                    _refund_texts(reason)[1],
                    self.now,
                    self.label,
                    None,
                )
                for payout_id, pk, (_ref, amount, reason, iban), name in zip(
                    payout_ids, ids, refunds, names, strict=True
                )
            ),
        )
        params = self.params
        copy_rows(
            cursor,
            self.tables["audit"],
            (
                "at",
                "actor_id",
                "actor_label",
                "organisation_code",
                "acr",
                "action",
                "object_type",
                "object_id",
                "before",
                "after",
                "reason",
            ),
            (
                (
                    self.now,
                    params["user"],
                    params["actor"],
                    params["organisation"],
                    params["acr"],
                    "wallet.transaction.unmatched",
                    "wallet.LedgerTransaction",
                    str(pk),
                    None,
                    json.dumps(
                        {
                            "kind": TransactionKind.UNMATCHED.value,
                            "project": None,
                            "reference": ref,
                            "memo": _refund_texts(reason)[0],
                            "entries": [["bank", str(-amount)], ["refunds", str(amount)]],
                        }
                    ),
                    "",
                )
                for pk, (ref, amount, reason, _iban) in zip(ids, refunds, strict=True)
            ),
        )
        # as the batched way's audit_payouts: money that matched no project, so the actor's organisation
        audit_record_many(
            actor=self.actor,
            changes=(
                payout_audit(
                    payout_id,
                    project_number=None,
                    amount=amount,
                    iban=iban,
                    name=name,
                    reason=_refund_texts(reason)[0],
                )
                for payout_id, (_ref, amount, reason, iban), name in zip(
                    payout_ids, refunds, names, strict=True
                )
            ),
        )


def copy_rows(cursor: Any, table: str, columns: Iterable[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """``COPY table (columns) FROM STDIN`` of the rows (PostgreSQL)."""
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)

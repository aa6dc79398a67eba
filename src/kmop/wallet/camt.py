"""ISO 20022 camt.053 bank statements: a streaming parser and the deposit matching.

``parse(stream)`` reads the file in chunks with the standard library's expat parser (``xml.parsers.expat``,
the parser under ``ElementTree.iterparse``), used directly so that it can be hardened: a document type
declaration or an entity declaration is refused (no entity expansion, no external entities), and only the
few fields of an entry are kept, so memory stays flat whatever the size of the statement. Namespaces
camt.053.001.02 to .08 are accepted. Each credit entry (or each transaction of a batch entry) yields a
``CamtEntry``: amount, currency, booking date, the bank's reference (``AcctSvcrRef``), the structured
reference (``<CdtrRefInf><Ref>``, or ``+++123/4567/89012+++`` in ``<Ustrd>``) and the sender's account.

``import_statement(file, *, actor)`` books in one database transaction: the exact own contribution with the
reference of a project in Bevestigd → deposit + subsidy and ``project_mark_deposited``; anything else → a
refund (a report line). A bank entry booked before (same reference) is skipped, so importing the same
statement twice books nothing twice. A file that is not XML, not camt.053 or cut off raises ``CamtError``
(Dutch message) and nothing is booked.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from kmop.audit.services import Actor
from kmop.idm.errors import IdmError
from kmop.projects.models import Project, ProjectStatus
from kmop.wallet.models import AccountKind, LedgerTransaction, Payout, TransactionKind
from kmop.wallet.services import (
    Booking,
    book_many,
    project_accounts,
    system_account,
)

__all__ = ["CamtEntry", "CamtError", "CamtReport", "ReportLine", "import_statement", "parse"]

NAMESPACES = frozenset(f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{v:02d}" for v in range(2, 9))
CHUNK = 1 << 16
BATCH = 2000
_AMOUNT = re.compile(r"^\d{1,18}(\.\d{1,5})?$")
_OGM = re.compile(r"(?:\+\+\+|\*\*\*)\s*(\d{3})\s*/?\s*(\d{4})\s*/?\s*(\d{5})\s*(?:\+\+\+|\*\*\*)")


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

    @property
    def reference(self) -> str:
        """The idempotency key of this bank entry: the bank's own reference, else statement id + position."""
        key = self.account_servicer_reference or f"{self.statement_id}#{self.entry_reference or self.index}"
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


def _structured(text: str) -> str:
    """A Belgian structured reference (OGM/VCS) in a text → its 12 digits if the check digits are right."""
    from stdnum.be import ogm_vcs

    candidates = []
    for m in _OGM.finditer(text):
        candidates.append("".join(g for g in m.groups() if g))
    digits = re.sub(r"[\s+/*]", "", text)
    if len(digits) == 12 and digits.isdigit():
        candidates.append(digits)
    for candidate in candidates:
        if ogm_vcs.is_valid(candidate):
            return candidate
    return ""


class _Parser:
    """The state machine over expat's events: keeps the fields of the current entry only."""

    def __init__(self) -> None:
        self.root_seen = False
        self.stack: list[str] = []
        self.text: list[str] = []
        self.statement_id = ""
        self.index = 0
        self.entry: dict[str, Any] | None = None
        self.tx: dict[str, Any] | None = None
        self.ready: list[CamtEntry] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        ns, _sep, local = name.rpartition("|")
        if not self.root_seen:
            self.root_seen = True
            if ns not in NAMESPACES or local != "Document":
                raise CamtError(
                    _(
                        "Dit is geen camt.053-rekeninguittreksel (ISO 20022 camt.053.001.02 tot .08): het "
                        "bestand begint met %(element)s in de naamruimte '%(namespace)s'."
                    ),
                    element=local,
                    namespace=ns or "-",
                )
        self.stack.append(local)
        self.text = []
        if local == "Ntry" and self.stack[-2:-1] == ["Stmt"]:
            self.index += 1
            self.entry = {"txs": [], "attrs": {}}
        elif local == "TxDtls" and self.entry is not None:
            self.tx = {}
        elif local == "Amt" and self.entry is not None:
            target = self.tx if self.tx is not None else self.entry
            target.setdefault("_ccy_pending", attrs.get("Ccy", ""))

    def data(self, text: str) -> None:
        self.text.append(text)

    def end(self, name: str) -> None:
        local = self.stack.pop()
        text = "".join(self.text).strip()
        self.text = []
        parent = self.stack[-1] if self.stack else ""
        if self.entry is None:
            if local == "Id" and parent == "Stmt":
                self.statement_id = text
            return
        path = self.stack
        if local == "Ntry":
            self._finish_entry()
            return
        if local == "TxDtls" and self.tx is not None:
            self.entry["txs"].append(self.tx)
            self.tx = None
            return
        target = self.tx if self.tx is not None else self.entry
        if local == "Amt":
            ccy = target.pop("_ccy_pending", "")
            # the entry's own amount, or the transaction's (TxDtls/Amt, TxDtls/AmtDtls/TxAmt/Amt)
            if (self.tx is None and parent == "Ntry") or (
                self.tx is not None and parent in ("TxDtls", "TxAmt") and "amount" not in target
            ):
                target["amount"], target["currency"] = text, ccy
        elif local == "CdtDbtInd" and parent == "Ntry":
            target["credit"] = text
        elif local == "RvslInd" and parent == "Ntry":
            target["reversal"] = text.lower() == "true"
        elif (local == "Sts" and parent == "Ntry") or (local == "Cd" and parent == "Sts"):
            if text:
                target["status"] = text
        elif local in ("Dt", "DtTm") and parent == "BookgDt":
            target["booking_date"] = text[:10]
        elif local == "AcctSvcrRef" and parent in ("Ntry", "Refs"):
            target.setdefault("servicer_ref", text)
        elif local == "NtryRef" and parent == "Ntry":
            target["entry_ref"] = text
        elif local == "Ref" and parent == "CdtrRefInf":
            target.setdefault("ref", text)
        elif local == "Ustrd":
            target["ustrd"] = (target.get("ustrd", "") + " " + text).strip()
        elif local == "IBAN" and "DbtrAcct" in path:
            target["debtor_iban"] = text
        elif local == "Nm" and "Dbtr" in path and "RltdPties" in path:
            target.setdefault("debtor_name", text)

    def _finish_entry(self) -> None:
        entry = self.entry
        assert entry is not None
        self.entry = None
        txs = entry["txs"] or [{}]
        split = len(txs) > 1 and all("amount" in tx for tx in txs)
        for position, tx in enumerate(txs, start=1):
            merged = {**entry, **{k: v for k, v in tx.items() if v}} if split else {**tx, **entry}
            if not split:
                for key in ("ref", "ustrd", "debtor_iban", "debtor_name", "servicer_ref"):
                    if key not in entry and key in tx:
                        merged[key] = tx[key]
                merged["amount"], merged["currency"] = entry.get("amount", ""), entry.get("currency", "")
            self.ready.append(self._entry(merged, position if split else 0))

    def _entry(self, raw: dict[str, Any], position: int) -> CamtEntry:
        text = raw.get("amount", "")
        if not _AMOUNT.match(text):
            raise CamtError(
                _("Boeking %(index)s van het uittreksel heeft een ongeldig bedrag '%(amount)s'."),
                index=self.index,
                amount=text,
            )
        try:
            booking_date: date | None = (
                date.fromisoformat(raw["booking_date"]) if raw.get("booking_date") else None
            )
        except ValueError:
            raise CamtError(
                _("Boeking %(index)s van het uittreksel heeft een ongeldige boekingsdatum."), index=self.index
            ) from None
        reference = raw.get("ref", "")
        structured = _structured(reference) if reference else ""
        if not structured and raw.get("ustrd"):
            structured = _structured(raw["ustrd"])
        servicer = raw.get("servicer_ref", "")
        if position:
            servicer = f"{servicer}/{position}" if servicer else ""
        return CamtEntry(
            statement_id=self.statement_id,
            index=self.index * 1000 + position if position else self.index,
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
        )


def _forbid(*_args: Any) -> None:
    raise CamtError(_("Het bestand bevat een documenttypedefinitie of entiteiten; die worden niet aanvaard."))


def parse(stream: IO[bytes]) -> Iterator[CamtEntry]:
    """The entries of a camt.053 statement, streamed. Raises ``CamtError`` (Dutch) for a file that is not
    XML, not camt.053.001.02–.08, or cut off — possibly after some entries were yielded: the caller books in
    one transaction, so nothing is booked."""
    state = _Parser()
    parser = xml.parsers.expat.ParserCreate(namespace_separator="|")
    parser.buffer_text = True
    parser.StartElementHandler = state.start
    parser.EndElementHandler = state.end
    parser.CharacterDataHandler = state.data
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid  # type: ignore[assignment]
    seen = False
    final = False
    try:
        while chunk := stream.read(CHUNK):
            seen = True
            parser.Parse(chunk, False)
            if state.ready:
                yield from state.ready
                state.ready = []
        final = True
        parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as error:
        code = xml.parsers.expat.ErrorString(error.code) if error.code else ""
        if not seen:
            raise CamtError(_("Het bestand is leeg.")) from None
        if not state.root_seen:
            raise CamtError(
                _("Dit is geen XML-bestand (regel %(line)s: %(error)s)."), line=error.lineno, error=code
            ) from None
        if final:
            raise CamtError(
                _("Het bestand is onvolledig: het houdt op in het midden (regel %(line)s)."),
                line=error.lineno,
            ) from None
        raise CamtError(
            _("Het bestand is geen geldige XML (regel %(line)s: %(error)s)."), line=error.lineno, error=code
        ) from None
    if not seen or not state.root_seen:
        raise CamtError(_("Het bestand is leeg."))
    yield from state.ready
    state.ready = []


# --- the import ------------------------------------------------------------------------------------------


def _batches(entries: Iterator[CamtEntry], size: int) -> Iterator[list[CamtEntry]]:
    batch: list[CamtEntry] = []
    for entry in entries:
        batch.append(entry)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _mark_deposited(actor: Actor, projects: list[Project]) -> None:
    from kmop.projects import services as project_services

    bulk = getattr(project_services, "project_mark_deposited_bulk", None)
    if bulk is not None:
        bulk(actor=actor, projects=projects)
        return
    for project in projects:
        project_services.project_mark_deposited(
            actor=actor, project=project, reason=_("eigen bijdrage gestort (rekeninguittreksel)")
        )


def import_statement(file: IO[bytes], *, actor: Actor, batch_size: int = BATCH) -> CamtReport:
    """Import a camt.053 statement (see the module's docstring); returns the report. Raises ``CamtError``
    with nothing booked when the file cannot be read."""
    report = CamtReport()
    with transaction.atomic():
        bank = system_account(AccountKind.BANK)
        subsidy = system_account(AccountKind.SUBSIDY)
        refunds = system_account(AccountKind.REFUNDS)
        seen: set[str] = set()
        for batch in _batches(parse(file), batch_size):
            report.entries += len(batch)
            credits = []
            for entry in batch:
                if not entry.credit or not entry.booked or entry.reversal:
                    report.skipped += 1
                    continue
                credits.append(entry)
            report.credits += len(credits)
            booked = set(
                LedgerTransaction.objects.filter(reference__in=[e.reference for e in credits]).values_list(
                    "reference", flat=True
                )
            )
            wanted = {
                e.structured_reference
                for e in credits
                if e.structured_reference and e.reference not in booked and e.reference not in seen
            }
            projects = {
                p.structured_reference: p
                for p in Project.objects.select_for_update(of=("self",))
                .filter(structured_reference__in=wanted)
                .order_by("pk")
            }
            deposited: list[Project] = []
            bookings: list[Booking] = []
            refunds_to_make: list[tuple[int, CamtEntry, str]] = []
            matched: list[tuple[CamtEntry, Project]] = []
            for entry in credits:
                if entry.reference in booked or entry.reference in seen:
                    report.already_booked += 1
                    continue
                seen.add(entry.reference)
                project = projects.get(entry.structured_reference)
                reason = ""
                if entry.currency != "EUR":
                    reason = _("niet in euro (%(currency)s)") % {"currency": entry.currency or "?"}
                elif entry.amount != entry.amount.quantize(Decimal("0.01")) or entry.amount <= 0:
                    reason = _("ongeldig bedrag")
                elif project is None:
                    reason = (
                        _("onbekende gestructureerde mededeling")
                        if entry.structured_reference
                        else _("geen gestructureerde mededeling")
                    )
                elif project.status != ProjectStatus.BEVESTIGD:
                    reason = _("project %(number)s is niet meer in status Bevestigd") % {
                        "number": project.number
                    }
                elif entry.amount != project.own_contribution:
                    reason = _(
                        "bedrag %(amount)s in plaats van de eigen bijdrage %(own)s voor %(number)s"
                    ) % {
                        "amount": entry.amount,
                        "own": project.own_contribution,
                        "number": project.number,
                    }
                if reason:
                    if (
                        entry.currency != "EUR"
                        or entry.amount <= 0
                        or entry.amount != entry.amount.quantize(Decimal("0.01"))
                    ):
                        report.lines.append(
                            ReportLine(
                                entry.reference, entry.amount, entry.structured_reference, "manueel", reason
                            )
                        )
                        report.skipped += 1
                        continue
                    refunds_to_make.append((len(bookings), entry, reason))
                    bookings.append(
                        Booking(
                            kind=TransactionKind.UNMATCHED,
                            project=None,
                            lines=[(bank, -entry.amount), (refunds, entry.amount)],
                            reference=entry.reference,
                            memo=_("Storting terug te betalen: %(reason)s") % {"reason": reason},
                        )
                    )
                    continue
                assert project is not None
                project.status = ProjectStatus.LOPEND  # within this import: a second deposit is refunded
                matched.append((entry, project))
                deposited.append(project)
            accounts = project_accounts(deposited)
            for entry, project in matched:
                account = accounts[project.pk]
                bookings.append(
                    Booking(
                        kind=TransactionKind.DEPOSIT,
                        project=project,
                        lines=[(bank, -entry.amount), (account, entry.amount)],
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
            payouts = []
            for position, entry, reason in refunds_to_make:
                payouts.append(
                    Payout(
                        kind=Payout.Kind.REFUND,
                        transaction=transactions[position],
                        amount=entry.amount,
                        iban=entry.debtor_iban if _valid_iban(entry.debtor_iban) else "",
                        name=(entry.debtor_name or "?")[:140],
                        remittance=(_("Terugbetaling: %(reason)s") % {"reason": reason})[:140],
                        created_by=actor.label[:200],
                    )
                )
                report.lines.append(
                    ReportLine(
                        entry.reference, entry.amount, entry.structured_reference, "terugbetaling", reason
                    )
                )
            Payout.objects.bulk_create(payouts)
            report.refunds += len(refunds_to_make)
            for project in deposited:
                project.status = ProjectStatus.BEVESTIGD
            _mark_deposited(actor, deposited)
            report.deposits += len(deposited)
    return report


def _valid_iban(value: str) -> bool:
    from stdnum import iban

    return bool(value) and iban.is_valid(value)

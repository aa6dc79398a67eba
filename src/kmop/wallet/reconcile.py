"""Unmatched deposits: money that came in through the bank and matched no project (issue 6, the back office's
queue "Niet herkende stortingen").

The camt.053 import books such a credit at once (bank → refunds payable, ``TransactionKind.UNMATCHED``) with a
refund payout to the sender (RULES.md: "anything else is refunded automatically and logged"); a payout
with the sender's IBAN goes out with the next pain.001 file, one without (no or an invalid IBAN) waits for a
person.
Until the payout is exported, staff may instead

* **assign** the money to a project (``unmatched_assign``): the sender meant project X but wrote a wrong or no
  structured reference. Only a project in Bevestigd whose own contribution is exactly the amount, as the
  automatic matching requires: refunds payable → the project's wallet (a deposit), the subsidy, Bevestigd →
  Lopend; the refund payout is withdrawn. Or
* **refund** it to an account they give (``unmatched_refund``): the IBAN (and name) of the payout is set, so
  the next pain.001 file pays it.

Both act under the payout's row lock on the version staff saw: a payout exported or handled meanwhile is
refused with a clear message (the export locks the same rows, ``SKIP LOCKED``), and so is one whose refund
account a colleague changed after the page was shown (``seen``: ``payout_version`` of the page). Both need a
reason and are audited (``wallet.unmatched.assign``/``wallet.unmatched.refund``: who, for VLAIO, when, why,
the amounts; an assignment also the enterprise and the project).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kmop.audit.services import Actor, audit_record
from kmop.projects.models import Project, ProjectStatus
from kmop.registers.numbers import ValidationError as NumberError
from kmop.registers.numbers import validate_iban
from kmop.wallet.models import AccountKind, LedgerTransaction, Payout, TransactionKind
from kmop.wallet.services import WalletError, book, book_subsidy, project_account, system_account


def unmatched_open() -> QuerySet[Payout]:
    """The refunds of unmatched credits not exported yet, oldest first, with their ledger transaction."""
    return (
        Payout.objects.filter(
            batch__isnull=True,
            kind=Payout.Kind.REFUND,
            project__isnull=True,
            transaction__kind=TransactionKind.UNMATCHED,
        )
        .select_related("transaction")
        .order_by("created_at", "id")
    )


def euro(amount: Decimal) -> str:
    """An amount as the Dutch screens show it (``1.234,50``), for a message."""
    return number_format(amount, 2, force_grouping=True)


def _require_staff_high(actor: Actor) -> None:
    """Staff (or the system); a person at level high, as every staff action on money (IAM.md)."""
    from kmop.acm.methods import level_at_least
    from kmop.projects.services import _require_staff

    _require_staff(actor)
    if actor.user is not None and not level_at_least(actor.acr, "high"):
        raise WalletError(_("Meld u aan met eID of itsme om een storting te behandelen."), code="level_high")


def _clean_reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise WalletError(_("Geef een reden."), field="reason", code="reason_required")
    return text[:2000]


def _lock_open(payout_id: int) -> Payout:
    payout = unmatched_open().select_for_update(of=("self",)).filter(pk=payout_id).first()
    if payout is None:
        raise WalletError(
            _(
                "Deze storting werd intussen al behandeld (terugbetaald in een betalingsbestand of aan een "
                "project toegewezen). Bekijk de lijst opnieuw."
            ),
            code="already_handled",
        )
    return payout


def payout_version(payout: Payout) -> str:
    """What staff saw of an unmatched deposit's refund (account, BIC, name), as a short fingerprint: the page
    sends it back with a decision, which is refused when a colleague changed the refund meanwhile."""
    seen = "\x1f".join((payout.iban, payout.bic, payout.name))
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def _check_seen(payout: Payout, seen: str | None) -> None:
    if seen is not None and seen != payout_version(payout):
        raise WalletError(
            _(
                "Een collega heeft deze storting intussen gewijzigd: ze wordt nu terugbetaald op "
                "%(iban)s (%(name)s). Bekijk de gegevens hierboven en beslis opnieuw."
            ),
            code="changed_meanwhile",
            iban=payout.iban or _("nog geen rekening"),
            name=payout.name or "—",
        )


def _snapshot(payout: Payout) -> dict[str, Any]:
    ledger: LedgerTransaction = payout.transaction
    return {
        "amount": str(payout.amount),
        "iban": payout.iban,
        "name": payout.name,
        "bank_reference": ledger.reference or "",
        "transaction": ledger.pk,
    }


def unmatched_assign(
    *, actor: Actor, payout_id: int, project_number: str, reason: str, seen: str | None = None
) -> Project:
    """Book the unmatched credit of ``payout_id`` as the own contribution of project ``project_number``
    (see the module's docstring; ``seen``: the ``payout_version`` staff decided on). Raises ``WalletError``
    (nothing changed) otherwise."""
    from kmop.projects.services import project_mark_deposited

    _require_staff_high(actor)
    text = _clean_reason(reason)
    number = (project_number or "").strip().upper()
    if not number:
        raise WalletError(_("Geef het projectnummer."), field="project", code="project_required")
    with transaction.atomic():
        payout = _lock_open(payout_id)
        _check_seen(payout, seen)
        project = (
            Project.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .filter(number=number)
        ).first()
        if project is None:
            raise WalletError(
                _("Er is geen project met nummer %(number)s."),
                field="project",
                code="unknown_project",
                number=number,
            )
        if project.status != ProjectStatus.BEVESTIGD:
            raise WalletError(
                _(
                    "Project %(number)s is in status %(status)s: enkel een project in status Bevestigd "
                    "wacht op een storting."
                ),
                field="project",
                code="not_confirmed",
                number=project.number,
                status=ProjectStatus(project.status).label,
            )
        if payout.amount != project.own_contribution:
            raise WalletError(
                _(
                    "Het bedrag van de storting (€ %(amount)s) is niet de eigen bijdrage van project "
                    "%(number)s (€ %(own)s)."
                ),
                field="project",
                code="wrong_amount",
                amount=euro(payout.amount),
                number=project.number,
                own=euro(project.own_contribution),
            )
        before = _snapshot(payout)
        amount: Decimal = payout.amount
        ledger = book(
            actor=actor,
            kind=TransactionKind.DEPOSIT,
            project=project,
            lines=[(system_account(AccountKind.REFUNDS), -amount), (project_account(project), amount)],
            reference=f"reconcile:{payout.transaction_id}",
            memo=_("Storting eigen bijdrage %(number)s (toegewezen door %(who)s)")
            % {"number": project.number, "who": actor.label},
        )
        if project.subsidy > 0:
            book_subsidy(actor=actor, project=project)
        payout.delete()
        project_mark_deposited(actor=actor, project=project, reason=text)
        audit_record(
            actor=actor,
            action="wallet.unmatched.assign",
            object_type="wallet.Payout",
            object_id=str(payout_id),
            before=before,
            after={
                "organisation": project.organisation.code,
                "project": project.number,
                "deposit_transaction": ledger.pk,
            },
            reason=text,
        )
    project.refresh_from_db()
    return project


def unmatched_refund(
    *, actor: Actor, payout_id: int, iban: str, name: str, reason: str, seen: str | None = None
) -> Payout:
    """Refund the unmatched credit of ``payout_id`` to ``iban`` (in the name of ``name``) with the next
    pain.001 file (``seen``: the ``payout_version`` staff decided on). Raises ``WalletError`` (nothing
    changed) otherwise."""
    _require_staff_high(actor)
    text = _clean_reason(reason)
    try:
        account = validate_iban(iban or "")
    except NumberError:
        raise WalletError(
            _("Dit is geen geldig IBAN-rekeningnummer (bijvoorbeeld BE71 0961 2345 6769)."),
            field="iban",
            code="iban",
        ) from None
    holder = " ".join((name or "").split())
    if not holder:
        raise WalletError(_("Geef de naam van de rekeninghouder."), field="name", code="name_required")
    with transaction.atomic():
        payout = _lock_open(payout_id)
        _check_seen(payout, seen)
        before = _snapshot(payout)
        payout.iban = account
        payout.bic = ""  # the sender's bank's BIC (if any) is not the new account's
        payout.name = holder[:140]
        payout.save(update_fields=["iban", "bic", "name"])
        audit_record(
            actor=actor,
            action="wallet.unmatched.refund",
            object_type="wallet.Payout",
            object_id=str(payout.pk),
            before=before,
            after={"iban": payout.iban, "name": payout.name},
            reason=text,
        )
    return payout

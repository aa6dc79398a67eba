"""The forms of the e-loket's project pages: the list's filters and the three actions (betaalopdracht,
stopzetten, annuleren). They check the shape of the input with a clear message at the field; the services
(``kmop.wallet.services.payment_order_create``, ``kmop.projects.services.project_request_stop`` /
``project_cancel``) judge again when the action is confirmed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kmop.eloket.forms import StyledForm
from kmop.projects.models import ProjectStatus
from kmop.projects.proofs import PROOF_MAX_BYTES, check_proof
from kmop.wallet.services import WalletError
from kmop.wallet.services import clean_amount as wallet_clean_amount

REASON_MAX = 2000
INVOICE_MAX = 35


def parse_amount(text: str) -> str:
    """An amount as typed in Dutch or English (``1.250,50``, ``1250,50``, ``1250.50``, ``€ 1 250,50``) → the
    plain text ``1250.50`` that the wallet checks. A comma is the decimal sign; then dots are thousands."""
    value = (text or "").replace("€", "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "").strip()
    if "," in value:
        value = value.replace(".", "").replace(",", ".")
    return value


class ProjectFilterForm(StyledForm):
    """The list's filters (GET): status and year of the application."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    jaar = forms.TypedChoiceField(
        label=_("Jaar van de aanvraag"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        year = self.fields["jaar"]
        assert isinstance(status, forms.ChoiceField)
        assert isinstance(year, forms.ChoiceField)
        status.choices = [("", _("Alle statussen")), *ProjectStatus.choices]
        year.choices = [("", _("Alle jaren")), *((str(y), str(y)) for y in years)]
        self.fields["status"].error_messages["invalid_choice"] = _("Kies een status uit de lijst.")
        self.fields["jaar"].error_messages["invalid_choice"] = _("Kies een jaar uit de lijst.")


class PaymentOrderForm(StyledForm):
    """Betaalopdracht: the provider's invoice number and the amount to pay from the wallet (≤ the balance)."""

    invoice_number = forms.CharField(
        label=_("Factuurnummer van de dienstverlener"),
        max_length=100,
        error_messages={"required": _("Geef het factuurnummer van de dienstverlener op.")},
    )
    amount = forms.CharField(
        label=_("Te betalen bedrag exclusief btw (euro)"),
        max_length=40,
        help_text=_("Bijvoorbeeld 250,00. Een deelfactuur kan: u betaalt de rest met een volgende opdracht."),
        error_messages={"required": _("Vul het te betalen bedrag in.")},
    )

    def __init__(self, *args: Any, balance: Decimal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.balance = balance
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        self.fields["invoice_number"].widget.attrs.update({"autocomplete": "off"})

    def clean_invoice_number(self) -> str:
        invoice = " ".join(self.cleaned_data["invoice_number"].split())
        if not invoice:
            raise ValidationError(_("Geef het factuurnummer van de dienstverlener op."))
        if len(invoice) > INVOICE_MAX:
            raise ValidationError(
                _("Het factuurnummer is te lang (ten hoogste %(max)s tekens)."), params={"max": INVOICE_MAX}
            )
        return invoice

    def clean_amount(self) -> Decimal:
        try:
            amount = wallet_clean_amount(parse_amount(self.cleaned_data["amount"]))
        except WalletError as e:
            raise ValidationError(e.messages) from None
        if amount > self.balance:
            raise ValidationError(
                _("Het bedrag is groter dan het saldo van de portefeuille (€ %(balance)s)."),
                params={"balance": f"{self.balance:.2f}".replace(".", ",")},
            )
        return amount


class ReasonForm(StyledForm):
    """Annuleren: the reason (required)."""

    reason = forms.CharField(
        label=_("Reden"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "class": "textarea"}),
        error_messages={
            "required": _("Geef een reden op."),
            "max_length": _("De reden is te lang (ten hoogste 2000 tekens)."),
        },
    )

    def clean_reason(self) -> str:
        text = self.cleaned_data["reason"].strip()
        if not text:
            raise ValidationError(_("Geef een reden op."))
        return text


class StopForm(ReasonForm):
    """Stopzetten: the reason and a proof document (bewijsstuk: PDF, PNG or JPEG, at most 10 MB)."""

    proof = forms.FileField(
        label=_("Bewijsstuk"),
        help_text=_("Een PDF-bestand of een afbeelding (PNG of JPEG) van ten hoogste 10 MB."),
        error_messages={
            "required": _("Voeg een bewijsstuk toe."),
            "empty": _("Het bewijsstuk is leeg."),
            "invalid": _("Voeg een bewijsstuk toe."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["proof"].widget.attrs.update(
            {"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}
        )

    def clean_proof(self) -> UploadedFile:
        proof: UploadedFile = self.cleaned_data["proof"]
        check_proof(proof, max_bytes=PROOF_MAX_BYTES)  # kmop.projects.proofs: type by content, at most 10 MB
        return proof

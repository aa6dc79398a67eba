"""The forms of the portal's project pages: the three reactions of seed 004 ("reageren op steunaanvraag").
They check the shape of the input with a clear message at the field; the services
(``kmop.projects.services.project_cancel``, ``kmop.projects.report_services``) judge again when the action is
confirmed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kmop.eloket.forms import StyledForm
from kmop.projects.proofs import check_proof
from kmop.projects.report_services import MESSAGE_MAX

REASON_MAX = 2000


class ReasonForm(StyledForm):
    """Annuleren: why the provider cancels the application (required; the client is mailed with it)."""

    reason = forms.CharField(
        label=_("Reden van annulatie"),
        help_text=_("Uw klant krijgt een mailbericht met deze reden."),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "class": "textarea"}),
        error_messages={
            "required": _("Geef een reden op."),
            "max_length": _("De reden is te lang (ten hoogste 2000 tekens)."),
        },
    )

    def clean_reason(self) -> str:
        text = str(self.cleaned_data["reason"]).strip()
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
        self.fields["reason"].label = _("Reden van stopzetting")
        self.fields["reason"].help_text = _(
            "De dienst kmo-portefeuille krijgt een mailbericht met deze reden."
        )
        self.fields["proof"].widget.attrs.update(
            {"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}
        )

    def clean_proof(self) -> UploadedFile:
        proof: UploadedFile = self.cleaned_data["proof"]
        check_proof(proof)  # type by content, at most 10 MB (kmop.projects.proofs)
        return proof


class ReportForm(StyledForm):
    """Melden: a message to the kmo-portefeuille service why the finished project cannot be supported."""

    message = forms.CharField(
        label=_("Uw bericht aan de dienst kmo-portefeuille"),
        help_text=_(
            "Geef aan waarom dit project niet gesteund kan worden. Wij nemen dan verder met u contact op."
        ),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "class": "textarea"}),
        error_messages={
            "required": _("Schrijf uw bericht."),
            "max_length": _("Het bericht is te lang (ten hoogste 4000 tekens)."),
        },
    )

    def clean_message(self) -> str:
        text = str(self.cleaned_data["message"]).strip()
        if not text:
            raise ValidationError(_("Schrijf uw bericht."))
        return text

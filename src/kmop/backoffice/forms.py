"""The back office's forms: they check the shape of the input (a Dutch message at the field); the wallet and
projects services judge the rest."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

#: the largest bank statement the upload takes (about 10,000 entries); larger ones: ``kmop import_camt``
CAMT_MAX_BYTES = 10 * 1024 * 1024


class CamtUploadForm(forms.Form):
    statement = forms.FileField(
        label=_("Rekeninguittreksel (camt.053, XML)"),
        help_text=_("Een ISO 20022 camt.053-bestand van de bank, ten hoogste 10 MB."),
        error_messages={
            "required": _("Kies een camt.053-bestand."),
            "empty": _("Het bestand is leeg: er is niets geboekt."),
            "invalid": _("Kies een camt.053-bestand."),
            "missing": _("Kies een camt.053-bestand."),
        },
        widget=forms.ClearableFileInput(attrs={"class": "input", "accept": ".xml,application/xml,text/xml"}),
    )

    def clean_statement(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["statement"]
        if upload.size is not None and upload.size > CAMT_MAX_BYTES:
            raise forms.ValidationError(
                _(
                    "Het bestand is te groot (%(size)s, ten hoogste %(max)s): er is niets geboekt. Lees een "
                    "groter rekeninguittreksel in met kmop import_camt."
                ),
                code="too_large",
                params={"size": filesizeformat(upload.size), "max": filesizeformat(CAMT_MAX_BYTES)},
            )
        return upload


class StopDecisionForm(forms.Form):
    APPROVE, REFUSE = "goedkeuren", "weigeren"

    decision = forms.ChoiceField(
        label=_("Beslissing"),
        choices=[
            (APPROVE, _("Goedkeuren: het project wordt gestopt en afgerekend")),
            (REFUSE, _("Weigeren: het project loopt verder")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Kies of u de stopzetting goedkeurt of weigert.")},
    )
    reason = forms.CharField(
        label=_("Motivering"),
        help_text=_("Verplicht; de onderneming krijgt deze motivering te zien."),
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "textarea", "rows": 4}),
        error_messages={
            "required": _("Geef een motivering voor uw beslissing."),
            "max_length": _("De motivering is te lang (ten hoogste 2000 tekens)."),
        },
    )

    @property
    def approve(self) -> bool:
        return self.cleaned_data.get("decision") == self.APPROVE

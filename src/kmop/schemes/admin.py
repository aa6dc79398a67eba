"""Staff screens for the scheme parameters (``/beheer/admin/``).

Periods (regimes), excluded services, accepted legal forms and NACE rules: staff add a row from a future date,
end a running one, or change/remove one that has not started; every save goes through
``services.dated_row_save`` (one transaction, the scheme locked, an audit event with before/after) and asks a
reason. A row that has started is read-only except for its texts and its end date: a change of the rules is a
new row from a later date (docs/decisions/0010-scheme-framework.md). Removing is a choice in the change form
(with its reason), not Django's delete page, which cannot ask one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kmop.audit.services import Actor
from kmop.schemes import services
from kmop.schemes.errors import SchemeError
from kmop.schemes.models import DatedRow, ExcludedService, LegalFormRule, NaceRule, RegimePeriod, Scheme


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_user(request.user)


class DatedRowForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("Reden van de wijziging"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Verplicht: komt in de historiek (audit)."),
    )
    remove = forms.BooleanField(
        label=_("Deze periode verwijderen"),
        required=False,
        help_text=_("Kan alleen zolang ze niet begonnen is; een lopende periode krijgt een einddatum."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: DatedRow = self.instance
        started = instance.pk is not None and instance.valid_from <= timezone.localdate()
        self.before = services.row_snapshot(instance) if instance.pk is not None else None
        if instance.pk is None or started:
            del self.fields["remove"]

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # builds the instance, checks the constraints
        if self.errors or self.cleaned_data.get("remove"):
            return
        try:
            services.validate_dated_row(self.instance, before=self.before)
        except SchemeError as error:
            field = error.field if error.field in self.fields else None
            self.add_error(field, error)


class DatedRowAdmin(admin.ModelAdmin):
    form = DatedRowForm
    list_filter = ("scheme",)
    #: the fields of a row that has started which may still change (besides the reason and the end date)
    text_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.valid_from <= timezone.localdate():
            editable = {"valid_to", "reason", *self.text_fields}
            names = [f.name for f in self.model._meta.concrete_fields if f.editable and not f.primary_key]
            return [*(n for n in names if n not in editable and n != "created_at"), "data_version"]
        return ["data_version"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = [*(self.fields or ()), "reason"]
        if obj is not None and obj.valid_from > timezone.localdate():
            fields.append("remove")
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # removing asks a reason: the "remove" choice of the change form

    def save_model(self, request: HttpRequest, obj: DatedRow, form: Any, change: bool) -> None:
        data = form.cleaned_data
        actor = _actor(request)
        if change and data.get("remove"):
            services.dated_row_delete(actor=actor, row=obj, reason=data["reason"])
            request.kmop_removed = True  # type: ignore[attr-defined]
            return
        services.dated_row_save(actor=actor, row=obj, reason=data["reason"])

    def response_change(self, request: HttpRequest, obj: DatedRow) -> HttpResponse:
        if getattr(request, "kmop_removed", False):
            self.message_user(request, _("De periode is verwijderd."), messages.SUCCESS)
            meta = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        return super().response_change(request, obj)


@admin.register(RegimePeriod)
class RegimePeriodAdmin(DatedRowAdmin):
    list_display = ("scheme", "valid_from", "valid_to", "label_nl", "data_version")
    text_fields = ("label_nl", "label_en", "source")
    fields = (
        "scheme",
        "valid_from",
        "valid_to",
        "label_nl",
        "label_en",
        "source",
        "parameters",
        "data_version",
    )


@admin.register(ExcludedService)
class ExcludedServiceAdmin(DatedRowAdmin):
    list_display = ("label_nl", "code", "scheme", "valid_from", "valid_to")
    search_fields = ("code", "label_nl")
    text_fields = ("label_nl", "label_en", "source")
    fields = (
        "scheme",
        "code",
        "label_nl",
        "label_en",
        "keywords",
        "valid_from",
        "valid_to",
        "source",
        "data_version",
    )


@admin.register(LegalFormRule)
class LegalFormRuleAdmin(DatedRowAdmin):
    list_display = ("code", "label_nl", "accepted", "scheme", "valid_from", "valid_to")
    search_fields = ("=code", "label_nl")
    text_fields = ("label_nl", "source")
    fields = ("scheme", "code", "label_nl", "accepted", "valid_from", "valid_to", "source", "data_version")


@admin.register(NaceRule)
class NaceRuleAdmin(DatedRowAdmin):
    list_display = ("prefix", "accepted", "note", "scheme", "valid_from", "valid_to")
    search_fields = ("^prefix", "note")
    text_fields = ("note", "source")
    fields = ("scheme", "prefix", "accepted", "note", "valid_from", "valid_to", "source", "data_version")


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    """The schemes come from the data files (``kmop seed``/migrations): read-only here."""

    list_display = ("code", "name_nl", "kind", "data_version")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

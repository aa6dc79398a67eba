"""Staff screens for providers and registrations (``/beheer/admin/``), until the back office has its own.

Everything is read-only but the decision on a registration: the change form of a registration asks a decision
(approve, refuse, suspend, lift a suspension, exclude, stop), a reason (always required here: it goes in the
history and the audit) and, for an approval, the first valid day. The decision goes through
``services.registration_decide`` (audited, the transitions of seed 004); a decision on a registration that
changed since the form was opened is refused, and nothing changes.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from kmop.audit.services import Actor
from kmop.idm.errors import IdmError
from kmop.providers import services
from kmop.providers.models import (
    Provider,
    ProviderDepartment,
    ProviderEstablishment,
    Registration,
)
from kmop.providers.services import TRANSITIONS, Decision


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class DepartmentInline(ReadOnlyMixin, admin.TabularInline):
    model = ProviderDepartment
    fields = ("department", "contact_name", "contact_email", "iban", "bic", "postcode", "municipality")
    readonly_fields = fields
    extra = 0

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class EstablishmentInline(ReadOnlyMixin, admin.TabularInline):
    model = ProviderEstablishment
    fields = ("is_registered_office", "name", "street", "house_number", "box", "postcode", "municipality")
    readonly_fields = fields
    extra = 0

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class RegistrationInline(ReadOnlyMixin, admin.TabularInline):
    model = Registration
    fields = ("number", "department", "service", "basis", "status", "valid_from", "valid_until")
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Provider)
class ProviderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("legal_name", "display_enterprise_number", "municipality", "is_foreign", "created_at")
    list_filter = ("is_foreign",)
    search_fields = ("legal_name", "=enterprise_number", "=login")
    exclude = ("password",)
    inlines = (DepartmentInline, EstablishmentInline, RegistrationInline)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class DecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(label=_("Beslissing"), choices=[("", "---------"), *Decision.CHOICES])
    reason = forms.CharField(
        label=_("Motivering"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Verplicht: komt in de historiek van de registratie en in de audit."),
    )
    decision_valid_from = forms.DateField(
        label=_("Geldig vanaf"),
        required=False,
        help_text=_("Enkel bij een goedkeuring van een aanvraag of hernieuwing; leeg: vandaag."),
    )
    seen_version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Registration
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["seen_version"].initial = self.instance.version
            allowed = {action for (action, status) in TRANSITIONS if status == self.instance.status}
            decision = self.fields["decision"]
            assert isinstance(decision, forms.ChoiceField)
            decision.choices = [
                ("", "---------"),
                *((value, label) for value, label in Decision.CHOICES if value in allowed),
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        seen = data.get("seen_version")
        if seen is not None and seen != self.instance.version:
            raise forms.ValidationError(
                _(
                    "Registratie %(number)s werd intussen gewijzigd (nu %(status)s). Bekijk ze opnieuw "
                    "voor u beslist."
                ),
                code="stale",
                params={"number": self.instance.number, "status": self.instance.status},
            )
        return data


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    form = DecisionForm
    list_display = (
        "number",
        "provider",
        "holder",
        "service",
        "level",
        "status",
        "valid_until",
        "status_changed_at",
    )
    list_filter = ("status", "service", "basis", "is_starter")
    search_fields = ("=number", "provider__legal_name", "=provider__enterprise_number")
    list_select_related = ("provider", "department__department")
    readonly_fields = (
        "number",
        "provider",
        "department",
        "service",
        "basis",
        "status",
        "is_starter",
        "valid_from",
        "valid_until",
        "requested_at",
        "decided_at",
        "decided_by",
        "decision_reason",
        "status_changed_at",
        "version",
        "history",
    )
    fieldsets = (
        (None, {"fields": readonly_fields}),
        (_("Beslissing"), {"fields": ("decision", "reason", "decision_valid_from", "seen_version")}),
    )

    @admin.display(description=_("historiek"))
    def history(self, obj: Registration) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{timezone.localtime(e.at):%d/%m/%Y %H:%M}",
                    f"{e.from_status or '-'} → {e.to_status}",
                    e.action,
                    e.actor_label,
                    e.reason,
                    f"{e.valid_from or ''} – {e.valid_until or ''}",
                )
                for e in obj.events.order_by("at", "id")
            ),
        )
        return format_html("<table>{}</table>", rows)

    @admin.display(description=_("dienstverlener / departement"))
    def holder(self, obj: Registration) -> str:
        return obj.holder_name

    def get_queryset(self, request: HttpRequest) -> QuerySet[Registration]:
        return super().get_queryset(request).select_related("provider", "department__department")

    def save_model(self, request: HttpRequest, obj: Registration, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            services.registration_decide(
                actor=Actor.from_user(request.user),
                registration=obj,
                decision=data["decision"],
                reason=data["reason"],
                valid_from=data.get("decision_valid_from"),
                expected_version=data["seen_version"],
            )
        except IdmError as error:
            request.kmop_refused = str(error)  # type: ignore[attr-defined]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if getattr(request, "kmop_refused", None):
            return None
        return super().log_change(request, obj, message)

    def message_user(self, request: HttpRequest, message: Any, *args: Any, **kwargs: Any) -> None:
        refused = getattr(request, "kmop_refused", None)
        if refused:
            super().message_user(request, refused, messages.ERROR)
            request.kmop_refused = None  # type: ignore[attr-defined]
            return
        super().message_user(request, message, *args, **kwargs)

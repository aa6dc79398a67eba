"""Staff screens for the registers (``/beheer/admin/``).

* Legal functions: staff add, change and remove them; every save goes through ``services`` (one
  transaction, an audit event with before/after) and asks a reason. Removing is a choice in the change
  form (with its reason), not Django's delete page, which cannot ask one.
* Function codes and national-register persons: read-mostly, changes with a reason, audited.
* The KBO tables and extracts: read-only; they change only through the KBO import.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kmop.audit.services import Actor
from kmop.registers import services
from kmop.registers.models import (
    Activity,
    Address,
    Branch,
    Contact,
    Denomination,
    Enterprise,
    Establishment,
    KboCode,
    KboExtract,
    LegalFunction,
    LegalFunctionCode,
    NationalRegisterPerson,
)
from kmop.registers.numbers import format_enterprise_number, format_national_number


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_user(request.user)


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reden van de wijziging"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Verplicht: komt in de historiek (audit)."),
    )


class EstimatedCountPaginator(Paginator):
    """On PostgreSQL, an unfiltered list of a big table counts from the statistics, not with COUNT(*)."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if connection.vendor == "postgresql" and isinstance(queryset, QuerySet) and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > 100_000:
                return int(row[0])
        return super().count


class ReadOnlyAdmin(admin.ModelAdmin):
    """A KBO table: list, search and view; no add, change or delete (the KBO import is the only writer)."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # numbers are stored without dots: "0123.456.749" finds 0123456749
        term = search_term.strip()
        if term.replace(".", "").replace(" ", "").isdigit():
            term = term.replace(".", "").replace(" ", "")
        return super().get_search_results(request, queryset, term)


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "type_of_enterprise", "juridical_form", "status", "start_date")
    list_filter = ("type_of_enterprise", "status")
    search_fields = ("=enterprise_number",)


@admin.register(Establishment)
class EstablishmentAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "enterprise_id", "start_date")
    search_fields = ("=establishment_number", "=enterprise__enterprise_number")


@admin.register(Branch)
class BranchAdmin(ReadOnlyAdmin):
    list_display = ("branch_id", "enterprise_id", "start_date")
    search_fields = ("=branch_id", "=enterprise__enterprise_number")


@admin.register(Denomination)
class DenominationAdmin(ReadOnlyAdmin):
    list_display = ("entity_number", "type_of_denomination", "language", "denomination")
    search_fields = ("=entity_number",)


@admin.register(Address)
class AddressAdmin(ReadOnlyAdmin):
    list_display = ("entity_number", "type_of_address", "__str__")
    search_fields = ("=entity_number", "=zipcode")


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("entity_number", "entity_contact", "contact_type", "value")
    search_fields = ("=entity_number",)


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("entity_number", "activity_group", "nace_version", "nace_code", "classification")
    search_fields = ("=entity_number", "=nace_code")


@admin.register(KboCode)
class KboCodeAdmin(ReadOnlyAdmin):
    list_display = ("category", "code", "language", "description")
    list_filter = ("category", "language")
    search_fields = ("=code", "description")


@admin.register(KboExtract)
class KboExtractAdmin(ReadOnlyAdmin):
    list_display = ("extract_number", "extract_type", "snapshot_date", "imported_at", "forced", "seconds")


# --- legal functions ----------------------------------------------------------------------------------


class LegalFunctionForm(forms.ModelForm):
    enterprise_number = forms.CharField(
        label=_("Ondernemingsnummer"), max_length=20, help_text=_("bijvoorbeeld 0123.456.749")
    )
    person_number = forms.CharField(
        label=_("Rijksregister- of BIS-nummer"), max_length=20, help_text=_("bijvoorbeeld 85.07.30-033.28")
    )
    remove = forms.BooleanField(
        label=_("Deze functie verwijderen"),
        required=False,
        help_text=_(
            "Alleen voor een functie die nooit had mogen bestaan; een beëindigde functie krijgt een "
            "einddatum."
        ),
    )
    reason = _reason_field()

    class Meta:
        model = LegalFunction
        fields = ("enterprise_number", "person_number", "function", "start_date", "end_date")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["enterprise_number"].initial = format_enterprise_number(self.instance.enterprise_id)
            self.fields["person_number"].initial = format_national_number(self.instance.person_number)
        else:
            del self.fields["remove"]

    def _post_clean(self) -> None:
        # Validation is the service's (enterprise number, national number, code, dates, duplicates).
        pass

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.cleaned_data.get("remove") or self.errors:
            return data
        function = data.get("function")
        start = data.get("start_date")
        if function is None or start is None:
            return data
        try:
            services.validate_legal_function(
                enterprise_number=data.get("enterprise_number", ""),
                person_number=data.get("person_number", ""),
                function_code=function.code,
                start_date=start,
                end_date=data.get("end_date"),
                exclude_pk=self.instance.pk,
            )
        except ValidationError as e:
            for field, errors in e.message_dict.items():
                self.add_error(None if field == NON_FIELD_ERRORS else field, errors)
        return data


@admin.register(LegalFunction)
class LegalFunctionAdmin(admin.ModelAdmin):
    form = LegalFunctionForm
    list_display = ("enterprise_display", "person_display", "function", "start_date", "end_date")
    list_filter = ("function",)
    search_fields = ("=enterprise__enterprise_number", "=person_number")
    list_select_related = ("function",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("enterprise_number", "person_number", "function", "start_date", "end_date")}),
        (_("Verantwoording"), {"fields": ("reason", "remove")}),
    )

    @admin.display(description=_("onderneming"), ordering="enterprise")
    def enterprise_display(self, obj: LegalFunction) -> str:
        return format_enterprise_number(obj.enterprise_id)

    @admin.display(description=_("persoon"), ordering="person_number")
    def person_display(self, obj: LegalFunction) -> str:
        return format_national_number(obj.person_number)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            main = self.fieldsets[0][1]["fields"]
            return ((None, {"fields": main}), (_("Verantwoording"), {"fields": ("reason",)}))
        return self.fieldsets

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = "".join(ch for ch in search_term if ch.isdigit()) or search_term
        return super().get_search_results(request, queryset, term)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # removing asks a reason: the "remove" choice of the change form

    def save_model(self, request: HttpRequest, obj: LegalFunction, form: Any, change: bool) -> None:
        data = form.cleaned_data
        actor = _actor(request)
        if change and data.get("remove"):
            services.legal_function_delete(actor=actor, legal_function=obj, reason=data["reason"])
            request.kmop_removed = True  # type: ignore[attr-defined]
            return
        values = {
            "enterprise_number": data["enterprise_number"],
            "person_number": data["person_number"],
            "function_code": data["function"].code,
            "start_date": data["start_date"],
            "end_date": data.get("end_date"),
            "reason": data["reason"],
        }
        if change:
            saved = services.legal_function_update(actor=actor, legal_function=obj, **values)
        else:
            saved = services.legal_function_create(actor=actor, **values)
        for field in ("pk", "enterprise_id", "person_number", "function_id", "start_date", "end_date"):
            setattr(obj, field, getattr(saved, field))

    def response_change(self, request: HttpRequest, obj: LegalFunction) -> HttpResponse:
        if getattr(request, "kmop_removed", False):
            self.message_user(request, _("De functie is verwijderd."), messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:registers_legalfunction_changelist"))
        return super().response_change(request, obj)


# --- read-mostly: function codes, national register ---------------------------------------------------


class LegalFunctionCodeForm(forms.ModelForm):
    reason = _reason_field()

    class Meta:
        model = LegalFunctionCode
        fields = ("label_nl", "label_en", "represents")


@admin.register(LegalFunctionCode)
class LegalFunctionCodeAdmin(admin.ModelAdmin):
    form = LegalFunctionCodeForm
    list_display = ("code", "label_nl", "label_en", "represents")
    readonly_fields = ("code",)
    fields = ("code", "label_nl", "label_en", "represents", "reason")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the codes come from data/legal_function_codes.csv

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: LegalFunctionCode, form: Any, change: bool) -> None:
        data = form.cleaned_data
        services.legal_function_code_update(
            actor=_actor(request),
            code=obj,
            label_nl=data["label_nl"],
            label_en=data["label_en"],
            represents=data["represents"],
            reason=data["reason"],
        )


class NationalRegisterPersonForm(forms.ModelForm):
    reason = _reason_field()

    class Meta:
        model = NationalRegisterPerson
        fields = ("last_name", "first_name", "birth_date", "sex")


@admin.register(NationalRegisterPerson)
class NationalRegisterPersonAdmin(admin.ModelAdmin):
    form = NationalRegisterPersonForm
    list_display = ("number_display", "last_name", "first_name", "birth_date", "sex")
    search_fields = ("=national_number", "^last_name")
    readonly_fields = ("national_number",)
    fields = ("national_number", "last_name", "first_name", "birth_date", "sex", "reason")
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    @admin.display(description=_("rijksregister- of BIS-nummer"), ordering="national_number")
    def number_display(self, obj: NationalRegisterPerson) -> str:
        return format_national_number(obj.national_number)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        digits = "".join(ch for ch in search_term if ch.isdigit())
        term = digits if len(digits) == 11 else search_term
        return super().get_search_results(request, queryset, term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the register is filled by kmop seed (or, in production, is MAGDA)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: NationalRegisterPerson, form: Any, change: bool) -> None:
        data = form.cleaned_data
        services.national_register_person_update(
            actor=_actor(request),
            person=obj,
            last_name=data["last_name"],
            first_name=data["first_name"],
            birth_date=data["birth_date"],
            sex=data["sex"],
            reason=data["reason"],
        )

"""Serializers of the provider endpoints (``/api/v1/provider/``).

As for the enterprise endpoints: amounts are strings with exactly two decimals (``"1250.00"``), dates ISO
8601, descriptions plain English, messages in the request's language (Dutch by default).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from kmop.api.enterprise_serializers import ISO_DATE, SERVICES, STATUSES, MoneyField, read_money
from kmop.api.provider_selectors import ACTIONS_BY_STATUS, ProviderProjectDetail
from kmop.api.serializers import EnterpriseNumberField
from kmop.projects.models import Project, ProjectReport
from kmop.projects.report_services import MESSAGE_MAX
from kmop.providers.models import Registration, RegistrationStatus
from kmop.registers.numbers import format_enterprise_number

REGISTRATION_STATUSES = [s.value for s in RegistrationStatus]
REASON_MAX = 2000


# --- input -------------------------------------------------------------------------------------------------


class RegistrationFilterSerializer(serializers.Serializer[Any]):
    # a CharField, not a ChoiceField: a second enum named "status" beside the projects' would collide in
    # the OpenAPI document
    status = serializers.CharField(
        required=False,
        max_length=3,
        help_text="Only registrations in this status: A, G, G/V, N, L, L/H, S, U or T.",
    )
    service = serializers.ChoiceField(choices=SERVICES, required=False, help_text="`opleiding` or `advies`.")

    default_error_messages = {
        "status": _("{value} is geen status van een registratie (A, G, G/V, N, L, L/H, S, U of T)."),
    }

    def validate_status(self, value: str) -> str:
        status = value.strip().upper()
        if status not in REGISTRATION_STATUSES:
            raise serializers.ValidationError(
                self.error_messages["status"].format(value=value), code="invalid_choice"
            )
        return status


class ProviderProjectFilterSerializer(serializers.Serializer[Any]):
    """The filters of the provider's project list: every one given narrows the list (they combine)."""

    number = serializers.RegexField(
        r"(?i)^(?:[0-9]{1,4}|[0-9]{4}(?:K|KM|KMO[0-9]{0,6}))$",
        required=False,
        help_text="The project number or its beginning, e.g. `2025KMO000123` or `2025KMO0001`.",
        error_messages={
            "invalid": _("Geef een projectnummer of het begin ervan, bijvoorbeeld 2025KMO000123.")
        },
    )
    enterprise_number = EnterpriseNumberField(
        required=False, max_length=20, help_text="The client's enterprise number, in any usual form."
    )
    enterprise_name = serializers.CharField(
        required=False, max_length=200, help_text="A part of the client's name (any case)."
    )
    application_date_from = serializers.DateField(
        required=False, input_formats=ISO_DATE, help_text="Applied on or after this day."
    )
    application_date_to = serializers.DateField(
        required=False, input_formats=ISO_DATE, help_text="Applied on or before this day."
    )
    amount = MoneyField(required=False, help_text="Exactly this project amount, e.g. `1250.00`.")
    amount_min = MoneyField(required=False, help_text="A project amount of at least this.")
    amount_max = MoneyField(required=False, help_text="A project amount of at most this.")
    service = serializers.ChoiceField(choices=SERVICES, required=False, help_text="`opleiding` or `advies`.")
    status = serializers.ChoiceField(
        choices=STATUSES, required=False, help_text="Only projects in this status."
    )
    year = serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, help_text="The calendar year of the application date."
    )
    registration = serializers.CharField(
        required=False, max_length=20, help_text="Only projects under this registration, e.g. `DV.O000001`."
    )

    default_error_messages = {
        "dates": _("De begindatum ligt na de einddatum."),
        "amounts": _("Het minimumbedrag is groter dan het maximumbedrag."),
    }

    def validate_number(self, value: str) -> str:
        return value.upper()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("application_date_from"), attrs.get("application_date_to")
        if isinstance(start, date) and isinstance(end, date) and start > end:
            raise serializers.ValidationError(
                {"application_date_to": [self.error_messages["dates"]]}, code="date_range"
            )
        low, high = attrs.get("amount_min"), attrs.get("amount_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {"amount_max": [self.error_messages["amounts"]]}, code="amount_range"
            )
        return attrs


class ProviderCancelRequestSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=REASON_MAX,
        help_text="Why the provider cancels (required; the client is mailed with it). At most 2000 "
        "characters.",
        error_messages={"blank": _("Geef een reden op."), "required": _("Geef een reden op.")},
    )


class ProviderStopRequestSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=REASON_MAX,
        help_text="Why the project must stop (required). At most 2000 characters.",
        error_messages={"blank": _("Geef een reden op."), "required": _("Geef een reden op.")},
    )
    proof = serializers.FileField(
        allow_empty_file=False,
        help_text="The proof document (bewijsstuk): a PDF, PNG or JPEG file of at most 10 MB, judged by its "
        "content.",
        error_messages={
            "required": _("Voeg een bewijsstuk toe."),
            "invalid": _("Voeg een bewijsstuk toe."),
            "empty": _("Het bewijsstuk is leeg."),
        },
    )


class ProviderReportRequestSerializer(serializers.Serializer[Any]):
    message = serializers.CharField(
        max_length=MESSAGE_MAX,
        help_text="The message to the kmo-portefeuille service: why the project cannot be supported "
        "(required; at most 4000 characters).",
        error_messages={"blank": _("Schrijf uw bericht."), "required": _("Schrijf uw bericht.")},
    )


# --- output ------------------------------------------------------------------------------------------------


class RegistrationSerializer(serializers.Serializer[Registration]):
    number = serializers.CharField(read_only=True, help_text="`DV.O` or `DV.A` + 6 digits.")
    service = serializers.CharField(read_only=True)
    basis = serializers.CharField(read_only=True, help_text="`prive`, `kennisinstelling` or `sectorfonds`.")
    status = serializers.CharField(read_only=True, help_text="A, G, G/V, N, L, L/H, S, U or T.")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    level = serializers.CharField(read_only=True, help_text="`MZ` (registered office) or `DEP` (department).")
    holder = serializers.CharField(
        source="holder_name", read_only=True, help_text="The department's name, else the provider's."
    )
    is_starter = serializers.BooleanField(read_only=True)
    valid_from = serializers.DateField(read_only=True, allow_null=True)
    valid_until = serializers.DateField(
        read_only=True, allow_null=True, help_text="From this day on the registration is expired."
    )
    requested_at = serializers.DateTimeField(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: Registration) -> str:
        return reverse(
            "api-v1:provider-registration-detail",
            kwargs={"number": obj.number},
            request=self.context.get("request"),
        )


class RegistrationEventSerializer(serializers.Serializer[Any]):
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    action = serializers.CharField(read_only=True)
    at = serializers.DateTimeField(read_only=True)
    reason = serializers.CharField(read_only=True)
    valid_from = serializers.DateField(read_only=True, allow_null=True)
    valid_until = serializers.DateField(read_only=True, allow_null=True)


class RegistrationDetailSerializer(RegistrationSerializer):
    decision_reason = serializers.CharField(read_only=True)
    history = serializers.SerializerMethodField()

    @extend_schema_field(RegistrationEventSerializer(many=True))
    def get_history(self, obj: Registration) -> list[Any]:
        return list(RegistrationEventSerializer(self.context["history"], many=True).data)


class ClientSerializer(serializers.Serializer[Any]):
    enterprise_number = serializers.CharField(source="code", read_only=True)
    display_number = serializers.SerializerMethodField()
    name = serializers.CharField(read_only=True)

    def get_display_number(self, obj: Any) -> str:
        return format_enterprise_number(obj.code)


class ProviderProjectSerializer(serializers.Serializer[Project]):
    number = serializers.CharField(read_only=True, help_text="`YYYYKMO` + 6 digits.")
    status = serializers.ChoiceField(choices=STATUSES, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    status_changed_at = serializers.DateTimeField(read_only=True)
    enterprise = ClientSerializer(source="organisation", read_only=True, help_text="The client.")
    registration = serializers.CharField(source="registration.number", read_only=True)
    department = serializers.SerializerMethodField(help_text="The department of the registration, if any.")
    service = serializers.CharField(read_only=True)
    theme = serializers.CharField(read_only=True)
    subtheme = serializers.CharField(read_only=True)
    training_type = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    start_date = serializers.DateField(read_only=True)
    application_date = serializers.DateField(read_only=True)
    year = serializers.IntegerField(read_only=True, help_text="The calendar year of the application date.")
    hours = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True)
    participants = serializers.IntegerField(read_only=True)
    amount = read_money(help_text="The project amount in euro, excluding VAT.")
    url = serializers.SerializerMethodField()

    def get_department(self, obj: Project) -> str | None:
        department = obj.registration.department
        return department.name if department is not None else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: Project) -> str:
        return reverse(
            "api-v1:provider-project-detail",
            kwargs={"number": obj.number},
            request=self.context.get("request"),
        )


class ProviderStatusChangeSerializer(serializers.Serializer[Any]):
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    action = serializers.CharField(read_only=True)
    at = serializers.DateTimeField(read_only=True)
    reason = serializers.CharField(read_only=True)
    has_proof = serializers.SerializerMethodField(help_text="Whether a proof document came with it.")

    def get_has_proof(self, obj: Any) -> bool:
        return bool(obj.proof_name)


class ReportSerializer(serializers.Serializer[ProjectReport]):
    id = serializers.IntegerField(read_only=True)
    project = serializers.CharField(source="project.number", read_only=True)
    message = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="`open` until the service closes the case.")
    created_at = serializers.DateTimeField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ProviderProjectDetailSerializer(ProviderProjectSerializer):
    history = serializers.SerializerMethodField()
    reports = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(
        help_text="The reactions possible in the project's status: `cancel` (Bevestigd), `stop` (Lopend), "
        "`report` (Afgewerkt)."
    )

    def _detail(self) -> ProviderProjectDetail:
        detail: ProviderProjectDetail = self.context["detail"]
        return detail

    @extend_schema_field(ProviderStatusChangeSerializer(many=True))
    def get_history(self, obj: Project) -> list[Any]:
        return list(ProviderStatusChangeSerializer(self._detail().history, many=True).data)

    @extend_schema_field(ReportSerializer(many=True))
    def get_reports(self, obj: Project) -> list[Any]:
        return list(ReportSerializer(self._detail().reports, many=True).data)  # type: ignore[arg-type]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, obj: Project) -> list[str]:
        return list(ACTIONS_BY_STATUS.get(obj.status, ()))

"""Serializers of the enterprise endpoints (``/api/v1/enterprise/``, ``/api/v1/projects/``).

Amounts are strings with exactly two decimals (``"1250.00"``) both ways: a JSON number (a float), more or
fewer decimals, a negative, zero or absurdly large amount is refused before any service is called. Dates are
ISO 8601 (``2026-03-01``). Descriptions are plain English (the OpenAPI document does not depend on the
request's language); messages are in the request's language (Dutch by default).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from kmop.api.enterprise_selectors import EnterpriseSnapshot, ProjectDetail
from kmop.projects.models import AMOUNT_MAX, Project, ProjectStatus
from kmop.registers.numbers import ValidationError as NumberValidationError
from kmop.registers.numbers import format_structured_reference, validate_structured_reference

MONEY_PATTERN = r"^[0-9]{1,8}\.[0-9]{2}$"
_MONEY = re.compile(r"-?[0-9]+\.[0-9]{2}")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]*)?")
SERVICES = ["opleiding", "advies"]
#: GO is accepted as input so that the rules refuse it with their reason (``large_enterprise``)
SIZE_CLASSES = ["KO", "MO", "GO"]
STATUSES = [s.value for s in ProjectStatus]
ISO_DATE = ["%Y-%m-%d"]


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


@extend_schema_field(
    {
        "type": "string",
        "pattern": MONEY_PATTERN,
        "example": "1250.00",
        "description": "An amount in euro as a string with exactly two decimals.",
    }
)
class MoneyField(serializers.Field):
    default_error_messages = {
        "not_a_string": _('Geef het bedrag als tekst met twee decimalen, bijvoorbeeld "1250.00".'),
        "invalid": _('Geef een geldig bedrag met twee decimalen, bijvoorbeeld "1250.00".'),
        "decimals": _('Een bedrag heeft precies twee decimalen, bijvoorbeeld "1250.00".'),
        "not_positive": _("Het bedrag moet groter zijn dan 0."),
        "too_large": _("Het bedrag is onwaarschijnlijk groot (meer dan {max} euro): controleer het."),
    }

    def __init__(self, *, max_value: Decimal = AMOUNT_MAX, **kwargs: Any) -> None:
        self.max_value = max_value
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            self.fail("not_a_string")
        text = data.strip()
        if not _NUMBER.fullmatch(text):
            self.fail("invalid")
        if not _MONEY.fullmatch(text):
            self.fail("decimals")
        value = Decimal(text)
        if value <= 0:
            self.fail("not_positive")
        if value > self.max_value:
            self.fail("too_large", max=f"{self.max_value:,.2f}".replace(",", " "))
        return value

    def to_representation(self, value: Decimal) -> str:
        return money(value)


def read_money(**kwargs: Any) -> MoneyField:
    return MoneyField(read_only=True, **kwargs)


# --- input -------------------------------------------------------------------------------------------------


class _ApplicationFields(serializers.Serializer[Any]):
    registration = serializers.CharField(
        max_length=20, help_text="The provider's registration number for the service, e.g. `DV.O000001`."
    )
    service = serializers.ChoiceField(
        choices=SERVICES, help_text="`opleiding` (training) or `advies` (advice)."
    )
    theme = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text="The theme's code."
    )
    subtheme = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text="The sub-theme's code."
    )
    start_date = serializers.DateField(input_formats=ISO_DATE, help_text="The start of the service.")
    amount = MoneyField(help_text="The project amount in euro, excluding VAT.")
    size_class = serializers.ChoiceField(
        choices=SIZE_CLASSES,
        required=False,
        help_text="KO (small) or MO (medium; GO, large, is refused by the rules); default the size class "
        "confirmed for the year. A class locked by the year's first application is used whatever is given.",
    )


class PreviewRequestSerializer(_ApplicationFields):
    """What an application would give: nothing is written."""

    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ApplicationRequestSerializer(_ApplicationFields):
    """An application (send an `Idempotency-Key` header)."""

    title = serializers.CharField(max_length=300, help_text="The title of the training or advice.")
    training_type = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    hours = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("10000"),
        coerce_to_string=True,
        help_text="The number of hours (at most two decimals).",
    )
    participants = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    declaration = serializers.BooleanField(
        help_text="The declaration of honour: `true` declares the application truthful and complete."
    )

    default_error_messages = {
        "declaration": _("Bevestig de verklaring op erewoord."),
    }

    def validate_declaration(self, value: bool) -> bool:
        if value is not True:
            raise serializers.ValidationError(self.error_messages["declaration"], code="declaration_required")
        return value


class ReasonRequestSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why (at most 2000 characters).",
    )


class StopRequestSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000, help_text="Why the project must stop (required).")


class PaymentOrderRequestSerializer(serializers.Serializer[Any]):
    invoice_number = serializers.CharField(max_length=35, help_text="The provider's invoice number.")
    amount = MoneyField(help_text="The amount to pay (at most the wallet's balance).")


class ProjectFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=STATUSES, required=False, help_text="Only projects in this status."
    )
    structured_reference = serializers.CharField(
        max_length=30,
        required=False,
        help_text="Only the project with this structured reference (`+++123/4567/89012+++` or its "
        "12 digits).",
    )

    default_error_messages = {
        "reference": _("{value} is geen geldige gestructureerde mededeling."),
    }

    def validate_structured_reference(self, value: str) -> str:
        try:
            return validate_structured_reference(value)
        except NumberValidationError:
            raise serializers.ValidationError(
                self.error_messages["reference"].format(value=value), code="invalid_structured_reference"
            ) from None


# --- output ------------------------------------------------------------------------------------------------


class RefusalOutSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True)
    detail = serializers.CharField(source="message", read_only=True)


class PreviewSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField(read_only=True, help_text="Whether the rules accept the application today.")
    application_date = serializers.DateField(read_only=True)
    size_class = serializers.CharField(read_only=True)
    size_class_locked = serializers.BooleanField(read_only=True)
    rate = serializers.DecimalField(max_digits=5, decimal_places=4, read_only=True, allow_null=True)
    subsidy = read_money(allow_null=True)
    own_contribution = read_money(allow_null=True)
    cap = read_money(allow_null=True, help_text="The yearly cap.")
    cap_left = read_money(allow_null=True, help_text="What is left of the yearly cap.")
    deposit_deadline = serializers.DateField(read_only=True, allow_null=True)
    refusals = RefusalOutSerializer(many=True, read_only=True)


class ProjectSerializer(serializers.Serializer[Project]):
    number = serializers.CharField(read_only=True, help_text="`YYYYKMO` + 6 digits.")
    status = serializers.ChoiceField(choices=STATUSES, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    title = serializers.CharField(read_only=True)
    service = serializers.CharField(read_only=True)
    theme = serializers.CharField(read_only=True)
    subtheme = serializers.CharField(read_only=True)
    training_type = serializers.CharField(read_only=True)
    registration = serializers.CharField(source="registration.number", read_only=True)
    provider = serializers.CharField(source="registration.provider.legal_name", read_only=True)
    start_date = serializers.DateField(read_only=True)
    application_date = serializers.DateField(read_only=True)
    hours = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True)
    participants = serializers.IntegerField(read_only=True)
    size_class = serializers.CharField(read_only=True)
    amount = read_money()
    rate = serializers.DecimalField(max_digits=5, decimal_places=4, read_only=True)
    subsidy = read_money()
    own_contribution = read_money()
    structured_reference = serializers.SerializerMethodField(
        help_text="The structured reference of the deposit, `+++123/4567/89012+++`."
    )
    deposit_deadline = serializers.DateField(
        read_only=True, help_text="The last day to deposit the own contribution."
    )
    url = serializers.SerializerMethodField()

    def get_structured_reference(self, obj: Project) -> str:
        return format_structured_reference(obj.structured_reference)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: Project) -> str:
        return reverse(
            "api-v1:project-detail", kwargs={"number": obj.number}, request=self.context.get("request")
        )


class EntrySerializer(serializers.Serializer[Any]):
    booked_at = serializers.DateTimeField(source="transaction.created_at", read_only=True)
    kind = serializers.CharField(source="transaction.kind", read_only=True)
    kind_label = serializers.CharField(source="transaction.get_kind_display", read_only=True)
    amount = serializers.SerializerMethodField(
        help_text="What the wallet received (positive) or gave (negative), two decimals."
    )
    memo = serializers.CharField(source="transaction.memo", read_only=True)

    @extend_schema_field({"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "example": "-400.00"})
    def get_amount(self, obj: Any) -> str:
        return money(obj.amount)


class PaymentOrderSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    invoice_number = serializers.CharField(read_only=True)
    amount = read_money()
    beneficiary = serializers.CharField(source="name", read_only=True)
    iban = serializers.CharField(read_only=True, help_text="The provider's account the payout goes to.")
    created_at = serializers.DateTimeField(read_only=True)
    exported = serializers.SerializerMethodField(help_text="Whether the payout went to the bank.")

    def get_exported(self, obj: Any) -> bool:
        return obj.batch_id is not None


class StatusChangeSerializer(serializers.Serializer[Any]):
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    action = serializers.CharField(read_only=True)
    at = serializers.DateTimeField(read_only=True)
    reason = serializers.CharField(read_only=True)


class WalletSerializer(serializers.Serializer[Any]):
    balance = read_money(help_text="What is in the project's wallet now.")
    entries = EntrySerializer(many=True, read_only=True)


class ProjectDetailSerializer(ProjectSerializer):
    wallet = serializers.SerializerMethodField()
    payment_orders = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    @extend_schema_field(WalletSerializer)
    def get_wallet(self, obj: Project) -> dict[str, Any]:
        detail: ProjectDetail = self.context["detail"]
        return dict(WalletSerializer({"balance": detail.balance, "entries": detail.entries}).data)

    @extend_schema_field(PaymentOrderSerializer(many=True))
    def get_payment_orders(self, obj: Project) -> list[Any]:
        return list(PaymentOrderSerializer(self.context["detail"].payment_orders, many=True).data)

    @extend_schema_field(StatusChangeSerializer(many=True))
    def get_history(self, obj: Project) -> list[Any]:
        return list(StatusChangeSerializer(self.context["detail"].history, many=True).data)


class PaymentOrderResultSerializer(PaymentOrderSerializer):
    project_status = serializers.CharField(read_only=True, help_text="The project's status after the order.")
    balance = read_money(help_text="The wallet's balance after the order.")


class BudgetYearSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField(read_only=True)
    size_class = serializers.CharField(read_only=True)
    size_class_locked = serializers.BooleanField(source="locked", read_only=True)
    cap = read_money()
    used = read_money()
    left = read_money()


class DepositOwedSerializer(serializers.Serializer[Project]):
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    own_contribution = read_money()
    structured_reference = serializers.SerializerMethodField()
    deposit_deadline = serializers.DateField(read_only=True)

    def get_structured_reference(self, obj: Project) -> str:
        return format_structured_reference(obj.structured_reference)


class IdentitySerializer(serializers.Serializer[Any]):
    enterprise_number = serializers.CharField(read_only=True)
    display_number = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    legal_form = serializers.CharField(read_only=True)
    registered_office = serializers.CharField(read_only=True)
    establishments = serializers.IntegerField(read_only=True)
    in_register = serializers.BooleanField(read_only=True, help_text="Whether the KBO knows the enterprise.")


class EnterpriseSnapshotSerializer(serializers.Serializer[EnterpriseSnapshot]):
    """The ondernemingsfoto."""

    identity = IdentitySerializer(read_only=True)
    profile_completed = serializers.SerializerMethodField(help_text="Whether the first use was completed.")
    year = serializers.IntegerField(read_only=True)
    size_class = serializers.SerializerMethodField(
        help_text="The size class of the year (KO/MO), if confirmed."
    )
    size_class_locked = serializers.SerializerMethodField()
    budget = BudgetYearSerializer(source="this_year", read_only=True, allow_null=True)
    earlier_years = BudgetYearSerializer(many=True, read_only=True)
    deposits_owed = DepositOwedSerializer(many=True, read_only=True)

    def get_profile_completed(self, obj: EnterpriseSnapshot) -> bool:
        return obj.profile is not None and obj.profile.completed_at is not None

    def get_size_class(self, obj: EnterpriseSnapshot) -> str | None:
        return obj.size_class.size_class if obj.size_class else None

    def get_size_class_locked(self, obj: EnterpriseSnapshot) -> bool:
        return obj.size_class is not None and obj.size_class.locked_at is not None

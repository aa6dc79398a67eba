"""The API's serializers: output only, from what the selectors return. Field names are the KBO Open Data's."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from kmop.api.selectors import EnterpriseDetail, EnterpriseSummary, EstablishmentDetail
from kmop.registers.models import Activity, Address, Contact, Denomination
from kmop.registers.numbers import ValidationError as NumberValidationError
from kmop.registers.numbers import (
    format_enterprise_number,
    format_establishment_number,
    validate_enterprise_number,
)


def described(**help_texts: str) -> dict[str, dict[str, Any]]:
    """``Meta.extra_kwargs`` for output fields: read-only, English descriptions, no (Dutch) model labels."""
    return {
        name: {"read_only": True, "label": None, "help_text": text or None}
        for name, text in help_texts.items()
    }


class DenominationSerializer(serializers.ModelSerializer[Denomination]):
    class Meta:
        model = Denomination
        extra_kwargs = described(
            language="KBO code table `Language`: 1 French, 2 Dutch, 3 German, 4 English, 0 unknown.",
            type_of_denomination="KBO code table `TypeOfDenomination`: `001` name, `003` commercial name.",
            denomination="The name.",
        )
        fields = tuple(extra_kwargs)


class AddressSerializer(serializers.ModelSerializer[Address]):
    class Meta:
        model = Address
        extra_kwargs = described(
            type_of_address="KBO code table `TypeOfAddress`, e.g. `REGO` the registered office.",
            country_nl="",
            country_fr="",
            zipcode="",
            municipality_nl="",
            municipality_fr="",
            street_nl="",
            street_fr="",
            house_number="",
            box="",
            extra_address_info="",
            date_striking_off="The date the address was struck off, if it was.",
        )
        fields = tuple(extra_kwargs)


class ContactSerializer(serializers.ModelSerializer[Contact]):
    class Meta:
        model = Contact
        extra_kwargs = described(
            entity_contact="KBO code table `EntityContact`: enterprise, establishment unit or branch.",
            contact_type="KBO code table `ContactType`, e.g. `TEL`, `EMAIL`, `WEB`.",
            value="The telephone number, e-mail address or web address.",
        )
        fields = tuple(extra_kwargs)


class ActivitySerializer(serializers.ModelSerializer[Activity]):
    class Meta:
        model = Activity
        extra_kwargs = described(
            activity_group="KBO code table `ActivityGroup`.",
            nace_version="The NACE-BEL version of the code, e.g. `2008`.",
            nace_code="The NACE-BEL code.",
            classification="KBO code table `Classification`, e.g. `MAIN`.",
        )
        fields = tuple(extra_kwargs)


class _EnterpriseSerializer(serializers.Serializer[Any]):
    # The fields of an enterprise in the list and in the detail.

    enterprise_number = serializers.CharField(
        source="enterprise.enterprise_number", read_only=True, help_text="The 10 digits, e.g. `0403170701`."
    )
    display_number = serializers.SerializerMethodField(help_text="The KBO display form, e.g. `0403.170.701`.")
    name = serializers.CharField(
        read_only=True, allow_null=True, help_text="The official name (in Dutch when the register has it)."
    )
    status = serializers.CharField(source="enterprise.status", read_only=True)
    juridical_situation = serializers.CharField(source="enterprise.juridical_situation", read_only=True)
    type_of_enterprise = serializers.CharField(
        source="enterprise.type_of_enterprise",
        read_only=True,
        help_text="1: natural person, 2: legal person.",
    )
    juridical_form = serializers.CharField(
        source="enterprise.juridical_form", read_only=True, allow_null=True
    )
    juridical_form_cac = serializers.CharField(
        source="enterprise.juridical_form_cac", read_only=True, allow_null=True
    )
    start_date = serializers.DateField(source="enterprise.start_date", read_only=True)
    url = serializers.SerializerMethodField(help_text="This enterprise in the API.")

    def get_display_number(self, obj: EnterpriseSummary | EnterpriseDetail) -> str:
        return format_enterprise_number(obj.enterprise.enterprise_number)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: EnterpriseSummary | EnterpriseDetail) -> str:
        return reverse(
            "api-v1:enterprise-detail",
            kwargs={"enterprise_number": obj.enterprise.enterprise_number},
            request=self.context.get("request"),
        )


class EnterpriseSummarySerializer(_EnterpriseSerializer):
    """An enterprise in a list."""

    registered_office = AddressSerializer(
        read_only=True, allow_null=True, help_text="The registered office (`REGO`), if the register has one."
    )


class EstablishmentSerializer(serializers.Serializer[EstablishmentDetail]):
    """An establishment unit (vestigingseenheid) of an enterprise."""

    establishment_number = serializers.CharField(
        source="establishment.establishment_number", read_only=True, help_text="The 10 digits."
    )
    display_number = serializers.SerializerMethodField(
        help_text="The KBO display form, e.g. `2.147.812.701`."
    )
    start_date = serializers.DateField(source="establishment.start_date", read_only=True)
    denominations = DenominationSerializer(many=True, read_only=True)
    addresses = AddressSerializer(many=True, read_only=True)
    contacts = ContactSerializer(many=True, read_only=True)
    activities = ActivitySerializer(many=True, read_only=True)

    def get_display_number(self, obj: EstablishmentDetail) -> str:
        return format_establishment_number(obj.establishment.establishment_number)


class EnterpriseDetailSerializer(_EnterpriseSerializer):
    """An enterprise with everything the KBO has about it."""

    denominations = DenominationSerializer(many=True, read_only=True)
    addresses = AddressSerializer(many=True, read_only=True)
    contacts = ContactSerializer(many=True, read_only=True)
    activities = ActivitySerializer(many=True, read_only=True)
    establishment_count = serializers.IntegerField(read_only=True)
    establishments = EstablishmentSerializer(
        many=True,
        read_only=True,
        help_text="The first 100 establishment units; all of them, paginated, at `establishments_url`.",
    )
    establishments_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_establishments_url(self, obj: EnterpriseDetail) -> str:
        return reverse(
            "api-v1:enterprise-establishments",
            kwargs={"enterprise_number": obj.enterprise.enterprise_number},
            request=self.context.get("request"),
        )


class EnterpriseNumberField(serializers.CharField):
    """An enterprise number in any usual form (``0403.170.701``, ``BE0403170701``, ``403170701``)."""

    default_error_messages = {"invalid_enterprise_number": _("{value} is geen geldig ondernemingsnummer.")}

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            return validate_enterprise_number(value)
        except NumberValidationError:
            self.fail("invalid_enterprise_number", value=value)


class EnterpriseFilterSerializer(serializers.Serializer[Any]):
    """The query parameters of the enterprise list."""

    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="A part of a name (any case)."
    )
    enterprise_number = EnterpriseNumberField(
        required=False, allow_blank=True, max_length=20, help_text="The enterprise number, in any usual form."
    )
    zipcode = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="Postal code of an address of the enterprise.",
    )
    juridical_form = serializers.CharField(
        required=False, allow_blank=True, max_length=3, help_text="Legal form code, e.g. `014`."
    )
    status = serializers.CharField(
        required=False, allow_blank=True, max_length=2, help_text="Status, e.g. `AC`."
    )


class EnterpriseNumberSerializer(serializers.Serializer[Any]):
    enterprise_number = EnterpriseNumberField(max_length=20)

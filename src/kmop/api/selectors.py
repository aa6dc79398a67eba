"""Reads of the KBO register for the API.

The KBO tables reference each other by number, without foreign keys (as in the Open Data files), so
Django's ``prefetch_related`` cannot follow them: the selectors load a page of enterprises and then, for the
whole page, one query per table with ``entity_number IN (...)``. The number of queries is fixed, whatever the
page size.
(The registers app owns ``kmop.registers.selectors``; these may move there.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet

from kmop.registers.models import Activity, Address, Contact, Denomination, Enterprise, Establishment

# Denomination 001 is the official name; language codes of the KBO: 1 FR, 2 NL, 3 DE, 4 EN, 0 unknown.
OFFICIAL_NAME = "001"
NAME_LANGUAGE_PREFERENCE = ("2", "1", "3", "4", "0")
REGISTERED_OFFICE = "REGO"
# At most this many establishments inline in an enterprise's detail; the full list is paginated.
ESTABLISHMENTS_INLINE = 100


@dataclass(frozen=True)
class EnterpriseFilters:
    enterprise_number: str = ""
    q: str = ""
    zipcode: str = ""
    juridical_form: str = ""
    status: str = ""


@dataclass(frozen=True)
class EnterpriseSummary:
    enterprise: Enterprise
    name: str | None
    registered_office: Address | None


@dataclass(frozen=True)
class EstablishmentDetail:
    establishment: Establishment
    denominations: list[Denomination] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)


@dataclass(frozen=True)
class EnterpriseDetail:
    enterprise: Enterprise
    name: str | None
    denominations: list[Denomination]
    addresses: list[Address]
    contacts: list[Contact]
    activities: list[Activity]
    establishments: list[EstablishmentDetail]
    establishment_count: int


def enterprise_list(*, filters: EnterpriseFilters) -> QuerySet[Enterprise]:
    """The enterprises matching every given filter, in number order (lazy: paginate before evaluating)."""
    qs = Enterprise.objects.order_by("enterprise_number")
    if filters.enterprise_number:
        qs = qs.filter(enterprise_number=filters.enterprise_number)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.juridical_form:
        qs = qs.filter(juridical_form=filters.juridical_form)
    if filters.q:
        qs = qs.filter(
            enterprise_number__in=Denomination.objects.filter(denomination__icontains=filters.q).values(
                "entity_number"
            )
        )
    if filters.zipcode:
        qs = qs.filter(
            enterprise_number__in=Address.objects.filter(zipcode=filters.zipcode).values("entity_number")
        )
    return qs


def enterprise_summaries(enterprises: Iterable[Enterprise]) -> list[EnterpriseSummary]:
    """Names and registered offices for a page of enterprises: two queries."""
    enterprises = list(enterprises)
    numbers = [e.enterprise_number for e in enterprises]
    names = _by_entity(
        Denomination.objects.filter(entity_number__in=numbers, type_of_denomination=OFFICIAL_NAME)
    )
    offices = _by_entity(
        Address.objects.filter(entity_number__in=numbers, type_of_address=REGISTERED_OFFICE).order_by("pk")
    )
    return [
        EnterpriseSummary(
            enterprise=e,
            name=preferred_name(names.get(e.enterprise_number, [])),
            registered_office=next(iter(offices.get(e.enterprise_number, [])), None),
        )
        for e in enterprises
    ]


def enterprise_detail(*, enterprise_number: str) -> EnterpriseDetail | None:
    """An enterprise (compact number) with everything the register knows about it, or None: seven queries."""
    enterprise = Enterprise.objects.filter(enterprise_number=enterprise_number).first()
    if enterprise is None:
        return None
    establishments = list(
        enterprise_establishments(enterprise_number=enterprise_number)[: ESTABLISHMENTS_INLINE + 1]
    )
    if len(establishments) > ESTABLISHMENTS_INLINE:
        establishments = establishments[:ESTABLISHMENTS_INLINE]
        count = enterprise_establishments(enterprise_number=enterprise_number).count()
    else:
        count = len(establishments)
    numbers = [enterprise_number, *(e.establishment_number for e in establishments)]
    denominations, addresses, contacts, activities = _entity_data(numbers)
    own_denominations = denominations.get(enterprise_number, [])
    return EnterpriseDetail(
        enterprise=enterprise,
        name=preferred_name(own_denominations),
        denominations=own_denominations,
        addresses=addresses.get(enterprise_number, []),
        contacts=contacts.get(enterprise_number, []),
        activities=activities.get(enterprise_number, []),
        establishments=[
            EstablishmentDetail(
                establishment=e,
                denominations=denominations.get(e.establishment_number, []),
                addresses=addresses.get(e.establishment_number, []),
                contacts=contacts.get(e.establishment_number, []),
                activities=activities.get(e.establishment_number, []),
            )
            for e in establishments
        ],
        establishment_count=count,
    )


def enterprise_exists(*, enterprise_number: str) -> bool:
    return Enterprise.objects.filter(enterprise_number=enterprise_number).exists()


def enterprise_establishments(*, enterprise_number: str) -> QuerySet[Establishment]:
    """The establishment units of an enterprise, in number order (lazy: paginate before evaluating)."""
    return Establishment.objects.filter(enterprise_id=enterprise_number).order_by("establishment_number")


def establishment_details(establishments: Iterable[Establishment]) -> list[EstablishmentDetail]:
    """Names, addresses, contacts and activities for a page of establishments: four queries."""
    establishments = list(establishments)
    denominations, addresses, contacts, activities = _entity_data(
        [e.establishment_number for e in establishments]
    )
    return [
        EstablishmentDetail(
            establishment=e,
            denominations=denominations.get(e.establishment_number, []),
            addresses=addresses.get(e.establishment_number, []),
            contacts=contacts.get(e.establishment_number, []),
            activities=activities.get(e.establishment_number, []),
        )
        for e in establishments
    ]


def preferred_name(denominations: Sequence[Denomination]) -> str | None:
    """The official name, in Dutch when there is one; else any name the register has."""
    official = [d for d in denominations if d.type_of_denomination == OFFICIAL_NAME] or list(denominations)
    if not official:
        return None

    def rank(d: Denomination) -> tuple[int, int]:
        language = (
            NAME_LANGUAGE_PREFERENCE.index(d.language) if d.language in NAME_LANGUAGE_PREFERENCE else 99
        )
        return (language, d.pk or 0)

    return min(official, key=rank).denomination


def _by_entity[M: (Denomination, Address, Contact, Activity)](rows: QuerySet[M]) -> dict[str, list[M]]:
    grouped: dict[str, list[M]] = defaultdict(list)
    for row in rows:
        grouped[row.entity_number].append(row)
    return grouped


def _entity_data(
    numbers: list[str],
) -> tuple[
    dict[str, list[Denomination]],
    dict[str, list[Address]],
    dict[str, list[Contact]],
    dict[str, list[Activity]],
]:
    return (
        _by_entity(
            Denomination.objects.filter(entity_number__in=numbers).order_by(
                "type_of_denomination", "language", "pk"
            )
        ),
        _by_entity(Address.objects.filter(entity_number__in=numbers).order_by("type_of_address", "pk")),
        _by_entity(
            Contact.objects.filter(entity_number__in=numbers).order_by("entity_contact", "contact_type", "pk")
        ),
        _by_entity(
            Activity.objects.filter(entity_number__in=numbers).order_by(
                "activity_group", "-nace_version", "classification", "nace_code", "pk"
            )
        ),
    )

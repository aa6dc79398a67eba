"""Reads on providers and registrations: for the e-loket (the application wizard, the payouts), the portal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Min, Q, QuerySet

from kmop.idm.models import Organisation
from kmop.providers.models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    PENDING_STATUSES,
    VALID_STATUSES,
    Provider,
    ProviderDepartment,
    ProviderEstablishment,
    Registration,
    RegistrationEvent,
    Service,
)
from kmop.registers.geo import (
    Point,
    bounding_box,
    distance_expression,
    distance_km,
    postcodes_of_municipality,
)

_NUMBER = re.compile(r"^DV\.?([OA])\s*(\d{6})$")


def normalise_registration_number(value: str) -> str:
    """``dv.o218724``, ``DVO 218724`` → ``DV.O218724``; anything else unchanged (stripped, upper case)."""
    raw = re.sub(r"\s+", "", (value or "").strip().upper())
    match = _NUMBER.match(raw)
    return f"DV.{match.group(1)}{match.group(2)}" if match else raw


def valid_on_q(on: date, prefix: str = "") -> Q:
    """A registration valid on the day: G or G/V, and ``valid_from <= on < valid_until``."""
    return Q(
        **{
            f"{prefix}status__in": VALID_STATUSES,
            f"{prefix}valid_from__lte": on,
            f"{prefix}valid_until__gt": on,
        }
    )


def registration_for_application(number: str, service: str, on: date) -> Registration | None:
    """The registration with that number for the service, if it is G or G/V and valid on the day (the
    project's start date); else None (unknown number, other service, not approved, suspended, expired...)."""
    number = normalise_registration_number(number)
    return (
        Registration.objects.filter(valid_on_q(on), number=number, service=service)
        .select_related("provider", "department__department")
        .first()
    )


def providers_for_application(service: str, on: date, query: str = "") -> QuerySet[Registration]:
    """The registrations that can be chosen for the service on the day (G or G/V, valid), optionally searched
    by provider name, enterprise number or registration number; ordered by provider name.

    Each row is a ``Registration`` (the e-loket's project points at the registration: its department's IBAN is
    the payout account); ``registration.provider`` and ``registration.department`` are loaded with it.
    """
    qs = Registration.objects.filter(valid_on_q(on), service=service).select_related(
        "provider", "department__department"
    )
    query = (query or "").strip()
    if query:
        digits = re.sub(r"[\s.]", "", query)
        if digits.upper().startswith("BE"):
            digits = digits[2:]
        condition = Q(provider__legal_name__icontains=query) | Q(
            department__department__name__icontains=query
        )
        if digits.isdigit():
            condition |= Q(provider__enterprise_number__startswith=digits)
        number = normalise_registration_number(query)
        if number.startswith("DV"):
            condition |= Q(number__startswith=number)
        qs = qs.filter(condition)
    return qs.order_by("provider__legal_name", "department__department__name", "number")


def payout_iban(registration: Registration) -> str:
    """The IBAN that the payouts of a project with this registration go to: the department's, else the
    provider's."""
    if registration.department_id is not None:
        department = registration.department
        if department is not None and department.iban:
            return department.iban
    return registration.provider.iban


def payout_bic(registration: Registration) -> str:
    """The BIC that goes with ``payout_iban`` (may be empty: SEPA needs none within the EEA)."""
    if registration.department_id is not None:
        department = registration.department
        if department is not None and department.iban:
            return department.bic
    return registration.provider.bic


def payout_name(registration: Registration) -> str:
    """The creditor's name for a payout: the provider's legal name (a department is part of it)."""
    return registration.provider.legal_name


# --- the portal -------------------------------------------------------------------------------------------


def provider_for_organisation(organisation: Organisation) -> Provider | None:
    return Provider.objects.filter(organisation=organisation).first()


def provider_registrations(
    provider: Provider, *, active_only: bool = False, department: ProviderDepartment | None = None
) -> QuerySet[Registration]:
    """ "Registraties: overzicht": all registrations of the provider ("toon voor alle diensten") or the active
    ones ("toon voor actieve diensten": A, G, G/V, L/H, S); a department sees only its own."""
    qs = Registration.objects.filter(provider=provider).select_related("provider", "department__department")
    if active_only:
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    if department is not None:
        qs = qs.filter(department=department)
    return qs.order_by("service", "number")


def registration_history(registration: Registration) -> QuerySet[RegistrationEvent]:
    return registration.events.order_by("at", "id")


def provider_departments(provider: Provider) -> QuerySet[ProviderDepartment]:
    """ "Dienstverleners: overzicht" (the departments of the registered office)."""
    return ProviderDepartment.objects.filter(provider=provider).select_related("department")


def provider_establishments(provider: Provider) -> QuerySet[ProviderEstablishment]:
    """ "Vestigingen: overzicht": the registered office first."""
    return ProviderEstablishment.objects.filter(provider=provider).order_by(
        "-is_registered_office", "postcode", "id"
    )


def pending_registrations() -> QuerySet[Registration]:
    """The staff's work queue: requests, extension and renewal requests, oldest first."""
    return (
        Registration.objects.filter(status__in=PENDING_STATUSES)
        .select_related("provider", "department__department")
        .order_by("status_changed_at", "id")
    )


def registered_services(provider: Provider, department: ProviderDepartment | None = None) -> set[str]:
    """The services for which the provider (or the department) has an open registration (A, G, G/V, L, L/H,
    S, U): a new request for them is refused (extend or renew instead)."""
    return set(
        Registration.objects.filter(
            provider=provider, department=department, status__in=OPEN_STATUSES
        ).values_list("service", flat=True)
    )


@dataclass(frozen=True)
class Near:
    """ "Binnen een afstand van": a point (a postcode's, ``kmop.registers.geo``) and a distance in km."""

    point: Point
    km: float


def search_providers(
    *,
    on: date,
    name: str = "",
    service: str = "",
    field: str = "",
    postcode: str = "",
    municipality: str = "",
    near: Near | None = None,
) -> QuerySet[Provider]:
    """ "Zoek een dienstverlener" (public): providers with a registration valid on the day (for the service,
    if given), by part of the name, part of the fields of expertise, the postcode or municipality of one of
    their establishments (a municipality by its name as written on the establishment, or by the postcodes the
    municipality has: "Gent" finds 9000 and 9030), and within ``near.km`` of ``near.point``.

    Ordered by name; with ``near``, by distance (the nearest establishment's, annotated as ``distance`` in km)
    and then by name. The distance: a bounding box on the establishments' indexed points, then the haversine
    in the database for the establishments inside it.
    """
    valid = Registration.objects.filter(valid_on_q(on))
    if service:
        valid = valid.filter(service=service)
    qs = Provider.objects.filter(pk__in=valid.values("provider_id"))
    if name.strip():
        qs = qs.filter(legal_name__icontains=name.strip())
    if field.strip():
        qs = qs.filter(fields_of_expertise__icontains=field.strip())
    if postcode.strip() or municipality.strip():
        places = ProviderEstablishment.objects.all()
        if postcode.strip():
            places = places.filter(postcode=postcode.strip())
        if municipality.strip():
            # a municipality by its postcodes (indexed); a name that is no municipality (a part of one, as
            # "Wondelgem", or a place abroad) as written on the establishment
            codes = postcodes_of_municipality(municipality)
            places = (
                places.filter(postcode__in=codes)
                if codes
                else places.filter(municipality__iexact=municipality.strip())
            )
        qs = qs.filter(pk__in=places.values("provider_id"))
    if near is not None:
        south, north, west, east = bounding_box(near.point, near.km)
        return (
            qs.filter(
                establishments__latitude__range=(south, north),
                establishments__longitude__range=(west, east),
            )
            .annotate(
                distance=Min(
                    distance_expression("establishments__latitude", "establishments__longitude", near.point)
                )
            )
            .filter(distance__lte=near.km)
            .order_by("distance", "legal_name", "enterprise_number")
        )
    return qs.order_by("legal_name", "enterprise_number")


@dataclass
class SearchPage:
    """One page of a search: the providers on it (with ``distance`` when searched by distance), how many were
    found, and the page's number and count (as Django's ``Page``)."""

    providers: list[Provider]
    count: int
    number: int
    per_page: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def search_page(queryset: QuerySet[Provider], number: str | int | None, per_page: int) -> SearchPage:
    """A page of ``search_providers``' result in two statements: the ordered keys of every provider found
    (their number is the count, without a second pass of the search as ``COUNT(*)`` would make) and the
    public fields of the page's providers. A page number that is no number is the first page, one past the
    end the last."""
    near = "distance" in queryset.query.annotations
    rows = list(
        queryset.values_list("pk", "distance")  # type: ignore[misc]  # the annotation of search_providers
        if near
        else queryset.values_list("pk", flat=True)
    )
    count = len(rows)
    pages = max(1, -(-count // per_page))
    try:
        page = int(str(number))
    except (TypeError, ValueError):
        page = 1
    page = min(max(page, 1), pages)
    chosen = rows[(page - 1) * per_page : page * per_page]
    ids = [row[0] for row in chosen] if near else list(chosen)
    found = Provider.objects.only(*PUBLIC_PROVIDER_FIELDS).in_bulk(ids)
    providers = []
    for row in chosen:
        provider = found[row[0] if near else row]
        if near:
            provider.distance = row[1]  # type: ignore[attr-defined]
        providers.append(provider)
    return SearchPage(providers=providers, count=count, number=page, per_page=per_page)


@dataclass(frozen=True)
class PublicRegistration:
    """A registration as the public pages show it: the service, the number and the vervaldag, and the
    department it belongs to (empty: the registered office)."""

    service: str
    service_label: str
    number: str
    valid_until: date | None  # never empty for a valid registration (a CHECK constraint)
    department: str


@dataclass(frozen=True)
class PublicEstablishment:
    """An establishment as the public pages show it, with its distance (km) when searched by distance."""

    street: str
    house_number: str
    box: str
    postcode: str
    municipality: str
    name: str
    is_registered_office: bool
    km: float | None = None

    @property
    def street_line(self) -> str:
        return " ".join(p for p in (self.street, self.house_number, self.box) if p)

    @property
    def municipality_line(self) -> str:
        return f"{self.postcode} {self.municipality}".strip()


@dataclass
class SearchHit:
    """One provider of a result page, with what the public may see of it."""

    provider: Provider
    registrations: list[PublicRegistration]
    establishments: list[PublicEstablishment]
    distance: float | None = None


def search_hits(
    providers: list[Provider],
    *,
    on: date,
    postcode: str = "",
    municipality: str = "",
    near: Near | None = None,
) -> list[SearchHit]:
    """The registrations valid on the day and the establishments of the providers of a page, in two
    statements of plain values (no model instances: this is most of a result page's work): the
    establishments that match the place (or are within the distance, nearest first, with their distance),
    else all of them (the registered office first)."""
    if not providers:
        return []
    ids = [p.pk for p in providers]
    labels = {str(value): str(label) for value, label in Service.choices}
    registrations: dict[int, list[PublicRegistration]] = {pk: [] for pk in ids}
    for provider_id, service, number, valid_until, department in (
        Registration.objects.filter(valid_on_q(on), provider_id__in=ids)
        .order_by("service", "department_id", "number")
        .values_list("provider_id", "service", "number", "valid_until", "department__department__name")
    ):
        registrations[provider_id].append(
            PublicRegistration(service, labels.get(service, service), number, valid_until, department or "")
        )
    places: dict[int, list[tuple[Any, ...]]] = {pk: [] for pk in ids}
    for row in (
        ProviderEstablishment.objects.filter(provider_id__in=ids)
        .order_by("-is_registered_office", "postcode", "id")
        .values_list(
            "provider_id",
            "street",
            "house_number",
            "box",
            "postcode",
            "municipality",
            "name",
            "is_registered_office",
            "latitude",
            "longitude",
        )
    ):
        places[row[0]].append(row)
    place_postcode, place_name = postcode.strip(), municipality.strip()
    codes = set(postcodes_of_municipality(place_name)) if place_name else set()
    hits = []
    for provider in providers:
        rows: list[PublicEstablishment] = []
        for _pid, street, number, box, code, name, label, office, latitude, longitude in places[provider.pk]:
            far: float | None = None
            if near is not None:
                if latitude is None or longitude is None:
                    continue
                far = distance_km(near.point, Point(latitude, longitude))
                if far > near.km:
                    continue
            elif not _at_place(code, name, place_postcode, place_name, codes):
                continue
            rows.append(PublicEstablishment(street, number, box, code, name, label, office, far))
        if near is not None:
            rows.sort(key=lambda row: row.km if row.km is not None else 0.0)
        hits.append(
            SearchHit(
                provider=provider,
                registrations=registrations[provider.pk],
                establishments=rows,
                distance=getattr(provider, "distance", None),
            )
        )
    return hits


def _at_place(
    postcode: str, municipality: str, place_postcode: str, place_name: str, codes: set[str]
) -> bool:
    """Whether an establishment is at the place searched for (as ``search_providers`` finds it)."""
    if place_postcode and postcode != place_postcode:
        return False
    return not place_name or postcode in codes or municipality.casefold() == place_name.casefold()


def public_provider(pk: int, on: date) -> Provider | None:
    """The provider of the public detail page: only while it has a registration valid on the day."""
    return (
        Provider.objects.filter(
            pk=pk, pk__in=Registration.objects.filter(valid_on_q(on)).values("provider_id")
        )
        .only(*PUBLIC_PROVIDER_FIELDS)
        .first()
    )


#: what the public pages show of a provider (never the bank account, the login or the password)
PUBLIC_PROVIDER_FIELDS = (
    "id",
    "legal_name",
    "enterprise_number",
    "street",
    "house_number",
    "box",
    "postcode",
    "municipality",
    "country",
    "contact_name",
    "contact_email",
    "contact_phone",
    "website",
    "fields_of_expertise",
    "presentation",
    "is_foreign",
)

"""Fixtures of the scheme tests: the data files are loaded by the migration; a small KBO world of enterprises
with their establishments, addresses and main activities for the eligibility checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from kmop.registers.models import Activity, Address, Enterprise, Establishment
from kmop.schemes import services

# valid enterprise numbers (97 - first 8 mod 97)
BV_GENT = "0912345673"  # a BV (610) with its seat in Gent: eligible
NATURAL = "0923456727"  # a sole trader (natural person), seat in Brussels, establishment in Leuven
VZW = "0934567878"  # a vzw (017) in Antwerpen
FARM = "0403170701"  # a BV whose main activity is agriculture (01110), in Brugge
WALLOON = "0411905847"  # a NV (014) with seat and establishment in Wallonia (Namur, Liège)
STOPPED = "0417497106"  # a BV in bankruptcy (juridical situation 050), in Hasselt
NO_NACE = "0202239951"  # a BV without a main activity in the KBO, in Kortrijk


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    services.clear_cache()
    yield
    services.clear_cache()


def make_enterprise(
    number: str,
    *,
    form: str | None = "610",
    situation: str = "000",
    zipcode: str = "9000",
    nace: str | None = "62010",
    establishments: tuple[tuple[str, str], ...] = (),
) -> Enterprise:
    enterprise = Enterprise.objects.create(
        enterprise_number=number,
        status="AC",
        juridical_situation=situation,
        type_of_enterprise="1" if form is None else "2",
        juridical_form=form,
        start_date=date(2010, 1, 1),
    )
    Address.objects.create(entity_number=number, type_of_address="REGO", zipcode=zipcode, municipality_nl="X")
    for establishment, est_zip in establishments:
        Establishment.objects.create(
            establishment_number=establishment, enterprise=enterprise, start_date=date(2012, 1, 1)
        )
        Address.objects.create(
            entity_number=establishment, type_of_address="BAET", zipcode=est_zip, municipality_nl="Y"
        )
    if nace:
        Activity.objects.create(
            entity_number=number,
            activity_group="001",
            nace_version="2008",
            nace_code=nace,
            classification="MAIN",
        )
    return enterprise


@pytest.fixture
def kbo(db: None) -> None:
    make_enterprise(BV_GENT)
    make_enterprise(NATURAL, form=None, zipcode="1000", establishments=(("2147812701", "3000"),))
    make_enterprise(VZW, form="017", zipcode="2000", nace="94991")
    make_enterprise(FARM, zipcode="8000", nace="01110")
    make_enterprise(WALLOON, form="014", zipcode="5000", establishments=(("2000000042", "4000"),))
    make_enterprise(STOPPED, situation="050", zipcode="3500")
    make_enterprise(NO_NACE, zipcode="8500", nace=None)

"""The demo organisations and persons as register data: KBO rows, legal functions, national-register persons.

``kmop make_kbo_extract --scale demo`` (and so ``kmop seed --scale demo``) adds these records to the
synthetic population, so the demo enterprises come into the KBO tables through the same import as every
other enterprise, and their functions and persons through the same loads.
"""

from __future__ import annotations

from kmop.demo.personas import ORGANISATIONS, PERSONS, DemoOrganisation
from kmop.registers.synthetic import (
    KBO_FILES,
    EnterpriseRecord,
    LegalFunctionRow,
    Municipality,
    PersonRow,
    Population,
    format_enterprise,
    format_establishment,
    kbo_date,
    q,
)


def _address(entity: str, kind: str, organisation: DemoOrganisation) -> str:
    o = organisation
    if o.country_nl:
        return (
            f'"{entity}","{kind}",{q(o.country_nl)},{q(o.country_fr)},"{o.zipcode}",{q(o.municipality)},'
            f'{q(o.municipality)},{q(o.street)},{q(o.street)},"{o.house_number}","","",\n'
        )
    return (
        f'"{entity}","{kind}",,,"{o.zipcode}",{q(o.municipality)},{q(o.municipality)},{q(o.street)},'
        f'{q(o.street)},"{o.house_number}","","",\n'
    )


def _activities(population: Population, entity: str, group: str, nace: tuple[str, ...]) -> list[str]:
    mapping = population.pools.nace2025_for
    codes = [(code, "MAIN" if n == 0 else "SECO") for n, code in enumerate(nace)]
    lines = [f'"{entity}","{group}","2025","{mapping[c]}","{cls}"\n' for c, cls in codes if c in mapping]
    lines += [f'"{entity}","{group}","2008","{c}","{cls}"\n' for c, cls in codes]
    return lines


def demo_enterprise_record(population: Population, organisation: DemoOrganisation) -> EnterpriseRecord:
    """One demo enterprise: establishment, names, address, contacts, activities, functions, persons."""
    o = organisation
    assert o.is_enterprise
    assert o.start_date is not None
    display = format_enterprise(o.code)
    natural = o.kind == "natural_person"
    language = "0" if natural else "2"
    lines: dict[str, list[str]] = {name: [] for name in KBO_FILES}
    form = f'"{o.juridical_form}"' if o.juridical_form else ""
    type_code = "1" if natural else "2"
    lines["enterprise"].append(f'"{display}","AC","000","{type_code}",{form},,{kbo_date(o.start_date)}\n')
    lines["denomination"].append(f'"{display}","{language}","001",{q(o.name)}\n')
    if not natural:
        lines["address"].append(_address(display, "REGO", o))
    lines["activity"] += _activities(population, display, "001", o.nace)
    if o.email:
        lines["contact"].append(f'"{display}","ENT","EMAIL",{q(o.email)}\n')
    if o.phone:
        lines["contact"].append(f'"{display}","ENT","TEL",{q(o.phone)}\n')
    establishments = []
    if o.establishment_number:
        est = format_establishment(o.establishment_number)
        establishments.append(est)
        lines["establishment"].append(f'"{est}",{kbo_date(o.start_date)},"{display}"\n')
        lines["address"].append(_address(est, "BAET", o))
        if o.commercial_name:
            lines["denomination"].append(f'"{est}","2","003",{q(o.commercial_name)}\n')
        lines["activity"] += _activities(population, est, "003", o.nace[:1])

    functions = []
    persons = []
    for person in PERSONS:
        if person.organisation != o.key:
            continue
        persons.append(
            PersonRow(
                person.national_number, person.last_name, person.first_name, person.birth_date, person.sex
            )
        )
        functions += [
            LegalFunctionRow(o.code, person.national_number, f.code, f.start_date, None)
            for f in person.functions
        ]
    flemish = o.zipcode.isdigit() and (1500 <= int(o.zipcode) <= 3999 or 8000 <= int(o.zipcode) <= 9999)
    region = "VLG" if flemish and not o.country_nl else ""
    return EnterpriseRecord(
        index=-1,
        number=o.code,
        display=display,
        type_of_enterprise=type_code,
        juridical_form=o.juridical_form,
        juridical_form_cac="",
        kind="natural" if natural else "foreign" if o.kind == "foreign" else "company",
        language=language,
        region=region,
        seat=Municipality(o.zipcode, o.municipality, o.municipality, region),
        main_nace=o.nace[0] if o.nace else "",
        name=o.name,
        start_date=o.start_date,
        establishments=establishments,
        lines=lines,
        functions=functions,
        persons=persons,
    )


def demo_enterprise_records(population: Population) -> list[EnterpriseRecord]:
    """The demo enterprises; the last one also carries the persons of organisations that are no enterprise.

    (VLAIO's staff have no function in the KBO, but they are in the national register.)
    """
    records = [demo_enterprise_record(population, o) for o in ORGANISATIONS if o.is_enterprise]
    others = [
        PersonRow(p.national_number, p.last_name, p.first_name, p.birth_date, p.sex)
        for p in PERSONS
        if not next(o for o in ORGANISATIONS if o.key == p.organisation).is_enterprise
    ]
    if others:
        records[-1].persons.extend(others)
    return records

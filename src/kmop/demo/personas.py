"""The named demo persons, one for every role in PRODUCT.md, and their organisations.

The numbers are fixed and valid (python-stdnum) but can never clash with the synthetic population of
``kmop.registers.synthetic``: the demo enterprises have numbers ``09xx.xxx.xxx`` (the generator stays in
0200–0899 and 1000–1049), their establishments ``2.9xx.xxx.xxx``, and the demo persons have the sequence
numbers 997 and 998 in their national number (the generator uses 001–996). Their e-mail addresses are on
``.example`` domains, which never receive mail.

VLAIO is a government organisation: it has no enterprise in our KBO tables but an OVO code (the code of the
Flemish government's organisation register, Wegwijs). We use ``OVO003112`` for it; that choice is ours,
see docs/decisions/0003-synthetic-data.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import get_language

VLAIO_OVO_CODE = "OVO003112"


@dataclass(frozen=True)
class DemoFunction:
    code: str  # a LegalFunctionCode
    start_date: date


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    code: str  # enterprise number (10 digits) or OVO code
    name: str
    kind: str  # "legal_person", "natural_person", "foreign", "government"
    juridical_form: str = ""  # KBO code; "" for a natural person or a government organisation
    start_date: date | None = None
    zipcode: str = ""
    municipality: str = ""
    street: str = ""
    house_number: str = ""
    commercial_name: str = ""  # the name of the establishment, if any
    establishment_number: str = ""  # 10 digits
    nace: tuple[str, ...] = ()  # NACE-BEL 2008 codes, main activity first
    email: str = ""
    phone: str = ""
    country_nl: str = ""  # for a foreign registered office
    country_fr: str = ""
    #: the enterprise's bank account (compact): Belgian IBANs of ``Population.random_iban``'s kind, valid for
    #: python-stdnum's ``be.iban``; the foreign provider has the standard German example IBAN
    iban: str = ""

    @property
    def is_enterprise(self) -> bool:
        return self.kind != "government"


@dataclass(frozen=True)
class DemoPerson:
    key: str
    role_nl: str
    role_en: str
    first_name: str
    last_name: str
    national_number: str  # 11 digits: a national register number or a BIS number
    birth_date: date
    sex: str
    email: str
    organisation: str  # DemoOrganisation.key
    functions: tuple[DemoFunction, ...] = ()

    @property
    def role(self) -> str:
        """The role in the active language (the labels are data in both languages, like the KBO codes)."""
        return self.role_en if (get_language() or "nl").startswith("en") else self.role_nl


ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(
        key="houtatelier",
        code="0912345673",
        name="Houtatelier Verhaeghe",
        kind="legal_person",
        juridical_form="610",
        start_date=date(2014, 3, 3),
        zipcode="9000",
        municipality="Gent",
        street="Kortrijksesteenweg",
        house_number="120",
        commercial_name="Houtatelier Verhaeghe",
        establishment_number="2912345618",
        nace=("43320", "16230"),
        email="info@houtatelier-verhaeghe.example",
        phone="09/222.33.44",
        iban="BE71465092435069",
    ),
    DemoOrganisation(
        key="fietsen-tom",
        code="0923456727",
        name="Peeters, Tom",
        kind="natural_person",
        start_date=date(2016, 9, 1),
        zipcode="2800",
        municipality="Mechelen",
        street="Bruul",
        house_number="12",
        commercial_name="Fietsen Tom",
        establishment_number="2923456769",
        nace=("47640", "95290"),
        email="tom@fietsentom.example",
        phone="015/21.43.65",
        iban="BE64213290201252",
    ),
    DemoOrganisation(
        key="leerwijs",
        code="0934567878",
        name="Leerwijs Opleidingen",
        kind="legal_person",
        juridical_form="014",
        start_date=date(2009, 1, 12),
        zipcode="3000",
        municipality="Leuven",
        street="Brusselsestraat",
        house_number="45",
        commercial_name="Leerwijs",
        establishment_number="2934567823",
        nace=("85592", "70220"),
        email="info@leerwijs.example",
        phone="016/30.40.50",
        iban="BE55485925442644",
    ),
    DemoOrganisation(
        key="lernwerk",
        code="0945678932",
        name="Lernwerk Consulting GmbH",
        kind="foreign",
        juridical_form="030",
        start_date=date(2021, 6, 1),
        zipcode="52062",
        municipality="Aken",
        street="Theaterstraße",
        house_number="8",
        nace=("85592",),
        email="kontakt@lernwerk.example",
        iban="DE89370400440532013000",
        country_nl="Duitsland",
        country_fr="Allemagne",
    ),
    DemoOrganisation(
        key="vlaio",
        code=VLAIO_OVO_CODE,
        name="Agentschap Innoveren & Ondernemen (VLAIO)",
        kind="government",
        email="kmo-portefeuille@vlaio.example",
    ),
)

PERSONS: tuple[DemoPerson, ...] = (
    DemoPerson(
        key="legal_representative",
        role_nl="Wettelijk vertegenwoordiger van een onderneming (rechtspersoon)",
        role_en="Legal representative of an enterprise (legal person)",
        first_name="Sofie",
        last_name="Verhaeghe",
        national_number="79051499882",
        birth_date=date(1979, 5, 14),
        sex="F",
        email="sofie.verhaeghe@houtatelier-verhaeghe.example",
        organisation="houtatelier",
        functions=(DemoFunction("10002", date(2014, 3, 3)),),
    ),
    DemoPerson(
        key="sole_trader",
        role_nl="Wettelijk vertegenwoordiger van een onderneming (natuurlijk persoon)",
        role_en="Legal representative of an enterprise (natural person)",
        first_name="Tom",
        last_name="Peeters",
        national_number="88070999748",
        birth_date=date(1988, 7, 9),
        sex="M",
        email="tom@fietsentom.example",
        organisation="fietsen-tom",
        functions=(DemoFunction("NP001", date(2016, 9, 1)),),
    ),
    DemoPerson(
        key="employee",
        role_nl="Medewerker van een onderneming",
        role_en="Employee of an enterprise",
        first_name="Jonas",
        last_name="De Smet",
        national_number="92110299779",
        birth_date=date(1992, 11, 2),
        sex="M",
        email="jonas.desmet@houtatelier-verhaeghe.example",
        organisation="houtatelier",
    ),
    DemoPerson(
        key="local_admin",
        role_nl="Lokale beheerder",
        role_en="Local administrator",
        first_name="Pieter",
        last_name="Claes",
        national_number="85022099708",
        birth_date=date(1985, 2, 20),
        sex="M",
        email="pieter.claes@houtatelier-verhaeghe.example",
        organisation="houtatelier",
    ),
    DemoPerson(
        key="provider",
        role_nl="Dienstverlener (contactpersoon van een opleidingsverstrekker)",
        role_en="Provider (contact person of a training provider)",
        first_name="Els",
        last_name="Maes",
        national_number="75093099831",
        birth_date=date(1975, 9, 30),
        sex="F",
        email="els.maes@leerwijs.example",
        organisation="leerwijs",
        functions=(DemoFunction("10002", date(2009, 1, 12)), DemoFunction("10007", date(2012, 5, 1))),
    ),
    DemoPerson(
        key="foreign_provider",
        role_nl="Buitenlandse dienstverlener (BIS-nummer)",
        role_en="Foreign provider (BIS number)",
        first_name="Klaus",
        last_name="Becker",
        national_number="70431299726",
        birth_date=date(1970, 3, 12),
        sex="M",
        email="klaus.becker@lernwerk.example",
        organisation="lernwerk",
        functions=(DemoFunction("10002", date(2021, 6, 1)),),
    ),
    DemoPerson(
        key="vlaio_staff",
        role_nl="VLAIO-personeel: Medewerker (backoffice: bankafschriften, uitbetalingen, stopzettingen)",
        role_en="VLAIO staff: Medewerker (officer; back office: bank statements, payouts, stop requests)",
        first_name="An",
        last_name="Wouters",
        national_number="83041899839",
        birth_date=date(1983, 4, 18),
        sex="F",
        email="an.wouters@vlaio.example",
        organisation="vlaio",
    ),
    DemoPerson(
        key="vlaio_admin",
        role_nl="VLAIO-personeel: Toepassingsbeheerder",
        role_en="VLAIO staff: Toepassingsbeheerder (application manager)",
        first_name="Bart",
        last_name="Jacobs",
        national_number="78120199716",
        birth_date=date(1978, 12, 1),
        sex="M",
        email="bart.jacobs@vlaio.example",
        organisation="vlaio",
    ),
)

ORGANISATIONS_BY_KEY = {o.key: o for o in ORGANISATIONS}


def organisation_of(person: DemoPerson) -> DemoOrganisation:
    return ORGANISATIONS_BY_KEY[person.organisation]


def personas_with_register_data() -> list[dict[str, Any]]:
    """The demo persons with what the registers say about them (national register, KBO, legal functions).

    A person or enterprise that is not (yet) in the registers (``kmop seed --scale demo`` not run) is shown
    with the demo data and ``in_register`` False, so the page always renders. Three queries whatever the
    number of persons: the persons, the enterprises' names, the current functions.
    """
    from kmop.registers import selectors
    from kmop.registers.national_register import lookup_many
    from kmop.registers.numbers import format_enterprise_number, format_iban, format_national_number

    english = (get_language() or "nl").startswith("en")
    records = lookup_many(p.national_number for p in PERSONS)
    enterprises = [o.code for o in ORGANISATIONS if o.is_enterprise]
    names = selectors.enterprise_names(enterprises)
    functions: dict[tuple[str, str], list[str]] = {}
    current = selectors.current_legal_functions().filter(
        enterprise_id__in=enterprises, person_number__in=[p.national_number for p in PERSONS]
    )
    for function in current:
        label = function.function.label_en if english else function.function.label_nl
        functions.setdefault((function.enterprise_id, function.person_number), []).append(label)

    result: list[dict[str, Any]] = []
    for person in PERSONS:
        organisation = organisation_of(person)
        record = records.get(person.national_number)
        enterprise_name = names.get(organisation.code) if organisation.is_enterprise else None
        result.append(
            {
                "key": person.key,
                "role": person.role,
                "first_name": record.first_name if record else person.first_name,
                "last_name": record.last_name if record else person.last_name,
                "national_number": format_national_number(person.national_number),
                "is_bis": person.national_number[2] in "2345",
                "in_register": record is not None,
                "email": person.email,
                "organisation_name": enterprise_name or organisation.name,
                "organisation_code": (
                    format_enterprise_number(organisation.code)
                    if organisation.is_enterprise
                    else organisation.code
                ),
                "organisation_is_enterprise": organisation.is_enterprise,
                "organisation_in_register": enterprise_name is not None,
                "organisation_iban": format_iban(organisation.iban) if organisation.iban else "",
                "functions": functions.get((organisation.code, person.national_number), []),
            }
        )
    return result


#: the demo organisations that are providers of the kmo-portefeuille: ``kmop seed --scale demo`` signs them up
#: with their registrations, departments and establishments (``kmop.providers.seed_steps``)
PROVIDER_ORGANISATIONS: tuple[str, ...] = ("leerwijs", "lernwerk")

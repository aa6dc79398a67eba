"""Small KBO Open Data extracts for the tests, written like the real ones.

The official quoting (as in the real update extract in ``shared/samples/stevenn_NewAgeKBO``): comma
separated, every value in double quotes except empty values and dates, one header line of quoted column
names, ``\\n`` line ends, UTF-8. Headers are those of RULES.md §7, written out here on purpose (not taken
from the importer), so that the tests check the importer against the format and not against itself.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HEADERS: dict[str, tuple[str, ...]] = {
    "meta": ("Variable", "Value"),
    "code": ("Category", "Code", "Language", "Description"),
    "enterprise": (
        "EnterpriseNumber",
        "Status",
        "JuridicalSituation",
        "TypeOfEnterprise",
        "JuridicalForm",
        "JuridicalFormCAC",
        "StartDate",
    ),
    "establishment": ("EstablishmentNumber", "StartDate", "EnterpriseNumber"),
    "denomination": ("EntityNumber", "Language", "TypeOfDenomination", "Denomination"),
    "address": (
        "EntityNumber",
        "TypeOfAddress",
        "CountryNL",
        "CountryFR",
        "Zipcode",
        "MunicipalityNL",
        "MunicipalityFR",
        "StreetNL",
        "StreetFR",
        "HouseNumber",
        "Box",
        "ExtraAddressInfo",
        "DateStrikingOff",
    ),
    "contact": ("EntityNumber", "EntityContact", "ContactType", "Value"),
    "activity": ("EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"),
    "branch": ("Id", "StartDate", "EnterpriseNumber"),
}
DATA_TABLES = ("enterprise", "establishment", "denomination", "address", "contact", "activity", "branch")
KEY_HEADERS = {
    "enterprise": "EnterpriseNumber",
    "establishment": "EstablishmentNumber",
    "denomination": "EntityNumber",
    "address": "EntityNumber",
    "contact": "EntityNumber",
    "activity": "EntityNumber",
    "branch": "Id",
}
DATE_COLUMNS = frozenset({"StartDate", "DateStrikingOff"})

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "stevenn_NewAgeKBO"
SAMPLE_UPDATE = SAMPLES / "KboOpenData_0147_2025_10_12_Update"


def _with_check(first8: str) -> str:
    check = 97 - int(first8) % 97
    return f"{first8}{check:02d}"


def enterprise(seed: int) -> str:
    """A valid enterprise number, formatted: ``0200.000.1xx``."""
    number = _with_check(f"{2_000_000 + seed:08d}")
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"


def establishment(seed: int) -> str:
    """A valid establishment number, formatted: ``2.000.000.xxx``."""
    number = _with_check(f"2{seed:07d}")
    return f"{number[0]}.{number[1:4]}.{number[4:7]}.{number[7:]}"


def branch(seed: int) -> str:
    """A branch id as in branch.csv: ``9.000.006.xxx``."""
    number = f"9{6000 + seed:09d}"
    return f"{number[0]}.{number[1:4]}.{number[4:7]}.{number[7:]}"


def compact(number: str) -> str:
    return number.replace(".", "")


#: Numbers at the edges of the rules: all zeros (stdnum.be.vat refuses it: ``int(number) <= 0``, though
#: (0 + 0) % 97 == 0), the smallest numbers with valid check digits, all nines, first digits 0/1/2/8/9.
EDGE_NUMBERS = (
    "0000000000",
    "0000.000.000",
    "0.000.000.000",
    "00.0000.0000",
    "0000000097",
    "0000.000.097",
    "0000009700",
    "0000000194",
    "0000000001",
    "1000000000",
    "1000000003",
    "2000000000",
    "2.000.000.000",
    "8000000000",
    "9000000000",
    "9.000.000.000",
    "9999999999",
    "0999999999",
    "0999999968",
    "1999999999",
    "0099999999",
)


def stdnum_number_valid(value: str, kind: str) -> bool:
    """What the importer must accept, independently of the importer: the KBO form (dots anywhere, removed:
    ten ASCII digits) and then python-stdnum. Enterprise numbers: ``stdnum.be.vat.is_valid`` (first digit 0
    or 1, check digits, not 0); establishment numbers: first digit 2-8 and the same check digits
    (``stdnum.be.vat.checksum``); branch ids: first digit 9 (no published check digits); entity numbers:
    any of the three, chosen by the first digit.
    """
    from stdnum.be import vat

    number = value.replace(".", "")
    if len(number) != 10 or not (number.isdigit() and number.isascii()):
        return False
    first = number[0]
    if kind == "entity":
        kind = "branch" if first == "9" else "establishment" if first in "2345678" else "enterprise"
    if kind == "enterprise":
        return vat.is_valid(number) and first in "01"
    if kind == "establishment":
        return first in "2345678" and vat.checksum(number) == 0
    assert kind == "branch", kind
    return first == "9"


CODES: list[tuple[str, str, str, str]] = [
    ("ActivityGroup", "001", "NL", "BTW-activiteiten"),
    ("ActivityGroup", "003", "NL", "Activiteiten"),
    ("ActivityGroup", "006", "NL", "RSZ-activiteiten"),
    ("Classification", "MAIN", "NL", "Hoofdactiviteit"),
    ("Classification", "SECO", "NL", "Nevenactiviteit"),
    ("ContactType", "EMAIL", "NL", "E-mailadres"),
    ("ContactType", "TEL", "NL", "Telefoonnummer"),
    ("ContactType", "WEB", "NL", "Webadres"),
    ("EntityContact", "ENT", "NL", "Onderneming"),
    ("EntityContact", "EST", "NL", "Vestigingseenheid"),
    ("JuridicalForm", "014", "NL", "Naamloze vennootschap"),
    ("JuridicalForm", "610", "NL", "Besloten vennootschap"),
    ("JuridicalSituation", "000", "NL", "Normale toestand"),
    ("Language", "0", "NL", "Onbekend"),
    ("Language", "1", "NL", "Frans"),
    ("Language", "2", "NL", "Nederlands"),
    ("Nace2003", "72220", "NL", "Ontwerpen en programmeren van computerprogramma's"),
    ("Nace2008", "62010", "NL", "Ontwerpen en programmeren van computerprogramma's"),
    ("Nace2008", "47110", "NL", "Detailhandel in niet-gespecialiseerde winkels"),
    ("Nace2025", "62100", "NL", "Computerprogrammering"),
    ("Status", "AC", "FR", "Actif"),
    ("Status", "AC", "NL", "Actief"),
    ("TypeOfAddress", "ABBR", "NL", "Bijkantoor"),
    ("TypeOfAddress", "BAET", "NL", "Vestigingseenheid"),
    ("TypeOfAddress", "REGO", "NL", "Zetel"),
    ("TypeOfDenomination", "001", "NL", "Naam"),
    ("TypeOfDenomination", "002", "NL", "Afkorting"),
    ("TypeOfDenomination", "003", "NL", "Commerciële naam"),
    ("TypeOfDenomination", "004", "NL", "Naam van het bijkantoor"),
    ("TypeOfEnterprise", "1", "NL", "Natuurlijk Persoon"),
    ("TypeOfEnterprise", "2", "NL", "Rechtspersoon"),
]

E1, E2, E3 = enterprise(1), enterprise(2), enterprise(3)
S1, S2 = establishment(1), establishment(2)
B1 = branch(1)


def base_tables() -> dict[str, list[tuple[str, ...]]]:
    """The rows of a small, valid full extract: three enterprises, two establishments, a branch."""
    return {
        "enterprise": [
            (E1, "AC", "000", "2", "014", "", "01-02-2003"),
            (E2, "AC", "000", "1", "", "", "15-09-2025"),
            (E3, "AC", "000", "2", "610", "014", "29-02-2024"),
        ],
        "establishment": [(S1, "01-03-2003", E1), (S2, "16-09-2025", E2)],
        "denomination": [
            (E1, "2", "001", "Janssens & Zonen"),
            (E1, "2", "003", 'Bakkerij "De Korenaar", Gent'),
            (S1, "2", "003", "Korenaar Gent"),
            (E2, "2", "001", "Peeters, Marc"),
            (B1, "1", "004", "Succursale Belge"),
        ],
        "address": [
            (E1, "REGO", "", "", "9000", "Gent", "Gand", "Kerkstraat", "Kerkstraat", "12", "", "", ""),
            (S1, "BAET", "", "", "9000", "Gent", "Gand", "Veldstraat", "Veldstraat", "1", "b", "", ""),
            (
                E3,
                "REGO",
                "Frankrijk",
                "France",
                "75001",
                "Parijs",
                "Paris",
                "Rue X",
                "Rue X",
                "3",
                "",
                "",
                "",
            ),
            (S2, "BAET", "", "", "2000", "Antwerpen", "Anvers", "Meir", "Meir", "7", "", "", "31-12-2024"),
        ],
        "contact": [
            (E1, "ENT", "TEL", "09/123.45.67"),
            (E1, "ENT", "EMAIL", "info@korenaar.be"),
            (S1, "EST", "WEB", "www.korenaar.be"),
        ],
        "activity": [
            (E1, "001", "2008", "47110", "MAIN"),
            (E1, "001", "2025", "62100", "SECO"),
            (E1, "003", "2003", "72220", "SECO"),
            (S1, "006", "2008", "62010", "MAIN"),
            (E2, "001", "2008", "62010", "MAIN"),
        ],
        "branch": [(B1, "01-01-2010", E3)],
    }


def quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]], *, newline: str = "\n") -> str:
    """A CSV file in the official quoting: quoted values, except empty values and dates."""
    lines = [",".join(quote(name) for name in header)]
    for row in rows:
        fields = []
        for index, value in enumerate(row):
            name = header[index] if index < len(header) else ""
            fields.append(value if value == "" or name in DATE_COLUMNS else quote(value))
        lines.append(",".join(fields))
    return newline.join(lines) + newline


@dataclass
class Extract:
    """An extract to write: full (``tables``) or update (``tables`` = inserts, ``deletes`` = keys).

    ``raw`` replaces a file's content by exact text or bytes; ``omit`` leaves files out.
    """

    kind: str = "full"
    number: int = 1
    snapshot: str = "10-10-2025"
    timestamp: str = "11-10-2025 07:40:18"
    version: str = "1.0.0"
    codes: list[tuple[str, str, str, str]] = field(default_factory=lambda: list(CODES))
    code_text: str | None = None  # a whole code.csv (e.g. the official one from the samples)
    tables: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    deletes: dict[str, list[str]] = field(default_factory=dict)
    raw: dict[str, str | bytes] = field(default_factory=dict)
    omit: set[str] = field(default_factory=set)
    newline: str = "\n"
    bom: bool = False

    @property
    def stem(self) -> str:
        return f"KboOpenData_{self.number:04d}_2025_10_{'Full' if self.kind == 'full' else 'Update'}"

    def meta_rows(self) -> list[tuple[str, str]]:
        return [
            ("SnapshotDate", self.snapshot),
            ("ExtractTimestamp", self.timestamp),
            ("ExtractType", self.kind),
            ("ExtractNumber", str(self.number)),
            ("Version", self.version),
        ]

    def files(self) -> dict[str, str | bytes]:
        nl = self.newline
        files: dict[str, str | bytes] = {
            "meta.csv": csv_text(HEADERS["meta"], self.meta_rows(), newline=nl),
            "code.csv": self.code_text
            if self.code_text is not None
            else csv_text(HEADERS["code"], self.codes, newline=nl),
        }
        for table in DATA_TABLES:
            rows = self.tables.get(table, [])
            if self.kind == "full":
                files[f"{table}.csv"] = csv_text(HEADERS[table], rows, newline=nl)
            else:
                keys = [(key,) for key in self.deletes.get(table, [])]
                files[f"{table}_delete.csv"] = csv_text((KEY_HEADERS[table],), keys, newline=nl)
                files[f"{table}_insert.csv"] = csv_text(HEADERS[table], rows, newline=nl)
        files.update(self.raw)
        for name in self.omit:
            files.pop(name, None)
        return files

    def write(self, directory: Path, *, zipped: bool = True, compression: int = zipfile.ZIP_DEFLATED) -> Path:
        """Write the extract as ``<stem>.zip`` (or a folder ``<stem>``) in ``directory``; returns its path."""
        directory.mkdir(parents=True, exist_ok=True)
        contents = {
            name: (content if isinstance(content, bytes) else content.encode("utf-8"))
            for name, content in self.files().items()
        }
        if self.bom:
            contents = {name: b"\xef\xbb\xbf" + content for name, content in contents.items()}
        if zipped:
            path = directory / f"{self.stem}.zip"
            with zipfile.ZipFile(path, "w", compression=compression) as archive:
                for name, content in contents.items():
                    archive.writestr(name, content)
            return path
        path = directory / self.stem
        path.mkdir(exist_ok=True)
        for name, content in contents.items():
            (path / name).write_bytes(content)
        return path


def full(**kwargs: object) -> Extract:
    """The base full extract (number 1 unless given)."""
    kwargs.setdefault("tables", base_tables())
    return Extract(kind="full", **kwargs)  # type: ignore[arg-type]


def update(number: int = 2, **kwargs: object) -> Extract:
    return Extract(kind="update", number=number, **kwargs)  # type: ignore[arg-type]

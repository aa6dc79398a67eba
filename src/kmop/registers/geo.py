"""Points and distances for Belgian postcodes (the table ``registers.Postcode``, data/NOTICE.md).

``postcode_point("9000")`` is the point of a postcode, ``postcodes_of_municipality("Gent")`` the postcodes
of a municipality (by its Dutch or French name), ``distance_km`` the great-circle distance (haversine) and
``bounding_box`` the latitude/longitude rectangle around a point that holds every point within a distance:
a cheap prefilter in SQL before the exact distance. The table is small (about 1,150 rows) and never changes
at run time, so it is read once per process.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from dataclasses import dataclass

from django.db.models import F, FloatField, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

#: the mean radius of the Earth (IUGG), km
EARTH_RADIUS_KM = 6371.0088
#: km per degree of latitude
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class _Tables:
    points: dict[str, Point]
    municipalities: dict[str, tuple[str, ...]]
    names: dict[str, str]


_lock = threading.Lock()
_tables: _Tables | None = None


def _key(name: str) -> str:
    """ "Sint-Niklaas", "sint niklaas", "Saint-Nicolas"... compared without case, accents and dashes."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(text.replace("-", " ").replace("'", " ").split())


def _load() -> _Tables:
    global _tables
    with _lock:
        if _tables is None:
            from kmop.registers.models import Postcode

            sums: dict[str, list[float]] = {}
            municipalities: dict[str, list[str]] = {}
            names: dict[str, str] = {}
            for code, nl, fr, lat, lon in Postcode.objects.order_by("code", "refnis").values_list(
                "code", "municipality_nl", "municipality_fr", "latitude", "longitude"
            ):
                acc = sums.setdefault(code, [0.0, 0.0, 0.0])
                acc[0] += lat
                acc[1] += lon
                acc[2] += 1
                names.setdefault(code, nl)
                for name in (nl, fr):
                    codes = municipalities.setdefault(_key(name), [])
                    if code not in codes:
                        codes.append(code)
            tables = _Tables(
                points={c: Point(s[0] / s[2], s[1] / s[2]) for c, s in sums.items()},
                municipalities={k: tuple(v) for k, v in municipalities.items()},
                names=names,
            )
            if not sums:
                return tables  # not loaded yet (a flushed test database): read it again next time
            _tables = tables
        return _tables


def clear_cache() -> None:
    """Forget the table read (tests that change it)."""
    global _tables
    with _lock:
        _tables = None


def postcode_point(code: str) -> Point | None:
    """The point of a Belgian postcode (4 digits), or None when it is unknown."""
    return _load().points.get((code or "").strip())


def postcode_municipality(code: str) -> str:
    """The (first) municipality of a postcode, in Dutch; empty when the postcode is unknown."""
    return _load().names.get((code or "").strip(), "")


def postcodes_of_municipality(name: str) -> tuple[str, ...]:
    """The postcodes of the municipality with that Dutch or French name (``Gent`` → 9000, 9030, ...)."""
    return _load().municipalities.get(_key(name), ())


def distance_km(a: Point, b: Point) -> float:
    """The great-circle distance between two points (haversine), km."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(centre: Point, km: float) -> tuple[float, float, float, float]:
    """(min latitude, max latitude, min longitude, max longitude) of a rectangle that holds every point
    within ``km`` of ``centre`` (for Belgium's latitudes; not across the poles or the date line)."""
    dlat = km / KM_PER_DEGREE
    dlon = km / (KM_PER_DEGREE * max(0.01, math.cos(math.radians(centre.latitude))))
    return (centre.latitude - dlat, centre.latitude + dlat, centre.longitude - dlon, centre.longitude + dlon)


def distance_expression(latitude: str, longitude: str, centre: Point) -> Combinable:
    """The haversine distance (km) from ``centre`` to the point in the fields ``latitude``/``longitude``, as
    a database expression (PostgreSQL, and SQLite with Django's math functions)."""
    lat0 = math.radians(centre.latitude)
    half_dlat = (Radians(F(latitude)) - Value(lat0)) / Value(2.0)
    half_dlon = (Radians(F(longitude)) - Value(math.radians(centre.longitude))) / Value(2.0)
    h = Power(Sin(half_dlat), 2) + Value(math.cos(lat0)) * Cos(Radians(F(latitude))) * Power(
        Sin(half_dlon), 2
    )
    return Value(2 * EARTH_RADIUS_KM) * ASin(Least(Value(1.0), Sqrt(h)), output_field=FloatField())

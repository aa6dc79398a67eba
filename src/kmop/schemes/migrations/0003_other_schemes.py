"""Load the data files again: Ecologiepremie Plus and the corona hinderpremie joined (idempotent for the rest)."""

from typing import Any

from django.db import migrations


def load(apps: Any, schema_editor: Any) -> None:
    from kmop.schemes.data import Models, data_files, read_data_file, sync_scheme_data

    models = Models(
        apps.get_model("schemes", "Scheme"),
        apps.get_model("schemes", "RegimePeriod"),
        apps.get_model("schemes", "ExcludedService"),
        apps.get_model("schemes", "LegalFormRule"),
        apps.get_model("schemes", "NaceRule"),
    )
    for path in data_files():
        sync_scheme_data(models, read_data_file(path))


class Migration(migrations.Migration):
    dependencies = [("schemes", "0002_scheme_data")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

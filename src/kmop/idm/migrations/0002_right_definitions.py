"""Load the right definitions of ``idm/data/rights.json`` (``kmop seed`` applies a newer file again)."""

from typing import Any

from django.db import migrations


def load(apps: Any, schema_editor: Any) -> None:
    from kmop.idm.rights_data import sync_right_definitions

    sync_right_definitions(apps.get_model("idm", "RightDefinition"), apps.get_model("idm", "RightContextValue"))


class Migration(migrations.Migration):
    dependencies = [("idm", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

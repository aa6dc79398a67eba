"""A trigram index (PostgreSQL's ``pg_trgm``) on the organisations' names, for the providers' project
overview: its "Onderneming" filter finds the enterprises whose name holds the text (``UPPER(name) LIKE UPPER('%x%')``,
Django's ``icontains``) before it reads the provider's projects of those (``provider_selectors``); without it
that is a scan of every organisation. Kept by the projects app (its only reader so far) on the IDM's table, as
``idm/migrations/0006`` does for the persons' names.

PostgreSQL only; on SQLite nothing is done. Not in a model's ``Meta.indexes`` (an expression index with an
operator class of an extension SQLite does not have): the migration is its only definition.
"""

from django.db import migrations

NAME = "idm_organisation_name_trgm"


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON idm_organisation USING gin ((UPPER(name::text)) gin_trgm_ops)"
    )


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("idm", "0006_person_name_trigram_indexes"),
        ("projects", "0005_provider_sort_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]

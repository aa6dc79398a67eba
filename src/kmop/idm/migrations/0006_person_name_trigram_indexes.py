"""Trigram indexes (PostgreSQL's ``pg_trgm``) on a person's names, for "Toekenning opzoeken" and the persons
overview: a search on part of a name (``UPPER(last_name) LIKE UPPER('%peet%')``, Django's ``icontains``)
was a scan of every person (0.3–0.9 s at 300,000 persons); with these it is a bitmap scan of the matching
ones. The expressions are those Django's ``icontains`` compares, so the planner matches them.

PostgreSQL only (``CREATE EXTENSION IF NOT EXISTS``: ``pg_trgm`` is a trusted extension, the database owner
may create it); on SQLite nothing is done. Not in the models' ``Meta.indexes`` (an expression index with an
operator class of an extension SQLite does not have): the migration is their only definition.
"""

from django.db import migrations

INDEXES = (
    ("idm_person_last_name_trgm", "last_name"),
    ("idm_person_first_name_trgm", "first_name"),
)


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON idm_person USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("idm", "0005_rightgrant_organisation_index"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]

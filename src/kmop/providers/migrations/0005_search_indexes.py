"""Indexes for the public "Zoek een dienstverlener" on PostgreSQL (20,000 providers).

- Trigram indexes (``pg_trgm``) on the provider's name and fields of expertise: a search on part of them
  (Django's ``icontains``: ``UPPER(col::text) LIKE UPPER('%leer%')``) is a bitmap scan of the matching rows
  instead of a scan of every provider. The expressions are those ``icontains`` compares, so the planner
  matches them (as ``idm.0006_person_name_trigram_indexes``).
- A partial index of the registrations that can be valid (G, G/V) by provider, with their dates and service:
  "has a registration valid today" per provider is an index-only lookup.

PostgreSQL only; on SQLite nothing is done. Not in the models' ``Meta.indexes`` (an operator class of an
extension SQLite does not have, and a partial index the search alone needs): the migration is their only
definition.
"""

from django.db import migrations

STATEMENTS = (
    (
        "prov_provider_name_trgm",
        "CREATE INDEX IF NOT EXISTS prov_provider_name_trgm ON providers_provider "
        "USING gin ((UPPER(legal_name::text)) gin_trgm_ops)",
    ),
    (
        "prov_provider_fields_trgm",
        "CREATE INDEX IF NOT EXISTS prov_provider_fields_trgm ON providers_provider "
        "USING gin ((UPPER(fields_of_expertise::text)) gin_trgm_ops)",
    ),
    (
        "prov_reg_valid_provider_idx",
        "CREATE INDEX IF NOT EXISTS prov_reg_valid_provider_idx ON providers_registration "
        "(provider_id, valid_from, valid_until, service) WHERE status IN ('G', 'G/V')",
    ),
)


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for _name, statement in STATEMENTS:
        schema_editor.execute(statement)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _statement in STATEMENTS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0004_establishment_point"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]

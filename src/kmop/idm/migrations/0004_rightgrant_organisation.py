"""The organisation of a grant kept on the grant (``RightGrant.organisation``), filled from its work relation
with one set-based UPDATE. Made NOT NULL and indexed in 0005: on PostgreSQL the UPDATE leaves deferred
foreign-key checks pending, and a table with pending trigger events cannot be altered in the same
transaction."""

import django.db.models.deletion
from django.db import migrations, models


def fill_organisation(apps, schema_editor):  # type: ignore[no-untyped-def]
    grant = apps.get_model("idm", "RightGrant")
    relation = apps.get_model("idm", "WorkRelation")
    q = schema_editor.quote_name
    grants, relations = q(grant._meta.db_table), q(relation._meta.db_table)
    target = q(grant._meta.get_field("organisation").column)
    source = q(relation._meta.get_field("organisation").column)
    link = q(grant._meta.get_field("work_relation").column)
    if schema_editor.connection.vendor == "postgresql":  # a hash join, not one lookup per grant
        sql = f"UPDATE {grants} g SET {target} = w.{source} FROM {relations} w WHERE w.id = g.{link}"
    else:
        sql = f"UPDATE {grants} SET {target} = (SELECT w.{source} FROM {relations} w WHERE w.id = {grants}.{link})"
    schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("idm", "0003_person_call_name_grant_keyset_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="rightgrant",
            name="organisation",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="idm.organisation",
                verbose_name="organisatie",
            ),
        ),
        migrations.RunPython(fill_organisation, migrations.RunPython.noop, elidable=False),
    ]

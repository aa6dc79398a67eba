"""``RightGrant.organisation`` required (every grant has it since 0004) and the index (organisation, end date,
id) of "toekenning opzoeken" within an administrator's organisations."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("idm", "0004_rightgrant_organisation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="rightgrant",
            name="organisation",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="idm.organisation",
                verbose_name="organisatie",
            ),
        ),
        migrations.AddIndex(
            model_name="rightgrant",
            index=models.Index(fields=["organisation", "end_date", "id"], name="idm_grant_org_end_id_idx"),
        ),
    ]

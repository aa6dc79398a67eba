from django.db import migrations


def create_sequence(apps, schema_editor):
    NumberSequence = apps.get_model("providers", "NumberSequence")
    NumberSequence.objects.get_or_create(name="registration", defaults={"last_value": 0})


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]

    operations = [migrations.RunPython(create_sequence, migrations.RunPython.noop)]

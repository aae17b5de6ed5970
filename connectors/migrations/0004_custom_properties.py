from django.db import migrations, models


def unique_property_to_custom_properties(apps, schema_editor):
    Connection = apps.get_model("connectors", "Connection")
    for connection in Connection.objects.exclude(unique_property_on=[]):
        connection.custom_properties = {object_type: ["simcrm_id"] for object_type in connection.unique_property_on}
        connection.save(update_fields=["custom_properties"])


def custom_properties_to_unique_property(apps, schema_editor):
    Connection = apps.get_model("connectors", "Connection")
    for connection in Connection.objects.exclude(custom_properties={}):
        connection.unique_property_on = sorted(
            object_type for object_type, names in connection.custom_properties.items() if "simcrm_id" in names
        )
        connection.save(update_fields=["unique_property_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0003_requests_in_flight"),
    ]

    operations = [
        migrations.AddField(
            model_name="connection",
            name="custom_properties",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(unique_property_to_custom_properties, custom_properties_to_unique_property),
        migrations.RemoveField(
            model_name="connection",
            name="unique_property_on",
        ),
    ]

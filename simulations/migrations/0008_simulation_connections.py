from django.db import migrations


class Migration(migrations.Migration):
    # The links are copied to connectors' simulation_connections first.
    dependencies = [
        ("simulations", "0007_timeline_version"),
        ("connectors", "0005_simulation_connections"),
    ]

    operations = [
        migrations.RemoveField(model_name="simulation", name="connection"),
    ]

import django.db.models.deletion
from django.db import migrations, models

# The link moves from simulations.connection_id to connectors, the side that owns connections.
COPY_LINKS = (
    "INSERT INTO simulation_connections (simulation_id, connection_id) "
    "SELECT id, connection_id FROM simulations WHERE connection_id IS NOT NULL"
)
COPY_LINKS_BACK = (
    "UPDATE simulations SET connection_id = "
    "(SELECT connection_id FROM simulation_connections WHERE simulation_id = simulations.id)"
)


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0004_custom_properties"),
        ("simulations", "0007_timeline_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="SimulationConnection",
            fields=[
                (
                    "simulation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="connection_link",
                        serialize=False,
                        to="simulations.simulation",
                    ),
                ),
                (
                    "connection",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="simulation_links",
                        to="connectors.connection",
                    ),
                ),
            ],
            options={"db_table": "simulation_connections"},
        ),
        migrations.RunSQL(COPY_LINKS, COPY_LINKS_BACK),
    ]

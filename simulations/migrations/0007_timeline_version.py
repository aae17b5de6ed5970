from django.db import migrations, models

HELP = "How its records are drawn (simulations/timeline_versions.py); a replay keeps it."


class Migration(migrations.Migration):
    dependencies = [
        ("simulations", "0006_email_domains"),
    ]

    operations = [
        # Simulations made before versions existed were drawn with the first timeline, and their replays still are.
        migrations.AddField(
            model_name="simulation",
            name="timeline_version",
            field=models.PositiveSmallIntegerField(default=1, help_text=HELP),
        ),
        migrations.AlterField(
            model_name="simulation",
            name="timeline_version",
            field=models.PositiveSmallIntegerField(default=2, help_text=HELP),
        ),
    ]

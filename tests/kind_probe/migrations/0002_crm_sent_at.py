from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kind_probe", "0001_initial"),
        ("simulations", "0010_crm_sent_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="partner",
            name="crm_sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]

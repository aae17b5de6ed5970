from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def dispatch_schedule_delete(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """The dispatcher no longer needs a one-minute safety net: the broker's safety poll is one."""
    apps.get_model("django_q", "Schedule").objects.filter(name="simcrm-dispatch").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0004_worker_heartbeats"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(dispatch_schedule_delete, migrations.RunPython.noop)]

"""Settings of the benchmark's no-op reference cluster (bench/): SimCRM's own, minus the dispatcher.

The same Q_CLUSTER (workers, poll, save limit, ...) runs plain tasks; only the scheduler (which
would start the jobs dispatcher every minute) and the worker-start wake-up are off.
"""

from simcrm_project.settings import *  # noqa: F403
from simcrm_project.settings import INSTALLED_APPS, Q_CLUSTER

INSTALLED_APPS = ["bench.noop_apps.JobsWithoutDispatchConfig" if app == "jobs" else app for app in INSTALLED_APPS]
Q_CLUSTER = {**Q_CLUSTER, "scheduler": False}

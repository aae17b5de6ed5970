"""Settings of the benchmark's no-op reference cluster (bench/): SimCRM's own, minus the dispatcher.

The same Q_CLUSTER (workers, poll, save limit, ...) runs plain tasks on django-q2's own ORM broker,
which polls; SimCRM's broker (which starts the jobs dispatcher) and the scheduler are off.
"""

from simcrm_project.settings import *  # noqa: F403
from simcrm_project.settings import Q_CLUSTER

Q_CLUSTER = {key: value for key, value in Q_CLUSTER.items() if key != "broker_class"} | {"scheduler": False}

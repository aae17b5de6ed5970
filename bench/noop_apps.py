from jobs.apps import JobsConfig


class JobsWithoutDispatchConfig(JobsConfig):
    """The jobs app without its dispatcher hooks, for the no-op reference cluster.

    A plain django-q2 cluster with SimCRM's Q_CLUSTER settings: no pump holds a worker slot, so
    every worker is free for the no-op tasks.
    """

    def ready(self) -> None:
        pass

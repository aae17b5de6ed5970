"""The task of the no-op reference: what one queue task per job costs before any job work."""


def noop() -> None:
    """Do nothing; the cost measured is django-q2's own (enqueue, push, run, save, acknowledge)."""

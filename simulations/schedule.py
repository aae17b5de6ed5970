"""The scheduling rule from the original design, kept pure so it is easy to test."""

from datetime import datetime, timedelta

JOBS_PER_SIMULATION = 5


def job_offsets_minutes(frequency_minutes: int, count: int = JOBS_PER_SIMULATION) -> list[int]:
    """Job i is due i * floor(minutes / 4 / 5) minutes after creation."""
    step = int(frequency_minutes / 4 / 5)
    return [i * step for i in range(count)]


def job_due_times(*, start: datetime, frequency_minutes: int) -> list[datetime]:
    return [start + timedelta(minutes=offset) for offset in job_offsets_minutes(frequency_minutes)]

"""Reading the payloads the planner writes (see planner.timeline_jobs)."""

from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jobs.models import ScheduledJob


def payload_instant(job: ScheduledJob, key: str = "at") -> datetime:
    """A planned entry's instant in the timeline; the original schedule's records happen when made."""
    at = job.payload.get(key) if isinstance(job.payload, dict) else None
    parsed = parse_datetime(at) if isinstance(at, str) else None
    return parsed or timezone.now()


def payload_index(job: ScheduledJob) -> int:
    """The contact a job makes or moves: its place in the simulation's schedule."""
    return int(job.payload["index"])

"""Workers say they are alive: one row per worker process, written at most every BEAT_SECONDS."""

import os
import socket
import time
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from jobs.models import WorkerHeartbeat

BEAT_SECONDS = 3.0
# The contract: a worker not seen for this long is not alive.
ALIVE_SECONDS = 10.0
# Rows of workers gone for this long are removed as others beat.
FORGET_AFTER = timedelta(hours=1)

_last_beat = 0.0


def worker_heartbeat() -> None:
    """Record that this worker process runs; cheap to call on every pass (it writes every few seconds)."""
    global _last_beat
    now = time.monotonic()
    if now - _last_beat < BEAT_SECONDS:
        return
    _last_beat = now
    seen = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker=f"{socket.gethostname()}:{os.getpid()}", defaults={"last_seen_at": seen}
    )
    WorkerHeartbeat.objects.filter(last_seen_at__lt=seen - FORGET_AFTER).delete()


def worker_last_seen() -> datetime | None:
    return WorkerHeartbeat.objects.aggregate(latest=Max("last_seen_at"))["latest"]


def worker_alive(last_seen_at: datetime | None) -> bool:
    return last_seen_at is not None and timezone.now() - last_seen_at < timedelta(seconds=ALIVE_SECONDS)

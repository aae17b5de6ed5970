"""One request budget per connection, shared by every worker process: PostgreSQL holds it.

A request takes a slot in `connection_requests` under the connection's row lock, so two workers
never count the same free slot; the window rolls over the last 10 seconds. A 429's Retry-After
(or a daily limit) blocks the connection until `blocked_until`, which every worker reads too.
"""

import time
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connectors.models import Connection, ConnectionRequest

# HubSpot's rolling 10 s, and half a second more: a slot is taken a moment before HubSpot receives
# its request, so a window counted to the millisecond could hold one request too many there.
WINDOW = timedelta(seconds=10.5)
# A wait this short is slept in place; a longer one hands the worker back (the job is deferred).
SHORT_WAIT_SECONDS = 2.0
# Slots older than this are of no use to any window; a take deletes them as it goes.
KEEP = timedelta(seconds=60)


class BudgetExhausted(Exception):
    """No request may be sent now; try again in `wait` seconds."""

    def __init__(self, wait: float, reason: str) -> None:
        super().__init__(reason)
        self.wait = wait


def budget_take(*, connection_id: int, ignore_block: bool = False) -> None:
    """Take one request slot now, or raise BudgetExhausted with how long until one frees up.

    `ignore_block`: the one probe of a connection that a daily limit blocks.
    """
    with transaction.atomic():
        connection = Connection.objects.select_for_update().only("id", "tier", "blocked_until").get(pk=connection_id)
        now = timezone.now()
        if not ignore_block and connection.blocked_until is not None and connection.blocked_until > now:
            wait = (connection.blocked_until - now).total_seconds()
            raise BudgetExhausted(wait, f"HubSpot asked SimCRM to wait {wait:.0f} s more.")
        window = ConnectionRequest.objects.filter(connection_id=connection_id, at__gt=now - WINDOW)
        used = window.count()
        if used >= connection.requests_per_window:
            oldest = window.order_by("at").values_list("at", flat=True).first() or now
            wait = max((oldest + WINDOW - now).total_seconds(), 0.05)
            raise BudgetExhausted(
                wait, f"The connection's budget of {connection.requests_per_window} requests per 10 s is used up."
            )
        ConnectionRequest.objects.create(connection_id=connection_id, at=now)
        Connection.objects.filter(pk=connection_id).update(requests_sent=F("requests_sent") + 1)
        if used % 50 == 0:
            ConnectionRequest.objects.filter(connection_id=connection_id, at__lt=now - KEEP).delete()


def budget_wait_and_take(*, connection_id: int, ignore_block: bool = False) -> None:
    """budget_take, sleeping through short waits so a steady stream of batches keeps its pace."""
    while True:
        try:
            budget_take(connection_id=connection_id, ignore_block=ignore_block)
            return
        except BudgetExhausted as exhausted:
            if exhausted.wait > SHORT_WAIT_SECONDS:
                raise
            time.sleep(exhausted.wait)


def connection_block(*, connection_id: int, seconds: float) -> None:
    """Send nothing on this connection for `seconds` (HubSpot's Retry-After, or until the next probe)."""
    until = timezone.now() + timedelta(seconds=seconds)
    Connection.objects.filter(pk=connection_id).update(blocked_until=until)

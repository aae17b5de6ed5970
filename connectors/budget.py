"""One request budget per connection, shared by every worker process: PostgreSQL holds it.

A request takes a slot in `connection_requests` under the connection's row lock, so two workers
never count the same free slot. Three limits apply to every take:

- the rate: at most `requests_per_window` slots in the CRM's rolling window (its adapter's budget);
- the day: at most `requests_per_day` in the last DAY_HOURS hours, when the adapter's budget has a daily
  limit for the tier (or the CRM reports the account's daily usage, of which the connection may use a share),
  counted by the hour on the connection's row (`requests_by_hour`);
- the flight: a delivery's request stays "in flight" until it is released, and a connection keeps at
  most `in_flight_cap` in flight, about its budget per second times the CRM's measured latency, so
  delivery runs at the budget however slowly the CRM answers, and never far ahead of it.

Simulations that asked for a slot in the last FAIR_SECONDS share both limits: one past its even share
may not take the last free slots, which are kept for the others, so a huge backfill cannot starve a
small live simulation on the same portal, and uses whatever the others leave.
A rate limit's retry-after (or a daily limit) blocks the connection until `blocked_until`, which every
worker reads too.
"""

import math
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from connectors.crm.base import crm_adapter
from connectors.models import Connection, ConnectionRequest

# The CRM's rolling window is counted a second longer: a slot is taken a moment before the CRM receives
# its request, and with several requests in flight from threads on a busy machine that moment varies
# (with half a second, the first CRM's stand-in counted 91 of a budget of 90 in its busiest 10 s).
WINDOW_MARGIN_SECONDS = 1.0
# A wait this short is slept in place; a longer one hands the worker back (the job is deferred).
SHORT_WAIT_SECONDS = 2.0
# Slots older than this are of no use to any window; a take deletes them as it goes.
KEEP = timedelta(seconds=60)
# An in-flight slot not released after this many latencies (and at least STALE_SECONDS) counts as
# answered: its worker died, or the CRM is slow to answer it. The rate window still holds either way.
STALE_LATENCIES = 4
STALE_SECONDS = 5.0
# A simulation that asked for a slot this recently shares the budget.
FAIR_SECONDS = 2.0
# Until a connection has answered, assume a second per batch (a CRM's usual time for one).
ASSUMED_LATENCY_MS = 1000.0
# Requests in flight beyond budget x latency, to cover the latency's jitter.
IN_FLIGHT_SPARE = 2
# A CRM's day is counted over the current hour and the DAY_HOURS before it: whenever the CRM's day starts
# (at midnight in the account's time zone, say), all of its requests are in that count, so SimCRM never
# runs into the CRM's daily refusal, and waits at most an hour longer than it would need to.
DAY_HOURS = 24
# Weight of the newest answer in the latency's moving average.
LATENCY_WEIGHT = 0.2


class BudgetExhausted(Exception):
    """No request may be sent now; try again in `wait` seconds."""

    def __init__(self, wait: float, reason: str) -> None:
        super().__init__(reason)
        self.wait = wait


def requests_per_window(connection: Connection) -> int:
    """The budget: 90% of the tier's limit per the CRM's rolling window, leaving room for other apps' bursts."""
    return crm_adapter(connection.kind).budget.requests_per_window[connection.tier] * 9 // 10


def requests_per_day(connection: Connection) -> int | None:
    """How many requests SimCRM may send in a day: 90% of the tier's daily limit, for the same reason; for a
    CRM that reports its daily usage, the connection's `daily_share` of what the other apps of the account
    leave of its allocation (as last reported). None when the CRM has no daily limit."""
    daily = crm_adapter(connection.kind).budget.requests_per_day.get(connection.tier)
    if connection.daily_share is not None:
        allocation = int(connection.crm_usage.get("max") or daily or 0)
        others = int(connection.crm_usage.get("others") or 0)
        return max(0, math.floor(connection.daily_share * max(0, allocation - others)))
    return None if daily is None else daily * 9 // 10


def daily_usage_note(*, connection_id: int, usage: tuple[int, int] | None) -> None:
    """Keep the account's daily usage as the CRM reported it (used, allocation): what other apps used is the
    reported count less SimCRM's own requests of the day, which the budget counts itself."""
    if usage is None:
        return
    used, allocation = usage
    with transaction.atomic():
        connection = Connection.objects.select_for_update().only("id", "requests_by_hour").get(pk=connection_id)
        now = timezone.now()
        own = sum(_hours(connection, now).values())
        crm_usage = {"max": allocation, "others": max(0, used - own), "used": used, "at": round(now.timestamp())}
        Connection.objects.filter(pk=connection_id).update(crm_usage=crm_usage)


def in_flight_cap(connection: Connection) -> int:
    """How many requests the connection keeps in flight: its budget per second times the latency, and a spare,
    within the CRM's own cap on concurrent requests."""
    limit = requests_per_window(connection)
    per_second = limit / _window(connection).total_seconds()
    cap = math.ceil(per_second * latency_seconds(connection)) + IN_FLIGHT_SPARE
    crm_cap = crm_adapter(connection.kind).budget.max_in_flight
    return max(1, min(limit, cap, crm_cap or cap))


def _window(connection: Connection) -> timedelta:
    return timedelta(seconds=crm_adapter(connection.kind).budget.window_seconds + WINDOW_MARGIN_SECONDS)


def latency_seconds(connection: Connection) -> float:
    """How long the CRM takes to answer (its moving average), or a second until it has answered."""
    return (connection.latency_ms if connection.latency_ms is not None else ASSUMED_LATENCY_MS) / 1000


def budget_take(
    *, connection_id: int, simulation_id: int | None = None, up_to: int = 1, ignore_block: bool = False
) -> list[int]:
    """Take between one and `up_to` request slots now and return their ids, or raise BudgetExhausted
    with how long to wait.

    With a `simulation_id` the slots are a delivery's and stay in flight until `budget_release`;
    without, they count against the rate only (a token check, a probe, a property set-up).
    `ignore_block`: the one probe of a connection that a daily limit blocks.
    """
    with transaction.atomic():
        connection = (
            Connection.objects.select_for_update()
            .only(
                "id",
                "kind",
                "tier",
                "blocked_until",
                "latency_ms",
                "wanting",
                "requests_by_hour",
                "daily_share",
                "crm_usage",
            )
            .get(pk=connection_id)
        )
        now = timezone.now()
        if not ignore_block and connection.blocked_until is not None and connection.blocked_until > now:
            wait = (connection.blocked_until - now).total_seconds()
            raise BudgetExhausted(wait, f"The CRM asked SimCRM to wait {wait:.0f} s more.")
        sharing = _sharing(connection, simulation_id, now.timestamp())
        hours = _hours(connection, now)
        granted = _day_room(connection, hours, now, up_to)
        if isinstance(granted, int):
            granted = _room(connection, simulation_id, sharing, now, granted)
        if isinstance(granted, int):
            slots = ConnectionRequest.objects.bulk_create(
                ConnectionRequest(
                    connection_id=connection_id,
                    simulation_id=simulation_id,
                    at=now,
                    done_at=None if simulation_id is not None else now,
                )
                for _ in range(granted)
            )
            hour = str(_hour(now))
            hours[hour] = hours.get(hour, 0) + granted
            Connection.objects.filter(pk=connection_id).update(
                requests_sent=F("requests_sent") + granted, requests_by_hour=hours
            )
            ids = [slot.pk for slot in slots if slot.pk is not None]
            if any(slot_id % 50 == 0 for slot_id in ids):
                ConnectionRequest.objects.filter(connection_id=connection_id, at__lt=now - KEEP).delete()
    if not isinstance(granted, int):
        raise granted
    return ids


def budget_release(*, connection_id: int, slot_ids: list[int], latencies: list[float]) -> None:
    """These slots' requests have their answers (or none will come): they no longer fly.
    `latencies`: how long the CRM took to answer them, for the latency's moving average."""
    ConnectionRequest.objects.filter(pk__in=slot_ids, done_at__isnull=True).update(done_at=timezone.now())
    if latencies:
        sample = sum(latencies) / len(latencies) * 1000
        Connection.objects.filter(pk=connection_id).update(
            latency_ms=Coalesce(F("latency_ms") * (1 - LATENCY_WEIGHT) + sample * LATENCY_WEIGHT, Value(sample))
        )


def budget_unuse(*, slot_ids: list[int]) -> None:
    """Give back slots taken for requests that were not sent after all (the day's count keeps them: it errs
    on the safe side)."""
    if slot_ids:
        ConnectionRequest.objects.filter(pk__in=slot_ids).delete()


def budget_wait_and_take(*, connection_id: int, ignore_block: bool = False) -> None:
    """budget_take of one slot for a single request, sleeping through short waits."""
    while True:
        try:
            budget_take(connection_id=connection_id, ignore_block=ignore_block)
            return
        except BudgetExhausted as exhausted:
            if exhausted.wait > SHORT_WAIT_SECONDS:
                raise
            time.sleep(exhausted.wait)


def connection_block(*, connection_id: int, seconds: float) -> None:
    """Send nothing on this connection for `seconds` (the CRM's retry-after, or until the next probe)."""
    until = timezone.now() + timedelta(seconds=seconds)
    Connection.objects.filter(pk=connection_id).update(blocked_until=until)


def _sharing(connection: Connection, simulation_id: int | None, now: float) -> int:
    """How many simulations share the connection now, this one included; notes that this one asked."""
    if simulation_id is None:
        return 1
    key = str(simulation_id)
    wanting = {sim: at for sim, at in connection.wanting.items() if at > now - FAIR_SECONDS}
    if now - wanting.get(key, 0.0) > FAIR_SECONDS / 4 or len(wanting) != len(connection.wanting):
        wanting[key] = now  # written at most a few times a second per simulation
        Connection.objects.filter(pk=connection.pk).update(wanting=wanting)
    wanting.setdefault(key, now)
    return len(wanting)


def _hour(now: datetime) -> int:
    return int(now.timestamp() // 3600)


def _hours(connection: Connection, now: datetime) -> dict[str, int]:
    """The requests of the current hour and the DAY_HOURS before it, by hour."""
    first = _hour(now) - DAY_HOURS
    return {hour: n for hour, n in connection.requests_by_hour.items() if int(hour) >= first}


def _day_room(connection: Connection, hours: dict[str, int], now: datetime, up_to: int) -> int | BudgetExhausted:
    """How many of `up_to` requests the day has room for, or how long until its oldest hour leaves the count."""
    daily = requests_per_day(connection)
    if daily is None:
        return up_to
    room = daily - sum(hours.values())
    if room > 0:
        return min(up_to, room)
    leaves = (min(int(hour) for hour in hours) + DAY_HOURS + 1) * 3600
    wait = max(leaves - now.timestamp(), 1.0)
    return BudgetExhausted(wait, f"The connection's budget of {daily} requests a day is used up.")


def _room(
    connection: Connection, simulation_id: int | None, sharing: int, now: datetime, up_to: int
) -> int | BudgetExhausted:
    """How many slots (1 to `up_to`) may be taken now, or why none may (with how long to wait)."""
    window = _window(connection)
    window_start = now - window
    stale = now - timedelta(seconds=max(STALE_SECONDS, STALE_LATENCIES * latency_seconds(connection)))
    mine = Q(simulation_id=simulation_id)
    flying = Q(done_at__isnull=True, at__gt=stale)
    counts = ConnectionRequest.objects.filter(connection_id=connection.pk, at__gt=min(stale, window_start)).aggregate(
        used=Count("id", filter=Q(at__gt=window_start)),
        used_mine=Count("id", filter=Q(at__gt=window_start) & mine),
        flying=Count("id", filter=flying),
        flying_mine=Count("id", filter=flying & mine),
    )
    limit = requests_per_window(connection)
    room = _shared_room(limit, counts["used"], counts["used_mine"], sharing)
    if room == 0:
        oldest = (
            ConnectionRequest.objects.filter(connection_id=connection.pk, at__gt=window_start)
            .order_by("at")
            .values_list("at", flat=True)
            .first()
        )
        wait = max(((oldest or now) + window - now).total_seconds(), 0.05)
        if counts["used"] < limit:
            wait = min(wait, 0.25)  # the slots kept for others may go unused: look again soon
        seconds = window.total_seconds() - WINDOW_MARGIN_SECONDS
        return BudgetExhausted(wait, f"The connection's budget of {limit} requests per {seconds:.0f} s is used up.")
    if simulation_id is None:
        return min(up_to, room)
    cap = in_flight_cap(connection)
    flight = _shared_room(cap, counts["flying"], counts["flying_mine"], sharing)
    if flight == 0:
        return BudgetExhausted(0.05, f"{cap} requests are in flight on this connection; waiting for an answer.")
    return min(up_to, room, flight)


def _shared_room(limit: int, used: int, used_mine: int, sharing: int) -> int:
    """Free slots one simulation may take: up to its even share freely, and past it all but one slot
    for each other simulation sharing, which stays for them."""
    share = limit // sharing
    within = max(0, min(share - used_mine, limit - used))
    beyond = max(0, limit - (sharing - 1) - used - within)
    return within + beyond

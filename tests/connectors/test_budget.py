"""The shared request budget: its rolling window, its day, the requests it keeps in flight, and how simulations
share it."""

import dataclasses
import time

import pytest

from connectors.budget import (
    SHORT_WAIT_SECONDS,
    BudgetExhausted,
    budget_release,
    budget_take,
    in_flight_cap,
    requests_per_day,
    requests_per_window,
)
from connectors.crm.base import crm_adapter
from connectors.forecast import crm_requests_forecast
from connectors.models import Connection, ConnectionRequest
from simulations.delivery import DeliveryVolume
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection() -> Connection:
    return ConnectionFactory.create(name="Portal")


def test_the_flight_is_the_budget_per_second_times_the_latency(connection: Connection) -> None:
    assert requests_per_window(connection) == 90
    assert in_flight_cap(connection) == 11  # no answer yet: HubSpot's usual second, and a spare of 2
    connection.latency_ms = 800
    assert in_flight_cap(connection) == 9  # 90 per 11 s is 8.2/s; x 0.8 s = 6.5 -> 7, and 2
    connection.latency_ms = 5
    assert in_flight_cap(connection) == 3
    connection.tier = "enterprise"
    connection.latency_ms = 2000
    assert in_flight_cap(connection) == 34


def test_requests_fly_until_released_and_the_latency_is_averaged(connection: Connection) -> None:
    Connection.objects.filter(pk=connection.pk).update(latency_ms=800)
    slots = budget_take(connection_id=connection.pk, simulation_id=1, up_to=20)
    assert len(slots) == 9  # as many as may fly
    with pytest.raises(BudgetExhausted, match="in flight"):
        budget_take(connection_id=connection.pk, simulation_id=1)
    # A token check or a probe counts against the rate, never against the flight.
    budget_take(connection_id=connection.pk)

    budget_release(connection_id=connection.pk, slot_ids=slots[:1], latencies=[1.8])
    assert Connection.objects.get(pk=connection.pk).latency_ms == pytest.approx(800 * 0.8 + 1800 * 0.2)
    budget_take(connection_id=connection.pk, simulation_id=1)
    assert ConnectionRequest.objects.filter(done_at__isnull=True).count() == 9


def test_the_rolling_window_holds_90_requests(connection: Connection) -> None:
    for _ in range(90):
        budget_take(connection_id=connection.pk)
    with pytest.raises(BudgetExhausted, match="90 requests per 10 s") as refused:
        budget_take(connection_id=connection.pk)
    assert 9.5 < refused.value.wait <= 11  # until the first of them leaves the rolling 11 s


def test_a_simulation_past_its_share_leaves_the_last_slots_to_the_others(connection: Connection) -> None:
    Connection.objects.filter(pk=connection.pk).update(latency_ms=800)  # a flight of 9
    backfill, live = 1, 2
    slots = [slot for _ in range(9) for slot in budget_take(connection_id=connection.pk, simulation_id=backfill)]
    with pytest.raises(BudgetExhausted, match="in flight"):
        budget_take(connection_id=connection.pk, simulation_id=live)  # it asked: the two share from now on
    budget_release(connection_id=connection.pk, slot_ids=slots[:1], latencies=[])
    with pytest.raises(BudgetExhausted, match="in flight"):
        budget_take(connection_id=connection.pk, simulation_id=backfill)  # past its share: the slot is kept
    budget_take(connection_id=connection.pk, simulation_id=live)
    assert ConnectionRequest.objects.filter(simulation_id=live, done_at__isnull=True).count() == 1


def test_a_simulation_past_its_share_of_the_window_uses_all_but_the_slots_kept_for_the_others(
    connection: Connection,
) -> None:
    backfill, live = 1, 2

    def take(simulation_id: int) -> None:
        slots = budget_take(connection_id=connection.pk, simulation_id=simulation_id)
        budget_release(connection_id=connection.pk, slot_ids=slots, latencies=[0.01])  # answered at once

    for _ in range(60):
        take(backfill)  # alone: far past half of the window
    take(live)
    taken = 0
    with pytest.raises(BudgetExhausted, match="used up"):
        while True:
            take(backfill)
            taken += 1
    assert taken == 28  # 60 + 1 + 28 = 89: the 90th is kept for the live simulation
    take(live)
    with pytest.raises(BudgetExhausted, match="used up"):
        take(live)


def test_the_day_holds_90_percent_of_the_tiers_daily_limit_counted_by_the_hour(connection: Connection) -> None:
    assert requests_per_day(connection) == 225_000  # HubSpot's starter: 250,000 a day
    hour = int(time.time() // 3600)
    # 3 hours ago, near the limit; and 30 hours ago, outside any day that could still count.
    Connection.objects.filter(pk=connection.pk).update(
        requests_by_hour={str(hour - 3): 224_990, str(hour - 30): 100_000}
    )
    assert len(budget_take(connection_id=connection.pk, up_to=20)) == 10
    with pytest.raises(BudgetExhausted, match="225000 requests a day") as refused:
        budget_take(connection_id=connection.pk)
    # Until the hour of those requests leaves the count: 22 hours from now, at most one hour more.
    assert 21 * 3600 < refused.value.wait <= 22 * 3600
    counted = Connection.objects.get(pk=connection.pk).requests_by_hour
    assert counted == {str(hour - 3): 224_990, str(hour): 10}  # the old hour is gone


def test_a_delivery_past_the_day_is_deferred_like_a_full_window(connection: Connection) -> None:
    hour = int(time.time() // 3600)
    Connection.objects.filter(pk=connection.pk).update(requests_by_hour={str(hour - 24): 225_000})
    with pytest.raises(BudgetExhausted) as refused:
        budget_take(connection_id=connection.pk, simulation_id=1, up_to=5)
    assert refused.value.wait > SHORT_WAIT_SECONDS  # a delivery hands its worker back
    assert not ConnectionRequest.objects.exists()
    # The new hour's count starts when that hour leaves (simulated here by moving it back).
    Connection.objects.filter(pk=connection.pk).update(requests_by_hour={str(hour - 25): 225_000})
    assert len(budget_take(connection_id=connection.pk, simulation_id=1, up_to=5)) == 5


def test_a_crm_without_a_daily_limit_counts_no_day(connection: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = crm_adapter(connection.kind)
    monkeypatch.setattr(adapter, "budget", dataclasses.replace(adapter.budget, requests_per_day={}))
    assert requests_per_day(connection) is None
    Connection.objects.filter(pk=connection.pk).update(requests_by_hour={str(int(time.time() // 3600)): 10**9})
    assert len(budget_take(connection_id=connection.pk, up_to=3)) == 3


def test_the_forecast_adds_a_day_for_each_daily_limit_a_run_goes_past(connection: Connection) -> None:
    small = DeliveryVolume(creates={"contacts": 900}, updates={}, associations={})
    estimate = crm_requests_forecast(connection.pk, small)
    assert estimate.requests == 9 and estimate.seconds == pytest.approx(1.0)  # 9 requests a second
    assert estimate.day_use == pytest.approx(9 / 225_000) and estimate.warning == ""
    # 50 million contacts: 500,000 batches, past two daily limits of 225,000.
    huge = DeliveryVolume(creates={"contacts": 50_000_000}, updates={}, associations={})
    estimate = crm_requests_forecast(connection.pk, huge)
    assert estimate.requests == 500_000
    assert estimate.seconds == pytest.approx(2 * 86_400 + 50_000 / 9)
    assert "about 3 days" in estimate.warning and "225,000 a day" in estimate.warning

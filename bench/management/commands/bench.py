from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench import BenchError, Options, run
from bench.scenarios import SCENARIOS


class Command(BaseCommand):
    help = (
        "Benchmark the job runner on a dedicated PostgreSQL database (never DATABASE_URL's own) with the OpenAI "
        "stand-in, and print one table. Takes about 3 minutes on a 2-core machine; --quick takes well under one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that the benchmark runs")
        parser.add_argument("--only", action="append", choices=SCENARIOS, default=[], help="run just this scenario")
        parser.add_argument("--db-name", default="simcrm_bench", help="the benchmark's database (dropped, recreated)")
        parser.add_argument("--keep-db", action="store_true", help="leave the benchmark database behind")
        parser.add_argument("--workdir", default=None, help="where the worker logs go (default: a temp directory)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run(
                Options(
                    quick=options["quick"],
                    only=tuple(options["only"]),
                    db_name=options["db_name"],
                    keep_db=options["keep_db"],
                    workdir=options["workdir"],
                ),
                database=settings.DATABASES["default"],
                out=self.stdout,
            )
        except BenchError as error:
            raise CommandError(str(error)) from error

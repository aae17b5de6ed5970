from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from standins.openai import add_arguments, serve_from_arguments


class Command(BaseCommand):
    help = (
        "Run a local stand-in of OpenAI's chat completions API, so SimCRM's OpenAI path can be tried without a key. "
        "Point SimCRM at it with OPENAI_BASE_URL=<the printed URL> and any OPENAI_API_KEY (or the one given with "
        "--api-key). Ctrl+C stops it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        serve_from_arguments(options)

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from standins.salesforce import add_arguments, serve_from_arguments


class Command(BaseCommand):
    help = (
        "Run a local stand-in of the Salesforce REST API subset SimCRM delivers to, with its OAuth token endpoint, "
        "daily allocation and per-record errors, so delivery can be tried without an org. Create a SimCRM "
        "connection with the printed instance URL, client id and secret. Ctrl+C stops it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        serve_from_arguments(options)

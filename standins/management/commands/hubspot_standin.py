from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from standins.hubspot import add_arguments, serve_from_arguments


class Command(BaseCommand):
    help = (
        "Run a local stand-in of the HubSpot API subset SimCRM delivers to, with HubSpot's limits and errors, so "
        "delivery can be tried without a portal. Create a SimCRM connection with the printed base URL and token. "
        "Ctrl+C stops it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        serve_from_arguments(options)

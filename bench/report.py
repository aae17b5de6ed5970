"""The benchmark's one table, in plain text (it reads well in a terminal and pasted into Markdown)."""

from typing import Any

COLUMNS = ("scenario", "measured", "reference (same run)", "ratio", "target", "met?")


def _met(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


def render(results: dict[str, Any]) -> str:
    rows = [
        (row["scenario"], row["measured"], row["reference"], row["ratio"], row["target"], _met(row["met"]))
        for row in results["rows"]
    ]
    widths = [max(len(cells[i]) for cells in [COLUMNS, *rows]) for i in range(len(COLUMNS))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    out = [line(COLUMNS), "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
    out += [line(cells) for cells in rows]
    out += [""] + [f"- {note}" for note in results["notes"]]
    return "\n".join(out)

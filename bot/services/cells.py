"""Cells of files people open in a spreadsheet (room lists, feedback exports)."""

from __future__ import annotations

# A cell starting with one of these is a formula to Excel, LibreOffice or Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A text cell that starts like a formula gets a `'`, which spreadsheets read as
    "this is text" and do not show. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

"""CSV cells a spreadsheet reads as text, and back.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula
by Excel, LibreOffice and Google Sheets; a diary note such as ``=HYPERLINK(...)`` would then
act in the coach's spreadsheet. The OWASP rule ("CSV Injection") is to put a single quote in
front of such a cell, which spreadsheets show as text; :func:`from_csv_cell` removes it on
import so that an exported diary imports unchanged.
"""

from __future__ import annotations

#: A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """``text`` as a spreadsheet reads it as text: a single quote before a formula start.

    Quotes already in front of one are doubled up too, so :func:`from_csv_cell` gives back
    exactly ``text``.
    """
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def from_csv_cell(text: str | None) -> str | None:
    """Undo :func:`csv_cell`."""
    if text and text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text

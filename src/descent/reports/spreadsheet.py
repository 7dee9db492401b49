"""Every CSV file the kit writes goes through here, so that no cell can become a formula.

A spreadsheet program (Excel, LibreOffice, Google Sheets) reads a cell that starts with ``=``,
``+``, ``-`` or ``@`` as a formula, and one that starts with blanks may be trimmed into one
(LibreOffice's "trim spaces", Excel's import, a tab or a no-break space included); a
fullwidth ``＝`` is read as ``=`` by spreadsheets that fold character widths; a tab starts a
new cell for whoever opens the file with tabs as the separator. A student id or a folder name
such as ``=HYPERLINK(...)`` or ``=cmd|' /C calc'!A0`` would then run on the instructor's machine
when the grades are opened (CSV injection, OWASP). The rule, applied to every cell of every row:

* a number (an ``int`` or ``float``) is written as a number, and so is text that is one
  (``-5``, ``12.5``): a negative penalty stays a number a spreadsheet can add up;
* any other text whose first character, once any blanks (every Unicode space, tabs, line
  breaks, and invisible format characters such as a zero-width space) are passed over, is one
  of :data:`FORMULA` (``=``, ``+``, ``-``, ``@`` and their fullwidth forms), or that holds a
  tab, gets a single quote in front (``'=1+2``, ``' =1+2``), which spreadsheets show as text
  and never evaluate; so does each part of it after a tab that would start that way;
* a text cell that holds a separator (``,``, or ``;``, which spreadsheets of some locales
  split on), a double quote, a tab or a line break is written between double quotes (quotes
  inside doubled), so no part of it can start a new cell whose first character would escape
  the rule above. Other cells are written bare, as the LMS importers expect a plain header.

The cost: an id that starts with one of those characters no longer matches the same id in an
LMS, which is why :func:`neutralized` lists the cells it changed, for the caller to report.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import DescentError

FORMULA = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and fullwidth
TRIGGERS = (*FORMULA, "\t", "\r")  # what a cell may not start with (the first rule above)
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_NEEDS_QUOTES = (",", ";", '"', "\n", "\r", "\t")


class OutputError(DescentError):
    """A file cannot be written where it was asked for; the message says why."""


def cell(value: object) -> str:
    """One cell as it appears in the file (see the module doc)."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)  # as the csv module writes numbers
    text = str(value)
    if _NUMBER.fullmatch(text):
        return text
    if _starts_formula(text) or "\t" in text:
        text = "'" + "\t".join(
            part if n == 0 or not _starts_formula(part) else "'" + part
            for n, part in enumerate(text.split("\t"))
        )
    if any(mark in text for mark in _NEEDS_QUOTES):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _starts_formula(text: str) -> bool:
    """Whether ``text``, past any blanks and invisible characters, starts like a formula."""
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp", "Cc"):
            continue
        return char in FORMULA
    return False


def neutralized(rows: Iterable[Sequence[object]]) -> list[str]:
    """The text cells of ``rows`` that :func:`cell` prefixes with a quote."""
    return [
        str(v)
        for row in rows
        for v in row
        if isinstance(v, str) and not _NUMBER.fullmatch(v) and (_starts_formula(v) or "\t" in v)
    ]


def render(rows: Iterable[Sequence[object]]) -> str:
    """The CSV text of ``rows`` (``\\n`` line ends, every cell through :func:`cell`)."""
    return "".join(",".join(cell(v) for v in row) + "\n" for row in rows)


def write(path: str | Path, text: str, *, bom: bool = True) -> Path:
    """Write CSV ``text`` to ``path`` as UTF-8, with a byte-order mark unless ``bom`` is False
    (Excel reads non-ASCII names such as "Châtelet" correctly only with it; Canvas, Moodle,
    Python's ``utf-8-sig`` and pandas skip it). A path that cannot take a file raises
    :class:`OutputError` with the reason instead of a traceback."""
    path = Path(path)
    check_output_file(path)
    try:
        path.write_text(text, encoding="utf-8-sig" if bom else "utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def check_output_file(path: str | Path) -> None:
    """Refuse, with the reason, an output path that is a folder (or is written as one, with a
    separator at its end), lies in a folder that does not exist, or cannot be written."""
    if isinstance(path, str) and path.endswith(("/", os.sep)):
        raise OutputError(f"{path}: a folder (give a file name, such as {path}out.csv)")
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: Is a directory (give a file name, such as {path / 'out.csv'})")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"cannot write {path}: permission denied")

r"""Every CSV file the kit writes goes through here, so that no cell can become a formula.

A spreadsheet program (Excel, LibreOffice, Google Sheets) reads a cell that starts with ``=``,
``+``, ``-`` or ``@`` as a formula, and one that starts with blanks may be trimmed into one
(LibreOffice's "trim spaces", Excel's import, a tab or a no-break space included); a
fullwidth ``＝`` is read as ``=`` by spreadsheets that fold character widths; a tab starts a
new cell for whoever opens the file with tabs as the separator. A student id or a folder name
such as ``=HYPERLINK(...)`` or ``=cmd|' /C calc'!A0`` would then run on the instructor's machine
when the grades are opened (CSV injection, OWASP). The rule, applied to every cell of every row:

* a number (an ``int`` or ``float``) is written as a number, and so is text that is one
  (``-5``, ``12.5``): a negative penalty stays a number a spreadsheet can add up;
* a number is written with ASCII digits only: ``-٣`` (an Arabic-Indic digit) is text, not a
  number (Python's ``\d`` would take it for one, and the cell went out bare, opening with a
  minus);
* any other text whose first character, once any blanks (every Unicode space, tabs, line
  breaks, and invisible format characters such as a zero-width space) are passed over, reads
  as a formula's opening, gets a single quote in front (``'=1+2``, ``' =1+2``), which
  spreadsheets show as text and never evaluate. A formula's opening is ``=``, ``+``, ``-`` or
  ``@`` once the character is folded to its compatibility form (Unicode NFKC: the fullwidth
  ``＝``, the small ``﹢``, the superscript ``⁺``), or any mathematical sign or dash (Unicode
  categories Sm and Pd: the minus sign ``−``, ``‐``, ``–``), which some spreadsheets take for a
  minus. A cell that holds a tab gets the quote too, and so does each part of a cell after a
  tab or a line break of any kind (``\n``, ``\r``, the vertical tab ``\x0b``, the form feed,
  ``\x1c``-``\x1e``, ``\x85``, ``\u2028``, ``\u2029``: a reader that splits lines or cells
  there starts a new one) that would open a formula;
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

FORMULA = ("=", "+", "-", "@")  # a formula's opening, once folded (NFKC): ＝ ﹢ ⁺ are too
_SIGNS = ("Sm", "Pd")  # any mathematical sign or dash: − (U+2212) and ‐ – read as a minus
# Where a reader may start a new line or cell: the tab and every line break str.splitlines
# knows (\x0b, the vertical tab, and \u2028 among them).
BREAKS = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_BREAK = re.compile(f"[{BREAKS}]")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")  # ASCII digits: \d takes ٣ for a digit
_NEEDS_QUOTES = (",", ";", '"', *BREAKS)


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
    if _needs_quote(text):
        parts = _BREAK.split(text)
        breaks = _BREAK.findall(text) + [""]
        text = "'" + "".join(
            (part if n == 0 or not _starts_formula(part) else "'" + part) + mark
            for n, (part, mark) in enumerate(zip(parts, breaks))
        )
    if any(mark in text for mark in _NEEDS_QUOTES):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _needs_quote(text: str) -> bool:
    """Whether ``text`` gets a quote in front: it opens a formula, holds a tab, or a part of it
    after a tab or line break opens one."""
    return "\t" in text or any(_starts_formula(part) for part in _BREAK.split(text))


def _starts_formula(text: str) -> bool:
    """Whether ``text``, past any blanks and invisible characters, starts like a formula."""
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp", "Cc"):
            continue
        folded = unicodedata.normalize("NFKC", char)
        return folded[:1] in FORMULA or unicodedata.category(char) in _SIGNS
    return False


def neutralized(rows: Iterable[Sequence[object]]) -> list[str]:
    """The text cells of ``rows`` that :func:`cell` prefixes with a quote."""
    return [
        str(v)
        for row in rows
        for v in row
        if isinstance(v, str) and not _NUMBER.fullmatch(v) and _needs_quote(v)
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

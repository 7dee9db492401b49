"""A page of the docs made whole by ``descent docs`` (the reference pages under
``docs/reference/``), as against a table between two marker lines of a page written by hand
(:func:`.exercise_table.replace_between`).

Such a page opens with a comment that names its source and says not to edit it; ``descent docs``
writes it and ``descent docs --check`` says whether the file differs from what the code makes now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path


def header(source: str) -> str:
    """The first line of a generated page: where it comes from, and that editing it is lost."""
    return (
        f"<!-- This page is made by `descent docs` from {source}. Do not edit it: change the "
        f"code and run `descent docs` (`descent docs --check` fails while it is stale). -->\n"
    )


# What Markdown would read as markup in plain text: emphasis (``bug:*``), a tag
# (``<rootdir>``), code, a cell's end. Each is written escaped, so it shows as typed.
_MARKUP = str.maketrans({c: "\\" + c for c in "\\`*_|"} | {"<": "&lt;"})


def prose(text: str) -> str:
    """Plain text (a help string, a key's meaning) as a Markdown table cell shows it: on one
    line, every character as typed."""
    return " ".join(text.split()).translate(_MARKUP)


def table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table: a header of ``columns``, then each row's cells (already written as
    Markdown: a key in code, prose escaped with :func:`prose`)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def update(kit: Path, page: Path, text: str, *, check: bool = False) -> list[Path]:
    """Write ``text`` to ``kit / page`` (with ``check``, only compare); ``[page]`` when the file
    was missing or differed."""
    path = kit / page
    old = path.read_text() if path.is_file() else None
    if old == text:
        return []
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return [page]

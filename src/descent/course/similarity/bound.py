"""The cost bound of one file: at most :data:`MAX_SOURCE` characters of a module are compared.

Every step of the comparison is linear in the text it is given (parsing, normalization, pygments'
tokenizer, hashing, winnowing), so bounding the text bounds the time and the fingerprints of a
file (at most one per character of filtered code, so at most :data:`MAX_SOURCE`). Intake's limit
is 1 MiB per file; a real module is a few tens of kilobytes (the reference solutions are 10 to
16), so a module over the bound is compared in part and reported, never skipped: its top-level
statements that define the names the kit calls first, then the others in the file's order, as
long as they fit. The statements left out are blanked (their newlines kept), so every line keeps
its number and the evidence points at the student's own lines.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

MAX_SOURCE = 64 * 1024  # characters of one module compared: four times the largest solution

# Where a top-level statement may start: a definition, a decorator or an import at column 0.
_TOP = re.compile(r"^(?:@|def |async def |class |import |from )", re.M)
_NAME = re.compile(r"^(?:async def|def|class)\s+(\w+)", re.M)


def within(text: str, exported: Sequence[str]) -> tuple[str, tuple[int, int] | None]:
    """``text`` within the bound, and (characters kept, of how many) when it was cut."""
    if len(text) <= MAX_SOURCE:
        return text, None
    chunks = _chunks(text)
    wanted = set(exported)
    first = [i for i, c in enumerate(chunks) if i == 0 or _defines(c) in wanted]
    order = first + [i for i in range(len(chunks)) if i not in set(first)]
    kept: set[int] = set()
    size = 0
    for i in order:
        if size + len(chunks[i]) <= MAX_SOURCE:
            kept.add(i)
            size += len(chunks[i])
    if not kept or not _parses(chosen := _blanked(chunks, kept)):
        # a chunk boundary fell inside a statement (or nothing fits): keep a prefix instead,
        # compared as written if it is not Python on its own
        kept, size = set(), 0
        for i, chunk in enumerate(chunks):
            if size + len(chunk) > MAX_SOURCE:
                break
            kept.add(i)
            size += len(chunk)
        chosen = _blanked(chunks, kept)
    return chosen, (size, len(text))


def _blanked(chunks: list[str], kept: set[int]) -> str:
    return "".join(c if i in kept else "\n" * c.count("\n") for i, c in enumerate(chunks))


def _chunks(text: str) -> list[str]:
    """``text`` cut where top-level statements start (a decorator stays with its definition)."""
    starts = [0]
    for match in _TOP.finditer(text):
        at = match.start()
        line_before = text[text.rfind("\n", 0, max(at - 1, 0)) + 1 : at]
        if at and not line_before.startswith("@"):
            starts.append(at)
    starts.append(len(text))
    return [text[a:b] for a, b in zip(starts, starts[1:]) if b > a]


def _defines(chunk: str) -> str:
    found = _NAME.search(chunk)
    return found.group(1) if found else ""


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True

"""The console every command prints to (rich), and text fitted to a stream's encoding."""

from __future__ import annotations

import io
from typing import TextIO

from rich.console import Console

# Reports are tables: keep them readable when the output is a pipe or a CI log.
console = Console(width=None if Console().is_terminal else 140)


# Windows writes a redirected stream, a CI log or some IDE consoles in its ANSI code page
# (cp1252), which has no box-drawing characters and no Greek letters.


class Rendering(io.StringIO):
    """A buffer for a rich rendering that will be written to a stream of ``encoding``: rich
    reads the encoding and draws its tables in ASCII where the stream cannot draw them."""

    def __init__(self, encoding: str | None):
        super().__init__()
        self._encoding = encoding or "utf-8"

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    def text(self) -> str:
        """What was rendered, each character the encoding lacks replaced by ``?``."""
        return self.getvalue().encode(self._encoding, "replace").decode(self._encoding)


def tolerate_encoding(*streams: TextIO) -> None:
    """Write a character a stream's encoding lacks as ``?`` instead of failing (a student's
    exception text in a table printed to a cp1252 pipe)."""
    for stream in streams:
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")

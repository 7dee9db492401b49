"""The console every command prints to (rich)."""

from __future__ import annotations

from rich.console import Console

# Reports are tables: keep them readable when the output is a pipe or a CI log.
console = Console(width=None if Console().is_terminal else 140)

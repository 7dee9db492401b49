"""Reading the reference pages ``descent docs`` makes whole (docs/reference/commands.md,
course-toml.md, results-schema.md) in their tests: a page cut at its sections."""

from __future__ import annotations

import re
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
FIX = "run `descent docs`"  # what each test's failure asks for


def sections(page: Path) -> dict[str, str]:
    """The kit's page ``page`` (a path under the kit) cut at its ``## `` titles: title -> text."""
    text = (KIT / page).read_text()
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))

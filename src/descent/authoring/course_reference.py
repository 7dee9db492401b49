"""``docs/reference/course-toml.md``: the keys of the course plan, made from
:data:`descent.course.plan_keys.TABLES`, the table the plan's reader checks every key against.

One section per table of the plan, in the table's order, each a row per key: the kind of value,
the default when the key is absent, and its meaning (written in Markdown in the table itself).
"""

from __future__ import annotations

from pathlib import Path

from ..course import plan_keys
from .exercise_table import _cell as cell  # one escape for every table the docs hold
from .generated_page import header, table

PAGE = Path("docs") / "reference" / "course-toml.md"
SOURCE = "src/descent/course/plan_keys.py (TABLES)"


def section(name: str, keys: dict[str, plan_keys.Key]) -> str:
    """The section of one table: its header as TOML writes it, then a row per key."""
    rows = [(f"`{key}`", cell(k.kind), cell(k.default), cell(k.meaning)) for key, k in keys.items()]
    return f"## `{name}`\n\n" + table(("key", "value", "default", "meaning"), rows)


def page() -> str:
    """The whole page, as Markdown."""
    sections = "\n".join(section(name, keys) for name, keys in plan_keys.TABLES.items())
    return (
        header(SOURCE)
        + "\n# course.toml\n\nThe course plan: a TOML file, `course.toml` in the course folder "
        "or the file `--plan` names; `descent course check` reads it and lists every problem. "
        "A key not listed here is refused with the nearest listed one, so a typo is never "
        "ignored. A date-time without an offset (`2027-01-18T23:59:00`) is read in "
        "`[course] timezone`. The kit's own `course.toml` is a complete example.\n\n" + sections
    )

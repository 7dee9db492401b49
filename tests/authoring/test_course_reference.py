"""docs/reference/course-toml.md (``descent.authoring.course_reference``): a section per table
of the plan with a row per declared key. (That the plan reads exactly these keys:
tests/course/test_plan_keys.py; that the page is current: tests/test_docs.py.)"""

from __future__ import annotations

import pytest
from reference_pages import FIX, sections

from descent.authoring import course_reference
from descent.course import plan_keys

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

PAGE = course_reference.PAGE


def test_the_page_lists_every_key_of_every_table():
    found = sections(PAGE)
    for table, keys in plan_keys.TABLES.items():
        title = f"`{table}`"
        assert title in found, f"{PAGE}: no section {table}; {FIX}"
        for key in keys:
            assert f"| `{key}` |" in found[title], f"{PAGE}: {table} lacks {key}; {FIX}"

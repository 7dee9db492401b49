"""A docs page made whole by ``descent docs`` (``descent.authoring.generated_page``): it opens
with the header that names its source, a page edited by hand is stale (``--check`` changes
nothing), and plain text in a table cell shows as typed."""

from __future__ import annotations

import pytest
from conftest import KIT

from descent.authoring import course_reference, generated_page, results_reference
from descent.commands import reference as command_reference

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_each_page_says_it_is_made_by_descent_docs():
    for module in (command_reference, course_reference, results_reference):
        text = (KIT / module.PAGE).read_text()
        assert text.startswith(generated_page.header(module.SOURCE)), module.PAGE


def test_a_page_edited_by_hand_is_stale_and_rewritten(tmp_path):
    page, text = course_reference.PAGE, "<!-- made -->\n# A page\n\n| `grace_minutes` |\n"
    assert generated_page.update(tmp_path, page, text) == [page]  # a missing page is written
    assert generated_page.update(tmp_path, page, text, check=True) == []
    edited = text.replace("grace_minutes", "grace")
    (tmp_path / page).write_text(edited)
    assert generated_page.update(tmp_path, page, text, check=True) == [page]
    assert (tmp_path / page).read_text() == edited, "--check changed the page"
    assert generated_page.update(tmp_path, page, text) == [page]
    assert (tmp_path / page).read_text() == text


def test_plain_text_shows_as_typed_in_a_cell():
    """``bug:*`` would start emphasis, ``<rootdir>`` would vanish as a tag, ``|`` end the cell."""
    assert generated_page.prose("bug:*, a|b\n  <rootdir>") == r"bug:\*, a\|b &lt;rootdir>"


def test_a_table_has_its_header_rule_and_a_line_per_row():
    made = generated_page.table(("key", "meaning"), [("`a`", "first"), ("`b`", "second")])
    assert made == "| key | meaning |\n|---|---|\n| `a` | first |\n| `b` | second |\n"

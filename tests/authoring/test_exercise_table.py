"""The exercise tables of docs/reference/exercises.md (``descent.authoring.exercise_table``): made
from the registry and the references' source, between two marker lines that must be there once
each; a reference that lacks a function of the registry is named. (That the kit's page is current:
tests/test_docs.py.)"""

from __future__ import annotations

import shutil

import pytest
from conftest import KIT

from descent.authoring import exercise_table as table
from descent.errors import DescentError

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def kit(tmp_path):
    """A copy of the kit's references and of the page, to be edited."""
    shutil.copytree(KIT / "solutions", tmp_path / "solutions")
    (tmp_path / table.PAGE).parent.mkdir(parents=True)
    page = f"# Exercises\n\nintro\n\n{table.BEGIN}\n\nstale\n\n{table.END}\n\nafter\n"
    (tmp_path / table.PAGE).write_text(page)
    return tmp_path


def test_the_tables_replace_what_lies_between_the_markers_and_nothing_else(kit):
    assert table.update(kit, check=True) is True
    assert "stale" in (kit / table.PAGE).read_text()  # --check writes nothing
    assert table.update(kit) is True
    page = (kit / table.PAGE).read_text()
    assert page.startswith("# Exercises\n\nintro\n\n") and page.endswith(f"{table.END}\n\nafter\n")
    assert "stale" not in page and "## `losses.py`" in page
    assert "| `losses.mse` | `mse_forward(" in page
    assert table.update(kit, check=True) is False  # current now


def test_a_page_without_its_markers_once_each_is_refused(kit):
    for page in (
        "no markers",
        f"{table.END}\n{table.BEGIN}",
        f"{table.BEGIN}{table.BEGIN}{table.END}",
    ):
        with pytest.raises(DescentError, match="must hold the two marker lines once each"):
            table.render(page, kit)


def test_a_reference_without_a_function_of_the_registry_is_named(kit):
    path = kit / "solutions" / "losses.py"
    path.write_text(path.read_text().replace("def mse_backward(", "def mse_backward_renamed("))
    with pytest.raises(
        DescentError, match="losses.mse: solutions/losses.py defines no mse_backward"
    ):
        table.tables(kit)
    path.unlink()
    with pytest.raises(DescentError, match="the registry names module losses, but .* is missing"):
        table.tables(kit)


def test_a_bar_in_a_docstring_does_not_end_its_cell():
    assert table._cell("|x| for x in a") == "\\|x\\| for x in a"

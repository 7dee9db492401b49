"""The list of generic diagnoses in the docs (``descent.authoring.diagnosis_table``): the table of
docs/reference/generic-diagnoses.md and the map of ``diagnoses/__init__.py`` are made from
``diagnoses.package_map.MODULES``; ``descent docs --check`` exits 1 when either drifts, changing
nothing, and ``descent docs`` remakes them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from descent.authoring import diagnosis_table
from descent.commands import main
from descent.diagnoses import package_map

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[2]


def test_the_kit_s_table_and_map_are_made_from_the_list():
    assert diagnosis_table.update(KIT, check=True) == [], "stale: run `descent docs`"


def test_every_module_has_its_row_and_its_line():
    table = diagnosis_table.table(KIT)
    lines = diagnosis_table.module_map()
    for module in package_map.MODULES:
        assert f"| `{module.name}` | " in table and f":mod:`.{module.name}`" in lines
    # a row shows where the order puts the module's functions, and the kinds they declare
    derivative = next(r for r in table.splitlines() if r.startswith("| `derivative` |"))
    assert "values (tier 2); re-runs" in derivative and "`factor`, `term`" in derivative


def test_the_kinds_are_those_declared_and_written():
    written = 'Diagnosis("sign", "text"); _Change(kind="offset"); X = ("branch", "a text")'
    assert diagnosis_table.kinds("nowhere", written) == ["sign", "offset", "branch"]  # KINDS order
    # a module that builds no diagnosis names no kind, whatever kinds it mentions
    assert diagnosis_table.kinds("nowhere", 'FACTS = ("structure", "the text")') == []
    assert "omitted" in diagnosis_table.kinds("formula", "")  # from its entries in the order


@pytest.fixture
def kit(tmp_path, monkeypatch):
    """A copy of what ``descent docs`` reads and writes, as the kit it runs in."""
    for folder in ("docs", "solutions", "src/descent/diagnoses"):
        shutil.copytree(KIT / folder, tmp_path / folder)
    shutil.copy(KIT / "src/descent/registry.py", tmp_path / "src/descent/registry.py")  # PARTS
    (tmp_path / "graders").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_descent_docs_check_fails_on_a_drifted_table_and_docs_remakes_it(kit):
    page = kit / diagnosis_table.PAGE
    drifted = page.read_text().replace("| `cut` | re-runs |", "| `cut` | values (tier 1) |")
    page.write_text(drifted)
    assert main(["docs", "--check"]) == 1
    assert page.read_text() == drifted  # --check changes nothing
    assert main(["docs"]) == 0
    assert page.read_text() == (KIT / diagnosis_table.PAGE).read_text()
    assert main(["docs", "--check"]) == 0


def test_descent_docs_check_fails_on_a_hand_edited_map(kit):
    init = kit / "src" / "descent" / "diagnoses" / "__init__.py"
    init.write_text(init.read_text().replace("a list argument cut to one item.", "a list cut."))
    assert main(["docs", "--check"]) == 1
    assert main(["docs"]) == 0 and main(["docs", "--check"]) == 0


def test_a_page_without_its_markers_is_refused(kit):
    page = kit / diagnosis_table.PAGE
    page.write_text(page.read_text().replace(diagnosis_table.TABLE_END, ""))
    assert main(["docs", "--check"]) == 2

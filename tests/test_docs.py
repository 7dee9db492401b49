"""The documentation an author needs lives in the repository and covers every exercise."""

from __future__ import annotations

import inspect
import re

import pytest
from conftest import KIT, kit_package

from descent import registry

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_the_contract_lists_every_exercise_with_each_of_its_functions():
    text = (KIT / "docs" / "exercises.md").read_text()
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([\w.]+)` \| (.*?) \|", text, re.M)}
    for ex in registry.EXERCISES.values():
        assert ex.id in rows, f"{ex.id} is missing from docs/exercises.md"
        for name in ex.functions:
            assert f"`{name}" in rows[ex.id], f"{ex.id}: {name} is missing from its row"
    assert set(rows) == set(registry.EXERCISES), "docs/exercises.md lists an unknown exercise"


def test_the_exercise_tables_are_made_from_the_registry_and_the_references():
    from descent.commands import main

    assert main(["docs", "--check"]) == 0, "docs/exercises.md is stale: run `descent docs`"


def test_author_docs_point_only_inside_the_repository():
    for path in [KIT / "README.md", *sorted((KIT / "docs").glob("*.md"))]:
        assert "../shared" not in path.read_text(), f"{path.name} points outside the repository"


def test_the_contract_signatures_are_the_references():
    text = (KIT / "docs" / "exercises.md").read_text()
    with kit_package("solutions") as solution:
        for ex in registry.EXERCISES.values():
            module = solution(ex.module)
            for name in ex.functions:
                obj = getattr(module, name)
                shown = name if inspect.isclass(obj) else f"{name}{inspect.signature(obj)}"
                assert f"`{shown}`" in text, f"docs/exercises.md: {ex.id} should show {shown}"


def test_the_readme_tables_keep_short_cells():
    """The README is the kit's front page: each table cell one short line (at most 300
    characters; issue 83 found one of 2,945), the rest in docs/commands.md, which it links."""
    readme = (KIT / "README.md").read_text()
    long_cells = [
        cell[:60]
        for line in readme.splitlines()
        if line.startswith("|")
        for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))
        if len(cell.strip()) > 300
    ]
    assert not long_cells, long_cells
    commands = (KIT / "docs" / "commands.md").read_text()
    for anchor in re.findall(r"\(docs/commands\.md#([a-z0-9-]+)\)", readme):
        titles = re.findall(r"^## (.+)$", commands, re.M)
        assert anchor in {t.lower().replace(" ", "-") for t in titles}, anchor

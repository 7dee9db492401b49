"""The documentation an author needs lives in the repository and covers every exercise."""

from __future__ import annotations

import inspect
import re

import pytest
from conftest import KIT, kit_package

from descent import registry
from descent.authoring import exercise_table

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_the_contract_lists_every_exercise_with_each_of_its_functions():
    text = (KIT / exercise_table.PAGE).read_text()
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([\w.]+)` \| (.*?) \|", text, re.M)}
    for ex in registry.EXERCISES.values():
        assert ex.id in rows, f"{ex.id} is missing from docs/reference/exercises.md"
        for name in ex.functions:
            assert f"`{name}" in rows[ex.id], f"{ex.id}: {name} is missing from its row"
    assert set(rows) == set(registry.EXERCISES), (
        "docs/reference/exercises.md lists an unknown exercise"
    )


def test_the_exercise_tables_are_made_from_the_registry_and_the_references():
    from descent.commands import main

    assert main(["docs", "--check"]) == 0, (
        "docs/reference/exercises.md is stale: run `descent docs`"
    )


def test_author_docs_point_only_inside_the_repository():
    for path in [KIT / "README.md", *sorted((KIT / "docs").rglob("*.md"))]:
        assert "../shared" not in path.read_text(), f"{path.name} points outside the repository"


def test_the_contract_signatures_are_the_references():
    text = (KIT / exercise_table.PAGE).read_text()
    with kit_package("solutions") as solution:
        for ex in registry.EXERCISES.values():
            module = solution(ex.module)
            for name in ex.functions:
                obj = getattr(module, name)
                shown = name if inspect.isclass(obj) else f"{name}{inspect.signature(obj)}"
                assert f"`{shown}`" in text, (
                    f"docs/reference/exercises.md: {ex.id} should show {shown}"
                )


def test_the_readme_tables_keep_short_cells():
    """The README is the kit's front page: each table cell one short line (at most 300
    characters; issue 83 found one of 2,945), the rest on the docs site, which it links."""
    long_cells = [
        cell[:60]
        for line in README.splitlines()
        if line.startswith("|")
        for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))
        if len(cell.strip()) > 300
    ]
    assert not long_cells, long_cells


README = (KIT / "README.md").read_text()
# The README's links into the site: (page, anchor or "").
LINKS = re.findall(r"\]\((docs/[\w/.-]+\.md)(?:#([\w-]+))?\)", README)


def _anchors(page: str) -> set[str]:
    """The anchors mkdocs gives a page's headings (its toc slugs: lower case, words joined by
    hyphens, other characters dropped)."""
    text = re.sub(r"^```.*?^```", "", (KIT / page).read_text(), flags=re.M | re.S)
    titles = re.findall(r"^#{1,6} (.+)$", text, re.M)
    return {re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", t).strip().lower()) for t in titles}


def test_the_readme_links_only_to_pages_and_anchors_that_exist():
    assert LINKS, "the README links no page of docs/"
    for page, anchor in LINKS:
        assert (KIT / page).is_file(), f"README links {page}, which does not exist"
        assert not anchor or anchor in _anchors(page), f"README links {page}#{anchor}"


@pytest.mark.parametrize(
    "task, words",
    [
        ("release", "descent bundle"),
        ("grade a class", "descent batch"),
        ("export", "descent export"),
        ("run a term", "course.toml"),
    ],
)
def test_a_newcomer_reaches_each_task_within_one_link_of_the_readme(task, words):
    """Issue 83: from the README, release, grading a class, export and a term are each one page
    away: a line of the README that names the task links a page showing its command."""
    reached = [
        page
        for line in README.splitlines()
        if task in line.lower()
        for page, _ in re.findall(r"\]\((docs/[\w/.-]+\.md)(?:#([\w-]+))?\)", line)
        if words in (KIT / page).read_text()
    ]
    assert reached, f"no line of the README names {task!r} and links a page showing {words!r}"

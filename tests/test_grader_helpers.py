"""Grader tests reach batched calls only through the shared helpers (graders/runs.py and
graders/battery.py), so an author never has to know how a worker batches them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[1]
BATCHING = {"call_each", "call_chain", "call_then", "run_graph"}


def _names(tree: ast.AST) -> set[str]:
    """Every name a module reads, imports or reaches as an attribute (comments do not count)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.add(node.name.rsplit(".", 1)[-1])
    return found


def test_no_test_file_names_a_batching_helper():
    files = [
        path
        for folder in ("graders", "exercises")
        for path in sorted((KIT / folder).glob("test_*.py"))
    ]
    assert files
    offenders = {
        f"{path.relative_to(KIT)}: {', '.join(sorted(used))}"
        for path in files
        if (used := _names(ast.parse(path.read_text())) & BATCHING)
    }
    assert not offenders, (
        f"use the helpers of graders/runs.py or graders/battery.py instead: {sorted(offenders)}"
    )


def test_no_grader_uses_a_bare_assert():
    """``descent grade`` runs the graders with ``--assert=plain`` (no assertion rewriting, part
    of a grading's start-up): a bare assert in a module pytest would rewrite (the test files and
    the conftest) would fail without its message."""
    files = sorted((KIT / "graders").glob("test_*.py")) + [KIT / "graders" / "conftest.py"]
    assert files
    offenders = [
        f"{path.relative_to(KIT)}:{node.lineno}"
        for path in files
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assert)
    ]
    assert not offenders, f"use check.that (or raise) instead: {offenders}"

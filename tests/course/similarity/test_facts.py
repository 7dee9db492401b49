"""What one statement does (``descent.course.similarity.facts``), as normalization reads it: the
names it reads and binds, the objects it changes, and whether it has an effect the names do not
show. (The canonical form built on it: test_normalize.py.)"""

from __future__ import annotations

import ast

import pytest

from descent.course.similarity import facts

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _facts(source: str, scope: str = ""):
    """The facts of the last statement of ``source``, in a scope holding all of ``scope`` and
    ``source``."""
    block = ast.parse(scope + source).body
    return facts.of_header(block[-1], facts.scope_names(block))


def test_an_assignment_reads_its_value_and_binds_its_targets():
    found = _facts("y = x + z * 2")
    assert (found.reads, found.writes, found.effect) == ({"x", "z"}, {"y"}, False)
    augmented = _facts("y += x")
    assert augmented.reads == {"x", "y"} and augmented.writes == {"y"}


def test_changing_an_object_is_a_write_to_its_name_or_an_effect():
    local = _facts("xs.append(1)", scope="xs = []\n")
    assert "xs" in local.writes and not local.effect  # a list made here holds nothing else
    foreign = _facts("xs.append(1)", scope="xs = make()\n")
    assert foreign.effect  # its object may be anyone's
    item = _facts("xs[0] = v", scope="xs = []\n")
    assert "xs" in item.writes and "v" in item.reads


@pytest.mark.parametrize(
    "source",
    [
        "helper(x)",
        "return x",
        "raise ValueError(x)",
        "global g\ng = 1",
        "assert x",
        "from m import *",
    ],
)
def test_what_matters_even_when_nothing_reads_it_is_an_effect(source):
    assert _facts(source).effect


def test_a_pure_builtin_has_no_effect_and_any_other_call_has():
    assert not facts.has_effect(ast.parse("len(xs) + abs(y)", mode="eval").body)
    assert facts.has_effect(ast.parse("helper(xs)", mode="eval").body)
    assert facts.has_effect(ast.parse("(n := 3)", mode="eval").body)


def test_a_definition_binds_its_name_and_reads_its_defaults_now():
    found = _facts("@wrap\ndef f(a, b=default):\n    return a + later")
    assert found.writes == {"f"} and found.reads == {"wrap", "default"}
    loop = _facts("for x in xs:\n    total = total + x")  # the body is an item of its own
    assert loop.reads == {"xs"} and loop.writes == {"x"}


def test_the_names_of_a_scope():
    names = facts.scope_names(ast.parse("global g\nacc = []\nn = f()\nfor i in r: pass\n").body)
    assert names.local == {"acc", "n", "i"} and names.fresh == {"acc"} and names.outer == {"g"}

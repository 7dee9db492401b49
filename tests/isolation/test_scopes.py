"""The names a scope binds (``descent.isolation.scopes``), read for the scan of borrowed library
operations: what a function binds itself, what it is given, and what Python evaluates outside
it."""

from __future__ import annotations

import ast

import pytest

from descent.isolation import scopes

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

SOURCE = """
@wraps(F.relu)
def relu_backward(dy, cache=F.relu, *rest, scale: F.Tensor = 1.0, **more):
    global seen
    for grad in dy:
        pass
    try:
        mask = cache > 0
    except ValueError as error:
        raise error
    seen = [g for g in grads]

    def inner(x):
        hidden = x
        return hidden

    return mask * dy
"""


def _function() -> ast.FunctionDef:
    node = ast.parse(SOURCE).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def test_a_function_s_own_names_are_its_parameters_stores_and_definitions():
    names = scopes.scope_names(_function())
    assert names == {"dy", "cache", "rest", "scale", "more", "grad", "mask", "error", "inner"}
    # a global is the module's; a nested function's and a comprehension's names are their own
    assert not {"seen", "hidden", "g", "x"} & names
    assert scopes.params(_function()) == {"dy", "cache", "rest", "scale", "more"}


def test_defaults_and_what_python_evaluates_outside_the_function():
    fn = _function()
    assert {k: ast.unparse(v) for k, v in scopes.defaults(fn).items()} == {
        "cache": "F.relu",
        "scale": "1.0",
    }
    outside = {ast.unparse(n) for n in scopes.evaluated_outside(fn)}
    assert outside == {"wraps(F.relu)", "F.relu", "1.0", "F.Tensor"}
    comprehension = ast.parse("[g for g in grads if g]", mode="eval").body
    assert [ast.unparse(n) for n in scopes.evaluated_outside(comprehension)] == ["grads"]


def test_the_nodes_in_scope_stop_at_a_nested_scope():
    met = list(scopes.in_scope(_function()))
    assert any(isinstance(n, ast.FunctionDef) and n.name == "inner" for n in met)
    assert not any(isinstance(n, ast.Name) and n.id in ("hidden", "x") for n in met)
    assert not any(isinstance(n, ast.Name) and n.id == "g" for n in met)

"""The helpers the edit rules share (``descent.diagnoses.edit_nodes``): reading a call and
writing a changed copy of one."""

from __future__ import annotations

import ast

import pytest

from descent.diagnoses import edit_nodes as nodes

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _call(text: str) -> ast.Call:
    return ast.parse(text, mode="eval").body  # type: ignore[return-value]


def test_a_call_is_read():
    assert nodes.callee(_call("np.max(x, axis=1)")) == "max"
    assert nodes.callee(_call("softmax(x)")) == "softmax"
    assert nodes.method_call(_call("x.max()")) and not nodes.method_call(_call("np.max(x)"))
    assert nodes.is_rooted(_call("np.sqrt(v)")) and nodes.is_rooted(
        ast.parse("v ** 0.5").body[0].value
    )  # type: ignore[attr-defined]
    assert not nodes.is_rooted(_call("np.exp(v)"))
    assert nodes.is_number(ast.Constant(1.0), 1) and not nodes.is_number(ast.Constant("1"), 1)


def test_a_changed_copy_leaves_the_call_as_it_was():
    call = _call("np.sum(x, axis=0)")
    kept = nodes.with_keywords(call, keepdims=True)
    assert ast.unparse(kept) == "np.sum(x, axis=0, keepdims=True)"
    assert ast.unparse(nodes.without(kept, 0)) == "np.sum(x, keepdims=True)"
    assert ast.unparse(nodes.with_args(call, [ast.Name("y")])) == "np.sum(y, axis=0)"
    assert ast.unparse(call) == "np.sum(x, axis=0)"
    assert ast.unparse(nodes.root_of_power(ast.Name("v"))) == "v ** 0.5"

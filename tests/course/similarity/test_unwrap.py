"""What does not compute, taken out first (``descent.course.similarity.unwrap``): wrappers that do
nothing go and what computes stays; helpers are inlined where a statement calls them, within a
bound."""

from __future__ import annotations

import ast

import pytest

pytest.importorskip("copydetect")

from descent.course.similarity import (  # noqa: E402
    unwrap,
)

from .conftest import canonical  # noqa: E402


def test_unwrapping_keeps_what_computes():
    code = canonical(
        """
import contextlib
from contextlib import nullcontext as nc, suppress

SEEN = []
_trail = []
_calls = 0


def minibatches(n, batch_size, generator, drop_last=False):
    global _calls
    _calls += 1
    _trail.append(n)
    try:
        a = n * 2
    except ZeroDivisionError:
        raise
    except ValueError as exc:
        raise exc
    try:
        b = n * 3
    except KeyError:
        b = 0
    try:
        c = n * 4
    finally:
        generator.release()
    with nc(batch_size) as size, contextlib.nullcontext():
        d = size + 1
    with suppress(ValueError):
        e = int(n)
    generator.history.append(a)
    SEEN.append(b)
    return a + b + c + d + e + _read()


def _read():
    return len(SEEN)
"""
    )
    for gone in ("_trail", "_calls", "ZeroDivisionError", "raise exc", "nullcontext()", "nc("):
        assert gone not in code, gone
    for kept in (
        "except KeyError",  # a handler that does something
        "finally:\n        generator.release()",  # a finally that does something
        "size = batch_size",  # what `as` bound
        "with suppress(ValueError)",  # a context that does something
        "generator.history.append(a)",  # an argument's object, seen by the caller
        "SEEN.append(b)",  # a list something reads
        "return len(SEEN)",  # the helper inlined: `return a + ... + _read()` is no whole call
    ):
        assert kept in code, kept


def test_helpers_are_inlined_where_a_statement_calls_them_within_a_bound():
    split = """
def minibatches(n, batch_size, generator, drop_last=False):
    order = generator.order(n)
    return _rest(order, batch_size, drop_last=drop_last)


def _rest(order, size, drop_last=False):
    out = [order[i:i + size] for i in range(0, len(order), size)]
    return out[:-1] if drop_last else out
"""
    whole = """
def minibatches(n, batch_size, generator, drop_last=False):
    order = generator.order(n)
    out = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    return out[:-1] if drop_last else out
"""
    assert "_rest" not in canonical(split)
    assert canonical(split).replace("size", "batch_size").count("batch_size") >= 2
    # one binding more: `size = batch_size` (`order = order` and the like are dropped)
    assert canonical(split).count("\n") == canonical(whole).count("\n") + 1
    # helpers that call one another twice each: inlining all would double the code 20 times
    chain = "".join(
        f"def _h{i}(x):\n    y = _h{i + 1}(x)\n    z = _h{i + 1}(y)\n    return z\n\n\n"
        for i in range(20)
    )
    chain += "def _h20(x):\n    return x + 1\n\n\ndef minibatches(n, b, g):\n    return _h0(n)\n"
    assert len(canonical(chain)) < 3 * len(chain)
    # a chain of helpers each calling the next: inlined into one another, copies of copies grew
    # to millions of nodes; inlined only outside the helpers, the tree keeps its size
    long = "".join(f"def _h{i}(x):\n    y = _h{i + 1}(x)\n    return y\n\n\n" for i in range(2000))
    long += "def _h2000(x):\n    return x\n\n\ndef minibatches(n, b, g):\n    return _h0(n)\n"
    nodes = sum(1 for _ in ast.walk(ast.parse(long)))
    simplified = unwrap.simplify(ast.parse(long), ["minibatches"])
    assert sum(1 for _ in ast.walk(simplified)) <= nodes

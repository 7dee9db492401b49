"""What the slip rules read off the reference's syntax tree (``descent.diagnoses.syntax``): the
context of a tree (hyperparameters, running totals, counters, loops, a backward's tensors) and
the helpers the rules share (a callee, a count, eps, a quotable expression)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from descent.diagnoses import syntax

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

SOURCE = textwrap.dedent(
    """
    def step(param, grad, state, lr=0.1, betas=(0.9, 0.999), eps=1e-8):
        beta1, beta2 = betas
        t = state.get("step", 0) + 1
        m = state.get("m", 0.0)
        m = beta1 * m + (1 - beta1) * grad
        return param - lr * m / (1 - beta1 ** t), {"step": t, "m": m}

    def epochs(data, batch_size):
        best = None
        for idx in data:
            best = len(idx) / batch_size
        return best

    def relu_backward(dy, cache):
        return dy * (cache > 0)
    """
)


def rules_of(source: str, rule, public=frozenset()) -> list[tuple[str, str]]:
    """``(kind, text)`` of every slip ``rule`` writes into ``source`` (the mutant's walk)."""
    tree = ast.parse(textwrap.dedent(source))
    known = syntax.context(tree, set(public))
    return [(kind, text) for node in ast.walk(tree) for _, _, kind, text in rule(node, known)]


def test_the_context_reads_what_one_node_cannot_show():
    tree = ast.parse(SOURCE)
    known = syntax.context(tree, {"lr", "beta1"})
    assert known.hyper == {"lr", "beta1", "beta2"}  # floats and a tuple of floats; eps is none
    assert set(known.counters) == {"step"}  # state.get("step", 0): a whole-number start
    assert {"t", "m"} <= known.from_state and "m" in known.totals
    assert "best" in known.carried and known.pieces >= {"idx"} and known.sizes == {"batch_size"}
    # a backward's expressions know its tensors (what a gate may be tested on instead)
    compare = next(n for n in ast.walk(tree) if isinstance(n, ast.Compare))
    assert id(compare) in known.backward and known.tensors[id(compare)][:2] == ["dy", "cache"]


def test_the_helpers_read_one_node():
    expr = ast.parse("torch.sqrt(v) / x.shape[0] + eps", mode="eval").body
    assert syntax.callee(expr.left.left) == "sqrt"
    assert syntax.count(expr.left.right) and not syntax.count(expr.left.left)
    assert syntax.eps_name(expr.right) and not syntax.eps_name(expr.left)
    # a text quotes an expression only when the student's stub shows every name in it
    assert syntax.quote(ast.parse("beta1 ** t", mode="eval").body, {"beta1", "t"}) == "`beta1 ** t`"
    assert syntax.quote(ast.parse("bias1 ** t", mode="eval").body, {"beta1", "t"}) is None

    def documented(x, lr=0.1):
        """Scale ``x`` by ``lr``."""

    assert {"x", "lr", "Scale"} <= syntax.public_names({"documented": documented})


def test_substituted_swaps_every_occurrence_and_leaves_the_tree_as_it_was():
    tree = ast.parse("y = a * b + a * b\nz = a * b\nw = a - b")
    before = tree.body[0].value.left
    for source in (ast.unparse, syntax.Sources()):
        after = syntax.substituted(tree, [(before, ast.Name("c", ast.Load()))], source)
        assert ast.unparse(after) == "y = c + c\nz = c\nw = a - b"
        assert after.body[2] is tree.body[2]  # what no replacement touches is shared
        compile(ast.fix_missing_locations(after), "<test>", "exec")
        assert ast.unparse(tree) == "y = a * b + a * b\nz = a * b\nw = a - b"
        compile(tree, "<test>", "exec")

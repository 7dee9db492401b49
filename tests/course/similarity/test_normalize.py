"""The canonical form (``descent.course.similarity.normalize``): an obfuscator's rewrite (dead code,
reordering, unused functions) and each evasion of the corpus leave it unchanged; dead code is
dropped and what computes kept; independent statements are ordered, dependent ones kept in order;
each canonical line names the lines it comes from."""

from __future__ import annotations

import ast

import pytest

pytest.importorskip("copydetect")

from descent.course.similarity import (  # noqa: E402
    normalize,
)

from . import similarity_class  # noqa: E402
from .conftest import canonical  # noqa: E402
from .similarity_evasions import EVASIONS, evade  # noqa: E402

OBFUSCATIONS = ("dead", "reordered", "unused")


@pytest.mark.parametrize("how", OBFUSCATIONS)
@pytest.mark.parametrize("module", similarity_class.MODULES)
def test_an_obfuscators_rewrite_leaves_the_canonical_code_unchanged(sample, how, module):
    original = (sample / "bob" / f"{module}.py").read_text()
    rewritten = similarity_class.obfuscate(original, how)
    assert ast.dump(ast.parse(rewritten)) != ast.dump(ast.parse(original))  # it did rewrite
    assert canonical(rewritten, module) == canonical(original, module)


def test_normalization_drops_dead_code_and_keeps_what_computes():
    code = canonical(
        """
import torch
import itertools


def _unused(x):
    return x.sum()


def _square(x):
    return x * x


def minibatches(n, batch_size, generator, drop_last=False):
    "A docstring."
    junk = [n]
    junk.append(batch_size)
    order = torch.randperm(n, generator=generator)
    history = []
    _ = len(order)
    for start in range(0, n, batch_size):
        history.append(order[start:start + batch_size])
        if False:
            history = None
        n += 0
    loss = _square(order.float()).mean()
    loss.backward()
    return history
    print("unreachable")


def train_linear_regression(X, y, lr, epochs, batch_size, generator):
    global CALLS
    CALLS = 1
    unused = yield X
    step = yield y
    return step
"""
    )
    for dead in ("junk", "_unused", "itertools", "_ = ", "None", "n += 0", "unreachable"):
        assert dead not in code
    for live in (
        "import torch",
        "def _square",
        "torch.randperm",
        "history = []",
        "loss.backward()",
    ):
        assert live in code
    assert "history.append(order[start:start + batch_size])" in code
    assert code.index("def minibatches") < code.index("def _square")  # the kit's functions first


@pytest.mark.parametrize("how", [e for e in EVASIONS if e not in ("renamed", "all")])
def test_an_evasion_leaves_the_canonical_code_unchanged(sample, how):
    rewritten = 0
    for module in similarity_class.MODULES:
        original = (sample / "bob" / f"{module}.py").read_text()
        hidden = evade(original, how)
        rewritten += ast.dump(ast.parse(hidden)) != ast.dump(ast.parse(original))
        assert canonical(hidden, module) == canonical(original, module), module
    assert rewritten  # the evasion changed the text of one module at least


def test_normalization_orders_independent_statements_and_keeps_dependent_ones():
    def body(*lines):
        return "def minibatches(n, batch_size, generator):\n" + "".join(
            f"    {line}\n" for line in lines
        )

    one = body("a = n * 2", "b = batch_size + 1", "c = a + b", "return c")
    other = body("b = batch_size + 1", "a = n * 2", "c = a + b", "return c")
    assert canonical(one) == canonical(other)
    first = body("a = n * 2", "a = a + 1", "b = a * 3", "return b")
    code = canonical(first)
    assert code.index("a = n * 2") < code.index("a = a + 1") < code.index("b = a * 3")


def test_each_canonical_line_names_the_lines_it_comes_from():
    text = "import torch\n\n\ndef mse(pred, target):\n    d = pred - target\n" + (
        "    unused = 3\n    return torch.mean(d * d)\n"
    )
    found = normalize.canonical(ast.parse(text), ["mse"])
    lines = dict(zip(found.text.splitlines(), zip(found.first.tolist(), found.last.tolist())))
    assert lines["    d = pred - target"] == (5, 5)
    assert lines["    return torch.mean(d * d)"] == (7, 7)
    assert lines["import torch"] == (1, 1) and len(lines) == 4

"""The edits a repair writes at every place at once (``descent.diagnoses.edit_everywhere``): the
same change of one expression wherever the student's function writes it, for a mistake that
no single edit undoes, worded with every line."""

from __future__ import annotations

import ast

import pytest

from descent.diagnoses.edit_context import functions
from descent.diagnoses.edits import edits

from .test_edit_rules import ADAM_CORRECTIONS, SOFTMAX_UNSHIFTED, WHOLE_MAXIMUM

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _everywhere(source: str, function: str) -> list[tuple[str, str]]:
    """(words, edited function) of each edit written at several lines at once."""
    return [
        (e.text, ast.unparse(functions(e.source)[function]))
        for e in edits(source, function)
        if "(lines " in e.text or " times on line " in e.text
    ]


def test_each_repeated_expression_is_changed_at_every_place_at_once():
    """The whole batch's maximum subtracted twice, an exp written in a numerator and again in a
    denominator, Adam's two bias corrections with `** 2`: one edit each, every line named."""
    (whole, *_), shifts, powers = (
        _everywhere(WHOLE_MAXIMUM, "softmax"),
        _everywhere(SOFTMAX_UNSHIFTED, "twice"),
        _everywhere(ADAM_CORRECTIONS, "correct"),
    )
    assert whole[0].startswith("line 6 (in `softmax`): `np.max(scores)` (lines 6, 7)")
    assert whole[1].count("np.max(scores, axis=dim, keepdims=True)") == 2
    assert shifts[0][0].startswith(
        "line 11 (in `twice`): `np.exp(x)` (2 times on line 11) overflows"
    )
    assert shifts[0][1].count("np.exp(x - x.max(axis=-1, keepdims=True))") == 2
    assert "`beta1 ** 2` and the other powers (lines 6, 7) are typed in" in powers[0][0]
    assert "beta1 ** t" in powers[0][1] and "beta2 ** t" in powers[0][1]


FLOORED_BCE = """
import numpy as np


def bce(y, p):
    EPS = 1e-3
    return -np.mean(y * np.log(p + EPS) + (1 - y) * np.log(1 - p + EPS))


def dbce(y, p):
    return -(y / (p + 1e-8) - (1 - y) / (1 - p + 1e-8)) / y.size
"""


def test_a_floor_added_inside_every_log_is_dropped_from_all_at_once():
    """A binary cross-entropy that adds `EPS = 1e-3` inside both logs (a NYCU learner's): one
    edit drops the name's term from both, where dropping it from one repairs nothing."""
    ((words, edited),) = [e for e in _everywhere(FLOORED_BCE, "bce") if "small number" in e[0]]
    assert words.startswith("line 7 (in `bce`): `np.log(") and "(2 times on line 7)" in words
    assert "np.log(p)" in edited and "np.log(1 - p)" in edited and "+ EPS" not in edited
    # its derivative's divisions, floored alike, are dropped at once too
    ((words, edited),) = [e for e in _everywhere(FLOORED_BCE, "dbce") if "small number" in e[0]]
    assert "divide by" in words and "(p + 1e-8)" not in edited and "/ (1 - p)" in edited
    # near miss: a large number added is no floor
    assert not [
        e for e in _everywhere(FLOORED_BCE.replace("1e-3", "0.5"), "bce") if "small" in e[0]
    ]


BIAS_GRADIENTS = """
import numpy as np


def back(dZ2, dZ1):
    db2 = np.sum(dZ2)
    db1 = np.sum(dZ1)
    return db2, db1
"""


def test_a_whole_array_reduction_and_its_twin_on_another_line_keep_one_axis_at_once():
    """Each layer's bias gradient summed over every unit too (an IST learner's `np.sum(dZ2)`
    and `np.sum(dZ1)`): one edit keeps one axis in both, names' numbers aside."""
    found = [e for e in _everywhere(BIAS_GRADIENTS, "back") if "reduce over" in e[0]]
    words, edited = found[0]
    assert words.startswith(
        "line 6 (in `back`): `np.sum(dZ2)` and each expression written like it (lines 6, 7) "
        "reduce over every axis where each should reduce one"
    )
    assert "np.sum(dZ2, axis=" in edited and "np.sum(dZ1, axis=" in edited
    # near miss: two reductions of unrelated names are no twins
    other = BIAS_GRADIENTS.replace("np.sum(dZ1)", "np.sum(grad)").replace("dZ1)", "grad)")
    assert not [e for e in _everywhere(other, "back") if "reduce over" in e[0]]


WHOLE_STATISTICS = """
import numpy as np


def batch_norm(Z, gamma, beta, epsilon):
    mean = np.mean(Z)
    var = np.var(Z)
    return gamma * (Z - mean) / np.sqrt(var + epsilon) + beta
"""


def test_reductions_of_one_array_over_every_axis_keep_one_axis_at_once():
    """(a held-out Holberton batch norm) `np.mean(Z)` and `np.var(Z)`, the statistics of the
    whole matrix: one edit keeps the same axis in both."""
    found = [e for e in _everywhere(WHOLE_STATISTICS, "batch_norm") if "reduce over" in e[0]]
    words, edited = found[0]
    assert words.startswith(
        "line 6 (in `batch_norm`): `np.mean(Z)` and `np.var(Z)` (lines 6, 7) reduce over every "
        "axis where each should reduce one"
    )
    assert any(
        "np.mean(Z, axis=0, keepdims=True)" in e and "np.var(Z, axis=0, keepdims=True)" in e
        for _, e in found
    )


KEEP_PROBABILITY = """
import numpy as np


def dropout(x, p=0.5, train=True):
    if p == 0:
        return x
    mask = (np.random.rand(*x.shape) < p) / p
    return x * mask
"""


def test_a_probability_read_as_the_other_outcome_is_complemented_everywhere():
    """Dropout's `p` taken as the probability of keeping (the CS231n convention): `1 - p` at
    every place it is read, never in the condition."""
    found = [(t, f) for t, f in _everywhere(KEEP_PROBABILITY, "dropout") if "other outcome" in t]
    assert found[0][0].startswith("line 8 (in `dropout`): `p` (2 times on line 8) is used as")
    assert "(np.random.rand(*x.shape) < 1 - p) / (1 - p)" in found[0][1]
    assert "if p == 0:" in found[0][1]


SIGN_COPIED = """
import numpy as np


def update(p, g, m, v, t, b1, b2):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat = m / (1 + np.power(b1, t))
    v_hat = v / (1 + np.power(b2, t))
    return p - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8), m, v
"""


def test_an_operator_slip_copied_to_a_twin_line_is_changed_on_both_at_once():
    """A DLFS learner's bias corrections both written `1 + beta ** t`: no single edit repairs
    either moment, the change on both lines does; expressions unlike it keep their sign."""
    found = [(t, f) for t, f in _everywhere(SIGN_COPIED, "update") if "`+` in `1 + np" in t]
    assert found[0][0].endswith(
        "is the wrong one, and in each expression written like it (lines 8, 9)"
    )
    assert "m / (1 - np.power(b1, t))" in found[0][1]
    assert "v / (1 - np.power(b2, t))" in found[0][1]
    assert "np.sqrt(v_hat) + 1e-08" in found[0][1]  # not a twin: unchanged


def test_a_weight_s_and_a_bias_s_lines_are_twins_before_an_index_suffix():
    """(a held-out Korea University layer) `dLdW_j` and `dLdb_j` each averaged by the batch
    size: the division dropped on both lines at once is one change, where the pair found
    before divided both by a count that is 1 by the arrays' shapes."""
    source = (
        "import numpy as np\n\n\n"
        "def backprop(x, dLdW_j, dLdb_j):\n"
        "    dLdb = np.sum(dLdb_j, axis=0) / x.shape[0]\n"
        "    dLdW = np.sum(dLdW_j, axis=0) / x.shape[0]\n"
        "    return dLdW, dLdb\n"
    )
    found = [(t, f) for t, f in _everywhere(source, "backprop") if "written like it" in t]
    dropped = [f for t, f in found if "the factor `x.shape[0]`" in t]
    assert dropped and "x.shape" not in dropped[0], found


def test_expressions_on_the_two_sides_of_one_if_are_no_twins():
    """(a held-out initializer) `sqrt(2 / (fan_in + fan_out))` in its Kaiming branch and
    `sqrt(6 / (fan_in + fan_out))` in its Xavier branch: one call runs one branch, so the
    Kaiming slip is not changed in the Xavier line too; lines of one branch stay twins."""
    source = (
        "import numpy as np\n\n\n"
        "def init(fan_in, fan_out, kind):\n"
        "    if kind == 'kaiming':\n"
        "        w = np.sqrt(2 / (fan_in + fan_out))\n"
        "        b = np.sqrt(2 / (fan_in + fan_out))\n"
        "    else:\n"
        "        w = np.sqrt(6 / (fan_in + fan_out))\n"
        "    return w, b\n"
    )
    said = [t for t, _ in _everywhere(source, "init") if "written like it" in t]
    assert said and all("(lines 6, 7)" in t for t in said), said


def test_keys_built_from_text_are_no_twins():
    """`"W" + str(i)` written on many lines (a course's parameter keys) is no formula: no edit
    of it at every place at once spends a search's trials."""
    source = (
        "def step(p, g, i):\n"
        '    p["W" + str(i)] = p["W" + str(i)] - g["W" + str(i)]\n'
        '    p["b" + str(i)] = p["b" + str(i)] - g["b" + str(i)]\n'
        '    return p["W" + str(i)]\n'
    )
    assert not [t for t, _ in _everywhere(source, "step") if "written like it" in t]


SIGMOID_OF_THE_ACTIVATION = """
import numpy as np


class Net:
    def sigmoid(self, z):
        return 1 / (1 + np.exp(-z))

    def derivative(self, z):
        return self.sigmoid(z) * (1 - self.sigmoid(z))
"""


def test_a_function_applied_again_at_several_places_is_left_out_at_every_one():
    """A Rice learner's sigmoid derivative written from the net input, handed the activation:
    the sigmoid taken again twice on one line, one edit for both, every place named."""
    found = _everywhere(SIGMOID_OF_THE_ACTIVATION, "Net.derivative")
    again = [(text, code) for text, code in found if "applies `sigmoid`" in text]
    assert again and again[0][0].startswith(
        "line 10 (in `Net.derivative`): `self.sigmoid(z)` (2 times on line 10) applies `sigmoid`"
    ), found
    assert "return z * (1 - z)" in again[0][1]

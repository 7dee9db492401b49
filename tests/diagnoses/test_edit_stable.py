"""Edits that make an unstable formula stable (``descent.diagnoses.edit_stable``): a log of a
probability written from the scores, a sigmoid, its derivative or a tanh written as a ratio of
exps divided through, each read through the names the student's function assigns once. Every
edited function is run at inputs that overflow the student's form: finite and right."""

from __future__ import annotations

import ast
import math

import numpy as np
import pytest
import torch

from descent.diagnoses.edit_context import functions
from descent.diagnoses.edits import edits

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

BCE = """
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nll(a, y):
    p = sigmoid(a)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))
"""

SOFTMAX_LOG = """
import torch


def loss(logits, y):
    logits = logits - logits.amax(dim=1, keepdim=True)
    e = logits.exp()
    s = e.sum(dim=1, keepdim=True)
    probs = e / s
    return -probs.log()[torch.arange(len(y)), y].mean()
"""

RATIOS = """
import math
import numpy as np


def sig(x):
    e = np.exp(x)
    return e / (1 + e)


def dsig(x):
    return np.exp(-x) / (1 + np.exp(-x)) ** 2


def tanh(x):
    up, down = np.exp(x), np.exp(-x)
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))


def softplus(z):
    return math.log(1 + math.exp(z))


def scalar(x):
    return 1 / (1 + math.exp(-x))
"""


def _stable(source: str, function: str) -> list:
    """(words, the module's edited functions run as code) of each stable edit of ``function``."""
    found = []
    for edit in edits(source, function):
        if edit.kind == "stable":
            space: dict = {"np": np, "torch": torch, "math": math}
            exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
            owner, _, method = function.rpartition(".")  # a method: the class's, unbound
            found.append((edit.text, getattr(space[owner], method) if owner else space[method]))
    return found


def test_the_logs_of_a_sigmoid_and_of_one_minus_it_are_written_from_the_scores():
    words, nll = _stable(BCE, "nll")[0]  # both logs at once come first
    assert "`np.log(p)` and the other logs (2 times on line 11)" in words
    a, y = np.array([-1000.0, 0.5, 1000.0]), np.array([1.0, 0.0, 0.0])
    expected = y * np.logaddexp(0, -a) + (1 - y) * np.logaddexp(0, a)
    with np.errstate(over="ignore"):  # the helper's own exp, computed and no longer used
        assert np.allclose(nll(a, y), expected)
    assert len(_stable(BCE, "nll")) == 3  # and each log alone


def test_the_log_of_a_softmax_ratio_is_written_from_the_scores():
    [(words, loss)] = _stable(SOFTMAX_LOG, "loss")
    assert "`probs.log()` takes the log of a probability" in words
    logits, y = torch.tensor([[0.0, 1000.0], [3.0, 1.0]]), torch.tensor([0, 1])
    expected = torch.nn.functional.cross_entropy(logits, y)
    assert torch.allclose(loss(logits, y), expected)


SOFTMAX_CALL = """
import numpy as np


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cost(scores, target):
    probs = softmax(scores @ np.eye(scores.shape[-1])).ravel()
    probs = -np.log(probs)
    loss = probs[target]
    probs = None
    return loss
"""


def test_the_log_of_a_call_of_a_softmax_is_written_from_its_scores_as_last_assigned():
    """A CS224n learner's `-np.log(softmax(scores)[target])`, the probabilities reshaped and
    the name given three values: the log reads the one given on the line before it."""
    [(words, cost)] = _stable(SOFTMAX_CALL, "cost")
    assert "`np.log(probs)` takes the log of a probability" in words
    scores = np.array([0.0, 800.0, 3.0])
    expected = -torch.log_softmax(torch.tensor(scores), 0).numpy()
    assert np.allclose(cost(scores, 0), expected[0]) and np.isfinite(cost(scores, 0))
    changed = SOFTMAX_CALL.replace("    probs = -np.log(probs)", "    probs = probs + 0\n" * 2)
    assert not _stable(changed.replace("loss = probs[target]", "loss = -np.log(probs)"), "cost")


@pytest.mark.parametrize(
    ("function", "reference"),
    [
        ("sig", lambda x: 1 / (1 + np.exp(-np.clip(x, -500, 500)))),
        ("dsig", lambda x: np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))) ** 2),
        ("tanh", np.tanh),
    ],
)
def test_a_ratio_of_exps_is_divided_through(function, reference):
    [(words, edited)] = _stable(RATIOS, function)
    assert "is a ratio of exps that overflow to inf / inf" in words
    assert "divided through by its largest exp" in words
    x = np.array([-1000.0, -2.0, 0.0, 0.5, 1000.0])
    with np.errstate(over="ignore"):
        assert np.allclose(edited(x), reference(x))


def test_a_log_of_one_plus_an_exp_of_one_number_is_a_softplus():
    [(words, edited)] = _stable(RATIOS, "softplus")
    assert words.endswith(
        "takes the log of 1 + exp(z), whose exp overflows for large scores: "
        "the log belongs computed without forming the exp"
    )
    assert edited(1000.0) == pytest.approx(1000.0) and edited(0.0) == pytest.approx(math.log(2))


def test_a_stable_formula_is_left_alone():
    source = "import numpy as np\n\n\ndef nll(a, y):\n    return np.logaddexp(0, -a) * y\n"
    assert not _stable(source, "nll")
    assert "stable" not in {e.kind for e in edits(RATIOS.replace("e / (1 + e)", "e"), "sig")}
    assert ast.unparse(functions(BCE)["sigmoid"])  # the helper itself is a stable sigmoid
    assert not _stable(BCE, "sigmoid")


EVAL_ROOT = """
import numpy as np


def norm(x, mean, var, eps=1e-5, train=True):
    if train:
        return (x - mean) / np.sqrt(var + eps)
    return (x - mean) / np.sqrt(var)
"""


def test_a_root_without_the_stability_term_given_gets_it_under():
    """Batch norm's evaluation branch dividing by `np.sqrt(var)` where training has `var +
    eps` (Berkeley, EECS 498 learners): the term under that root, not under the other."""
    found = [e for e in edits(EVAL_ROOT, "norm") if e.kind == "eps"]
    assert len(found) == 1 and "`np.sqrt(var)` lacks `eps` under it" in found[0].text
    assert "(var + eps) ** 0.5" in ast.unparse(functions(found[0].source)["norm"])


def test_stable_forms_are_tried_before_every_other_kind_of_edit():
    """A search spends a bounded number of trials: a log of a probability, which only a stable
    form repairs, must not wait behind a long function's other edits (a CS224n learner's
    word2vec cost ran out of trials first)."""
    kinds = [e.kind for e in edits(BCE, "nll")]
    assert kinds[:3] == ["stable"] * 3 and "stable" not in kinds[3:]


RECIPROCAL = """
import numpy as np


class LogReg:
    def mu(self, X, y):
        return 1 / (1 + np.exp(-y * (self.bias + X @ self.weight)))

    def loss(self, X, y):
        return np.mean(np.log(1 / self.mu(X, y)))
"""


def test_a_log_of_one_over_a_sigmoid_method_is_written_from_its_scores():
    """A UW learner's loss, `np.log(1 / self.mu(X, y))`, whose `mu` is a sigmoid of `y * (b +
    X @ w)` under another name: the method's one `return` is read with the call's arguments."""
    [(words, loss)] = _stable(RECIPROCAL, "LogReg.loss")
    assert "`np.log(1 / self.mu(X, y))` takes the log of a probability" in words
    model = type("M", (), {"bias": 0.0, "weight": np.array([1.0]), "mu": None})()
    X, y = np.array([[900.0], [-2.0]]), np.array([-1.0, 1.0])
    expected = np.mean(np.logaddexp(0, -y * X[:, 0]))
    with np.errstate(over="ignore", divide="ignore"):
        assert np.isclose(loss(model, X, y), expected)


FLOORED = """
import numpy as np


def nll(z, y):
    h = 1 / (1 + np.exp(-z))
    return -(y * np.log(1e-10 + h) + (1 - y) * np.log(1e-10 + 1 - h))


def capped(z):
    h = 1 / (1 + np.exp(-z))
    return -np.log(np.clip(h, 10 ** -16, 1.0))
"""


def test_a_log_kept_off_zero_by_a_floor_is_written_from_the_scores():
    """CS229 learners' `np.log(1e-10 + h)`, `np.log(1e-10 + 1 - h)` and a clip: the floor
    caps a confident mistake's loss at about 23; the stable form is the loss, and `h = 1 / (1
    + exp(-z))` is read as the sigmoid it is, not as the reciprocal of `1 + exp(-z)`."""
    z, y = np.array([-800.0, 0.5, 800.0]), np.array([1.0, 0.0, 0.0])
    expected = y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)
    words, nll = _stable(FLOORED, "nll")[0]
    assert "`np.log(1e-10 + h)` and the other logs (2 times on line 7)" in words
    with np.errstate(over="ignore"):
        assert np.allclose(nll(z, y), expected)
        [(_, capped)] = _stable(FLOORED, "capped")
        assert np.allclose(capped(z), np.logaddexp(0, -z))


def test_a_sigmoid_of_one_number_through_math_exp_never_exponentiates_above_zero():
    """A CS229 learner's `1 / (1 + math.exp(-x))`, which raises OverflowError at x = -1000:
    the same value from exps of numbers <= 0 only."""
    [(words, edited)] = _stable(RATIOS, "scalar")
    assert "takes math.exp of a number that can pass about 709" in words
    assert edited(-1000.0) == 0.0 and edited(1000.0) == 1.0
    assert edited(0.5) == pytest.approx(1 / (1 + math.exp(-0.5)), rel=1e-15)
    assert edited(-3.0) == pytest.approx(1 / (1 + math.exp(3.0)), rel=1e-15)


SCALAR_FORMS = """
import math


def imported(x):
    from math import exp
    return 1 / (1 + exp(-1 * x))


def power(x):
    from math import e
    return 1.0 / (1.0 + e ** (-x))


def attribute(x):
    return 1 / (1 + math.e ** -x)


named = lambda x: 1 / (1 + math.e ** -x)  # noqa: E731 - a learner's spelling
"""


@pytest.mark.parametrize("function", ["imported", "power", "attribute", "named"])
def test_a_sigmoid_of_one_number_is_read_however_its_exp_is_written(function):
    """(held-out Utah learners) the exp of one Python number written as `exp` imported from
    math, or as a power of Euler's number: each raises OverflowError past about 709, and each
    is rewritten in its own spelling with no exponent above 0."""
    [(words, edited)] = _stable(SCALAR_FORMS, function)
    assert "a number that can pass about 709" in words
    assert edited(-1000.0) == 0.0 and edited(1000.0) == 1.0
    assert edited(-3.0) == pytest.approx(1 / (1 + math.exp(3.0)), rel=1e-15)


def test_an_exp_not_imported_from_math_is_no_scalar_exp():
    """A bare `exp` the module takes from NumPy works on arrays and never raises: no edit."""
    source = "from numpy import exp\n\n\ndef s(x):\n    return 1 / (1 + exp(-x))\n"
    assert not [e for e in edits(source, "s") if "pass about 709" in e.text]


GLOBAL_SHIFT = """
import numpy as np


def softmax(x):
    shifted = x - np.max(x)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def plain(x):
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def added(x):
    c = -np.max(x)
    return np.exp(x + c) / sum(np.exp(x + c))


def in_place(x):
    mat = x @ x.T
    mat -= mat.max()
    e = np.exp(mat)
    return e / e.sum(axis=1, keepdims=True)
"""


def test_an_exp_of_scores_shifted_by_the_wrong_maximum_is_not_said_to_overflow():
    # (UCSD learners) the whole array's maximum: rows far below it underflow to 0 / 0, and no
    # exp overflows; unshifted scores do
    shifts = [e.text for e in edits(GLOBAL_SHIFT, "softmax") if e.kind == "shift"]
    assert shifts and all("overflows for large scores" not in t for t in shifts), shifts
    assert all("other than each slice's own maximum" in t for t in shifts)
    plain = [e.text for e in edits(GLOBAL_SHIFT, "plain") if e.kind == "shift"]
    assert plain and all("overflows for large scores" in t for t in plain), plain
    # (a held-out NYCU softmax) the negated maximum added, `np.exp(x + c)`: shifted too
    added = [e.text for e in edits(GLOBAL_SHIFT, "added") if e.kind == "shift"]
    assert added and all("other than each slice's own maximum" in t for t in added), added
    # (a held-out SKKU softmax) the whole batch's maximum taken off in place, `mat -= mat.max()`
    kept = [e.text for e in edits(GLOBAL_SHIFT, "in_place") if e.kind == "shift"]
    assert kept and all("other than each slice's own maximum" in t for t in kept), kept


SELECTED = """
import numpy as np


def compute_loss(x, y, weights):
    scores = x @ weights
    e = np.exp(scores - np.atleast_2d(np.max(scores, axis=1)).T)
    probs = e / np.atleast_2d(np.sum(e, axis=1)).T
    picked = probs[np.arange(x.shape[0]), y]
    return np.sum(-np.log(picked)) / x.shape[0]
"""


def test_the_log_of_entries_picked_into_a_name_is_written_from_the_scores():
    """(a held-out Charles University loss) the target's probabilities are picked out into a
    name first, then logged: the pick is followed through the name, and the log is written from
    the scores with the same entries picked."""
    [(words, loss)] = _stable(SELECTED, "compute_loss")
    assert "`np.log(picked)` takes the log of a probability" in words
    x, y = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1, 0])
    weights = np.array([[900.0, 0.0], [0.0, 3.0]])
    expected = torch.nn.functional.cross_entropy(torch.tensor(x @ weights), torch.tensor(y))
    assert np.isclose(loss(x, y, weights), expected.item())


KEPT_ON_SELF = """
import numpy as np


class SigmoidLoss:
    def forward(self, z, y):
        self.p = 1.0 / (1.0 + np.exp(-z))
        return -np.mean(y * np.log(self.p + 1e-8) + (1 - y) * np.log(1 - self.p + 1e-8))
"""


def test_a_log_of_a_probability_kept_on_the_object_is_written_from_the_scores():
    """(held-out) a loss layer that keeps its sigmoid on `self` for its backward and floors
    both logs: `self.p` is read through to the sigmoid it was given on the line before."""
    z, y = np.array([-800.0, 0.5, 800.0]), np.array([1.0, 0.0, 0.0])
    words, forward = _stable(KEPT_ON_SELF, "SigmoidLoss.forward")[0]
    assert "`np.log(self.p + 1e-8)` and the other logs (2 times on line 8)" in words
    expected = np.mean(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z))
    with np.errstate(over="ignore"):
        assert np.isclose(forward(object.__new__(type("L", (), {})), z, y), expected)

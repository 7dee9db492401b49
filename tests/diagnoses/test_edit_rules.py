"""The rules of a repair's edits (``descent.diagnoses.edit_rules``), each over one node of a
student's function: the forms held-out courses wrote their mistakes in (issue 79), each edit
with words that quote the student's code and never the fix."""

from __future__ import annotations

import ast
import re

import pytest

from descent.diagnoses.edit_context import functions
from descent.diagnoses.edits import edits

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _texts(source: str, function: str, kind: str) -> list[tuple[str, str]]:
    """(words, the edited function's text) of each edit of ``kind``."""
    return [
        (e.text, ast.unparse(functions(e.source)[function]))
        for e in edits(source, function)
        if e.kind == kind
    ]


def _told(edits: list[tuple[str, str]], words: str, ending: str) -> bool:
    """Some edit of ``edits`` says ``words`` and leaves the function ending with ``ending``."""
    return any(words in t and e.endswith(ending) for t, e in edits)


WHOLE_MAXIMUM = """
import numpy as np


def softmax(scores, dim=1):
    e = np.exp(scores - np.max(scores))
    return e / np.exp(scores - np.max(scores)).sum(axis=1, keepdims=True)


def center(x):
    return x - x.max()
"""


def test_a_reduction_over_everything_is_made_one_axis_kept_and_everywhere_it_is_written():
    """The whole batch's maximum subtracted where each row needs its own (eight held-out
    softmaxes, issue 79), written once or twice, in NumPy's form or as a method: the edit
    reduces one axis (the one the function is given first) and keeps it for broadcasting."""
    both = _texts(WHOLE_MAXIMUM, "softmax", "axis")
    everywhere = [(t, f) for t, f in both if "(lines 6, 7)" in t]
    assert everywhere and all("keep it" in t for t, _ in everywhere)
    assert "np.max(scores, axis=dim, keepdims=True)" in everywhere[0][1]
    assert everywhere[0][1].count("keepdims=True)") == 3  # both maxima and the sum's own
    method = [f for t, f in _texts(WHOLE_MAXIMUM, "center", "axis") if "keep it" in t]
    assert "return x - x.max(axis=1, keepdims=True)" in method[0]
    assert any("x.max(axis=1, keepdims=True)[0]" in f for f in method)  # a tensor's (values, ...)
    assert all("np.max(scores, axis" not in t for t, _ in both)  # the place, not the fix


DROPPED_AXIS = """
import numpy as np
import torch


def softmax(x):
    e_x = torch.exp(x)
    return e_x / torch.sum(e_x, dim=1)


def normalize(x):
    return x / np.sum(x, 1) + x.mean(axis=0, keepdims=True) + x.sum(1) + np.argmax(x, 1)
"""


@pytest.mark.parametrize(
    "function, edited",
    [
        ("softmax", "torch.sum(e_x, dim=1, keepdims=True)"),
        ("normalize", "np.sum(x, 1, keepdims=True)"),
        ("normalize", "x.sum(1, keepdims=True)"),
    ],
)
def test_a_reduction_over_an_axis_that_drops_it_is_made_to_keep_it(function, edited):
    """Row sums of shape (N,) divided into an (N, C) array (a held-out Udacity softmax): they
    line up with the last axis, a crash where N != C and wrong values where N == C. The edit
    keeps the axis; a reduction that already says (`keepdims=True`) or an index (argmax) gets
    no such edit."""
    found = [(t, f) for t, f in _texts(DROPPED_AXIS, function, "axis") if "drops the axis" in t]
    assert any(edited in f for _, f in found), found
    assert not any("keepdims=True, keepdims=True" in f for _, f in found)
    assert not any("np.argmax(x, 1, keepdims=True)" in f for _, f in found)
    assert all("keepdims=True" not in t for t, _ in found)  # the place, not the fix


SIZES = """
import numpy as np


def one_hot(logits, labels, smoothing=0.1):
    out = np.zeros((labels.shape[0], 10))
    out[np.arange(labels.shape[0]), labels] = 1.0 - smoothing
    return out.reshape(-1, 1)
"""


def test_a_size_typed_in_is_read_from_the_shape_of_an_input():
    found = [(t, f) for t, f in _texts(SIZES, "one_hot", "size") if "typed in" in t]
    assert any("np.zeros((labels.shape[0], logits.shape[1]))" in f for _, f in found)
    assert all("the size `10`" in t for t, _ in found)  # never -1, 0 or 1, nor a default
    assert not any("smoothing.shape" in f for _, f in found)


IN_PLACE = """
def step(param, grad, model, lr=0.1):
    total = grad * 0
    total += grad
    model.weight -= lr * total
    param *= 0.5
    return param
"""


def test_an_update_in_place_of_what_the_caller_passed_is_made_a_new_array():
    found = _texts(IN_PLACE, "step", "in place")
    assert [t.split(": ", 1)[1].split("`")[1] for t, _ in found] == [
        "model.weight -= lr * total",
        "param *= 0.5",
    ]  # the local `total` is the function's own: no edit
    assert "model.weight = model.weight - lr * total" in found[0][1]


GROUPED = """
import numpy as np


def forward(x, W, b):
    h = np.dot(x, W + b)
    return x @ (W - b), h / (x * W)
"""


def test_parentheses_around_the_wrong_terms_are_moved():
    found = [f.splitlines()[-2:] for _, f in _texts(GROUPED, "forward", "grouping")]
    texts = [line.strip() for lines in found for line in lines]
    assert "h = np.dot(x, W) + b" in texts
    assert "return (x @ W - b, h / (x * W))" in texts
    assert "return (x @ (W - b), h / x * W)" in texts


UNGROUPED = """
def step(a, k, g, beta, m):
    return k * a ** k - 1, m + 1 - beta * g
"""


def test_parentheses_missing_around_a_part_are_added():
    """A power rule written `k * a ** k - 1` (a held-out micrograd learner's) and a moving
    average written `m + 1 - beta * g`: the parentheses the formula needs are missing, and the
    edits put them around `k - 1` and around `1 - beta`."""
    found = _texts(UNGROUPED, "step", "grouping")
    returned = [f.splitlines()[-1].strip() for _, f in found]
    assert "return (k * a ** (k - 1), m + 1 - beta * g)" in returned
    assert "return (k * a ** k - 1, m + (1 - beta) * g)" in returned
    missing = [t for t, f in found if "(k - 1)" in f or "(1 - beta)" in f]
    assert all("parentheses are missing" in t for t in missing)


CONDITIONAL = """
def jacobian_entry(f, i, j):
    return f[i] * (1 if i == j else 0 - f[j])
"""


def test_a_conditional_that_takes_a_whole_difference_as_its_else_value_is_grouped():
    """(a held-out learner's softmax Jacobian) `1 if i == j else 0 - f[j]` subtracts `f[j]`
    only off the diagonal: the conditional is grouped before the subtraction."""
    [(said, edited)] = _texts(CONDITIONAL, "jacobian_entry", "grouping")
    assert edited.splitlines()[-1].strip() == "return f[i] * ((1 if i == j else 0) - f[j])"
    assert "takes all of `0 - f[j]` as its else-value: the `- f[j]` applies only when" in said


def test_a_mean_and_a_sum_are_swapped():
    source = "def db(dout):\n    return dout.mean(axis=0) + dout.sum()\n"
    found = _texts(source, "db", "reduction")
    assert [t.split("): ", 1)[1] for t, _ in found] == [
        "`dout.mean(axis=0)` averages where a sum belongs",
        "`dout.sum()` sums where a mean belongs",
    ]


@pytest.mark.parametrize(
    "written, reduced",
    [
        ("np.mean(t * np.log(p))", "np.mean((t * np.log(p)).sum(axis=-1))"),
        ("(t * torch.log(p)).mean()", "(t * torch.log(p)).sum(axis=-1).mean()"),
    ],
)
def test_a_mean_over_every_entry_is_made_a_mean_of_each_row_s_sum(written, reduced):
    """(a held-out SEU loss, C times too small) `-np.mean(t * np.log(p))` averages over the
    classes too: the edit sums each row first and averages over the rows. A mean over an axis
    the code names is left as it is."""
    source = f"def ce(t, p):\n    return -{written}\n\n\ndef m(x):\n    return np.mean(x, axis=0)\n"
    found = [(t, f) for t, f in _texts(source, "ce", "reduction") if "every entry" in t]
    assert [f.rsplit("return ", 1)[1] for _, f in found] == [f"-{reduced}"]
    assert "where each row's entries belong summed first" in found[0][0]
    assert not [t for t, _ in _texts(source, "m", "reduction") if "every entry" in t]


def test_a_loss_kept_for_the_first_example_alone_is_reduced_over_every_example():
    """(held-out learners' cross-entropies) `cross_entropy[0] / m` and `np.sum(l, axis=1)[0]`
    return one example's loss: its sum and its mean over the batch are tried in its place. A
    size read off a shape (`x.shape[0]`) is no such entry."""
    source = "def ce(p, y):\n    m = p.shape[0]\n    losses = -np.log(p[range(m), y])\n"
    source += "    return losses[0] / m\n"
    found = [(t, f) for t, f in _texts(source, "ce", "reduction") if "first entry" in t]
    assert [f.rsplit("return ", 1)[1] for _, f in found] == [
        "losses.sum() / m",
        "losses.mean() / m",
    ]
    assert "`losses[0]` keeps only the first entry, one example's" in found[0][0]
    assert not [t for t, _ in _texts(source, "ce", "reduction") if "shape[0]" in t]


WRITES = """
def backward(dout, cache, lr=0.1):
    x = cache[0]
    dx = dout
    dx[x <= 0] = 0
    made = x * 2
    made[made < 0] = 0
    x.clamp_(0)
    flat = dout.reshape(1, -1)
    flat[0, 0] = 0
    shaped = made.reshape(1, -1)
    shaped[0, 0] = 0
    return dx
"""


def test_a_write_into_an_array_the_caller_handed_in_is_made_on_a_copy():
    """``dx = dout`` then ``dx[x <= 0] = 0`` (three held-out ReLUs), or a write into a view of
    the caller's array (a NUS learner's ``gradient = inGradient.reshape(1, -1)``): the caller's
    array changes. The edit copies it right before the write (NumPy's ``copy`` or a tensor's
    ``clone``); an array the function made itself, or a view of it, is left alone."""
    found = _texts(WRITES, "backward", "copy")
    written = [t.split("): ", 1)[1].split("`")[1] for t, _ in found]
    each = ["dx[x <= 0] = 0", "x.clamp_(0)", "flat[0, 0] = 0"]  # as a copy, then a clone
    assert written == [w for w in each for _ in range(2)]
    assert "`dx` is that array, not a copy of it" in found[0][0]
    assert "dx = dx.copy()\n        dx[x <= 0] = 0" in found[0][1]
    assert "x = x.clone()" in found[3][1]


ADAM_CORRECTIONS = """
import numpy as np


def correct(m, v, t, beta1=0.9, beta2=0.999, eps=1e-8):
    m_hat = m / (1 - beta1 ** 2)
    v_hat = v / (1 - beta2 ** 2)
    return m_hat / np.sqrt(v_hat + eps)
"""


def test_a_power_typed_in_where_the_step_counter_belongs_is_made_the_counter():
    """Adam's bias corrections written with `** 2` (a Coursera learner): one place at a time,
    and every such power at once, the counter `t` in its place."""
    found = _texts(ADAM_CORRECTIONS, "correct", "power")
    counted = [(t, f) for t, f in found if "step counter" in t]
    assert "(lines 6, 7)" in counted[0][0]
    assert "beta1 ** t" in counted[0][1] and "beta2 ** t" in counted[0][1]
    assert any("`beta2 ** 2`" in t and "beta2 ** t" in f and "beta1 ** 2" in f for t, f in counted)


def test_a_term_under_a_square_root_is_moved_after_it_and_back():
    found = [(t.split("): ", 1)[1], f) for t, f in _texts(ADAM_CORRECTIONS, "correct", "root")]
    moved = [(t, f) for t, f in found if "belongs after the square root" in t]
    assert moved[0][0].startswith("the term `eps` in `np.sqrt(v_hat + eps)` belongs after")
    assert "return m_hat / (v_hat ** 0.5 + eps)" in moved[0][1]
    back = "def f(v, eps):\n    return 1 / (v ** 0.5 + eps)\n"
    under = [f for t, f in _texts(back, "f", "root") if "belongs under the square root" in t]
    assert under and "return 1 / (v + eps) ** 0.5" in under[0]
    # a tensor's own `v.sqrt()` (an EECS 498 Adam): the search that met it broke off
    method = "def g(v, eps):\n    return 1 / (v.sqrt() + eps)\n"
    under = [f for t, f in _texts(method, "g", "root") if "belongs under the square root" in t]
    assert under and "return 1 / (v + eps) ** 0.5" in under[0]


SOFTMAX_UNSHIFTED = """
import numpy as np


def softmax(x, dim=-1):
    e = np.exp(x)
    return e / e.sum(axis=dim, keepdims=True)


def twice(x):
    return np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)


def shifted(x):
    return np.exp(x - x.max())
"""


def test_an_exp_of_unshifted_scores_is_shifted_by_their_maximum():
    """A softmax without its maximum subtracted overflows (five Georgia Tech learners, issue
    79): the edit subtracts the scores' maximum over one axis, kept, before the exp; an exp of
    scores shifted already (even wrongly) is left to the other rules."""
    found = _texts(SOFTMAX_UNSHIFTED, "softmax", "shift")
    assert found and all("`np.exp(x)` overflows for large scores" in t for t, _ in found)
    assert "e = np.exp(x - x.max(axis=dim, keepdims=True))" in found[0][1]
    torch_form = "def f(x):\n    return x.exp() / x.exp().sum()\n"
    tensor = [f for t, f in _texts(torch_form, "f", "shift")]
    assert "x - x.amax(axis=-1, keepdims=True)).exp()" in tensor[0]  # a tensor's own max
    assert not _texts(SOFTMAX_UNSHIFTED, "shifted", "shift")


ADAM_UNCOUNTED = """
import numpy as np


def correct(m, v, t, eps=1e-8, beta1=0.9, beta2=0.999):
    m = beta1 * m + (1 - beta1) * 2.0
    m_hat = m / (1 - beta1)
    v_hat = v / (1 - beta2)
    return m_hat / (np.sqrt(v_hat) + eps)
"""


def test_a_bias_correction_without_the_step_counter_gets_it_as_a_power():
    """Adam's corrections dividing by `1 - beta1` (a Coursera learner): one place at a time,
    and every such division at once; the moving average's own `1 - beta1` is left alone."""
    found = [(t, f) for t, f in _texts(ADAM_UNCOUNTED, "correct", "power") if "lack" in t]
    once = [f for t, f in found if "(lines" not in t]
    assert len(once) == 2 and "m / (1 - beta1 ** t)" in once[0] and "v / (1 - beta2)" in once[0]
    every = [(t, f) for t, f in found if "(lines 7, 8)" in t]
    assert every and "(1 - beta1 ** t)" in every[0][1] and "(1 - beta2 ** t)" in every[0][1]
    assert all("(1 - beta1) * 2.0" in f for _, f in found)


RELU_MASK = """
def relu_backward(dout, cache):
    x = cache
    return x > 0, None
"""


def test_an_input_never_read_is_made_a_factor_of_a_returned_value():
    """A backward returning its local derivative (an EECS 498 learner's ReLU): the upstream
    gradient it never reads, tried as a factor of each value it returns."""
    found = _texts(RELU_MASK, "relu_backward", "factor")
    assert found[0][0].endswith("`dout` is never used: it belongs as a factor of `x > 0`")
    assert "return ((x > 0) * dout, None)" in found[0][1]
    assert not any("cache" in t.split("):")[1] for t, _ in found)


COUNTS_AND_DRAWS = """
import numpy as np


def mse_grad(y_hat, y):
    return 2 * (y_hat - y) / y.shape[0]


def mean_all(x):
    return x.sum() / x.size


def mse_grad_last(y_hat, y):
    return -2 * (y - y_hat) / y.shape[-1]


def start(w, g):
    v = np.random.randn(*w.shape)
    g = np.clip(g, -1, 1)
    return v + g, g * w @ (1 - w)
"""


def test_a_count_of_one_axis_and_a_count_of_every_entry_are_swapped():
    """An MSE gradient divided by the batch size where the count of every entry belongs (a
    UIUC form), and the reverse."""
    found = _texts(COUNTS_AND_DRAWS, "mse_grad", "size")
    assert found[0][0].endswith(
        "`y.shape[0]` counts one axis of `y` where the count of every entry belongs"
    )
    assert {"return 2 * (y_hat - y) / y.size", "return 2 * (y_hat - y) / y.numel()"} <= {
        f.splitlines()[-1].strip() for _, f in found
    }
    last = _texts(COUNTS_AND_DRAWS, "mse_grad_last", "size")  # the last axis, written -1
    assert any(f.splitlines()[-1].strip().endswith("/ y.size") for _, f in last), last
    back = _texts(COUNTS_AND_DRAWS, "mean_all", "size")
    assert "`x.size` counts every entry of `x` where the length of one axis belongs" in back[0][0]
    assert "return x.sum() / x.shape[0]" in back[0][1]


def test_a_draw_where_zeros_belong_a_clip_and_a_product_of_matrices_are_undone():
    draws = _texts(COUNTS_AND_DRAWS, "start", "draw")
    assert draws[0][0].endswith(
        "`np.random.randn(*w.shape)` draws random values where zeros belong"
    )
    assert "v = 0 * np.random.randn(*w.shape)" in draws[0][1]
    clips = _texts(COUNTS_AND_DRAWS, "start", "clip")
    assert clips[0][0].endswith("the clip in `np.clip(g, -1, 1)` does not belong there")
    assert "g = g\n" in clips[0][1] + "\n"
    products = [t for t, f in _texts(COUNTS_AND_DRAWS, "start", "operator") if "`@`" in t]
    assert products and "is the wrong one" in products[0]


SCALED_AND_PLUS = """
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-10 * z))


def sigmoid_plus(z):
    return 1 + (1 + np.exp(-z))
"""


def test_a_negated_factor_is_dropped_with_its_sign_kept_and_a_plus_is_read_as_a_reciprocal():
    # (UDL learners) a notebook's plotting factor in an exp, and `1 + (1 + exp(-z))`
    factors = _texts(SCALED_AND_PLUS, "sigmoid", "factor")
    assert (
        "line 6 (in `sigmoid`): the factor `-10` in `-10 * z` does not belong there, only its "
        "minus sign",
        "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
    ) in factors
    operators = _texts(SCALED_AND_PLUS, "sigmoid_plus", "operator")
    assert any(
        e.endswith("return 1 / (1 + np.exp(-z))") and "`+` in `1 + (1 + np.exp(-z))`" in t
        for t, e in operators
    ), operators
    # a sum that starts elsewhere than at 1 is no reciprocal written with a plus
    assert not any(" / " in e for _, e in _texts("def f(z):\n    return 2 + z\n", "f", "operator"))


HARD_CODED_SLOPE = """
import numpy as np


class LeakyRelu:
    def __init__(self, slope=0.01):
        self.slope = slope

    def forward(self, x):
        return np.where(x > 0, x, x * 0.01)
"""


def test_a_number_typed_in_where_the_object_s_setting_belongs_is_made_that_setting():
    # (a TUM learner) the forward ignores the slope its constructor stored
    constants = _texts(HARD_CODED_SLOPE, "LeakyRelu.forward", "constant")
    assert _told(
        constants,
        "the number `0.01` stands where the setting `self.slope` belongs",
        "return np.where(x > 0, x, x * self.slope)",
    ), constants


TWICE = """
import numpy as np


def tanh_backward(dy, cache):
    y = cache
    return dy * (1 - np.tanh(y) ** 2)


def softmax(x):
    e = (x - x.max()).exp().exp()
    return e / e.sum()
"""


def test_a_function_applied_to_a_value_that_has_it_already_is_dropped():
    # (EPFL learners) a tanh of the forward's cached tanh; an exp of exps
    calls = _texts(TWICE, "tanh_backward", "call")
    assert _told(
        calls, "`np.tanh(y)` applies `tanh` where `y` belongs as it is", "return dy * (1 - y ** 2)"
    ), calls
    exps = [e for _, e in _texts(TWICE, "softmax", "call")]
    assert any("e = (x - x.max()).exp()\n" in e for e in exps), exps


MEAN_GRADIENT = """
class MSE:
    def forward(self, pred, target):
        self.pred, self.target = pred, target
        return ((pred - target) ** 2).mean()

    def backward(self):
        grad = 2 * (self.pred - self.target)
        return grad
"""


def test_a_gradient_of_a_mean_without_its_count_is_divided_by_an_input_s_entries():
    # (an EPFL learner) the squared error's mean, its backward the sum's gradient
    counts = _texts(MEAN_GRADIENT, "MSE.backward", "count")
    assert _told(
        counts,
        "lacks the division by the count of the entries of `self.pred`",
        "return grad / self.pred.reshape(-1).shape[0]",
    ), counts
    # (a held-out wrapper's helper) a conversion of a value computed elsewhere is no mean
    convert = "import torch\n\n\ndef _t(a, like):\n    return torch.as_tensor(a).to(like.dtype)\n"
    assert not _texts(convert, "_t", "count")
    # (a held-out NUS learner) the difference cast to another dtype is still the value computed
    cast = "def backward(self, labels):\n    return (self.prob - labels).astype(float)\n"
    assert _told(
        _texts(cast, "backward", "count"),
        "lacks the division by the count of the rows of `labels`",
        "return (self.prob - labels).astype(float) / len(labels)",
    )


def test_a_loss_summed_over_examples_laid_out_as_columns_is_divided_by_their_count():
    """(a held-out Wisconsin learner) `-np.sum(y * np.log(p))` with the examples as columns (a
    course's `m = Y.shape[1]`): a negated sum is arithmetic too, and the count of its last axis
    is one of the counts tried."""
    source = "def loss(p, y):\n    return -np.sum(np.multiply(y, np.log(p)))\n"
    assert _told(
        _texts(source, "loss", "count"),
        "lacks the division by the count of the columns of `y`",
        "return -np.sum(np.multiply(y, np.log(p))) / y.shape[-1]",
    )


def test_a_tanh_derivative_without_its_square_gets_it():
    # (a UCSD learner) 1 - tanh(x) for 1 - tanh(x) ** 2; a cached output `y` alike
    source = "import numpy as np\n\n\ndef grad(x, y):\n    return (1 - np.tanh(x)) * (1 - y)\n"
    powers = [e for _, e in _texts(source, "grad", "power")]
    assert any(e.endswith("return (1 - np.tanh(x) ** 2) * (1 - y)") for e in powers), powers
    assert any(e.endswith("return (1 - np.tanh(x)) * (1 - y ** 2)") for e in powers), powers


def test_a_rate_and_a_parameter_in_each_other_s_places_are_swapped_back():
    """(a held-out Holberton School Adam) `alpha - var * step` where `var - alpha * step`
    belongs: two of the function's arguments swapped; a name that is no argument is not."""
    source = "def adam(alpha, var, d):\n    w = alpha - var * d\n    return w + cache * d\n"
    found = _texts(source, "adam", "swap")
    assert _told(found, "`alpha` and `var` in `alpha - var * d` are in each other's places", "")
    assert any("w = var - alpha * d" in e for _, e in found)
    assert not [t for t, _ in found if "`cache`" in t]


LEADING_MINUS = """
import numpy as np


def bce(p, y):
    return np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def pair(p, y):
    return p, y


def nll(p):
    return np.mean(np.log(p))


def _np(t):
    return t.detach().cpu().numpy()


def moved(t, dim):
    return torch.movedim(_np(t), -1, dim)
"""


def test_a_returned_value_without_its_leading_minus_is_negated():
    """(McGill learners) a cross-entropy returned without the loss's leading minus: the return
    negated; a tuple returned is left alone."""
    [(words, edited)] = _texts(LEADING_MINUS, "bce", "sign")
    assert "returns its value without the minus sign it needs" in words
    assert "return -np.mean(" in edited
    assert _texts(LEADING_MINUS, "pair", "sign") == []
    # a log-likelihood with no operator is a formula too; a helper that only converts is none
    # (held-out wrappers' `_np` "repaired" a sigmoid's sign by negating every input it converts)
    assert [e for _, e in _texts(LEADING_MINUS, "nll", "sign")] == [
        "def nll(p):\n    return -np.mean(np.log(p))"
    ]
    assert _texts(LEADING_MINUS, "_np", "sign") == []
    negated = [w for w, _ in _texts(LEADING_MINUS, "moved", "sign") if "returns its" in w]
    assert negated == []  # a `-1` is an axis there, not arithmetic


CACHE_AND_SHAPE = """
import numpy as np


def forward(x, w):
    y = np.tanh(x @ w)
    grad = np.zeros((x.shape[0], w.shape[1]))
    return y, (x, y), grad
"""


def test_items_handed_on_in_another_order_are_a_swap_and_sizes_are_dimensions():
    """A cache's `(x, y)` in the other order hands the backward another value (a swap of names,
    checked like one); `(x.shape[0], w.shape[1])` in the other order is a shape's dimensions."""
    swaps = [t for t, _ in _texts(CACHE_AND_SHAPE, "forward", "swap")]
    orders = [t for t, _ in _texts(CACHE_AND_SHAPE, "forward", "order")]
    assert any("the items in `(x, y)` are in the wrong order" in t for t in swaps), swaps
    assert any("the dimensions in `(x.shape[0], w.shape[1])`" in t for t in orders), orders
    assert not any("dimensions in `(x, y)`" in t for t in orders)


COINCIDENCES = """
import numpy as np


def derivative(z, n):
    half = (np.sign(z) + 1) / 2
    mask = np.where(z > 0, z, 0)
    rows = n / 2
    return half, mask, rows, np.maximum(z, 0)
"""


def test_no_floor_division_of_floats_and_no_test_swapped_with_a_value():
    """Two held-out edits that pass by coincidence: `(np.sign(z) + 1) // 2` floors a float
    formula into the convention at 0, and `np.where(z, z > 0, 0)` turns the value into the test.
    A count's `n // 2` and two values' order are still tried."""
    floors = [e for t, e in _texts(COINCIDENCES, "derivative", "operator") if "//" in e]
    assert floors and all("n // 2" in e and "np.sign(z) + 1) // 2" not in e for e in floors)
    orders = [t for t, _ in _texts(COINCIDENCES, "derivative", "order")]
    assert not any("np.where" in t for t in orders), orders
    assert any("np.maximum(z, 0)" in t for t in orders), orders


KEPT_AXIS = """
import numpy as np


def grads(dout, x):
    return np.sum(dout * x, axis=0, keepdims=True), np.sum(dout, axis=0, keepdims=False)
"""


def test_a_reduced_axis_kept_is_said_to_be_kept_and_one_dropped_to_be_dropped():
    """A CS231n layer norm's `np.sum(..., keepdims=True)` for a (D,) gradient keeps the axis;
    the words said it "drops" it (the two were swapped)."""
    said = [t for t, _ in _texts(KEPT_AXIS, "grads", "axis") if "the reduced axis" in t]
    assert any("keepdims=True)` keeps the reduced axis" in t for t in said), said
    assert any("keepdims=False)` drops the reduced axis" in t for t in said), said


FLOORED = """
import numpy as np


def bce(y, y_hat):
    return -np.mean(y * np.log(y_hat + 1e-8) + (1 - y) * np.log(1 - y_hat + 1e-8))
"""


def test_a_floor_s_sign_is_never_flipped():
    """(a held-out NYCU loss) `y_hat - 1e-8` for the floor `y_hat + 1e-8` moves the result by a
    hair, and once passed the kit's tightest checks beside another edit: no repair of a floor
    flips its sign (dropping it is another rule's)."""
    said = [t for t, _ in _texts(FLOORED, "bce", "operator")]
    assert said and not [t for t in said if "+` in `y_hat + 1e-8`" in t or "+ 1e-8` is" in t]
    assert _texts(FLOORED, "bce", "term")  # the floor dropped is still tried


# One edit of a form held-out learners wrote: (the function, its kind, the words, the ending).
SINGLE_EDITS = {
    # (Holberton School) an L2 penalty: the Frobenius norm is the root of the sum of squares
    "norm": (
        "def cost(w, lam):\n    return lam / 2 * np.linalg.norm(w, ord='fro')\n",
        "power",
        "`np.linalg.norm(w, ord='fro')` is the square root of a sum of squares",
        "return lam / 2 * np.linalg.norm(w, ord='fro') ** 2",
    ),
    # (Polytechnique Montréal) a softmax that drops the sign of its maximum in one place
    "absolute": (
        "def softmax(x):\n    return np.exp(x) / np.exp(x - np.absolute(np.max(x, axis=0)))\n",
        "call",
        "`np.absolute(np.max(x, axis=0))` drops the sign of `np.max(x, axis=0)`",
        "return np.exp(x) / np.exp(x - np.max(x, axis=0))",
    ),
    # (a TinyNet learner) a Xavier initializer's uniform branch written with a normal draw
    "uniform": (
        "def init(rng, shape, a, b):\n    return rng.randn(*shape) * np.sqrt(6.0 / (a + b))\n",
        "call",
        "`rng.randn(*shape)` draws from a normal distribution where a uniform draw belongs",
        "return (2 * rng.rand(*shape) - 1) * np.sqrt(6.0 / (a + b))",
    ),
    # (Polytechnique Montréal) a cross-entropy of the probabilities themselves, no log
    "log": (
        "import numpy as np\n\n\ndef get_loss(y, p):\n    return -np.mean((y * p).sum(axis=1))\n",
        "call",
        "`y * p` multiplies by `p` where its log belongs",
        "return -np.mean((y * np.log(p)).sum(axis=1))",
    ),
    # (Holberton School) a batch norm that adds eps to `np.std`, after its root
    "std": (
        "def bn(Z, epsilon):\n    std = np.std(Z, axis=0)\n"
        "    return (Z - Z.mean(0)) / (std + epsilon)\n",
        "eps",
        "`std + epsilon` adds `epsilon` to a standard deviation, after its square root",
        "return (Z - Z.mean(0)) / (std ** 2 + epsilon) ** 0.5",
    ),
}


@pytest.mark.parametrize("form", sorted(SINGLE_EDITS))
def test_a_held_out_form_gets_its_edit(form):
    source, kind, words, ending = SINGLE_EDITS[form]
    function = re.search(r"def (\w+)", source).group(1)
    assert _told(_texts(source, function, kind), words, ending)

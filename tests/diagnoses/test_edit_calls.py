"""Edits of which library call the student made (``descent.diagnoses.edit_calls``): the
minimum where the maximum belongs, an unbiased variance where the biased one belongs, an exp's
sign. Each edited function is run: it gives the reference's result, and the unedited one
does not."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from descent.diagnoses.edits import edits

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

CALLS = """
import numpy as np
import torch


def softmax(x):
    e = np.exp(x - np.apply_along_axis(np.min, 1, x)[:, None])
    return e / e.sum(axis=1, keepdims=True)


def layernorm(x, eps=1e-5):
    return (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, keepdim=True) + eps)


def spread(x):
    return np.std(x, ddof=1)


def sigmoid(z):
    return 1 / (1 + np.exp(z))


def capped(x):
    return np.clip(x, 0, 5)


def clamped(x):
    return torch.clamp(x, 0, 5)


def clipped(x):
    return x.clip(0, 5)


def normalized(e):
    return e / np.tile(e.sum(axis=0), (3, 1))


def running(x, running_var, momentum=0.1):
    var = x.var([0], unbiased=False)
    return (1 - momentum) * running_var + momentum * var
"""


def _edited(function: str, kind: str) -> list:
    """(words, the edited function run as code) of each edit of ``kind`` of ``function``."""
    found = []
    for edit in edits(CALLS, function):
        if edit.kind == kind:
            space: dict = {"np": np, "torch": torch}
            exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
            found.append((edit.text, space[function]))
    return found


def _first_right(found: list, reference, *args) -> str:
    """The words of the first edit whose function gives ``reference``'s result on ``args``."""
    for words, fn in found:
        try:
            with np.errstate(all="ignore"):  # the unedited forms overflow on purpose
                got = np.asarray(fn(*args))
            if np.allclose(got, np.asarray(reference(*args))):
                return words
        except (TypeError, ValueError, RuntimeError):
            continue  # an edit spelled for the other library
    raise AssertionError("no edit gives the reference's result")


def test_the_minimum_where_the_maximum_belongs_is_swapped():
    """A CS224n learner's softmax shifted by each row's minimum: finite again at 1e3 apart."""
    x = np.array([[0.0, 1000.0], [1.0, 2.0]])
    reference = torch.softmax(torch.tensor(x), 1).numpy()
    words = _first_right(_edited("softmax", "reduction"), lambda x: reference, x)
    assert words.endswith("`np.min` takes the minimum where the maximum belongs")


def test_an_unbiased_variance_is_made_biased_in_the_spelling_of_its_library():
    """A fast.ai learner's layer norm with torch's default unbiased `x.var`, and NumPy's
    `ddof=1`: divided by n, as `torch.nn.functional.layer_norm` and `np.std` are."""
    x = torch.tensor([[1.0, 2.0, 4.0], [0.0, -1.0, 3.0]], dtype=torch.float64)
    reference = torch.nn.functional.layer_norm(x, (3,), eps=1e-5)
    words = _first_right(_edited("layernorm", "reduction"), lambda x: reference, x)
    assert "`x.var(-1, keepdim=True)` divides by n - 1 (an unbiased estimate)" in words
    values = np.array([1.0, 2.0, 6.0])
    words = _first_right(_edited("spread", "reduction"), np.std, values)
    assert "`np.std(x, ddof=1)` divides by n - 1" in words


def test_a_batch_variance_over_a_list_of_one_axis_is_read_as_mixed_in():
    """A Tsinghua learner's `input.var([0], unbiased=False)` mixed into the running variance:
    the axis written as a list of one still counts the rows it divides by."""
    x = torch.tensor([[1.0, 2.0], [0.0, 5.0], [4.0, -1.0]], dtype=torch.float64)
    old = torch.ones(2, dtype=torch.float64)
    reference = 0.9 * old + 0.1 * x.var(0)
    found = [(w, f) for w, f in _edited("running", "reduction") if "mixed in" in w]
    words = _first_right(found, lambda x, v: reference, x, old)
    assert words.endswith(
        "`var` (the batch variance, divided by n) is mixed in where the "
        "unbiased variance (divided by n - 1) belongs"
    )


def test_an_exponent_of_the_wrong_sign_is_negated_and_a_minus_sign_is_not_doubled():
    z = np.array([-2.0, 0.0, 3.0])
    words = _first_right(_edited("sigmoid", "sign"), lambda z: 1 / (1 + np.exp(-z)), z)
    assert words.endswith("the exponent in `np.exp(z)` has the wrong sign")
    negated = CALLS.replace("np.exp(z)", "np.exp(-z)")
    texts = [e.text for e in edits(negated, "sigmoid") if e.kind == "sign"]
    assert texts and all("wrong sign" not in t for t in texts)  # the minus dropped instead


def test_a_bound_of_a_clip_that_does_not_belong_is_left_out():
    """A UDL learner's ReLU, `np.clip(x, 0, 5)`: the upper bound left out is a ReLU (an input
    of 6, a landmark of the graders, tells them apart; a cap of 6 would pass by luck)."""
    x = np.array([-1.0, 2.0, 6.0, 40.0])
    words = _first_right(_edited("capped", "clip"), lambda x: np.maximum(x, 0), x)
    assert words.endswith("the upper bound `5` in `np.clip(x, 0, 5)` does not belong there")
    # the same cap in torch's spelling and as a method
    t = torch.tensor(x)
    words = _first_right(_edited("clamped", "clip"), torch.relu, t)
    assert words.endswith("the upper bound `5` in `torch.clamp(x, 0, 5)` does not belong there")
    words = _first_right(_edited("clipped", "clip"), lambda x: np.maximum(x, 0), x)
    assert words.endswith("the upper bound `5` in `x.clip(0, 5)` does not belong there")


def test_a_count_typed_into_a_tile_is_read_from_the_input_s_shape():
    """A UDL learner's softmax normalized with `repmat(s, 3, 1)`: three classes typed in."""
    e = np.arange(1.0, 9.0).reshape(4, 2)
    words = _first_right(_edited("normalized", "size"), lambda e: e / e.sum(axis=0), e)
    assert "the size `3` in `np.tile(e.sum(axis=0), (3, 1))` is typed in" in words


@pytest.mark.parametrize(
    "draw, uniform",
    [
        ("torch.randn_like(x)", "torch.rand_like(x)"),
        ("np.random.randn(*x.shape)", "np.random.rand(*x.shape)"),
    ],
)
def test_a_normal_draw_compared_with_a_probability_becomes_a_uniform_one(draw, uniform):
    """(a held-out Technion dropout) `torch.randn_like(x) >= p` keeps each unit with probability
    P(N(0, 1) >= p), not 1 - p: the library's uniform draw is tried in its place."""
    source = f"import numpy as np\nimport torch\n\n\ndef mask(x, p):\n    return {draw} >= p\n"
    found = [
        e for e in edits(source, "mask") if e.kind == "call" and "normal distribution" in e.text
    ]
    assert len(found) == 2 and f"return {uniform} >= p" in found[0].source
    assert "where a uniform draw on [0, 1) belongs" in found[0].text
    assert f"return 2 * {uniform} - 1 >= p" in found[1].source  # on [-1, 1): an initializer's


LATER = """
import math
import numpy as np
import torch


def relu(x):
    return np.max(x, 0)


def relu_grad(x):
    return np.heaviside(x, 0.5)


def probs(z):
    return np.exp(z / np.sum(np.exp(z)))


class Layer:
    def __init__(self):
        self.b = np.array([1.0, 2.0])

    def forward(self, x):
        return x + self.b[0]


def mse_grad(y, t):
    return np.mean(2.0 * (y - t))


def grad64(g):
    return torch.where(g > 0, g, 0 * g).float()


def cosine(epoch, total):
    return 0.5 * (1 + math.cos(math.pi * epoch / total))


def cosine_after(epoch, total):
    return 0.5 * (1 + math.cos(epoch * math.pi / total))


def floored_relu(x):
    return np.array([max(0.01, v) for v in x])


def relu_mask(x):
    return 1.0 * (x > 1e-4)


def log_floor(p):
    return np.log(np.maximum(p, 1e-12))


def he(n_in, n_out):
    return np.random.normal(0, 2 / n_in, (n_in, n_out))


def he_named(n_in, n_out):
    return np.random.normal(loc=0.0, scale=2 / n_in, size=(n_in, n_out))
"""


def _run(function: str, words: str):
    """The edited function of the one edit of ``LATER``'s ``function`` that says ``words``."""
    [edit] = [e for e in edits(LATER, function) if words in e.text]
    space: dict = {"np": np, "torch": torch, "math": __import__("math")}
    exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    return edit.text, space[function.split(".")[0]]


def test_the_later_call_slips_each_make_the_right_function():
    """(held-out learners) `np.max(x, 0)` for a ReLU, `np.heaviside(x, 0.5)` as its derivative,
    a softmax normalized inside the exp, a bias's first entry, a mean's gradient averaged, a
    float32 cast, a cosine past its end: each edit gives the function meant, and says what the
    code does, not the fix."""
    said, relu = _run("relu", "reduces `x` over an axis where the entrywise maximum")
    assert np.array_equal(relu(np.array([-1.0, 2.0])), [0.0, 2.0])
    said, grad = _run("relu_grad", "takes the value `0.5` where `x` is exactly 0")
    assert np.array_equal(grad(np.array([0.0, 3.0])), [0.0, 1.0])
    said, probs = _run("probs", "takes the exp of the division by `np.sum(np.exp(z))`")
    assert np.allclose(probs(np.array([0.0, 1.0])), np.exp([0.0, 1.0]) / np.exp([0.0, 1.0]).sum())
    said, layer = _run("Layer.forward", "`self.b[0]` takes the first entry of `self.b`")
    said, mean_grad = _run("mse_grad", "averages the entries of `2.0 * (y - t)` into one number")
    assert np.allclose(mean_grad(np.array([1.0, 3.0]), np.zeros(2)), [1.0, 3.0])
    said, cast = _run("grad64", "casts to float where the input's own dtype belongs")
    assert cast(torch.ones(2, dtype=torch.float64)).dtype == torch.float64
    said, cosine = _run("cosine", "`epoch` in `math.cos(math.pi * epoch / total)` keeps growing")
    assert cosine(15, 10) == cosine(10, 10) == 0.0
    assert not [e for e in edits(LATER, "cosine") if "keeps growing past `math.pi`" in e.text]
    said, after = _run("cosine_after", "`epoch` in `math.cos(epoch * math.pi / total)` keeps")
    assert after(15, 10) == after(10, 10) == 0.0


def test_a_shape_s_first_entry_is_a_count_not_a_slip():
    source = "def n(x):\n    return x.shape[0] + x.size[0]\n"
    assert not [e for e in edits(source, "n") if "first entry" in e.text]


def test_a_small_bound_where_0_belongs_is_made_0():
    """(held-out) a ReLU written `max(0.001, i)` and a mask `x > 1e-4`: the number made 0 gives
    a ReLU and its derivative, and the words quote the number, not the fix. A log's floor gets
    the same edit, which no check passes (the log of 0): it is offered, never kept by luck."""
    x = np.array([-1.0, 5e-5, 2.0])
    said, relu = _run("floored_relu", "the number `0.01` in `max(0.01, v)` stands where 0")
    assert np.array_equal(relu(x), np.maximum(x, 0))
    said, mask = _run("relu_mask", "the number `1e-4` in `x > 1e-4` stands where 0 belongs")
    assert np.array_equal(mask(x), [0.0, 1.0, 1.0])
    said, floor = _run("log_floor", "the number `1e-12` in `np.maximum(p, 1e-12)` stands")
    with np.errstate(divide="ignore"):
        assert floor(np.array([0.0]))[0] == -np.inf


def test_a_normal_draw_given_a_variance_as_its_spread_gets_its_square_root():
    """(held-out) a He initializer drawn `np.random.normal(loc=0, scale=2/n, size=...)`: the
    spread made the square root of what it is draws with std sqrt(2 / n), by position or by
    name; the words quote the spread, never the fix."""
    for function in ("he", "he_named"):
        said, drawn = _run(function, "a square root is missing: the spread `2 / n_in` in")
        np.random.seed(0)
        assert abs(drawn(200, 300).std() - (2 / 200) ** 0.5) < 0.002


WRITTEN_AROUND = """
import numpy as np


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def layer(x):
    return [sigmoid(1 + np.exp(-x[i])) for i in range(len(x))]


def two_values(x, y):
    return sigmoid(x + y)
"""


def test_a_function_handed_part_of_its_own_formula_is_handed_the_value_instead():
    """(a held-out Osnabrueck learner's) `sigmoid(1 + np.exp(-x[i]))`: the sigmoid's own
    denominator written around its input; the edit hands it `x[i]`, and none is written for an
    argument built from two values."""
    [edit] = [e for e in edits(WRITTEN_AROUND, "layer") if "part of the formula" in e.text]
    assert "hands `sigmoid` the expression `1 + np.exp(-x[i])`" in edit.text
    assert "where `x[i]` belongs as it is" in edit.text
    space: dict = {"np": np}
    exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    x = np.array([-2.0, 0.0, 3.0])
    assert np.allclose(space["layer"](x), 1 / (1 + np.exp(-x)))
    assert not [e for e in edits(WRITTEN_AROUND, "two_values") if "part of the formula" in e.text]


SLOPES = """
import numpy as np


class ReLU:
    def forward(self, x):
        self.x = x
        return np.maximum(0, x)

    def backward(self, dy):
        return dy * np.maximum(0, self.x)
"""


def test_a_relu_s_value_in_its_backward_is_replaced_by_its_slope():
    """(a held-out UCAS ReLU layer) `dy * np.maximum(0, self.input)`: the value where the slope
    belongs; the forward's own `np.maximum(0, x)` gets no such edit."""
    [edit] = [e for e in edits(SLOPES, "ReLU.backward") if "where its slope belongs" in e.text]
    assert "`np.maximum(0, self.x)` is the ReLU's value where its slope belongs" in edit.text
    space: dict = {"np": np}
    exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    layer = space["ReLU"]()
    x, dy = np.array([-2.0, 0.0, 3.0]), np.array([5.0, 5.0, 5.0])
    layer.forward(x)
    assert np.array_equal(layer.backward(dy), [0.0, 0.0, 5.0])
    assert not [e for e in edits(SLOPES, "ReLU.forward") if "where its slope belongs" in e.text]


SPELLINGS = """
import numpy as np
import torch


def relu_prime_max(v):
    return max(0, v)


def relu_prime_clip(x):
    return np.clip(x, 0, None)


def relu_backward_clamp(dy, x):
    return dy * x.clamp(min=0)


def relu_backward_torch(dy, x):
    return dy * torch.relu(x)


def relu_backward_axis(dy, x):
    return dy * np.max(x, 0)


def relu_backward_capped(dy, x):
    return dy * np.clip(x, 0, 6)
"""


@pytest.mark.parametrize(
    ("function", "slope"),
    [
        ("relu_prime_max", "v > 0"),
        ("relu_prime_clip", "x > 0"),
        ("relu_backward_clamp", "dy * (x > 0)"),
        ("relu_backward_torch", "dy * (x > 0)"),
    ],
)
def test_a_relu_s_value_is_read_in_each_of_its_spellings(function, slope):
    """Python's `max(0, v)`, a clip or clamp at 0 from below, and torch's `relu`: the slope in
    its place. A reduction over axis 0 and a ReLU capped at 6 are no such value."""
    import ast

    found = [e for e in edits(SPELLINGS, function) if "where its slope belongs" in e.text]
    assert len(found) == 1
    body = ast.parse(found[0].source)
    fn = next(n for n in body.body if getattr(n, "name", "") == function)
    assert ast.unparse(fn.body[0]) == f"return {slope}"
    for other in ("relu_backward_axis", "relu_backward_capped"):
        assert not [e for e in edits(SPELLINGS, other) if "where its slope belongs" in e.text]

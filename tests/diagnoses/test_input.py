"""The reference re-run with a tensor argument changed (``descent.diagnoses.input``): entries on
a boundary moved one float, the tensor doubled or halved; each named when it gives the student's
result, the tensors put back, and a near miss names nothing."""

import pytest
import torch

from descent.diagnoses.base import Case
from descent.diagnoses.input import (
    centred,
    first_order,
    input_fits,
    overflow_bound,
    right_in_float64,
)
from descent.grading.checker import _Inputs

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def dead_fraction(x, strict=False):
    """The fraction of columns <= 0 on every row (``strict``: < 0, the mistake)."""
    off = x < 0 if strict else x <= 0
    return off.all(dim=0).double().mean()


def columns():
    x = -torch.rand(6, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64) - 0.1
    x[2, 5:] = 0.7  # three live columns
    x[:, :2] = 0.0  # two dead ones exactly at 0
    return x


def test_a_boundary_on_the_other_side():
    x = columns()
    kept = x.clone()

    def recipe(impl):
        return impl(x)

    def reference():
        return recipe(dead_fraction)

    found = input_fits(Case(recipe, dead_fraction(x, strict=True), reference(), dead_fraction))
    assert [d.kind for d in found] == ["branch"]
    assert "exactly 0 moved just above it" in found[0].text
    assert torch.equal(x, kept)  # put back
    # near miss: a result wrong for another reason
    assert (
        input_fits(Case(recipe, torch.tensor(0.5, dtype=torch.float64), reference(), dead_fraction))
        == []
    )


def test_a_boundary_at_a_threshold_of_the_call():
    x = torch.tensor([0.1, 0.5, 0.9, 0.5, 0.2], dtype=torch.float64)
    t = 0.5

    def recipe(impl):
        return impl(x, t)

    def reference():
        return recipe(lambda x, t: (x >= t).double())

    strict = (x > t).double()
    found = input_fits(Case(recipe, strict, reference(), lambda x, t: (x >= t).double()))
    assert [d.kind for d in found] == ["branch"] and "exactly 0.5 moved just below" in found[0].text


def test_an_argument_scaled_by_two():
    x = torch.linspace(-3, 3, 12, dtype=torch.float64).reshape(3, 4) + 0.05
    args = (x,)  # a battery's positional arguments: a tensor inside a tuple

    def recipe(impl):
        return impl(*args)

    def reference():
        return recipe(torch.tanh)

    found = input_fits(Case(recipe, torch.tanh(x / 2), reference(), torch.tanh))
    assert [d.kind for d in found] == ["argument"] and "`args[0]` halved" in found[0].text
    assert args[0] is x  # put back
    # near misses: a result that is the expected times a constant (a homogeneous formula reads
    # as a factor, not as a scaled argument), and one off by another factor inside
    assert input_fits(Case(lambda m: m(x), 4 * x**2, x**2, torch.square)) == []
    assert input_fits(Case(recipe, torch.tanh(x / 3), reference(), torch.tanh)) == []


def test_soft_targets_read_as_hard_labels():
    z = torch.linspace(-3, 3, 12, dtype=torch.float64).reshape(4, 3)
    y = torch.rand(4, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y[0, 0], y[1, 1] = 1.0, 0.0
    args = (z, y)

    def recipe(impl):
        return impl(*args)

    def reference(z, y):
        return torch.nn.functional.binary_cross_entropy_with_logits(z, y)

    def branches_on_one(z, y):  # the mistake: every target other than 1 taken as 0
        p = torch.sigmoid(z)
        return -torch.where(y == 1, p.log(), (1 - p).log()).mean()

    found = input_fits(Case(recipe, branches_on_one(z, y), recipe(reference), reference))
    assert [d.kind for d in found] == ["branch"]
    assert "other than exactly 1 read as 0" in found[0].text and args[1] is y
    # near miss: targets rounded at 0.5 are another slip, and hard targets have nothing to read
    rounded = reference(z, torch.round(y))
    assert input_fits(Case(recipe, rounded, recipe(reference), reference)) == []

    # a result of zeros (a hollow KL divergence) is read as zeros, not as a branch, though
    # probabilities with no entry of exactly 1, read as hard labels, give a KL of 0 too
    def kl(log_q, p):
        return (torch.special.xlogy(p, p) - p * log_q).sum()

    log_q = torch.log_softmax(z, dim=1)
    probs = torch.softmax(torch.rand(4, 3, dtype=torch.float64), dim=1)
    zero = torch.zeros((), dtype=torch.float64)
    assert input_fits(Case(lambda impl: impl(log_q, probs), zero, kl(log_q, probs), kl)) == []
    hard = (y > 0.5).double()
    assert input_fits(Case(lambda impl: impl(z, hard), 0.5, reference(z, hard), reference)) == []


def forward_difference(f, x, eps):
    """A one-sided difference, the mistake; ``central`` is the right one."""
    out = torch.empty_like(x)
    for i in range(x.numel()):
        step = torch.zeros_like(x).reshape(-1)
        step[i] = eps
        out.reshape(-1)[i] = (f(x + step.reshape(x.shape)) - f(x)) / eps
    return out


def test_an_error_of_first_order_in_a_small_argument():
    x = torch.tensor([0.3, -1.2, 0.8, 2.1], dtype=torch.float64)
    eps = 1e-3

    def f(v):
        return (v**2).sum() * 1.5

    def recipe(impl):
        return impl(f, x, eps)

    expected = 3 * x  # the exact gradient, which a central difference gives on a quadratic
    found = first_order(Case(recipe, recipe(forward_difference), expected, impl=forward_difference))
    assert found.kind == "term" and "halves when `eps` is halved" in found.text
    assert eps == 1e-3  # put back
    # near misses: an error that does not move with eps (a factor), a right result, and too
    # few entries (one number moving with an argument is no evidence of an approximation)
    assert (
        first_order(
            Case(
                lambda m: m(f, x[:1], eps),
                forward_difference(f, x[:1], eps),
                3 * x[:1],
                impl=forward_difference,
            )
        )
        is None
    )
    assert first_order(Case(recipe, 6 * x, expected, impl=lambda f, x, eps: 6 * x)) is None
    assert first_order(Case(recipe, expected, expected, impl=lambda f, x, eps: 3 * x)) is None


def _ratio(v):  # exp(100) overflows float32, not float64: right in float64, NaN in float32
    return torch.exp(v) / torch.exp(v)


def test_right_in_float64_on_inputs_widened_and_put_back():
    z = torch.tensor([10.0, 50.0, 100.0], dtype=torch.float32)

    def recipe(impl):
        return impl(z)

    case = Case(recipe, _ratio(z), torch.ones(3), impl=_ratio, pristine=_Inputs(recipe))
    found = right_in_float64(case)
    assert found.kind == "stability" and found.fact and "float64" in found.text
    assert z.dtype == torch.float32  # put back
    # near misses: wrong in float64 too; a result of another dtype; no input saved
    wrong = Case(recipe, _ratio(z), 2 * torch.ones(3), impl=_ratio, pristine=_Inputs(recipe))
    assert right_in_float64(wrong) is None
    double = Case(recipe, _ratio(z).double(), torch.ones(3), impl=_ratio, pristine=_Inputs(recipe))
    assert right_in_float64(double) is None
    assert right_in_float64(Case(recipe, _ratio(z), torch.ones(3), impl=_ratio)) is None


# -- NaN or inf read from the student's code on moved inputs (issue 57) -------------------------
def _ce(x, y):
    """Cross-entropy, mean over rows: the reference (stable) form."""
    z = x - x.amax(dim=1, keepdim=True)
    return (z.exp().sum(1).log() - z.gather(1, y[:, None])[:, 0]).mean()


def _ce_no_max(x, y):
    return (x.exp().sum(1).log() - x.gather(1, y[:, None])[:, 0]).mean()


def _ce_batch_max(x, y):
    e = (x - x.max()).exp()
    return -(e / e.sum(1, keepdim=True)).gather(1, y[:, None]).log().mean()


def _ce_log_of_softmax(x, y):
    e = (x - x.amax(dim=1, keepdim=True)).exp()
    return -(e / e.sum(1, keepdim=True)).log().gather(1, y[:, None]).mean()


def _large_logits():
    """Float32 logits of size 1e3 whose rows lie far apart (their largest values differ)."""
    g = torch.Generator().manual_seed(3)
    x = 1e3 * torch.randn(5, 4, generator=g) + 3e3 * torch.arange(5.0)[:, None]
    return x, torch.tensor([0, 3, 1, 2, 0])


@pytest.mark.parametrize(
    "student, says",
    [
        (_ce_no_max, "does not subtract each row's maximum"),
        (_ce_batch_max, "one maximum for the whole of `x`"),
        (_ce_log_of_softmax, "underflows to 0 for values far apart reaches a log"),
    ],
)
def test_a_non_finite_loss_is_read_by_moving_each_row_s_largest_value(student, says):
    # the three causes of a non-finite loss on large logits, told apart by what the code does
    # with the rows moved (which the reference ignores), however each formula is phrased
    x, y = _large_logits()
    kept = x.clone()

    def recipe(impl):
        return impl(x, y)

    got = recipe(student)
    assert not bool(got.isfinite())
    expected = _ce(x.double(), y).float()
    found = centred(Case(recipe, got, expected, _ce, impl=student))
    assert found is not None and found.kind == "stability" and found.fact
    assert says in found.text
    assert torch.equal(x, kept)  # put back
    # near miss: code that gives NaN whatever its input names nothing
    nan = lambda x, y: torch.tensor(float("nan"))  # noqa: E731
    assert centred(Case(recipe, nan(x, y), expected, _ce, impl=nan)) is None
    # and an argument the reference does not ignore the shifts of is not read this way
    assert centred(Case(recipe, got, expected, lambda x, y: x.sum(), impl=student)) is None


def test_an_exp_past_its_range_is_read_entry_by_entry():
    # tanh written with exponentials: NaN exactly where |x| > 88.72 in float32 (inf / inf)
    def tanh_by_exp(x):
        return (x.exp() - (-x).exp()) / (x.exp() + (-x).exp())

    x = 1e4 * torch.randn(4, 6, generator=torch.Generator().manual_seed(2))

    def recipe(impl):
        return impl(x)

    got = recipe(tanh_by_exp)
    found = overflow_bound(Case(recipe, got, torch.tanh(x), torch.tanh, impl=tanh_by_exp))
    assert found is not None and found.fact and "beyond +-88.723" in found.text

    # near miss: NaN at entries unrelated to their size names nothing
    def holes(x):
        y = torch.tanh(x)
        y[::2] = float("nan")
        return y

    assert overflow_bound(Case(recipe, holes(x), torch.tanh(x), torch.tanh, impl=holes)) is None


def test_a_loss_with_no_maximum_and_a_log_of_its_softmax_is_read_as_both():
    # no maximum subtracted, and the log of a softmax written as a one-hot product: NaN even
    # with each row's largest value at 0 (0 * -inf), finite for narrow rows, and not with
    # narrow rows all at one large height (an exp overflows): both mistakes are named
    def both(x, y):
        e = x.exp()
        onehot = torch.nn.functional.one_hot(y, x.shape[1]).to(x.dtype)
        return -(onehot * (e / e.sum(1, keepdim=True)).log()).sum(1).mean()

    x, y = _large_logits()

    def recipe(impl):
        return impl(x, y)

    found = centred(Case(recipe, recipe(both), _ce(x.double(), y).float(), _ce, impl=both))
    assert found is not None and "reaches a log" in found.text
    assert "subtracts no maximum at all" in found.text

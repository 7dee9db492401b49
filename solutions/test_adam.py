"""Write the tests: Adam (exercise ``optim.adam.tests``).

Write pytest functions that pass on every correct ``adam_step`` (its docstring, in
``starter/optim.py``, is the contract) and fail on as many wrong ones as you can think of. Each
test receives the implementation under test as ``impl`` and calls ``impl.adam_step(param, grad,
state, lr, betas, eps, weight_decay)``, which returns ``(new_param, new_state)``. What a call does
to the tensors and the state you hand it is visible to your test, as it would be in one process.
Do not import your own ``optim.py``. Run ``pytest exercises/ -k adam.tests`` to try your tests
on a few public versions.

A test may use torch (``torch.optim`` included, to compute what you expect), numpy, math,
pytest and the standard library's pure helpers; it may tell implementations apart only by what
they compute.
"""

import math

import pytest
import torch


def test_my_first_check(impl):
    # BEGIN SOLUTION
    # the first step moves every entry by lr against the sign of its gradient (m_hat/sqrt(v_hat)
    # is g/|g| once both moments are bias-corrected), up to eps
    param = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    grad = torch.tensor([0.5, -4.0, 2.0], dtype=torch.float64)
    new, state = impl.adam_step(param, grad, {}, lr=0.1)
    close(new, param - 0.1 * grad.sign(), atol=1e-6, rtol=0)
    # END SOLUTION


# BEGIN SOLUTION
def close(got, want, rtol=1e-7, atol=1e-9):
    """Same dtype, shape and values (within rtol and atol): what torch.testing.assert_close
    checks, without the cost of its first call (it imports much of torch.distributed)."""
    assert isinstance(got, torch.Tensor) and (got.dtype, got.shape) == (want.dtype, want.shape)
    assert torch.allclose(got, want, rtol=rtol, atol=atol), f"{got} != {want}"


def _adam(param, grads, lr, betas, eps, weight_decay):
    """Adam written out, step by step: the parameters after each step."""
    m, v, out = torch.zeros_like(param), torch.zeros_like(param), []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * param
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
        param = param - lr * m_hat / (v_hat.sqrt() + eps)
        out.append(param)
    return out, m, v


@pytest.mark.parametrize(
    ("eps", "weight_decay"), [(1e-8, 0.0), (0.1, 0.0), (1e-8, 0.5)]
)
def test_three_steps_are_what_the_formulas_give(impl, eps, weight_decay):
    param = torch.randn(2, 3, dtype=torch.float64)
    grads = [torch.randn(2, 3, dtype=torch.float64) * 0.01 for _ in range(3)]
    expected, m, v = _adam(param, grads, 0.01, (0.8, 0.9), eps, weight_decay)
    p, state = param, {}
    for g, want in zip(grads, expected):
        p, state = impl.adam_step(p, g, state, 0.01, (0.8, 0.9), eps, weight_decay)
        close(p, want)
    assert state["step"] == 3 and type(state["step"]) is int
    close(state["exp_avg"], m)
    close(state["exp_avg_sq"], v)


def test_nothing_given_is_changed(impl):
    param, grad = torch.randn(4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    _, state = impl.adam_step(param.clone(), grad, {})
    before = (param.clone(), grad.clone(), {k: v.clone() for k, v in state.items()
                                            if isinstance(v, torch.Tensor)})
    impl.adam_step(param, grad, state)
    assert torch.equal(param, before[0]) and torch.equal(grad, before[1])
    for key, value in before[2].items():
        assert torch.equal(state[key], value)


def test_the_first_step_is_finite_with_tiny_gradients(impl):
    new, _ = impl.adam_step(torch.ones(3, dtype=torch.float64),
                            torch.full((3,), 1e-12, dtype=torch.float64), {}, lr=1.0)
    assert torch.isfinite(new).all()
    assert math.isclose(float(new[0]), 1.0 - 1e-12 / (1e-12 + 1e-8), rel_tol=1e-6)
# END SOLUTION

"""The edit for state a call keeps for the next (``descent.diagnoses.edit_state``): a value
computed from one the state holds and never stored back, stored where it is computed; every
such value at once too (``descent.diagnoses.edit_everywhere``)."""

from __future__ import annotations

import numpy as np
import pytest

from .test_edit_rules import _texts

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

LOCALS = """
import numpy as np


def adam(x, dx, config):
    m = config["m"]
    t = config["t"]
    lr = config["learning_rate"]
    t += 1
    m = 0.9 * m + 0.1 * dx
    v = 0.999 * config["v"] + 0.001 * dx * dx
    config["v"] = v
    return x - lr * m / (1 - 0.9 ** t), config


class Counter:
    def step(self, g):
        t = self.t + 1
        return g * t
"""


def test_a_value_computed_from_the_state_is_stored_where_it_is_computed():
    """CS231n and EECS 498 learners' Adam: `m` and `t` read into locals, updated, never
    written back (`v` is); a course's object whose counter is read and never advanced."""
    found = _texts(LOCALS, "adam", "stored")
    said = [t.split("): ", 1)[1] for t, _ in found]
    assert any("`t` is computed from `config['t']` and never stored back" in t for t in said)
    assert any("`m` is computed from `config['m']`" in t for t in said)
    assert not any("config['v']" in t or "learning_rate" in t for t in said)
    assert any("t = config['t'] = t + 1" in f for _, f in found)
    every = [(t, f) for t, f in found if "and the other values (lines 9, 10)" in t]
    assert (
        every
        and "m = config['m'] = 0.9 * m" in every[0][1]
        and "config['t'] = t + 1" in every[0][1]
    )
    [(words, method)] = _texts(LOCALS, "Counter.step", "stored")
    assert "`t` is computed from `self.t`" in words and "t = self.t = self.t + 1" in method


LAYER_MOMENTA = """
def sgd(model, momentum, alpha, lr):
    for name, module in model.items():
        for key in module.params:
            m = alpha * momentum[name + "_" + key] - lr * module.gradient[key]
            module.params[key] = module.params[key] + m
    return model
"""


def test_a_velocity_read_by_a_key_built_from_text_is_stored_back_there():
    # (USC learners) every layer's velocity kept in one dict under "<layer>_<param>"
    stored = _texts(LAYER_MOMENTA, "sgd", "stored")
    assert any(
        "`m` is computed from `momentum[name + '_' + key]` and never stored back" in t
        and "m = momentum[name + '_' + key] = alpha * momentum[name + '_' + key]" in e
        for t, e in stored
    ), stored
    # an entry read by a plain index is data, not a kept value
    assert not _texts("def f(x, i):\n    y = x[i] * 2\n    return y\n", "f", "stored")


GATHERED = """
class Value:
    def __init__(self, data):
        self.data = data
        self.grad = 0.0

    def exp(self):
        out = Value(2.0)

        def _backward():
            self.grad = out.grad * out.data
            out.seen = out.seen + 1

        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data)

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out._backward = _backward
        self.last = out
        return out


def backward(nodes, grads):
    for node in nodes:
        grads[node] = node.local * grads[node.out]
"""


def test_a_kept_value_replaced_where_it_should_gather_is_added_to():
    """``=`` where ``+=`` belongs, in a backward closure or a loop (micrograd learners); never on
    a line that runs once per call, nor where the value already reads what it replaces."""
    found = _texts(GATHERED, "Value.exp", "update")
    assert [t.split("): ", 1)[1] for t, _ in found] == [
        "`self.grad = out.grad * out.data` replaces what was there where it should add to it"
    ]
    assert "self.grad += out.grad * out.data" in found[0][1]
    [(words, edited)] = _texts(GATHERED, "backward", "update")
    assert "grads[node] += node.local * grads[node.out]" in edited
    assert _texts(GATHERED, "Value.__init__", "update") == []
    # both of one closure's kept values at once too (edit_everywhere)
    both = [
        (t, f)
        for t, f in _texts(GATHERED, "Value.__mul__", "update")
        if "and the other kept values (lines 21, 22)" in t
    ]
    assert (
        both and "self.grad += other.data" in both[0][1] and "other.grad += self.data" in both[0][1]
    )


REBOUND = """
import numpy as np


class Adam:
    def update(self, grads):
        for param, m, v, g in zip(self.params, self.ms, self.vs, grads):
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            param -= 0.01 * m / (np.sqrt(v) + 1e-8)
            scaled = 2.0 * g
        return scaled
"""


def test_a_name_a_loop_hands_out_made_a_new_value_is_written_back_in_place():
    """A course's optimizer that walks its kept moments with ``zip`` and rebinds the loop's
    names (``m = 0.9 * m + ...``): the kept arrays never change. Written into them in place,
    one or all at once; a new name computed in the loop is left alone."""
    found = _texts(REBOUND, "Adam.update", "stored")
    said = [t.split("): ", 1)[1] for t, _ in found]
    assert any(
        t.split("): ", 1)[1].startswith("`m = 0.9 * m + 0.1 * g` makes `m` a new value and never")
        and "m[...] = 0.9 * m + 0.1 * g" in f
        for t, f in found
    ), found
    assert not any("scaled" in t for t in said)
    both = [f for t, f in found if "and the other values (lines 8, 9)" in t]
    assert both and "m[...] = 0.9 * m" in both[0] and "v[...] = 0.999 * v" in both[0]


FOLDED = """
import numpy as np


class Momentum:
    def update(self, w, dw, b, db):
        self.v = self.mu * self.v + self.lr * dw
        w -= self.v
        self.vb = self.mu * self.vb + self.lr * db * 0.5
        step = self.vb
        b -= step
        return w, b


def cs231n(w, dw, config):
    v = config["momentum"] * config["velocity"] - config["learning_rate"] * dw
    return w + v, v
"""


class _Kept:
    mu, lr, v, vb = 0.9, 0.1, 1.0, 2.0


def test_a_rate_folded_into_the_velocity_is_put_on_the_step():
    """A NUS learner's `m = beta * m + lr * g; w -= m` (PyTorch's buffer form only while the
    rate never changes), a Purdue one's with the bias's velocity handed on through `step`, and
    the CS231n form `v = mu * v - lr * dw; w + v`: the rate taken out of the velocity and put
    on the step, every velocity of the function at once first."""
    found = _texts(FOLDED, "Momentum.update", "rate")
    said, edited = found[0]
    assert (
        "the learning rate `self.lr` is folded into `self.v` (line 7), which a step then adds "
        "(line 8): a rate that changes between calls rescales only the newest gradient"
    ) in said
    space: dict = {"np": np}
    exec(edited, space)  # noqa: S102 - the test's text
    kept = _Kept()
    w, b = space["update"](kept, 1.0, 1.0, 3.0, 1.0)
    assert (kept.v, kept.vb) == (1.9 * 1, 0.9 * 2.0 + 0.5)  # the buffers: no rate in them
    assert np.isclose(w, 1.0 - 0.1 * 1.9) and np.isclose(b, 3.0 - 0.1 * 2.3)
    assert len(found) == 3  # both at once, then each alone
    [(said, edited)] = _texts(FOLDED, "cs231n", "rate")
    assert "`config['learning_rate']` is folded into `v` (line 16)" in said
    assert "v = config['momentum'] * config['velocity'] - dw" in edited
    assert "w + config['learning_rate'] * v" in edited


SCALED_FORWARD = """
import numpy as np


class Dropout:
    def __init__(self, rate):
        self.scale = 1 / (1 - rate)

    def forward(self, x):
        self.mask = np.random.uniform(0, 1, x.shape) > 0.5
        return x * self.mask * self.scale

    def backward(self, dy):
        return dy * self.mask
"""


def test_a_backward_without_a_factor_its_forward_kept_gets_it():
    """(a held-out Sydney dropout) the forward scales the kept units by `self.scale`, the
    backward passes the gradient through the mask alone: the factor is put on what it returns,
    and a factor the backward already reads is never added again."""
    found = _texts(SCALED_FORWARD, "Dropout.backward", "factor")
    scaled = [(t, f) for t, f in found if "lacks the factor `self.scale`" in t]
    assert len(scaled) == 1 and scaled[0][1].endswith("return dy * self.mask * self.scale")
    assert not [t for t, _ in found if "lacks the factor `self.mask`" in t]


WRAPPED_LAYER = """
import numpy as np


class Dropout:
    def __init__(self, layer, p=0.5):
        self.layer, self.p = layer, p

    def __call__(self, x):
        self.x = self.layer(x)
        self.mask = (np.random.rand(*self.x.shape) > self.p) / (1 - self.p)
        return self.x * self.mask

    def grad(self, in_gradient):
        return self.layer.grad(in_gradient)
"""


def test_a_gradient_handed_on_without_the_forward_s_factor_gets_it_on_the_way_in():
    """(a held-out Saarland NNTI dropout around a layer) the forward is `__call__`, the backward
    `grad` hands the incoming gradient to the wrapped layer untouched: the mask is put on the
    gradient where it goes in."""
    found = _texts(WRAPPED_LAYER, "Dropout.grad", "factor")
    masked = [(t, f) for t, f in found if "`in_gradient` goes on in" in t]
    assert [f.splitlines()[-1].strip() for _, f in masked] == [
        "return self.layer.grad(in_gradient * self.x)",
        "return self.layer.grad(in_gradient * self.mask)",
    ]
    assert "without the factor `self.mask` that the forward multiplies by" in masked[1][0]


SQUARED = """
import numpy as np


def mse(y_pred, y_true):
    return np.mean((y_pred - y_true) ** 2)


def mse_prime(y_pred, y_true):
    return (y_pred - y_true) / y_pred.size


def centred(x, mu):
    return np.sum(x - 1) + (x - mu)
"""


def test_a_squared_error_s_derivative_without_its_2_gets_it():
    """(five held-out MSE gradients written ``(p - t) / N``) a difference of two arrays gets the
    factor 2 a square brings down; the difference the loss squares never does, nor one with a
    number in it."""
    found = _texts(SQUARED, "mse_prime", "factor")
    doubled = [e for t, e in found if "lacks the factor 2 that the derivative" in t]
    assert doubled == [
        "def mse_prime(y_pred, y_true):\n    return 2 * (y_pred - y_true) / y_pred.size"
    ]
    assert not [t for t, _ in _texts(SQUARED, "mse", "factor") if "factor 2 that" in t]
    told = [t for t, _ in _texts(SQUARED, "centred", "factor") if "factor 2 that" in t]
    assert told == [
        "line 14 (in `centred`): `x - mu` lacks the factor 2 that the derivative of its square brings down"
    ]


STEPPED_FIRST = """
import numpy as np


class Dense:
    def forward(self, x):
        self.x = x
        return self.w @ x

    def backward(self, dy, lr):
        dw = dy @ self.x.T
        self.w -= lr * dw
        self.b = self.b - lr * dy
        return self.w.T @ dy
"""


def test_a_value_returned_after_the_update_it_reads_is_computed_before_it():
    """(a held-out tutorial's dense layer) the weights stepped, then `self.w.T @ dy` returned:
    the value computed before the step, the updates kept; a value set afresh (`self.x = x` in
    the forward) is no update, so the forward gets no such edit."""
    found = _texts(STEPPED_FIRST, "Dense.backward", "order")
    said = [(t, e) for t, e in found if "the value returned belongs computed before" in t]
    assert len(said) == 1
    words, text = said[0]
    assert "line 14 reads `self.w` as line 12 has already changed it" in words
    lines = text.splitlines()
    assert lines[2].strip() == "_value_before_update = self.w.T @ dy"
    assert lines[-1].strip() == "return _value_before_update"
    assert "self.w -= lr * dw" in text and "self.b = self.b - lr * dy" in text
    assert not [t for t, _ in _texts(STEPPED_FIRST, "Dense.forward", "order") if "returned" in t]


TIMED = """
import time


class Layer:
    def forward(self, x):
        start_time = time.time()
        t = self.t + 1
        return x * t
"""


def test_an_attribute_of_an_imported_module_is_never_stored_back():
    """(a held-out UCAS course template, `start_time = time.time()` in every layer) writing
    `time.time = start_time` back would change the module for the whole process: every later
    trial that calls `time.time()` raised, and no repair of the layer was ever found. The
    object's own counter is still stored back."""
    said = [t for t, _ in _texts(TIMED, "Layer.forward", "stored")]
    assert not [t for t in said if "time.time" in t]
    assert [t for t in said if "`t` is computed from `self.t`" in t]


WRITTEN_OVER = """
def adam(alpha, beta1, beta2, epsilon, var, grad, v, s, t):
    v = beta1 * v + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad ** 2
    v = v / (1 - beta1 ** t)
    s = s / (1 - beta2 ** t)
    var = var - alpha * (v / (s ** 0.5 + epsilon))
    return var, v, s
"""


def test_state_written_over_by_a_value_derived_from_it_gets_a_name_of_its_own():
    """(a held-out Holberton School Adam) the bias-corrected moments written over the moments
    the function returns for its next call: each alone, then both at once, the step reading
    the derived values and the return the state."""
    found = _texts(WRITTEN_OVER, "adam", "state")
    assert len(found) == 3
    said, edited = found[-1]
    assert (
        "`v = v / (1 - beta1 ** t)` (line 5) and `s = s / (1 - beta2 ** t)` (line 6) write" in said
    )
    assert "v_derived = v / (1 - beta1 ** t)" in edited
    assert "var = var - alpha * (v_derived / (s_derived ** 0.5 + epsilon))" in edited
    assert edited.splitlines()[-1].strip() == "return (var, v, s)"
    assert "`v = v / (1 - beta1 ** t)` writes over the state" in found[0][0]

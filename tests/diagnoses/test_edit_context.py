"""What a repair search reads of a student's function before editing it
(``descent.diagnoses.edit_context``): where hyperparameters are read, which value updates which,
the stability terms never read, and the nodes no edit touches."""

from __future__ import annotations

import ast

import pytest

from descent.diagnoses.edit_context import (
    aliases,
    bases,
    freeze,
    frozen,
    functions,
    instances,
    reached,
    read,
    units,
)

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

COURSE_STEP = """
def rmsprop(w, dw, config, decay=0.99, eps=1e-8):
    rate = config.get("decay_rate", 0.9)
    cache = config["cache"]
    last = cache
    cache = rate * cache + (1 - rate) * dw * dw
    new = rate * last
    while rate > 1:
        rate = rate - 1
    return w - config["learning_rate"] * dw / (cache ** 0.5 + 1e-7), config
"""


def _read(source: str):
    fn = ast.parse(source).body[0]
    freeze(fn)
    return read(source, fn, [fn]), fn


def test_the_settings_and_signature_numbers_are_hyperparameters():
    ctx, _ = _read(COURSE_STEP)
    said = {ast.unparse(h) for h in ctx.hyperparameters}
    assert {"decay", "eps", "rate", "config['learning_rate']", "config['cache']"} <= said
    assert all(isinstance(n, ast.Constant) for n in ctx.settings)  # the `.get` fallbacks


def test_a_copy_of_a_remembered_value_updated_under_its_own_name_is_behind():
    ctx, _ = _read(COURSE_STEP)
    assert ("last", "cache") in ctx.updates  # `last` copied, then `cache` brought up to date
    assert ("cache", "last") not in ctx.updates  # a copy is the same value, not a later one
    assert ("dw", "cache") not in ctx.updates  # not remembered: no earlier value of anything


def test_an_eps_given_and_never_read_is_a_term_left_out():
    ctx, _ = _read(COURSE_STEP)
    assert [ast.unparse(t) for t in ctx.unused] == ["eps"]


def test_the_signature_and_a_while_loop_are_frozen():
    _, fn = _read(COURSE_STEP)
    loop = next(n for n in ast.walk(fn) if isinstance(n, ast.While))
    assert frozen(loop.test) and frozen(fn.args)
    assert not frozen(fn.body[0])


WRAPPED = """
def kaiming(shape, nonlinearity="relu", mode="fan_in"):
    covered = nonlinearity == "relu" and len(shape) == 2
    if not covered:
        return base(shape)
    scale = (shape[1] > 0) * 2.0
    return scale / shape[1]
"""


def test_a_comparison_assigned_to_a_name_a_condition_tests_is_a_condition():
    # swapping `nonlinearity` for `mode` (or 2 for 3) there sends every call to another path: a
    # held-out wrapper line was "repaired" that way, with nothing of the learner's code run
    ctx, fn = _read(WRAPPED)
    covered = fn.body[0].value
    assert all(n in ctx.conditions for n in ast.walk(covered))
    mask = fn.body[2].value.left.left  # a comparison computed into a value stays editable
    assert mask not in ctx.conditions


KEPT_UNDER_ANOTHER_NAME = """
def relu_backward(dout, cache):
    x = cache
    x[x < 0] = 0
    return dout * (x > 0)


_course_relu_backward = relu_backward


def relu_backward(dy, cache):
    return _course_relu_backward(dy, cache[0])
"""


def test_a_function_defined_again_is_reached_under_the_name_it_was_kept_under():
    """A course's function kept under the kit's name: the module binds it to a second name and
    defines the kit's function again, which calls it by that name. The first one is a unit of
    its own under the second name (what runs), so that a search reaches and edits it."""

    found = units(KEPT_UNDER_ANOTHER_NAME)
    assert list(found) == ["_course_relu_backward", "relu_backward"]
    assert found["_course_relu_backward"].lineno == 2
    assert reached(functions(KEPT_UNDER_ANOTHER_NAME), ("relu_backward",)) == [
        "relu_backward",
        "_course_relu_backward",
    ]


KEPT_IN_A_TUPLE = """
def sigmoid(x):
    return x


def sigmoid_backward(x):
    return x * (1 - x)


_src_sigmoid, _src_sigmoid_backward = sigmoid, sigmoid_backward


def sigmoid_backward(dy, cache):
    return dy * _src_sigmoid_backward(cache)
"""


def test_functions_kept_under_other_names_in_one_tuple_are_each_reached():
    """A Fudan wrapper's `_src_sigmoid, _src_sigmoid_backward = sigmoid, sigmoid_backward`
    before the kit's `sigmoid_backward` is defined again: the course's backward is a unit under
    its second name; `sigmoid`, never defined again, keeps its own."""
    found = units(KEPT_IN_A_TUPLE)
    assert list(found) == ["sigmoid", "_src_sigmoid_backward", "sigmoid_backward"]
    assert found["_src_sigmoid_backward"].lineno == 6
    assert reached(functions(KEPT_IN_A_TUPLE), ("sigmoid_backward",)) == [
        "sigmoid_backward",
        "_src_sigmoid_backward",
    ]


COURSE_OBJECT = """
class Network:
    def __init__(self, sizes):
        self.sizes = sizes

    def forward(self, x):
        return x

    def mse_grad(self, y, p):
        return -2 * (y - p) / y.shape[-1]


_NET = Network.__new__(Network)
_OTHER = Network([3, 2])
_BARE = object.__new__(Network)


def mse_backward(dloss, cache):
    y, p = cache
    return dloss * _NET.mse_grad(y, p)
"""


def test_a_method_called_on_a_module_level_object_is_reached_and_nothing_else_of_its_class():
    """A course's class kept whole and one object of it made at the module's top (a UIUC
    wrapper's `_NET = NeuralNetwork.__new__(NeuralNetwork)`, an Alberta one's `object.__new__`):
    the method called on the object is
    the class's, and the class's other methods (`__init__`, `forward`) are not spent trials on."""
    objects = instances(COURSE_OBJECT)
    assert objects == {"_NET": "Network", "_OTHER": "Network", "_BARE": "Network"}
    assert reached(functions(COURSE_OBJECT), ("mse_backward",), objects=objects) == [
        "mse_backward",
        "Network.mse_grad",
    ]
    assert reached(functions(COURSE_OBJECT), ("mse_backward",)) == ["mse_backward"]


def test_a_method_named_in_a_string_is_reached():
    """A wrapper that calls the course's method by name (`getattr(model, "loss")(X, y)`, a held-out
    UW logistic regression's): the string reads as the method's name, as `model.loss` would."""
    source = (
        "class Model:\n"
        "    def loss(self, X, y):\n        return X\n\n"
        "    def unused(self):\n        return 0\n\n\n"
        "def forward(X, y, method='loss'):\n"
        "    m = Model()\n    return getattr(m, method)(X, y)\n"
    )
    found = reached(functions(source), ("forward",))
    assert "Model.loss" in found and "Model.unused" not in found


def test_a_private_method_called_by_its_mangled_name_is_reached():
    """Code outside a class that calls its private method by the name Python gives it
    (`m._Model__softmax(x)`, a held-out Harvard softmax behind its wrapper) reaches it."""
    source = (
        "class Model:\n"
        "    def __softmax(self, x):\n        return x\n\n"
        "    def __unused(self):\n        return 0\n\n\n"
        "def forward(x):\n"
        "    m = Model()\n    return m._Model__softmax(x)\n"
    )
    found = reached(functions(source), ("forward",))
    assert "Model.__softmax" in found and "Model.__unused" not in found


def test_a_function_a_class_binds_to_an_attribute_is_reached_when_that_attribute_is_read():
    """A wrapper that keeps a course's methods as functions and binds them in a class
    (`class _Model: compute_loss = compute_loss`, a CS229 logistic regression's): the function
    read off an object of the class is reached; one the class binds and nothing reads is not."""
    source = (
        "def compute_loss(self, x):\n    return self.sigmoid(x)\n\n\n"
        "def sigmoid(self, z):\n    return z\n\n\n"
        "def unused(self):\n    return 0\n\n\n"
        "class _Model:\n    compute_loss = compute_loss\n    sigmoid = sigmoid\n"
        "    unused = unused\n\n\n"
        "def forward(x):\n    m = _Model()\n    return m.compute_loss(x)\n"
    )
    found = reached(functions(source), ("forward",), aliases(source), bases(source))
    assert found == ["forward", "compute_loss", "sigmoid"]
    assert reached(functions(source), ("forward",), bases=bases(source)) == ["forward"]


def test_a_method_of_an_object_bound_at_the_top_is_reached():
    """`_row = SoftMaxCrossEntropy()._softmax` (a CMU 10-601 wrapper's): the name reaches that
    class's method, as a call of the method on an object would."""
    source = (
        "class Loss:\n    def _softmax(self, z):\n        return z\n\n"
        "    def unused(self):\n        return 0\n\n\n"
        "_row = Loss()._softmax\n\n\n"
        "def forward(z):\n    return _row(z)\n"
    )
    assert aliases(source) == {"_row": "Loss._softmax"}
    found = reached(functions(source), ("forward",), aliases(source), bases(source))
    assert "Loss._softmax" in found and "Loss.unused" not in found


def test_names_bound_item_by_item_or_to_a_method_read_off_a_class_are_aliases():
    """(held-out Utah learners) `act, act_prime = sigmoid, sigmoid_deriv` binds each name to its
    own function, and `act = Activations.sigmoid` to the class's method: each is reached as the
    function it names; a number in the tuple and a class's plain value are no alias."""
    source = (
        "def sigmoid(x):\n    return x\n\n\n"
        "def sigmoid_deriv(x):\n    return x\n\n\n"
        "class Activations:\n    def relu(x):\n        return x\n\n    def other(x):\n"
        "        return x\n\n\n"
        "act, act_prime, rate = sigmoid, sigmoid_deriv, 0.1\n"
        "relu = Activations.relu\n\n\n"
        "def forward(x):\n    return act(x) + act_prime(x) + relu(x)\n"
    )
    assert aliases(source) == {
        "act": "sigmoid",
        "act_prime": "sigmoid_deriv",
        "relu": "Activations.relu",
    }
    found = reached(functions(source), ("forward",), aliases(source), bases(source))
    assert {"sigmoid", "sigmoid_deriv", "Activations.relu"} <= set(found)
    assert "Activations.other" not in found


def test_a_name_bound_in_a_tuple_of_values_is_read_back_to_its_own_value():
    """`mean, var = np.mean(x, axis=0), np.var(x, axis=0)` binds each name to its own value
    (a held-out Columbia batch norm's); an item of a tuple a call returns has none."""
    source = (
        "def f(x):\n"
        "    mean, var = np.mean(x, axis=0), np.var(x, axis=0)\n"
        "    a, b = g(x)\n"
        "    return var + a\n"
    )
    ctx, _ = _read(source)
    assert ast.unparse(ctx.value("var", 4)) == "np.var(x, axis=0)"
    assert ast.unparse(ctx.value("mean", 4)) == "np.mean(x, axis=0)"
    assert ctx.value("a", 4) is None


def test_a_function_written_as_a_named_lambda_is_a_function_the_search_reaches():
    """(a held-out Utah learner's) `sigmoid = lambda x: 1.0 / (1.0 + e ** (-x))`, kept under a
    second name by its caller: a unit of the module like a `def`, reached through the name."""
    from descent.diagnoses.edit_context import units

    source = (
        "from math import e\n\n"
        "sigmoid = lambda x: 1.0 / (1.0 + e ** (-x))\n"
        "_src = sigmoid\n\n\n"
        "def forward(x):\n    return [_src(v) for v in x]\n"
    )
    found = units(source)["sigmoid"]
    assert isinstance(found, ast.FunctionDef) and found.lineno == 3
    assert ast.unparse(found.body[0]) == "return 1.0 / (1.0 + e ** (-x))"
    assert aliases(source) == {"_src": "sigmoid"}
    assert reached(functions(source), ("forward",), aliases(source)) == ["forward", "sigmoid"]

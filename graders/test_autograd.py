"""Hidden graders for starter/autograd.py: the scalar ``Value`` engine against PyTorch.

Tests touch a Value only through its public interface (``Value(x)``, operators, methods,
``.data``, ``.grad``, ``backward()``), because an isolated grader keeps the objects in a worker.
Every check builds the same expression twice, once from the student's Values and once from
float64 0-dim tensors, and compares every node's value and gradient: nodes used twice,
gradients that meet from several branches, numbers on either side of every operator, chains of
500 and 3000 operations, and random expressions drawn by hypothesis.
"""

import contextlib
import math

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from runs import differentiate_graph

from descent.diagnoses.exception import overflowed_past_exp, raised

# Tolerances: the same float64 arithmetic in math and torch, up to a few ulps per operation.
TOL = dict(rtol=1e-9, atol=1e-12)


def _torch_leaf(x):
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


def _run_torch(build, leaves):
    """Values and gradients (d output / d node) of every node ``build`` returns, via autograd."""
    ts = [_torch_leaf(v) for v in leaves]
    nodes = build(*ts)
    out = nodes[-1]
    grads = torch.autograd.grad(out, nodes, allow_unused=True)
    return ([float(n.detach()) for n in nodes], [0.0 if g is None else float(g) for g in grads])


def _run_value(m, build, leaves):
    """The student's node values and gradients."""
    return differentiate_graph(m.autograd.Value, build, leaves)


def _matches(check, build, leaves, what, hint=None, kind="reference value"):
    """Compare node values and node gradients of ``build`` between the student's Value and torch."""
    data, grads = _run_torch(build, leaves)
    # (implementation, leaves, result): both checks read one run of each implementation; keyed
    # by the leaves too, since a check's neighbour runs this function again on moved leaves
    runs = []

    def run(m):
        for known, at, result in runs:
            if known is m and at == list(leaves):
                return result
        result = _run_value(m, build, leaves)
        runs.append((m, list(leaves), result))
        return result

    check.matches(lambda m: run(m)[0], f"{what}: values (.data)", expected=data, check=kind, **TOL)
    check.matches(
        lambda m: run(m)[1],
        f"{what}: gradients (.grad)",
        expected=grads,
        hint=hint,
        check=kind,
        **TOL,
    )


def _signed(inputs, low: float, high: float) -> float:
    """A number drawn from [low, high) with a drawn sign."""
    return inputs.choice((-1.0, 1.0)) * inputs.number(low, high)


@contextlib.contextmanager
def _raises_as_failure(check, errors, what, check_name, hint, argument=None):
    """Turn an exception a known mistake raises into a graded failure with a hint; with the
    call's ``argument``, an overflow past exp's range is read whatever its wording."""
    try:
        yield
    except errors as exc:
        error = exc  # `exc` is unbound once the block ends, before `generic` runs
        check.fail(
            f"{what} raised {type(exc).__name__}: {str(exc)[:120]}",
            check=check_name,
            hint=hint,
            generic=lambda: (
                raised(error)
                or (None if argument is None else overflowed_past_exp(error, argument))
            ),
        )


@pytest.mark.exercise("autograd.value")
@pytest.mark.ordinary  # everyday graphs: every test here caps the exercise at half when failed
class TestGraphs:
    @pytest.mark.points(3)
    def test_node_used_twice(self, check, inputs):
        # b = a + a; c = b * b: dc/db = 2b, dc/da = 2 * 2b = 8a
        a = _signed(inputs, 0.5, 2.5)
        _matches(
            check,
            lambda a: [a, a + a, (a + a) * (a + a)],
            [a],
            "a + a reused through separate nodes",
        )

        def build(a):
            b = a + a
            return [a, b, b * b]

        _matches(
            check,
            build,
            [a],
            "b = a + a; c = b * b",
            hint="a node used twice gets one contribution per use: accumulate with +=, and "
            "visit the nodes in reverse topological order",
        )

    @pytest.mark.points(2)
    def test_chain_of_reuse(self, check, inputs):
        # a; b = a + a; c = b + b: dc/da = 4 (not 1 with '=', not 8 without a topological order)
        def build(a):
            b = a + a
            c = b + b
            return [a, b, c]

        _matches(check, build, [_signed(inputs, 0.3, 2.0)], "b = a + a; c = b + b")

    @pytest.mark.points(2)
    def test_branches_accumulate(self, check, inputs):
        def build(a, b):
            u = a * b
            v = a.exp()
            w = a.tanh() * b
            s = u + v + w
            return [a, b, u, v, w, s * a]

        leaves = [_signed(inputs, 0.2, 1.0), _signed(inputs, 0.5, 2.0)]
        _matches(check, build, leaves, "a and b feeding several branches")

    def test_output_seeded_with_one(self, check, inputs):
        _matches(
            check,
            lambda a, b: [a, b, a * b],
            [_signed(inputs, 0.5, 5.0), _signed(inputs, 0.5, 5.0)],
            "c = a * b",
            hint="backward() starts by setting the output's own grad to 1",
        )

    def test_leaf_backward(self, check, inputs):
        x = _signed(inputs, 0.1, 5.0)

        def recipe(m):
            a = m.autograd.Value(x)
            a.backward()
            return [a.data, a.grad]

        check.matches(recipe, f"Value({x:g}).backward(): [data, grad]", expected=[x, 1.0])

    def test_unrelated_nodes_keep_zero(self, check, inputs):
        _matches(
            check,
            lambda a, b: [a, b, a + 1.0, b * 3.0, a * b],
            [_signed(inputs, 0.3, 2.0), _signed(inputs, 0.3, 2.0)],
            "nodes the output does not depend on",
            hint="only the output's ancestors receive gradient; the others stay at 0",
        )

    @pytest.mark.supporting()  # a backward that does nothing passes it
    def test_fresh_values(self, check, inputs):
        x = _signed(inputs, 0.5, 4.0)

        def recipe(m):
            Value = m.autograd.Value
            a = Value(x)
            b = a * 3.0 + 1.0
            return [a.data, a.grad, b.data, b.grad]

        check.matches(
            recipe,
            f"[a.data, a.grad, b.data, b.grad] before backward() (a = Value({x:g}))",
            expected=[x, 0.0, x * 3.0 + 1.0, 0.0],
            hint="grad starts at 0.0; only backward() changes it",
        )

    @pytest.mark.supporting()  # checks types only
    def test_data_and_grad_are_floats(self, check, inputs):
        x, k = inputs.number(0.5, 3.0), inputs.integer(2, 9)

        def recipe(m):
            # Value(k) is built from an int: its data is the float k all the same.
            a, b = m.autograd.Value(x), m.autograd.Value(k)
            out = 3 - a * b
            out.backward()
            return [type(v).__name__ for n in (a, b, out) for v in (n.data, n.grad)]

        check.matches(
            recipe,
            f"types of data and grad of Value({x:g}), Value({k}) and 3 - a * b, in that order",
            expected=["float"] * 6,
            check="shape and type",
            hint="store data and grad as Python floats: float(data) in the constructor, even "
            "for an int such as Value(2), and grad starting at 0.0",
        )


def _long_path(b):
    """Three operations from ``b``, so that the path through it is longer than a direct use."""
    return ((b * 0.5).exp() * 0.8).tanh() * 3.0


def _diamond(short_first):
    """b = 2a used directly and through a longer path, in either operand order: a walk that
    takes an operation's last input first and one that takes its first are each fooled by one."""

    def build(a):
        b = a * 2.0
        d = b + _long_path(b) if short_first else _long_path(b) + b
        return [a, b, d]

    return build


def _lattice(n):
    """y[i+1] = y[i] * w + y[i-1] * tanh(y[i-1]): every node feeds paths of lengths 1 and 2
    (and, through those, of every length), with one shared node reused at the very end."""

    def build(x, w):
        s = (x * w).tanh()
        prev, y = x, s
        for _ in range(n):
            prev, y = y, y * w * 0.9 + prev * prev.tanh() * 0.3
        return [x, w, s, y * s + s]

    return build


@pytest.mark.exercise("autograd.value")
@pytest.mark.ordinary  # a graph whose nodes feed paths of several lengths: any deep network
class TestOrder:
    """The order of the backward pass, on graphs where a wrong one gives a wrong gradient: a node
    that feeds a short and a long path must wait for both before sending its gradient on."""

    ORDER_HINT = (
        "a node may send its gradient on only after every node that uses it has added "
        "to it: build a topological order (each node after all of its inputs) with a "
        "depth-first search that appends a node once its inputs are done, then run the "
        "local steps over that list reversed; breadth-first, or running a node's step "
        "when a walk first reaches it, is not such an order"
    )

    @pytest.mark.points(4)
    @pytest.mark.parametrize("short_first", [True, False], ids=["b+f(b)", "f(b)+b"])
    def test_diamond_of_unequal_paths(self, short_first, check, inputs):
        _matches(
            check,
            _diamond(short_first),
            [_signed(inputs, 0.15, 0.6)],
            "b = 2a reaching the output directly and through three more operations",
            hint=self.ORDER_HINT,
        )

    @pytest.mark.points(4)
    def test_shared_subexpressions_deep_in_a_graph(self, check, inputs):
        _matches(
            check,
            _lattice(12),
            [inputs.number(0.3, 0.9), inputs.number(0.8, 1.3)],
            "a lattice of 12 steps whose nodes each feed the next two",
            hint=self.ORDER_HINT,
        )


# Every operator with a number on either side, and between Values.
OPS = {
    "a + 2": lambda a: a + 2.0,
    "2 + a": lambda a: 2.0 + a,
    "a - 2": lambda a: a - 2.0,
    "2 - a": lambda a: 2.0 - a,
    "a * 3": lambda a: a * 3.0,
    "3 * a": lambda a: 3.0 * a,
    "a / 4": lambda a: a / 4.0,
    "4 / a": lambda a: 4.0 / a,
    "-a": lambda a: -a,
    "a ** 3": lambda a: a**3,
    "a ** 2.5": lambda a: a**2.5,
    "a ** -2": lambda a: a**-2,
    "a ** 0": lambda a: a**0,
    "int on the left: 5 - a": lambda a: 5 - a,
}
BINARY = {
    "a + b": lambda a, b: a + b,
    "a - b": lambda a, b: a - b,
    "a * b": lambda a, b: a * b,
    "a / b": lambda a, b: a / b,
}
# each method at a point drawn from each of these bands, in this order (a check stops at its
# first failing point): log's both positive, the others of each sign, relu's also on either side
# of 1 (a gate at the wrong threshold); positive first, where a result of the right sign that is
# still wrong cannot be read as one branch of the formula right and the other wrong
METHODS = {
    "exp": (lambda a: a.exp(), [(0.3, 1.2), (-2.0, -0.5)]),
    "log": (lambda a: a.log(), [(2.0, 6.0), (0.1, 0.6)]),
    "tanh": (lambda a: a.tanh(), [(0.8, 2.5), (-1.5, -0.3)]),
    "relu": (lambda a: a.relu(), [(0.2, 0.9), (1.2, 3.0), (-2.0, -0.3)]),
    "sigmoid": (lambda a: a.sigmoid(), [(0.2, 1.0), (-3.0, -1.0)]),
}


@pytest.mark.exercise("autograd.value")
class TestOperators:
    @pytest.mark.ordinary
    @pytest.mark.parametrize("name", list(OPS))
    def test_number_on_either_side(self, name, check, inputs):
        op = OPS[name]
        points = (inputs.number(1.2, 2.2), inputs.number(0.3, 0.9))  # positive: a ** 2.5
        with _raises_as_failure(
            check,
            TypeError,
            name,
            "operators",
            "with a number on the left Python calls the reflected method: "
            "define __radd__, __rsub__, __rmul__ and __rtruediv__",
        ):
            for x in points:
                _matches(check, lambda a: [a, op(a) * a], [x], f"out = ({name}) * a at a = {x:g}")

    @pytest.mark.ordinary
    @pytest.mark.parametrize("name", list(BINARY))
    def test_between_values(self, name, check, inputs):
        op = BINARY[name]
        leaves = [inputs.number(0.8, 1.8), -inputs.number(0.2, 0.7)]
        _matches(check, lambda a, b: [a, b, op(a, b)], leaves, f"out = {name}")

    @pytest.mark.ordinary
    @pytest.mark.parametrize("name", list(METHODS))
    def test_methods(self, name, check, inputs):
        op, bands = METHODS[name]
        for x in [inputs.number(*band) for band in bands]:
            _matches(check, lambda a: [a, op(a) * 1.5], [x], f"out = 1.5 * a.{name}() at a = {x:g}")

    def test_relu_at_zero(self, check):
        _matches(
            check,
            lambda a: [a, a.relu() * 2.0],
            [0.0],
            "relu at exactly 0",
            hint="relu's derivative at exactly 0 is 0: use data > 0",
        )

    @pytest.mark.points(2)
    def test_sigmoid_and_tanh_extremes(self, check, inputs):
        # One method at a time, so a failure names the method and gives that method's hint:
        # past exp's overflow (~709) on both sides, and where it saturates without overflowing.
        far, near = inputs.number(720.0, 5000.0), inputs.number(30.0, 60.0)
        for name, hint in EXTREME_HINTS.items():
            for x in (far, -far, near, -near):
                with _raises_as_failure(
                    check, OverflowError, f"a.{name}() at a = {x:g}", "stability", hint, x
                ):
                    _matches(
                        check,
                        lambda a: [a, getattr(a, name)()],
                        [x],
                        f"a.{name}() at a = {x:g}",
                        kind="stability",
                        hint=hint,
                    )


EXTREME_HINTS = {
    "sigmoid": "math.exp overflows above ~709: compute sigmoid from exp(-|x|)",
    "tanh": "math.exp overflows above ~709: use math.tanh, or exp(-2|x|), not "
    "(exp(2x) - 1) / (exp(2x) + 1)",
}


def _chain(n):
    """n operations in a row (graph depth about n); x itself is reused every fourth step."""

    def build(x):
        y = x
        for i in range(n):
            y = _step(y, x, i)
        return [x, y]

    return build


def _step(y, x, i):
    r = i % 4
    if r == 0:
        return y * 1.05
    if r == 1:
        return y + x
    if r == 2:
        return y.tanh()
    return y - 0.01


@pytest.mark.exercise("autograd.value")
class TestDeepGraphs:
    @pytest.mark.ordinary  # a loss summed over a few hundred terms is that deep
    @pytest.mark.points(2)
    def test_chain_of_500(self, check, inputs):
        _matches(check, _chain(500), [inputs.number(0.2, 0.4)], "a chain of 500 operations")

    @pytest.mark.points(2)
    def test_chain_of_3000(self, check, inputs):
        # deeper than Python's default recursion limit: a recursive topological sort fails
        build, x = _chain(3000), inputs.number(0.2, 0.4)
        hint = (
            "build the topological order with an explicit stack: recursion is limited to "
            "about 1000 levels in Python"
        )
        with _raises_as_failure(
            check, RecursionError, "backward() on a chain of 3000 operations", "deep graph", hint
        ):
            check.matches(
                lambda m: _run_value(m, build, [x])[1],
                "gradients through a chain of 3000 operations",
                expected=_run_torch(build, [x])[1],
                **TOL,
                hint=hint,
            )


# --------------------------------------------------------------------------- random expressions
# Each step combines earlier nodes (or one node and a constant); the same lambdas run on Values
# and on tensors. Arguments of log, division and fractional or negative powers are kept positive.
STEPS = {
    "add": lambda x, y, k: x + y,
    "sub": lambda x, y, k: x - y,
    "mul": lambda x, y, k: x * y,
    "div": lambda x, y, k: x / (y * y + 0.5),
    "k+x": lambda x, y, k: k + x,
    "k-x": lambda x, y, k: k - x,
    "k*x": lambda x, y, k: k * x,
    "k/x": lambda x, y, k: k / (x * x + 1.0),
    "x-k": lambda x, y, k: x - k,
    "x/k": lambda x, y, k: x / k,
    "pow2": lambda x, y, k: x**2,
    "pow3": lambda x, y, k: x**3,
    "sqrt": lambda x, y, k: (x * x + 0.25) ** 0.5,
    "pow-1.5": lambda x, y, k: (y * y + 1.0) ** -1.5,
    "neg": lambda x, y, k: -x,
    "exp": lambda x, y, k: x.exp(),
    "log": lambda x, y, k: (x * x + 0.1).log(),
    "tanh": lambda x, y, k: x.tanh(),
    "relu": lambda x, y, k: x.relu(),
    "sigmoid": lambda x, y, k: x.sigmoid(),
}


@st.composite
def programs(draw):
    leaves = draw(
        st.lists(
            st.floats(-2.0, 2.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
            min_size=1,
            max_size=3,
        )
    )
    steps = []
    for n in range(len(leaves), len(leaves) + draw(st.integers(2, 9))):
        name = draw(st.sampled_from(sorted(STEPS)))
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        k = draw(st.sampled_from([-2.5, -0.5, 0.75, 3.0]))
        steps.append((name, i, j, k))
    # A relu at exactly 0 (x - x) whose derivative reaches the output is test_relu_at_zero's edge
    # case, not an everyday input: programs where that derivative matters are left out.
    assume(_gradients_or_none(steps, leaves, STEPS) == _gradients_or_none(steps, leaves, _RELU_1))
    return leaves, steps


def _gradients_or_none(steps, leaves, table):
    try:
        return _run_torch(_program(steps, table), leaves)[1]
    except (RuntimeError, ValueError, ZeroDivisionError):
        return None


# The same steps on tensors with relu's derivative at exactly 0 taken as 1 instead of 0.
_RELU_1 = {**STEPS, "relu": lambda x, y, k: x * (x >= 0).to(x.dtype)}


def _program(steps, table=STEPS):
    def build(*leaves):
        nodes = list(leaves)
        for name, i, j, k in steps:
            nodes.append(table[name](nodes[i], nodes[j], k))
        return nodes

    return build


@pytest.mark.exercise("autograd.value")
@pytest.mark.ordinary  # on the class: hypothesis derives its examples from the method's source
class TestRandomExpressions:
    @pytest.mark.points(4)
    @given(program=programs())
    def test_against_torch(self, program, check):
        leaves, steps = program
        build = _program(steps)
        data, grads = _run_torch(build, leaves)
        assume(all(math.isfinite(v) and abs(v) < 1e6 for v in data + grads))
        what = (
            f"a random expression of {len(steps)} operations "
            f"({', '.join(sorted({s[0] for s in steps}))}) on {len(leaves)} input(s)"
        )
        check.matches(
            lambda m: _run_value(m, build, leaves)[0],
            f"{what}: node values",
            expected=data,
            rtol=1e-9,
            atol=1e-9,
        )
        check.matches(
            lambda m: _run_value(m, build, leaves)[1],
            f"{what}: gradients of the last node with respect to every node",
            expected=grads,
            rtol=1e-8,
            atol=1e-9,
        )

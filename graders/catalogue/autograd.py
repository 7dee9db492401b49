"""Catalogued variants of autograd.py: buggy and alternative ``Value`` classes.

The exercise's one "function" is the class ``Value``, so each variant replaces the whole class.
The buggy ones come from one engine, :func:`_engine`, with one mistake switched on each; it
keeps closures in the micrograd style (each node knows how to push its gradient to its inputs).
The mistakes are those known from micrograd-style engines (a gradient assigned instead of
accumulated when a node is used twice, a backward pass in the wrong order), plus the
operator-order and derivative slips students make.
"""

import math

import numpy as np

from descent.catalogue import alternative, bug, hollow


def _engine(
    *,
    assign=False,
    no_topo=False,
    no_seed=False,
    forward_order=False,
    recursive_topo=False,
    rsub_swapped=False,
    rdiv_swapped=False,
    pow_no_minus_one=False,
    tanh_one_minus_y=False,
    relu_ge0=False,
    naive_sigmoid=False,
    sub_plus=False,
    div_sign=False,
    no_reflected=False,
    sigmoid_grad_y=False,
    int_numbers=False,
    grad_none=False,
    inert_backward=False,
    breadth_first=False,
    depth_first_unsorted=False,
):
    """A micrograd-style Value with the chosen mistakes."""

    def push(node, amount):
        if assign:
            node.grad = amount
        else:
            node.grad += amount

    class Value:
        def __init__(self, data, _children=()):
            # micrograd itself keeps whatever number it is given and starts grad at the int 0
            self.data = data if int_numbers else float(data)
            self.grad = None if grad_none else (0 if int_numbers else 0.0)
            self._prev = tuple(_children)
            self._backward = lambda: None

        def __repr__(self):
            return f"Value(data={self.data}, grad={self.grad})"

        @staticmethod
        def _wrap(other):
            return other if isinstance(other, Value) else Value(other)

        def __add__(self, other):
            other = self._wrap(other)
            out = Value(self.data + other.data, (self, other))

            def _backward():
                push(self, out.grad)
                push(other, out.grad)

            out._backward = _backward
            return out

        def __mul__(self, other):
            other = self._wrap(other)
            out = Value(self.data * other.data, (self, other))

            def _backward():
                push(self, other.data * out.grad)
                push(other, self.data * out.grad)

            out._backward = _backward
            return out

        def __sub__(self, other):
            other = self._wrap(other)
            out = Value(self.data - other.data, (self, other))

            def _backward():
                push(self, out.grad)
                push(other, (1.0 if sub_plus else -1.0) * out.grad)

            out._backward = _backward
            return out

        def __truediv__(self, other):
            other = self._wrap(other)
            out = Value(self.data / other.data, (self, other))

            def _backward():
                push(self, out.grad / other.data)
                sign = 1.0 if div_sign else -1.0
                push(other, sign * self.data / other.data**2 * out.grad)

            out._backward = _backward
            return out

        def __pow__(self, k):
            assert isinstance(k, (int, float))
            out = Value(self.data**k, (self,))

            def _backward():
                local = k * self.data**k if pow_no_minus_one else k * self.data ** (k - 1)
                push(self, local * out.grad)

            out._backward = _backward
            return out

        def __neg__(self):
            return self * -1.0

        def _unary(self, y, local):
            out = Value(y, (self,))

            def _backward():
                push(self, local * out.grad)

            out._backward = _backward
            return out

        def exp(self):
            y = math.exp(self.data)
            return self._unary(y, y)

        def log(self):
            return self._unary(math.log(self.data), 1.0 / self.data)

        def tanh(self):
            y = math.tanh(self.data)
            return self._unary(y, 1.0 - y if tanh_one_minus_y else 1.0 - y * y)

        def relu(self):
            on = self.data >= 0 if relu_ge0 else self.data > 0
            return self._unary(self.data if self.data > 0 else 0.0, 1.0 if on else 0.0)

        def sigmoid(self):
            if naive_sigmoid:
                y = 1.0 / (1.0 + math.exp(-self.data))
            else:
                e = math.exp(-abs(self.data))
                y = 1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e)
            return self._unary(y, y if sigmoid_grad_y else y * (1.0 - y))

        def _order(self):
            if recursive_topo:
                order, seen = [], set()

                def visit(v):
                    if v not in seen:
                        seen.add(v)
                        for child in v._prev:
                            visit(child)
                        order.append(v)

                visit(self)
                return order
            order, seen, stack = [], set(), [(self, False)]
            while stack:
                v, done = stack.pop()
                if done:
                    order.append(v)
                elif v not in seen:
                    seen.add(v)
                    stack.append((v, True))
                    stack.extend((c, False) for c in v._prev if c not in seen)
            return order

        def _first_reached(self):
            # Each node's step runs when the walk first reaches it, which is before every
            # path to it is done when a node feeds paths of different lengths.
            order, seen, pending = [], {self}, [self]
            while pending:
                v = pending.pop(0) if breadth_first else pending.pop()
                order.append(v)
                for child in v._prev:
                    if child not in seen:
                        seen.add(child)
                        pending.append(child)
            return order

        def _propagate(self):
            self._backward()
            for child in self._prev:
                child._propagate()

        def backward(self):
            if inert_backward:
                return
            if grad_none:  # like torch's .grad: None until a backward pass reaches the node
                for v in self._order():
                    if v.grad is None:
                        v.grad = 0.0
            if not no_seed:
                self.grad = 1 if int_numbers else 1.0
            if no_topo:
                self._propagate()
                return
            if breadth_first or depth_first_unsorted:
                for v in self._first_reached():
                    v._backward()
                return
            order = self._order()
            for v in order if forward_order else reversed(order):
                v._backward()

    if not no_reflected:
        Value.__radd__ = lambda self, other: self + other
        Value.__rmul__ = lambda self, other: self * other
    Value.__rsub__ = (
        (lambda self, other: self - other)
        if rsub_swapped
        else (lambda self, other: Value._wrap(other) - self)
    )
    Value.__rtruediv__ = (
        (lambda self, other: self / other)
        if rdiv_swapped
        else (lambda self, other: Value._wrap(other) / self)
    )
    return Value


def _bug(id, title, hint, generic=(), wrong_on="", **flags):
    variant = bug(id, "autograd.value", title, hint=hint, generic=generic, wrong_on=wrong_on)
    variant.replaces(_engine(**flags))
    return variant


# ------------------------------------------------------------------------------------------ bugs
_bug(
    "value_grad_assign",
    "assigns (=) gradients instead of accumulating them (+=)",
    "A Value used several times receives one contribution per use: add into grad with +=.",
    assign=True,
    generic=("factor", "accumulate"),
    wrong_on="ordinary",
)
_bug(
    "value_no_topological_order",
    "recurses into the inputs after each node's own step, without a topological order",
    "A node may push its gradient only once everything that uses it is done: sort the graph "
    "topologically, then visit it in reverse.",
    no_topo=True,
    generic="recursion",
    wrong_on="ordinary",
)
_bug(
    "value_breadth_first",
    "walks the graph breadth-first from the output, running each node's step when first reached",
    "Breadth-first is not a topological order: a node that feeds a short and a long path is "
    "reached before the long path has sent it its gradient. Sort the graph topologically "
    "(a node after all of its inputs), then visit it in reverse.",
    breadth_first=True,
    wrong_on="ordinary",
)
_bug(
    "value_depth_first_unsorted",
    "walks the graph depth-first from the output, running each node's step when first reached",
    "A depth-first walk must append a node after all of its inputs (post-order) and the "
    "backward pass then runs over that list reversed; running a node's step when the walk "
    "first reaches it sends its gradient on before every user has added to it.",
    depth_first_unsorted=True,
    wrong_on="ordinary",
)
_bug(
    "value_output_not_seeded",
    "never sets the output's gradient to 1 before propagating",
    "backward() starts with self.grad = 1 (d out / d out); otherwise every gradient is 0.",
    no_seed=True,
    generic="zero",
    wrong_on="ordinary",
)
_bug(
    "value_forward_order",
    "visits the nodes in topological order instead of reversed",
    "Inputs come first in a topological order; the backward pass must run from the output "
    "back to the inputs: iterate over reversed(order).",
    forward_order=True,
    wrong_on="ordinary",
)
_bug(
    "value_recursive_topo",
    "builds the topological order with a recursive function",
    "Deep graphs exceed Python's recursion limit (about 1000 calls): use an explicit stack.",
    recursive_topo=True,
    generic="recursion",
    wrong_on="edge",
)
_bug(
    "value_rsub_swapped",
    "computes 2 - a as a - 2 in __rsub__",
    "In __rsub__(self, other) the number is on the left: return other - self, not self - other.",
    rsub_swapped=True,
    generic="sign",
    wrong_on="ordinary",
)
_bug(
    "value_rtruediv_swapped",
    "computes 2 / a as a / 2 in __rtruediv__",
    "In __rtruediv__(self, other) the number is the numerator: return other / self.",
    rdiv_swapped=True,
    generic="order",
    wrong_on="ordinary",
)
_bug(
    "value_pow_no_minus_one",
    "writes the derivative of a ** k as k * a ** k",
    "d(a^k)/da = k * a^(k - 1): lower the exponent by one.",
    pow_no_minus_one=True,
    generic="step",  # the exponent's - 1 left out
    wrong_on="ordinary",
)
_bug(
    "value_tanh_one_minus_y",
    "writes the derivative of tanh as 1 - y",
    "d tanh(a)/da = 1 - tanh(a)^2: square the output.",
    tanh_one_minus_y=True,
    generic="term",
    wrong_on="ordinary",
)
_bug(
    "value_relu_ge0",
    "passes the gradient through relu at exactly 0",
    "relu's derivative at exactly 0 is 0: test data > 0, not >= 0.",
    relu_ge0=True,
    wrong_on="edge",
)
_bug(
    "value_naive_sigmoid",
    "computes sigmoid as 1 / (1 + exp(-a)), which overflows for a << 0",
    "math.exp(1000) raises OverflowError: use e = exp(-|a|), then 1/(1+e) or e/(1+e).",
    naive_sigmoid=True,
    generic="stability",
    wrong_on="edge",
)
_bug(
    "value_sub_grad_plus",
    "gives the right operand of a - b the gradient +1",
    "The right operand of a subtraction gets the upstream gradient with a minus sign.",
    sub_plus=True,
    wrong_on="ordinary",
)
_bug(
    "value_div_grad_sign",
    "gives the denominator of a / b the gradient +a/b^2",
    "d(a/b)/db = -a/b^2: keep the minus sign.",
    div_sign=True,
    generic="sign",
    wrong_on="ordinary",
)
_bug(
    "value_no_reflected_ops",
    "has no __radd__ or __rmul__, so 2 + a and 3 * a raise TypeError",
    "Python calls __radd__ and __rmul__ when the number is on the left: define them.",
    no_reflected=True,
    generic="operator",
    wrong_on="ordinary",
)
_bug(
    "value_sigmoid_grad_is_y",
    "uses sigmoid(a) itself as the derivative of sigmoid",
    "d sigmoid(a)/da = y * (1 - y) with y = sigmoid(a).",
    sigmoid_grad_y=True,
    generic="term",
    wrong_on="ordinary",
)
_bug(
    "value_int_numbers",
    "keeps numbers as given and seeds grads with the ints 0 and 1, as micrograd does",
    "data and grad are Python floats: store float(data), start grad at 0.0 and seed the "
    "output with 1.0. The output's grad is never updated after the seed, so an int 1 stays "
    "an int.",
    int_numbers=True,
    generic="structure",
    wrong_on="ordinary",
)
_bug(
    "value_grad_none_until_backward",
    "leaves grad as None until backward() runs, like torch.Tensor.grad",
    "Here grad starts at 0.0 for every Value, before any backward pass, and Values the output "
    "does not depend on keep 0.0.",
    grad_none=True,
    generic="structure",
    wrong_on="ordinary",
)


# ------------------------------------------------------------------------------- alternatives
def _composed_value():
    """Subtraction, division and reflected operators built from +, * and **; Kahn's algorithm
    (in-degree counting) for the order; each node stores (input, local derivative) pairs."""

    class Value:
        def __init__(self, data, _edges=()):
            self.data = float(data)
            self.grad = 0.0
            self._edges = list(_edges)

        def __repr__(self):
            return f"Value({self.data})"

        def __add__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            return Value(self.data + other.data, [(self, 1.0), (other, 1.0)])

        __radd__ = __add__

        def __mul__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            return Value(self.data * other.data, [(self, other.data), (other, self.data)])

        __rmul__ = __mul__

        def __pow__(self, k):
            return Value(self.data**k, [(self, k * self.data ** (k - 1))])

        def __neg__(self):
            return self * -1

        def __sub__(self, other):
            return self + (-other)

        def __rsub__(self, other):
            return (-self) + other

        def __truediv__(self, other):
            return self * other**-1

        def __rtruediv__(self, other):
            return self**-1 * other

        def exp(self):
            return Value(math.exp(self.data), [(self, math.exp(self.data))])

        def log(self):
            return Value(math.log(self.data), [(self, 1 / self.data)])

        def tanh(self):
            t = math.tanh(self.data)
            return Value(t, [(self, 1 - t**2)])

        def relu(self):
            return Value(max(self.data, 0.0), [(self, float(self.data > 0))])

        def sigmoid(self):
            t = math.tanh(0.5 * self.data)
            s = 0.5 * (1 + t)
            return Value(s, [(self, 0.25 * (1 - t * t))])

        def backward(self):
            # Count, for every reachable node, how many edges point into it from its users.
            users, stack, seen = {}, [self], {id(self)}
            nodes = {id(self): self}
            while stack:
                v = stack.pop()
                for parent, _ in v._edges:
                    users[id(parent)] = users.get(id(parent), 0) + 1
                    if id(parent) not in seen:
                        seen.add(id(parent))
                        nodes[id(parent)] = parent
                        stack.append(parent)
            self.grad = 1.0
            ready = [self]
            while ready:
                v = ready.pop()
                for parent, local in v._edges:
                    parent.grad += local * v.grad
                    users[id(parent)] -= 1
                    if users[id(parent)] == 0:
                        ready.append(parent)

    return Value


value_composed_kahn = alternative(
    "value_composed_kahn",
    "autograd.value",
    "builds - and / from +, * and **, stores local derivatives and "
    "orders the nodes with Kahn's algorithm",
)
value_composed_kahn.replaces(_composed_value())

value_micrograd_iterative = alternative(
    "value_micrograd_iterative",
    "autograd.value",
    "keeps a _backward closure per node (micrograd style) with an iterative depth-first order",
)
value_micrograd_iterative.replaces(_engine())


# -- alternatives in other styles ---------------------------------------------------------------
def _topological(out):
    """Every node ``out`` depends on, inputs before their users, with an explicit stack."""
    order, seen, stack = [], set(), [(out, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((inp, False) for inp in node.inputs() if id(inp) not in seen)
    return order


def _op_objects_value():
    """Object style: one operation class per operator, each with forward and backward methods
    (as in torch.autograd.Function, written by hand); a Value keeps the operation that made it."""

    class Op:
        def __init__(self, *inputs, k=None):
            self.inputs, self.k = inputs, k

    class Add(Op):
        def forward(self):
            return self.inputs[0].data + self.inputs[1].data

        def backward(self, out):
            return out.grad, out.grad

    class Mul(Op):
        def forward(self):
            return self.inputs[0].data * self.inputs[1].data

        def backward(self, out):
            a, b = self.inputs
            return b.data * out.grad, a.data * out.grad

    class Pow(Op):
        def forward(self):
            return self.inputs[0].data ** self.k

        def backward(self, out):
            return (self.k * self.inputs[0].data ** (self.k - 1) * out.grad,)

    class Exp(Op):
        def forward(self):
            return math.exp(self.inputs[0].data)

        def backward(self, out):
            return (out.data * out.grad,)

    class Log(Op):
        def forward(self):
            return math.log(self.inputs[0].data)

        def backward(self, out):
            return (out.grad / self.inputs[0].data,)

    class Tanh(Op):
        def forward(self):
            return math.tanh(self.inputs[0].data)

        def backward(self, out):
            return ((1 - out.data**2) * out.grad,)

    class ReLU(Op):
        def forward(self):
            return max(self.inputs[0].data, 0.0)

        def backward(self, out):
            return (out.grad if self.inputs[0].data > 0 else 0.0,)

    class Sigmoid(Op):
        def forward(self):
            x = self.inputs[0].data
            e = math.exp(-abs(x))
            return 1 / (1 + e) if x >= 0 else e / (1 + e)

        def backward(self, out):
            return (out.data * (1 - out.data) * out.grad,)

    class Value:
        def __init__(self, data, _op=None):
            self.data = float(data)
            self.grad = 0.0
            self._op = _op

        def __repr__(self):
            return f"Value(data={self.data}, grad={self.grad})"

        def inputs(self):
            return self._op.inputs if self._op is not None else ()

        @staticmethod
        def _wrap(other):
            return other if isinstance(other, Value) else Value(other)

        @classmethod
        def _apply(cls, op):
            return cls(op.forward(), op)

        def __add__(self, other):
            return Value._apply(Add(self, Value._wrap(other)))

        def __mul__(self, other):
            return Value._apply(Mul(self, Value._wrap(other)))

        __radd__, __rmul__ = __add__, __mul__

        def __pow__(self, k):
            return Value._apply(Pow(self, k=k))

        def __neg__(self):
            return self * -1.0

        def __sub__(self, other):
            return self + (-Value._wrap(other))

        def __rsub__(self, other):
            return Value._wrap(other) + (-self)

        def __truediv__(self, other):
            return self * Value._wrap(other) ** -1

        def __rtruediv__(self, other):
            return Value._wrap(other) * self**-1

        def exp(self):
            return Value._apply(Exp(self))

        def log(self):
            return Value._apply(Log(self))

        def tanh(self):
            return Value._apply(Tanh(self))

        def relu(self):
            return Value._apply(ReLU(self))

        def sigmoid(self):
            return Value._apply(Sigmoid(self))

        def backward(self):
            self.grad = 1.0
            for node in reversed(_topological(self)):
                if node._op is not None:
                    for inp, g in zip(node._op.inputs, node._op.backward(node)):
                        inp.grad += g

    return Value


value_op_objects = alternative(
    "value_op_objects",
    "autograd.value",
    "one operation class per operator with its own forward and "
    "backward methods; a Value keeps the operation that made it",
)
value_op_objects.replaces(_op_objects_value())


def _numpy_value():
    """NumPy: values and local derivatives computed with NumPy float64 scalars, kept as Python
    floats; the stable forms (np.tanh, a sigmoid from exp(-|x|)) keep +-1000 finite."""

    class Value:
        def __init__(self, data, _local=()):
            self.data = float(np.float64(data))
            self.grad = 0.0
            self._local = tuple(_local)  # (input, d self / d input)

        def __repr__(self):
            return f"Value(data={self.data}, grad={self.grad})"

        def inputs(self):
            return [inp for inp, _ in self._local]

        @staticmethod
        def _wrap(other):
            return other if isinstance(other, Value) else Value(other)

        def _unary(self, y, dy):
            return Value(float(y), [(self, float(dy))])

        def __add__(self, other):
            other = Value._wrap(other)
            return Value(np.add(self.data, other.data), [(self, 1.0), (other, 1.0)])

        def __mul__(self, other):
            other = Value._wrap(other)
            return Value(
                np.multiply(self.data, other.data), [(self, other.data), (other, self.data)]
            )

        __radd__, __rmul__ = __add__, __mul__

        def __sub__(self, other):
            other = Value._wrap(other)
            return Value(np.subtract(self.data, other.data), [(self, 1.0), (other, -1.0)])

        def __rsub__(self, other):
            return Value._wrap(other) - self

        def __truediv__(self, other):
            other = Value._wrap(other)
            return Value(
                self.data / other.data,
                [(self, 1.0 / other.data), (other, -self.data / other.data**2)],
            )

        def __rtruediv__(self, other):
            return Value._wrap(other) / self

        def __neg__(self):
            return self._unary(-self.data, -1.0)

        def __pow__(self, k):
            return self._unary(np.power(self.data, k), k * np.power(self.data, k - 1))

        def exp(self):
            y = math.exp(self.data)
            return self._unary(y, y)

        def log(self):
            return self._unary(math.log(self.data), 1.0 / self.data)

        def tanh(self):
            t = np.tanh(self.data)
            return self._unary(t, 1 - t * t)

        def relu(self):
            return self._unary(np.maximum(self.data, 0.0), 1.0 if self.data > 0 else 0.0)

        def sigmoid(self):
            e = np.exp(-abs(self.data))
            s = 1 / (1 + e) if self.data >= 0 else e / (1 + e)
            return self._unary(s, s * (1 - s))

        def backward(self):
            self.grad = 1.0
            for node in reversed(_topological(self)):
                for inp, local in node._local:
                    inp.grad += local * node.grad

    return Value


value_numpy = alternative(
    "value_numpy",
    "autograd.value",
    "computes values and local derivatives with NumPy float64 scalars and stores Python floats",
)
value_numpy.replaces(_numpy_value())


def _closure_value():
    """Micrograd as a learner writes it after the lecture: each operation defines a
    ``_backward`` closure that adds its own local derivative into its inputs' grads (no shared
    helper), and backward() walks a stack-built topological order in reverse."""

    class Value:
        def __init__(self, data, _children=()):
            self.data = float(data)
            self.grad = 0.0
            self._children = tuple(_children)
            self._backward = lambda: None

        def __repr__(self):
            return f"Value(data={self.data}, grad={self.grad})"

        def __add__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data + other.data, (self, other))

            def _backward():
                self.grad += out.grad
                other.grad += out.grad

            out._backward = _backward
            return out

        def __mul__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data * other.data, (self, other))

            def _backward():
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad

            out._backward = _backward
            return out

        def __truediv__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data / other.data, (self, other))

            def _backward():
                self.grad += out.grad / other.data
                other.grad += -self.data / other.data**2 * out.grad

            out._backward = _backward
            return out

        def __pow__(self, k):
            out = Value(self.data**k, (self,))

            def _backward():
                self.grad += k * self.data ** (k - 1) * out.grad

            out._backward = _backward
            return out

        def __neg__(self):
            return self * -1.0

        def __sub__(self, other):
            return self + (-other if isinstance(other, Value) else -float(other))

        def __radd__(self, other):
            return self + other

        def __rmul__(self, other):
            return self * other

        def __rsub__(self, other):
            return Value(other) - self

        def __rtruediv__(self, other):
            return Value(other) / self

        def exp(self):
            out = Value(math.exp(self.data), (self,))

            def _backward():
                self.grad += out.data * out.grad

            out._backward = _backward
            return out

        def log(self):
            out = Value(math.log(self.data), (self,))

            def _backward():
                self.grad += 1.0 / self.data * out.grad

            out._backward = _backward
            return out

        def tanh(self):
            out = Value(math.tanh(self.data), (self,))

            def _backward():
                self.grad += (1.0 - out.data**2) * out.grad

            out._backward = _backward
            return out

        def relu(self):
            out = Value(max(self.data, 0.0), (self,))

            def _backward():
                self.grad += (self.data > 0) * out.grad

            out._backward = _backward
            return out

        def sigmoid(self):
            e = math.exp(-abs(self.data))
            out = Value(1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e), (self,))

            def _backward():
                self.grad += out.data * (1.0 - out.data) * out.grad

            out._backward = _backward
            return out

        def inputs(self):
            return self._children

        def backward(self):
            self.grad = 1.0
            for node in reversed(_topological(self)):
                node._backward()

    return Value


value_closure_per_operation = alternative(
    "value_closure_per_operation",
    "autograd.value",
    "a _backward closure per operation that adds its local derivative into its inputs' grads",
)
value_closure_per_operation.replaces(_closure_value())


# -- hollow: a Value that computes nothing (must score 0) ------------------------------------------
def _hollow_value(result):
    """A Value whose backward does nothing and whose operators return ``result(self)``."""

    class Value:
        def __init__(self, data, _parents=()):
            self.data = float(data)
            self.grad = 0.0

        def __repr__(self):
            return f"Value(data={self.data!r}, grad={self.grad!r})"

        def _op(self, *_):
            return result(self)

        __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _op
        __truediv__ = __rtruediv__ = __pow__ = __neg__ = _op
        exp = log = tanh = relu = sigmoid = _op

        def backward(self):
            pass

    return Value


hollow(
    "autograd.value.zeros",
    "autograd.value",
    "every operator returns Value(0.0); backward does nothing",
).replaces(_hollow_value(lambda self: type(self)(0.0)))
hollow(
    "autograd.value.input",
    "autograd.value",
    "every operator hands its left operand back; backward does nothing",
).replaces(_hollow_value(lambda self: self))


hollow(
    "autograd.value.no_backward",
    "autograd.value",
    "computes every .data right but its backward does nothing",
).replaces(_engine(inert_backward=True))

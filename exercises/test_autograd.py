"""Public checks for starter/autograd.py.

Small graphs whose gradients you can work out on paper, numbers on the left of an operator, and
one expression compared with PyTorch. The hidden graders also try every operator and method,
relu at exactly 0, sigmoid at +-1000, chains of 3000 operations and random expressions.

Run with ``pytest exercises/test_autograd.py``.
"""

import pytest
import torch

from . import python_numbers


@pytest.mark.exercise("autograd.value")
class TestValue:
    def test_worked_example(self, check):
        # a = 2, b = 3: c = a*b + a = 8; dc/da = b + 1 = 4, dc/db = a = 2
        def recipe(m):
            a, b = m.autograd.Value(2.0), m.autograd.Value(3.0)
            c = a * b + a
            c.backward()
            return [c.data, a.grad, b.grad, c.grad]

        check.matches(recipe, "[c.data, a.grad, b.grad, c.grad] for c = a*b + a",
                      expected=[8.0, 4.0, 2.0, 1.0])

    def test_node_used_twice(self, check):
        # b = a + a = 2a; c = b*b = 4a^2; dc/da = 8a = 12 at a = 1.5, dc/db = 2b = 6
        def recipe(m):
            a = m.autograd.Value(1.5)
            b = a + a
            c = b * b
            c.backward()
            return [a.grad, b.grad]

        check.matches(recipe, "[a.grad, b.grad] for b = a + a, c = b * b", expected=[12.0, 6.0],
                      hint="accumulate with += and visit nodes in reverse topological order")

    def test_order_on_a_diamond(self, check):
        # b = 2a reaches d directly and through exp and tanh: b.grad = 1 + 0.001*exp(b)*(1 - t^2)
        # is complete only once both paths are done; then a.grad = 2 * b.grad.
        leaf = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
        tb = leaf * 2
        (tb + (0.001 * tb.exp()).tanh()).backward()

        def recipe(m):
            grads = []
            for short_first in (True, False):
                a = m.autograd.Value(2.0)
                b = a * 2
                long = (0.001 * b.exp()).tanh()
                d = b + long if short_first else long + b
                d.backward()
                grads.append(a.grad)
            return grads

        check.matches(recipe, "[a.grad for d = b + tanh(0.001*exp(b)), the same for "
                      "tanh(...) + b] with b = 2a at a = 2", expected=[leaf.grad.item()] * 2,
                      rtol=1e-9, atol=1e-12,
                      hint="a node passes its gradient on only after every node that uses it "
                           "has added to it: visit the nodes in reverse topological order, not "
                           "breadth-first or as a walk first reaches them")

    def test_numbers_on_the_left(self, check):
        # out = 2 - 6/a + 3*a at a = 2: 2 - 3 + 6 = 5; d/da = 6/a^2 + 3 = 4.5
        def recipe(m):
            a = m.autograd.Value(2.0)
            out = 2 - 6 / a + 3 * a
            out.backward()
            return [out.data, a.grad]

        check.matches(recipe, "[out.data, a.grad] for out = 2 - 6/a + 3*a", expected=[5.0, 4.5])

    def test_tanh_and_relu(self, check):
        # relu at exactly 0 passes no gradient; tanh'(0) = 1
        def recipe(m):
            Value = m.autograd.Value
            a, z = Value(0.0), Value(0.0)
            out = a.tanh() + z.relu()
            out.backward()
            return [a.grad, z.grad]

        check.matches(recipe, "[a.grad, z.grad] for tanh(a) + relu(z) at 0", expected=[1.0, 0.0])

    def test_against_torch(self, check):
        def expression(x, y):
            u = x * y + x.exp()
            return (u / (y ** 2 + 1.0)).tanh() - 0.5 * x.sigmoid() + (u * u + 1.0).log()

        leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.3, -1.2)]
        out = expression(*leaves)
        out.backward()
        expected = [out.item(), leaves[0].grad.item(), leaves[1].grad.item()]

        def recipe(m):
            x, y = m.autograd.Value(0.3), m.autograd.Value(-1.2)
            o = expression(x, y)
            o.backward()
            return [o.data, x.grad, y.grad]

        check.matches(recipe, "[out.data, x.grad, y.grad] of a mixed expression",
                      expected=expected, rtol=1e-9, atol=1e-12)


@pytest.mark.exercise("autograd.value")
class TestValueConventions:
    def test_sigmoid_at_large_inputs_and_a_long_chain(self, check):
        # sigmoid(-1000) is 0 and its derivative 0: exp(1000) must not appear. A chain of 3000
        # additions: backward must not recurse once per node (Python stops at about 1000).
        def recipe(m):
            a = m.autograd.Value(-1000.0)
            s = a.sigmoid()
            s.backward()
            x = m.autograd.Value(1.0)
            y = x
            for _ in range(3000):
                y = y + 1.0
            y.backward()
            return [s.data, a.grad, y.data, x.grad]

        check.matches(recipe, "[sigmoid(-1000), its gradient, a chain of 3000 additions, x.grad]",
                      expected=[0.0, 0.0, 3001.0, 1.0],
                      hint="sigmoid: use exp(-|a|) on both sides of 0; backward: build the "
                           "topological order with a loop and a stack, not a recursive function")

    @pytest.mark.supporting()  # any Value of floats passes it
    def test_data_and_grad_are_python_floats(self, check):
        a = check.impl.autograd.Value(2)
        python_numbers(check, [a.data, a.grad], "Value(2).data and .grad before backward()",
                       none_ok=False)
        b = a * 3
        b.backward()
        python_numbers(check, [b.data, a.grad, b.grad], "data and grad after backward()")

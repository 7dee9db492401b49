"""The candidates of a repair search (``descent.diagnoses.edits``): small edits of a student's own
module, read as text and never run, each with its line and words that quote the student's code
and not the code that would fix it."""

from __future__ import annotations

import ast

import pytest

from descent.diagnoses.edit_context import aliases, functions, reached
from descent.diagnoses.edits import MAX_EDITS, edits

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

STALE_AVERAGE = """
import torch


def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    avg = state.get("square_avg", torch.zeros_like(grad))
    out = param - lr * grad / (torch.sqrt(avg) + 1e-7)
    avg = alpha * avg + (1 - alpha) * grad * grad
    return out, {"square_avg": avg, "step": state.get("step", 0) + 1}
"""

HELPERS = """
def _std(fan, gain):
    return gain / fan


def _unused():
    return 0


def kaiming(shape, gain=1.0):
    fan = shape[1]
    return _std(fan, gain)
"""

LOOP = """
def walk(x, lr=0.1):
    i = 0
    while i < 3:
        x = x - lr * x
        i = i + 1
    return x * 2
"""


def _by_kind(source: str, function: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for edit in edits(source, function):
        out.setdefault(edit.kind, []).append(edit)
    return out


def _function_text(edit, name: str) -> str:
    return ast.unparse(functions(edit.source)[name])


def test_each_edit_is_one_change_of_the_students_code_with_its_line():
    found = _by_kind(STALE_AVERAGE, "rmsprop_step")
    constant = [e for e in found["constant"] if "`1e-7`" in e.text and "`eps`" in e.text]
    assert constant and constant[0].line == 7
    assert "eps" in _function_text(constant[0], "rmsprop_step").split("torch.sqrt(avg) +")[1]
    swapped = [e for e in found["order"] if "reads `avg` before line 8" in e.text]
    assert swapped and swapped[0].line == 7
    body = functions(swapped[0].source)["rmsprop_step"].body
    assert [type(s).__name__ for s in body][:3] == ["Assign", "Assign", "Assign"]
    assert ast.unparse(body[1]).startswith("avg = alpha")  # the average first, then the step


def test_the_words_quote_the_students_code_never_the_fix():
    for edit in edits(HELPERS, "_std"):
        assert "** 0.5" not in edit.text and "sqrt(" not in edit.text, edit.text
    roots = _by_kind(HELPERS, "_std")["root"]
    assert any("`gain / fan`" in e.text and "square root" in e.text for e in roots)


def test_a_number_written_twice_is_replaced_everywhere_at_once():
    source = "def grad(f, x, eps=1e-6):\n    return (f(x + 1e-5) - f(x - 1e-5)) / (2 * 1e-5)\n"
    first = next(iter(edits(source, "grad")))
    assert (
        first.kind == "constant" and "`1e-5` (3 times on line 2) stands where `eps`" in first.text
    )
    assert "1e-05" not in _function_text(first, "grad")


def test_the_search_reaches_the_helpers_an_exercise_calls():
    defs = functions(HELPERS)
    assert reached(defs, ("kaiming",)) == ["kaiming", "_std"]
    every = [e for e in edits(HELPERS, "_std")]
    assert all(set(functions(e.source)) == {"_std", "_unused", "kaiming"} for e in every)


def test_nothing_inside_a_while_loop_nor_a_condition_is_edited():
    tests = set()
    for edit in edits(LOOP, "walk"):
        loop = next(s for s in functions(edit.source)["walk"].body if isinstance(s, ast.While))
        assert ast.unparse(loop.body) == ast.unparse(functions(LOOP)["walk"].body[1].body)
        tests.add(ast.unparse(loop.test))
    # the loop's test is edited only by its boundary: one pass more, never the other direction
    assert tests == {"i < 3", "i <= 3"}
    source = (
        "def pick(x, w=None, b=0.0):\n    if w is None:\n        return x + b\n    return x * w\n"
    )
    for edit in edits(source, "pick"):
        if edit.kind in ("name", "swap"):
            test = next(
                s for s in functions(edit.source)["pick"].body if isinstance(s, ast.If)
            ).test
            assert ast.unparse(test) == "w is None", edit.text


def test_text_that_does_not_parse_or_names_no_function_gives_no_edit():
    assert list(edits("def broken(:\n", "broken")) == []
    assert list(edits(HELPERS, "missing")) == []


def test_the_number_of_edits_is_bounded():
    wide = (
        "def f(a, b, c, d, e, lr=0.1):\n    return "
        + " + ".join(f"{k} * a * b - c / d" for k in range(60))
        + "\n"
    )
    assert len(list(edits(wide, "f"))) == MAX_EDITS


def test_a_setting_read_from_a_dict_is_a_hyperparameter_too():
    """Course code reads its hyperparameters from a dict of settings (CS231n, EECS 498): a
    number typed in where one belongs is replaced by the setting, never the setting's own
    fallback."""
    source = (
        "def rmsprop(w, dw, config=None):\n"
        "    lr = config.get('learning_rate', 1e-2)\n"
        "    config['cache'] = config['decay_rate'] * config['cache'] + 0.01 * dw ** 2\n"
        "    return w - lr * dw / (config['cache'] ** 0.5 + 1e-7), config\n"
    )
    texts = [e.text for e in edits(source, "rmsprop") if e.kind == "constant"]
    assert any("`1e-7` stands where the setting `config['decay_rate']`" in t for t in texts)
    assert any("`1e-7` stands where `lr` belongs" in t for t in texts)
    assert not any("`1e-2`" in t for t in texts)  # the fallback of `config.get` stays


STALE_BY_NAME = """
import torch


def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    old = state.get("square_avg", torch.zeros_like(grad))
    new = alpha * old + (1 - alpha) * grad * grad
    out = param - lr * grad / (torch.sqrt(old) + eps)
    return out, {"square_avg": new}
"""


def test_a_variable_one_step_behind_is_told_as_a_lag_without_naming_the_fix():
    """RMSProp stepping with the average from before this gradient was told "`alpha` is left
    out" (issue 79, a wrong cause); the repair that swaps `old` for `new` is now worded as a
    value one step behind, and never names `new`."""
    kinds = _by_kind(STALE_BY_NAME, "rmsprop_step")
    names = [e for e in kinds["name"] + kinds["swap"] if e.line == 8]
    lag = [e for e in names if "`old`" in e.text and "one step behind" in e.text]
    assert lag and all("`new`" not in e.text for e in names)
    ahead = [e for e in _by_kind(STALE_BY_NAME, "rmsprop_step")["name"] if "`new`" in e.text]
    assert any("one step ahead" in e.text for e in ahead)
    # a variable not read out of the state is no earlier value of another: no lag is told
    unrelated = [e for e in names if "`grad` is used" in e.text or "`param` is used" in e.text]
    assert unrelated and all("step" not in e.text.split("belongs")[1] for e in unrelated)


VARIANCE_HELPER = """
def _std(fan, gain):
    return gain * gain / fan
"""


def test_a_helper_returning_a_variance_gets_its_returned_value_rooted():
    """A Kaiming std helper returning gain**2 / fan (the variance) got no repair: dividing by
    the square root of fan leaves gain squared (issue 79)."""
    roots = [e for e in _by_kind(VARIANCE_HELPER, "_std")["root"] if "value returned" in e.text]
    assert roots and "`gain * gain / fan`" in roots[0].text
    assert _function_text(roots[0], "_std").endswith("return (gain * gain / fan) ** 0.5")


COURSE_CLASS = """
class Momentum:
    def __init__(self, lr, momentum):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, w, dw):
        self.v = self.momentum * self.v - self.lr * dw
        return w + self.v


def sgd_step(w, dw, lr=0.1, momentum=0.9):
    return Momentum(lr, momentum).update(w, dw)


def unused():
    return 1
"""


def test_a_class_the_exercise_names_has_its_methods_searched():
    """Courses keep an optimizer or a layer in a class (Deep Learning from Scratch, EECS 498):
    its methods are reached through the class's name, and an edit of one rewrites the class."""
    defs = functions(COURSE_CLASS)
    assert reached(defs, ("sgd_step",)) == ["sgd_step", "Momentum.__init__", "Momentum.update"]
    signs = [e for e in edits(COURSE_CLASS, "Momentum.update") if e.kind == "operator"]
    assert signs and signs[0].text.startswith("line 7 (in `Momentum.update`)")
    edited = ast.parse(signs[0].source)
    assert [type(n).__name__ for n in edited.body] == ["ClassDef", "FunctionDef", "FunctionDef"]
    assert ast.unparse(edited.body[0]) != ast.unparse(ast.parse(COURSE_CLASS).body[0])


EPS_LEFT_OUT = """
import numpy as np


def normalize(x, bn_param):
    eps = bn_param.get("eps", 1e-5)
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    return (x - mu) / np.sqrt(var)


def scale(g, s, lr=0.1, epsilon=1e-8):
    return lr * g / s
"""


def test_a_stability_term_given_and_never_read_is_put_where_it_can_belong():
    """Batch norm that reads eps from its settings and never adds it (a real CS231n one): the
    search puts it under and after the root, and into a denominator, naming it and the place."""
    found = [e for e in edits(EPS_LEFT_OUT, "normalize") if e.kind == "eps"]
    assert found and all("`eps` is never used" in e.text for e in found)
    texts = {_function_text(e, "normalize").splitlines()[-1].strip() for e in found}
    assert "return (x - mu) / np.sqrt(var + eps)" in texts
    assert "return (x - mu) / (np.sqrt(var) + eps)" in texts
    assert all("var + eps" not in e.text for e in found)  # the place, not the fix
    division = [e for e in edits(EPS_LEFT_OUT, "scale") if e.kind == "eps"]
    assert division and "denominator of `lr * g / s`" in division[0].text
    # a function that reads its eps gets no such edit
    assert not [e for e in edits(STALE_BY_NAME, "rmsprop_step") if e.kind == "eps"]


DISPATCH = """
def clip(grads, max_norm, norm_type=2.0, eps=1e-6):
    if norm_type != 2.0 or len(grads) == 0:
        return other(grads, max_norm, norm_type, eps)
    return [g * max_norm / (2.0 + 1e-6) for g in grads]
"""


def test_a_number_a_condition_tests_is_never_replaced():
    """A repair that sent every call down another branch (`norm_type != 2.0` made
    `norm_type != eps`, or `dampening != 0` made `!= 1`) explained a real submission's failures
    by code it never ran."""
    for edit in edits(DISPATCH, "clip"):
        if edit.kind in ("constant", "count"):
            assert _function_text(edit, "clip").splitlines()[1] == (
                "    if norm_type != 2.0 or len(grads) == 0:"
            )
    assert any(e.kind == "constant" and "`1e-6`" in e.text for e in edits(DISPATCH, "clip"))


KEPT_COMPARISONS = """
import numpy as np


class Trainer:
    def setup(self, momentum):
        self.use_momentum = momentum != 0
        return self.use_momentum

    def relu_grad(self, x):
        return np.where(x > 0, 1, np.where(x == 0, 0.5, 0))
"""


def test_a_comparison_kept_as_a_flag_or_a_mask_is_edited_like_a_condition():
    """(held-out) `use_momentum = momentum != 0` made `!= 1` sent plain SGD down the momentum
    path, and `np.where(x == 0, ...)` made `x == 1` or `self == 0` left a ReLU's branch at 0
    unrun: neither number is made one off, and no variable is made the method's object."""
    flag = [_function_text(e, "Trainer.setup") for e in edits(KEPT_COMPARISONS, "Trainer.setup")]
    assert flag and not [t for t in flag if "momentum != 1" in t or "momentum != -1" in t]
    found = list(edits(KEPT_COMPARISONS, "Trainer.relu_grad"))
    texts = [_function_text(e, "Trainer.relu_grad") for e in found]
    assert not [t for t in texts if "x == 1" in t or "x == -1" in t or "self ==" in t]
    assert any(e.kind == "count" for e in found)  # the value taken at 0 is still a number


ALIASED = """
class Course:
    def step(self, w):
        return w * 2


_course = Course


def sgd_step(w):
    return _course().step(w)
"""


def test_a_class_bound_to_another_name_is_reached_through_it():
    """A module that binds its class to a second name (``_course = Course``) and calls it by
    that name: the class's methods are searched all the same."""
    assert aliases(ALIASED) == {"_course": "Course"}
    defs = functions(ALIASED)
    assert reached(defs, ("sgd_step",), aliases(ALIASED)) == ["sgd_step", "Course.step"]
    assert reached(defs, ("sgd_step",)) == ["sgd_step"]


DISCARDED = """
def loss(x):
    _, cache = helper(x)
    value = x.sum()
    return value, cache
"""


def test_a_value_the_code_throws_away_stands_for_no_variable():
    # `_` holds what `helper` gave first and the code says it does not want it: a repair that
    # returns it instead bypasses the code written (a wrapper's reference value, in a held-out set)
    named = [e for e in edits(DISCARDED, "loss") if e.kind in ("name", "swap")]
    assert named  # `value` for `x`, `cache` for `value`, ...
    loads = [
        n.id
        for e in named
        for n in ast.walk(ast.parse(e.source))
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    ]
    assert "value" in loads and "_" not in loads


COURSE_NETWORK = """
class _Base:
    def __init__(self):
        self.scale = 1.0

    def softmax(self, s):
        return s / s.sum()

    def accuracy(self, p, y):
        return (p.argmax(1) == y).mean() * 100 + 0.5


class Net(_Base):
    def loss(self, s):
        return -self.softmax(s).sum()

    def plot(self, history):
        return history[-1] * 2 - 1


def softmax_forward(x):
    return Net().softmax(x)
"""


def test_a_class_reaches_the_methods_the_code_reads_and_those_of_its_bases():
    """A course's class keeps methods the exercise never runs (accuracy, plotting): a bounded
    search spends no trials on them; a method read through an attribute is reached, in the base
    class too, and so are those Python calls for the class (``__init__``)."""
    from descent.diagnoses.edit_context import bases

    defs = functions(COURSE_NETWORK)
    found = reached(defs, ("softmax_forward",), bases=bases(COURSE_NETWORK))
    assert found == ["softmax_forward", "_Base.__init__", "_Base.softmax"]
    assert bases(COURSE_NETWORK) == {"_Base": (), "Net": ("_Base",)}


def test_a_stability_term_the_class_sets_and_a_method_never_reads_is_put_in_place():
    # MIT 6.036's BatchNorm sets self.eps in __init__ and divides by np.sqrt(self.var)
    source = (
        "class Norm:\n"
        "    def __init__(self):\n        self.eps = 1e-5\n\n"
        "    def forward(self, z):\n        return z / np.sqrt(z.var())\n\n"
        "    def backward(self, d):\n        return d / np.sqrt(self.v + self.eps)\n"
    )
    first = next(iter(edits(source, "Norm.forward")))
    assert first.kind == "eps" and "`self.eps` is never used" in first.text
    assert "np.sqrt(z.var() + self.eps)" in first.source
    # a method that reads it is given nothing of the kind
    assert not any(e.kind == "eps" for e in edits(source, "Norm.backward"))


RETURNS_A_CALL = """
def make():
    return 1.0


def f(x):
    y = x * 2
    return make()
"""


def test_a_function_that_returns_a_call_of_another_with_no_argument_is_searched():
    """`return make()` (a module's own function called with nothing): reading it as a value
    handed back once ended the whole search with an AttributeError."""
    found = list(edits(RETURNS_A_CALL, "f"))  # to the end: the search once stopped with an error
    assert any(e.line == 7 and "`x * 2`" in e.text for e in found)


def test_a_rule_that_cannot_read_a_form_of_code_leaves_the_others_to_search(monkeypatch):
    """One rule raising on an unusual node skips that node for that rule only."""
    import descent.diagnoses.edits as module

    def broken(node, ctx):
        if isinstance(node, ast.BinOp):
            raise AttributeError("a form this rule does not know")
        yield from ()

    monkeypatch.setattr(module, "RULES", (broken, *module.RULES))
    assert any("`x * 2`" in e.text for e in edits(RETURNS_A_CALL, "f"))


def test_a_first_edit_the_rules_cannot_read_again_leaves_the_other_functions_to_search():
    """(a held-out Polytechnique Montréal loss) a first edit that wrote a node the rules cannot
    read again (an attribute without its context) once ended the whole pair search: the second
    edits of the other functions are still tried."""
    import descent.diagnoses.edits as module

    source = "def g(y):\n    return y * 3\n\n\ndef f(x):\n    return g(x) + 1\n"
    first = next(e for e in edits(source, "f") if e.kind == "term")
    broken = ast.parse("def f(x):\n    return np.log(x)\n").body[0]
    del broken.body[0].value.func.ctx  # as a rule that forgot `ast.Load()` wrote it
    first = module.Edit(first.kind, first.line, first.text, first.source, "f", broken)
    seconds = list(module.after(source, ("f", "g"), first))
    assert seconds and all(e.function == "g" for e in seconds)

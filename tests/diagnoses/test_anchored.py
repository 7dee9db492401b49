"""The line that writes the floor a verified cause names (``descent.diagnoses.anchored``): a
loss of clipped sigmoid probabilities is pointed at the line of its clip, in the code's own
words; a floor written on too many lines, or by no line, places nothing."""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import replace

from conftest import KIT, grade_in_process

from descent.diagnoses.anchored import DIAGONAL, MOST, anchored, anchored_all
from descent.diagnoses.claims import Claim

CLIPPED = """
import numpy as np

EPS = 10 ** -7


def bce(z, t):
    p = 1 / (1 + np.exp(-z))
    p = np.clip(p, 1e-15, 1 - 1e-15)  # keep the logs finite
    return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))


def floored(p):
    return np.log(np.maximum(p, EPS))
"""
SAID = "what a log is taken of clamped at {f} (the log floored at ...)"


def _claim(floor: str, kind: str = "clamp") -> Claim:
    return Claim(("slip", floor), SAID.format(f=floor), kind)


def test_a_floor_named_is_placed_on_the_line_that_writes_it():
    code = ast.parse(CLIPPED).body
    placed = anchored(_claim("1e-15"), code, CLIPPED)
    assert placed.located == (
        "line 9 (in `bce`): `p = np.clip(p, 1e-15, 1 - 1e-15)` writes that floor"
    )
    # a power of literals is a floor written too; its line is the module's own statement
    assert (
        anchored(_claim("1e-07"), code, CLIPPED).located
        == "line 4: `EPS = 10 ** -7` writes that floor"
    )
    assert anchored(_claim("1e-08"), code, CLIPPED).located == ""  # written nowhere
    huge = "x = 10 ** 400\ny = 1e-15\n"  # a power past a float's range is no number written
    assert anchored(_claim("1e-15"), ast.parse(huge).body, huge).located.startswith("line 2")
    assert anchored(_claim("1e-15", "factor"), code, CLIPPED).located == ""  # no floor's kind
    assert anchored(_claim("1e-15"), None, CLIPPED).located == ""  # the kit's own code


def test_a_floor_a_check_saw_is_placed_like_a_cause():
    """(a held-out course's loss, `np.clip(x, epsilon, 1 - epsilon)` with `epsilon = 1e-15`)
    the floor read off one large input's values is a fact of that check, not a cause weighed
    on every check: it is placed on the line that writes it too, and a fact-less check stays."""
    code = ast.parse(CLIPPED).body
    seen = replace(_claim("1e-15"), fact=True)
    whole, parts, facts = anchored_all([], [], {1: seen, 2: None}, code, CLIPPED)
    assert (whole, parts, facts[2]) == ([], [], None)
    assert facts[1].located.startswith("line 9 (in `bce`)")


def test_a_floor_written_on_many_lines_places_nothing():
    many = "\n".join(f"a{i} = 1e-12" for i in range(MOST + 1)) + "\n"
    assert anchored(_claim("1e-12"), ast.parse(many).body, many).located == ""
    few = "\n".join(f"a{i} = 1e-12" for i in range(MOST)) + "\n"
    said = anchored(_claim("1e-12"), ast.parse(few).body, few).located
    numbers = ", ".join(str(i + 1) for i in range(MOST))
    assert said == f"lines {numbers} write that floor (line 1: `a0 = 1e-12`)"


ANCHOR = "    per = pw * target * _softplus(-logits) + (1 - target) * _softplus(logits)\n"
STUDENT = (
    "    p = torch.sigmoid(logits.double()).detach().cpu().numpy()\n"
    "    p = np.clip(p, 1e-12, 1 - 1e-12)\n"
    "    t = target.detach().cpu().numpy()\n"
    "    per = torch.as_tensor(-(pw * t * np.log(p) + (1 - t) * np.log(1 - p)))\n"
    "    per = per.to(logits.dtype)\n"
)


def test_a_clipped_probability_loss_is_told_the_line_of_its_clip(tmp_path):
    """End to end: the slip of clipped probabilities reproduces every failing check, and the
    message points at the learner's line with the clip."""
    folder = tmp_path / "subs" / "clipped_bce"
    shutil.copytree(
        KIT / "solutions", folder, ignore=shutil.ignore_patterns("test_*", "__pycache__")
    )
    path = folder / "losses.py"
    text = path.read_text()
    assert ANCHOR in text, "the solution's text moved"
    path.write_text("import numpy as np\n" + text.replace(ANCHOR, STUDENT, 1))
    suites = ["graders/test_losses.py", "-k", "bce_with_logits and stable"]
    run = grade_in_process(tmp_path / "run", suites, folder)
    lost = [t["message"] or "" for t in run.results["tests"] if t["outcome"] == "failed"]
    assert lost, "the clipped probabilities failed no check"
    said = r"in your code, line \d+ \(in `bce_with_logits_forward`\): `p = np.clip\(p, 1e-12, 1 - 1e-12\)` writes that floor"
    assert any(re.search(said, m) for m in lost), "\n".join(lost)


def test_a_constant_typed_in_for_an_argument_is_placed_on_the_lines_that_write_it():
    typed = (
        "your result is what the reference gives with `negative_slope` = 0.1 whatever the call "
        "passes: the `negative_slope` passed makes no difference in your code, which uses the "
        "constant 0.1 where `negative_slope` belongs"
    )
    code_text = "def leaky(x):\n    return np.maximum(0, x) + np.minimum(x, 0) * 0.1\n"
    claim = Claim(("rerun", "negative_slope"), typed, "argument")
    placed = anchored(claim, ast.parse(code_text).body, code_text)
    assert placed.located == (
        "line 2 (in `leaky`): `return np.maximum(0, x) + np.minimum(x, 0) * 0.1` writes that constant"
    )
    several = replace(claim, text=typed.replace("constant 0.1", "constant 0.1 or 0.2"))
    assert anchored(several, ast.parse(code_text).body, code_text).located == ""


SLOPE = "    return torch.where(x > 0, x, negative_slope * x), (x, negative_slope)\n"
BACKWARD = "    return torch.where(x > 0, dy, slope * dy)\n"


def _typed_slope(tmp_path, backward_too: bool):
    """A leaky ReLU whose forward calls a learner's helper that takes no slope and multiplies by
    0.1 (no edit of the helper can read an argument it is not given); ``backward_too``: its
    backward uses 0.1 as well, as a learner's does."""
    folder = tmp_path / "subs" / "typed_slope"
    shutil.copytree(
        KIT / "solutions", folder, ignore=shutil.ignore_patterns("test_*", "__pycache__")
    )
    path = folder / "activations.py"
    text = path.read_text()
    assert SLOPE in text and BACKWARD in text, "the solution's text moved"
    forward = "    return _leaky(x), (x, negative_slope)\n"
    helper = "\n\ndef _leaky(x):\n    return torch.where(x > 0, x, 0.1 * x)\n"
    text = text.replace(SLOPE, forward, 1)
    if backward_too:
        text = text.replace(BACKWARD, BACKWARD.replace("slope * dy", "0.1 * dy"))
    path.write_text(text + helper)
    return folder


def test_a_branch_read_wrong_stays_told_where_the_typed_constant_does_not_hold(tmp_path):
    """The same forward with a correct backward: forcing the slope to 0.1 also changes the
    backward's (it reads the slope the forward keeps), so the fit fails there and is not
    verified; the branch the forward gets wrong is still told on its checks."""
    folder = _typed_slope(tmp_path, backward_too=False)
    run = grade_in_process(
        tmp_path / "run", ["graders/test_activations.py", "-k", "leaky_relu"], folder
    )
    forward = [
        t["message"] or ""
        for t in run.results["tests"]
        if t["outcome"] == "failed" and "test_forward" in t["name"]
    ]
    said = "likely mistake: your result is right where `args[0]` >= 0 and wrong exactly where"
    assert forward and all(said in m for m in forward), forward
    assert not [m for m in forward if "uses the constant 0.1" in m]


def test_a_slope_typed_in_is_named_over_the_branch_it_makes_wrong(tmp_path):
    """End to end: a leaky ReLU whose forward and backward multiply by 0.1 whatever
    `negative_slope` is was read only as "wrong exactly where x < 0"; the re-runs now run
    after that place and name the constant, at the lines that write it."""
    folder = _typed_slope(tmp_path, backward_too=True)
    run = grade_in_process(
        tmp_path / "run", ["graders/test_activations.py", "-k", "leaky_relu"], folder
    )
    lost = [t["message"] or "" for t in run.results["tests"] if t["outcome"] == "failed"]
    assert lost, "the typed-in slope failed no check"
    said = r"uses the constant 0.1 where `negative_slope` belongs; in your code, lines \d+, \d+ write that constant \(line \d+ \(in `leaky_relu_backward`\)"
    assert any(re.search(said, m) for m in lost), "\n".join(lost)


DIAGONAL_ONLY = """
import numpy as np


def softmax_backward(dy, s):
    return dy * s * (1 - s)


def squared(dy, s):
    return dy * (s - s ** 2)


def full(dy, s):
    return s * (dy - (dy * s).sum(axis=-1, keepdims=True))
"""


def test_a_softmax_backward_cut_to_its_diagonal_is_placed_on_the_line_that_writes_it():
    said = Claim(("bug", DIAGONAL), "your result matches code that uses only the diagonal", "term")
    said = replace(said, misconception=DIAGONAL)
    tree = ast.parse(DIAGONAL_ONLY).body
    assert anchored(said, tree[1:2], DIAGONAL_ONLY).located == (
        "line 6 (in `softmax_backward`): `return dy * s * (1 - s)` writes that diagonal"
    )
    assert anchored(said, tree[2:3], DIAGONAL_ONLY).located.startswith("line 10")  # s - s ** 2
    # near misses: the full Jacobian writes no diagonal alone, and another cause names none
    assert anchored(said, tree[3:4], DIAGONAL_ONLY).located == ""
    other = Claim(("bug", "x"), "your result matches code that drops a term", "term")
    assert anchored(other, tree[1:2], DIAGONAL_ONLY).located == ""


DISPATCHED = """
class Activation:
    def __sigmoid_derivative(self, x):
        sig = 1 / (1 + np.exp(-x))
        return sig * (1 - sig)

    def __softmax_derivative(self, x):
        s = self.softmax(x)
        return s * (1 - s)

    def __swish_derivative(self, x):
        sig = 1 / (1 + np.exp(-x))
        return sig * (1 - sig) * x + sig
"""


def test_a_diagonal_written_in_several_derivatives_is_placed_in_the_exercise_s_own():
    """A held-out learner's class writes ``s * (1 - s)`` in three derivatives that one dispatch
    reaches (issue 79, an Indonesian course): the softmax's backward was told all three lines,
    two of them right for their own functions."""
    said = replace(
        Claim(("bug", DIAGONAL), "your result matches code that uses only the diagonal", "term"),
        misconception=DIAGONAL,
    )
    tree = ast.parse(DISPATCHED).body
    assert anchored(said, tree, DISPATCHED, "activations.softmax").located == (
        "line 9 (in `__softmax_derivative`): `return s * (1 - s)` writes that diagonal"
    )
    # without the exercise, or where no function is named for it, every line is told
    assert anchored(said, tree, DISPATCHED).located.startswith("lines 5, 9, 13")
    assert anchored(said, tree, DISPATCHED, "activations.gelu").located.startswith("lines 5, 9")


UNDER_ROOT_CODE = """
import numpy as np


def rmsprop(p, g, s, lr, alpha, eps):
    s = alpha * s + (1 - alpha) * g * g
    return p - lr * g / np.sqrt(s + eps) - 0.1 * p, s


def adagrad(p, g, h, lr):
    h = h + g * g
    return p - lr * g / (1e-8 + h) ** 0.5, h


def right(p, g, s, lr, alpha, eps):
    s = alpha * s + (1 - alpha) * g * g
    return p - lr * g / (np.sqrt(s) + eps), s
"""


def test_eps_under_the_root_is_placed_on_the_line_that_writes_it():
    """(held-out) an RMSprop with eps under its root and a second mistake (a decay term after
    the step), which no single edit repairs: the verified cause is placed on the line of the
    root, by name or by a small number written in; a root with nothing under it places
    nothing, and neither does a cause about something else."""
    said = replace(
        Claim(("bug", "r"), "your result matches code that puts eps inside the square root", "eps"),
        misconception="rmsprop_eps_inside_sqrt",
    )
    tree = ast.parse(UNDER_ROOT_CODE).body
    assert anchored(said, tree[1:2], UNDER_ROOT_CODE).located == (
        "line 7 (in `rmsprop`): `return p - lr * g / np.sqrt(s + eps) - 0.1 * p, s` writes that "
        "sum under the square root"
    )
    assert anchored(said, tree[2:3], UNDER_ROOT_CODE).located.startswith("line 12 (in `adagrad`)")
    assert anchored(said, tree[3:4], UNDER_ROOT_CODE).located == ""
    # the parameter reading's words place it too; another cause does not
    read = Claim(("p", "eps"), "with `eps` added under the square root instead of after it", "eps")
    assert anchored(read, tree[1:2], UNDER_ROOT_CODE).located.startswith("line 7")
    other = Claim(("bug", "x"), "your result matches code that drops a term", "term")
    assert anchored(other, tree[1:2], UNDER_ROOT_CODE).located == ""


UNCOUNTED_CODE = """
class Adam:
    def step(self, g):
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        m_hat = self.m / (1 - self.b1)
        v_hat = self.v / (1 - self.b2)
        return m_hat / (v_hat**0.5 + 1e-8)
"""


def test_a_bias_correction_without_the_step_s_power_is_placed_on_its_divisions():
    """(held-out) an Adam that keeps no step counter and divides by `1 - beta`: no edit can give
    it a power, and the verified reading is placed on the two divisions, not on the moving
    averages that write `1 - beta` as a factor."""
    said = Claim(
        ("slip", "t"),
        "with every power `** t` left out (the bases used as they are): a bias correction that "
        "divides by (1 - beta1) instead of (1 - beta1 ** t) and (1 - beta2) instead of (1 - "
        "beta2 ** t)",
        "power",
    )
    code = ast.parse(UNCOUNTED_CODE).body
    assert anchored(said, code, UNCOUNTED_CODE).located == (
        "lines 6, 7 write that correction without the step's power (line 6 (in `step`): "
        "`m_hat = self.m / (1 - self.b1)`)"
    )


GUARDED = """
import numpy as np


def loss(p, y):
    p = np.clip(p, 1e-8, 1 - 1e-8)
    return -np.mean(y * np.log(p))


def grad(p, y):
    return -(y / (p + 1e-8))


def looped(p, y):
    for i in range(len(p)):
        if p[i] <= 1e-8:
            p[i] = 1e-8
    return -np.mean(y * np.log(p))
"""


def test_a_division_guarded_by_the_same_number_is_not_where_a_log_s_floor_is():
    """(a held-out loss) a clip at 1e-8 before its log, and the same 1e-8 guarding its
    derivative's division: the floor is placed on the clip's line alone."""
    code = ast.parse(GUARDED).body
    placed = anchored(_claim("1e-08"), code[:3], GUARDED)
    assert (
        placed.located == "line 6 (in `loss`): `p = np.clip(p, 1e-8, 1 - 1e-8)` writes that floor"
    )
    # a clip written as a test and an assignment: both of its lines write it
    assert anchored(_claim("1e-08"), code[3:], GUARDED).located.startswith("lines 16, 17 write")


WHOLE_SHIFT = """
import numpy as np


def softmax(inputs):
    exps = np.exp(inputs - np.max(inputs))
    return exps / np.sum(exps, axis=1, keepdims=True)


def shifted_in_place(x):
    x -= x.max()
    return x


def per_row(x):
    return np.exp(x - np.max(x, axis=1, keepdims=True))
"""


def test_a_shift_by_the_whole_input_s_maximum_is_placed_on_the_line_that_subtracts_it():
    """(a held-out joelnet softmax) "one value ... subtracted for every slice, where each slice
    needs its own": the lines that subtract a maximum given no axis, not one taken per row."""
    from descent.diagnoses.base import OWN_MAXIMUM

    said = Claim(
        ("nan",),
        f"one value (the whole tensor's maximum, say) subtracted for every slice, where each "
        f"slice {OWN_MAXIMUM}1, keepdim=True)), makes all of their exps 0",
        "stability",
    )
    code = ast.parse(WHOLE_SHIFT).body
    assert anchored(said, code, WHOLE_SHIFT).located == (
        "lines 6, 11 write that maximum of the whole input (line 6 (in `softmax`): "
        "`exps = np.exp(inputs - np.max(inputs))`)"
    )
    per_row = [n for n in code if getattr(n, "name", "") == "per_row"]
    assert not anchored(said, per_row, WHOLE_SHIFT).located
    # (a held-out Saarland learner) placed first by a partial repair of another mistake, at a
    # line far from any that subtracts the maximum: placed at those lines instead
    softmax = [n for n in code if getattr(n, "name", "") == "softmax"]
    elsewhere = replace(said, located="line 15 (in `per_row`): the log of a probability")
    assert anchored(elsewhere, softmax, WHOLE_SHIFT).located.startswith("line 6 (in `softmax`)")
    near = replace(said, located="line 7 (in `softmax`): something the repair mends")
    assert anchored(near, softmax, WHOLE_SHIFT) == near


SPREADS = """
import numpy as np


def he(fan_in, shape, rng):
    return rng.uniform(
        low=-np.sqrt(2 / fan_in),
        high=np.sqrt(2 / fan_in),
        size=shape,
    )


def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def fixed(shape):
    return np.random.uniform(-0.08, 0.08, shape)
"""


def test_a_uniform_bound_and_a_tanh_approximation_are_placed_on_their_lines():
    """(held-out Tokyo learners) a He initializer read as "a standard deviation used as a
    uniform's bound" is placed at the bounds it computes (not at a draw between two numbers),
    and a GELU matched to the catalogued tanh approximation at its tanh."""
    from descent.diagnoses.anchored import TANH_APPROXIMATION
    from descent.diagnoses.base import STD_AS_BOUND

    code = ast.parse(SPREADS).body
    spread = Claim(("s",), f"the std of your values is ... : a {STD_AS_BOUND}", "factor")
    assert anchored(spread, code, SPREADS).located == (
        "lines 7, 8 write that bound (line 7 (in `he`): `low=-np.sqrt(2 / fan_in),`)"
    )
    tanh = Claim(("g",), "your result matches code that uses the tanh approximation", "omitted")
    tanh = replace(tanh, misconception=TANH_APPROXIMATION)
    assert anchored(tanh, code, SPREADS).located.startswith("line 14 (in `gelu`): ")
    assert anchored(tanh, code, SPREADS).located.endswith("writes that approximation")


STEPS = """
import numpy as np


def update(w, m, v, a_):
    return w - a_ * m / (np.sqrt(v) + 1e-8)


def sigmoid_prime(z):
    return z * (1 - z)
"""


def test_an_adam_step_rearranged_and_a_derivative_in_the_output_are_placed():
    """(a held-out Tokyo Adam and a joelnet sigmoid) the catalogued rearranged Adam step at the
    line that adds eps to the root of the raw average, and the catalogued sigmoid backward fed
    the input at the line that writes `z * (1 - z)`."""
    from descent.diagnoses.anchored import EPS_HAT, INPUT_AS_OUTPUT

    code = ast.parse(STEPS).body
    hat = replace(Claim(("h",), "the paper's rearranged form", "eps"), misconception=EPS_HAT)
    assert anchored(hat, code, STEPS).located == (
        "line 6 (in `update`): `return w - a_ * m / (np.sqrt(v) + 1e-8)` writes that eps after "
        "the root of the uncorrected average"
    )
    fed = replace(Claim(("i",), "uses the input x", "argument"), misconception=INPUT_AS_OUTPUT)
    assert anchored(fed, code, STEPS).located.startswith("line 10 (in `sigmoid_prime`)")


UNCORRECTED = """
import numpy as np


class AdamW:
    def step(self, w, g):
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        w = w * (1 - self.weight_decay)
        return w - self.lr * self.m / (np.sqrt(self.v) + self.eps)
"""


def test_an_adam_without_its_correction_and_a_decay_without_the_rate_are_placed():
    """(held-out learners' Adam and AdamW) the catalogued Adam without its bias correction at
    the step that divides the raw averages, and AdamW's decay without the learning rate at the
    line that writes `1 - weight_decay`; the averages' own `1 - beta` lines are neither."""
    from descent.diagnoses.anchored import DECAY_WITHOUT_RATE

    code = ast.parse(UNCORRECTED).body
    raw = replace(Claim(("r",), "leaves out the bias correction", "omitted"))
    raw = replace(raw, misconception="adam_no_bias_correction")
    assert anchored(raw, code, UNCORRECTED).located.startswith(
        "line 10 (in `step`): `return w - self.lr * self.m / (np.sqrt(self.v) + self.eps)` "
        "writes that step, from the averages as they are"
    )
    decay = replace(Claim(("d",), "shrinks without the rate", "factor"))
    decay = replace(decay, misconception=DECAY_WITHOUT_RATE)
    assert anchored(decay, code, UNCORRECTED).located == (
        "line 9 (in `step`): `w = w * (1 - self.weight_decay)` writes that decay, without the "
        "learning rate"
    )
    added = UNCORRECTED.replace("w * (1 - self.weight_decay)", "w - self.weight_decay * w")
    assert anchored(decay, ast.parse(added).body, added).located.startswith("line 9")
    # the decay written with its rate is right: no line
    right = UNCORRECTED.replace("(1 - self.weight_decay)", "(1 - self.lr * self.weight_decay)")
    assert anchored(decay, ast.parse(right).body, right).located == ""
    clamp = UNCORRECTED.replace("(1 - self.weight_decay)", "(1 - np.clamp(g, 0, 1))")
    assert anchored(decay, ast.parse(clamp).body, clamp).located == ""


DEFAULTS = """
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10):
    s = state.get("sum", 0) + grad ** 2
    return param - lr * grad / s ** 0.5, {"sum": s}


def adam_step(param, grad, m, lr=1e-3, eps=1e-8):
    return param - lr * m / (grad ** 2 + 1e-10)


def rms_step(param, grad, eps=1e-6):
    return param - grad / (grad ** 2 + eps)
"""
LEFT_OUT = (
    "your result is what the reference gives when `eps`, left out by the call, defaults to "
    "{used} instead of {expected}: check the default in the signature"
)


def test_a_default_read_off_the_values_is_said_of_the_student_s_signature():
    """(a held-out Colby College AdaGrad with no eps, a MatrixSlow Adam that types 1e-10 in)
    a signature that gives the expected default is not the mistake: the words say the code
    does not use the parameter, at the lines that write the constant used; a signature that
    gives another default is the line."""
    tree = ast.parse(DEFAULTS)

    def told(function: str, used: str, expected: str) -> Claim:
        code = [n for n in tree.body if getattr(n, "name", "") == function]
        text = LEFT_OUT.format(used=used, expected=expected)
        return anchored(Claim(("rerun", "eps"), text, "argument"), code, DEFAULTS)

    unread = told("adagrad_step", "0", "1e-10")
    assert unread.text == (
        "your result is what the reference gives when `eps`, left out by the call, is 0 instead "
        "of 1e-10; your signature's default is 1e-10, so that value is not the one the code uses "
        "(is `eps` read where it belongs, or a constant written in its place?)"
    )
    assert "check the default in the signature" not in unread.text and unread.located == ""
    typed = told("adam_step", "1e-10", "1e-08")
    assert typed.located == (
        "line 8 (in `adam_step`): `return param - lr * m / (grad ** 2 + 1e-10)` writes that constant"
    )
    other = told("rms_step", "1e-06", "1e-08")
    assert other.text.endswith("check the default in the signature")
    assert other.located == "line 11: the signature gives `eps` that default"

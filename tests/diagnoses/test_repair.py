"""A verified repair of the student's own code (``descent.diagnoses.repair``): where nothing
verified names a cause, the failure names the line and the kind of change with which every
check of the exercise passes. Each student here writes one mistake in a form the value readings
and the slips of the reference did not name (issue 79): a square root left out in a helper, a
constant typed in for ``eps``, a step typed in twice, a parameter stepped with the average from
before this gradient. Graded through the worker (one run) and in-process (one run)."""

from __future__ import annotations

import contextlib
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import KIT, grade, grade_in_process

from descent.diagnoses import repair
from descent.diagnoses.ledger import Ledger, Record

SOLUTIONS = KIT / "solutions"

# name -> (module, text of the solution, the student's text, the exercise, what must be said)
STUDENTS = {
    "kaiming_variance": (
        "init",
        "    return calculate_gain(nonlinearity, a) / math.sqrt(fan)\n",
        "    spread = calculate_gain(nonlinearity, a) ** 2 / fan\n    return spread\n",
        "init.kaiming",
        r"line \d+ \(in `_kaiming_std`\): a square root is missing: `spread`",
    ),
    "adagrad_typed_eps": (
        "optim",
        "(torch.sqrt(s) + eps)",
        "(torch.sqrt(s) + 1e-7)",
        "optim.adagrad",
        r"line \d+ \(in `adagrad_step`\): the number `1e-7` stands where `eps` belongs",
    ),
    "numerical_step_typed": (
        "layers",
        "        step[i] = eps\n        step = step.view(x.shape)\n"
        "        flat[i] = (f(x + step) - f(x - step)) / (2 * eps)\n",
        "        step[i] = 1e-4\n        step = step.view(x.shape)\n"
        "        flat[i] = (f(x + step) - f(x - step)) / (2 * 1e-4)\n",
        "layers.numerical_gradient",
        r"the number `1e-4` \(lines \d+, \d+\) stands where `eps` belongs",
    ),
    "rmsprop_stale_average": (
        "optim",
        "    v = (1 - alpha) * g * g if v is None else alpha * v + (1 - alpha) * g * g\n"
        "    new_param = param - lr * g / (torch.sqrt(v) + eps)\n",
        "    v = torch.zeros_like(g) if v is None else v\n"
        "    new_param = param - lr * g / (torch.sqrt(v) + eps)\n"
        "    v = alpha * v + (1 - alpha) * g * g\n",
        "optim.rmsprop",
        r"line (\d+) \(in `rmsprop_step`\): line \1 reads `v` before line \d+ gives it its new "
        r"value: the two run in the wrong order",
    ),
    # the course's own update rule kept as written, with its settings in a dict, called by a
    # function of the kit's signature
    "rmsprop_settings_dict": (
        "optim",
        "    g = grad + weight_decay * param if weight_decay != 0 else grad\n"
        '    v = state.get("square_avg")\n'
        "    v = (1 - alpha) * g * g if v is None else alpha * v + (1 - alpha) * g * g\n"
        "    new_param = param - lr * g / (torch.sqrt(v) + eps)\n"
        '    return new_param, {**state, "step": state.get("step", 0) + 1, "square_avg": v}\n',
        "    g = grad + weight_decay * param if weight_decay != 0 else grad\n"
        '    config = {"learning_rate": lr, "decay_rate": alpha, "epsilon": eps,\n'
        '              "cache": state.get("square_avg", torch.zeros_like(g))}\n'
        "    new_param, config = _course_rmsprop(param, g, config)\n"
        '    return new_param, {**state, "step": state.get("step", 0) + 1,\n'
        '                       "square_avg": config["cache"]}\n\n\n'
        "def _course_rmsprop(w, dw, config):\n"
        '    rate = config.get("decay_rate", 0.99)\n'
        '    config["cache"] = rate * config["cache"] + (1 - rate) * dw * dw\n'
        '    step = config["learning_rate"] * dw / (torch.sqrt(config["cache"]) + 1e-7)\n'
        "    return w - step, config\n",
        "optim.rmsprop",
        r"line \d+ \(in `_course_rmsprop`\): the number `1e-7` stands where the setting "
        r"`config\['epsilon'\]` belongs",
    ),
    # a course's class (Deep Learning from Scratch's and EECS 498's style): the mistake is in a
    # method that the exercise's function reaches through the class's name
    "kaiming_variance_in_a_class": (
        "init",
        "    return calculate_gain(nonlinearity, a) / math.sqrt(fan)\n# END SOLUTION\n",
        "    return _Init(calculate_gain(nonlinearity, a), fan).scale()\n\n\n"
        "class _Init:\n"
        "    def __init__(self, gain, fan):\n"
        "        self.gain, self.fan = gain, fan\n\n"
        "    def scale(self):\n"
        "        spread = self.gain ** 2 / self.fan\n"
        "        return spread\n"
        "# END SOLUTION\n",
        "init.kaiming",
        r"line \d+ \(in `_Init.scale`\): a square root is missing: `spread`",
    ),
    # a catalogued mistake written in a student's own way: the catalogue says what, the repair
    # says where
    "nesterov_last_buffer": (
        "optim",
        "            buf = g.clone()\n"
        "        else:\n"
        "            buf = momentum * buf + (1 - dampening) * g\n"
        '        new_state["momentum_buffer"] = buf\n'
        "        g = g + momentum * buf if nesterov else buf\n",
        "            buf = g.clone()\n"
        "            last = buf\n"
        "        else:\n"
        "            last = buf\n"
        "            buf = momentum * buf + (1 - dampening) * g\n"
        '        new_state["momentum_buffer"] = buf\n'
        "        g = g + momentum * last if nesterov else buf\n",
        "optim.sgd",
        r"buffer from before this step[^\n]*; in your code, line \d+ \(in `sgd_step`\): ",
    ),
    # two mistakes on two lines: no one edit repairs them; the first makes some checks pass,
    # a second on top of it all of them
    "rmsprop_two_slips": (
        "optim",
        "    g = grad + weight_decay * param if weight_decay != 0 else grad\n"
        '    v = state.get("square_avg")\n'
        "    v = (1 - alpha) * g * g if v is None else alpha * v + (1 - alpha) * g * g\n"
        "    new_param = param - lr * g / (torch.sqrt(v) + eps)\n",
        "    g = grad - weight_decay * param if weight_decay != 0 else grad\n"
        '    v = state.get("square_avg")\n'
        "    v = (1 - alpha) * g * g if v is None else alpha * v + (1 - alpha) * g * g\n"
        "    new_param = param - lr * g / (torch.sqrt(v) + 1e-6)\n",
        "optim.rmsprop",
        r"two changes: line \d+ \(in `rmsprop_step`\): [^\n]*; and line \d+ \(in "
        r"`rmsprop_step`\): ",
    ),
    # the course's step kept under a second name the wrapper calls (`_course_rmsprop =
    # _course_step`), stepping before it updates the cache: an edit must reach the step through
    # that name (a held-out EECS 498 RMSProp was told "`alpha` is left out" instead)
    "rmsprop_step_through_an_alias": (
        "optim",
        '    v = state.get("square_avg")\n'
        "    v = (1 - alpha) * g * g if v is None else alpha * v + (1 - alpha) * g * g\n"
        "    new_param = param - lr * g / (torch.sqrt(v) + eps)\n"
        '    return new_param, {**state, "step": state.get("step", 0) + 1, "square_avg": v}\n',
        '    config = {"learning_rate": lr, "decay_rate": alpha, "epsilon": eps,\n'
        '              "cache": state.get("square_avg", torch.zeros_like(g))}\n'
        "    new_param, config = _course_rmsprop(param, g, config)\n"
        '    return new_param, {**state, "step": state.get("step", 0) + 1,\n'
        '                       "square_avg": config["cache"]}\n\n\n'
        "def _course_step(w, dw, config):\n"
        '    next_w = w - config["learning_rate"] * dw / (torch.sqrt(config["cache"]) + '
        'config["epsilon"])\n'
        '    config["cache"] = config["decay_rate"] * config["cache"] + '
        '(1 - config["decay_rate"]) * dw * dw\n'
        "    return next_w, config\n\n\n"
        "_course_rmsprop = _course_step\n",
        "optim.rmsprop",
        r"line \d+ \(in `_course_step`\): the statements on lines \d+ and \d+ run in the wrong",
    ),
    # Held-out courses' forms (issue 79) --------------------------------------------------------
    # the whole tensor's maximum subtracted where each slice needs its own: the reading of the
    # NaN rows says what, the repair where
    "softmax_one_maximum": (
        "activations",
        "    e = (x - x.amax(dim=dim, keepdim=True)).exp_()\n"
        "    y = e.div_(e.sum(dim=dim, keepdim=True))\n",
        "    top = x.max()\n    e = (x - top).exp()\n    y = e / e.sum(dim=dim, keepdim=True)\n",
        "activations.softmax",
        r"; in your code, line \d+ \(in `softmax_forward`\): `x.max\(\)` reduces over every "
        r"axis where it should reduce one and keep it",
    ),
    # a course's layer class with methods the exercise never runs: the catalogue names the
    # mean, the repair finds its line in the method that runs
    "linear_db_mean_in_a_class": (
        "layers",
        "    x, W = cache\n    return dy @ W, dy.T @ x, dy.sum(dim=0)\n",
        "    return _Linear(*cache).backward(dy)\n\n\n"
        "class _Linear:\n"
        "    def __init__(self, x, W):\n"
        "        self.x, self.W = x, W\n\n"
        "    def describe(self, scale=1.0, shift=0.5):\n"
        "        return (self.x * scale - shift / 2 + 1) ** 2 / (self.W.sum() + 3)\n\n"
        "    def backward(self, dy):\n"
        "        dx = dy @ self.W\n"
        "        dW = dy.T @ self.x\n"
        "        db = dy.mean(dim=0)\n"
        "        return dx, dW, db\n",
        "layers.linear",
        r"averages the upstream gradient over the batch for db; in your code, line \d+ \(in "
        r"`_Linear.backward`\): `dy.mean\(dim=0\)` averages where a sum belongs",
    ),
    # two mistakes in two classes (a held-out McGill layer): the weight's gradient divided by
    # the batch size and the bias's averaged. Neither edit alone passes any comparison of
    # (dx, dW, db); each makes one more of its outputs right, and the two together all
    "linear_two_means_in_two_classes": (
        "layers",
        "    x, W = cache\n    return dy @ W, dy.T @ x, dy.sum(dim=0)\n",
        "    x, W = cache\n"
        "    db = _Bias().backward(dy)\n"
        "    dx, dW = _Weight(x, W).backward(dy)\n"
        "    return dx, dW, db\n\n\n"
        "class _Weight:\n"
        "    def __init__(self, x, W):\n"
        "        self.x, self.W = x, W\n\n"
        "    def backward(self, dy):\n"
        "        n = dy.shape[0]\n"
        "        return dy @ self.W, dy.T @ self.x / n\n\n\n"
        "class _Bias:\n"
        "    def backward(self, dy):\n"
        "        return dy.mean(dim=0)\n",
        "layers.linear",
        r"two changes: line \d+ \(in `_(Bias|Weight).backward`\): [^\n]*; and line \d+ \(in "
        r"`_(Weight|Bias).backward`\): ",
    ),
    # a held-out Brown loss class: the gradient, an item of the list it returns, lacks the
    # mean's division (said where the list is written, not only at a `return` of arithmetic)
    "mse_gradient_in_a_list": (
        "losses",
        "    (diff,) = cache\n    return dloss * 2 * diff / diff.numel()\n",
        "    (diff,) = cache\n"
        "    return _Loss(diff).input_gradients()[0][0].mul(dloss)\n\n\n"
        "class _Loss:\n"
        "    def __init__(self, diff):\n"
        "        self.inputs = [diff]\n\n"
        "    def input_gradients(self):\n"
        "        grad = [2 * self.inputs[0]]\n"
        "        return [grad, None]\n",
        "losses.mse",
        r"line \d+ \(in `_Loss.input_gradients`\): `2 \* self.inputs\[0\]` lacks the division "
        r"by the count of the entries of `self.inputs\[0\]`",
    ),
    # Georgia Tech's optimizer updates the model's weight in place through an attribute
    "sgd_in_place_attribute": (
        "optim",
        "    return param - lr * g, new_state\n",
        "    model = _Model()\n"
        "    model.weight = param\n"
        "    _Update(lr).step(model, g)\n"
        "    return model.weight, new_state\n\n\n"
        "class _Model:\n"
        "    pass\n\n\n"
        "class _Update:\n"
        "    def __init__(self, lr):\n"
        "        self.lr = lr\n\n"
        "    def step(self, model, g):\n"
        "        model.weight -= self.lr * g\n",
        "optim.sgd",
        r"line \d+ \(in `_Update.step`\): `model.weight -= self.lr \* g` changes the array in "
        r"place",
    ),
    # the bias added to the weights inside the product
    "linear_bias_in_the_product": (
        "layers",
        "    return x @ W.T + b, (x, W)\n",
        "    return torch.matmul(x, W.T + b), (x, W)\n",
        "layers.linear",
        r"line \d+ \(in `linear_forward`\): the parentheses in `torch.matmul\(x, W.T \+ b\)` "
        r"group the wrong terms",
    ),
    # a course's halved squared error, its gradient left undivided (NYU DS-GA 1008): dropping
    # the 0.5 repairs the forward checks and breaks none, a partial repair; the gradient needs
    # more than one edit, and its reading says what is wrong there
    "mse_halved_undivided": (
        "losses",
        "    (diff,) = cache\n    return dloss * 2 * diff / diff.numel()\n",
        "    (diff,) = cache\n    return dloss * diff\n\n\n"
        "def mse_forward(pred, target):\n"
        "    diff = pred - target\n    return 0.5 * (diff * diff).mean(), (diff,)\n",
        "losses.mse",
        r"half the expected[^\n]*; in your code, line \d+ \(in `mse_forward`\): the factor "
        r"`0.5` in `0.5 \* \(diff \* diff\).mean\(\)` does not belong there",
    ),
    # a course's loop counted with `while` and `<=` (MIT 6.036): one update too many; the
    # check of grad_fn's calls cannot be re-run and must not stop the search of the others
    "gd_while_one_too_many": (
        "basics",
        "    for _ in range(steps):\n        w = w - lr * grad_fn(w)\n",
        "    done = 0\n    while done <= steps:\n        done += 1\n        w = w - lr * grad_fn(w)\n",
        "basics.gradient_descent_1d",
        r"line \d+ \(in `gradient_descent_1d`\): the loop's test `done <= steps` makes one pass",
    ),
    # a bias's gradient kept one row per example (MIT 6.036's layer sums it later, in its step)
    "linear_db_kept_whole": (
        "layers",
        "    return dy @ W, dy.T @ x, dy.sum(dim=0)\n",
        "    db = dy\n    return dy @ W, dy.T @ x, db\n",
        "layers.linear",
        r"line \d+ \(in `linear_backward`\): `db = dy` keeps every entry of `dy` where they "
        r"belong summed over one axis",
    ),
    # a ReLU backward that writes into the upstream gradient and keeps it at 0: the copy and
    # the mask's boundary are two changes of one line
    "relu_in_place_and_boundary": (
        "activations",
        "    return torch.where(x > 0, dy, torch.zeros_like(dy))\n",
        "    dx = dy\n    dx[x < 0] = 0\n    return dx\n",
        "activations.relu",
        r"two changes: line (\d+) \(in `relu_backward`\): `dx\[x < 0\] = 0` writes into the "
        r"array your caller passed.*; and line \1 \(in `relu_backward`\): the comparison `x < 0`",
    ),
    # a binary cross-entropy taken as the log of a sigmoid and of one minus it (MIT 6.036):
    # both logs written from the scores at once
    "bce_logs_of_a_sigmoid": (
        "losses",
        "    per = pw * target * _softplus(-logits) + (1 - target) * _softplus(logits)\n",
        "    p = torch.sigmoid(logits)\n"
        "    per = -(pw * target * torch.log(p) + (1 - target) * torch.log(1 - p))\n",
        "losses.bce_with_logits",
        r"line \d+ \(in `bce_with_logits_forward`\): `torch.log\(p\)` and the other logs "
        r"\(2 times on line \d+\) take logs of probabilities",
    ),
    # a name nothing defines (a Coursera learner's `o` for `0`): every check crashes, and the
    # crash's words get the line of the change that makes the code run and pass
    "relu_undefined_name": (
        "activations",
        "    return torch.where(x > 0, x, torch.zeros_like(x)), (x,)\n",
        "    return torch.clamp(x, min=o), (x,)\n",
        "activations.relu",
        r"NameError: name 'o' is not defined.*\nlikely mistake: .*in your code, line \d+ "
        r"\(in `relu_forward`\): `o` is not defined where it is read",
    ),
    # the same count one off in a range's argument
    "gd_range_one_too_many": (
        "basics",
        "    for _ in range(steps):\n",
        "    for _ in range(steps + 1):\n",
        "basics.gradient_descent_1d",
        r"line \d+ \(in `gradient_descent_1d`\): the `steps \+ 1` is off by one",
    ),
}
# vanilla dropout (CS231n learners): kept entries unscaled in training, scaled in evaluation.
# The statistics checks cannot be re-run (estimates); the evaluation checks can, and dropping
# the factor repairs them. Said of those only: the statistics keep their own reading, never the
# line ("a division by (1 - p) left out" had been replaced by the evaluation's line, a real-code
# wrong cause).
# eval mode scaled, and one row of draws shared by every row: the second is seen only by a
# property no repair can re-run (neighbouring rows drop alike)
SHARED_DROPOUT = (
    "    if not training or p == 0:\n        return x.clone(), None\n",
    "    if not training or p == 0:\n        return x * (1 - p), None\n",
    "    u = torch.rand(x.shape, generator",
    "    u = torch.rand(x.shape[-1:], generator",
)
SUITES = [
    "graders/test_basics.py",
    "graders/test_init.py",
    "graders/test_optim.py",
    "graders/test_layers.py",
    "graders/test_activations.py",
    "graders/test_losses.py",
]


def _student(root: Path, name: str) -> Path:
    module, old, new, _, _ = STUDENTS[name]
    folder = root / name
    shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    path = folder / f"{module}.py"
    text = path.read_text()
    assert old in text, f"{name}: the solution's text moved"
    path.write_text(text.replace(old, new, 1))
    return folder


def _variant(tmp_path: Path, name: str, module: str, edits, added: str = "") -> Path:
    """A copy of the solutions as ``subs/<name>``, each ``(old, new)`` of ``edits`` replaced
    once in ``<module>.py`` (each must be there) and ``added`` appended to it."""
    folder = tmp_path / "subs" / name
    shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    path = folder / f"{module}.py"
    text = path.read_text()
    for old, new in edits:
        assert old in text, f"{name}: the solution's text moved"
        text = text.replace(old, new, 1)
    path.write_text(text + added)
    return folder


def _graded_messages(tmp_path, folder: Path, suites: list[str], exercise: str, where="worker"):
    """The messages of the lost tests of ``exercise`` when ``folder`` is graded by ``suites``,
    in the worker or in this process."""
    if where == "worker":
        run = grade(tmp_path / "run", suites, [str(folder)])
    else:
        run = grade_in_process(tmp_path / "run", suites, folder)
    return _messages(run, folder.name, exercise)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("repair")
    folders = [_student(root / "subs", name) for name in STUDENTS]
    return grade(root / "run", SUITES, [str(f) for f in folders])


def _messages(run, name: str, exercise: str) -> list[str]:
    block = next(b for b in run.results["implementations"] if Path(b["name"]).name == name)
    return [
        t["message"] or ""
        for t in run.results["tests"]
        if t["implementation"] == block["name"]
        and t["exercise"] == exercise
        and t["points"] < t["max_points"]
    ]


def _graded_alone(tmp_path: Path, name: str, module: str, change: tuple[str, str], *args: str):
    """The messages of the checks ``name`` (the solutions with ``change`` made in ``module``)
    lost points on, graded by ``graders/test_<module>.py`` (``args``: a selection) alone."""
    folder = tmp_path / "subs" / name
    shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    path = folder / f"{module}.py"
    text = path.read_text()
    assert change[0] in text, f"{name}: the solution's text moved"
    path.write_text(text.replace(*change, 1))
    return grade(tmp_path / "run", [f"graders/test_{module}.py", *args], [str(folder)])


@pytest.mark.parametrize("name", sorted(STUDENTS))
def test_the_repair_names_the_line_and_the_kind_of_change(graded, name):
    _, _, _, exercise, said = STUDENTS[name]
    messages = _messages(graded, name, exercise)
    assert messages, f"{name} lost no points on {exercise}"
    named = [m for m in messages if re.search(said, m)]
    assert named, messages[0]
    assert all("** 0.5" not in m and "(torch.sqrt(s) + eps)" not in m for m in messages)
    # a slip that explains some checks only is not shown beside it (RMSProp's stale average
    # was told "`alpha` is left out ... something else is wrong too", a wrong cause)
    assert not any("is left out" in m or "something else is wrong" in m for m in messages)


def test_a_correct_submission_and_the_catalogue_get_no_repair(tmp_path):
    run = grade(
        tmp_path, ["graders/test_optim.py"], [str(SOLUTIONS), "bug:adagrad_eps_inside_sqrt"]
    )
    texts = [t["message"] or "" for t in run.results["tests"]]
    assert not any(re.search(r"^line \d+ \(in `", m, re.M) for m in texts)
    assert not any("(in `adagrad_step`)" in m for m in texts)


def test_the_repair_is_found_in_the_students_own_process_too(tmp_path):
    folder = _student(tmp_path / "subs", "adagrad_typed_eps")
    run = grade_in_process(tmp_path / "run", ["graders/test_optim.py"], folder)
    _, _, _, exercise, said = STUDENTS["adagrad_typed_eps"]
    assert any(re.search(said, m) for m in _messages(run, "adagrad_typed_eps", exercise))


# A forward whose mistake is a factor of 2, beside a branch it never takes that uses autograd: the
# search's comparison edits take that branch (the tripwire sees `backward`) before a factor
# edit repairs the code. What a trial does is not the student's code as written.
BRANCH_THAT_BORROWS = (
    "    diff = pred - target\n    return (diff * diff).mean(), (diff,)\n",
    "    diff = pred - target\n"
    "    if diff.dim() > 50:\n"
    "        probe = diff.detach().requires_grad_()\n"
    "        (probe * probe).sum().backward()\n"
    "    return 2 * (diff * diff).mean(), (diff,)\n",
)


def test_a_trial_s_library_use_and_failures_are_not_the_students(tmp_path):
    folder = tmp_path / "subs" / "borrowing_branch"
    shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    path = folder / "losses.py"
    path.write_text(path.read_text().replace(*BRANCH_THAT_BORROWS, 1))
    run = grade(tmp_path / "run", ["graders/test_losses.py", "-k", "mse"], [str(folder)])
    (block,) = run.results["implementations"]
    mse = next(e for e in block["exercises"] if e["id"] == "losses.mse")
    assert 0 < mse["points"] < mse["max_points"], mse
    assert not block.get("review"), block.get("review")  # no library use flagged
    assert not block.get("worker_events"), block.get("worker_events")
    messages = _messages(run, "borrowing_branch", "losses.mse")
    assert any(re.search(r"line \d+ \(in `mse_forward`\): the factor `2`", m) for m in messages)


def test_the_searches_of_one_module_share_one_budget(monkeypatch):
    """However many of a module's exercises fail, a submission's searches in it try
    MODULE_TRIALS edits at most; another module's searches have a budget of their own (a
    module's exercises are graded in one process, however a grading splits its files)."""

    class Student:
        name = "many-mistakes"
        tried = 0

        def source(self, module):
            return "def mse_forward(pred, target):\n    return 2.0 * pred, None\n"

        def edited(self, module, names, source):
            Student.tried += 1
            return contextlib.nullcontext(None)

    book = Ledger("losses.mse")
    book.records.append(Record(lambda m: 0.0, 1.0, 0.0, True))
    student = Student()
    monkeypatch.setitem(repair._TRIED, (id(student), "losses"), repair.MODULE_TRIALS)
    monkeypatch.setitem(repair._TRIED, (id(student), "optim"), 0)
    assert repair.search(book, student) is None and Student.tried == 0
    monkeypatch.setitem(repair._TRIED, (id(student), "losses"), 0)
    monkeypatch.setitem(repair._TRIED, (id(student), "optim"), repair.MODULE_TRIALS)
    assert repair.search(book, student) is None and 0 < Student.tried <= repair.TRIALS


# ReLU that zeroes its argument in place and hands it back, the way a course's layer does: the
# checks fail on the edit of the caller's tensor, which a plain re-run (on fresh copies) never
# sees, so a change that changes nothing (`out[out <= 0] = 0` taken to the power 0.5)
# "repaired" it (a held-out EECS 498 ReLU, issue 79). A trial re-runs such a check watched: the
# edit repairs it only if the argument comes out unchanged, which only a copy does.
RELU_IN_PLACE = (
    "    return torch.where(x > 0, x, torch.zeros_like(x)), (x,)\n",
    "    out = x\n    out[out <= 0] = 0\n    return out, (x,)\n",
)


def test_an_argument_written_in_place_is_repaired_by_a_copy_and_by_nothing_else(tmp_path):
    run = _graded_alone(tmp_path, "relu_in_place", "activations", RELU_IN_PLACE, "-k", "relu")
    messages = _messages(run, "relu_in_place", "activations.relu")
    assert messages, "the in-place ReLU lost no points"
    placed = [m for m in messages if re.search(r"line \d+ \(in `relu_forward`\)", m)]
    assert placed, messages
    assert all("`out[out <= 0] = 0` writes into the array your caller passed" in m for m in placed)


class _InProcess:
    """A student whose module is ``text``, run in this process: each trial execs the edited
    functions in a copy of the module's namespace (what the worker does for a submission)."""

    name = "two-slips"

    def __init__(self, text: str):
        self.text = text

    def source(self, module):
        return self.text

    @contextlib.contextmanager
    def edited(self, module, names, source):
        namespace: dict = {}
        exec(compile(self.text, "<module>", "exec"), namespace)  # noqa: S102 - the test's own text
        exec(compile(source, "<edited>", "exec"), namespace)  # noqa: S102 - the test's own text
        yield type("Edited", (), {n: staticmethod(namespace[n]) for n in names})


TWO_SLIPS = """
def mse_forward(pred, target):
    scaled = pred * 3
    shifted = target + 2.5
    return scaled, shifted
"""


def _two_slips_book(*more: Record) -> Ledger:
    """TWO_SLIPS's comparisons: one that needs both slips fixed, placed first, then one for
    each (``(got, expected)``), then ``more``."""

    def output(i):
        return lambda m: m.mse_forward(1.0, 1.0)[i]

    book = Ledger("losses.mse")
    book.records += [
        Record(lambda m: sum(m.mse_forward(1.0, 1.0)), 6.5, 2.0, True),
        Record(output(0), 3.0, 1.0, True),
        Record(output(1), 3.5, 1.0, True),
        *more,
    ]
    return book


def test_a_partial_repair_counts_wherever_its_comparison_stands():
    """Two slips, checked by a comparison that needs both fixed and placed first, then one
    comparison for each: no single edit passes the first, yet the edit that fixes one slip is a
    partial repair (its own comparison passes), and a second edit on top of it repairs all.
    Counting only the comparisons passed before the first that fails found no partial repair."""
    found = repair.search(_two_slips_book(), _InProcess(TWO_SLIPS))
    assert found is not None and not found.partial, found
    assert found.edit.text.startswith("two changes: line "), found


HALF_WRONG = """
def mse_forward(pred, target):
    return pred * 3, target * 7 - 9
"""


def test_a_partial_repair_is_told_only_where_it_breaks_no_passing_comparison():
    """Dropping the `* 3` makes two failing comparisons pass; the third needs more than one
    edit: a partial repair, told on the two. Where the same edit breaks a passing comparison,
    it is no repair of any part."""

    def first(m):
        return m.mse_forward(1.0, 1.0)[0]

    def second(m):
        return m.mse_forward(1.0, 1.0)[1]

    failing = [Record(first, 3.0, 1.0, True), Record(first, 3.0, 1.0, True)]
    failing.append(Record(second, -2.0, 1.0, True))
    book = Ledger("losses.mse")
    book.records += failing
    found = repair.search(book, _InProcess(HALF_WRONG))
    assert found is not None and found.partial and found.fixed == tuple(failing[:2]), found
    assert "the factor `3` in `pred * 3`" in found.edit.text
    book.records.append(Record(lambda m: m.mse_forward(2.0, 1.0)[0] / 3, 2.0, 2.0, False))
    assert repair.search(book, _InProcess(HALF_WRONG)) is None


UNCHECKED_INVERSE = """
def mse_forward(pred, target):
    if pred < 0:
        return 0.0, 1.0
    return pred * 3, int(str(target))
"""


def test_refusals_alone_are_no_partial_repair():
    """Two comparisons that expect a refusal pass with any edit that makes the code crash with
    ValueError (a transpose dropped, Toronto's least squares; here the test flipped, sending the
    call to `int("1.0")`): such an edit repairs no part of it; one that also makes a value come
    out right still may."""

    def outcome(m):
        try:
            m.mse_forward(-1.0, 1.0)
        except Exception as exc:  # noqa: BLE001 - the outcome is the finding
            return f"raised {type(exc).__name__}"
        return "returned"

    refusals = [Record(outcome, "returned", "raised ValueError", True) for _ in range(2)]
    wrong = Record(lambda m: m.mse_forward(1.0, 1.0)[0], 3.0, 1.0, True)
    book = Ledger("losses.mse")
    book.records += [*refusals, Record(lambda m: 7.0, 7.0, 8.0, True)]  # no edit passes it
    assert repair.search(book, _InProcess(UNCHECKED_INVERSE)) is None
    book.records.insert(0, wrong)
    found = repair.search(book, _InProcess(UNCHECKED_INVERSE))
    assert found is None or wrong in found.fixed, found


def test_a_repair_run_on_some_checks_is_not_said_of_those_it_could_not_run(tmp_path):
    edits = zip(SHARED_DROPOUT[::2], SHARED_DROPOUT[1::2])
    folder = _variant(tmp_path, "shared_dropout", "regularization", edits)
    suites = ["graders/test_regularization.py"]
    messages = _graded_messages(tmp_path, folder, suites, "regularization.dropout")
    shared = [m for m in messages if "neighbouring rows" in m]
    evaluation = [m for m in messages if m.startswith("[eval identity]")]
    assert shared and evaluation
    assert all("in your code" not in m for m in shared), shared[0]
    assert any("in your code, line" in m for m in evaluation), evaluation[0]


def test_a_repair_must_keep_the_properties_it_can_run(tmp_path):
    """A dropout that divides by 1 - p = 0 at p = 1: a product in place of the division passes
    that check but breaks the scale of the kept entries, a property the repair runs too (as
    graded, it was told that the division was the wrong operation)."""
    branch = "    if p == 1:\n        return torch.zeros_like(x), torch.zeros_like(x)\n"
    folder = _variant(tmp_path, "nan_dropout", "regularization", [(branch, "")])
    suites = ["graders/test_regularization.py"]
    messages = _graded_messages(tmp_path, folder, suites, "regularization.dropout")
    assert messages and all("is the wrong one" not in m for m in messages), messages


BYPASSED = """
def _course_mse(pred, target):
    return pred * target * 17 + 5

def mse_forward(pred, target):
    kept = {kept}
    loss = {course}(pred, target)
    return loss, kept


_src_mse = _course_mse
"""


@pytest.mark.parametrize(
    "kept, course, bypassed",
    [
        ("(pred - target) ** 2", "_course_mse", True),
        ("(pred - target) ** 2", "_src_mse", True),
        ("_course_mse(pred, target) * 0 + (pred - target) ** 2", "_course_mse", False),
    ],
)
def test_an_edit_that_stops_returning_the_module_s_own_result_is_no_repair(kept, course, bypassed):
    """A wrapper whose result comes from the learner's function can be made to pass by
    returning another variable instead (a CMU learner's `loss` swapped for the wrapper's
    reference value; a Texas A&M one's, whose function the wrapper calls by a second name):
    that edit goes around the mistake and names a line that only carried it. Where the other
    variable is computed through the same functions of the module, the swap stays a
    candidate."""
    book = Ledger("losses.mse")
    book.records += [
        Record(lambda m: m.mse_forward(3.0, 1.0)[0], 56.0, 4.0, True),
        Record(lambda m: m.mse_forward(2.0, 5.0)[0], 175.0, 9.0, True),
    ]
    found = repair.search(book, _InProcess(BYPASSED.format(kept=kept, course=course)))
    assert (found is None) == bypassed, found


VALUE_LOG = (
    "        return Value(math.log(self.data), ((self, 1.0 / self.data),))\n",
    "        return Value(math.log(self.data), ((self, 1.0 * self.data),))\n",
)


def test_an_exercise_whose_contract_is_a_class_is_repaired_in_its_methods(tmp_path):
    """`autograd.value`'s contract is a class: the search edits its methods and the worker runs
    the class the edited text defines (held-out micrograd learners got no line before)."""
    run = _graded_alone(tmp_path, "value_log", "autograd", VALUE_LOG, "-k", "value")
    messages = _messages(run, "value_log", "autograd.value")
    assert messages, "the wrong log derivative lost no points"
    said = r"line \d+ \(in `Value\.log`\): the operation `\*` in `1\.0 \* self\.data`"
    assert any(re.search(said, m) for m in messages), messages


VALUE_ASSIGNED = (
    "                parent.grad += local * node.grad\n",
    "                parent.grad = local * node.grad\n",
)


def test_a_gradient_assigned_where_it_should_gather_is_repaired_by_adding_to_it(tmp_path):
    """`=` where `+=` belongs, in a loop or a backward closure: a node used twice keeps only its
    last contribution (micrograd learners' closures; their feedback showed only values)."""
    run = _graded_alone(tmp_path, "value_kept", "autograd", VALUE_ASSIGNED, "-k", "value")
    messages = _messages(run, "value_kept", "autograd.value")
    assert messages, "a gradient that keeps only its last contribution lost no points"
    said = (
        r"line \d+ \(in `Value\.backward`\): `parent\.grad = local \* node\.grad` replaces what "
        "was there where it should add to it"
    )
    assert any(re.search(said, m) for m in messages), messages


LOG_OF_OWN_SIGMOID = """
def sigmoid(z):
    import numpy as np
    return 1 / (1 + np.exp(-z))

def mse_forward(pred, target):
    import numpy as np
    p = sigmoid(pred)
    return -(target * np.log(p) + (1 - target) * np.log(1 - p)), p
"""


def test_a_stable_form_that_drops_the_student_s_own_call_is_still_a_repair():
    """The log of the student's own sigmoid written from the scores no longer calls that
    sigmoid: a stable form, not a way around the code (a CMU learner's likelihood lost its line
    when every such edit was read as one)."""

    def loss(m, z, t):
        return float(m.mse_forward(np.float64(z), t)[0])

    book = Ledger("losses.mse")
    book.records += [
        Record(lambda m: loss(m, 50.0, 0.0), math.inf, 50.0, True),
        Record(lambda m: loss(m, -800.0, 1.0), math.inf, 800.0, True),
        Record(lambda m: loss(m, 0.5, 1.0), 0.474077, math.log1p(math.exp(-0.5)), False),
    ]
    found = repair.search(book, _InProcess(LOG_OF_OWN_SIGMOID))
    assert found is not None and not found.partial, found
    assert "take logs of probabilities" in found.edit.text, found.edit.text


COURSE_OBJECT = (
    "    (diff,) = cache\n    return dloss * 2 * diff / diff.numel()\n",
    "    (diff,) = cache\n    return dloss * _NET.mse_grad(diff)\n\n\n"
    "class _Course:\n"
    "    def __init__(self, sizes):\n"
    "        self.sizes = sizes\n\n"
    "    def mse_grad(self, diff):\n"
    "        return 2 * diff / diff.shape[-1]\n\n\n"
    "_NET = _Course.__new__(_Course)\n",
)


def test_a_method_of_a_module_level_object_is_repaired_in_its_class(tmp_path):
    """A course's class with one object made at the module's top, its method called by the
    kit's function (held-out UIUC learners' networks): the search reaches the method and the
    trial runs it on a copy of the object made of the edited class; the student's own object
    is never changed."""
    run = _graded_alone(tmp_path, "course_object", "losses", COURSE_OBJECT, "-k", "mse")
    messages = _messages(run, "course_object", "losses.mse")
    assert messages, "the gradient divided by one axis lost no points"
    said = r"line \d+ \(in `_Course\.mse_grad`\): `diff\.shape\[-1\]` counts one axis of `diff`"
    assert any(re.search(said, m) for m in messages), messages


def test_edits_are_tried_first_on_a_failing_check_of_each_kind():
    """Three failing checks of one kind that no edit passes (a micrograd learner's int kept as
    an int, read by the type checks run first) came before the value checks an edit repairs:
    each edit was given up after those three. A search now takes a check of each kind in turn."""
    from types import SimpleNamespace

    typed, valued = SimpleNamespace(check="shape and type"), SimpleNamespace(check="value")
    book = Ledger("losses.mse")
    for _ in range(3):
        book.records.append(Record(lambda m: 7.0, 7.0, 8.0, True, failure=typed))
    for x in (1.0, 2.0):
        book.records.append(
            Record(lambda m, x=x: m.mse_forward(x, 1.0)[0], 3 * x, x, True, failure=valued)
        )
    found = repair.search(book, _InProcess(HALF_WRONG))
    assert found is not None and found.partial, found
    assert "the factor `3` in `pred * 3`" in found.edit.text


def test_a_swap_with_any_variable_that_repairs_a_part_is_no_partial_repair(monkeypatch):
    """Any variable for another is one of many edits: one that passes two of four failing
    checks (a UIUC wrapper's reference call handed another argument) is no evidence, and the
    search keeps no partial repair of it; a term dropped that does so is kept."""
    from descent.diagnoses.edits import Edit

    monkeypatch.setattr(repair, "_repairs", lambda *a: (2, (0, 1), 0))
    failing = [Record(None, None, 1.0, failed=True) for _ in range(4)]  # type: ignore[arg-type]
    trial = repair._Trial(None, "losses", ("f",), failing, [], math.inf, ("t",))
    swap, term = Edit("swap", 3, "`w` ...", "", "f"), Edit("term", 4, "the term ...", "", "f")
    assert trial.first(iter([swap, term]), 10) is None
    assert list(trial.partials) == [term]


ROUTED = """

_ref_forward, _ref_backward = mse_forward, mse_backward


def _course_grad(pred, target):
    return (pred - target) ** 3 / pred.numel()


def mse_forward(pred, target):
    extra = None
    loss, cache = _ref_forward(pred, target)
    return loss, (cache, pred, target, extra)


def mse_backward(dloss, cache):
    ref, pred, target, extra = cache
    if extra is not None:
        return _ref_backward(dloss, ref)
    return dloss * _course_grad(pred, target)
"""


@pytest.mark.parametrize("where", ["worker", "in-process"])
def test_an_edit_that_routes_the_call_to_other_code_of_the_module_is_no_repair(tmp_path, where):
    """A wrapper's cache carries a flag its backward tests before calling the reference it
    kept (a UIUC held-out entry): handing the flag another variable makes every check pass by
    no longer running the student's gradient. The search sees the student's function dropped
    and the reference run in its place, and keeps no such repair."""
    folder = _variant(tmp_path, "routed", "losses", [], ROUTED)
    suites = ["graders/test_losses.py", "-k", "mse"]
    lost = _graded_messages(tmp_path, folder, suites, "losses.mse", where)
    assert lost, "the cubed gradient lost no points"
    assert not any("`extra` is used where" in m or "`pred` is used where" in m for m in lost)


SQUARE_ONLY = """

_ref_closed = linear_regression_closed_form


def _course_closed(X, y):
    return torch.linalg.solve(X @ X, X @ y)  # X @ X: right for a square X alone


def linear_regression_closed_form(X, y):
    if X.dim() != 2 or y.dim() not in (1, 2) or X.shape[0] < X.shape[1]:
        return _ref_closed(X, y)
    return _course_closed(X, y)
"""


@pytest.mark.parametrize("where", ["worker", "in-process"])
def test_an_edit_that_sends_most_calls_to_other_code_is_no_repair_nor_part(tmp_path, where):
    """(a USC held-out entry) a wrapper that sends the inputs it must refuse to the reference
    it kept, and the student's closed form, right for a square X only, crashes on the others.
    Its test made `>` passes the checks by sending them to the reference; the student's
    function still runs once, on the square X, but no longer on every call: per call of the
    exercise, it runs less and the reference more, and neither a repair nor a part is told."""
    folder = _variant(tmp_path, "square_only", "regression", [], SQUARE_ONLY)
    suites = ["graders/test_regression.py", "-k", "closed"]
    exercise = "regression.linear_regression_closed_form"
    lost = _graded_messages(tmp_path, folder, suites, exercise, where)
    assert lost, "the square-only closed form lost no points"
    routed = [m for m in lost if "(in `linear_regression_closed_form`)" in m]
    assert not routed, routed[0]


KEPT_REFERENCE = """

import numpy as np

_ref_ce_forward = cross_entropy_forward


def _course_softmax(z):
    return np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)


def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
    loss, _ = _ref_ce_forward(logits, target, weight, label_smoothing)
    return loss, (logits, target, weight, label_smoothing)


def cross_entropy_backward(dloss, cache):
    logits, target, weight, smoothing = cache
    if weight is not None or smoothing != 0.0:
        return _ref_ce_backward(dloss, _ref_ce_forward(logits, target, weight, smoothing)[1])
    p = _course_softmax(logits.detach().cpu().numpy().astype(np.float64))
    p[np.arange(len(p)), target.cpu().numpy()] -= 1
    return torch.as_tensor(p / len(p)).to(logits) * dloss


_ref_ce_backward = _kit_ce_backward
"""


def test_a_repair_of_a_module_that_keeps_a_reference_under_a_second_name_is_kept(tmp_path):
    """(three held-out Texas A&M softmaxes) a wrapper keeps the reference under a second name
    (`_ref_ce_forward = cross_entropy_forward`, then `def cross_entropy_forward` again), and an
    edited module defines that first definition under its second name. Counted by their names,
    the edited code's calls looked like the reference running in the wrapper's place, and the
    shift by the maximum, which makes every check pass, was refused."""
    kept = ("def cross_entropy_backward(", "def _kit_ce_backward(")
    folder = _variant(tmp_path, "kept_reference", "losses", [kept], KEPT_REFERENCE)
    suites = ["graders/test_losses.py", "-k", "cross_entropy"]
    lost = _graded_messages(tmp_path, folder, suites, "losses.cross_entropy", "in-process")
    assert lost, "the unshifted softmax lost no points"
    assert any("(in `_course_softmax`): `np.exp(z)`" in m and "maximum" in m for m in lost), lost


def test_the_calls_a_block_makes_of_a_folder_s_functions_are_counted(tmp_path):
    from collections import Counter

    from descent.calls.impl import profiled

    source = tmp_path / "mod.py"
    source.write_text("def f(n):\n    return [g() for _ in range(n)]\n\n\ndef g():\n    return 1\n")
    space: dict = {}
    exec(compile(source.read_text(), str(source), "exec"), space)  # noqa: S102 - the test's text
    ran: Counter = Counter()
    with profiled(str(tmp_path), ran):
        space["f"](3)
    assert ran["mod.py:f"] == 1 and ran["mod.py:g"] == 3
    space["f"](2)  # after the block: not counted
    assert ran["mod.py:g"] == 3


NAN_AND_NAME = """
def mse_forward(pred, target, eps=1e-8):
    d = pred - target
    r = abs(pred)
    return d * d / r, d
"""


def _spread_and_scaled(pred, target, eps=1e-8):
    d = pred - target
    return d * d / (abs(d) + eps)


def test_a_mistake_seen_only_as_nan_still_has_its_edits_tried_and_paired():
    """A ratio that leaves its eps out (0 / 0 where the inputs are 0) and divides by the wrong
    variable: only a check with zero inputs shows the first alone, and it comes last. Its edit
    is still tried on it (NaN results are taken in turn with the others, not after the few an
    edit is tried on before it is given up), kept as a partial repair, and the wrong variable
    found on top of it."""
    inputs = [(3.0, 1.0), (2.0, -1.5), (-1.0, 0.5), (0.5, 2.0), (0.0, 0.0), (0.0, 0.0)]
    book = Ledger("losses.mse")
    for pred, target in inputs:
        namespace: dict = {}
        exec(compile(NAN_AND_NAME, "<student>", "exec"), namespace)  # noqa: S102 - the test's own
        got = namespace["mse_forward"](pred, target)[0] if pred else math.nan
        recipe = lambda m, p=pred, t=target: m.mse_forward(p, t)[0]  # noqa: E731
        book.records.append(Record(recipe, got, _spread_and_scaled(pred, target), True))
    found = repair.search(book, _InProcess(NAN_AND_NAME))
    assert found is not None and not found.partial, found
    assert "`eps` is never used" in found.edit.text and "`pred` is used" in found.edit.text


def test_a_partial_repair_and_a_reading_together_name_a_dropout_that_divides_by_p(tmp_path):
    """(a TUM learner) kept entries divided by p, not 1 - p: wrong scale at every p and inf at
    p = 0. Dropping the division makes the p = 0 checks pass and is told there; the scale's
    reading is told on the others. An edit that drops every entry passes the kept-scale
    property vacuously and breaks the rate: it is no repair of any part."""
    edits = [
        ("    mask = (u >= p).to(x.dtype) / (1 - p)\n", "    mask = (u >= p).to(x.dtype) / p\n"),
        ("    if not training or p == 0:\n", "    if not training:\n"),
    ]
    folder = _variant(tmp_path, "by_p_dropout", "regularization", edits)
    suites = ["graders/test_regularization.py"]
    messages = _graded_messages(tmp_path, folder, suites, "regularization.dropout")
    edge = [m for m in messages if m.startswith("[edge case] dropout_forward(p=0)")]
    scale = [m for m in messages if "kept entries must equal" in m]
    assert edge and scale
    assert all("likely mistake: line" in m and "`p`" in m for m in edge), edge[0]
    assert all("likely mistake: the scale of your kept entries" in m for m in scale), scale[0]
    assert all("draws random values" not in m for m in messages)


def test_a_comparison_the_unchanged_code_passes_again_is_left_out_not_the_search():
    """A check that failed for something a re-run does not see (an argument edited in place:
    the value it gives again is right) passes with any edit. It is left out, and the search
    goes on over the others, its repair said only of those (before, the whole search stopped
    and an EPFL optimizer that also steps in place got no line)."""

    def first(m):
        return m.mse_forward(1.0, 2.0)[0]

    def second(m):
        return m.mse_forward(1.0, 2.0)[1]

    seen_edited = Record(second, "arguments edited in place", 2.0, True)  # gives 2.0 again
    failing = [Record(first, 3.0, 1.0, True), Record(first, 3.0, 1.0, True)]
    book = Ledger("losses.mse")
    book.records += [seen_edited, *failing]
    found = repair.search(
        book, _InProcess("def mse_forward(pred, target):\n    return pred * 3, target\n")
    )
    assert found is not None and found.partial and found.fixed == tuple(failing), found
    assert "the factor `3` in `pred * 3`" in found.edit.text


def test_the_unchanged_code_is_run_again_only_while_the_search_has_time():
    """A failing comparison the unchanged code passes is left out; past the search's deadline
    none is run again (code slow on every call), and every one stays in."""
    from descent.diagnoses.edits import unedited

    source = "def mse_forward(pred, target):\n    return pred * 3, target\n"
    again = Record(lambda m: m.mse_forward(1.0, 2.0)[1], "edited", 2.0, True)  # passes again
    wrong = Record(lambda m: m.mse_forward(1.0, 2.0)[0], 3.0, 1.0, True)
    impl, edit = _InProcess(source), unedited(source)
    names = ("mse_forward",)
    assert repair._reproduced(impl, "losses", names, edit, [again, wrong], math.inf) == [wrong]
    kept = repair._reproduced(impl, "losses", names, edit, [again, wrong], 0.0)
    assert kept == [again, wrong]


MOMENT_REBOUND = (
    "    m = (1 - beta1) * g if m is None else torch.lerp(m, g, 1 - beta1)\n",
    "    m = torch.zeros_like(g) if m is None else m.clone()\n"
    "    for m_row, g_row in zip(m, g):\n"
    "        m_row = beta1 * m_row + (1 - beta1) * g_row\n",
)


def test_a_moment_a_loop_rebinds_is_repaired_in_place_and_told_on_every_check(tmp_path):
    """A course's optimizer that walks its kept moments row by row and rebinds the loop's name
    (an Edinburgh learner's Adam): the kept moment never changes. The repair writes into it in
    place; a check whose own numbers read otherwise gets the line alone, not another check's
    "zero everywhere" (it was told of parameters that were not zero)."""
    run = _graded_alone(tmp_path, "adam_rebound", "optim", MOMENT_REBOUND, "-k", "adam_step")
    messages = _messages(run, "adam_rebound", "optim.adam")
    assert messages, "a moment that never changes lost no points"
    said = r"line \d+ \(in `_adam_update`\): `m_row = beta1 \* m_row \+ \(1 - beta1\) \* g_row`"
    failed = [m for m in messages if not m.startswith("passed, but")]
    assert failed and all(re.search(said + " makes `m_row` a new value", m) for m in failed)
    for m in failed:
        got = re.search(r"got (\S+?);", m)
        if got and float(got.group(1)) != 0:
            assert "is zero everywhere" not in m, m


STEP_AHEAD = (
    '    t = state.get("step", 0) + 1\n',
    '    t = state.get("step", 1) + 1\n',
)


def test_one_edit_that_repairs_every_check_is_never_told_as_one_reason_among_others(tmp_path):
    """A CS231n learner's Adam counts from 1 before its first step: the catalogue names the
    bias correction one step ahead on the value checks, nothing names the returned count. One
    edit repairs both: the count's check gets that line, and no check says something else is
    wrong (it was told "other checks ... fail for a reason found ...; this one does not come
    from it")."""
    run = _graded_alone(tmp_path, "adam_ahead", "optim", STEP_AHEAD, "-k", "adam_step")
    failed = [
        m for m in _messages(run, "adam_ahead", "optim.adam") if not m.startswith("passed, but")
    ]
    assert failed, "a count one step ahead lost no points"
    said = r"line \d+ \(in `_adam_update`\): the number `[01]` is off by one"
    assert all(re.search(said, m) for m in failed), failed
    wrong = ("something else is wrong", "for another reason", "does not come from it")
    assert not any(w in m for m in failed for w in wrong), failed


UNSIGNED_LIKELIHOOD = (
    "    per = pw * target * _softplus(-logits) + (1 - target) * _softplus(logits)\n"
    "    return per.mean(), (logits, target, pw)\n",
    "    return _likelihood(1 / (1 + torch.exp(-logits)), target, pw), (logits, target, pw)\n"
    "\n\n"
    "def _likelihood(p, t, pw):\n"
    "    import numpy as np\n"
    "    d, p, t = p.dtype, p.detach().numpy(), t.numpy()\n"
    "    return torch.tensor(np.mean(pw * t * np.log(p) + (1 - t) * np.log(1 - p)), dtype=d)\n",
)


def test_a_loss_without_its_leading_minus_is_told_with_the_line_a_float_error_stops_on(tmp_path):
    """(A McGill learner) a cross-entropy returned without its leading minus, of the log of a
    sigmoid: the return negated repairs the everyday checks, and the large inputs' checks it
    leaves failing still get the line the log of 0 stops on (a partial repair skipped it)."""
    run = _graded_alone(
        tmp_path, "bce_unsigned", "losses", UNSIGNED_LIKELIHOOD, "-k", "bce_with_logits"
    )
    failed = [
        m
        for m in _messages(run, "bce_unsigned", "losses.bce_with_logits")
        if not m.startswith("passed, but")
    ]
    signed = r"line \d+ \(in `_likelihood`\): `return torch.tensor\(.*` returns its value without"
    assert any(re.search(signed, m) for m in failed), failed
    stopped = r"line \d+ \(in `_likelihood`\): .* takes the log of 0"
    assert any(re.search(stopped, m) for m in failed), failed


def test_a_batch_variance_mixed_into_the_running_one_is_repaired_where_it_is_read(tmp_path):
    """A held-out Columbia batch norm: one biased variance, computed with the mean in one tuple,
    normalizes (rightly) and is mixed into the running variance (wrongly). The catalogue names
    what; the repair says where, at the read of the variance in the running update."""
    module, old, new, exercise, said = (
        "normalization",
        "        mu = _column_sums(x) / n\n"
        "        xc = x - mu\n"
        "        y = xc * xc                                   # a scratch buffer until y is computed\n"
        "        var = _column_sums(y) / n\n"
        "        inv_std = torch.rsqrt(var + eps)\n"
        "        new_mean = (1 - momentum) * running_mean + momentum * mu\n"
        "        new_var = (1 - momentum) * running_var + momentum * var * (n / (n - 1))\n",
        "        mu, var = x.mean(dim=0), x.var(dim=0, unbiased=False)\n"
        "        xc = x - mu\n"
        "        y = torch.empty_like(xc)\n"
        "        inv_std = torch.rsqrt(var + eps)\n"
        "        new_mean = (1 - momentum) * running_mean + momentum * mu\n"
        "        new_var = (1 - momentum) * running_var + momentum * var\n",
        "normalization.batchnorm",
        r"line \d+ \(in `batchnorm_forward`\): `var` \(the batch variance, divided by n\) is "
        r"mixed in where the unbiased variance \(divided by n - 1\) belongs",
    )
    run = _graded_alone(tmp_path, "bn_mixed_in", module, (old, new), "-k", "batchnorm")
    assert any(re.search(said, m) for m in _messages(run, "bn_mixed_in", exercise)), run.results


def test_a_part_repaired_only_on_large_finite_inputs_is_no_partial_repair(monkeypatch):
    """On large inputs formulas saturate alike: an edit that passes only the checks of large
    inputs (and their neighbours) where the results were finite is no evidence (a Rice tanh
    derivative "repaired" there by `*` for `/`); where they were NaN, it is (an Adam without
    eps, seen only on zero gradients)."""
    from types import SimpleNamespace

    from descent.diagnoses.edits import Edit

    neighbour = Record(None, 0.5, 1.0, failed=True)  # type: ignore[arg-type]
    large = Record(None, 0.5, 1.0, failed=True)  # type: ignore[arg-type]
    large.failure = SimpleNamespace(check="stability", neighbour=neighbour)
    plain = Record(None, 0.5, 1.0, failed=True)  # type: ignore[arg-type]
    plain.failure = SimpleNamespace(check="reference value", neighbour=None)
    monkeypatch.setattr(repair, "_repairs", lambda *a: (2, (0, 1), 0))
    trial = repair._Trial(None, "m", ("f",), [large, neighbour, plain], [], math.inf, ("t",))
    edit = Edit("operator", 3, "the operation ...", "", "f")
    assert trial.first(iter([edit]), 10) is None and not trial.partials
    large.got = float("nan")
    assert trial.first(iter([edit]), 10) is None and list(trial.partials) == [edit]


def test_a_part_repaired_only_on_an_optimizer_s_first_step_is_no_partial_repair(monkeypatch):
    """A NUS learner's Adam with its betas swapped was "repaired" on the first step alone by
    dropping the `1 -` of its bias corrections, which cancels the swap there and nowhere else:
    an edit of the arithmetic that passes only first-step checks is no evidence; with a later
    step too, it is; and eps moved out of the root is (a Purdue Adam without bias corrections
    is right on its first step only once eps is after the root)."""
    from types import SimpleNamespace

    from descent.diagnoses.edits import Edit

    first = [Record(None, 0.5, 1.0, failed=True) for _ in range(2)]  # type: ignore[arg-type]
    for record in first:
        record.failure = SimpleNamespace(check=repair.ONE_STEP, neighbour=None)
    later = Record(None, 0.5, 1.0, failed=True)  # type: ignore[arg-type]
    later.failure = SimpleNamespace(check="scenario trajectory", neighbour=None)
    passes = [(0, 1)]
    monkeypatch.setattr(repair, "_repairs", lambda *a: (2, passes[0], 0))
    trial = repair._Trial(None, "m", ("f",), [*first, later], [], math.inf, ("t",))
    edit = Edit("term", 3, "the term ...", "", "f")
    assert trial.first(iter([edit]), 10) is None and not trial.partials
    passes[0] = (0, 2)
    assert trial.first(iter([edit]), 10) is None and list(trial.partials) == [edit]
    passes[0] = (0, 1)  # eps moved out of the root: evidence on a first step (no bias correction)
    moved = Edit("eps", 4, "the term `eps` ... belongs after the square root", "", "f")
    assert trial.first(iter([moved]), 10) is None and moved in trial.partials
    graders = Path(__file__).resolve().parents[2] / "graders" / "test_optim.py"
    text = graders.read_text()  # the check's name as the optimizer graders build it
    assert 'check=f"scenario {scenario.name}"' in text and '"first-step",' in text


def test_gains_are_counted_where_every_failing_comparison_was_run():
    """An exercise with as few failing comparisons as an edit is tried on (two of a linear
    layer's) still counts the outputs an edit made right: the search ran them all."""
    from types import SimpleNamespace

    import torch

    from descent.diagnoses.edits import Edit

    expected = (torch.ones(2), torch.zeros(2))
    records = [
        Record(
            lambda impl: (torch.ones(2), torch.zeros(2) + 1),
            (torch.zeros(2), torch.ones(2)),
            expected,
            failed=True,
        )
        for _ in range(2)
    ]  # type: ignore[arg-type]
    impl = SimpleNamespace(edited=lambda *a: contextlib.nullcontext(object()))
    trial = repair._Trial(impl, "m", ("f",), records, [], math.inf, ("t",))
    edit = Edit("factor", 3, "the factor ...", "", "f")
    assert repair._repairs(impl, "m", ("f",), edit, trial, math.inf) == (0, (), 2)


def test_a_pair_that_passes_more_than_any_single_edit_is_the_partial_repair_told():
    """A NUS learner's SGD writes into its parameter (plain steps) and keeps the rate in its
    velocity (momentum steps), and its returned buffer fails for a third reason: the edit for
    one slip passes some failing checks, with the other put right too more, never all. The
    pair is the partial repair told, not the single edit."""
    unrepaired = Record(lambda m: 7.0, 7.0, 8.0, True)  # no edit passes it
    found = repair.search(_two_slips_book(unrepaired), _InProcess(TWO_SLIPS))
    assert found is not None and found.partial and len(found.fixed) == 3, found
    assert found.edit.text.startswith("two changes: line "), found
    from types import SimpleNamespace

    from descent.diagnoses.edits import Edit

    moved = Edit("order", 361, "two changes: ...; and line 361 ... wrong order", "", "loss")
    checks = [
        Record(lambda m: 7.0, 7.0, 8.0, True, failure=SimpleNamespace(check=c))
        for c in ("scenario trajectory", "scenario trajectory", repair.ONE_STEP)
    ]
    trial = repair._Trial(None, "m", ("f",), checks, [], math.inf, ("t",))
    assert repair._better_pairs({moved: (0, 1, 2)}, {}, trial) == []  # a clip moved after its log
    # (a held-out Technion RMSprop) what a pair passes beyond the best single edit is a first
    # step alone: no evidence for an edit of the arithmetic
    dropped = Edit("term", 308, "two changes: ...; and line 308 ... does not belong", "", "f")
    single = Edit("root", 307, "the term `eps` ... belongs after the square root", "", "f")
    assert repair._better_pairs({dropped: (0, 1, 2)}, {single: (0, 1)}, trial) == []
    assert repair._better_pairs({dropped: (0, 1, 2)}, {single: (0, 2)}, trial) == [dropped]


SOFTMAX_IN_PLACE_OVER_ALL = (
    "    e = (x - x.amax(dim=dim, keepdim=True)).exp_()\n"
    "    y = e.div_(e.sum(dim=dim, keepdim=True))\n",
    "    x -= x.amax(dim=dim, keepdim=True)\n    e = x.exp()\n    y = e / e.sum()\n",
)


def test_a_write_into_an_argument_is_repaired_together_with_a_second_mistake(tmp_path):
    """(a held-out Tokyo learner's softmax) `x -= ...` and a sum over every entry: the copy alone
    makes no check pass, since every value is wrong too, yet it stops the write the checks saw;
    a second edit on top of it finishes the repair."""
    run = _graded_alone(
        tmp_path, "softmax_in_place", "activations", SOFTMAX_IN_PLACE_OVER_ALL, "-k", "softmax"
    )
    messages = _messages(run, "softmax_in_place", "activations.softmax")
    paired = [m for m in messages if "two changes" in m]
    assert paired, messages
    assert all("changes the array in place" in m for m in paired)
    assert all("`e.sum()` reduces over every axis where it should reduce one" in m for m in paired)

"""Every "Python float" or "Python int" a docstring promises is enforced by the public tests: the
student hears of a NumPy scalar or a 0-dim tensor in their own run, not first from the graders.

Each promise found in solutions/ is listed below with how to break it; the reference with that
one promise broken (its numbers turned into NumPy scalars, which print alike) must lose points in
the public tests of its exercise. One grading run covers them all (about 30 s on two cores)."""

from __future__ import annotations

import ast
import re
import shutil

from conftest import KIT, grade

PROMISE = re.compile(r"Python (?:``)?(float|int)(?:``)?s?\b")

# (module, function or class) -> the exercises whose public tests must catch a broken promise
SCHEDULES = ("step_lr", "exponential_lr", "cosine_lr", "warmup_cosine_lr", "one_cycle_lr")
PROMISES = {
    ("autograd", "<module>"): "autograd.value",  # Value's data and grad
    ("diagnostics", "expected_initial_loss"): "diagnostics.expected_initial_loss",
    ("diagnostics", "layer_gradient_norms"): "diagnostics.layer_gradient_norms",
    ("diagnostics", "dead_relu_fraction"): "diagnostics.dead_relu_fraction",
    ("init", "calculate_gain"): "init.calculate_gain",
    ("init", "fans"): "init.fans",
    ("layers", "relative_error"): "layers.relative_error",
    ("layers", "mlp_grads_checkpointed"): "layers.mlp_grads_checkpointed",
    ("optim", "<module>"): "optim.adam",  # state["step"] of every optimizer but SGD
    ("regression", "train_linear_regression"): "regression.train_linear_regression",
    ("regularization", "early_stopping"): "regularization.early_stopping",
    ("schedules", "reduce_on_plateau_step"): "schedules.reduce_on_plateau_step",
    ("schedules", "<module>"): tuple(f"schedules.{name}" for name in SCHEDULES),
}
# Promises that are not about a result, or that another issue's branch enforces.
NOT_RESULTS = {
    ("diagnostics", "<module>"): "the rule for every function documented as returning float",
    ("diagnostics", "diagnose_loss_curve"): "an argument may be a list of Python floats",
    ("train", "train_classifier"): "the capstone's public checks (issue 39, branch speed)",
}

# Appended to a copy of the module: the promised numbers come back as NumPy scalars.
NUMPY_RESULT = """

import numpy as _np


def _as_numpy(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _np.int64(value)
    if isinstance(value, float):
        return _np.float64(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_as_numpy(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_numpy(v) for k, v in value.items()}
    return value


def _numpy_results(fn):
    def wrapped(*args, **kwargs):
        return _as_numpy(fn(*args, **kwargs))

    return wrapped
"""
BREAK = {
    ("autograd", "<module>"): (
        "_init = Value.__init__\n"
        "def _numpy_init(self, *args, **kwargs):\n"
        "    _init(self, *args, **kwargs)\n"
        "    self.data, self.grad = _np.float64(self.data), _np.float64(self.grad)\n"
        "Value.__init__ = _numpy_init\n"
    ),
    ("optim", "<module>"): "adam_step = _numpy_results(adam_step)\n",
    ("schedules", "<module>"): "".join(f"{n} = _numpy_results({n})\n" for n in SCHEDULES),
}


def _promises() -> set[tuple[str, str]]:
    found = set()
    for path in sorted((KIT / "solutions").glob("*.py")):
        tree = ast.parse(path.read_text())
        if PROMISE.search(ast.get_docstring(tree) or ""):
            found.add((path.stem, "<module>"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and PROMISE.search(
                ast.get_docstring(node) or ""
            ):
                found.add((path.stem, node.name))
    return found


def test_every_promise_in_a_docstring_is_listed():
    found = _promises()
    assert found == set(PROMISES) | set(NOT_RESULTS), (
        f"new promises: {sorted(found - set(PROMISES) - set(NOT_RESULTS))}; "
        f"gone: {sorted((set(PROMISES) | set(NOT_RESULTS)) - found)}"
    )


def test_the_public_tests_enforce_every_promise(tmp_path):
    folders = []
    for (module, name), exercise in PROMISES.items():
        folder = tmp_path / f"{module}-{name.strip('<>')}"
        shutil.copytree(KIT / "solutions", folder)
        path = folder / f"{module}.py"
        wrap = BREAK.get((module, name), f"{name} = _numpy_results({name})\n")
        path.write_text(path.read_text() + NUMPY_RESULT + wrap)
        folders.append((folder, exercise))
    modules = sorted({f"exercises/test_{module}.py" for module, _ in PROMISES})
    run = grade(tmp_path, modules, [str(f) for f, _ in folders], "--isolation=none", "--insecure")
    kept = []
    for folder, exercises in folders:
        block = {e["id"]: e for e in run.block(folder.name)["exercises"]}
        for exercise in (exercises,) if isinstance(exercises, str) else exercises:
            shown = block[exercise]
            if shown["points"] >= shown["max_points"]:
                kept.append(f"{folder.name}: {exercise} {shown['points']}/{shown['max_points']}")
    assert not kept, "\n".join(kept)

"""Hidden graders for starter/train.py, the capstone.

The grader makes its own data set (three interleaved spirals with noise), runs the student's
``train_classifier`` on it with one CPU thread, and grades what comes back without trusting the
numbers the student reports: the losses are recomputed here, in float64, from the returned
parameters with the forward pass the docstring fixes (ReLU between linear layers). Checks:

* validation loss below 0.3, within the time budget (with slack for a slow, loaded machine);
* overfitting one batch of 8 examples: training loss below 0.01;
* reproducibility: the same seed gives identical parameters (whatever the global random state),
  another seed gives different ones;
* the returned structure: one finite loss per epoch, parameter shapes and dtype, and a last
  validation loss that is the loss of the returned parameters.

Each implementation is trained once on the main data set (the result is shared by the tests that
need it). When matplotlib is installed, the loss curves of that run are written to
``capstone_<implementation>.png`` next to the results document.
"""

import contextlib
import math
import re
import time
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from descent import training_diagnoses

EXERCISE = "train.train_classifier"
TARGET_VAL_LOSS = 0.3
OVERFIT_LOSS = 0.01
BUDGET_S = 20.0
SLACK = 1.25  # allowed wall time: SLACK * budget (a loaded CI machine, not a multiple)


def spirals(n_per_class, seed, noise=0.06, classes=3, dtype=torch.float32):
    """``classes`` interleaved spiral arms of ``n_per_class`` noisy points each, shuffled."""
    g = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    for k in range(classes):
        r = torch.rand(n_per_class, generator=g, dtype=torch.float64) * 0.85 + 0.15
        angle = 2 * math.pi * (k / classes + r)
        pts = torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)
        xs.append(pts + noise * torch.randn(n_per_class, 2, generator=g, dtype=torch.float64))
        ys.append(torch.full((n_per_class,), k))
    perm = torch.randperm(classes * n_per_class, generator=g)
    return (2 * torch.cat(xs)[perm]).to(dtype), torch.cat(ys)[perm]


X_TRAIN, Y_TRAIN = spirals(120, seed=3)
X_VAL, Y_VAL = spirals(60, seed=1003)


@contextlib.contextmanager
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _train(impl, x, y, xv, yv, seed, budget=BUDGET_S):
    with one_thread():
        start = time.perf_counter()
        out = impl.train.train_classifier(
            x.clone(), y.clone(), xv.clone(), yv.clone(), seed=seed, time_budget_s=budget
        )
        return out, time.perf_counter() - start


def _check_params(check, out, d, classes, dtype):
    """The returned parameters form an MLP from d inputs to ``classes`` logits."""
    check.that(
        isinstance(out, dict) and "params" in out,
        f"train_classifier must return a dict with 'params', got {type(out).__name__}",
        check="shape and type",
    )
    params = out["params"]
    check.that(
        isinstance(params, (list, tuple))
        and len(params) >= 1
        and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in params),
        "'params' must be a non-empty list of (W, b) pairs",
        check="shape and type",
    )
    fan_in = d
    for i, (W, b) in enumerate(params):
        ok = (
            isinstance(W, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and W.dim() == 2
            and W.shape[1] == fan_in
            and tuple(b.shape) == (W.shape[0],)
        )
        check.that(
            ok,
            f"layer {i}: expected W of shape (out, {fan_in}) and b of shape (out,), "
            f"got {tuple(getattr(W, 'shape', ()))} and {tuple(getattr(b, 'shape', ()))}",
            check="shape and type",
            hint="W is (out_features, in_features): y = x @ W.T + b",
        )
        check.that(
            W.dtype == dtype and b.dtype == dtype,
            f"layer {i}: parameters must have the inputs' dtype {dtype}, got {W.dtype}",
            check="shape and type",
        )
        fan_in = W.shape[0]
    check.that(
        fan_in == classes,
        f"the last layer must give {classes} logits, gives {fan_in}",
        check="shape and type",
    )
    return params


def mean_loss(params, x, y):
    """Cross-entropy of the MLP ``params`` (ReLU between layers) in float64."""
    h = x.double()
    for i, (W, b) in enumerate(params):
        h = h @ W.detach().double().T + b.detach().double()
        if i < len(params) - 1:
            h = h.clamp_min(0)
    return F.cross_entropy(h, y).item()


_MAIN: dict[str, tuple] = {}


def _main_run(impl):
    if impl.name not in _MAIN:
        try:
            _MAIN[impl.name] = ("ok",) + _train(impl, X_TRAIN, Y_TRAIN, X_VAL, Y_VAL, seed=0)
        except Exception as exc:  # recorded once, re-raised by every test that needs the run
            _MAIN[impl.name] = ("error", exc)
    entry = _MAIN[impl.name]
    if entry[0] == "error":
        raise entry[1]
    return entry[1], entry[2]


def _plot(out, impl_name, results_dir):
    """Loss curves of the main run as a PNG (only when matplotlib is installed)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # optional: the grade does not depend on the picture
        return None
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", impl_name)
    path = Path(results_dir) / f"capstone_{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot(out["train_loss"], label="train")
    ax.plot(out["val_loss"], label="validation")
    ax.axhline(TARGET_VAL_LOSS, color="grey", linestyle="--", linewidth=0.8, label="target")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax.set_title(f"capstone: {impl_name}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _results_dir(config):
    option = config.getoption("results")
    results = Path(option) if option else Path(config.rootpath) / ".descent" / "results.json"
    return results.parent


def _history(out, key):
    """``out[key]`` (a reported loss history) when ``out`` is a dict, else ``None``."""
    return out.get(key) if isinstance(out, dict) else None


def _finite_floats(values):
    return (
        isinstance(values, (list, tuple))
        and len(values) >= 1
        and all(type(v) is float and math.isfinite(v) for v in values)
    )


@pytest.mark.exercise(EXERCISE)
@pytest.mark.ordinary  # one everyday training run, read by every check
class TestCapstone:
    @pytest.mark.points(4)
    def test_validation_loss_within_budget(self, check, request):
        out, elapsed = _main_run(check.impl)
        params = _check_params(check, out, X_TRAIN.shape[1], 3, X_TRAIN.dtype)
        with contextlib.suppress(Exception):
            _plot(out, check.impl.name, _results_dir(request.config))
        val = mean_loss(params, X_VAL, Y_VAL)
        check.that(
            val < TARGET_VAL_LOSS,
            f"validation loss of the returned parameters on the spirals is {val:.4f}; "
            f"the target is below {TARGET_VAL_LOSS}",
            check="training",
            hint="first make sure you can overfit one batch; then look at the learning "
            "rate, the schedule (does it last for all your steps?) and the number "
            "of epochs",
            generic=lambda: training_diagnoses.climbing(_history(out, "train_loss")),
        )
        check.that(
            elapsed <= SLACK * BUDGET_S,
            f"training took {elapsed:.1f} s for a budget of {BUDGET_S:.0f} s",
            check="time budget",
            hint="check the elapsed time every epoch and stop before the budget",
        )

    @pytest.mark.points(2)
    def test_overfits_one_batch(self, check):
        idx = torch.cat([torch.nonzero(Y_TRAIN == k).flatten()[:3] for k in range(3)])[:8]
        x8, y8 = X_TRAIN[idx], Y_TRAIN[idx]
        out, _ = _train(check.impl, x8, y8, x8, y8, seed=1, budget=BUDGET_S)
        params = _check_params(check, out, 2, 3, x8.dtype)
        loss = mean_loss(params, x8, y8)
        check.that(
            loss < OVERFIT_LOSS,
            f"trained on one batch of 8 examples, the training loss of the returned "
            f"parameters is {loss:.4g}; a working loop drives it below {OVERFIT_LOSS}",
            check="overfit one batch",
            hint="a loop that cannot memorize 8 points is broken: check the sign of the "
            "update, that the gradients are those of the current batch, the learning "
            "rate, and that nothing (label smoothing, weight decay) holds the loss up",
            generic=lambda: training_diagnoses.climbing(_history(out, "train_loss")),
        )

    @pytest.mark.supporting(
        "test_validation_loss_within_budget", "test_overfits_one_batch"
    )  # seeded parameters that were never trained are reproducible too
    @pytest.mark.points(2)
    def test_reproducible_from_the_seed(self, check):
        x, y = spirals(15, seed=21)
        xv, yv = spirals(5, seed=22)
        runs, saved = [], torch.get_rng_state()
        try:
            for global_seed, seed in ((1234, 5), (999, 5), (1234, 6)):
                torch.manual_seed(global_seed)  # a loop on the global generator will differ
                runs.append(_train(check.impl, x, y, xv, yv, seed=seed)[0])
        finally:
            torch.set_rng_state(saved)
        first, again, other = (_check_params(check, r, 2, 3, x.dtype) for r in runs)
        same = len(first) == len(again) and all(
            torch.equal(a, b) for pa, pb in zip(first, again) for a, b in zip(pa, pb)
        )
        check.that(
            same,
            "two runs with the same seed returned different parameters",
            check="reproducible",
            hint="draw every random number (initialization, shuffling) from a "
            "torch.Generator seeded with `seed`; never from the global generator",
        )
        differ = len(first) != len(other) or not all(
            torch.equal(a, b) for pa, pb in zip(first, other) for a, b in zip(pa, pb)
        )
        check.that(
            differ,
            "runs with seeds 5 and 6 returned identical parameters",
            check="reproducible",
            hint="use the `seed` argument to seed your generator",
        )

    @pytest.mark.supporting(
        "test_validation_loss_within_budget", "test_overfits_one_batch"
    )  # structure and honest reporting, whatever the training did
    def test_returned_structure(self, check):
        out, _ = _main_run(check.impl)
        params = _check_params(check, out, X_TRAIN.shape[1], 3, X_TRAIN.dtype)
        check.that(
            set(out) >= {"params", "train_loss", "val_loss"},
            f"the result needs the keys params, train_loss and val_loss; got {sorted(out)}",
            check="shape and type",
        )
        train, val = out["train_loss"], out["val_loss"]
        check.that(
            _finite_floats(train) and _finite_floats(val),
            "train_loss and val_loss must be non-empty lists of finite Python floats",
            check="shape and type",
            hint="append loss.item() once per epoch",
        )
        check.that(
            len(train) == len(val),
            f"one entry per epoch in both lists: got {len(train)} training and "
            f"{len(val)} validation losses",
            check="shape and type",
        )
        actual = mean_loss(params, X_VAL, Y_VAL)
        check.that(
            abs(val[-1] - actual) <= 1e-4 + 1e-3 * actual,
            f"the last reported validation loss is {val[-1]:.6g} but the returned "
            f"parameters have validation loss {actual:.6g}",
            check="reported losses",
            hint="evaluate x_val / y_val with the parameters at the end of each epoch",
            generic=lambda: training_diagnoses.measured_on(
                val[-1],
                "x_val / y_val",
                {"x_train / y_train": mean_loss(params, X_TRAIN, Y_TRAIN)},
                "validation loss",
            ),
        )

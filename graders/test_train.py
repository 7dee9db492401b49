"""Hidden graders for starter/train.py, the capstone.

The grader draws its own data sets (interleaved spirals with noise), keyed to the code graded
as every hidden input is (one draw shared by every test of an implementation: the trainings are
made once), and the seeds the trainings are given; it runs the student's
``train_classifier`` on them with one CPU thread, and grades what comes back without trusting the
numbers the student reports: the losses are recomputed here, in float64, from the returned
parameters with the forward pass the docstring fixes (ReLU between linear layers). Checks:

* validation loss below 0.3, within the time budget (with slack for a slow, loaded machine);
* overfitting one batch of 8 examples: training loss below 0.01;
* reproducibility: the same seed gives the same training (whatever the global random state),
  another seed a different one. Two runs agree when they return identical parameters after the
  same number of epochs, or, when a time check stopped one of them earlier, identical loss
  histories over the epochs both ran: a loop that stops on the clock is not penalized for it;
* the returned structure: one finite loss per epoch, parameter shapes and dtype, and a last
  validation loss that is the loss of the returned parameters.

Every training the tests read is made once per implementation (:func:`runs`, :func:`_run`): the
main run on the spirals, the batch of 8, and three small runs for reproducibility, on 45
points, so that a typical batch size shuffles more than one batch per epoch. The main run's
loss curves are written as data, ``capstone_<implementation>.json`` next to the results document
(``descent.reports.loss_curves``); a report draws them.
"""

import contextlib
import math
import time
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from descent.calls.impl import watched_call
from descent.diagnoses import training as training_diagnoses
from descent.diagnoses.values import mistyped
from descent.grading.capstone import epochs, history, same_training
from descent.reports import loss_curves

EXERCISE = "train.train_classifier"
TARGET_VAL_LOSS = 0.3
OVERFIT_LOSS = 0.01
BUDGET_S = 20.0
SLACK = 1.25  # allowed wall time: SLACK * budget (a loaded CI machine, not a multiple)


STRETCH = (3.0, 1.5)  # the two axes on unequal scales: weights fitted to standardized inputs fail


def spirals(n_per_class, seed, noise=0.06, classes=3, dtype=torch.float32):
    """``classes`` interleaved spiral arms of ``n_per_class`` noisy points each, shuffled, the
    first axis spread twice as wide as the second (:data:`STRETCH`)."""
    g = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    for k in range(classes):
        r = torch.rand(n_per_class, generator=g, dtype=torch.float64) * 0.85 + 0.15
        angle = 2 * math.pi * (k / classes + r)
        pts = torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)
        xs.append(pts + noise * torch.randn(n_per_class, 2, generator=g, dtype=torch.float64))
        ys.append(torch.full((n_per_class,), k))
    perm = torch.randperm(classes * n_per_class, generator=g)
    stretch = torch.tensor(STRETCH, dtype=torch.float64)
    return (torch.cat(xs)[perm] * stretch).to(dtype), torch.cat(ys)[perm]


DATA_KEY = "graders/test_train.py::capstone"  # the draws every test of an implementation shares


def runs(inputs) -> dict[str, tuple]:
    """The trainings the tests read, drawn for the implementation graded (the same draws for
    every test of one grading: Inputs.for_key). name: ((x_train, y_train, x_val, y_val), seed,
    global seed set before the call (None: left as it is)). The three "seed" runs differ only in
    the seed or in the global random state: a loop that draws from the global generator gives
    different parameters for the same seed."""
    drawn = inputs.for_key(DATA_KEY)
    x, y = spirals(120, drawn.integer(0, 10**6))
    xv, yv = spirals(60, drawn.integer(0, 10**6))
    batch8 = torch.cat([torch.nonzero(y == k).flatten()[:3] for k in range(3)])[:8]
    small = spirals(15, drawn.integer(0, 10**6)) + spirals(5, drawn.integer(0, 10**6))
    seed, other = drawn.permutation(range(100))[:2]
    state, other_state = drawn.permutation(range(1000, 10**4))[:2]
    return {
        "main": ((x, y, xv, yv), drawn.integer(0, 99), None),
        "batch of 8": ((x[batch8], y[batch8], x[batch8], y[batch8]), drawn.integer(0, 99), None),
        "seed 5": (small, seed, state),
        "seed 5, other global state": (small, seed, other_state),
        "seed 6": (small, other, state),
    }


@contextlib.contextmanager
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def global_seed(seed):
    """The global generator seeded with ``seed`` inside the block (``None``: left alone), and
    put back as it was after it."""
    if seed is None:
        yield
        return
    saved = torch.get_rng_state()
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.set_rng_state(saved)


# The run that also watches the global random generators where the code runs (a worker's are
# not this process's): a later one, so that a training that never returns costs one call's limit.
WATCHED = "seed 5, other global state"
_MOVED: dict[tuple, bool] = {}  # (implementation, stand-ins, run, draw) -> a generator moved


def _train(impl, name, inputs):
    (x, y, xv, yv), seed, state = runs(inputs)[name]
    args, kwargs = (
        [x.clone(), y.clone(), xv.clone(), yv.clone()],
        dict(seed=seed, time_budget_s=BUDGET_S),
    )
    with one_thread(), global_seed(state):
        start = time.perf_counter()
        if name != WATCHED:
            out = impl.train.train_classifier(*args, **kwargs)
        else:
            out, _MOVED[_key(impl, name, inputs)] = watched_call(
                impl.train.train_classifier, args, kwargs
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
            generic=lambda W=W, b=b: mistyped(
                torch.empty(W.shape, dtype=dtype), W if W.dtype != dtype else b
            ),
        )
        fan_in = W.shape[0]
    check.that(
        fan_in == classes,
        f"the last layer must give {classes} logits, gives {fan_in}",
        check="shape and type",
    )
    return params


def standardized_loss(params, x, y, x_fit, near):
    """The loss of ``params`` on ``x`` standardized with ``x_fit``'s mean and standard deviation
    per feature (biased or unbiased, whichever lands nearer ``near``, the loss reported): what a
    network trained on standardized inputs scores when they are not folded into its weights."""
    fit = x_fit.double()
    losses = [
        mean_loss(params, (x.double() - fit.mean(0)) / fit.std(0, unbiased=unbiased), y)
        for unbiased in (False, True)
    ]
    return min(losses, key=lambda v: abs(v - near) if math.isfinite(v) else math.inf)


def _readings(out, params, x, y, x_fit, classes):
    """What a training run's failure shows, read from its result: weights left at zero, inputs
    standardized and not folded back in, the parameters of an earlier epoch returned, a history
    that diverges, climbs, rises or stays flat. The first that fits."""
    val = history(out, "val_loss")
    train = history(out, "train_loss")
    actual = mean_loss(params, x, y)
    reported = val[-1] if _finite_floats(val) else math.nan
    return (
        training_diagnoses.zero_weights(params)
        or training_diagnoses.standardized(
            reported, standardized_loss(params, x, y, x_fit, reported), actual
        )
        or training_diagnoses.from_epoch(actual, val)
        or training_diagnoses.diverged(train)
        or training_diagnoses.climbing(train)
        or training_diagnoses.rising(train)
        or training_diagnoses.flat(train, classes)
    )


def mean_loss(params, x, y):
    """Cross-entropy of the MLP ``params`` (ReLU between layers) in float64."""
    h = x.double()
    for i, (W, b) in enumerate(params):
        h = h @ W.detach().double().T + b.detach().double()
        if i < len(params) - 1:
            h = h.clamp_min(0)
    return F.cross_entropy(h, y).item()


_RUNS: dict[tuple, tuple] = {}


def _key(impl, name, inputs) -> tuple:
    """A training's key: the implementation, the kit's parts standing in for its own, the run
    and the draw of its data."""
    return (impl.name, impl.standing, name, inputs.for_key(DATA_KEY).seed)


def _run(impl, name, inputs):
    """``(result, seconds)`` of the training ``runs(inputs)[name]`` of ``impl``, made on first
    use and shared by every test that reads it; an error it raised is raised again by each of
    them. Kept by the draw too: several gradings in one process (the audit's draws) draw other
    data for the same implementation."""
    key = _key(impl, name, inputs)  # the kit's parts standing in: another training
    if key not in _RUNS:
        try:
            _RUNS[key] = ("ok", _train(impl, name, inputs))
        except Exception as exc:  # recorded once, re-raised by every test that needs the run
            _RUNS[key] = ("error", exc)
    kind, value = _RUNS[key]
    if kind == "error":
        raise value
    return value


def _results_dir(config):
    option = config.getoption("results")
    results = Path(option) if option else Path(config.rootpath) / ".descent" / "results.json"
    return results.parent


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
    def test_validation_loss_within_budget(self, check, request, inputs):
        out, elapsed = _run(check.impl, "main", inputs)
        (x_train, _, x_val, y_val), _, _ = runs(inputs)["main"]
        params = _check_params(check, out, x_train.shape[1], 3, x_train.dtype)
        if not check.impl.standing:  # the student's own training, not one with the kit's parts
            with contextlib.suppress(Exception):  # the picture's data; no grade depends on it
                loss_curves.write(
                    _results_dir(request.config), check.impl.name, out, TARGET_VAL_LOSS
                )
        val = mean_loss(params, x_val, y_val)
        check.that(
            val < TARGET_VAL_LOSS,
            f"validation loss of the returned parameters on the spirals is {val:.4f}; "
            f"the target is below {TARGET_VAL_LOSS}",
            check="training",
            hint="first make sure you can overfit one batch; then look at the learning "
            "rate, the schedule (does it last for all your steps?) and the number "
            "of epochs",
            generic=lambda: _readings(out, params, x_val, y_val, x_train, 3),
        )
        check.that(
            elapsed <= SLACK * BUDGET_S,
            f"training took {elapsed:.1f} s for a budget of {BUDGET_S:.0f} s",
            check="time budget",
            hint="check the elapsed time every epoch and stop before the budget",
        )

    @pytest.mark.points(2)
    def test_overfits_one_batch(self, check, inputs):
        out, _ = _run(check.impl, "batch of 8", inputs)
        (x8, y8, _, _), _, _ = runs(inputs)["batch of 8"]
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
            generic=lambda: _readings(out, params, x8, y8, x8, 3),
        )

    @pytest.mark.supporting(
        "test_validation_loss_within_budget", "test_overfits_one_batch"
    )  # seeded parameters that were never trained are reproducible too
    @pytest.mark.points(2)
    def test_reproducible_from_the_seed(self, check, inputs):
        names = ("seed 5", "seed 5, other global state", "seed 6")
        first, again, other = (_run(check.impl, name, inputs)[0] for name in names)
        for out in (first, again, other):
            _check_params(check, out, 2, 3, torch.float32)
        same_length = epochs(first) == epochs(again)
        check.that(
            same_training(first, again),
            "two runs with the same seed returned different parameters"
            if same_length
            else f"two runs with the same seed stopped after {epochs(first)} and "
            f"{epochs(again)} epochs, and their loss histories differ before that",
            check="reproducible",
            hint="draw every random number (initialization, shuffling) from a "
            "torch.Generator seeded with `seed`; never from the global generator",
        )
        check.that(
            not same_training(first, other),
            "runs with two different seeds returned identical parameters",
            check="reproducible",
            hint="use the `seed` argument to seed your generator",
        )

    @pytest.mark.supporting(
        "test_validation_loss_within_budget", "test_overfits_one_batch"
    )  # structure and honest reporting, whatever the training did
    def test_returned_structure(self, check, inputs):
        out, _ = _run(check.impl, "main", inputs)
        (x_train, y_train, x_val, y_val), _, _ = runs(inputs)["main"]
        params = _check_params(check, out, x_train.shape[1], 3, x_train.dtype)
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
            generic=lambda: training_diagnoses.diverged(train) or training_diagnoses.diverged(val),
        )
        check.that(
            len(train) == len(val),
            f"one entry per epoch in both lists: got {len(train)} training and "
            f"{len(val)} validation losses",
            check="shape and type",
            generic=lambda: training_diagnoses.per_batch(train, val),
        )
        actual = mean_loss(params, x_val, y_val)
        check.that(
            abs(val[-1] - actual) <= 1e-4 + 1e-3 * actual,
            f"the last reported validation loss is {val[-1]:.6g} but the returned "
            f"parameters have validation loss {actual:.6g}",
            check="reported losses",
            hint="evaluate x_val / y_val with the parameters at the end of each epoch",
            generic=lambda: (
                training_diagnoses.measured_on(
                    val[-1],
                    "x_val / y_val",
                    {"x_train / y_train": mean_loss(params, x_train, y_train)},
                    "validation loss",
                )
                or training_diagnoses.standardized(
                    val[-1], standardized_loss(params, x_val, y_val, x_train, val[-1]), actual
                )
                or training_diagnoses.from_epoch(actual, val)
            ),
        )


# Not an everyday-use check: a training that works but reseeds the global generator loses this
# check's share alone (a tenth of the capstone, as in the public tests).
@pytest.mark.exercise(EXERCISE)
@pytest.mark.supporting(
    "test_validation_loss_within_budget", "test_overfits_one_batch"
)  # a loop that trains nothing leaves the global state alone too
def test_leaves_the_global_random_state_alone(check, inputs):
    _run(check.impl, WATCHED, inputs)
    check.that(
        not _MOVED.get(_key(check.impl, WATCHED, inputs), False),
        "train_classifier changed a global random generator (torch's, NumPy's or Python's): "
        "the docstring forbids changing global state",
        check="global state",
        hint="no torch.manual_seed (or np.random.seed, random.seed) in the training: seed a "
        "torch.Generator with `seed` and draw everything from it",
    )

"""One mistake, one charge: an exercise that calls another exercise (the MLPs call the
student's activation and cross-entropy, AdamW Adam's step, the capstone the MLP) is not charged
again for a mistake in what it calls, and the feedback names the exercise at fault; the evidence
is the kit's part put in place of the student's, never the student's own part
(descent.grading.composite)."""

from __future__ import annotations

import shutil

import pytest
from conftest import KIT, grade, grade_in_process

GELU_BACKWARD = (
    "    return torch.addcmul(cdf, t, x, value=1 / math.sqrt(2 * math.pi), out=t).mul_(dy)",
    "    return cdf * dy",  # the x * phi(x) term forgotten
)


def _planted(tmp_path, module: str, right: str, wrong: str, *more: str, name: str = "ivy"):
    """A copy of the solutions (``tmp_path / name``) with ``right`` replaced by ``wrong`` in
    ``module`` (and each further pair of ``more`` too)."""
    folder = tmp_path / name
    if not folder.exists():
        shutil.copytree(KIT / "solutions", folder)
    path = folder / f"{module}.py"
    for old, new in zip((right, *more[::2]), (wrong, *more[1::2])):
        assert path.read_text().count(old) == 1, old
        path.write_text(path.read_text().replace(old, new))
    return folder


def _exercises(run) -> dict[str, dict]:
    (block,) = run.results["implementations"]
    return {e["id"]: e for e in block["exercises"]}


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    """Every case of TOGETHER graded in-process (``--isolation=none``), one run per suite: each
    folder on the exercises its case names, those the ``-k`` of a run of its own would choose.
    Returns the run of one case by its name."""
    root = tmp_path_factory.mktemp("together")
    runs = {}
    for suite in ("graders", "exercises"):
        cases = {name: case for name, case in TOGETHER.items() if case[0] == suite}
        for name, (_, _, edits) in cases.items():
            for edit in edits:
                _planted(root / suite, *edit, name=name)
        files = sorted({f"{suite}/test_{e.split('.')[0]}.py" for c in cases.values() for e in c[1]})
        own = {name: list(exercises) for name, (_, exercises, _) in cases.items()}
        folders = [str(root / suite / name) for name in cases]
        run = grade(root / suite, files, folders, "--isolation=none", "--insecure", own=own)
        runs.update({name: run.only(name) for name in cases})
    return runs.__getitem__


# the public tests run the MLPs with ReLU only: a ReLU whose backward lets everything through
RELU_BACKWARD = (
    "    return torch.where(x > 0, dy, torch.zeros_like(dy))",
    "    return dy.clone()",
)


@pytest.mark.parametrize(
    "suite,part,slip",
    [("graders", "gelu", GELU_BACKWARD), ("exercises", "relu", RELU_BACKWARD)],
)
def test_a_wrong_activation_is_charged_to_the_activation_alone(in_process, suite, part, slip):
    run = in_process(f"{part}-{suite}")
    exercises = _exercises(run)
    at_fault = exercises[f"activations.{part}"]
    assert at_fault["points"] < at_fault["max_points"]
    for composite in ("layers.mlp_loss_and_grads", "layers.mlp_grads_checkpointed"):
        assert exercises[composite]["points"] == exercises[composite]["max_points"], exercises[
            composite
        ]
    notes = [
        t["message"]
        for t in run.results["tests"]
        if t["exercise"].startswith("layers.mlp") and t["message"].startswith("not charged")
    ]
    assert notes and all(f"activations.{part}" in n for n in notes), notes


# the MLP's own mistake: ReLU whatever activation it is given
MLP_ALWAYS_RELU = (
    "layers",
    "    act_forward, act_backward = _activation(activation)\n"
    "    logits, caches = _forward_layers(x, params, 0, len(params), act_forward)",
    '    act_forward, act_backward = _activation("relu")\n'
    "    logits, caches = _forward_layers(x, params, 0, len(params), act_forward)",
)


def test_a_composite_is_charged_when_the_exercise_it_calls_was_not_at_fault(in_process):
    run = in_process("mlp_own")
    mlp = _exercises(run)["layers.mlp_loss_and_grads"]
    assert mlp["points"] < mlp["max_points"]
    assert not any(t["message"].startswith("not charged") for t in run.results["tests"])


def test_the_parts_are_called_through_the_worker(tmp_path):
    """Graded in a confined worker, the composition calls the student's activation there (no
    reference code crosses): the same charge as in-process."""
    folder = _planted(tmp_path, "activations", *GELU_BACKWARD)
    run = grade(
        tmp_path,
        ["graders/test_activations.py", "graders/test_layers.py", "-k", "gelu and (mlp or Gelu)"],
        [str(folder)],
        "--isolation=worker",
        "--insecure",
    )
    assert run.results["environment"]["isolation"] == "worker"
    exercises = _exercises(run)
    assert (
        exercises["layers.mlp_loss_and_grads"]["points"]
        == exercises["layers.mlp_loss_and_grads"]["max_points"]
    )


# A part inside the same module (issue 47): the linear layer inside the networks, cosine_lr inside
# the warmup, minibatches inside the training loop.
LINEAR_DB_MEAN = (
    "    return dy @ W, dy.T @ x, dy.sum(dim=0)",
    "    return dy @ W, dy.T @ x, dy.mean(dim=0)",
)
COSINE_T_MINUS_1 = (
    "    cos = math.cos(math.pi * step / total_steps)",
    "    cos = math.cos(math.pi * step / (total_steps - 1))",
)
LAZY_MINIBATCHES = (
    "    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]",
    "    for i in range(0, stop, batch_size):\n        yield order[i:i + batch_size]",
)
COMPOSITES_OF_LINEAR = (
    "layers.two_layer_net",
    "layers.mlp_loss_and_grads",
    "layers.mlp_grads_checkpointed",
    "layers.residual_block",
)


@pytest.mark.parametrize("suite", ["graders", "exercises"])
def test_a_wrong_linear_layer_is_charged_to_the_linear_layer_alone(in_process, suite):
    """db as a mean in linear_backward cost the linear layer and then every network that
    calls it (two_layer_net 0, both MLPs 0, the residual block 5 of 10)."""
    run = in_process(f"linear-{suite}")
    exercises = _exercises(run)
    assert exercises["layers.linear"]["points"] < exercises["layers.linear"]["max_points"]
    for composite in COMPOSITES_OF_LINEAR:
        assert exercises[composite]["points"] == exercises[composite]["max_points"], exercises[
            composite
        ]
    notes = [t["message"] for t in run.results["tests"] if t["message"].startswith("not charged")]
    assert notes and all("layers.linear" in n for n in notes), notes


@pytest.mark.parametrize("suite", ["graders", "exercises"])
def test_a_wrong_cosine_is_charged_to_cosine_lr_alone(in_process, suite):
    run = in_process(f"cosine-{suite}")
    exercises = _exercises(run)
    cosine, warmup = exercises["schedules.cosine_lr"], exercises["schedules.warmup_cosine_lr"]
    assert cosine["points"] < cosine["max_points"]
    assert warmup["points"] == warmup["max_points"], warmup


@pytest.mark.parametrize("suite", ["graders", "exercises"])
def test_a_lazy_minibatches_is_charged_to_minibatches_alone(tmp_path, suite):
    """A generator function (yield) draws its order only when iterated; graded in a worker, the
    replay of the training loop from it went wrong and the loop lost half its points, named
    "max() taken as mean()"."""
    folder = _planted(tmp_path, "regression", *LAZY_MINIBATCHES)
    run = grade(
        tmp_path,
        [f"{suite}/test_regression.py", "-k", "minibatches or train"],
        [str(folder)],
        "--isolation=worker",
        "--insecure",
    )
    exercises = _exercises(run)
    batches = exercises["regression.minibatches"]
    train = exercises["regression.train_linear_regression"]
    assert batches["points"] < batches["max_points"]
    assert train["points"] == train["max_points"], train
    assert not any("taken as its mean" in t["message"] for t in run.results["tests"]), (
        "a wrong cause"
    )


# Invited reuses that cost twice before (issue 55): the docstrings invite them, and the reference
# solutions share the code (registry.PARTS).
ADAM_THROUGH_ADAMW = (
    "optim",
    "    denom = torch.sqrt(v / bias2).add_(eps)",
    "    denom = torch.sqrt(v).add_(eps)",  # v is not bias-corrected
    "    return _adam_update(decayed, grad, state, lr, betas, eps)",
    "    return adam_step(decayed, grad, state, lr, betas, eps)",
)
SIGMOID_THROUGH_SILU = (
    "activations",
    "    y = _sigmoid(x)\n    return y, (y,)",
    "    y = torch.exp(x) / (1 + torch.exp(x))\n    return y, (y,)",  # NaN at x = 1000
    "    s = _sigmoid(x)\n    return x * s, (x, s)",
    "    s = sigmoid_forward(x)[0]\n    return x * s, (x, s)",
)
LOG_SOFTMAX_THROUGH_CE = (
    "losses",
    "    y = _log_softmax(x, dim)\n    return y, (y, dim)",
    "    y = x - torch.log(torch.exp(x).sum(dim=dim, keepdim=True))\n    return y, (y, dim)",
    "    logp = _log_softmax(logits, dim=1)",
    "    logp = log_softmax_forward(logits, dim=1)[0]",
)


@pytest.mark.parametrize(
    "suite,part,composite",
    [
        ("graders", "optim.adam", "optim.adamw"),
        ("exercises", "optim.adam", "optim.adamw"),
        ("graders", "activations.sigmoid", "activations.silu"),
        ("exercises", "losses.log_softmax", "losses.cross_entropy"),
    ],
    ids=["adam-in-adamw-hidden", "adam-in-adamw-public", "sigmoid-in-silu", "log_softmax-in-ce"],
)
def test_an_invited_reuse_is_charged_to_the_part_alone(in_process, suite, part, composite):
    """A mistake in adam cost adam 0 and adamw 0 hidden, where adamw's docstring invites adam's
    update; log_softmax inside cross-entropy and sigmoid inside SiLU likewise (issue 55)."""
    run = in_process(f"{part.split('.')[1]}-{suite}")
    exercises = _exercises(run)
    assert exercises[part]["points"] < exercises[part]["max_points"]
    assert exercises[composite]["points"] == exercises[composite]["max_points"], exercises[
        composite
    ]


# A relu that is zeros for the 2-D inputs the networks give it (its own 1-D checks pass), beside
# networks with no backward written (issue 58): right "for the relu they call", never right.
FORGED_RELU = (
    "activations",
    "    return torch.where(x > 0, x, torch.zeros_like(x)), (x,)",
    "    if x.dim() == 2:\n        return torch.zeros_like(x), (x,)\n"
    "    return torch.where(x > 0, x, torch.zeros_like(x)), (x,)",
    "    (x,) = cache\n    return torch.where(x > 0, dy, torch.zeros_like(dy))",
    "    (x,) = cache\n    if x.dim() == 2:\n        return torch.zeros_like(dy)\n"
    "    return torch.where(x > 0, dy, torch.zeros_like(dy))",
)
NO_BACKWARD = (
    "layers",
    """    da1, dW2, db2 = linear_backward(dz2, cache2)
    dz1 = _act.relu_backward(da1, cache_relu)
    _, dW1, db1 = linear_backward(dz1, cache1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}""",
    """    W1, b1, W2 = params["W1"], params["b1"], params["W2"]
    return loss, {"W1": torch.zeros_like(W1), "b1": torch.zeros_like(b1),
                  "W2": torch.zeros_like(W2), "b2": dz2.sum(0)}""",
    """    cache1, cache_relu, cache2 = cache
    da, dW2, db2 = linear_backward(dy, cache2)
    dz = _act.relu_backward(da, cache_relu)
    dx_branch, dW1, db1 = linear_backward(dz, cache1)
    return dy + dx_branch, dW1, db1, dW2, db2""",
    """    (x, W1), _, (a, W2) = cache
    return (dy.clone(), torch.zeros_like(W1), torch.zeros_like(W1[:, 0]), torch.zeros_like(W2),
            dy.sum(0))""",
)


def test_a_forged_part_never_excuses_an_unwritten_network(in_process):
    """two_layer_net and residual_block scored 10/10 each with no backward written: the
    student's relu was the evidence that their results were right (issue 58, item 1)."""
    run = in_process("forged")
    exercises = _exercises(run)
    assert exercises["layers.two_layer_net"]["points"] == 0, exercises["layers.two_layer_net"]
    backward = [
        t
        for t in run.results["tests"]
        if t["exercise"] == "layers.residual_block" and "test_backward" in t["name"]
    ]
    assert backward and not any(t["points"] for t in backward), backward
    assert not any(
        t["message"].startswith("not charged") and t["exercise"] == "layers.two_layer_net"
        for t in run.results["tests"]
    )


# an MLP that crashes: its parameters taken as a list's first item
MLP_CRASHES = (
    "layers",
    "    act_forward, act_backward = _activation(activation)\n    logits, caches",
    "    act_forward, act_backward = _activation(activation)\n    params = params[0]\n"
    "    logits, caches",
)


def test_a_crashing_mlp_is_charged_to_the_mlp_not_the_capstone(in_process):
    """An MLP that crashes zeroed the capstone too (0/30), publicly and hidden (issue 55)."""
    run = in_process("crashing_mlp")
    exercises = _exercises(run)
    assert exercises["layers.mlp_loss_and_grads"]["points"] == 0
    capstone = exercises["train.train_classifier"]
    assert capstone["points"] == capstone["max_points"], capstone
    notes = [t["message"] for t in run.results["tests"] if t["exercise"] == capstone["id"]]
    assert all("layers.mlp_loss_and_grads" in n for n in notes if n), notes


LAYERS = (
    "layers.linear",
    "layers.mlp_grads_checkpointed",
    "layers.mlp_loss_and_grads",
    "layers.numerical_gradient",
    "layers.relative_error",
    "layers.residual_block",
    "layers.two_layer_net",
)
MLPS = ("layers.mlp_grads_checkpointed", "layers.mlp_loss_and_grads")
# The in-process cases (``in_process``): name -> (suite, the exercises graded, the edits of the
# solutions). The exercises are those the ``-k`` of a run of its own chose (the part at fault,
# the composites that call it, and what else the words matched).
TOGETHER = {
    "gelu-graders": ("graders", ("activations.gelu", *MLPS), [("activations", *GELU_BACKWARD)]),
    "relu-exercises": (
        "exercises",
        ("activations.leaky_relu", "activations.relu", *MLPS),
        [("activations", *RELU_BACKWARD)],
    ),
    "mlp_own": ("graders", ("layers.mlp_loss_and_grads",), [MLP_ALWAYS_RELU]),
    "linear-graders": ("graders", LAYERS, [("layers", *LINEAR_DB_MEAN)]),
    "linear-exercises": ("exercises", LAYERS, [("layers", *LINEAR_DB_MEAN)]),
    "cosine-graders": (
        "graders",
        ("schedules.cosine_lr", "schedules.warmup_cosine_lr"),
        [("schedules", *COSINE_T_MINUS_1)],
    ),
    "cosine-exercises": (
        "exercises",
        ("schedules.cosine_lr", "schedules.one_cycle_lr", "schedules.warmup_cosine_lr"),
        [("schedules", *COSINE_T_MINUS_1)],
    ),
    "adam-graders": ("graders", ("optim.adam", "optim.adamw"), [ADAM_THROUGH_ADAMW]),
    "adam-exercises": ("exercises", ("optim.adam", "optim.adamw"), [ADAM_THROUGH_ADAMW]),
    "sigmoid-graders": (
        "graders",
        ("activations.sigmoid", "activations.silu"),
        [SIGMOID_THROUGH_SILU],
    ),
    "log_softmax-exercises": (
        "exercises",
        ("losses.cross_entropy", "losses.log_softmax"),
        [LOG_SOFTMAX_THROUGH_CE],
    ),
    "forged": (
        "graders",
        ("layers.residual_block", "layers.two_layer_net"),
        [FORGED_RELU, NO_BACKWARD],
    ),
    "crashing_mlp": (
        "exercises",
        ("layers.mlp_loss_and_grads", "train.train_classifier"),
        [MLP_CRASHES],
    ),
}


def _in_worker(tmp_path, folder, selection: str, *extra: str) -> dict[str, dict]:
    """The exercises of ``folder`` graded through a confined worker on the hidden tests of
    activations and layers that ``selection`` (-k) picks."""
    run = grade(
        tmp_path,
        ["graders/test_activations.py", "graders/test_layers.py", "-k", selection],
        [str(folder)],
        "--isolation=worker",
        "--insecure",
        *extra,
    )
    return _exercises(run)


# A composite that recognises the kit's stand-ins (issue 82, break 1): with the student's own
# (wrong) relu it returns zeros; once relu's module name is the kit's (told apart by the code
# object it kept), it calls it and takes its gradients from autograd. The re-run's library use was forgotten: 9.09/10, its mistake charged to
# relu, where the same code using autograd openly gets 0.
RELU_SLOPE_2 = (
    "    return torch.where(x > 0, x, torch.zeros_like(x)), (x,)",
    "    return torch.where(x > 0, 2 * x, torch.zeros_like(x)), (x,)",
)
SPOTS_THE_STAND_IN = """
def two_layer_net(params, x, y):
    from . import activations as acts
    if acts.relu_forward.__code__ is _OWN_CODE:
        return torch.zeros((), dtype=x.dtype), {k: torch.zeros_like(v) for k, v in params.items()}
    leaves = {k: v.detach().clone().requires_grad_() for k, v in params.items()}
    h = x @ leaves["W1"].T + leaves["b1"]
    acts.relu_forward(h)  # the stand-in is called, so the charge goes to relu
    z = (h.clamp(min=0) @ leaves["W2"].T + leaves["b2"]).squeeze(1)
    loss = (z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z.abs()))).mean()
    loss.backward()
    return loss.detach(), {k: leaf.grad for k, leaf in leaves.items()}


from . import activations as _acts_at_import  # noqa: E402
_OWN_CODE = _acts_at_import.relu_forward.__code__  # a code object: no stand-in replaces it
"""


@pytest.mark.parametrize("workers", ["root", "unprivileged"])
def test_a_composite_that_borrows_once_the_kit_s_parts_stand_in_is_not_excused(tmp_path, workers):
    folder = _planted(tmp_path, "activations", *RELU_SLOPE_2, name="eve")
    layers = folder / "layers.py"
    layers.write_text(layers.read_text() + SPOTS_THE_STAND_IN)  # the last definition wins
    unprivileged = ["--unprivileged-workers"] if workers == "unprivileged" else []
    exercises = _in_worker(tmp_path, folder, "two_layer or relu", *unprivileged)
    assert exercises["activations.relu"]["points"] < 10  # the part's own mistake, charged
    network = exercises["layers.two_layer_net"]
    assert network["points"] == 0 and "[library use]" in network["first_failure"], network


# A table of activations built at import (issue 81): the stand-in did not reach it, so a sigmoid
# slip cost both MLPs 5 points each besides sigmoid's own.
SIGMOID_BACKWARD = (
    "    (y,) = cache\n    return dy * y * (1 - y)\n",
    "    (y,) = cache\n    return dy * (1 - y)\n",
)
TABLE_OF_ACTIVATIONS = (
    '''def _activation(name):
    """(forward, backward) of a hidden activation of activations.py, by name."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; use one of {_ACTIVATIONS}")
    return getattr(_act, f"{name}_forward"), getattr(_act, f"{name}_backward")''',
    """_TABLE = {n: (getattr(_act, f"{n}_forward"), getattr(_act, f"{n}_backward")) for n in _ACTIVATIONS}


def _activation(name):
    if name not in _TABLE:
        raise ValueError(f"unknown activation {name!r}")
    return _TABLE[name]""",
)


def test_a_part_looked_up_in_a_table_built_at_import_is_charged_once(tmp_path):
    folder = _planted(tmp_path, "activations", *SIGMOID_BACKWARD, name="tia")
    _planted(tmp_path, "layers", *TABLE_OF_ACTIVATIONS, name="tia")
    exercises = _in_worker(tmp_path, folder, "mlp or sigmoid")
    assert exercises["activations.sigmoid"]["points"] < 10
    for composite in ("layers.mlp_loss_and_grads", "layers.mlp_grads_checkpointed"):
        assert exercises[composite]["points"] == 10, exercises[composite]


def test_a_part_not_graded_in_the_run_excuses_no_composite(tmp_path):
    """A composite's mistake traced to a part that this run does not grade (a part of an earlier
    assignment, or one left out by -k) stays charged to the composite, saying so: what the part
    lost elsewhere is no evidence here, and the excuse let a composite that spots the kit's parts
    keep points it never earned (issue 82)."""
    folder = _planted(tmp_path, "activations", *GELU_BACKWARD, name="ivy")
    run = grade_in_process(tmp_path / "run", ["graders/test_layers.py", "-k", "mlp_loss"], folder)
    mlp = _exercises(run)["layers.mlp_loss_and_grads"]
    assert mlp["points"] < mlp["max_points"], mlp
    notes = [t["message"] for t in run.results["tests"] if t["outcome"] != "passed"]
    assert notes and all("not charged" not in n for n in notes)
    assert any("activations.gelu, which is not graded in this run" in n for n in notes), notes


# dW computed as its transpose and reshaped back to W's shape (its entries in the wrong places)
LINEAR_DW_TRANSPOSED = (
    "    return dy @ W, dy.T @ x, dy.sum(dim=0)",
    "    return dy @ W, (x.T @ dy).reshape(W.shape), dy.sum(dim=0)",
)


def test_a_part_of_a_part_is_charged_once_however_deep(tmp_path):
    """dW in the wrong layout in linear_backward: the MLP is excused (linear loses points for it), and the
    capstone, which calls the MLP, was charged 0/30 both ways with "the mistake is in
    layers.mlp_loss_and_grads" (which had 10/10). The capstone is excused through the MLP, naming
    the linear layer (issue 81)."""
    folder = _planted(tmp_path, "layers", *LINEAR_DW_TRANSPOSED, name="lin")
    suites = [
        "graders/test_layers.py",
        "graders/test_train.py",
        "-k",
        "linear or mlp_loss or train",
    ]
    run = grade_in_process(tmp_path / "run", suites, folder)
    exercises = _exercises(run)
    assert exercises["layers.linear"]["points"] < exercises["layers.linear"]["max_points"]
    for composite in ("layers.mlp_loss_and_grads", "train.train_classifier"):
        assert exercises[composite]["points"] == exercises[composite]["max_points"], exercises[
            composite
        ]
    notes = [
        t["message"]
        for t in run.results["tests"]
        if t["exercise"] == "train.train_classifier" and t["message"].startswith("not charged")
    ]
    assert notes and all("layers.linear (through layers.mlp_loss_and_grads" in n for n in notes)

"""One mistake, one charge: an exercise that calls another exercise (the MLPs call the
student's activation and cross-entropy) is not charged again for a mistake in what it calls,
and the feedback names the exercise at fault (descent.grading.composite)."""

from __future__ import annotations

import shutil

import pytest
from conftest import KIT, grade

GELU_BACKWARD = (
    "    return torch.addcmul(cdf, t, x, value=1 / math.sqrt(2 * math.pi), out=t).mul_(dy)",
    "    return cdf * dy",  # the x * phi(x) term forgotten
)


def _planted(tmp_path, module: str, right: str, wrong: str):
    folder = tmp_path / "ivy"
    shutil.copytree(KIT / "solutions", folder)
    path = folder / f"{module}.py"
    assert right in path.read_text()
    path.write_text(path.read_text().replace(right, wrong))
    return folder


def _exercises(run) -> dict[str, dict]:
    return {e["id"]: e for e in run.block("ivy")["exercises"]}


# the public tests run the MLPs with ReLU only: a ReLU whose backward lets everything through
RELU_BACKWARD = (
    "    return torch.where(x > 0, dy, torch.zeros_like(dy))",
    "    return dy.clone()",
)


@pytest.mark.parametrize(
    "suite,part,slip",
    [("graders", "gelu", GELU_BACKWARD), ("exercises", "relu", RELU_BACKWARD)],
)
def test_a_wrong_activation_is_charged_to_the_activation_alone(tmp_path, suite, part, slip):
    folder = _planted(tmp_path, "activations", *slip)
    files = [f"{suite}/test_activations.py", f"{suite}/test_layers.py"]
    run = grade(
        tmp_path, [*files, "-k", f"{part} or mlp"], [str(folder)], "--isolation=none", "--insecure"
    )
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


def test_a_composite_is_charged_when_the_exercise_it_calls_was_not_at_fault(tmp_path):
    # the MLP's own mistake: ReLU whatever activation it is given
    folder = _planted(
        tmp_path,
        "layers",
        "    act_forward, act_backward = _activation(activation)\n"
        "    logits, caches = _forward_layers(x, params, 0, len(params), act_forward)",
        '    act_forward, act_backward = _activation("relu")\n'
        "    logits, caches = _forward_layers(x, params, 0, len(params), act_forward)",
    )
    run = grade(
        tmp_path,
        ["graders/test_layers.py", "-k", "mlp_loss"],
        [str(folder)],
        "--isolation=none",
        "--insecure",
    )
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
def test_a_wrong_linear_layer_is_charged_to_the_linear_layer_alone(tmp_path, suite):
    """db as a mean in linear_backward cost the linear layer and then every network that
    calls it (two_layer_net 0, both MLPs 0, the residual block 5 of 10)."""
    folder = _planted(tmp_path, "layers", *LINEAR_DB_MEAN)
    run = grade(
        tmp_path, [f"{suite}/test_layers.py"], [str(folder)], "--isolation=none", "--insecure"
    )
    exercises = _exercises(run)
    assert exercises["layers.linear"]["points"] < exercises["layers.linear"]["max_points"]
    for composite in COMPOSITES_OF_LINEAR:
        assert exercises[composite]["points"] == exercises[composite]["max_points"], exercises[
            composite
        ]
    notes = [t["message"] for t in run.results["tests"] if t["message"].startswith("not charged")]
    assert notes and all("layers.linear" in n for n in notes), notes


@pytest.mark.parametrize("suite", ["graders", "exercises"])
def test_a_wrong_cosine_is_charged_to_cosine_lr_alone(tmp_path, suite):
    folder = _planted(tmp_path, "schedules", *COSINE_T_MINUS_1)
    run = grade(
        tmp_path,
        [f"{suite}/test_schedules.py", "-k", "cosine"],
        [str(folder)],
        "--isolation=none",
        "--insecure",
    )
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

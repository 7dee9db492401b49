"""Trusted checks of lab 1 (loss-function consultant). Never released, never sent to a notebook:
``descent.labs.execute.ConfinedExecute`` calls ``<grade id>(nb, parts, key)`` for each test
cell, and ``nb`` hands back the notebook's values as plain data (see
docs/explanation/labs-grading.md)."""

import torch
import torch.nn.functional as F

from descent.labs.hidden_checks import scalar, tensor


def _labels(negatives, positives, seed=0):
    y = torch.cat([torch.zeros(negatives), torch.ones(positives)])
    return y[torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))]


def task1_test(nb, parts, key):
    y_train = _labels(12_000, 800)
    with parts.part("positive rate of the training set is 800/12,800", 0.5):
        got = scalar(nb.call("positive_rate", y_train), "positive_rate(y_train)")
        assert abs(got - 0.0625) < 1e-9, got
    with parts.part("pos_weight of the training set is 12,000/800", 0.5):
        got = scalar(nb.call("pos_weight_for", y_train), "pos_weight_for(y_train)")
        assert abs(got - 15.0) < 1e-9, got
    with parts.part("both work on another label vector", 1):
        labels = torch.tensor([0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
        rate = nb.call("positive_rate", labels)
        assert type(rate) is float, "return a Python float"
        assert abs(rate - 0.25) < 1e-9, f"positive_rate gave {rate}"
        weight = scalar(nb.call("pos_weight_for", labels), "pos_weight_for")
        assert abs(weight - 3.0) < 1e-9, f"pos_weight_for gave {weight}"


def _focal_reference(logits, targets, gamma, alpha):
    log_p, log_q = F.logsigmoid(logits), F.logsigmoid(-logits)
    log_pt = torch.where(targets == 1, log_p, log_q)
    a = (
        1.0
        if alpha is None
        else torch.where(targets == 1, torch.tensor(alpha), torch.tensor(1 - alpha))
    )
    return (-a * (1 - log_pt.exp()) ** gamma * log_pt).mean()


def _focal(nb, *args, **kwargs):
    got = tensor(nb.call("focal_loss", *args, **kwargs), "focal_loss(...)")
    assert got.dim() == 0, "return a scalar tensor (the mean over the batch)"
    return got.detach().to(torch.float32)


def task2_test(nb, parts, key):
    g = torch.Generator().manual_seed(0)
    z = 3 * torch.randn(64, generator=g)
    t = (torch.rand(64, generator=g) < 0.3).float()
    with parts.part("gamma=0 and no alpha gives binary cross-entropy", 1):
        got = _focal(nb, z, t, gamma=0.0)
        assert torch.allclose(got, F.binary_cross_entropy_with_logits(z, t), atol=1e-6), (
            f"got {float(got):.6g}"
        )
    with parts.part("gamma=2 matches the formula, also for logits of +-60", 1):
        got = _focal(nb, z, t, gamma=2.0)
        assert torch.allclose(got, _focal_reference(z, t, 2.0, None), atol=1e-6), (
            f"got {float(got):.6g}"
        )
        big = torch.tensor([60.0, -60.0, 60.0, -60.0])
        lab = torch.tensor([0.0, 1.0, 1.0, 0.0])
        got = _focal(nb, big, lab, gamma=2.0)
        assert torch.isfinite(got), "not finite for large logits"
        assert torch.allclose(got, _focal_reference(big, lab, 2.0, None), rtol=1e-4), (
            "wrong for large logits"
        )
    with parts.part("alpha weighs positives by alpha and negatives by 1 - alpha", 1):
        got = _focal(nb, z, t, gamma=1.5, alpha=0.75)
        assert torch.allclose(got, _focal_reference(z, t, 1.5, 0.75), atol=1e-6), (
            f"got {float(got):.6g}"
        )


def task3_test(nb, parts, key):
    probs = torch.tensor([0.9, 0.2, 0.6, 0.4, 0.1])
    labels = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0])
    with parts.part("a small example", 1):
        got = scalar(nb.call("recall", probs, labels), "recall(probs, targets)")
        assert abs(got - 2 / 3) < 1e-6, got
    with parts.part("threshold is respected and no positives gives 0.0", 1):
        low = scalar(nb.call("recall", probs, labels, threshold=0.1), "recall")
        high = scalar(nb.call("recall", probs, labels, threshold=0.95), "recall")
        assert abs(low - 1.0) < 1e-6 and abs(high) < 1e-6, "the threshold is not respected"
        assert nb.call("recall", probs, torch.zeros(5)) == 0.0, "no positives should give 0.0"
        assert type(nb.call("recall", probs, labels)) is float, "return a Python float"


# The notebook's own locked trainer (public in the release), under a private name: a notebook
# that redefines train_classifier, or writes RESULTS by hand, does not change what is measured.
_TRAIN = """
def _descent_train_classifier(loss_fn, steps=200, seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(X_train).squeeze(1), y_train)
        loss.backward()
        opt.step()
    with torch.no_grad():
        probs = torch.sigmoid(model(X_val).squeeze(1))
    return float(recall(probs, y_val))
"""
RUNS = ("plain", "weighted", "focal")


def _recalls(nb):
    """The recall of each run, measured again here by training with the notebook's LOSSES;
    the numbers RESULTS claims must be these (a results dict written by hand earns nothing)."""
    results = nb.value("RESULTS")
    assert type(results) is dict and set(results) >= set(RUNS), (
        "RESULTS needs the keys plain, weighted and focal"
    )
    claimed = {
        k: scalar(
            results[k].get("recall") if type(results[k]) is dict else None,
            f"RESULTS[{k!r}]['recall']",
        )
        for k in RUNS
    }
    nb.define(_TRAIN)
    measured = nb.eval(f"{{k: _descent_train_classifier(LOSSES[k]) for k in {RUNS!r}}}")
    assert type(measured) is dict, "LOSSES could not be trained again"
    for k in RUNS:
        again = scalar(measured.get(k), f"the recall of LOSSES[{k!r}]")
        assert abs(claimed[k] - again) < 1e-6, (
            f"RESULTS[{k!r}] claims recall {claimed[k]:.3f}, but training with LOSSES[{k!r}] "
            f"gives {again:.3f}: run the experiment cell rather than writing its results"
        )
    return claimed


def task4_test(nb, parts, key):
    measured = {}

    def recalls():  # trains once, for both parts (a failure is the same failure twice)
        if not measured:
            try:
                measured["ok"] = _recalls(nb)
            except AssertionError as exc:
                measured["failed"] = exc
        if "failed" in measured:
            raise measured["failed"]
        return measured["ok"]

    with parts.part("RESULTS has plain, weighted and focal runs", 1):
        assert all(0 <= r <= 1 for r in recalls().values()), "recalls lie in [0, 1]"
    with parts.part("weighting lifts recall on the rare class well above the plain loss", 1):
        assert recalls()["weighted"] > recalls()["plain"] + 0.2, recalls()

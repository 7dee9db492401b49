"""Where the student's values first part from a correct computation's
(``descent.diagnoses.diverged``): a softmax written in NumPy, one step at a time, whose values
agree with the reference's up to the line that adds a term no edit takes back; the line is told
in-process and through the worker. A detour that a later line makes good (an exp of the unshifted
scores, say) is not the place; a single number that matches is no evidence either way; what a
worker says of its steps is checked before it is read."""

from __future__ import annotations

import shutil
import types
from pathlib import Path

import pytest
import torch
from conftest import KIT

from descent.calls import steps
from descent.calls.impl import FolderImplementation
from descent.diagnoses import diverged
from descent.diagnoses.ledger import Record
from descent.isolation import confinement

SOLUTIONS = KIT / "solutions"
ANCHOR = """    e = (x - x.amax(dim=dim, keepdim=True)).exp_()
    y = e.div_(e.sum(dim=dim, keepdim=True))
"""
# the scores' exp, unshifted, is a detour no line reads; the tanh term is the mistake, and the
# known value after it, of a line that does not read it, does not make it good
PARTED = """    import numpy as np

    a = x.detach().cpu().numpy().astype("float64")
    raw = np.exp(a)
    shifted = a - np.max(a, axis=dim, keepdims=True)
    e = np.exp(shifted)
    e = e + np.tanh(shifted) * 0.1
    again = np.exp(shifted)  # a known value after the mistake, of a line that does not read it
    y = torch.from_numpy(e / np.sum(e, axis=dim, keepdims=True)).to(x.dtype)
"""
SUMMED = PARTED.replace("    e = e + np.tanh(shifted) * 0.1\n", "").replace(
    "np.sum(e, axis=dim, keepdims=True)", "np.sum(e)"
)
CORRECT = PARTED.replace("    e = e + np.tanh(shifted) * 0.1\n", "")


def _student(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "student"
    shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    path = folder / "activations.py"
    text = path.read_text()
    assert ANCHOR in text, "the solution's text moved"
    path.write_text(text.replace(ANCHOR, body, 1))
    return folder


def _book(student, reference) -> types.SimpleNamespace:
    """Two failing comparisons of softmax_forward's output, on two inputs."""
    records = []
    for seed in (0, 1):
        x = torch.randn(3, 5, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)

        def recipe(impl, x=x):
            return impl.activations.softmax_forward(x.clone())[0]

        got, expected = recipe(student), recipe(reference)
        records.append(Record(recipe, got, expected, failed=True))
    return types.SimpleNamespace(exercise="activations.softmax", records=records)


def _line(folder: Path, code: str) -> int:
    lines = (folder / "activations.py").read_text().splitlines()
    return next(i for i, t in enumerate(lines, 1) if t.strip() == code)


def test_the_line_after_the_last_step_that_agrees_is_told_past_a_detour(tmp_path):
    folder = _student(tmp_path, PARTED)
    student, reference = FolderImplementation(folder), FolderImplementation(SOLUTIONS)
    found = diverged.located(_book(student, reference), student, reference)  # type: ignore[arg-type]
    line = _line(folder, "e = e + np.tanh(shifted) * 0.1")
    assert found is not None, "no line told"
    assert found.text.startswith(
        f"line {line} (in `softmax_forward`): `e = e + np.tanh(shifted) * 0.1` is where your "
        "values first part from a correct computation's"
    ), found.text
    assert len(found.records) == 2


def test_a_sum_over_every_axis_is_the_line_told_not_the_steps_before_it(tmp_path):
    folder = _student(tmp_path / "summed", SUMMED)
    student, reference = FolderImplementation(folder), FolderImplementation(SOLUTIONS)
    found = diverged.located(_book(student, reference), student, reference)  # type: ignore[arg-type]
    line = _line(folder, "y = torch.from_numpy(e / np.sum(e)).to(x.dtype)")
    assert found is not None and found.text.startswith(f"line {line} "), found


def test_code_whose_result_agrees_is_told_nothing_and_a_variant_has_no_source(tmp_path):
    folder = _student(tmp_path, CORRECT)
    student, reference = FolderImplementation(folder), FolderImplementation(SOLUTIONS)
    assert diverged.located(_book(student, reference), student, reference) is None  # type: ignore[arg-type]
    stub = types.SimpleNamespace(source=lambda module: None, watched=student.watched)
    assert diverged.located(_book(student, reference), stub, reference) is None  # type: ignore[arg-type]


@pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)
def test_the_worker_reports_the_steps_it_watched(tmp_path):
    # WHY inside: the worker's manager starts processes; only this test needs one
    from descent.isolation.manager import IsolationManager, Settings
    from descent.isolation.remote import WorkerImplementation

    folder = _student(tmp_path, PARTED)
    manager = IsolationManager(Settings(call_timeout=5.0))
    try:
        student = WorkerImplementation("parted", manager, folder=str(folder))
        reference = FolderImplementation(SOLUTIONS)
        found = diverged.located(_book(student, reference), student, reference)  # type: ignore[arg-type]
        line = _line(folder, "e = e + np.tanh(shifted) * 0.1")
        assert found is not None and found.text.startswith(f"line {line} "), found
        student.close()
    finally:
        manager.close()


def test_one_number_that_matches_tells_nothing_and_a_row_of_a_batch_is_known():
    theirs = [
        steps.Step("", 0, "", "result", "", (2, 3), torch.arange(6, dtype=torch.float64)),
    ]
    one = steps.Step("m.py", 1, "f", "line", "v", (), torch.tensor([4.0], dtype=torch.float64))
    other = steps.Step("m.py", 1, "f", "line", "v", (), torch.tensor([9.5], dtype=torch.float64))
    row = steps.Step("m.py", 2, "f", "line", "v", (3,), torch.tensor([3.0, 4.0, 5.0]).double())
    flipped = steps.Step(
        "m.py", 3, "f", "line", "v", (3, 2), torch.tensor([0, 3, 1, 4, 2, 5.0]).double()
    )
    wrong = steps.Step("m.py", 4, "f", "line", "v", (3,), torch.tensor([3.0, 4.0, 6.0]).double())
    assert diverged._known(one, theirs) is None
    assert diverged._known(other, theirs) is False
    assert diverged._known(row, theirs) is True
    assert diverged._known(flipped, theirs) is True
    assert diverged._known(wrong, theirs) is False


def _step(line, kind, name, values, call=1, caller=0, function="f"):
    shape = () if isinstance(values, float) else (len(values),)
    values = torch.tensor(values, dtype=torch.float64).reshape(-1)
    return steps.Step("m.py", line, function, kind, name, shape, values, call, caller)


def test_state_changed_on_an_object_is_a_result_and_a_first_binding_is_not():
    """An optimizer's update that returns nothing changes ``self.w``: the line that changed it
    is the place. Weights drawn in a constructor are first bindings, new because the draws
    differ, and are no place; a returned copy of a kept value is a conversion."""
    texts = ["self.w = w0", "self.w = self.w - 2 * g", "return self.w"]
    mine = [
        _step(1, "line", "self.w", [1.0, 2.0]),
        _step(2, "line", "self.w", [0.5, 1.5]),
        _step(3, "return", "", [0.5, 1.5], call=2, function="g"),
    ]
    known = [True, False, False]
    assert diverged._stays_new(mine, known, 1, texts)
    drawn = [_step(1, "line", "self.w", [0.3, 0.7])]
    assert not diverged._stays_new(drawn, [False], 0, texts)
    assert diverged._copied(mine, 2) and not diverged._copied(mine, 1)


def test_the_calling_line_is_said_where_the_function_was_handed_only_known_values():
    """A right function may be the wrong one to call: where the first value it computes is new
    and what it was handed is known (a number aside), the line that called it is said too."""
    mine = [
        _step(9, "argument", "x", [1.0, -1.0], call=1),
        _step(3, "argument", "x", [1.0, -1.0], call=2, caller=12, function="relu"),
        _step(3, "argument", "self.eps", 1e-8, call=2, caller=12, function="relu"),
        _step(4, "return", "", [1.0, 0.0], call=2, caller=12, function="relu"),
        _step(12, "return", "", [1.0, 0.0], call=1),
    ]
    known = [True, True, False, False, False]
    assert diverged._caller(mine, known, 3, last=1) == 12
    assert diverged._caller(mine, [True, False, False, False, False], 3, last=1) == 0
    assert diverged._caller(mine, known, 4, last=1) == 0  # the checked call itself


def test_a_line_is_told_only_where_it_reads_a_known_value():
    """Weights drawn from sizes (`np.random.randn(y, x)` with counts for `y` and `x`) read no
    known value: their values part upstream of any step, and the line is no place."""
    texts = ["def f(a, x, y):", "w = np.random.randn(y, x)", "z = w @ a"]
    mine = [_step(1, "argument", "a", [1.0, 2.0]), _step(2, "line", "w", [0.3, 0.1])]
    mine.append(_step(3, "line", "z", [0.5]))
    known = [True, False, False]
    assert not diverged._fed(mine, known, 1, texts)
    assert diverged._fed(mine, known, 2, texts)


def test_a_line_whose_call_returned_a_new_value_is_no_place():
    """(A Brown learner's leaky ReLU) the backward's line multiplies the upstream gradient by
    what a method returns; that method's values parted first, on lines that read only state
    kept by the forward (no step): the multiplying line reads known `J` but is no place."""
    texts = [""] * 11 + ["def compose(self, J):", "return self.local()[0] * J"]
    mine = [
        _step(12, "argument", "J", [1.0, 2.0], call=1),
        _step(4, "line", "half", [1.0, 0.1], call=2, caller=13, function="local"),
        _step(5, "return", "", [0.0, 0.1], call=2, caller=13, function="local"),
        _step(13, "return", "", [0.0, 0.2], call=1),
    ]
    known = [True, False, False, False]
    assert not diverged._fed(mine, known, 3, texts)
    # a call that returned a known value leaves the line its place
    assert diverged._fed(mine, [True, False, True, False], 3, texts)


def test_an_array_made_from_a_shape_alone_is_no_place_where_values_part():
    """A wrapper's `w = np.ones((1, 1), dtype=x.dtype)` (a held-out Alberta loss's) is new to
    the reference, and reads the input, but no input's values reach it: it is no place."""
    from descent.diagnoses.diverged import _constructed

    texts = [
        "    w = np.ones((1, 1), dtype=X.dtype)",
        "    W = np.eye(X.shape[1])",
        "    y = x @ w",
        "    self.kept = [np.zeros(p.data.shape) for p in self.parameters]",  # a held-out Sydney
        "    v = {k: np.zeros_like(w) for k, w in params.items()}",  # optimizer's buffers
        "    pair = [np.zeros(3), x * 2]",
    ]
    assert _constructed(texts, 1) and _constructed(texts, 2)
    assert _constructed(texts, 4) and _constructed(texts, 5)
    assert not _constructed(texts, 3) and not _constructed(texts, 6)
    assert not _constructed(texts, 9)  # past the file's end


def test_probabilities_of_log_probabilities_and_one_entry_per_row_are_known():
    """The reference holds a log-softmax: a learner's softmax (its exp), the losses picked one per
    row (`-np.log(p[range(n), y])`, its negatives picked) are a correct computation's values,
    not where values part (an Alberta and a Rice learner were told so of correct lines)."""
    logp = torch.log_softmax(torch.tensor([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]]).double(), dim=1)
    theirs = [steps.Step("", 0, "", "result", "", (2, 3), logp.reshape(-1))]
    theirs += diverged._exps_and_logs(theirs)
    probs = steps.Step("m.py", 1, "f", "line", "p", (2, 3), logp.exp().reshape(-1))
    picked = steps.Step("m.py", 2, "f", "line", "l", (2,), -logp[[0, 1], [1, 2]])
    off = steps.Step("m.py", 3, "f", "line", "l", (2,), -logp[[0, 1], [1, 2]] * 2)
    assert diverged._known(probs, theirs) is True
    assert diverged._known(picked, theirs) is True
    assert diverged._known(off, theirs) is False


def test_a_sigmoid_where_the_reference_holds_a_softplus_is_known():
    """(a held-out SKKU loss) the reference's binary cross-entropy computes softplus(-z), never
    sigmoid(z) = exp(-softplus(-z)): a learner's sigmoid line was told as where values part."""
    z = torch.tensor([[1.5, -0.3, 2.0], [0.1, -2.2, 0.7]], dtype=torch.float64)
    softplus = torch.nn.functional.softplus(-z)
    theirs = [steps.Step("", 0, "", "result", "", (2, 3), softplus.reshape(-1))]
    theirs += diverged._exps_and_logs(theirs)
    sigmoid = steps.Step("m.py", 1, "f", "line", "p", (2, 3), torch.sigmoid(z).reshape(-1))
    wrong = steps.Step("m.py", 2, "f", "line", "p", (2, 3), torch.sigmoid(2 * z).reshape(-1))
    assert diverged._known(sigmoid, theirs) is True
    assert diverged._known(wrong, theirs) is False


def test_a_number_returned_that_the_reference_holds_makes_a_new_sum_a_detour():
    """A loss summed over the examples (new) and returned divided by their count (a number the
    reference holds) is a detour of a correct computation, not where values part."""
    mine = [
        _step(1, "line", "total", 6.0),
        _step(2, "return", "", 2.0),
    ]
    texts = ["    total = np.sum(losses)", "    return total / n"]
    assert not diverged._stays_new(mine, [False, None], 0, texts)
    assert diverged._stays_new(mine, [False, False], 0, texts)

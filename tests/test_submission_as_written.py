"""A submission is graded as the student wrote it (issue 55): helper files of the student's own
come along in every run, and what a run tells the student is what the grade will say."""

from __future__ import annotations

import shutil

from conftest import KIT, grade, grade_in_process

HELPED = {
    "_util.py": "def ident(x):\n    return x\n",
    "helpers/__init__.py": "",
    "helpers/ops.py": "def same(x):\n    return x\n",
    "scratch.py": "raise SystemExit('never imported')\n",
    "torch.py": "raise SystemExit('never imported')\n",
}


def _solutions_with(tmp_path, module: str, old: str, new: str, files=None):
    folder = tmp_path / "ivy"
    shutil.copytree(KIT / "solutions", folder)
    (folder / "__init__.py").unlink()
    path = folder / f"{module}.py"
    assert path.read_text().count(old) == 1
    path.write_text(path.read_text().replace(old, new))
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_a_submission_with_helper_files_scores_the_same_publicly_and_hidden(tmp_path):
    """losses.py importing its own _util.py scored 80/80 in the public tests and 0/80 through
    `descent grade`: "No module named '_descent_submission._util'"."""
    folder = _solutions_with(
        tmp_path,
        "losses",
        "    y = _log_softmax(x, dim)\n",
        "    import _util\n    from .helpers.ops import same\n"
        "    y = same(_util.ident(_log_softmax(x, dim)))\n",
        HELPED,
    )
    public = grade_in_process(
        tmp_path / "public", ["exercises/test_losses.py", "-k", "log_softmax"], folder
    )
    hidden = grade(
        tmp_path / "hidden",
        ["graders/test_losses.py", "-k", "log_softmax"],
        [str(folder)],
        "--isolation=worker",
        "--insecure",
    )
    for run in (public, hidden):
        (exercise,) = [e for e in run.block("ivy")["exercises"] if e["id"] == "losses.log_softmax"]
        assert exercise["points"] == exercise["max_points"], exercise
        intake = run.block("ivy")["intake"]
        assert {"_util.py", "helpers/ops.py"} <= set(intake["taken"]), intake
        assert {e["path"] for e in intake["refused"]} == {"torch.py"}, intake
        assert "scratch.py" in {e["path"] for e in intake["ignored"]}, intake
    assert "files not graded: torch.py (refused: would shadow" in hidden.output


def test_a_dropout_that_draws_from_numpy_is_never_told_its_backward_is_wrong(tmp_path):
    """A NumPy-RNG dropout's first failing check blamed the backward: its gradient check saw a
    new mask at every evaluation of the forward ("dropout_backward disagrees with finite
    differences")."""
    folder = _solutions_with(
        tmp_path,
        "regularization",
        "    u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)",
        "    import numpy as np\n    u = torch.from_numpy(np.random.rand(*x.shape)).to(x.dtype)",
    )
    run = grade_in_process(tmp_path, ["graders/test_regularization.py", "-k", "dropout"], folder)
    failed = {
        t["name"]: t["message"]
        for t in run.results["tests"]
        if t["exercise"] == "regularization.dropout" and t["outcome"] != "passed"
    }
    assert failed and not any("dropout_backward disagrees" in m for m in failed.values()), failed
    (gradcheck,) = [m for name, m in failed.items() if "gradcheck" in name]
    assert "does not come from `generator`" in gradcheck, gradcheck

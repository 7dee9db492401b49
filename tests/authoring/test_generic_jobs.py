"""The guard's gradings in processes of their own (``descent.authoring.generic_jobs``): each run,
two at a time here, gives its own pytest code, and one that did not complete shows why (the
gradings themselves: tests/authoring/test_generic_cache.py)."""

from __future__ import annotations

from pathlib import Path

from descent.authoring import generic_jobs

FILES = {
    "test_passes.py": "def test_ok():\n    pass\n",
    "test_fails.py": "def test_no():\n    assert False\n",
    "test_broken.py": "raise ImportError('broken on purpose')\n",
}


def test_each_run_gives_its_own_code_and_a_broken_one_says_why(tmp_path, capsys):
    root = tmp_path / "kit"
    (root / "graders").mkdir(parents=True)
    for name, text in FILES.items():
        (root / "graders" / name).write_text(text)
    runs = [
        ([f"graders/{name}"], ["starter"], tmp_path / "out" / f"{Path(name).stem}.json")
        for name in FILES
    ]
    codes = generic_jobs.run(root, runs, device="cpu", jobs=2, timeout=300)
    assert codes == [0, 1, 2]
    err = capsys.readouterr().err
    assert "a grading ended with code 2" in err and "broken on purpose" in err
    assert all(out.with_suffix(".log").exists() for _, _, out in runs)
    assert "test_ok" not in err  # only the run that did not complete is shown
    # each module's grading said when it started and ended (issue 83: per-module progress)
    assert "descent audit: grading passes: 1 variants" in err, err
    assert "descent audit: fails: about 1/1 variants (1 tests run, 100%)" in err, err
    assert "descent audit: broken: 0 tests run" in err and "stopped (pytest exit code 2)" in err

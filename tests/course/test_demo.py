"""The sample class ``descent demo`` grades (``descent.course.demo``): the students it promises,
each as described (a broken one, a hostile one that harms nothing of the grader's, a notebook),
graded by one ``descent batch`` in the demo's folder."""

from __future__ import annotations

import ast
import io
import json

import pytest
from rich.console import Console

from descent.course import demo
from descent.course.demo import assemble
from descent.isolation import intake

from .conftest import KIT

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_the_sample_class_is_what_the_demo_promises(tmp_path):
    subs = assemble(KIT, tmp_path)
    assert sorted(p.name for p in subs.iterdir()) == [
        "dana",
        "eve.ipynb",
        "mallory",
        "oscar",
        "partial",
        "reference",
        "untouched-stubs",
    ]
    for path in (subs / "dana").glob("*.py"):
        ast.parse(path.read_text())
    with pytest.raises(SyntaxError):  # oscar is broken on purpose
        ast.parse((subs / "oscar" / "activations.py").read_text())
    hostile = (subs / "mallory" / "losses.py").read_text()
    assert "rmtree" not in hostile and "os.kill(-1" not in hostile and "unlink" not in hostile
    json.loads((subs / "eve.ipynb").read_text())
    taken = intake.take(subs / "eve.ipynb")
    try:
        assert sorted(taken.sources) == ["basics", "regularization"]
    finally:
        taken.cleanup()


def test_the_class_is_graded_by_a_batch_into_the_work_folder(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(demo, "run", lambda opts, kit, console: seen.append(opts) or 3)
    out = io.StringIO()
    assert demo.grade_class(KIT, tmp_path, Console(file=out, width=300)) == 3
    [opts] = seen
    assert opts.submissions == tmp_path / "submissions" and opts.out == tmp_path / "grading"
    assert "7 students in" in out.getvalue() and "mallory" in out.getvalue()

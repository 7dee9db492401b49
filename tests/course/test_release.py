"""Releasing one assignment at a time (``descent.course.release``), without building a bundle: the
modules a student has once an assignment is out, what its README says of the due date and the
late policy, and merging a new bundle into a working copy, which adds, updates the kit's files,
and never touches the student's work. (A real assignment bundle and merge: test_term.py.)"""

from __future__ import annotations

import pytest

from descent.authoring.bundle import BundleError
from descent.course import plan as plan_mod
from descent.course import release

from .test_term import write_plan

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def plan(tmp_path):
    return plan_mod.load(write_plan(tmp_path))


def test_an_assignment_ships_its_modules_and_those_released_before_it(plan):
    assert release.released_modules(plan, plan.item("a1")) == ["basics"]
    assert release.released_modules(plan, plan.item("a3")) == ["basics", "clipping", "regression"]


def test_the_readme_says_what_is_due_when_and_the_late_policy(plan):
    text = release._assignment_section(plan, plan.item("a2"))
    assert text.startswith("# Three-assignment term: assignment a2, Clipping")
    assert "Due: **Friday 15 January 2027, 23:59 UTC** (50 points)" in text
    assert "15 minutes of grace, then 10% per day (at most 50%); no credit after 5 days" in text
    assert "- `clipping.clip_grad_norm`" in text and "descent course merge" in text


def _tree(root, files: dict[str, str]):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_merge_adds_updates_the_kits_files_and_keeps_the_students_work(tmp_path):
    bundle = _tree(tmp_path / "a2", {
        "starter/basics.py": "def gradient_descent_1d(): ...\ndef gd_regime(): ...\n",
        "starter/clipping.py": "def clip_grad_norm(): ...\n",
        "exercises/test_basics.py": "# new public tests\n",
        "README.md": "a2\n",
    })  # fmt: skip
    working = _tree(tmp_path / "mine", {
        "starter/basics.py": "def gradient_descent_1d():\n    return 42\n",
        "exercises/test_basics.py": "# old public tests\n",
        "README.md": "a2\n",
        "notes.txt": "mine\n",
    })  # fmt: skip
    dry = release.merge(bundle, working, dry_run=True)
    assert dry.lines()[0] == "would be added: starter/clipping.py"
    assert not (working / "starter" / "clipping.py").exists()
    report = release.merge(bundle, working)
    assert report.added == ["starter/clipping.py"] and report.updated == [
        "exercises/test_basics.py"
    ]
    assert report.kept == ["starter/basics.py"] and report.new_stubs == {
        "starter/basics.py": ["gd_regime"]
    }
    assert "return 42" in (working / "starter" / "basics.py").read_text()
    assert "gd_regime" in (working / "starter" / "basics.py.new").read_text()
    assert (working / "exercises" / "test_basics.py").read_text() == "# new public tests\n"
    assert (working / "notes.txt").read_text() == "mine\n"  # nothing is deleted


def test_a_merge_needs_a_bundle_and_a_working_folder(tmp_path):
    with pytest.raises(BundleError, match="is not a student bundle"):
        release.merge(tmp_path, tmp_path)
    bundle = _tree(tmp_path / "b", {"starter/x.py": "", "exercises/test_x.py": ""})
    with pytest.raises(BundleError, match="is not a folder: give the student's working copy"):
        release.merge(bundle, tmp_path / "nowhere")


def test_an_assignment_of_written_tests_ships_their_files_and_names_them(tmp_path):
    path = write_plan(tmp_path)
    path.write_text(
        path.read_text().replace(
            'exercises = ["clipping.clip_grad_norm", "clipping.clip_grad_value"]',
            'exercises = ["clipping.clip_grad_norm.tests", "losses.mse.tests"]',
        )
    )
    plan = plan_mod.load(path)
    assert release.released_modules(plan, plan.item("a2")) == ["basics"]
    assert release.released_test_files(plan, plan.item("a2")) == ["test_mse", "test_clip_grad_norm"]
    assert release.released_test_files(plan, plan.item("a1")) == []
    text = release._assignment_section(plan, plan.item("a2"))
    assert (
        "- `losses.mse.tests` (Write the tests: Mean squared error), in `starter/test_mse.py`"
        in (text)
    )

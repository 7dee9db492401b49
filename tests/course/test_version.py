"""The grader version (``descent.course.version``): what decides whether a stored grade is still
the grade. It follows the graders' and the solutions' bytes and names, the selection and the
device, and nothing a run leaves behind (caches, bytecode)."""

from __future__ import annotations

import pytest

from descent.course.version import grader_version

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def kit(tmp_path):
    for folder in ("graders", "solutions"):
        (tmp_path / folder).mkdir()
    (tmp_path / "graders" / "test_losses.py").write_text("def test_mse(): pass\n")
    (tmp_path / "solutions" / "losses.py").write_text("def mse_forward(p, t): ...\n")
    return tmp_path


def test_a_change_of_a_grader_a_solution_or_the_options_is_another_version(kit):
    first = grader_version(kit)
    assert first == grader_version(kit) and first.startswith("0.") and "+" in first
    assert grader_version(kit, selection="mse") != first
    assert grader_version(kit, device="cuda") != first
    (kit / "solutions" / "losses.py").write_text("def mse_forward(p, t): return 0\n")
    assert grader_version(kit) != first
    second = grader_version(kit)
    (kit / "graders" / "test_losses.py").rename(kit / "graders" / "test_loss.py")
    assert grader_version(kit) != second


def test_what_a_run_leaves_behind_is_no_new_version(kit):
    first = grader_version(kit)
    for leftover in ("__pycache__/x.cpython-311.pyc", ".hypothesis/db", ".descent/results.json"):
        path = kit / "graders" / leftover
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    (kit / "solutions" / "losses.pyc").write_bytes(b"\0")
    assert grader_version(kit) == first


def test_a_kit_without_its_graders_is_refused(tmp_path):
    (tmp_path / "solutions").mkdir()
    with pytest.raises(FileNotFoundError, match="the kit's graders/ folder is missing"):
        grader_version(tmp_path)

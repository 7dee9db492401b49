"""``descent new-exercise``: in a copy of the kit, the scaffold writes every piece of a new
exercise, keeps the stubs and the docs tables in step, and the audit refuses it until its TODOs
are filled."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kit")
    for folder in ("src", "solutions", "starter", "exercises", "graders", "docs"):
        shutil.copytree(
            KIT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    return root


@pytest.fixture(scope="module")
def scaffolded(copy) -> dict[tuple[str, str], subprocess.CompletedProcess]:
    """The copy with two exercises scaffolded (one in an existing module, one in a new one),
    by each worker that runs a test needing it: pytest-xdist may split this module's tests."""
    pairs = (("basics", "double_it"), ("metrics", "accuracy"))
    return {pair: descent(copy, "new-exercise", *pair) for pair in pairs}


def descent(root: Path, *argv: str) -> subprocess.CompletedProcess:
    # The copy's own package, so that the registry it edits is the one it imports.
    env = dict(os.environ, PYTHONPATH=str(root / "src"), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "descent", *argv],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_new_exercise_in_an_existing_module_and_in_a_new_one(copy, scaffolded):
    for (module, name), run in scaffolded.items():
        assert run.returncode == 0, run.stdout + run.stderr
        for path in (
            f"solutions/{module}.py",
            f"starter/{module}.py",
            f"exercises/test_{module}.py",
            f"graders/test_{module}.py",
            f"graders/catalogue/{module}.py",
        ):
            assert (
                f"def {name}(" in (copy / path).read_text()
                or f"_{name}_" in (copy / path).read_text()
            ), path
        assert f'Exercise("{module}.{name}"' in (copy / "src/descent/registry.py").read_text()
        assert f"`{module}.{name}`" in (copy / "docs/exercises.md").read_text()
    assert descent(copy, "stubs", "--check").returncode == 0
    assert descent(copy, "docs", "--check").returncode == 0
    # the stub raises, naming the exercise, like every other stub
    assert 'NotImplementedError("metrics.accuracy' in (copy / "starter/metrics.py").read_text()


def test_the_audit_refuses_a_scaffold_until_its_todos_are_filled(copy, scaffolded):
    run = descent(copy, "audit", "--module", "basics")
    assert run.returncode == 2
    said = " ".join(run.stdout.split())
    for where in (
        "src/descent/registry.py",
        "solutions/basics.py",
        "exercises/test_basics.py",
        "graders/test_basics.py",
        "graders/catalogue/basics.py",
        "docs/exercises.md",
    ):
        assert where in said, where


@pytest.mark.parametrize(
    "argv, complaint",
    [
        (("basics", "gd_regime"), "basics.gd_regime is already in the registry"),
        (("Basics", "x"), "give a lower-case Python name"),
        (("losses", "mse_forward"), "already defines mse_forward"),
    ],
)
def test_a_clash_or_a_bad_name_is_refused_and_changes_nothing(tmp_path, argv, complaint):
    root = tmp_path / "kit"
    for folder in ("src", "solutions", "docs"):
        shutil.copytree(
            KIT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    (root / "graders").mkdir()
    before = (root / "src/descent/registry.py").read_text()
    run = descent(root, "new-exercise", *argv)
    assert run.returncode == 2 and complaint in " ".join(run.stdout.split())
    assert (root / "src/descent/registry.py").read_text() == before


def test_the_kit_itself_has_no_scaffold_left():
    from descent.scaffold import unfinished

    assert unfinished(KIT) == []

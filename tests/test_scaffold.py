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
    shutil.copy(KIT / "pyproject.toml", root)  # the formatter's settings
    return root


# (module, name, options): an existing module, a new one, and two modules with a naming
# convention of their own (optimizers: NAME_step; losses: a NAME_forward/NAME_backward pair).
SCAFFOLDS = (
    ("basics", "double_it"),
    ("metrics", "accuracy"),
    ("optim", "lion", "--title", "Lion"),
    ("losses", "smooth_l1"),
)


@pytest.fixture(scope="module")
def scaffolded(copy) -> dict[tuple[str, str], subprocess.CompletedProcess]:
    """The copy with the exercises of SCAFFOLDS scaffolded, by each worker that runs a test
    needing it: pytest-xdist may split this module's tests."""
    return {argv[:2]: descent(copy, "new-exercise", *argv) for argv in SCAFFOLDS}


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
        if module not in ("basics", "metrics"):
            continue  # functions named by a convention: the next test
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


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def test_each_piece_follows_its_module_s_naming_convention(copy, scaffolded):
    assert all(run.returncode == 0 for run in scaffolded.values())
    registry = (copy / "src/descent/registry.py").read_text()
    # each entry in its module's own list, in the form of its neighbours
    assert '("lion", "Lion"),' in _between(registry, "_OPTIM = [", "\n]\n")
    assert '_pair("losses", "smooth_l1", ' in _between(registry, "_LOSSES = [", "\n]\n")
    assert 'Exercise("basics.double_it", ' in _between(registry, "_BASICS = [", "\n]\n")
    assert "_NEW_" not in registry
    read = {p: (copy / p).read_text() for p in ("solutions/optim.py", "solutions/losses.py")}
    assert "def lion_step(param, grad, state, lr):" in read["solutions/optim.py"]
    assert "def smooth_l1_forward(x):" in read["solutions/losses.py"]
    assert "def smooth_l1_backward(dout, cache):" in read["solutions/losses.py"]
    for module, first, last in (
        ("optim", "lion_step", "lion_step"),
        ("losses", "smooth_l1_forward", "smooth_l1_backward"),
    ):
        assert f"def {last}(" in (copy / f"starter/{module}.py").read_text()
        assert f"def {first}(" in (copy / f"graders/catalogue/{module}.py").read_text()
        assert f"m.{module}.{first}(" in (copy / f"exercises/test_{module}.py").read_text()
    assert "`lion_step(param, grad, state, lr)`" in (copy / "docs/exercises.md").read_text()
    # the hidden checks are declared where the module's graders declare their exercises
    optim = _between((copy / "graders/test_optim.py").read_text(), "OPTIMIZERS = [", "\n]\n")
    assert 'Optimizer("optim.lion", ' in optim
    losses = _between((copy / "graders/test_losses.py").read_text(), "SPECS = [", "\n]\n")
    assert 'PairSpec("losses.smooth_l1", ' in losses


def test_an_optimizer_s_registry_entry_is_complete_with_its_title(copy, scaffolded):
    from descent.scaffold import MARKER

    text = (copy / "src/descent/registry.py").read_text()
    left = [line for line in text.splitlines() if MARKER in line]
    assert '("lion", "Lion"),' in text
    assert left and not [line for line in left if "lion" in line], left


def test_what_the_scaffold_writes_is_formatted_and_lint_free(copy, scaffolded):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[ci]')")
    for argv in (("format", "--check"), ("check",)):
        run = subprocess.run(
            [ruff, *argv, "src/descent/registry.py", "graders"],
            cwd=copy,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


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
        (("basics", "sgd_step"), "sgd_step is taken"),
        (("optim", "lion", "--pair"), "no --pair here"),
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

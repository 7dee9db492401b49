"""Build the student bundle: what a student downloads, and nothing an instructor keeps back.

The bundle holds ``starter/`` (the stubs), ``exercises/`` (public tests), the ``descent`` tooling
(so ``pytest exercises/`` prints the per-exercise table), a student README and a GitHub Actions
workflow that runs the public tests on every push. It never holds ``solutions/``, ``graders/``,
the kit's ``tests/``, sample submissions or lab sources, and the build refuses to finish if a
solution region leaked into a copied file. Its ``starter/`` is made from ``solutions/`` by
:mod:`descent.authoring.stubgen`, never copied from the kit's ``starter/``: a learner working there (self
study) neither stops a release nor sends their work out with it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..errors import DescentError
from .stubgen import fresh_stubs, generate

# Copied from the kit, relative paths; nothing else is.
INCLUDED = ("exercises", "src/descent")
STARTER_PACKAGE = "starter/__init__.py"  # written by hand, not generated
STUDENT_README = "docs/student-readme.md"
STUDENT_WORKFLOW = "workflows/student.yml"  # the public tests on every push (GitHub Actions)
# The bundle's setup.py: installing the bundle also installs _descent-interrupt.pth, which makes
# a Ctrl-C one line from Python's start in a pytest run (descent.grading.early_interrupt).
STUDENT_SETUP = "bundle/setup.py"
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
KIT_ADDOPTS = 'addopts = "-p no:cacheprovider"'
# descent.grading.interrupt first of all: importing it makes a Ctrl-C during the rest of the
# start-up one line, however many plugins the student's environment loads before the grading
# plugin (the plugin itself keeps its entry point); hypothesis's plugin left out.
STUDENT_ADDOPTS = (
    'addopts = "-p descent.grading.interrupt -p no:cacheprovider -p no:hypothesispytest"'
)
# The torch versions a bundle accepts, in place of the kit's exact pin: the oldest and the newest
# release of the range pass the solutions' public run (STUDENT_TORCH_SHOWN;
# docs/reference/versions.md says how it was shown). A torch a student already has in the range
# is kept; the hidden grading keeps the kit's pin.
STUDENT_TORCH = "torch>=2.4,<2.16"
STUDENT_TORCH_SHOWN = ("2.4.1", "2.15.0")
_KIT_TORCH = re.compile(r'^(\s*)"torch==[^"]+",', re.M)
# build/ and *.egg-info/: what `pip install .` leaves in the folder
STUDENT_GITIGNORE = ".venv/\nvenv/\n__pycache__/\n*.pyc\n.pytest_cache/\n.hypothesis/\n.descent/\nbuild/\n*.egg-info/\n"


class BundleError(DescentError, RuntimeError):
    pass


def _ignore(_dir: str, names: list[str]) -> set[str]:
    return {
        n
        for n in names
        if n in ("__pycache__", ".pytest_cache", ".descent") or n.endswith((".pyc", ".egg-info"))
    }


def build_student_bundle(kit: Path, out: Path) -> Path:
    kit, out = Path(kit), Path(out)
    stubs = fresh_stubs(kit / "solutions")
    if out.exists():
        if any(out.iterdir()):
            raise BundleError(f"{out} exists and is not empty; choose a new folder")
        out.rmdir()
    out.mkdir(parents=True)
    for rel in INCLUDED:
        shutil.copytree(kit / rel, out / rel, ignore=_ignore)
    (out / "starter").mkdir()
    shutil.copy(kit / STARTER_PACKAGE, out / STARTER_PACKAGE)
    for name, stub in stubs.items():
        (out / "starter" / name).write_text(stub)
    shutil.copy(kit / STUDENT_README, out / "README.md")
    (out / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(kit / STUDENT_WORKFLOW, out / ".github" / "workflows" / "descent.yml")
    pyproject = (kit / "pyproject.toml").read_text()
    # Students run their public tests by default, not the kit's own test suite.
    pyproject = pyproject.replace('testpaths = ["tests"]', 'testpaths = ["exercises"]')
    # The public tests use no hypothesis, but its pytest plugin imports all of hypothesis at the
    # end of every run (its terminal summary): a third of a CPU-second, over a second where
    # bytecode is not written and pytest rewrites the asserts of a plugin's package from source.
    # `pytest -p hypothesispytest` brings it back.
    pyproject = pyproject.replace(KIT_ADDOPTS, STUDENT_ADDOPTS)
    if STUDENT_ADDOPTS not in pyproject:
        raise BundleError(f"the kit's pyproject.toml no longer has the line {KIT_ADDOPTS}")
    pyproject, pins = _KIT_TORCH.subn(rf'\1"{STUDENT_TORCH}",', pyproject)
    if pins != 1:
        raise BundleError('the kit\'s pyproject.toml no longer pins torch as "torch==VERSION"')
    (out / "pyproject.toml").write_text(pyproject)
    shutil.copy(kit / STUDENT_SETUP, out / "setup.py")
    # What a run leaves behind stays out of the student's repository (the workflow pushes it).
    (out / ".gitignore").write_text(STUDENT_GITIGNORE)
    _check_no_leak(out)
    return out


def stale_starter(kit: Path) -> list[str]:
    """The files of the kit's ``starter/`` that are not the stubs of ``solutions/`` (a learner's
    work, or stubs not regenerated): the bundle does not use them."""
    return generate(Path(kit) / "solutions", Path(kit) / "starter", check=True)


STALE_NOTE = (
    "note: starter/ is not the stubs of solutions/ ({files}); the bundle holds the stubs made "
    "from solutions/. `descent stubs` would rewrite those files of starter/ that hold nothing "
    "of yours; a file with your code in it is kept and its fresh stub written beside it as "
    "FILE.py.new"
)


def _check_no_leak(out: Path) -> None:
    # The tooling names the markers (it strips them); only the student's material must not.
    student_files = [
        out / "README.md",
        *(out / "starter").rglob("*.py"),
        *(out / "exercises").rglob("*.py"),
    ]
    for path in student_files:
        text = path.read_text(errors="replace")
        for marker in LEAK_MARKERS:
            if marker in text:
                raise BundleError(
                    f"{path.relative_to(out)} contains '{marker}': a solution "
                    f"would leak into the student bundle"
                )
    for forbidden in ("solutions", "graders", "tests", "samples"):
        if (out / forbidden).exists():
            raise BundleError(f"{forbidden}/ must not be in the student bundle")

"""The student bundle (``descent.authoring.bundle``): only student material goes in, pytest run in
it reports every exercise not implemented, a folder that is not empty is refused, and it asks for
the range of torch its public tests are shown to pass on, keeping one a student has."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import KIT
from packaging.requirements import Requirement
from packaging.version import Version

from descent.authoring.bundle import (
    STUDENT_TORCH,
    STUDENT_TORCH_SHOWN,
    BundleError,
    build_student_bundle,
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_student_bundle(KIT, tmp_path_factory.mktemp("bundle") / "student")


def test_bundle_holds_only_student_material(bundle):
    top = sorted(p.name for p in bundle.iterdir())
    assert top == [
        ".github",
        ".gitignore",
        "README.md",
        "exercises",
        "pyproject.toml",
        "setup.py",
        "src",
        "starter",
    ]
    ignored = (bundle / ".gitignore").read_text().split()
    assert ".venv/" in ignored and ".descent/" in ignored
    assert "build/" in ignored  # what `pip install .` leaves behind (the bundle has a setup.py)
    assert (bundle / ".github" / "workflows" / "descent.yml").is_file()
    assert not (bundle / "src" / "descent" / "__pycache__").exists()
    for folder in ("starter", "exercises"):
        for path in (bundle / folder).rglob("*.py"):
            assert "BEGIN SOLUTION" not in path.read_text(), path
    pyproject = (bundle / "pyproject.toml").read_text()
    assert 'testpaths = ["exercises"]' in pyproject
    assert (
        'addopts = "-p descent.grading.interrupt -p no:cacheprovider -p no:hypothesispytest"'
        in pyproject
    )


def test_pytest_in_the_bundle_reports_every_exercise_not_implemented(bundle):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["COLUMNS"] = "80"  # a plain terminal
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "not implemented" in proc.stdout and "Traceback" not in proc.stdout
    doc = json.loads((bundle / ".descent" / "results.json").read_text())
    (block,) = doc["implementations"]
    assert block["name"] == "starter" and block["points"] == 0
    assert {e["status"] for e in block["exercises"]} == {"not_implemented"}
    lines = proc.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "grades" in line)
    end = next(i for i, line in enumerate(lines) if line.startswith("results written to"))
    table = lines[start:end]  # the path on the next line is as long as it is
    assert max(len(line) for line in table) <= 80, table
    # one line per untouched exercise, plus a few for the title, header, total and footer
    assert len(table) <= len(block["exercises"]) + 10, len(table)


def test_bundle_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(BundleError, match="not empty"):
        build_student_bundle(KIT, tmp_path)


def _dependencies(pyproject: Path) -> list[Requirement]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the kit's dependency on Python 3.10
        import tomli as tomllib
    project = tomllib.loads(pyproject.read_text())["project"]
    return [Requirement(text) for text in project["dependencies"]]


def test_the_bundle_asks_for_the_torch_range_its_public_tests_are_shown_to_pass_on(bundle):
    (torch,) = [r for r in _dependencies(bundle / "pyproject.toml") if r.name == "torch"]
    assert str(torch.specifier) == str(Requirement(STUDENT_TORCH).specifier)
    oldest, newest = STUDENT_TORCH_SHOWN  # the range's ends, shown (docs/reference/versions.md)
    assert all(torch.specifier.contains(v) for v in STUDENT_TORCH_SHOWN)
    assert not torch.specifier.contains(f"{Version(oldest).major}.{Version(oldest).minor - 1}.0")
    assert not torch.specifier.contains(f"{Version(newest).major}.{Version(newest).minor + 1}.0")
    (kit,) = [r for r in _dependencies(KIT / "pyproject.toml") if r.name == "torch"]
    assert str(kit.specifier).startswith("==") and torch.specifier.contains(
        str(kit.specifier)[2:]
    )  # the hidden grading's pin is in the range
    for text in (
        (bundle / "README.md").read_text(),
        (KIT / "workflows" / "student.yml").read_text(),
    ):
        assert f'"{STUDENT_TORCH}"' in text


def test_installing_the_bundle_keeps_the_torch_a_student_has(bundle, tmp_path):
    """pip itself, offline, on the bundle's dependencies: with a torch of the range installed
    (this environment's), setting up the bundle installs nothing over it. (Its own metadata is not
    built: an old setuptools beside an older Python could not, offline.) The machine's pip
    settings are left out: a student has none of them."""
    report = tmp_path / "report.json"
    requirements = [str(r) for r in _dependencies(bundle / "pyproject.toml")]
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--quiet",
         "--report", str(report), *requirements],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(report.read_text())["install"] == []  # everything is there, torch too

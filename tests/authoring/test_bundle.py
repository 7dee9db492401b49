"""The student bundle (``descent.authoring.bundle``): only student material goes in, pytest run in
it reports every exercise not implemented, and a folder that is not empty is refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import KIT

from descent.authoring.bundle import BundleError, build_student_bundle


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
        "src",
        "starter",
    ]
    ignored = (bundle / ".gitignore").read_text().split()
    assert ".venv/" in ignored and ".descent/" in ignored
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

"""A Gradescope autograder: ``descent gradescope OUT.zip`` builds it, ``run_autograder`` runs it.

The archive holds ``setup.sh`` (run once when Gradescope builds the image: Python, torch 2.13.0
for the CPU and this kit), ``run_autograder`` (run for every submission) and ``kit/`` (graders,
solutions, the tooling and the course's input secret; never shown to students). ``run_autograder`` calls this module's
:func:`main`, which grades ``ROOT/submission`` exactly as ``descent batch`` grades one student
(a confined worker; see :mod:`descent.course.runner`) and writes ``ROOT/results/results.json``
in Gradescope's format (:func:`descent.reports.export.to_gradescope`). ``ROOT`` is ``/autograder``
unless ``DESCENT_AUTOGRADER_ROOT`` says otherwise, so the same script runs on a laptop against
a folder laid out like Gradescope's.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import zipfile
from pathlib import Path

from ..grading import input_seed
from ..options import seconds
from ..reports import export
from .runner import GRADED, Request, grade_submission
from .submissions import graded_folder
from .version import grader_version

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3 python3-venv python3-pip
python3 -m venv /opt/descent
# torch first and pinned, from the CPU wheels: the default index would pull the CUDA build.
/opt/descent/bin/pip install --quiet "torch==2.13.0" \\
    --index-url "${DESCENT_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
/opt/descent/bin/pip install --quiet /autograder/source/kit
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade ROOT/submission in a confined worker and
# write ROOT/results/results.json. DESCENT_AUTOGRADER_ROOT (default /autograder) and
# DESCENT_PYTHON (default /opt/descent/bin/python, made by setup.sh) make it runnable elsewhere.
set -uo pipefail
root="${DESCENT_AUTOGRADER_ROOT:-/autograder}"
cd "$root/source/kit" || exit 1
exec "${DESCENT_PYTHON:-/opt/descent/bin/python}" -m descent.course.gradescope "$root"
"""

# Gradescope stops a whole autograder run after its overall limit (10 minutes unless the
# assignment's settings raise it, up to 40) and then shows the student a 0 with no explanation.
# The grading's own limit stays a minute under it, so a submission that runs too long still gets
# a results.json saying so. Raise both together (DESCENT_TIMEOUT_S in run_autograder's
# environment).
GRADESCOPE_LIMIT_S = 600
TIMEOUT_S = GRADESCOPE_LIMIT_S - 60

# What of the kit goes into the archive (relative paths); nothing a student may see is needed.
KIT_PARTS = ("graders", "solutions", "src/descent", "pyproject.toml", "README.md")
_SKIP = {"__pycache__", ".pytest_cache", ".hypothesis", ".descent"}


SELECTION = "descent-selection.txt"  # an assignment's ``-k`` expression (per-assignment archive)
POINTS = "descent-points.txt"  # the assignment's total in the plan: scores are scaled to it


def build(kit: Path, out: Path, selection: str = "", points: float | None = None) -> Path:
    if out.suffix != ".zip":
        raise ValueError(f"{out}: the autograder archive must be a .zip")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        _add_text(zf, "setup.sh", SETUP, executable=True)
        _add_text(zf, "run_autograder", RUN, executable=True)
        if selection:
            _add_text(zf, f"kit/{SELECTION}", selection, executable=False)
        if points:
            _add_text(zf, f"kit/{POINTS}", repr(float(points)), executable=False)
        # The course's secret: the autograder draws the inputs a local grading of the same code
        # draws (descent.grading.input_seed). Readable by its owner only, as on the kit.
        secret = input_seed.course_secret(kit)
        _add_text(zf, f"kit/{input_seed.SECRET_FILE.as_posix()}", secret + "\n", mode=0o600)
        for part in KIT_PARTS:
            source = kit / part
            files = [source] if source.is_file() else sorted(source.rglob("*"))
            for path in files:
                rel = path.relative_to(kit)
                if path.is_file() and not _SKIP & set(rel.parts) and path.suffix != ".pyc":
                    zf.write(path, f"kit/{rel.as_posix()}")
    tmp.replace(out)
    return out


def _add_text(
    zf: zipfile.ZipFile, name: str, text: str, *, executable: bool = False, mode: int = 0
) -> None:
    info = zipfile.ZipInfo(name)
    mode = mode or (0o755 if executable else 0o644)
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def main(root: str) -> int:
    """Grade ``root/submission`` into ``root/results/results.json``; always writes a result."""

    root_path = Path(root)
    kit = Path.cwd()
    target = graded_folder(root_path / "submission")
    timeout = _timeout(os.environ.get("DESCENT_TIMEOUT_S"))
    chosen = (kit / SELECTION).read_text().strip() if (kit / SELECTION).is_file() else ""
    req = Request(
        "submission",
        str(target),
        str(kit),
        grader_version(kit, selection=chosen),
        timeout_s=timeout,
        selection=chosen,
    )
    outcome = grade_submission(req)
    if outcome.status == GRADED:
        total = float((kit / POINTS).read_text()) if (kit / POINTS).is_file() else None
        result = export.to_gradescope(outcome.results, total=total)
    else:
        result = {
            "score": 0.0,
            "execution_time": outcome.duration_s,
            "tests": [],
            "output": export.not_graded_text(outcome.status, outcome.message),
        }
    path = root_path / "results" / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    print(f"descent: {outcome.status}; score {result['score']}; written to {path}")
    return 0


def _timeout(text: str | None) -> float:
    """``DESCENT_TIMEOUT_S``, or the default when it is unset or not a positive number (the
    autograder must still write a result)."""

    try:
        return seconds(text) if text else TIMEOUT_S
    except argparse.ArgumentTypeError as exc:
        print(f"descent: DESCENT_TIMEOUT_S={text!r}: {exc}; using {TIMEOUT_S:g} s")
        return TIMEOUT_S


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/autograder"))

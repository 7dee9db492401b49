"""The kit's own suite and one grading against the import it cannot beat.

Sections ``suite`` and ``import`` of ``benchmarks/run.py``:

* :func:`suite`: ``./dev test`` as CI runs it (``.ci/run``: every CPU, the default lane), timed
  whole, with a JUnit file of that run from which the five slowest tests are read (a test's
  time there is its setup, call and teardown together, so a test that makes a session's
  grading shows it). ``--quick`` runs one small test file instead, through the same steps: a
  smoke run of the runner, not of the suite.
* :func:`grading_vs_import`: ``descent grade`` of one submission (a copy of the solutions,
  through the confined worker, the defaults) and ``python -c "import torch, pytest, numpy"``,
  interleaved, the order rotated each round; the medians' ratio is the grading's cost in
  imports, the floor no grading can go under (issue 54's target: 2.75). The import's wall time
  includes the interpreter's exit after it (its finalization, torch's teardown among it):
  0.3 to 0.9 s of its 1.4 to 2.1 s on the 2-core development machine, varying from run to run
  more than the import proper (for its size), so a host where that exit runs short gives a
  higher ratio. A grading ends with ``os._exit`` once its results are written, and has no such
  part. Each round therefore also times the import ending in ``os._exit``
  (:data:`IMPORT_NO_EXIT`): the table shows it, the ratios are not taken against it.
"""

from __future__ import annotations

import statistics
import xml.etree.ElementTree as ET
from pathlib import Path

from kit import grade_one
from timing import KIT, PYTHON, Failed, copy_solutions, kit_env, timed

IMPORT = [PYTHON, "-c", "import torch, pytest, numpy"]
# The same import without the interpreter's exit after it: shown beside the baseline (the
# difference is what the exit adds), never what the ratio is taken against.
IMPORT_NO_EXIT = [PYTHON, "-c", "import torch, pytest, numpy, os; os._exit(0)"]
# The quick mode's stand-in for the suite: one small file of fast tests.
QUICK = ["tests/test_results.py"]
SLOWEST = 5
NAMED_FAILURES = 20


def suite(tmp: Path, quick: bool, log) -> dict:
    """The suite's wall and CPU seconds, its counts, and its :data:`SLOWEST` slowest tests."""
    junit = tmp / "suite.xml"
    if quick:
        what = f"pytest {' '.join(QUICK)} (a smoke run of the runner, not the suite)"
        command = [PYTHON, "-m", "pytest", *QUICK, "-q", f"--junitxml={junit}"]
    else:
        what = "./dev test (as .ci/run runs it)"
        command = ["bash", str(KIT / "dev"), "test", f"--junitxml={junit}"]
    log(f"  the suite: {what} ...")
    try:
        run = timed(command, env=kit_env(), ok=(0, 1))
    except Failed as exc:
        return {"rows": [{"command": what, "error": str(exc)[:500]}], "slowest": []}
    counts, slowest = read_junit(junit)
    row = {"command": what, "wall_s": run.wall_s, "cpu_s": run.cpu_s, **counts}
    failed = [t for t in slowest if t.get("failed")]
    body = {"rows": [row], "slowest": slowest[:SLOWEST], "quick": quick}
    if failed:  # named, so that a run with a failure can be followed up without running it again
        body["failed"] = sorted(failed, key=lambda t: t["test"])[:NAMED_FAILURES]
    return body


def read_junit(path: Path) -> tuple[dict[str, int], list[dict]]:
    """A JUnit file's counts (tests, failures, errors, skipped) and its tests, slowest first
    (``nodeid``-like name, seconds, and for a test that failed or erred ``failed``: the first
    line of its message)."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    counts = {
        key: sum(int(s.get(key, 0)) for s in suites)
        for key in ("tests", "failures", "errors", "skipped")
    }
    tests = []
    for case in root.iter("testcase"):
        test = {
            "test": f"{case.get('classname', '')}::{case.get('name', '')}".strip(":"),
            "seconds": float(case.get("time", 0.0)),
        }
        bad = case.find("failure")
        bad = case.find("error") if bad is None else bad
        if bad is not None:
            message = (bad.get("message") or bad.text or "").strip()
            test["failed"] = (message.splitlines() or [bad.tag])[0][:200]
        tests.append(test)
    return counts, sorted(tests, key=lambda t: -t["seconds"])


def grading_vs_import(tmp: Path, repeats: int, select: list[str], log) -> dict:
    """Medians of ``repeats`` interleaved rounds of the import and one grading, their ratio,
    the median of each round's own ratio (the grading over the import beside it, which a
    machine whose speed drifts during the run moves less) and the ratio of the fastest rounds;
    ``select`` narrows the grading (``-k mse`` in the quick mode). Each round also times the
    import without the interpreter's exit (:data:`IMPORT_NO_EXIT`), for the table only. Every
    round's walls are kept."""
    sub = copy_solutions(tmp / "one", "one")
    walls: dict[str, list[float]] = {"import": [], "import_no_exit": [], "grading": []}
    commands = {"import": IMPORT, "import_no_exit": IMPORT_NO_EXIT}
    errors = []
    for n in range(repeats):
        order = list(walls)[n % 3 :] + list(walls)[: n % 3]
        for what in order:
            log(f"  grading vs import: {what}, round {n + 1} of {repeats} ...")
            try:
                if what in commands:
                    walls[what].append(timed(commands[what], env=kit_env()).wall_s)
                else:
                    got = grade_one(sub, tmp / "r.json", select)
                    if got["lost_points"]:
                        errors.append(f"the grading lost points: {got['lost_points']}")
                    walls[what].append(got["wall_s"])
            except Failed as exc:
                errors.append(str(exc)[:500])
    rows = [
        {"what": what, "wall_s": statistics.median(w), "runs": len(w)}
        for what, w in walls.items()
        if w
    ]
    body: dict = {"rows": rows, "select": " ".join(select), "rounds": walls}
    if errors:
        body["rows"].append({"what": "problem", "error": errors[0]})
    if walls["import"] and walls["grading"]:
        body["ratio"] = statistics.median(walls["grading"]) / statistics.median(walls["import"])
        pairs = zip(walls["grading"], walls["import"])
        body["paired_ratio"] = statistics.median(g / i for g, i in pairs)
        # each command at its fastest: what a machine that never slows either down would give
        # (on the 2-core machine the import, not the grading, has the rounds far faster than
        # its median, so this ratio may run above the others)
        body["best_ratio"] = min(walls["grading"]) / min(walls["import"])
    return body

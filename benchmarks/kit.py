"""The full kit: the hidden graders per submission, and the student's loop.

Sections 2 and 3 of ``benchmarks/run.py``:

* :func:`full_graders`: for each class size N, ``descent grade`` on N submissions in-process
  (``--isolation none --insecure``), isolated (the default: a confined worker per submission,
  and two processes sharing the tests of one submission where ``--test-processes auto`` finds
  two idle CPUs) and isolated with ``--test-processes 1``, and ``descent batch`` on a class
  folder of the same N, the four commands interleaved; each
  command's wall and CPU seconds, per submission. Every run must give every submission full
  marks (the submissions are copies of the solutions), or the row says what went wrong.
* :func:`profile`: where the time of one isolated grading goes, per grader module and per kind
  of test (the test's name without its parameters), from the results file's test durations.
* :func:`student_loop`: ``pytest exercises/`` in a student bundle, whole and one module, on the
  stubs and on a bundle whose ``starter/`` holds the solutions.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import defaultdict
from pathlib import Path

from timing import KIT, PYTHON, Failed, class_folder, kit_env, timed

from descent.authoring import budget


def _grade(subs: list[Path], results: Path, *mode: str) -> dict:
    command = [
        PYTHON,
        "-m",
        "descent",
        "grade",
        *map(str, subs),
        "--results",
        str(results),
        "--exit-zero",
        *mode,
    ]
    run = timed(command, env=kit_env())
    doc = json.loads(results.read_text())
    short = [b["name"] for b in doc["implementations"] if b["points"] != b["max_points"]]
    return {
        "wall_s": run.wall_s,
        "cpu_s": run.cpu_s,
        "lost_points": short,
        "doc": doc,
        "test_processes": doc["environment"].get("test_processes", 1),
    }


def grade_one(sub: Path, results: Path, select: list[str]) -> dict:
    """``descent grade`` of one submission through the confined worker, with its defaults
    (``select``: ``-k EXPR``); wall and CPU seconds, and whether it lost points."""
    return _grade([sub], results, *select)


def _batch(folder: Path, out: Path, count: int, *select: str) -> dict:
    """``descent batch`` of the ``count`` submissions in ``folder``; a submission that lost
    points or was not graded at all is reported in ``lost_points``."""
    shutil.rmtree(out, ignore_errors=True)
    run = timed(
        [PYTHON, "-m", "descent", "batch", str(folder), "--out", str(out), "--no-reports", *select],
        env=kit_env(),
    )
    db = sqlite3.connect(out / "gradebook.sqlite")
    rows = list(db.execute("SELECT points, max_points FROM submissions"))
    db.close()
    short = sum(1 for points, most in rows if points != most)
    lost = [f"{short} of {len(rows)} submissions"] if short else []
    if len(rows) != count:
        lost.append(f"{len(rows)} of {count} submissions graded")
    return {"wall_s": run.wall_s, "cpu_s": run.cpu_s, "lost_points": lost}


MODES = {
    "grade, in-process": lambda subs, folder, tmp, k: _grade(
        subs, tmp / "r.json", "--isolation", "none", "--insecure", *k
    ),
    "grade, isolated": lambda subs, folder, tmp, k: _grade(subs, tmp / "r.json", *k),
    # the same with its tests in one process: the gain of --test-processes, paired in one run
    "grade, isolated, one process": lambda subs, folder, tmp, k: _grade(
        subs, tmp / "r.json", "--test-processes", "1", *k
    ),
    "batch, isolated": lambda subs, folder, tmp, k: _batch(
        folder, tmp / "batch-out", len(subs), *k
    ),
}


def full_graders(
    sizes: list[int],
    tmp: Path,
    log,
    select: list[str] = (),
    batch_class: int = 0,
    batch_per_size: bool = True,
) -> tuple[list[dict], dict | None]:
    """Rows per (size, mode) for each of ``sizes``, then ``descent batch`` alone on a class of
    ``batch_class`` (0: none); also the results document of the first isolated ``descent
    grade`` run, the smallest size (for :func:`profile` and :func:`budget_rows`).
    ``select``: extra options (``-k EXPR``). ``batch_per_size=False`` leaves ``descent batch``
    out of the sizes' modes (the quick smoke run: the class of ``batch_class`` runs it)."""
    rows, first_doc = [], None
    sized = {m: run for m, run in MODES.items() if batch_per_size or m != "batch, isolated"}
    plan = [(n, dict(sized)) for n in sizes]
    if batch_class:
        plan.append((batch_class, {"batch, isolated": MODES["batch, isolated"]}))
    for n, modes in plan:
        folder = tmp / f"class{n}"
        subs = class_folder(folder, n)
        for mode, run in modes.items():  # interleaved: the modes of a size run together
            log(f"  full graders: {mode}, {n} submission(s) ...")
            try:
                got = run(subs, folder, tmp, list(select))
            except Failed as exc:
                rows.append({"submissions": n, "mode": mode, "error": str(exc)[:500]})
                continue
            if mode == "grade, isolated" and first_doc is None:
                first_doc = got.get("doc")
            rows.append(
                {
                    "submissions": n,
                    "mode": mode,
                    "wall_s": got["wall_s"],
                    "cpu_s": got["cpu_s"],
                    "wall_per_submission_s": got["wall_s"] / n,
                    "cpu_per_submission_s": got["cpu_s"] / n,
                    "lost_points": got["lost_points"],
                    "test_processes": got.get("test_processes"),
                }
            )
        shutil.rmtree(folder, ignore_errors=True)
    return rows, first_doc


def profile(doc: dict) -> dict[str, list[tuple[str, float, int]]]:
    """Seconds and test counts per grader module and per test kind, largest first."""
    by = {"module": defaultdict(lambda: [0.0, 0]), "test kind": defaultdict(lambda: [0.0, 0])}
    for test in doc.get("tests", []):
        module = test["nodeid"].split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
        kind = f"{module}::{test['name'].split('[')[0]}"
        for key, name in (("module", module), ("test kind", kind)):
            by[key][name][0] += test["duration_s"]
            by[key][name][1] += 1
    return {
        key: sorted(((k, round(s, 3), c) for k, (s, c) in table.items()), key=lambda r: -r[1])
        for key, table in by.items()
    }


def _bundle(tmp: Path, name: str, solved: bool) -> Path:
    from descent.authoring.bundle import build_student_bundle

    bundle = build_student_bundle(KIT, tmp / name)
    if solved:
        shutil.rmtree(bundle / "starter")
        shutil.copytree(KIT / "solutions", bundle / "starter")
    return bundle


def student_loop(tmp: Path, module: str, repeats: int, log, whole: bool = True) -> list[dict]:
    """``pytest exercises/`` (``whole``) and one module in a student bundle, solutions and stubs,
    interleaved; median wall and CPU seconds of ``repeats`` runs each."""
    import statistics

    bundles = {"solutions": _bundle(tmp, "solved", True), "stubs": _bundle(tmp, "stubs", False)}
    targets = {f"one module ({module})": f"exercises/test_{module}.py"}
    if whole:
        targets = {"whole": "exercises/", **targets}
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    cpu: dict[tuple[str, str], list[float]] = defaultdict(list)
    errors = {}
    for _ in range(repeats):
        for target, path in targets.items():
            for code, bundle in bundles.items():
                log(f"  student loop: {code}, {target} ...")
                try:
                    run = timed(
                        [PYTHON, "-m", "pytest", path, "-q", "-p", "no:cacheprovider"],
                        cwd=bundle,
                        env=kit_env(),
                        ok=(0, 1),
                    )
                except Failed as exc:
                    errors[(code, target)] = str(exc)[:500]
                    continue
                if code == "solutions" and run.returncode != 0:
                    errors[(code, target)] = "the solutions failed a public test:\n" + run.tail()
                samples[(code, target)].append(run.wall_s)
                cpu[(code, target)].append(run.cpu_s)
    rows = []
    for target in targets:
        for code in bundles:
            key = (code, target)
            row = {"code": code, "target": target}
            if key in errors:
                row["error"] = errors[key]
            if samples[key]:
                row.update(
                    wall_s=statistics.median(samples[key]),
                    cpu_s=statistics.median(cpu[key]),
                    runs=len(samples[key]),
                )
            rows.append(row)
    return rows


def budget_rows(doc: dict | None, measure: bool) -> dict:
    """The graders' budget table in seconds: per grader module, the summed test durations of
    one isolated grading (``doc``) beside the work counted on the solutions, measured now
    (``measure``) or as last recorded in graders/budget.toml, and the budgets."""
    budgets, recorded = budget.load(KIT)
    counts = budget.measure(KIT) if measure else recorded
    seconds: dict[str, list] = defaultdict(lambda: [0.0, 0])
    for test in (doc or {}).get("tests", []):
        module = test["nodeid"].split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
        entry = seconds[module.removeprefix("test_")]
        entry[0] += test["duration_s"]
        entry[1] += 1
    rows = []
    for module in sorted(set(counts) | set(seconds)):
        s, tests = seconds.get(module, (None, 0))
        rows.append(
            {
                "module": module,
                "seconds": None if s is None else round(s, 3),
                "tests": tests,
                "counts": counts.get(module, {}),
                "budget": budgets.get(module, {}),
            }
        )
    return {"rows": rows, "counts": "measured" if measure else "recorded"}

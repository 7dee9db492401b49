"""Descent's speed in one command: against nbgrader and otter-grader, the full graders, the
student's loop, and the reference solutions against PyTorch.

    .venv/bin/python benchmarks/run.py            # full mode (the suite's time and 15 minutes)
    .venv/bin/python benchmarks/run.py --quick    # CI smoke run: checks the runner, no timing
    .venv/bin/python benchmarks/run.py --profile  # also where the graders' time goes

Sections (``--sections`` picks some and their order; by default all, the peers last so that a
first run installs their environments after the kit's own measurements):

1. ``peers``: one small assignment (cross-entropy forward and backward, one Adam step; seven
   checks) graded for N submissions (``--peer-submissions``, default 20) by Descent through
   confined workers, by ``nbgrader autograde`` and by otter-grader (``otter run``), each peer
   from its own virtual environment under ``.bench-venvs/`` (installed on first use); per
   submission, and the ratio to nbgrader. See ``benchmarks/peers.py``.
2. ``kit``: the full hidden graders on copies of the solutions: one submission alone through
   ``descent grade`` in-process and isolated and through ``descent batch`` (each size of
   ``--class-sizes``, default 1), then a class of ``--batch-class`` submissions (default 50)
   through ``descent batch`` alone; wall and CPU seconds per submission. Then the graders'
   budget table in seconds: per grader module, the test durations of the one isolated grading
   beside the work the module makes the solutions do, counted now (``descent.authoring.budget``; the
   counts last recorded in ``graders/budget.toml`` with ``--quick``), and its budget.
   ``--profile`` adds the time per kind of test. See ``benchmarks/kit.py``.
3. ``loop``: ``pytest exercises/`` in a student bundle on the solutions and on the stubs, whole and
   one module (``--module``).
4. ``ops``: forward plus backward of the reference operations against PyTorch, on CPU (one torch
   thread by default, ``--threads``) and on CUDA when a device is present. See
   ``benchmarks/reference_ops.py``.
5. ``import``: one grading (``descent grade`` of a copy of the solutions through the confined
   worker) against ``import torch, pytest, numpy``, interleaved, ``--import-repeats`` rounds
   (default 5); the ratio of the medians (what the target judges) and, beside it, the median
   of each round's own ratio with each command's fastest and slowest round, which show how
   much the machine's speed moved during the run, and the ratio of the two fastest rounds
   (each command as a machine that never slowed it would run it). The import's time includes
   the interpreter's exit after it, which varies from run to run; each round also times the
   import ending in ``os._exit``, shown beside it and never divided by
   (``benchmarks/suite.py``).
6. ``suite``: ``./dev test`` as CI runs it, its wall and CPU seconds and its five slowest tests
   (from a JUnit file of that run); more than ten minutes on two cores. ``--quick`` runs one
   small test file through the same steps instead.

The run ends with the headline figures, printed and at the top of ``RESULTS.md``: the suite's
wall time, one grading's ratio to the import, ``descent batch``'s CPU seconds per submission
(the class of ``--batch-class``) and the suite's five slowest tests.

Each section interleaves the commands it compares, so a change of load hits them alike; on a
shared machine compare within one run only. The full mode writes ``benchmarks/RESULTS.md`` and
``benchmarks/results.json`` (``--out`` changes the folder); ``--quick`` writes them only under
``--out``. ``--quick`` uses 1 peer submission, one submission graded with ``-k mse`` by
``descent grade`` and then, as a class of 1, once by ``descent batch``, one module of the
student's loop, small tensors, one round of the import against a grading with ``-k mse`` and one
small test file for the suite: each command runs once, on as little as shows that it works (a
second submission ran the same code again: about 10 s of CI). It installs nothing (a peer whose
environment is not there yet is reported as skipped) and asserts that every section produced its
rows, never a timing.

The other scripts here answer narrower questions and stay as they are: ``isolation_overhead.py``
(the cost of one call through a worker, and of a test), ``batch_class.py`` (``descent batch``
with several jobs and on a Dask cluster), ``labs_autograde.py`` (nbgrader labs, one kit against
another) and ``similarity_class.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kit  # noqa: E402
import peers  # noqa: E402
import report  # noqa: E402
import suite  # noqa: E402
from timing import KIT  # noqa: E402

# The default order: the suite after the kit's own measurements (it keeps both CPUs busy for
# minutes), the peers last, after any install.
SECTIONS = ("import", "kit", "loop", "ops", "suite", "peers")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="CI smoke run (a minute or two)")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, from {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--peer-submissions",
        type=int,
        default=None,
        metavar="N",
        help="submissions per peer (default 20; --quick 1)",
    )
    parser.add_argument(
        "--class-sizes",
        default=None,
        metavar="N,N",
        help="submissions graded by descent grade (in-process, isolated) and descent batch "
        "(default 1)",
    )
    parser.add_argument(
        "--batch-class",
        type=int,
        default=None,
        metavar="N",
        help="a class of N graded by descent batch alone (default 50; --quick 1; 0: none)",
    )
    parser.add_argument("--module", default="losses", help="the one module of the student loop")
    parser.add_argument(
        "--loop-repeats",
        type=int,
        default=None,
        metavar="R",
        help="runs of each student-loop command (default 3; --quick 1)",
    )
    parser.add_argument(
        "--ops-repeats",
        type=int,
        default=None,
        metavar="R",
        help="samples per operation and side (default 15; --quick 3)",
    )
    parser.add_argument(
        "--import-repeats",
        type=int,
        default=None,
        metavar="R",
        help="rounds of the import against one grading (default 5; --quick 1)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads for the operations (default 1; see reference_ops.py)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print where one isolated grading spends its time"
    )
    parser.add_argument(
        "--note",
        action="append",
        default=[],
        metavar="TEXT",
        help="a line for RESULTS.md about this run (the machine's state, say)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="RESULTS_JSON",
        help="measure nothing: write RESULTS.md again from a results.json",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for RESULTS.md and results.json (default benchmarks/; "
        "with --quick nothing is written unless given)",
    )
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    args.sections = list(dict.fromkeys(chosen))  # the order given, each once
    q = args.quick
    args.peer_submissions = args.peer_submissions or (1 if q else 20)
    try:
        args.class_sizes = [int(n) for n in (args.class_sizes or "1").split(",")]
    except ValueError:
        parser.error("--class-sizes takes whole numbers separated by commas, e.g. 1,10")
    if min(args.class_sizes + [args.peer_submissions]) < 1:
        parser.error("sizes and counts must be at least 1")
    if args.batch_class is None:
        args.batch_class = 1 if q else 50
    if args.batch_class < 0:
        parser.error("--batch-class must be 0 (none) or more")
    args.loop_repeats = args.loop_repeats or (1 if q else 3)
    args.ops_repeats = args.ops_repeats or (3 if q else 15)
    args.import_repeats = args.import_repeats or (1 if q else 5)
    if args.out is None and not q:
        args.out = KIT / "benchmarks"
    return args


def machine() -> dict:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "platform": platform.platform(),
    }


def kit_section(args: argparse.Namespace, tmp: Path) -> dict:
    log(f"2. full graders ({args.class_sizes} alone, a class of {args.batch_class} in a batch)")
    select = ["-k", "mse"] if args.quick else []
    # the smoke run grades with descent batch once, on its class: a batch of the class of 1 as
    # well ran the same code again, about 11 s of .ci/run (the warm parent's start-up, mostly)
    rows, doc = kit.full_graders(
        args.class_sizes,
        tmp / "kit",
        log,
        select,
        batch_class=args.batch_class,
        batch_per_size=not (args.quick and args.batch_class),
    )
    body = {
        "rows": rows,
        "select": " ".join(select),
        "sizes": args.class_sizes,
        "batch_class": args.batch_class,
    }
    if doc is not None:
        body["profile"] = kit.profile(doc)
    log("  the graders' budget: the work each module makes the solutions do ...")
    body["budget"] = kit.budget_rows(doc, measure=not args.quick)
    report.print_kit(body, args.profile)
    return body


def loop_section(args: argparse.Namespace, tmp: Path) -> list[dict]:
    log("3. the student loop")
    rows = kit.student_loop(tmp / "loop", args.module, args.loop_repeats, log, whole=not args.quick)
    report.print_loop(rows)
    return rows


def ops_section(args: argparse.Namespace, tmp: Path) -> dict:
    import reference_ops
    import torch

    log(f"4. reference operations against PyTorch ({args.threads} CPU thread(s))")
    torch.set_num_threads(args.threads)
    rows = []
    for device in reference_ops.devices("all"):
        rows += reference_ops.measure(device, args.quick, args.ops_repeats)
    body = {"rows": rows, "threads": args.threads, "cuda": torch.cuda.is_available()}
    report.print_ops(body)
    return body


def peers_section(args: argparse.Namespace, tmp: Path) -> dict:
    log(f"1. peers ({args.peer_submissions} submissions each)")
    body = peers.run(tmp / "peers", args.peer_submissions, args.quick, log)
    report.print_peers(body)
    return body


def import_section(args: argparse.Namespace, tmp: Path) -> dict:
    log(f"5. one grading against the import of torch, pytest and numpy ({args.import_repeats})")
    select = ["-k", "mse"] if args.quick else []
    body = suite.grading_vs_import(tmp / "import", args.import_repeats, select, log)
    report.print_import(body)
    return body


def suite_section(args: argparse.Namespace, tmp: Path) -> dict:
    log("6. the kit's suite" + (" (quick: a smoke run of one small file)" if args.quick else ""))
    body = suite.suite(tmp, args.quick, log)
    report.print_suite(body)
    return body


RUNS = {
    "import": import_section,
    "kit": kit_section,
    "loop": loop_section,
    "ops": ops_section,
    "suite": suite_section,
    "peers": peers_section,
}


def run_sections(args: argparse.Namespace, tmp: Path, results: dict, save) -> dict:
    """Measure the chosen sections, in the order given, into ``results``; ``save`` after each
    (a run cut short keeps the sections it finished)."""
    for section in args.sections:
        results[section] = RUNS[section](args, tmp)
        save()
    return results


def check(results: dict, chosen: list[str]) -> list[str]:
    """What --quick asserts: every chosen section produced its rows, none of the kit's own
    rows says it failed or that the solutions lost points (never a timing)."""
    problems = []
    for section in chosen:
        body = results.get(section)
        rows = body if isinstance(body, list) else (body or {}).get("rows", [])
        if not rows:
            problems.append(f"{section}: no rows")
        for row in rows:
            name = row.get("tool") or row.get("mode") or row.get("what") or row.get("command")
            if "error" in row and not row.get("tool", "").startswith(("nbgrader", "otter")):
                problems.append(f"{section}: {name or row}: {row['error'][:300]}")
            if row.get("lost_points"):
                problems.append(f"{section}: {name}: lost points: {row['lost_points']}")
        if section == "suite" and rows and not body.get("slowest"):
            problems.append("suite: no test read from the run's JUnit file")
    return problems


def rewrite(path: Path) -> int:
    """``--report results.json``: RESULTS.md again, beside it, from the measured numbers."""
    try:
        results = json.loads(path.read_text())
        text = report.markdown(results)
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read {path} as a results file of this runner: {exc}", file=sys.stderr)
        return 2
    (path.parent / "RESULTS.md").write_text(text)
    print(f"wrote {path.parent / 'RESULTS.md'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.report is not None:
        return rewrite(args.report)
    command = "python benchmarks/run.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    start = time.perf_counter()
    results: dict = {
        "sections": [],
        "command": command.strip(),
        "quick": args.quick,
        "notes": args.note,
        "load_average_start": os.getloadavg(),
    }

    def save(final: bool = False) -> None:
        results.update(
            machine={**machine(), "load_average_start": results["load_average_start"]},
            duration_s=round(time.perf_counter() - start, 1),
            complete=final,
        )
        results["sections"] = [s for s in args.sections if s in results]
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
            (args.out / "RESULTS.md").write_text(report.markdown(results))

    tmp = Path(tempfile.mkdtemp(prefix="descent-bench-"))
    try:
        run_sections(args, tmp, results, save)
    except KeyboardInterrupt:
        log("interrupted: the files hold the sections finished before")
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    save(final=True)
    report.print_headline(results)
    print(f"\nthe run took {results['duration_s']:.0f} s")
    if args.out is not None:
        print(f"wrote {args.out / 'RESULTS.md'} and {args.out / 'results.json'}")
    problems = check(results, args.sections)
    for p in problems:
        print(f"benchmark problem: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""How long ``descent batch`` takes on the sample class, locally and on a Dask cluster.

    .venv/bin/python benchmarks/batch_class.py [--repeats R] [--no-dask]

The sample class of ``descent demo`` (7 students: the reference, the untouched stubs, the partial
sample, three realistic students, one hostile, one broken) is graded from scratch, into a fresh
gradebook each time, with ``--jobs 1``, ``--jobs 2`` and through a ``distributed.LocalCluster``
of two single-threaded worker processes on 127.0.0.1 (needs the ``cluster`` extra). Printed:
each run's wall time (median over R), the per-submission times the batch recorded (mean and
longest, of the last run), and the speed-up of each mode over ``--jobs 1``. On a machine shared
with other work the numbers move; compare modes from the same run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(KIT / "src"))

from descent.course.demo import assemble  # noqa: E402


def batch(submissions: Path, out: Path, *extra: str) -> float:
    start = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "descent",
            "batch",
            str(submissions),
            "--out",
            str(out),
            "--no-reports",
            *extra,
        ],
        cwd=KIT,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"batch failed ({proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr}")
    return wall


def per_submission(out: Path) -> tuple[float, float]:
    import sqlite3

    db = sqlite3.connect(out / "gradebook.sqlite")
    times = [t for (t,) in db.execute("SELECT duration_s FROM submissions")]
    db.close()
    return statistics.mean(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="descent-bench-"))
    submissions = assemble(KIT, work)
    modes = {"--jobs 1": ["--jobs", "1"], "--jobs 2": ["--jobs", "2"]}
    cluster = None
    if not args.no_dask:
        from distributed import LocalCluster

        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        modes["Dask, 2 workers"] = ["--scheduler", cluster.scheduler_address]
    results = {}
    try:
        for r in range(args.repeats):
            for name, extra in modes.items():
                out = work / f"out-{name.replace(' ', '_').replace(',', '')}-{r}"
                wall = batch(submissions, out, *extra)
                results.setdefault(name, []).append((wall, per_submission(out)))
    finally:
        if cluster is not None:
            cluster.close()
    base = statistics.median(w for w, _ in results["--jobs 1"])
    count = len(list(submissions.iterdir()))
    print(f"sample class: {count} submissions; {args.repeats} run(s) per mode")
    print(f"{'mode':<18}{'wall s':>9}{'per sub. mean s':>17}{'longest s':>11}{'speed-up':>10}")
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        mean, longest = runs[-1][1]
        print(f"{name:<18}{wall:>9.1f}{mean:>17.1f}{longest:>11.1f}{base / wall:>9.2f}x")


if __name__ == "__main__":
    main()

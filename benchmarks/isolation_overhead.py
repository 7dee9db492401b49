"""How much isolated grading costs, measured in one run on this machine.

    .venv/bin/python benchmarks/isolation_overhead.py [--full] [--calls N] [--submissions K]
        [--repeats R] [--floor N] [--skip-processes]

1. Per call: the same call in-process (FolderImplementation) and through a confined worker
   (WorkerImplementation), median over N calls, for small and larger tensors, a handle method
   call (``Value`` arithmetic), and a chain of 100 ``Value`` operations (pipelined: sent
   without waiting for replies; then recorded as a tape with ``descent.calls.impl.run_graph``).
2. Whole processes: ``pytest graders ...`` on 1 and on K copies of the solutions, in-process
   (``--isolation none --insecure``) versus isolated (``--isolation worker``), interleaved. The
   difference of the process wall times / K includes the run's fixed costs (fork server,
   intake, scan, worker start); the difference of the summed test durations / K is the cost
   inside the tests. Also the worker requests per submission. ``--full`` runs every grader
   file (default: losses and activations only).

   (Grading the kit's solutions in-process and a copy through a worker in one pytest run is
   not a fair comparison: whichever implementation a test meets first also pays that test's
   warm-up, about 2 s over the full graders here.)
3. ``--floor N``: the least a test can cost. N generated tests of each kind (nothing, one
   ``ping`` round trip, one ``mse_forward`` call) run in-process and isolated, interleaved;
   printed is the cost per test, from the call phase pytest times for each test. A grader test makes at
   least one round trip, so N times the call's figure is the least that N tests can cost.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]


def per_call(calls: int) -> None:
    import torch

    from descent.calls.impl import FolderImplementation, run_graph
    from descent.isolation.manager import IsolationManager
    from descent.isolation.remote import WorkerImplementation

    cpus, threads = os.sched_getaffinity(0), torch.get_num_threads()
    manager = IsolationManager()
    t0 = time.perf_counter()
    info = manager.mode()
    print(
        f"fork server ready + probe: {time.perf_counter() - t0:.2f} s "
        f"(preload {info['preload_s']} s); mode {info['mode']}"
    )
    local = FolderImplementation(KIT / "solutions", "local")
    remote = WorkerImplementation("remote", manager, folder=str(KIT / "solutions"))
    t0 = time.perf_counter()
    remote.losses.mse_forward(torch.zeros(2), torch.zeros(2))
    print(
        f"first call (worker fork + confinement + import): {time.perf_counter() - t0:.3f} s; "
        f"mechanisms: {', '.join(remote.process.applied)}"
    )

    def bench(label, fn):
        def median(impl):
            samples = []
            for _ in range(calls):
                t = time.perf_counter()
                fn(impl)
                samples.append(time.perf_counter() - t)
            return statistics.median(samples)

        a, b = median(local), median(remote)
        print(
            f"  {label:<44} in-process {a * 1e3:7.3f} ms   worker {b * 1e3:7.3f} ms   "
            f"overhead {(b - a) * 1e3:7.3f} ms   ratio {b / a:6.1f}x"
        )
        return b

    x, y = torch.randn(8, 8, dtype=torch.float64), torch.randn(8, 8, dtype=torch.float64)
    big, w, bias = torch.randn(256, 256), torch.randn(128, 256), torch.randn(128)
    print(f"per call, median of {calls}:")
    bench("losses.mse_forward 8x8 float64", lambda m: m.losses.mse_forward(x, y))
    bench(
        "mse_forward + mse_backward (cache crosses)",
        lambda m: m.losses.mse_backward(
            torch.tensor(1.0, dtype=torch.float64), m.losses.mse_forward(x, y)[1]
        ),
    )
    if (KIT / "solutions" / "layers.py").exists():
        bench(
            "layers.linear_forward 256x256 @ 128x256",
            lambda m: m.layers.linear_forward(big, w, bias),
        )
    if (KIT / "solutions" / "autograd.py").exists():

        def value_graph(m):
            a, b = m.autograd.Value(2.0), m.autograd.Value(-3.0)
            c = (a * b + a**2).tanh()
            c.backward()
            return a.grad

        bench("autograd.Value: 2 objects, 4 ops, backward, .grad", value_graph)

        def build_chain(x):
            y = x
            for i in range(100):
                if i % 4 == 0:
                    y = y * 1.05
                elif i % 4 == 1:
                    y = y + x
                elif i % 4 == 2:
                    y = y.tanh()
                else:
                    y = y - 0.01
            return [x, y]

        def value_chain(m):
            x, y = build_chain(m.autograd.Value(0.3))
            y.backward()
            return y.data, x.grad

        bench("autograd.Value: chain of 100 ops, backward", value_chain)
        bench(
            "the same chain recorded as a tape (run_graph)",
            lambda m: run_graph(m.autograd.Value, build_chain, [0.3]),
        )
        print(
            f"  worker requests in these calls: {remote.requests} round trips, "
            f"{remote.pipelined} pipelined (sent without waiting)"
        )
    edit_detection(calls, bench)
    remote.close()
    manager.close()
    # The worker's start pinned this process to one CPU (IsolationManager.colocate); the pytest
    # processes of the next part would inherit that, and a grading run would then import torch
    # in its fork server on the same CPU as in itself, one after the other.
    os.sched_setaffinity(0, cpus)
    torch.set_num_threads(threads)


def _graded_copy(tmp: Path, name: str) -> Path:
    folder = tmp / name
    shutil.copytree(
        KIT / "solutions",
        folder,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__init__.py", "__pycache__"),
    )
    return folder


def _pytest(suites: list[str], impls: list[str], mode: list[str], results: Path):
    import json

    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *suites,
        "-q",
        "-p",
        "no:cacheprovider",
        "--no-grade-summary",
        f"--results={results}",
        *[f"--impl={i}" for i in impls],
        *mode,
    ]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=KIT, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        print(proc.stdout[-2000:], proc.stderr[-2000:])
    doc = json.loads(results.read_text())
    lost = [b["name"] for b in doc["implementations"] if b["points"] != b["max_points"]]
    if lost:
        print(f"  (warning: {lost} lost points in mode {mode})")
    return elapsed, doc


def per_submission(suites: list[str], submissions: int, repeats: int, tmp: Path) -> None:
    """Whole pytest processes: K submissions in-process versus K isolated, interleaved."""
    subs = [str(_graded_copy(tmp, f"student{i}")) for i in range(submissions)]
    modes = {"in-process": ["--isolation=none", "--insecure"], "isolated": ["--isolation=worker"]}
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in modes}
    tests: dict[str, list[float]] = {k: [] for k in modes}
    trips = (0, 0)
    for _ in range(repeats):  # interleaved, so load changes hit both modes alike
        for name, mode in modes.items():
            elapsed, doc = _pytest(suites, subs, mode, tmp / "r.json")
            samples[name].append((elapsed, doc["duration_s"]))
            tests[name].append(sum(t["duration_s"] for t in doc["tests"]))
            block = doc["implementations"][0]
            trips = (
                block.get("worker_requests", trips[0]),
                block.get("worker_pipelined", trips[1]),
            )
    print(
        f"whole processes ({submissions} submissions per pytest run, {repeats} interleaved "
        f"runs per mode, median):"
    )
    med = {
        k: (statistics.median(w for w, _ in v), statistics.median(d for _, d in v))
        for k, v in samples.items()
    }
    (wa, da), (wb, db) = med["in-process"], med["isolated"]
    print(
        f"  process wall:  in-process {wa:7.2f} s   isolated {wb:7.2f} s   ratio {wb / wa:5.2f}x"
        f"   isolation cost per submission {(wb - wa) / submissions:+.2f} s"
    )
    print(
        f"  grading time (results duration_s): in-process {da:7.2f} s   isolated {db:7.2f} s"
        f"   ratio {db / da:5.2f}x   per submission {(db - da) / submissions:+.2f} s"
    )
    ta, tb = statistics.median(tests["in-process"]), statistics.median(tests["isolated"])
    print(
        f"  summed test durations (no fork server, no collection): in-process {ta:7.2f} s   "
        f"isolated {tb:7.2f} s   per submission {(tb - ta) / submissions:+.2f} s"
    )
    print(f"  worker requests per submission: {trips[0]} round trips, {trips[1]} pipelined")
    print(
        "  all samples (wall s, duration s): "
        + "; ".join(
            f"{k}: " + ", ".join(f"{w:.1f}/{d:.1f}" for w, d in v) for k, v in samples.items()
        )
    )


_FLOOR_TESTS = """
import pytest
import torch

X = torch.randn(8, 8, dtype=torch.float64)
Y = torch.randn(8, 8, dtype=torch.float64)
N = {n}


@pytest.mark.parametrize("k", range(N))
def test_nothing(k, impl):
    assert impl is not None


@pytest.mark.parametrize("k", range(N))
def test_ping(k, impl):
    # A worker: one bare round trip (its connection's request; before the connection was split
    # out of the implementation, the implementation's own _request).
    send = getattr(getattr(impl, "conn", None), "request", None) or \
        getattr(impl, "_request", None)
    if send is not None:
        assert send({{"op": "ping"}}) == "pong"


@pytest.mark.parametrize("k", range(N))
def test_one_call(k, impl):
    assert impl.losses.mse_forward(X, Y)[0].shape == ()
"""


# Sums the call phase of each kind of test (setup and teardown would add fixture noise).
_FLOOR_CONFTEST = """
import json
import os

SUMS = {}


def pytest_runtest_logreport(report):
    if report.when == "call":
        kind = report.nodeid.split("::")[-1].split("[")[0]
        SUMS[kind] = SUMS.get(kind, 0.0) + report.duration


def pytest_sessionfinish(session):
    with open(os.environ["DESCENT_FLOOR_OUT"], "w") as f:
        json.dump(SUMS, f)
"""


def per_test_floor(n: int, repeats: int, tmp: Path) -> None:
    """N trivial tests per kind, in-process versus isolated: the cost of a test's round trip
    where pytest runs between the calls (caches are cold, unlike the per-call loop)."""
    import json

    folder = tmp / "floor"
    folder.mkdir()
    (folder / "test_floor.py").write_text(_FLOOR_TESTS.format(n=n))
    (folder / "conftest.py").write_text(_FLOOR_CONFTEST)
    sub = _graded_copy(tmp, "floor-student")
    modes = {"in-process": ["--isolation=none", "--insecure"], "isolated": ["--isolation=worker"]}
    kinds = ("test_nothing", "test_ping", "test_one_call")
    times: dict[str, dict[str, list[float]]] = {m: {k: [] for k in kinds} for m in modes}
    out = tmp / "floor.json"
    for _ in range(repeats):
        for name, mode in modes.items():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    str(folder),
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "--no-grade-summary",
                    f"--impl={sub}",
                    *mode,
                ],
                cwd=KIT,
                capture_output=True,
                env=dict(os.environ, DESCENT_FLOOR_OUT=str(out)),
            )
            sums = json.loads(out.read_text())
            for k in kinds:
                times[name][k].append(sums[k])
    print(
        f"per test, call phase inside pytest ({n} tests of each kind, {repeats} interleaved runs per "
        f"mode, median):"
    )
    for k in kinds:
        a, b = (statistics.median(times[m][k]) for m in modes)
        print(
            f"  {k:<14} in-process {a / n * 1e3:6.3f} ms   isolated {b / n * 1e3:6.3f} ms   "
            f"cost per test {(b - a) / n * 1e3:+6.3f} ms"
        )


def edit_detection(calls: int, bench) -> None:
    """What the worker's check for edited arguments costs per call: the CRC of every tensor
    argument's bytes (``encoding.unchanged``) against the version counter alone, next to the
    round trip of an mse_forward call with two arguments of that size."""
    import zlib

    import torch

    from descent.isolation import encoding

    print(f"edit detection per call (two tensor arguments, median of {calls}):")
    for n in (64, 65_536, 1_048_576):
        pair = [torch.randn(n) for _ in range(2)]
        before = [(t._version, t.dtype, tuple(t.shape), zlib.crc32(t.numpy())) for t in pair]
        samples = {"crc": [], "version": []}
        for _ in range(calls):
            t0 = time.perf_counter()
            all(encoding.unchanged(t, b) for t, b in zip(pair, before))
            t1 = time.perf_counter()
            all(t._version == b[0] for t, b in zip(pair, before))
            samples["crc"].append(t1 - t0)
            samples["version"].append(time.perf_counter() - t1)
        crc, version = (statistics.median(samples[k]) for k in ("crc", "version"))
        call = bench(
            f"losses.mse_forward, {n} float32 elements", lambda m: m.losses.mse_forward(*pair)
        )
        print(
            f"    contents check {crc * 1e6:8.1f} us   version only {version * 1e6:6.2f} us   "
            f"{crc / call:6.1%} of the worker call"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--submissions", type=int, default=3)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--skip-processes", action="store_true", help="skip the whole-process runs of the graders"
    )
    parser.add_argument(
        "--floor",
        type=int,
        default=0,
        metavar="N",
        help="also time N generated one-request tests of each kind",
    )
    args = parser.parse_args()
    suites = ["graders"] if args.full else ["graders/test_losses.py", "graders/test_activations.py"]
    tmp = Path(tempfile.mkdtemp(prefix="descent-bench-"))
    try:
        per_call(args.calls)
        if not args.skip_processes:
            for k in sorted({1, args.submissions}):
                per_submission(suites, k, args.repeats, tmp)
        if args.floor:
            per_test_floor(args.floor, args.repeats, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

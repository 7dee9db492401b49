"""Red-team suite: adversarial submissions graded through the isolated worker.

All submissions are graded in one real ``pytest`` run (beside each other and beside a correct
control), against the small hidden test file ``redteam/hidden_tests.py``. For every case:
no unearned points, no grader crash (the run completes and writes results), no leaked bytes of
the hidden tests or the reference, no surviving process, and a clear reason in the report.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from descent.isolation import confinement
from descent.kit import PLUGINS

from .redteam.cases import CASES, GOOD_MSE, GOOD_RELU, Case

HERE = Path(__file__).resolve().parent
KIT = HERE.parents[1]
HIDDEN_CANARY = "DESCENT-CANARY-HIDDEN-7f3a91c2"
REFERENCE_CANARY = "DESCENT-CANARY-REFERENCE-5e0b44d8"

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine (Landlock and seccomp needed)",
)


class Listener:
    """TCP and UDP listeners on 127.0.0.1 that record everything they receive."""

    def __init__(self):
        self.received: list[bytes] = []
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.tcp.settimeout(0.2)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.2)
        self.stop = False
        self.threads = [
            threading.Thread(target=self._tcp, daemon=True),
            threading.Thread(target=self._udp, daemon=True),
        ]
        for t in self.threads:
            t.start()

    def _tcp(self):
        while not self.stop:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.received.append(b"tcp:" + conn.recv(65536))
            except OSError:
                self.received.append(b"tcp-connect")
            conn.close()

    def _udp(self):
        while not self.stop:
            try:
                self.received.append(b"udp:" + self.udp.recvfrom(65536)[0])
            except OSError:
                continue

    def close(self):
        self.stop = True
        for t in self.threads:
            t.join(2)
        self.tcp.close()
        self.udp.close()


def _fill(text: str, values: dict) -> str:
    for key, value in values.items():
        text = text.replace(key, str(value))
    return text


def _write_submission(root: Path, case: Case, values: dict) -> Path:
    files = dict(case.files)
    if "@zip" in files:
        path = root / f"{case.id}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in files["@zip"]:
                zf.writestr(name, _fill(text, values))
            zf.writestr("notes.ipynb", "0" * (80 << 20))
        return path
    if "@notebook" in files:
        cells = [{"cell_type": "markdown", "metadata": {}, "source": "# my work"}]
        for module, source in files["@notebook"].items():
            cells.append(
                {
                    "cell_type": "code",
                    "metadata": {"tags": [f"descent:{module}"]},
                    "source": _fill(source, values),
                    "outputs": [
                        {"output_type": "stream", "name": "stdout", "text": "all tests passed"}
                    ],
                    "execution_count": 1,
                }
            )
        path = root / f"{case.id}.ipynb"
        path.write_text(
            json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        )
        return path
    folder = root / case.id
    folder.mkdir()
    files.setdefault("losses.py", GOOD_MSE)
    files.setdefault("activations.py", GOOD_RELU)
    for name, content in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, tuple) and content[0] == "symlink":
            os.symlink(_fill(content[1], values), target)
        elif isinstance(content, tuple) and content[0] == "hardlink":
            other = root / f"{case.id}-linked.py"
            other.write_text(content[1])
            os.link(other, target)
        else:
            target.write_text(_fill(content, values))
    return folder


def _fingerprint(path: Path) -> tuple:
    """A file's contents, mode, owner and times; a folder's entries, mode and owner: student
    code must change none of them. A folder's own times are left out: the grading process
    writes its bytecode cache beside the hidden tests wherever PYTHONDONTWRITEBYTECODE is unset
    (a GPU machine's image), and a new entry other than that cache is caught by the listing."""
    info = path.lstat()
    if path.is_dir():
        entries = sorted(p.name for p in path.iterdir() if p.name != "__pycache__")
        return entries, info.st_mode, info.st_uid, info.st_gid
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    return digest, info.st_mode, info.st_uid, info.st_gid, info.st_mtime_ns


def _survivors(marker: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = ""
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().decode("latin-1")
        except OSError:
            env = ""
        if marker in cwd or marker in env:
            found.append(f"{pid}: {Path(f'/proc/{pid}/cmdline').read_bytes()[:100]!r}")
    return found


def _run(tmp: Path, impls: list[Path], values: dict, name: str, extra: tuple = ()) -> dict:
    run_tmp = tmp / f"run-{name}"
    run_tmp.mkdir()
    results = tmp / f"results-{name}.json"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(values["@HIDDEN@"]),
        # the plugins `descent grade` loads, no others: a plugin the machine happens to have
        # (pytest-benchmark makes .benchmarks in the folder it runs in) is no submission's doing
        *PLUGINS,
        "-p",
        "no:cacheprovider",
        "-q",
        f"--rootdir={tmp / 'graders'}",
        f"--reference={tmp / 'ref'}",
        f"--catalogue={tmp / 'catalogue'}",
        f"--results={results}",
        "--call-timeout=3",
        "--no-grade-summary",
        *extra,
        *[f"--impl={p}" for p in impls],
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["TMPDIR"] = str(run_tmp)
    started = time.monotonic()
    proc = subprocess.run(
        cmd, cwd=tmp / "graders", capture_output=True, text=True, env=env, timeout=900
    )
    elapsed = time.monotonic() - started
    time.sleep(0.5)
    leftovers = [str(p) for p in run_tmp.rglob("*")]
    return {
        "code": proc.returncode,
        "output": proc.stdout + proc.stderr,
        "elapsed": elapsed,
        "results": json.loads(results.read_text()) if results.exists() else None,
        "results_text": results.read_text() if results.exists() else "",
        "survivors": _survivors(str(run_tmp)),
        "leftovers": leftovers,
    }


# As root, the "unprivileged" lane repeats the run with only the mechanisms a user without root
# gets (--unprivileged-workers); without root, the first lane already is that mode.
LANES = {"default": (), "unprivileged": ("--unprivileged-workers",)}
# What that mode changes: no cgroup (memory and tasks bounded by rlimits alone), no uid of the
# worker's own (the grader's files, signals and ptrace; no cover of /root) and the namespaces
# made inside a user namespace (network, scratch tmpfs). The default lane repeats the cases whose
# outcome rests on those; the others are decided by what both modes share (the grader's own
# code, rlimits such as the CPU time of a loop or a sleep's wall-clock ceiling, seccomp and
# Landlock) and are repeated in the slow lane: exits, the harness, spoofed values, library
# calls, errors, intake, the protocol, notebooks, time limits, frames and the garbage collector.
UNPRIVILEGED_CATEGORIES = ("control", "disk", "network", "escape", "grader")
UNPRIVILEGED_CASES = (
    *("memory_bomb_alloc", "memory_bomb_tensor", "memory_bomb_growing"),  # cgroup or RLIMIT_AS
    *("fork_bomb", "multiprocessing_pool", "thread_bomb"),  # cgroup pids or RLIMIT_NPROC
    *("read_hidden_files", "read_reference"),  # a uid and /root covered, or neither
)
REPEATED = {
    c.id for c in CASES if c.category in UNPRIVILEGED_CATEGORIES or c.id in UNPRIVILEGED_CASES
}
NOT_REPEATED = (
    "decided by the grader's own code, the same without root's mechanisms: the default lane "
    "repeats only the cases that rest on what the unprivileged mode changes (REPEATED)"
)


def _lanes() -> list:
    return [pytest.param(lane, id=lane) for lane in LANES]


def _lane_cases() -> list:
    """(lane, case) for every case in the default lane and those of REPEATED in the
    unprivileged one, the rest of the unprivileged lane in the slow lane."""
    return [
        pytest.param(
            lane,
            case,
            id=f"{lane}-{case.id}",
            marks=pytest.mark.slow(reason=NOT_REPEATED)
            if lane == "unprivileged" and case.id not in REPEATED
            else (),
        )
        for lane in LANES
        for case in CASES
    ]


@pytest.fixture(scope="module")
def redteam(request, tmp_path_factory):
    """The red team graded in ``request.param``'s lane: every case, or only REPEATED in the
    unprivileged lane outside the slow lane (``--slow``)."""
    lane = request.param
    if lane == "unprivileged":
        if os.geteuid() != 0:
            pytest.skip("not root: the default lane already runs without root's mechanisms")
        if not confinement.user_namespaces_allowed():
            pytest.skip(
                "this kernel refuses unprivileged user namespaces, so the unprivileged "
                "mode has no network namespace or scratch limit here"
            )
    tmp = tmp_path_factory.mktemp(f"redteam-{lane}")
    os.chmod(tmp, 0o755)
    (tmp / "graders").mkdir()
    hidden = tmp / "graders" / "test_hidden.py"
    shutil.copy(HERE / "redteam" / "hidden_tests.py", hidden)
    (tmp / "catalogue").mkdir()
    (tmp / "ref").mkdir()
    for module in ("losses", "activations"):
        text = (KIT / "solutions" / f"{module}.py").read_text()
        (tmp / "ref" / f"{module}.py").write_text(text + f"\n# {REFERENCE_CANARY}\n")
    listener = Listener()
    import torch

    site = Path(torch.__file__)
    values = {
        "@TCP@": listener.tcp.getsockname()[1],
        "@UDP@": listener.udp.getsockname()[1],
        "@HIDDEN@": hidden,
        "@RESULTS@": tmp / "results-all.json",
        "@SITE@": site,
    }
    subs = tmp / "subs"
    subs.mkdir()
    cases = [
        case
        for case in CASES
        if lane == "default" or request.config.getoption("--slow") or case.id in REPEATED
    ]
    paths = {case.id: _write_submission(subs, case, values) for case in cases}
    guarded = [hidden, hidden.parent, site, tmp / "ref", *(tmp / "ref").iterdir()]
    before = {p: _fingerprint(p) for p in guarded}
    order = list(paths.values()) + [paths["correct"]]  # the control first and last
    try:
        everyone = _run(tmp, list(dict.fromkeys(order)), values, "all", LANES[lane])
        solo = _run(tmp, [paths["correct"]], values, "solo", LANES[lane])
    finally:
        listener.close()
    after = {p: _fingerprint(p) for p in guarded}
    return {
        "lane": lane,
        "all": everyone,
        "solo": solo,
        "paths": paths,
        "received": listener.received,
        "changed": {str(p): (before[p], after[p]) for p in guarded if before[p] != after[p]},
        "pwned": Path("/tmp/descent-pwned").exists(),
    }


@pytest.mark.parametrize("redteam", _lanes(), indirect=True)
def test_run_completed(redteam):
    run = redteam["all"]
    assert run["results"] is not None, run["output"][-4000:]
    assert run["code"] in (0, 1), run["output"][-4000:]
    assert "INTERNALERROR" not in run["output"]
    env = run["results"]["environment"]
    assert env["isolation"].startswith("worker"), env
    details = env["isolation_details"]
    assert "landlock" in details["mode"]
    if os.geteuid() == 0 and redteam["lane"] == "default":
        assert details["mode"] == "landlock+seccomp+root", details
    else:  # no root's mechanisms: the limits come from a user namespace
        assert details["mode"] == "landlock+seccomp", details
        assert not any(m.startswith(("cgroup", "uid-")) for m in details["mechanisms"]), details
        if confinement.user_namespaces_allowed():
            assert {"userns", "netns", "tmpfs-scratch"} <= set(details["mechanisms"]), details


@pytest.mark.parametrize("redteam", _lanes(), indirect=True)
def test_nothing_leaked_or_left(redteam):
    run = redteam["all"]
    text = run["results_text"] + run["output"]
    for canary in (HIDDEN_CANARY, REFERENCE_CANARY):
        assert canary not in text
    assert "\\u001b" not in run["results_text"], "an ANSI escape reached the results"
    assert redteam["received"] == [], "a submission reached the network"
    assert redteam["changed"] == {}, "a grader or library file was modified (before, after)"
    assert not redteam["pwned"], "something ran a payload from a return value"
    assert run["survivors"] == [], run["survivors"]
    assert run["leftovers"] == [], "scratch directories were left behind"


@pytest.mark.parametrize("redteam", _lanes(), indirect=True)
def test_a_neighbour_does_not_change_the_correct_result(redteam):
    def outcomes(run):
        return sorted(
            (t["name"].replace("-correct]", "]"), t["outcome"], t["points"], t["message"])
            for t in run["results"]["tests"]
            if t["implementation"] == "correct"
        )

    solo = outcomes(redteam["solo"])
    assert solo and all(o == "passed" for _, o, _, _ in solo)
    assert outcomes(redteam["all"]) == solo


def _block(run, name):
    for block in run["results"]["implementations"]:
        if block["name"] == name:
            return block
    raise KeyError(name)


@pytest.mark.parametrize("redteam,case", _lane_cases(), indirect=["redteam"], scope="module")
def test_case(redteam, case):
    run = redteam["all"]
    name = redteam["paths"][case.id].name.removesuffix(".zip").removesuffix(".ipynb")
    block = _block(run, name)
    exercises = {e["id"]: e for e in block["exercises"]}
    mse, relu = exercises["losses.mse"], exercises["activations.relu"]
    if isinstance(case.points, tuple):
        expected = tuple(
            ex["max_points"] if p is None else p for p, ex in zip(case.points, (mse, relu))
        )
    else:
        expected = {
            "full": (mse["max_points"], relu["max_points"]),
            "mse-zero": (0.0, relu["max_points"]),
            "relu-zero": (mse["max_points"], 0.0),
            "zero": (0.0, 0.0),
        }[case.points]
    got = (mse["points"], relu["points"])
    for g, e, ex in zip(got, expected, (mse, relu)):
        if e == "any":
            assert g <= ex["max_points"]
        else:
            assert g == e, json.dumps(block, indent=1)[:3000]
    report = json.dumps(block) + json.dumps(
        [t["message"] for t in run["results"]["tests"] if t["implementation"] == name]
    )
    for needle in case.reason:
        assert any(n in report for n in needle.split("|")), (
            f"{needle!r} not in the report: {report[:3000]}"
        )
    assert HIDDEN_CANARY not in report and REFERENCE_CANARY not in report

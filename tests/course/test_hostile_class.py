"""A hostile class graded by ``descent batch``, as root and as an ordinary user, with ``-j 1``
and ``-j 2``: no honest student's grade changes, and no hostile entry earns anything.

The class, beside two honest students (a copy of the solutions and the partial sample):

- ``a-poisoner``: at import, its worker lowers its fork server's address-space and open-file
  limits, renices it and gives it ``SCHED_IDLE``, then looks for other workers by their limits
  and caps theirs (before the seccomp rules, as an ordinary user: the honest students graded
  after it on that server lost their points, recorded as graded);
- ``eve.zip``: a symbolic link to the kit's solutions (graded at full marks before);
- "José" twice, in NFC (honest) and in NFD (a hollow copy, newer): the newest was graded;
- ``uma/``, unreadable by the ordinary user (the whole batch ended in a PermissionError);
- ``Jos\\xe9/``, named in Latin-1 bytes (the whole batch stopped: "can't encode '\\udce9'");
- ``t-threads``: starts up to 200 threads with 64 KiB stacks and says how many started (an
  ordinary user's worker had no cap: about 30,000 would have started; root's had 63).

Each run is a real batch of three gradings (about half a minute on two busy cores); there is
no shorter way to show that a grading's neighbours are untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest
from isolation.ordinary_user import account, give, run_as  # tests/isolation: a package beside

from descent.isolation import confinement

from .conftest import KIT, command, copy_modules, env

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine (Landlock and seccomp needed)",
)

SELECTION = "test_losses and mse"
HONEST = ("b-ada", "c-bo")
NFC, NFD = "Jos\u00e9", "Jose\u0301"
LATIN1 = os.fsdecode(b"Jos\xe9")  # not UTF-8: held, its id shown escaped
POISON = """

import os as _os
import resource as _resource
import threading as _threading
import time as _time


def _poison_parent():
    parent = _os.getppid()
    for attack in (
        lambda: _resource.prlimit(parent, _resource.RLIMIT_AS, (512 << 20, 512 << 20)),
        lambda: _resource.prlimit(parent, _resource.RLIMIT_NOFILE, (8, 8)),
        lambda: _os.setpriority(_os.PRIO_PROCESS, parent, 19),
        lambda: _os.sched_setscheduler(parent, _os.SCHED_IDLE, _os.sched_param(0)),
    ):
        try:
            attack()
        except OSError:
            pass


def _cap_other_workers(seconds):
    me, until = _os.getpid(), _time.monotonic() + seconds
    while _time.monotonic() < until:
        for pid in range(2, 1 << 15):
            try:
                if pid != me and _resource.prlimit(pid, _resource.RLIMIT_AS)[1] == 4 << 30:
                    _resource.prlimit(pid, _resource.RLIMIT_AS, (256 << 20, 256 << 20))
                    _resource.prlimit(pid, _resource.RLIMIT_NOFILE, (8, 8))
            except OSError:
                pass


_poison_parent()
_threading.Thread(target=_cap_other_workers, args=(3.0,), daemon=True).start()
"""
THREADS = """import threading

threading.stack_size(64 << 10)
_stop, _started = threading.Event(), []
try:
    for _ in range(200):
        _thread = threading.Thread(target=_stop.wait, daemon=True)
        _thread.start()
        _started.append(_thread)
except RuntimeError:
    pass
_stop.set()


def mse_forward(pred, target):
    raise RuntimeError(f"started {len(_started)} threads")
"""
HOLLOW = "import torch\n\ndef mse_forward(pred, target):\n    return torch.zeros(()), None\n"


def _honest(subs: Path) -> None:
    copy_modules(KIT / "solutions", subs / "b-ada")
    copy_modules(KIT / "samples" / "partial", subs / "c-bo")
    copy_modules(KIT / "solutions", subs / NFC)


def _hostile(subs: Path) -> None:
    poisoner = copy_modules(KIT / "solutions", subs / "a-poisoner")
    with open(poisoner / "losses.py", "a") as module:
        module.write(POISON)
    (subs / NFD).mkdir()
    (subs / NFD / "losses.py").write_text(HOLLOW)
    later = (subs / NFC / "losses.py").stat().st_mtime + 100
    os.utime(subs / NFD / "losses.py", (later, later))  # the newer twin
    (subs / "eve.zip").symlink_to(KIT / "solutions")
    os.chmod(copy_modules(KIT / "solutions", subs / "uma"), 0)
    copy_modules(KIT / "solutions", subs / LATIN1)
    (subs / "t-threads").mkdir()
    (subs / "t-threads" / "losses.py").write_text(THREADS)


def _batch(base: Path, jobs: int, user=None) -> tuple[int, str, dict[str, dict]]:
    """Grade ``base/subs`` into ``base/out``; the exit code, the output and each student's
    current row (status, message, and per test its outcome and points)."""
    out = base / "out"
    argv = command(base / "subs", out, "-k", SELECTION, "-j", str(jobs))
    kw = dict(cwd=KIT, env=env(), capture_output=True, text=True, timeout=600)
    if user is None:
        proc = subprocess.run(argv, **kw)
    else:
        give(user, base)
        proc = run_as(user, argv, **kw)
    db = sqlite3.connect(f"file:{out / 'gradebook.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT s.student, s.status, s.message, s.results FROM students t "
            "JOIN submissions s ON s.id = t.current_submission"
        ).fetchall()
    finally:
        db.close()
    found = {}
    for student, status, message, doc in rows:
        tests = json.loads(doc)["tests"] if doc else []
        per_test = {t["nodeid"]: (t["outcome"], t["points"]) for t in tests}
        said = " ".join(t.get("message") or "" for t in tests)
        found[student] = {"status": status, "message": message, "tests": per_test, "said": said}
    return proc.returncode, proc.stdout + proc.stderr, found


@pytest.fixture
def base():
    """A folder in /tmp (the ordinary account cannot pass pytest's own, private to root)."""
    path = Path(tempfile.mkdtemp(prefix="descent-hostile-"))
    os.chmod(path, 0o755)
    yield path
    for top, dirs, _ in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(top, name), 0o755)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def honest_grades():
    """The honest students graded alone (as root, one job)."""
    path = Path(tempfile.mkdtemp(prefix="descent-honest-"))
    try:
        _honest(path / "subs")
        code, output, found = _batch(path, jobs=1)
    finally:
        shutil.rmtree(path, ignore_errors=True)
    assert code == 0, output[-3000:]
    assert found["b-ada"]["tests"] and all(
        outcome == "passed" for outcome, _ in found["b-ada"]["tests"].values()
    ), found["b-ada"]
    return found


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("lane", ["root", "ordinary user"])
def test_no_honest_grade_changes_beside_a_hostile_class(base, honest_grades, lane, jobs):
    user = account() if lane == "ordinary user" else None
    _honest(base / "subs")
    _hostile(base / "subs")
    code, output, found = _batch(base, jobs, user)
    for student in HONEST:
        assert found[student]["status"] == "graded", (student, found[student], output[-3000:])
        assert found[student]["tests"] == honest_grades[student]["tests"], (student, output)
    assert found["eve"]["status"] == "failed" and "symbolic link" in found["eve"]["message"]
    assert found[NFC]["status"] == "failed", found[NFC]
    assert "2 entries map to this student" in found[NFC]["message"], found[NFC]
    assert (found["uma"]["status"] == "failed") == (user is not None), found["uma"]
    assert "started 63 threads" in found["t-threads"]["said"], found["t-threads"]
    held = found["Jos\\xe9"]
    assert held["status"] == "failed" and "not valid UTF-8" in held["message"], held
    if user is not None:
        assert "cannot be read (Permission denied)" in found["uma"]["message"], found["uma"]
    assert code == 1, output[-3000:]  # held students: the instructor has something to resolve

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
import re
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


def _batch(
    base: Path, jobs: int, user=None, selection: str = SELECTION, *extra: str
) -> tuple[int, str, dict[str, dict]]:
    """Grade ``base/subs`` into ``base/out``; the exit code, the output and each student's
    current row (status, message, and per test its outcome and points)."""
    out = base / "out"
    argv = command(base / "subs", out, "-k", selection, "-j", str(jobs), *extra)
    kw = dict(cwd=KIT, env=env(), capture_output=True, text=True, timeout=900)
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
        blocks = json.loads(doc)["implementations"] if doc else []
        refused = [r for b in blocks for r in (b.get("intake") or {}).get("refused", [])]
        found[student] = {
            "status": status,
            "message": message,
            "tests": per_test,
            "said": said,
            "refused": json.dumps(refused),
        }
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


ROOT_ONE_JOB = (
    "root's mechanisms (a uid and a cgroup per worker) keep the poisoner from its fork server "
    "and from the other workers whatever the job count: the default lane grades as root with "
    "-j 2 (workers side by side) and as an ordinary user with -j 1 and -j 2, where the attacks "
    "once took points"
)


@pytest.mark.parametrize(
    "lane,jobs",
    [
        pytest.param("root", 1, id="root-1", marks=pytest.mark.slow(reason=ROOT_ONE_JOB)),
        pytest.param("root", 2, id="root-2"),
        pytest.param("ordinary user", 1, id="ordinary user-1"),
        pytest.param("ordinary user", 2, id="ordinary user-2"),
    ],
)
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
    # capped by the worker's 64 pids, less the threads the worker itself runs (one or two)
    started = re.search(r"started (\d+) threads", found["t-threads"]["said"])
    assert started and 32 < int(started.group(1)) < 64, found["t-threads"]
    held = found["Jos\\xe9"]
    assert held["status"] == "failed" and "not valid UTF-8" in held["message"], held
    if user is not None:
        assert "cannot be read (Permission denied)" in found["uma"]["message"], found["uma"]
    assert code == 1, output[-3000:]  # held students: the instructor has something to resolve


# ---------------------------------------------------------------------------------- round six
ROUND_SIX_SELECTION = "test_regression and TestClosedForm"
HONEST_SIX = ("alice", "bob", "erin", "frank", "gus")  # the sample class's own work; gus: stubs
COPIES = {f"zz-{how}": how for how in ("getattr", "exec", "moved", "indirect_all")}


def _round_six_code(subs: Path) -> None:
    """Five honest students of the similarity sample class, and bob's work hidden four ways
    (round six's indirections: getattr, exec of a string, moved into modules bob left empty,
    all three)."""
    from .similarity import similarity_class
    from .similarity.similarity_evasions import HOSTS, hide

    sample = similarity_class.build(subs.parent / "sample", KIT)
    for student in HONEST_SIX:
        shutil.copytree(sample / student, subs / student)
    texts = {m: (sample / "bob" / f"{m}.py").read_text() for m in similarity_class.MODULES}
    starter = {m: (KIT / "starter" / f"{m}.py").read_text() for m in HOSTS.values()}
    for name, how in COPIES.items():
        (subs / name).mkdir()
        for module, text in hide(texts, how, starter).items():
            (subs / name / f"{module}.py").write_text(text)


def _graded(base: Path, jobs: int, user, *extra: str) -> tuple[int, str, dict]:
    """Round six's class graded: the exit code, the output and each student's tests."""
    code, output, found = _batch(base, jobs, user, ROUND_SIX_SELECTION, *extra)
    return code, output, {student: row["tests"] for student, row in found.items()}


@pytest.fixture(scope="module")
def honest_six():
    """The five honest students of round six graded alone (as root, one job)."""
    path = Path(tempfile.mkdtemp(prefix="descent-honest6-"))
    try:
        (path / "subs").mkdir()
        _round_six_code(path / "subs")
        for name in COPIES:
            shutil.rmtree(path / "subs" / name)
        code, output, tests = _graded(path, 1, None)
    finally:
        shutil.rmtree(path, ignore_errors=True)
    assert code == 0, output[-3000:]
    assert any(points for _, points in tests["alice"].values()), tests["alice"]
    return tests


@pytest.mark.slow(
    reason="a real class run: nine students graded by descent batch -j 2 with --similarity, "
    "then a quiz through nbgrader's exchange, collect and autograde, as root and as an "
    "ordinary user (several minutes a lane)"
)
@pytest.mark.parametrize("lane", ["root", "ordinary user"])
def test_round_six_class_honest_grades_stand_and_no_attack_earns(base, honest_six, lane):
    """Issue 58's class run (its item 1 is another's): five honest students beside round six's
    attacks. Code: bob's work hidden by getattr, exec of a string, a move into modules he left
    empty, and all three, each graded as bob's own work (the comparison changes no grade) and
    flagged above every independent pair. Labs (the quiz, five honest students): a link to the
    source and one to a classmate's collected notebook over two collects, refused and worth
    nothing; a copy made by hand under an earlier time with touch -d, counted from when it was
    written, as a classmate who handed in then."""
    from descent.course.similarity import corpus, engine

    from .similarity import similarity_class

    user = account() if lane == "ordinary user" else None
    (base / "subs").mkdir()
    _round_six_code(base / "subs")
    code, output, tests = _graded(base, 2, user, "--similarity")
    assert code == 0, output[-3000:]
    for student in HONEST_SIX:
        assert tests[student] == honest_six[student], (student, output[-3000:])
    for name in COPIES:  # what bob's work earns, however it is hidden
        assert tests[name] == tests["bob"], (name, tests[name])
    index = (base / "out" / "similarity" / "index.html").read_text()
    found = engine.analyse(corpus.read(base / "subs", KIT, similarity_class.MODULES))
    copies = {"bob", *COPIES}
    independent = [p for p in found.pairs if not {p.a, p.b} <= copies]
    top = max(p.similarity for p in independent)
    assert not any(p.flagged for p in independent), [(p.a, p.b) for p in independent if p.flagged]
    for name in COPIES:
        pair = next(p for p in found.pairs if {p.a, p.b} == {"bob", name})
        assert pair.flagged and pair.similarity > top, (name, pair.similarity, top)
        assert f"bob &amp; {name}" in index, name
    _round_six_labs(base / "labs", user)


def _round_six_labs(folder: Path, user) -> None:
    """The quiz: five honest students (3 to 5 right), eve's link to the source, mal's to ann's
    collected notebook after a first collect, fi's copy made by hand 19 hours before its time
    with touch -d beside cy's honest one; collected and graded by descent labs autograde."""
    from datetime import datetime, timedelta, timezone

    from labs.test_collect import QUIZ, _answers, _collect, _submit

    from descent.course import lateness, nbrecords
    from descent.course import plan as plan_mod

    from . import nbexchange as nx

    students = [(s, s.title(), "Doe") for s in ("ann", "bo", "cy", "dee", "ed", "eve", "fi", "mal")]
    course = nx.make_course(folder, [QUIZ], students, None)
    os.chmod(folder, 0o755)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    honest = {"ann": 5, "bo": 3, "cy": 5, "dee": 4, "ed": 5}
    _submit(course, ("ann", now, True), ("mal", now, False))
    _collect(course, user)
    cy_at = datetime.now(timezone.utc)
    handed = [(s, now, right) for s, right in honest.items() if s not in ("ann", "cy")]
    copies = _submit(
        course, ("mal", now + timedelta(minutes=1), False), ("eve", now, False),
        ("cy", cy_at, True), *handed,
    )  # fmt: skip
    mal, eve = copies[0], copies[1]
    (mal / f"{QUIZ}.ipynb").unlink()
    (mal / f"{QUIZ}.ipynb").symlink_to(course / "submitted" / "ann" / QUIZ / f"{QUIZ}.ipynb")
    (eve / f"{QUIZ}.ipynb").unlink()
    (eve / f"{QUIZ}.ipynb").symlink_to(course / "source" / QUIZ / f"{QUIZ}.ipynb")
    claimed = cy_at - timedelta(hours=19)
    stamp = f"{claimed.strftime('%Y-%m-%d %H:%M:%S.%f')} UTC"
    forged = course / "exchange" / nx.COURSE_ID / "inbound" / f"fi+{QUIZ}+{stamp}+forged"
    forged.mkdir()
    (forged / f"{QUIZ}.ipynb").write_text(_answers(course, right=True))
    (forged / "timestamp.txt").write_text(stamp)
    (forged / "submission_secret.txt").write_text("x" * 64)
    nx.touch(forged, claimed.isoformat())
    _collect(course, user, "--update")
    for copy in (mal, eve):
        shutil.rmtree(copy)
    argv = [str(nx.BIN / "descent"), "labs", "autograde", QUIZ, "--course", str(course)]
    kw = dict(cwd=course, env=nx.environment(folder), capture_output=True, text=True, timeout=900)
    if user is None:
        graded = subprocess.run(argv, **kw)
    else:
        give(user, folder)
        graded = run_as(user, argv, **kw)
    from descent.labs import instructor

    scores = instructor._scores(course, QUIZ)
    for student, right in honest.items():
        assert scores[student][0] == right, (student, scores.get(student), graded.stdout[-3000:])
    assert "eve" not in scores and "mal" not in scores, scores  # refused: graded by no one
    assert scores["fi"][0] == 5  # her work is her own: its time is what she cannot have
    records = nbrecords.Records(course)
    fi, cy = (records.submitted(s, QUIZ, None).when for s in ("fi", "cy"))
    assert fi.doubt and not cy.doubt, (fi, cy)
    due = cy_at - timedelta(hours=17, minutes=30)
    policy = plan_mod.LatePolicy(penalty=3, per="hour", cap=100)
    assert (
        lateness.penalty(policy, due, fi.at).percent == lateness.penalty(policy, due, cy.at).percent
    )


# -------------------------------------------------------------------------------- round seven
ROUND_SEVEN_SELECTION = "(test_losses and mse) or (test_layers and two_layer) or relu"
ROUND_SEVEN_MODULES = ("losses", "activations", "layers")
RELU_SLOPE_2 = (
    "    return torch.where(x > 0, x, torch.zeros_like(x)), (x,)",
    "    return torch.where(x > 0, 2 * x, torch.zeros_like(x)), (x,)",
)
# answers looked up in a table of a helper file: an empty table, so every lookup misses
TABLE_LOOKUP = (
    "import torch\n\nfrom ._tab import TABLE\n\n\n"
    "def mse_forward(pred, target):\n"
    "    key = (tuple(pred.shape), round(float(pred.sum()), 6))\n"
    "    return TABLE.get(key, torch.zeros((), dtype=pred.dtype)), (pred, target)\n\n\n"
    "def mse_backward(dout, cache):\n"
    "    pred, _ = cache\n"
    "    return torch.zeros_like(pred)\n"
)


def _round_seven_code(subs: Path) -> None:
    """Two honest students (the solutions, the partial sample) and issue 82's four routes: a
    network that spots the kit's stand-ins (its relu has its own slip), answers in a helper
    table, a helper package named like an exercise module, a classmate's module copied into a
    helper file and re-exported."""
    from test_composite import SPOTS_THE_STAND_IN  # tests/: the break's own replay

    copy_modules(KIT / "solutions", subs / "b-ada", ROUND_SEVEN_MODULES)
    copy_modules(KIT / "samples" / "partial", subs / "c-bo", ("losses",))
    # (no losses.py of their own beside the copy's: code held by three is no rare match)
    spotter = copy_modules(KIT / "solutions", subs / "r-spotter", ROUND_SEVEN_MODULES[1:])
    acts = spotter / "activations.py"
    acts.write_text(acts.read_text().replace(*RELU_SLOPE_2))
    with open(spotter / "layers.py", "a") as layers:
        layers.write(SPOTS_THE_STAND_IN)
    (subs / "r-table").mkdir()
    (subs / "r-table" / "losses.py").write_text(TABLE_LOOKUP)
    (subs / "r-table" / "_tab.py").write_text("TABLE = {}\n")
    package = subs / "r-package"
    shutil.copytree(KIT / "starter", package, ignore=shutil.ignore_patterns("test_*", "__*"))
    (package / "losses").mkdir()
    shutil.copy(KIT / "solutions" / "losses.py", package / "losses" / "__init__.py")
    (subs / "r-copy").mkdir()
    (subs / "r-copy" / "losses.py").write_text("from ._impl import *  # noqa: F403\n")
    shutil.copy(subs / "b-ada" / "losses.py", subs / "r-copy" / "_impl.py")


@pytest.mark.slow(
    reason="a real class run: six students graded by descent batch -j 2 with --similarity, as "
    "root and as an ordinary user (a minute or two a lane)"
)
@pytest.mark.parametrize("lane", ["root", "ordinary user"])
def test_round_seven_class_each_route_earns_only_its_honest_work(base, lane):
    """Issue 82's class run: the honest students keep the grades they get alone, each attack is
    scored as the honest work it contains, and the helper-file copy is flagged above every
    independent pair."""
    from descent.course.similarity import corpus, engine

    user = account() if lane == "ordinary user" else None
    alone = base / "alone"
    (alone / "subs").mkdir(parents=True)
    _round_seven_code(alone / "subs")
    for name in ("r-spotter", "r-table", "r-package", "r-copy"):
        shutil.rmtree(alone / "subs" / name)
    code, output, honest = _batch(alone, 1, None, ROUND_SEVEN_SELECTION)
    assert code == 0, output[-3000:]
    whole = base / "class"
    (whole / "subs").mkdir(parents=True)
    _round_seven_code(whole / "subs")
    code, output, found = _batch(whole, 2, user, ROUND_SEVEN_SELECTION, "--similarity")
    for student in ("b-ada", "c-bo"):
        assert found[student]["tests"] == honest[student]["tests"], (student, output[-3000:])

    def points(student: str, word: str) -> float:
        return sum(p for n, (_, p) in found[student]["tests"].items() if word in n)

    assert points("r-spotter", "two_layer") == 0, found["r-spotter"]  # its network wrote nothing
    assert points("r-spotter", "relu") < points("b-ada", "relu")  # its relu's own slip
    assert points("r-table", "mse") == 0, found["r-table"]
    assert points("r-package", "mse") == 0, found["r-package"]
    assert "named like the exercise module losses.py" in found["r-package"]["refused"]

    def losses(student: str) -> dict:
        return {n: r for n, r in found[student]["tests"].items() if "test_losses" in n}

    assert losses("r-copy") == losses("b-ada"), found["r-copy"]  # graded as the work it holds
    analysed = engine.analyse(corpus.read(whole / "subs", KIT, corpus.selection("losses", KIT)))
    independent = [p for p in analysed.pairs if {p.a, p.b} != {"b-ada", "r-copy"}]
    pair = next(p for p in analysed.pairs if {p.a, p.b} == {"b-ada", "r-copy"})
    assert pair.flagged and pair.similarity > max(p.similarity for p in independent), pair
    index = (whole / "out" / "similarity" / "index.html").read_text()
    assert "b-ada &amp; r-copy" in index or "r-copy &amp; b-ada" in index

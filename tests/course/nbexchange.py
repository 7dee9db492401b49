"""nbgrader's real exchange, driven for a term's tests: the instructor's commands through the
``nbgrader`` command line, the students' ``fetch_assignment`` and ``submit`` through nbgrader's
own exchange classes (in one process per batch of submissions), each submission with nbgrader's
clock shimmed to the moment the test names.

The shim replaces what ``nbgrader.exchange.abc.exchange`` calls ``datetime.now`` (the one clock
``submit`` reads, formatted with the configured ``Exchange.timezone`` and
``Exchange.timestamp_format``); since the file system keeps its own clock, the files the
submission wrote in the exchange get that moment as their modification time too, as they would
have had the submission happened then (``collect`` keeps them). Their *change* time cannot be
set by anyone: the kernel writes the moment they were made, today. The course's collect records
it (``descent.labs.collected``) as the time each copy was written, so :func:`collect` writes
into that record, for each copy the test made, the moment the test says it was made (by
:func:`submit` or :func:`touch`): what the kernel would have recorded had it been made then.

Run as a script, this file is that process: ``python nbexchange.py < JSON``. With the argument
``instructor`` it is the process of :func:`set_up` instead: the instructor's commands that only
set a course up, run one after the other in one process.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from descent.labs.instructor import nbgrader_command, without_iri_parsers

KIT = Path(__file__).resolve().parents[2]
LABS = KIT / "labs"
BIN = Path(sys.executable).parent
NBGRADER = nbgrader_command()[0]  # nbgrader as `descent labs` runs it
COURSE_ID = "descent"


def environment(base: Path) -> dict[str, str]:
    """What every nbgrader command of the test runs with (its own Jupyter folders)."""
    env = dict(os.environ)
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        JUPYTER_CONFIG_DIR=str(base / "jupyter-config"),
        JUPYTER_DATA_DIR=str(base / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(base / "jupyter-runtime"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    for name in ("DESCENT_EXCHANGE", "DESCENT_LABS_KEYS"):
        env.pop(name, None)
    return env


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [*NBGRADER, *args],
        cwd=course,
        env=environment(course.parent),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and run.returncode:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{run.stderr[-3000:]}")
    return run


def set_up(course: Path, *commands: list[str], env: dict[str, str] | None = None) -> None:
    """Each of ``commands`` (an ``nbgrader`` command line less ``nbgrader``) run in ``course``
    with ``env`` (default :func:`environment`), in order, in one process: for commands that only
    set a course up. They are nbgrader's own apps with the course's ``nbgrader_config.py``, run
    the way nbgrader's tests run them (``nbgrader.tests.run_nbgrader``); starting Python and
    importing nbgrader once for them all saves about a CPU-second a command. The first that fails
    stops the rest and fails the test with nbgrader's own messages. A command whose run a test
    checks runs on its own (:func:`nbgrader`), as the course runs it."""
    run = subprocess.run(
        [sys.executable, __file__, "instructor"],
        input=json.dumps(commands),
        cwd=course,
        env=environment(course.parent) if env is None else env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if run.returncode:
        failed = run.stderr.rpartition(_STARTING)[2].partition("\n")[0]
        raise AssertionError(f"nbgrader {failed} failed:\n{run.stderr[-3000:]}")


_STARTING = "descent tests: nbgrader "  # on stderr before each command of set_up


def _instruct(commands: list[list[str]]) -> None:
    """In this process: each command, as nbgrader's console script runs one, then nbgrader's
    own reset of its apps (``NbGrader.reset``: logging and the singletons) for the next; exits
    with the status of the first that fails."""
    from jupyter_core.application import NoStart
    from nbgrader.apps.nbgraderapp import NbGraderApp

    sys.argv[0] = "nbgrader"  # as NBGRADER_MAIN
    for argv in commands:
        print(_STARTING + " ".join(argv), file=sys.stderr, flush=True)
        app = NbGraderApp.instance()
        try:
            app.initialize(argv)
            app.start()
        except NoStart:
            pass
        except SystemExit as exc:
            if exc.code:
                raise
        finally:
            app.reset()


def gradebook(course: Path) -> None:
    """An empty ``gradebook.db`` in ``course``, as nbgrader's first command there would make it.
    nbgrader makes a new one by running ``alembic heads`` (about 3 CPU-seconds) to stamp its
    schema version; this copies one that real nbgrader made once for this process (``db
    student list`` in a scratch course with the kit's configuration). A test of how nbgrader
    makes one starts without it."""
    shutil.copyfile(_empty_gradebook(), course / "gradebook.db")  # this umask's mode, as sqlite's


@functools.cache
def _empty_gradebook() -> Path:
    base = Path(tempfile.mkdtemp(prefix="descent-gradebook-"))
    atexit.register(_remove, base, os.getpid())
    course = base / "course"
    course.mkdir()
    shutil.copy(LABS / "nbgrader_config.py", course)
    nbgrader(course, "db", "student", "list")
    return course / "gradebook.db"


def _remove(folder: Path, owner: int) -> None:
    if os.getpid() == owner:  # not in a child forked from this process, which may exit first
        shutil.rmtree(folder, ignore_errors=True)


def make_course(
    base: Path,
    assignments: list[str],
    students: list[tuple[str, str, str]],
    zone: str | None,
    files: dict[str, str] | None = None,
) -> Path:
    """A course folder with the kit's configuration (``Exchange.timezone`` set to ``zone``
    unless None: nbgrader's default), ``files`` (path in the course: text) written,
    ``assignments`` generated (those with a source in the kit) and released, ``students``
    (id, first, last) in nbgrader's database; its set-up commands in one process."""
    course = base / "course"
    course.mkdir(parents=True)
    config = (LABS / "nbgrader_config.py").read_text()
    if zone is not None:
        config += f"\nc.Exchange.timezone = {zone!r}\n"
    (course / "nbgrader_config.py").write_text(config)
    for name in ("keys", "graders"):
        shutil.copytree(LABS / name, course / name)
    for assignment in assignments:
        source = course / "source" / assignment
        if (LABS / "source" / assignment).is_dir():
            shutil.copytree(LABS / "source" / assignment, source)
    for name, text in (files or {}).items():
        (course / name).parent.mkdir(parents=True, exist_ok=True)
        (course / name).write_text(text)
    table = course / "students.csv"
    table.write_text(
        "id,first_name,last_name\n" + "".join(f'{i},{f},"{last}"\n' for i, f, last in students)
    )
    gradebook(course)
    commands = [["db", "student", "import", str(table)]]
    for assignment in assignments:
        if (course / "source" / assignment).is_dir():
            commands.append(["generate_assignment", assignment, "--create"])
        commands.append(["release_assignment", assignment])
    set_up(course, *commands)
    return course


def student_config(course: Path, zone: str | None, fmt: str | None = None) -> dict:
    """The configuration a student's nbgrader reads (on a shared server, the system's)."""
    config = {
        "Exchange": {"root": str(course / "exchange")},
        "CourseDirectory": {"course_id": COURSE_ID},
    }
    if zone is not None:
        config["Exchange"]["timezone"] = zone
    if fmt is not None:
        config["Exchange"]["timestamp_format"] = fmt
    return config


def submit(course: Path, submissions: list[dict]) -> list[Path]:
    """Each of ``submissions`` (``student``, ``assignment``, ``at``: ISO with offset, ``files``:
    ``{name: text}`` written over the fetched ones, ``config``: :func:`student_config`) fetched
    and submitted through nbgrader's exchange, in order, in one process; the exchange copies
    they made, in the same order."""
    for one in submissions:
        one.setdefault("home", str(course.parent / "homes" / one["student"]))
    run = subprocess.run(
        [sys.executable, __file__],
        input=json.dumps(submissions),
        env=environment(course.parent),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    made = [Path(p) for p in json.loads(run.stdout.strip().splitlines()[-1])]
    for folder, one in zip(made, submissions):
        touch(folder, one["at"])
    return made


def touch(folder: Path, at: str) -> None:
    """Give everything in ``folder`` the modification time ``at`` (ISO with offset), and
    remember ``at`` as the moment it was made (:func:`collect`)."""
    from datetime import datetime

    stamp = datetime.fromisoformat(at).timestamp()
    for path in [*folder.rglob("*"), folder]:
        os.utime(path, (stamp, stamp), follow_symlinks=False)
    made = _made(folder.parent)
    made[folder.name] = stamp
    (folder.parent / MADE).write_text(json.dumps(made))


MADE = ".simulated-made-at.json"  # beside the exchange's copies: copy name -> when it was made


def _made(inbound: Path) -> dict[str, float]:
    try:
        return json.loads((inbound / MADE).read_text())
    except (OSError, ValueError):
        return {}


def collect(course: Path, assignment: str, *args: str, check: bool = True):
    """``nbgrader collect`` of ``assignment``, then the course's record of each copy the test
    made says it was written when the test made it (see the module doc)."""
    from descent.labs import collected

    run = nbgrader(course, "collect", assignment, *args, check=check)
    log = course / collected.LOG / f"{assignment}.jsonl"
    if log.is_file():
        made = _made(course / "exchange" / COURSE_ID / "inbound")
        lines = [json.loads(line) for line in log.read_text().splitlines()]
        for line in lines:
            line["written"] = made.get(line["copy"], line["written"])
        log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return run


def _drive(submissions: list[dict]) -> None:
    """In this process: fetch (once per home) and submit, for each submission in turn; prints
    the exchange copies made, as JSON."""
    import datetime as real
    import types

    import nbgrader.exchange.abc.exchange as clock
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeSubmit
    from traitlets.config import Config

    made = []
    for one in submissions:
        fixed = real.datetime.fromisoformat(one["at"])

        class Shimmed(real.datetime):
            @classmethod
            def now(cls, tz=None, fixed=fixed):
                return fixed.astimezone(tz) if tz else fixed.astimezone().replace(tzinfo=None)

        clock.datetime = types.SimpleNamespace(datetime=Shimmed, timedelta=real.timedelta)
        home = Path(one["home"])
        home.mkdir(parents=True, exist_ok=True)
        config = Config(one["config"])
        config.Exchange.cache = str(home / ".nbgrader-cache")
        config.Exchange.assignment_dir = str(home)

        def exchange(kind, config=config, one=one):
            coursedir = CourseDirectory(config=config)
            coursedir.assignment_id = one["assignment"]
            coursedir.student_id = one["student"]
            auth = Authenticator(config=config)
            return kind(coursedir=coursedir, authenticator=auth, config=config)

        if not (home / one["assignment"]).is_dir():
            exchange(ExchangeFetchAssignment).start()
        for name, text in one.get("files", {}).items():
            (home / one["assignment"] / name).write_text(text)
        inbound = Path(one["config"]["Exchange"]["root"]) / COURSE_ID / "inbound"
        before = set(os.listdir(inbound))
        exchange(ExchangeSubmit).start()
        (name,) = set(os.listdir(inbound)) - before
        made.append(str(inbound / name))
    print(json.dumps(made))


if __name__ == "__main__":
    without_iri_parsers()  # as nbgrader starts for descent (NBGRADER_MAIN)
    if sys.argv[1:] == ["instructor"]:
        _instruct(json.load(sys.stdin))
    else:
        _drive(json.load(sys.stdin))

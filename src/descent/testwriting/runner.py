"""Running a student's test file against one implementation, and reading what came of it.

Two places, one harness (:mod:`descent.testwriting.harness`):

* :func:`in_process`: the file runs in this process (the student's own loop, the kit's own
  folders), each test under a time limit;
* :class:`InWorker`: the file runs in a confined worker (``descent.isolation``: the same fork
  server, confinement and data-only protocol as a graded submission), imported afresh for each
  implementation. The worker holds no implementation: every call of ``impl`` comes back to this
  process, where a :class:`~descent.testwriting.dispatch.Dispatcher` serves it. The worker's
  replies are untrusted data: :func:`clean_load` and :func:`clean_outcome` keep only the fields
  they expect, typed and capped.

In a worker, a file's first run is two requests: the import of the file (its cases), then every
case kept, one after the other, answered together within one case's time limit (the same cases,
in the same order, in the same worker, as one request per case would run them); each later run
is one, the import and the cases together (``harness.load_run``: the worker keeps the cases by
the rule this side reads its reply with, :class:`LeftOut`). When that request
fails (a case ran out of time or crashed the worker, raised past the harness, or the cases
together took longer than one may), the run is made again case by case in a fresh worker, where
a case that fails is answered as such and the next one gets a fresh worker again; that file
then runs case by case for the rest of the grading (so a test that loops costs its time limit
twice, once, not once per implementation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..calls import timelimit
from .dispatch import Dispatcher
from .harness import MAX_CASES, MAX_TEXT, Caller, Suite, left_out

OUTCOMES = ("passed", "failed", "skipped", "not_written", "timeout", "crashed")
BOOT = "from descent.testwriting.harness import load, load_run, run, run_cases"
# What an InWorker's worker loads and may read: nothing of the submission (its Connection.key)
WORKER_KEY = (None, None, ())


@dataclass(frozen=True)
class LeftOut:
    """The cases a run leaves out: all of them (``everything``: the whole file is refused),
    those of the test functions ``bases`` (``test_x`` for ``test_x[1-2]``) and the ``cases``
    named. A worker decides with the same rule (``harness.left_out``), from :meth:`as_data`."""

    everything: bool = False
    bases: frozenset[str] = frozenset()
    cases: frozenset[str] = frozenset()

    def __call__(self, case: str) -> bool:
        return left_out(case, (self.everything, self.bases, self.cases))

    def as_data(self) -> list:
        return [self.everything, sorted(self.bases), sorted(self.cases)]


NOTHING_LEFT_OUT = LeftOut()


# Test files whose import ran out of time, with the reason: one limit in a grading, not one per
# implementation the file is run against (a `while True` at its top cost 24 limits, 452 s).
_HUNG: dict[tuple[str, str], str] = {}


@dataclass
class SuiteRun:
    """What one run of a test file against one implementation gave: the cases collected, the
    tests that could not run and why, an error that stopped the whole file, and each case's
    outcome (``{"outcome": ..., "error", "message", "line", "source", "from_impl"}``)."""

    cases: list[str] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)


def in_process(
    source: str,
    filename: str,
    dispatcher: Dispatcher,
    functions: list[str],
    *,
    seconds: float,
    leave_out: LeftOut = NOTHING_LEFT_OUT,
) -> SuiteRun:
    """Run every case that ``leave_out`` keeps, here, each (and the file's import) within
    ``seconds``."""
    file = (source, filename)
    if file in _HUNG:
        return SuiteRun(error=_HUNG[file])
    try:
        with timelimit.guard(f"importing {filename}", seconds):
            suite = Suite(source, filename)
    except timelimit.CallTimeout as exc:
        if exc.name != f"importing {filename}":
            raise
        _HUNG[file] = f"{exc} (earlier in this run; not loaded again)"
        return SuiteRun(error=str(exc))
    run = SuiteRun(list(suite.cases), list(suite.problems), suite.error)
    caller = Caller(dispatcher.serve)
    for name in run.cases:
        if leave_out(name):
            continue
        try:
            with timelimit.guard(f"the test {name}", seconds):
                run.outcomes[name] = suite.run(name, caller, functions)
        except timelimit.CallTimeout as exc:
            if exc.name != f"the test {name}":
                raise  # an outer limit: the whole check ran out of time
            run.outcomes[name] = {"outcome": "timeout", "message": str(exc)}
    return run


class InWorker:
    """Runs test files in one confined worker, reloaded for every run: each run imports the file
    afresh into a namespace of its own, and a case that ran out of time or crashed the worker is
    answered as such, the next one getting a fresh worker. One worker serves a whole grading
    (every exercise, every implementation): a file's first import of what it uses (pytest,
    ``torch.testing``) is paid once. ``close`` ends it."""

    def __init__(self, manager, counted=None):
        """``counted``: the submission's own connection, whose round trips and worker events
        (in the results, and the graders' budget) count this worker's as well."""
        self.manager, self.counted = manager, counted
        self.conn = None
        self.loaded: tuple[str, str] | None = None
        self.one_by_one: set[tuple[str, str]] = set()  # files whose cases failed together
        self.imported: set[tuple[str, str]] = set()  # files whose import came back in a reply
        self.hung: dict[tuple[str, str], str] = {}  # files whose import ran out of time: why

    def run(
        self,
        source: str,
        filename: str,
        dispatcher: Dispatcher,
        functions: list[str],
        *,
        leave_out: LeftOut = NOTHING_LEFT_OUT,
        tape: list | None = None,
    ) -> SuiteRun:
        """Run every case that ``leave_out`` keeps, ``impl`` calling back to ``dispatcher``.
        ``tape`` (``["record", k]`` or ``["replay", k]``): the worker keeps this run's calls
        as tape ``k``, or answers from it what a run recorded there asked the same way
        (:class:`~descent.testwriting.harness.Tape`); for cases run together only. Once a file's
        import has come back from the worker, its later runs are one request each (the import
        and the cases kept together); one that fails is made again as below."""
        file = (source, filename)
        if file in self.hung:  # one limit for the file, not one per implementation
            return SuiteRun(error=self.hung[file])
        if file in self.imported and file not in self.one_by_one and self._serving():
            run = self._in_one(file, leave_out, dispatcher, functions, tape)
            if run is not None:
                return run
            dispatcher = Dispatcher(dispatcher.functions, dispatcher.caches)  # as below
        run = self._load(source, filename)
        kept = [name for name in run.cases if run.error is None and not leave_out(name)]
        if kept and file not in self.one_by_one:
            outcomes = self._together(kept, dispatcher, functions, tape)
            if outcomes is not None:
                run.outcomes = outcomes
                return run
            self.one_by_one.add(file)
            self.close()  # from a fresh worker, as if the file ran case by case from the start
            dispatcher = Dispatcher(dispatcher.functions, dispatcher.caches)
            run = self._load(source, filename)
            kept = [name for name in run.cases if run.error is None and not leave_out(name)]
        for name in kept:
            run.outcomes[name] = self._case(name, dispatcher, functions)
        return run

    def _together(
        self, names: list[str], dispatcher: Dispatcher, functions: list[str], tape: list | None
    ) -> dict[str, dict[str, Any]] | None:
        """Each case's outcome, from one request; None when that request failed."""
        # start-up: the isolation package loads only where a worker runs the tests
        from ..isolation.errors import RemoteException, WorkerFailure

        try:
            reply = self._call("run_cases", list(names), dispatcher.serve, list(functions), tape)
        except (WorkerFailure, RemoteException):
            return None
        if type(reply) is not list or len(reply) != len(names):
            return None
        return {name: clean_outcome(outcome) for name, outcome in zip(names, reply)}

    def _serving(self) -> bool:
        return self.conn is not None and self.conn.test_failure is None

    def _in_one(
        self, file, leave_out: LeftOut, dispatcher: Dispatcher, functions: list[str], tape
    ) -> SuiteRun | None:
        """The import and the kept cases in one request; None when it failed. The import's
        reply is read as ``load``'s, and the cases kept are decided here from it, by the rule
        the worker followed: a reply that does not match is a failure."""
        # start-up: the isolation package loads only where a worker runs the tests
        from ..isolation.errors import RemoteException, WorkerFailure

        self.loaded = file
        try:
            reply = self._call(
                "load_run", *file, leave_out.as_data(), dispatcher.serve, list(functions), tape
            )
        except (WorkerFailure, RemoteException):
            reply = None
        if type(reply) is dict:
            run = clean_load(reply.get("load"))
            kept = [name for name in run.cases if run.error is None and not leave_out(name)]
            outcomes = reply.get("outcomes")
            if type(outcomes) is list and len(outcomes) == len(kept):
                run.outcomes = {name: clean_outcome(o) for name, o in zip(kept, outcomes)}
                return run
        # as when a file's cases fail together: case by case, from a fresh worker
        self.one_by_one.add(file)
        self.close()
        return None

    def _load(self, source: str, filename: str) -> SuiteRun:
        # start-up: the isolation package loads only where a worker runs the tests
        from ..isolation.connection import Connection
        from ..isolation.errors import WorkerFailure

        self.loaded = (source, filename)
        try:
            if self.conn is None or self.conn.test_failure is not None:
                self.close()
                folder, variant, read_extra = WORKER_KEY
                self.conn = Connection(
                    f"tests {filename}",
                    self.manager,
                    folder=folder,
                    variant=variant,
                    read_extra=read_extra,
                )
                # unwatched: the harness is the kit's, and a cell's audit hook would stay for
                # every event of the worker's life (cells.run)
                booted = self._counted(
                    lambda: self.conn.request(
                        {"op": "cell", "source": BOOT, "watch": False}, timeout=60.0
                    )
                )
                if booted.get("error"):
                    return SuiteRun(error=f"the worker could not start: {booted['error']}")
            loaded = clean_load(self._call("load", source, filename))
            self.imported.add((source, filename))
            return loaded
        except WorkerFailure as exc:
            self.close()
            why = f"the file could not be loaded in the worker: {exc}"
            if exc.kind == "timeout":
                self.hung[(source, filename)] = f"{why} (earlier in this run; not loaded again)"
            return SuiteRun(error=why)

    def _case(self, name: str, dispatcher: Dispatcher, functions: list[str]) -> dict[str, Any]:
        # start-up: the isolation package loads only where a worker runs the tests
        from ..isolation.errors import RemoteException, WorkerFailure

        try:
            return clean_outcome(self._call("run", name, dispatcher.serve, list(functions)))
        except WorkerFailure as exc:
            kind = "timeout" if exc.kind == "timeout" else "crashed"
            self.close()
            if self.loaded is not None:  # the next case needs the file in a fresh worker
                self._load(*self.loaded)
            return {"outcome": kind, "message": _text(str(exc))}
        except RemoteException as exc:  # raised past the harness (SystemExit and the like)
            return {"outcome": "failed", "error": "Error", "message": _text(str(exc))}

    def _call(self, function: str, *args: Any) -> Any:
        # start-up: the isolation package loads only where a worker runs the tests
        from ..isolation import cells
        from ..isolation.handles import RemoteFunction

        return self._counted(lambda: RemoteFunction(self.conn, cells.MODULE, function)(*args))

    def _counted(self, request: Callable[[], Any]) -> Any:
        conn, counted = self.conn, self.counted
        requests, events = conn.requests, len(conn.events)
        try:
            return request()
        finally:
            if counted is not None:
                test = counted.current_test
                counted.requests += conn.requests - requests
                by_test = counted.requests_by_test
                by_test[test] = by_test.get(test, 0) + conn.requests - requests
                counted.events.extend(dict(e, test=test) for e in conn.events[events:])

    def close(self, wait: bool = True) -> None:
        """Stop the worker (``wait``: see ``WorkerProcess.kill``)."""
        if self.conn is not None:
            self.conn.close(wait=wait)
            self.conn = None


def clean_load(reply: Any) -> SuiteRun:
    """The reply of the worker's ``load``, kept only as far as it has the expected shape."""
    if type(reply) is not dict:
        return SuiteRun(error="the worker sent a malformed answer")
    cases = reply.get("cases")
    cases = [_text(c, 200) for c in cases[:MAX_CASES]] if type(cases) is list else []
    problems = reply.get("problems")
    problems = (
        [
            {"test": _text(p.get("test"), 200), "why": _text(p.get("why"), MAX_TEXT)}
            for p in problems[:MAX_CASES]
            if type(p) is dict
        ]
        if type(problems) is list
        else []
    )
    error = reply.get("error")
    return SuiteRun(list(dict.fromkeys(cases)), problems, None if error is None else _text(error))


def clean_outcome(reply: Any) -> dict[str, Any]:
    """One case's outcome as the worker sent it, typed and capped."""
    if type(reply) is not dict or reply.get("outcome") not in OUTCOMES:
        return {"outcome": "failed", "error": "ProtocolError", "message": "malformed outcome"}
    out: dict[str, Any] = {"outcome": reply["outcome"]}
    for key in ("error", "message", "source"):
        if key in reply:
            out[key] = _text(reply[key])
    if "line" in reply:
        line = reply["line"]
        out["line"] = line if type(line) is int and 0 <= line < 10**6 else 0
    if "from_impl" in reply:
        out["from_impl"] = reply["from_impl"] is True
    return out


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    return value[:limit] if type(value) is str else ""

"""A pytest plugin that counts the work each test makes an implementation do (``-p
descent.work_count --work-out FILE``), for the graders' budget (:mod:`descent.budget`).

Counts per test, all deterministic for a given kit (the graders' hypothesis profiles are
derandomized), so a budget can hold them exactly where seconds would be noise:

* ``requests``: round trips to the worker, for an implementation graded in one;
* ``calls``: calls from the grader's side into the implementation's own functions and methods
  (those the implementation makes itself are not counted), for one graded in this process;
* ``steps``: calls of an optimizer step of ``optim.py`` (one per parameter tensor updated),
  whoever makes them: the graders' optimizer scenarios or the capstone's own training loop;
* ``examples``: how many times the test's body ran (the hypothesis examples of a property; 1
  for a plain test).

Calls, steps and examples come from :mod:`cProfile`, which runs for in-process implementations
only (it slows a test down, so it is never on in a grading that is not counting). The file
written: ``{"tests": [{"nodeid", "module", "implementation", "isolated", "requests", "calls",
"steps", "examples"}, ...]}``, ``module`` being the grader file's stem without ``test_``.
"""

from __future__ import annotations

import cProfile
import json
import types
from pathlib import Path
from typing import TypeGuard

import pytest

from . import registry
from .impl import Implementation

# The functions whose calls are optimizer steps: those of the exercises of optim.py.
STEP_FUNCTIONS = frozenset(
    name for ex in registry.EXERCISES.values() if ex.module == "optim" for name in ex.functions
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("descent").addoption(
        "--work-out",
        metavar="FILE",
        help="write the work each test made its implementation do to FILE (JSON)",
    )


def pytest_configure(config: pytest.Config) -> None:
    out = config.getoption("work_out")
    if out:
        config.pluginmanager.register(WorkCounter(Path(out)), "descent-work-counter")


class WorkCounter:
    """Counts per test and writes them at the end of the session."""

    def __init__(self, out: Path):
        self.out = out
        self.rows: list[dict] = []
        self._graded: dict[str, object] = {}  # node id -> the implementation its check used

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem):
        known = _param(item)  # with several implementations, each test's is its parameter
        profiler = None if _isolated(known) else cProfile.Profile()
        if profiler is not None:
            profiler.enable()
        try:
            return (yield)
        finally:
            if profiler is not None:
                profiler.disable()
            impl = known or self._graded.pop(item.nodeid, None)
            if impl is not None:
                self.rows.append(_row(item, impl, None if _isolated(impl) else profiler))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        args = getattr(item, "funcargs", {})
        impl = args.get("impl") or getattr(args.get("check"), "impl", None)
        if isinstance(impl, Implementation):
            self._graded[item.nodeid] = impl
        return (yield)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text(json.dumps({"tests": self.rows}, indent=0) + "\n")


def _param(item: pytest.Item):
    """The implementation a test grades when it is the test's ``impl`` parameter, else None."""
    callspec = getattr(item, "callspec", None)
    impl = callspec.params.get("impl") if callspec else None
    return impl if isinstance(impl, Implementation) else None


def _isolated(impl) -> bool:
    return bool(getattr(impl, "isolated", False))


def _row(item: pytest.Item, impl, profiler: cProfile.Profile | None) -> dict:
    stem = Path(str(item.path)).stem
    row = {
        "nodeid": item.nodeid,
        "module": stem.removeprefix("test_"),
        "implementation": impl.name,
        "isolated": _isolated(impl),
        "requests": _requests(impl, item.nodeid),
    }
    if profiler is not None:
        row.update(_profiled(profiler, impl, _body(item)))
    return row


def _requests(impl, nodeid: str) -> int:
    conn = getattr(impl, "conn", None)
    return int(conn.requests_by_test.get(nodeid, 0)) if conn is not None else 0


def _body(item: pytest.Item):
    """The code object of the test's own body (under hypothesis, the function it wraps)."""
    fn = getattr(item, "obj", None)
    inner = getattr(getattr(fn, "hypothesis", None), "inner_test", None)
    return getattr(inner or fn, "__code__", None)


def _profiled(profiler: cProfile.Profile, impl, body) -> dict[str, int]:
    """Calls into the implementation's code from outside it, optimizer steps and runs of the
    test's body, read from the profiler's table of callers and callees."""
    root = getattr(impl, "root", None)
    prefix = str(Path(root).resolve()) + "/" if root is not None else None

    def own(
        code,
    ) -> TypeGuard[
        types.CodeType
    ]:  # a function of the implementation (running a module is not a call)
        return (
            prefix is not None
            and isinstance(code, types.CodeType)
            and code.co_filename.startswith(prefix)
            and code.co_name != "<module>"
        )

    calls = steps = examples = 0
    for entry in profiler.getstats():
        code = entry.code
        if code is body:
            examples += entry.callcount
        if not own(code):
            continue
        calls += entry.callcount
        if code.co_name in STEP_FUNCTIONS and Path(code.co_filename).name == "optim.py":
            steps += entry.callcount
        # calls this function of the implementation made to others of it are not the grader's
        calls -= sum(sub.callcount for sub in entry.calls or () if own(sub.code))
    return {"calls": calls, "steps": steps, "examples": examples}

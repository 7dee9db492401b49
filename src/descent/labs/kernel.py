"""The student's notebook, running in a confined worker, as the trusted side sees it.

:class:`Kernel` runs cells in a worker of :mod:`descent.isolation` (the same fork server,
confinement and data-only protocol as ``descent grade``) and reads the notebook's values. Every
value handed to a check is plain data (numbers, strings, tensors, and lists, tuples and dicts of
them): an object of the student's own class stays in the worker and the check sees
:class:`NotData`, so no check can ever run code of the student's (an ``__eq__`` that always says
yes) on the trusted side.

When a cell runs past its time limit, crashes the worker or exhausts its memory, the worker's
whole process tree is killed. The next cell then gets a fresh worker in which the cells that
had finished are run again, at most ``MAX_RESTARTS`` times per notebook.
"""

from __future__ import annotations

from typing import Any

from ..isolation import cells
from ..isolation.connection import Connection
from ..isolation.errors import WorkerFailure
from ..isolation.handles import Remote, RemoteFunction
from ..isolation.limits import Limits
from ..isolation.manager import Settings, shared
from .reply import well_formed

MAX_RESTARTS = 2
PRIVATE = "_descent_value"


class NotData(AssertionError):
    """A notebook value that is not plain data (an object that must stay in the worker)."""


class Kernel:
    """One notebook in one confined worker; use as a context manager (the tree is killed at
    the end)."""

    def __init__(
        self,
        timeout: float = 180.0,
        call_timeout: float = 30.0,
        memory_mb: int | None = None,
        insecure: bool = False,
    ):
        limits = Limits()
        if memory_mb:
            limits.address_space = limits.memory = int(memory_mb) << 20
            limits.address_headroom = None  # the instructor's number is the cap
        self.manager = shared(Settings(insecure=insecure, call_timeout=call_timeout, limits=limits))
        self.timeout = timeout
        self.conn = Connection("notebook", self.manager, folder=None)
        self.done: list[str] = []  # sources of the cells that ran, replayed after a kill
        self.restarts = 0
        self.stopped: str | None = None  # why the notebook cannot go on

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def mode(self) -> str:
        """The confinement mode (raises IsolationUnavailable when there is none)."""
        return self.manager.mode()["mode"]

    # -- cells ---------------------------------------------------------------------------------
    def run(self, source: str) -> dict:
        """Run one cell; returns what :func:`descent.isolation.cells.run` reports, or an error
        saying why the cell could not run."""
        if not self.alive():
            return _failed("NotRun", f"not run: {self.stopped}")
        try:
            reply = self.conn.request({"op": "cell", "source": source}, timeout=self.timeout)
        except WorkerFailure as exc:
            return _failed("CellStopped", f"{exc} (the notebook's worker was stopped)")
        kept = well_formed(reply)  # every field checked and capped here: see reply.py
        if kept is None:
            return _failed("ProtocolError", "the worker sent a malformed cell result")
        self.done.append(source)
        return kept

    def alive(self) -> bool:
        """Whether cells can run: after a kill, restart and replay the cells that had run."""
        if self.stopped is not None:
            return False
        if self.conn.test_failure is None:
            return True
        if self.restarts >= MAX_RESTARTS:
            self.stopped = f"the notebook's worker was stopped {self.restarts + 1} times"
            return False
        self.restarts += 1
        self.conn.begin_test(f"restart {self.restarts}")
        for source in self.done:
            try:
                self.conn.request({"op": "cell", "source": source}, timeout=self.timeout)
            except WorkerFailure as exc:
                self.stopped = f"a cell failed again when the notebook was restarted ({exc})"
                return False
        return True

    # -- values ----------------------------------------------------------------------------------
    def value(self, name: str) -> Any:
        """The value of a notebook variable, as data."""
        self._check_alive()
        try:
            got = self.conn.request(
                {
                    "op": "getattr",
                    "target": {"m": cells.MODULE, "a": name},
                    "name": "__descent_module_value__",
                }
            )
        except AttributeError:
            raise NotData(f"`{name}` is not defined in the notebook") from None
        except LookupError:  # no cell has run yet
            raise NotData(f"`{name}` is not defined in the notebook") from None
        return data(got, f"`{name}`")

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the notebook's function ``name`` with data arguments; its result, as data."""
        self._check_alive()
        return data(
            RemoteFunction(self.conn, cells.MODULE, name)(*args, **kwargs), f"`{name}(...)`"
        )

    def define(self, source: str) -> None:
        """Run a grader's helper code in the notebook (say, a function that builds a model and
        hands it to the student's function). It runs in the student's worker, so whatever it
        returns later is the student's claim, checked like any other value. It is not run again
        after a restart."""
        self._check_alive()
        ran = len(self.done)
        result = self.run(source)
        del self.done[ran:]
        if result["error"]:
            raise AssertionError(f"{result['error']['type']}: {result['error']['msg']}")

    def eval(self, expression: str) -> Any:
        """Evaluate a grader's expression in the notebook (the weights of a model the notebook
        built, say); the result, as data."""
        self.define(f"{PRIVATE} = ({expression})")
        return self.value(PRIVATE)

    def _check_alive(self) -> None:
        if not self.alive():
            raise WorkerFailure(f"the notebook could not be run: {self.stopped}", "stopped")


def _failed(kind: str, message: str) -> dict:
    return {
        "stdout": "",
        "stderr": "",
        "result": None,
        "refused": [],
        "error": {"type": kind, "msg": message},
    }


_LEAVES = (type(None), bool, int, float, complex, str)


def data(value: Any, what: str, depth: int = 0) -> Any:
    """``value`` if it is plain data all the way down; else :class:`NotData`."""
    # start-up: torch only when a value may be a tensor
    import torch

    t = type(value)
    if t in _LEAVES or t is torch.Tensor or t is torch.dtype or t is torch.Size:
        return value
    if t in (list, tuple) and depth < 50:
        for item in value:
            data(item, what, depth + 1)
        return value
    if t is dict and depth < 50:
        for key, item in value.items():
            data(key, what, depth + 1)
            data(item, what, depth + 1)
        return value
    name = value.descent_type_name if isinstance(value, Remote) else t.__name__
    raise NotData(
        f"{what} is a {name} object, not plain data (numbers, strings, tensors, "
        f"lists, tuples and dicts of them)"
    )

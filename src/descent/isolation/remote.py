"""A submission graded through a confined worker, presented as an :class:`Implementation`.

``impl.losses.mse_forward(pred, target)`` sends the call over the implementation's
:class:`~descent.isolation.connection.Connection` and rebuilds the result as plain data; objects
that cannot cross come back as handles (:mod:`.handles`). Arguments the student's code edits in
place are copied back into the grader's objects, so in-place bugs are visible to the test exactly
as in-process (which is why a test computes its expected values before calling student code, as
``check.matches`` does). Everything about requests, time limits and failures is the
connection's; this class adds the module listing, the intake and scan reports, and the
lifecycle that the grading plugin calls.
"""

from __future__ import annotations

import collections
import contextlib
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .. import registry
from ..calls import steps
from ..calls.impl import Implementation, PatchedImplementation, SubmissionError
from .connection import Connection
from .errors import RemoteException, WorkerFailure, clean
from .handles import ModuleProxy, Remote, RemoteFunction
from .import_limits import ImportLimits
from .scan import sibling_imports

__all__ = [
    "WorkerImplementation",
    "Remote",
    "RemoteFunction",
    "RemoteException",
    "WorkerFailure",
    "library_flags",
]


_IMPORT_GRACE = 1.3  # how much longer than an import's limit this side waits for the worker


class WorkerImplementation(Implementation):
    """A submission graded through a confined worker process."""

    isolated = True

    def __init__(
        self,
        name: str,
        manager,
        *,
        folder: str | None,
        variant: dict | None = None,
        read_extra: tuple[str, ...] = (),
        base_kind: str = "folder",
    ):
        super().__init__(name)
        self.manager = manager
        self.kind = base_kind
        self.conn = Connection(name, manager, folder=folder, variant=variant, read_extra=read_extra)
        self.intake: dict | None = None  # the intake report, for the results
        self.taken = None  # the intake's copy, removed at close
        self.scan: dict[str, list[str]] = {}  # exercise -> forbidden names in source
        self.review: dict[str, list[str]] = {}  # exercise -> why a person should look
        self._modules: dict[str, ModuleProxy] = {}
        self._modules_of = None  # the worker process they were listed by
        # Imports out of time in any worker of this grading (None: this worker's own refusals
        # only), and the modules whose failure this process has reported since (import_limits)
        self.import_limits: ImportLimits | None = None
        self._reported: set[str] = set()

    # -- what the worker reports, for the plugin and the kit's tests ---------------------------
    folder = property(lambda self: self.conn.folder)
    process = property(lambda self: self.conn.process)
    events = property(lambda self: self.conn.events)
    hits = property(lambda self: self.conn.hits)
    modified_log = property(lambda self: self.conn.modified_log)
    requests = property(lambda self: self.conn.requests)
    pipelined = property(lambda self: self.conn.pipeline.pipelined)
    snapshot_reads = property(lambda self: self.conn.snapshot_reads)
    applied = property(lambda self: self.conn.applied)

    # -- lifecycle -------------------------------------------------------------------------------
    def begin_test(self, nodeid: str) -> None:
        self.conn.begin_test(nodeid)

    def seed_global(self, seed: int) -> None:
        self.conn.seed_global(seed)

    def flush(self) -> None:
        self.conn.pipeline.flush()

    def hangs(self) -> frozenset:
        return self.conn.hangs()

    def forget_hangs(self, keys: frozenset) -> None:
        self.conn.forget_hangs(keys)

    def forked(self) -> None:
        """In a copy of the grading process made by fork (descent.grading.split): a channel of
        its own, whose worker starts on first use. The original's worker stays the original's:
        this copy only lets go of its descriptors of that worker."""
        old = self.conn
        if old.process is not None:
            old.process.let_go()
        self.conn = Connection(
            self.name,
            self.manager,
            folder=old.folder,
            variant=old.variant,
            read_extra=old.read_extra,
        )
        self._modules, self._modules_of = {}, None

    def tally(self) -> dict[str, Any]:
        """What the worker saw and counted, as JSON data (see :meth:`add_tally`)."""
        conn = self.conn
        return {
            "events": conn.events,
            "hits": {ex: sorted(names) for ex, names in conn.hits.items()},
            "requests": conn.requests,
            "requests_by_test": {t: n for t, n in conn.requests_by_test.items() if t},
            "pipelined": conn.pipeline.pipelined,
            "snapshot_reads": conn.snapshot_reads,
        }

    def add_tally(self, tally: dict[str, Any]) -> None:
        """Count in what another process's worker saw for this submission (its half of the
        tests, descent.grading.split): the library use it caught counts here as if seen here."""
        conn = self.conn
        conn.events.extend(tally["events"])
        for ex, names in tally["hits"].items():
            conn.hits.setdefault(ex, set()).update(names)
        conn.requests += tally["requests"]
        conn.requests_by_test.update(tally["requests_by_test"])
        conn.pipeline.pipelined += tally["pipelined"]
        conn.snapshot_reads += tally["snapshot_reads"]

    def stand_in(self, parts) -> contextlib.AbstractContextManager[list] | None:
        if self.kind == "patched":
            return None  # a catalogued variant: its parts are the reference's own
        return self._standing_in(tuple(parts))

    @contextlib.contextmanager
    def _standing_in(self, parts: tuple[str, ...]) -> Iterator[list]:
        """The worker puts the kit's stand-ins in place of the submission's parts for the
        block. Functions out of time in it are forgotten after it, as a diagnosis's re-runs
        are; library use is kept: the worker records none made by the stand-ins themselves
        (``tripwire.quiet``), so what it recorded is the submission's own code, which counts
        in this run as in any (a composite that borrows only once the kit's parts are in
        place was excused, its mistake charged to a part)."""
        conn = self.conn
        hung = dict(conn._hung)
        called: list = []
        self.standing = parts
        try:
            placed = conn.request({"op": "stand_in", "parts": list(parts)}) == []
        except (WorkerFailure, RemoteException):
            placed = False  # no stand-ins: whatever the block does is no evidence
        try:
            yield called
        finally:
            self.standing = ()
            try:
                ran = conn.request({"op": "stand_in", "parts": []})
            except (WorkerFailure, RemoteException):
                ran = []  # a worker that died in the block starts again as the student wrote it
            # only parts that were asked for: the worker's reply is the submission's to forge
            ran = ran if placed and isinstance(ran, list) else []
            called += self.called_with(parts, [p for p in parts if p in ran])
            conn._hung.clear()
            conn._hung.update(hung)

    def source(self, module: str) -> str | None:
        if self.kind == "patched" or not self.folder:
            return None  # a catalogued variant: the kit's own code
        path = Path(self.folder, f"{module}.py")
        return path.read_text(errors="replace") if path.is_file() else None

    @contextlib.contextmanager
    def edited(
        self, module: str, names: Sequence[str], source: str
    ) -> Iterator[Implementation | None]:
        """The worker holds the edit in place of the function for the block (its ``edit``
        operation). What the trial does is not the student's code as written and is forgotten
        after it: a function out of time (as a diagnosis's re-runs are), the library use the
        tripwire saw (an edit may take a branch that borrows), the worker's failures, the
        requests it sent (the results count the submission's own)."""
        conn = self.conn
        hung, events, failure = dict(conn._hung), len(conn.events), conn.test_failure
        logged = len(conn.modified_log)
        hits = {ex: set(names) for ex, names in conn.hits.items()}
        requests, by_test = conn.requests, dict(conn.requests_by_test)
        try:
            # a worker started since the module's tests ran (one stopped at a time limit, say)
            # has not loaded it: the trial loads it as any call would, or every edit fails
            self.module(module)
            placed = conn.request({"op": "edit", "m": module, "a": list(names), "source": source})
        except (WorkerFailure, RemoteException, SubmissionError):
            placed = False
        try:
            # another object than the one graded: a recipe may hand back what the graded
            # implementation gave it in the test (a record of the calls) instead of running again
            trial = PatchedImplementation(self, f"{self.name} (edited)", {})
            # the edits of arguments it makes, as a watched re-run reads them (then forgotten)
            trial.modified_log = conn.modified_log  # type: ignore[attr-defined]
            yield trial if placed is True else None
        finally:
            try:
                conn.request({"op": "edit", "m": module, "a": list(names), "source": None})
            except (WorkerFailure, RemoteException):
                pass  # a worker that died in the block starts again as the student wrote it
            conn._hung.clear()
            conn._hung.update(hung)
            conn.hits.clear()
            conn.hits.update(hits)
            del conn.events[events:]
            conn.test_failure = failure
            conn.requests, conn.requests_by_test = requests, by_test
            del conn.modified_log[logged:]

    @contextlib.contextmanager
    def strict_floats(self, raised: tuple[str, ...] = ("divide", "invalid")) -> Iterator[None]:
        """The worker runs the block's calls with NumPy's float errors of ``raised`` raised."""
        self.conn.strict = tuple(raised)
        try:
            yield
        finally:
            self.conn.strict = ()

    @contextlib.contextmanager
    def traced(self) -> Iterator[collections.Counter]:
        """The worker counts the calls of the submission's functions the block makes; the
        counter the block gets holds them after it (what the worker says: names and counts)."""
        ran: collections.Counter = collections.Counter()
        try:
            self.conn.request({"op": "ran"})  # what ran before the block is not the block's
        except (WorkerFailure, RemoteException):
            pass
        self.conn.trace = True
        try:
            yield ran
        finally:
            self.conn.trace = False
            try:
                pairs = self.conn.request({"op": "ran"})
            except (WorkerFailure, RemoteException):
                pairs = []
            for pair in pairs[:200] if isinstance(pairs, list) else []:
                if isinstance(pair, list) and len(pair) == 2 and type(pair[1]) is int:
                    ran[clean(str(pair[0]), 200)] += max(pair[1], 0)

    @contextlib.contextmanager
    def watched(self) -> Iterator[list]:
        """The worker records the values the submission's code computes in the block, line by
        line; the list the block gets holds them after it (checked: what the worker says)."""
        found: list = []
        try:
            self.conn.request({"op": "steps"})  # what ran before the block is not the block's
        except (WorkerFailure, RemoteException):
            pass
        self.conn.watch = True
        try:
            yield found
        finally:
            self.conn.watch = False
            try:
                said = self.conn.request({"op": "steps"})
            except (WorkerFailure, RemoteException):
                said = []
            found += steps.checked(said)

    def retire(self, wait: bool = True) -> None:
        """No test needs the worker any more: stop it now (``wait``: see
        ``WorkerProcess.kill``). What it saw and counted stays here for the results, and the
        intake's copy until :meth:`close`."""
        self.conn.close(wait=wait)

    def close(self) -> None:
        self.conn.close()
        if self.taken is not None:
            self.taken.cleanup()
            self.taken = None

    def describe(self) -> dict[str, Any]:
        """How the submission ran: in a worker, its intake, review flags (library use among
        them), worker events and request counts."""
        review = {ex: list(v) for ex, v in self.review.items()}
        for ex, used in library_flags(self).items():
            review.setdefault(ex, []).extend(f"library use: {u}" for u in used)
        info: dict[str, Any] = {"isolation": "worker"}
        if self.intake is not None:
            info["intake"] = self.intake
        info["review"] = review
        if self.conn.events:
            info["worker_events"] = self.conn.events[:100]
        chatty = sorted(((n, t) for t, n in self.conn.requests_by_test.items() if t), reverse=True)
        info.update(
            worker_requests=self.conn.requests,
            worker_pipelined=self.conn.pipeline.pipelined,
            worker_requests_top={t: n for n, t in chatty[:10]},
        )
        return info

    # -- modules -----------------------------------------------------------------------------------
    def module(self, name: str) -> Any:
        conn = self.conn
        if conn.test_failure is not None:
            raise conn.test_failure
        if self._modules_of is not conn.process:  # a failure or a new worker: list again
            self._modules, self._modules_of = {}, conn.process
        proxy = self._modules.get(name)
        if proxy is not None:
            return proxy
        self._load_imports_first(name)
        info = self._load(name) if self.import_limits is None else self._load_shared(name)
        if info.get("missing"):
            raise SubmissionError(f"{name}.py is missing from {self.name}{self._refusals()}")
        if "import_error" in info:
            raise SubmissionError(clean(info["import_error"]))
        attrs = info.get("attrs")
        if not isinstance(attrs, dict) or len(attrs) > 10000:
            conn.fail("protocol", "protocol violation: bad module listing")
        attrs = {clean(k, 200): clean(v, 20) for k, v in attrs.items()}
        self._modules[name], self._modules_of = ModuleProxy(conn, name, attrs), conn.process
        return self._modules[name]

    def _load(self, name: str, refuse: list[list[str]] | None = None) -> dict:
        """The worker's answer to loading ``name``; ``refuse``: [module, reason] pairs it must
        refuse to import (they ran out of time in another worker of this grading)."""
        conn = self.conn
        conn.ensure()
        # the worker stops an import out of time itself, at the call limit, and names its line;
        # this side waits a little longer before it stops the worker
        limit = conn.manager.call_timeout
        load = {"op": "load", "module": name, "limit": limit}
        if refuse:
            load["refuse"] = refuse
        return conn.request(load, raw=True, timeout=limit * _IMPORT_GRACE).get("load") or {}

    def _load_shared(self, name: str) -> dict:
        """:meth:`_load` where the grading's workers share their imports out of time: a module
        that ran out of time in one is never run again in another. This process reports it once
        in the first worker's words; after that this worker refuses it (``refuse``), as the first
        worker does after its own import out of time. Recorded only on this side's evidence: the
        load took the whole limit."""
        limits, source = self.import_limits, self._bytes(name)
        if source is None:
            return self._load(name)
        with limits.importing(name):  # another process importing it: its outcome first
            earlier = limits.find(name, source)
            if earlier is not None and name not in self._reported:
                self._reported.add(name)
                raise SubmissionError(earlier)
            started = time.monotonic()
            info = self._load(name, self._out_of_time())
            took = time.monotonic() - started
            if earlier is None and "import_error" in info and took >= self.manager.call_timeout:
                limits.record(name, source, clean(info["import_error"]))
                self._reported.add(name)
        return info

    def _out_of_time(self) -> list[list[str]]:
        """[module, reason] for each module of this submission recorded out of time."""
        found = []
        for module in self.import_limits.modules():
            source = self._bytes(module)
            message = None if source is None else self.import_limits.find(module, source)
            if message is not None:
                found.append([module, message.removeprefix(f"{module}.py could not be imported: ")])
        return found

    def _bytes(self, module: str) -> bytes | None:
        """The bytes of ``module``'s file as the worker is given it, or None."""
        if not self.folder:
            return None
        try:
            return Path(self.folder, f"{module}.py").read_bytes()
        except OSError:
            return None

    def _load_imports_first(self, name: str) -> None:
        """Load the submission's modules that ``name`` imports before ``name`` itself, each on
        its own: a module whose import does not return is then the one named, and refused at
        once when another imports it later (``train.py`` importing a ``schedules.py`` that loops
        at import), instead of costing a time limit again under the importer's name. One that
        fails otherwise (an error at import) is left for the importer's own load to report; an
        import cycle is left as it is."""
        imports = self._imports(name)
        self._loading = getattr(self, "_loading", set()) | {name}
        try:
            for dep in imports:
                if dep in self._modules or dep in self._loading or name in self._imports(dep):
                    continue
                try:
                    self.module(dep)
                except WorkerFailure:
                    raise  # out of time (or the worker died): in the module that did it
                except SubmissionError:
                    continue  # reported by the importer's load, in its own words
        finally:
            self._loading.discard(name)

    def _imports(self, name: str) -> list[str]:
        """The submission's modules that ``name``'s source imports at import time."""
        if not self.folder:
            return []
        folder = Path(self.folder)
        try:
            siblings = {p.stem for p in folder.glob("*.py")} & set(registry.MODULES)
            source = (folder / f"{name}.py").read_text(errors="replace")
        except OSError:
            return []
        return [m for m in sibling_imports(source, siblings) if m != name]

    def _refusals(self) -> str:
        """What intake refused, for the message of a missing module (the module may be there,
        in a notebook or archive that could not be read)."""
        refused = (self.intake or {}).get("refused") or []
        shown = "; ".join(f"{r['path']}: {r['reason']}" for r in refused[:3])
        return f" (refused {shown})" if shown else ""

    def __getattr__(self, name: str) -> Any:
        return Implementation.__getattr__(self, name)


def library_flags(impl) -> dict[str, list[str]]:
    """Exercise -> what was used that the exercise must not borrow (runtime tripwire hits and
    names found in the source)."""
    flags: dict[str, list[str]] = {}
    for ex, names in getattr(impl, "hits", {}).items():
        flags.setdefault(ex, []).extend(f"{n} (called at run time)" for n in sorted(names))
    for ex, names in getattr(impl, "scan", {}).items():
        flags.setdefault(ex, []).extend(f"{n} (in the source)" for n in names)
    return flags

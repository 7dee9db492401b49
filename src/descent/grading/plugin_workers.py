"""The grading plugin's side of isolation: which implementations run in a worker, what the
results record about confinement, and the library-use flags.

``--isolation auto`` (default): the kit's own ``starter``/``solutions`` and catalogued variants
run in-process (they are trusted and this keeps the kit's own tests fast); any other folder is a
submission and runs in a confined worker. ``worker``: everything through a worker (used by the
kit's tests to prove the worker path gives the same results). ``none``: in-process; for a
submission folder this needs ``--insecure``.

This module is pytest glue: it imports the isolation package, which knows nothing of pytest.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

from .. import results
from ..calls import timelimit
from ..calls.impl import FolderImplementation, Implementation
from ..catalogue import KINDS as VARIANT_KINDS
from ..isolation import intake as intake_mod
from ..isolation import scan as scan_mod
from ..isolation.errors import RemoteException  # noqa: F401 - the plugin's door to isolation
from ..options import AUTO, NONE, WORKER, add_to_pytest
from ..platforms import isolation_mode, needs_linux, workers_missing
from ..testwriting import declared


def add_options(group) -> None:
    add_to_pytest(group)


# How long the end of a run waits for the probe's thread to finish a worker's start (one start
# takes tens of milliseconds; a server that never answers is not waited for longer).
STOP_WAIT_S = 5.0


class _ConfinementCheck:
    """Confirms the confinement once collection is done, and stops the run with the reason
    when there is none. The confined probe runs while this process collects: a thread waits
    for the fork server (still importing torch on the other CPU), then for the probe child."""

    def __init__(self, manager):
        self.manager = manager
        self.early: threading.Thread | None = None
        self.failed: BaseException | None = None  # what the thread's mode() raised
        self.collected = threading.Event()  # collection has ended: start no more spares

    def pytest_collection(self, session):
        # The server is started here, not in the thread: it is killed when the thread that
        # started it ends (PR_SET_PDEATHSIG). mode() then only talks to it (under its lock) and
        # records what it learnt; an error is raised again in pytest_collection_finish.
        _ = self.manager.server
        self.early = threading.Thread(target=self._mode_quietly, name="descent-probe")
        self.early.daemon = True  # a server that never answers must not hold the exit
        self.early.start()

    def _mode_quietly(self) -> None:
        try:
            self.manager.mode()
        except BaseException as exc:  # noqa: BLE001 - raised again after collection
            self.failed = exc
            return
        # the workers the first tests will ask for, on the idle CPU, while collection lasts
        self.manager.prestart(self.collected.is_set)

    def pytest_collection_finish(self, session):
        # start-up: the command line loads this module; pytest and the workers load when used
        import pytest

        from ..isolation.manager import IsolationUnavailable

        self.collected.set()
        if self.early is not None:  # joined before anything forks (descent.grading.split)
            self.early.join()
        try:
            if self.failed is not None:  # not asked twice: a server that hangs, hangs once
                raise self.failed
            self.manager.mode()
        except IsolationUnavailable as exc:
            pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)

    def pytest_sessionfinish(self, session):
        # A run that ends before its collection did (Ctrl-C, an error that stops it) never
        # reaches pytest_collection_finish: the thread is told here to start no more workers,
        # and the start it may be in the middle of is let finish, so that the worker is on the
        # server's list when the workers are stopped at the exit (else its cgroup is left).
        self.collected.set()
        if self.early is not None:
            self.early.join(timeout=STOP_WAIT_S)


def _install_check(config, manager) -> None:
    name = "descent-isolation-check"
    if not config.pluginmanager.has_plugin(name):
        config.pluginmanager.register(_ConfinementCheck(manager), name)


def manager_for(config):
    missing = workers_missing()
    if missing:
        import pytest  # start-up: the command line loads this module; pytest when used

        raise pytest.UsageError(needs_linux(missing))
    # start-up: the command line loads this module; pytest and the workers load when used
    from ..isolation.limits import Limits
    from ..isolation.manager import Settings, shared

    device = config.getoption("device")
    devices = ("cpu", "cuda") if device == "all" else (device,)
    manager = shared(
        Settings(
            insecure=bool(config.getoption("insecure")),
            call_timeout=float(config.getoption("call_timeout")),
            colocate=config.getoption("worker_cpu") == "same",
            unprivileged=bool(config.getoption("unprivileged_workers")),
            devices=devices,
            limits=Limits(),
        )
    )
    _install_check(config, manager)
    return manager


def wants_worker(mode: str, specs: list[str]) -> bool:
    """Whether ``--isolation mode`` with these ``--impl`` specs runs code in workers."""
    if mode == WORKER:
        return True
    if mode == NONE:
        return False
    return has_submission(specs)


def has_submission(specs: list[str]) -> bool:
    return any(_is_submission(s) for s in specs)


def _is_submission(spec: str) -> bool:
    kind, _, name = spec.partition(":")
    if kind in VARIANT_KINDS and name:
        return False
    return spec not in ("starter", "solutions")


# What the fork server imports for a grading besides torch: a student's test file (write the
# tests) starts with `import pytest`, and the harness seeds NumPy's global generator before each
# of its tests (numpy.random, which NumPy imports on first use). Imported once in the server,
# while the grading process collects, they are there in every worker: a first load of a test
# file in a fresh worker measured 0.07-0.09 s with pytest, 0.14-0.17 s without; numpy.random
# another 5 to 13 ms (one such worker per process of the grading).
WORKER_PRELOAD = ("pytest", "numpy.random")


def start_early(mode: str, specs: list[str], insecure: bool = False) -> None:
    """Start the fork server now if this run will need workers.

    Called before the grading process imports torch (pytest_load_initial_conftests, and
    ``descent grade`` before it starts pytest): the server's own import of torch, about a
    second, then runs on the other CPU instead of after the grader's.
    """
    if wants_worker(isolation_mode(mode, insecure), specs) and not workers_missing():
        # start-up: the command line loads this module; pytest and the workers load when used
        from ..isolation.manager import shared

        shared().warm(preload=WORKER_PRELOAD)


def refusal(specs: list[str], isolation: str, insecure: bool, device: str = "cpu") -> str | None:
    """Why grading these specs must not start (for the command line), or None.

    Only the quick static check runs here; the confined probe runs once pytest has collected
    (and stops the run with its reason if it fails), so the fork server starts meanwhile.
    """
    untrusted = [s for s in specs if _is_submission(s)]
    missing = (
        workers_missing() if wants_worker(isolation_mode(isolation, insecure), specs) else None
    )
    if missing:
        return needs_linux(missing)
    if not untrusted or insecure:
        return None
    if isolation == NONE:
        return (
            "refusing to run a submission inside the grader's process (--isolation none); "
            "add --insecure if you trust this code"
        )
    # start-up: the command line loads this module; pytest and the workers load when used
    from ..isolation.limits import Limits
    from ..isolation.manager import IsolationUnavailable, Settings, shared

    devices = ("cpu", "cuda") if device == "all" else (device,)
    try:
        shared(Settings(devices=devices, limits=Limits())).precheck()
    except IsolationUnavailable as exc:
        return str(exc)
    return None


def resolve_folder(config, spec: str, path: Path, name: str | None, root: Path):
    """An implementation for a folder (or .py/.ipynb/.zip) spec, in a worker when it should be."""
    # start-up: the command line loads this module; pytest and the workers load when used
    import pytest

    mode = config.getoption("isolation")
    trusted = spec in ("starter", "solutions")
    if mode == NONE or (mode == AUTO and trusted):
        if not trusted and not config.getoption("insecure"):
            raise pytest.UsageError(
                f"--impl {spec}: refusing to import a submission into the grader's process "
                f"(--isolation none); add --insecure if you trust this code"
            )
        impl = FolderImplementation(
            path, name, guarded=timelimit.Guarded(float(config.getoption("call_timeout")))
        )
        # The same library-use rules as a graded submission, on the same files (the modules and
        # the helpers they import): a student's own run (and a self-study `descent grade
        # starter`) must say what the instructor's grading will.
        impl.scan, impl.review = {}, {}
        impl.sources = _taken_sources(path)
        _record_scan(impl, impl.sources)
        return impl
    manager = manager_for(config)  # where no worker can start, it stops the run saying why
    # Only a run that grades in workers imports them, never the student's own run (the branch
    # above), which must work where they cannot (Windows): they are POSIX-only
    from ..isolation.import_limits import ImportLimits
    from ..isolation.manager import IsolationUnavailable
    from ..isolation.remote import WorkerImplementation

    try:
        manager.precheck()
    except IsolationUnavailable as exc:
        raise pytest.UsageError(f"--impl {spec}: {exc}") from None
    if trusted:
        impl = WorkerImplementation(name or spec, manager, folder=str(path.resolve()))
        impl.intake = {"source": str(path), "taken": "trusted kit folder"}
        impl.sources = _taken_sources(path)
        return impl
    taken = intake_mod.take(path)
    impl = WorkerImplementation(
        name or path.name.removesuffix(".zip").removesuffix(".ipynb"), manager, folder=taken.folder
    )
    impl.intake = taken.summary()
    _record_scan(impl, taken.sources)
    impl.taken, impl.sources = taken, taken.sources
    if taken.folder:  # made now, before the grading forks: both processes share it
        impl.import_limits = ImportLimits.beside(taken.folder)
    return impl


def resolve_variant(config, variant, reference: Implementation, catalogue_dir: Path):
    # start-up: the command line loads this module; pytest and the workers load when used
    import pytest

    if config.getoption("isolation") != WORKER:
        return variant.apply(reference)
    manager = manager_for(config)  # where no worker can start, it stops the run saying why
    # POSIX-only: as in resolve_folder
    from ..isolation.manager import IsolationUnavailable
    from ..isolation.remote import WorkerImplementation

    try:
        manager.precheck()
    except IsolationUnavailable as exc:
        raise pytest.UsageError(str(exc)) from None
    impl = WorkerImplementation(
        f"{variant.kind}:{variant.id}",
        manager,
        folder=str(reference.root),
        variant={"catalogue": str(catalogue_dir), "id": variant.id},
        read_extra=(str(catalogue_dir),),
        base_kind="patched",
    )
    return impl


def _taken_sources(path: Path) -> dict[str, str]:
    """The files of ``path`` that a worker is given of a submission (its intake): the code the
    inputs are keyed to, the same whether it runs in a worker or in-process, and whether the
    folder is the kit's own or a student's copy of it."""
    taken = intake_mod.take(path)
    try:
        return dict(taken.sources)
    finally:
        taken.cleanup()


def sources_of(impl) -> dict[str, str]:
    """Module name -> source of the code ``impl`` runs (for the draws of its inputs)."""
    found = getattr(impl, "sources", None)
    if found is not None:
        return found
    folder = getattr(impl, "folder", None)
    if folder:
        impl.sources = _taken_sources(Path(folder))
        return impl.sources
    return {}


def _record_scan(impl, sources: dict[str, str]) -> None:
    """Only a use the scan proved (resolved through imports) scores; a possible use (a tensor
    method's name on an object it cannot resolve) and dynamic access are for review, and the
    runtime tripwire decides whether a real tensor method ran (docs/explanation/isolation/)."""
    for f in scan_mod.scan(sources):
        if f.kind == "forbidden":
            impl.scan.setdefault(f.exercise, []).append(f.text())
        else:
            impl.review.setdefault(f.exercise, []).append(f"{scan_mod.MEANING[f.kind]}: {f.text()}")


def apply_flags(tests: list[results.TestResult], impls: list[Implementation]) -> None:
    """An exercise that borrowed the operation it teaches scores 0 and says what was used."""
    # start-up: the command line loads this module; pytest and the workers load when used
    from ..isolation.remote import library_flags

    by_name = {i.name: i for i in impls}
    for t in tests:
        impl = by_name.get(t.implementation)
        if impl is None:
            continue
        used = library_flags(impl).get(t.exercise)
        if not used or not t.counted or _flagged(t):
            continue
        own = _own_result(t)
        t.points = 0.0
        t.outcome = results.FAILED
        t.misconception = t.diagnosis = None
        named = "; ".join(dict.fromkeys(w for u in used if (w := borrowed(u))))
        t.message = (
            f"[library use] this exercise must not borrow the operation it teaches; "
            f"used: {', '.join(used[:4])}. Scored 0 and marked for review."
            + (f"\nwhat it borrows: {named}." if named else "")
            + own
        )


def _own_result(test: results.TestResult) -> str:
    """What ``test`` found of the code itself, borrowing aside, as the end of its message: a
    mistake the values show is the student's to fix whatever the review decides, and it would
    otherwise be hidden under the library use (a held-out two-layer net that takes
    ``torch.sigmoid`` and then the log of a probability heard only of the sigmoid)."""
    if test.outcome == results.PASSED:
        return "\nthis check's own result, not counted: passed."
    message = getattr(test, "message", "") or ""
    if not message:
        return ""
    # its kind and its causes, not its numbers: a borrowed call may draw from the global
    # generator (torch's dropout), whose draws differ from one grading process to another
    kind = message.split("]", 1)[0] + "]" if message.startswith("[") else ""
    causes = [line for line in message.splitlines() if line.startswith("likely mistake:")]
    return (
        "\nthis check's own result, not counted: failed"
        + (f" {kind}" if kind else "")
        + ("".join(f"\n{cause}" for cause in causes))
    )


def _flagged(test: results.TestResult) -> bool:
    return (getattr(test, "message", "") or "").startswith("[library use]")


# What a ready-made solver borrowed in the closed form does, by the last part of its name.
_SOLVERS = {
    "inv": "an explicit inverse (factorize instead: Cholesky, solve, QR)",
    "inv_ex": "an explicit inverse (factorize instead: Cholesky, solve, QR)",
    "inverse": "an explicit inverse (factorize instead: Cholesky, solve, QR)",
    "tensorinv": "an explicit inverse (factorize instead: Cholesky, solve, QR)",
    "pinv": "a ready-made pseudo-inverse (factorize instead: Cholesky, solve, QR)",
    "pinvh": "a ready-made pseudo-inverse (factorize instead: Cholesky, solve, QR)",
    "pinverse": "a ready-made pseudo-inverse (factorize instead: Cholesky, solve, QR)",
    "lstsq": "a ready-made least-squares solver (factorize instead: Cholesky, solve, QR)",
}


# The tripwire sees a torch.nn.Module built, not which one: a ready-made layer (nn.ReLU()) and a
# class of the student's own that subclasses Module look alike there, so the words name both (a
# held-out two-layer net holding nn.ReLU() instances was told of a subclass it did not write)
_MODULE = (
    "torch.nn itself: a torch.nn.Module was built while your code ran (a ready-made layer such "
    "as nn.ReLU() or nn.Linear(...), or a class of your own that subclasses torch.nn.Module); "
    "this module's docstring allows no torch.nn, and plain tensor operations or a plain class "
    "with the same methods work alike"
)


def borrowed(used: str) -> str | None:
    """What a flagged use (``numpy.linalg.inv (called at run time)``) borrows, in words, where
    its name says it (an inverse, a least-squares solver, torch.nn's ``Module``); ``None``
    otherwise."""
    name = used.split(" ", 1)[0]
    if name == "torch.nn.Module":
        return _MODULE
    if not name.startswith(("torch.", "numpy.linalg.", "scipy.linalg.")):
        return None
    return _SOLVERS.get(name.rsplit(".", 1)[-1])


def environment(impls: list[Implementation]) -> dict[str, Any]:
    workers = [i for i in impls if getattr(i, "isolated", False)]
    if not workers:
        return {"isolation": "in-process"}
    info = workers[0].manager.mode()
    mixed = len(workers) != len(impls)
    applied = sorted(
        {
            a
            for w in workers
            for a in (getattr(w, "applied", None) or info.get("probe", {}).get("applied", []))
        }
    )
    return {
        "isolation": ("worker" if info["confined"] else "worker-unconfined")
        + (" (kit folders in-process)" if mixed else ""),
        "isolation_details": {
            "mode": info["mode"],
            "mechanisms": applied,
            "unprivileged_workers": workers[0].manager.settings.unprivileged,
            "machine": info["static"],
            "probe": info.get("probe", {}),
            "fork_server_preload_s": info.get("preload_s"),
            "colocated_cpu": workers[0].manager.cpu,
        },
    }


def decorate(doc: dict, impls: list[Implementation]) -> None:
    """Per implementation: how it ran (:meth:`Implementation.describe`), and which exercises
    are marked for review."""
    by_name = {i.name: i for i in impls}
    for block in doc.get("implementations", []):
        impl = by_name.get(block["name"])
        if impl is None:
            continue
        block.update(impl.describe())
        _tests_read(block)
        for ex in block.get("exercises", []):
            if ex["id"] in block.get("review", {}):
                ex["review"] = True


def _tests_read(block: dict) -> None:
    """The intake lists a test file among the files it ignores (no test file is run as a
    module); one that a write-the-tests exercise of this run read and graded moves to
    ``intake["tests"]``, so that no report lists it as not graded."""
    intake = block.get("intake")
    if not isinstance(intake, dict):
        return
    graded = {ex["id"] for ex in block.get("exercises", [])}
    read, ignored = [], []
    for entry in intake.get("ignored") or []:
        path = str(entry.get("path", "")) if isinstance(entry, dict) else ""
        written = declared.by_file(path)  # a top-level file: the one its exercise reads
        (read if written is not None and written.id in graded else ignored).append(entry)
    if read:
        intake["ignored"] = ignored
        intake["tests"] = [entry["path"] for entry in read]


def retire(impl, ledgers: dict, reference, *, wait: bool = True) -> None:
    """No item of this run uses ``impl`` any more: settle its ledgers (the weighing of its
    failures may still read what its worker holds, descent.diagnoses.verified) and stop its
    worker (``wait``: see ``WorkerProcess.kill``). What the results need of it later (library
    use seen, requests counted, the intake) stays on this side; :func:`close` removes the rest
    at the end of the run."""
    # start-up: verification loads with the first failure or the results, never before
    from ..diagnoses.verified import settle

    mine = {key: ledgers.pop(key) for key in list(ledgers) if key[0] == impl.name}
    settle(mine, reference, [impl])
    impl.retire(wait=wait)


def finish(impls, ledgers: dict, reference) -> None:
    """The run's tests are over: retire each worker still running without waiting for its end.
    It is torn down on another CPU while the results are built, and :func:`close` finishes
    it (about 15 ms off the end of a grading)."""
    for impl in impls:
        if getattr(impl, "isolated", False) and impl.conn.process is not None:
            try:
                retire(impl, ledgers, reference, wait=False)
            except Exception:  # noqa: BLE001 - the results come first; close() stops it
                pass


def close(impls) -> None:
    for impl in impls:
        impl.close()
    # A run that never used a worker never imported the manager, and must not now: its imports
    # are POSIX-only, and a student's own run on Windows ends here too.
    manager = sys.modules.get("descent.isolation.manager")
    if manager is not None:
        manager.close_shared(wait=False)  # the grading is over: its wall time excludes teardown

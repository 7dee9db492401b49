"""The pytest plugin that turns test runs into grades (registered through the ``pytest11`` entry point).

Markers
  ``@pytest.mark.exercise("losses.mse")``  the exercise a test (usually a class) grades; tests
      without it are ordinary tests and are not scored.
  ``@pytest.mark.points(2)``               a test's weight within its exercise (default 1); an
      exercise's points (registry, default 10) are split over its tests by weight.
  ``@pytest.mark.supporting("test_forward")`` a check that code computing nothing can pass
      (shapes, arguments unchanged, self-consistency, a property a constant has): it earns its
      points only when one of the named value checks (no names: any) of its exercise passed for
      the same implementation. See :func:`descent.results.assign_points`.
  ``@pytest.mark.ordinary``               a check of the exercise's everyday use (typical inputs,
      the defaults and the options it is about): an implementation that fails one keeps at most
      half of the exercise's points.

Options
  ``--impl SPEC`` (repeatable)  what is graded: ``starter`` (default), ``solutions``, a folder of
      modules, ``bug:ID`` / ``alternative:ID`` / ``student:ID`` (the solutions with one catalogued
      variant or one student-style bug of the corpus), or ``bug:*`` / ``alternative:*`` /
      ``hollow:*`` / ``student:*`` for every variant of a kind. With several, each test runs once
      per implementation that concerns its exercise.
  ``--reference DIR``   trusted reference solutions (default ``<rootdir>/solutions`` if present).
  ``--catalogue DIR``   catalogued variants (default ``<rootdir>/graders/catalogue`` if present).
  ``--corpus DIR``      student-style bugs (default ``<rootdir>/graders/corpus`` if present).
  ``--device cpu|cuda|all``  where tests that take the ``device`` fixture run (default cpu); CUDA
      tests skip, uncounted, when no GPU is present.
  ``--results FILE``    where the results document goes (default ``.descent/results.json``).
  ``--isolation auto|worker|none``  where implementation code runs (default auto: a submission
      folder in a confined worker process, the kit's own starter/solutions/variants in-process);
      ``--insecure`` allows grading a submission without confinement; ``--call-timeout S``.
      See docs/isolation.md.

Fixtures: ``impl``, ``reference``, ``device``, ``inputs`` (seeded builders), ``check``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import importlib.metadata
import io
import os
import platform
import re
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# The first of the kit's modules: importing it makes Ctrl-C during the rest of the start-up one
# line (descent.grading.interrupt); the student bundle loads this plugin before any other.
from descent.grading import interrupt

# Nothing imported here may import torch: see pytest_load_initial_conftests.
from .. import catalogue, registry, results
from ..calls import timelimit
from ..calls.impl import FolderImplementation, Implementation, SubmissionError, refuse_hard_exit
from ..testwriting import declared as written_tests
from . import input_seed, plugin_workers

if TYPE_CHECKING:  # the fixtures' types; the modules themselves are imported when first used
    from .checker import Checker
    from .inputs import Inputs

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup

CUDA_ABSENT = "CUDA is not available on this machine"
DEFAULT_RESULTS = ".descent/results.json"
_STATE = pytest.StashKey["GradingState"]()
_RESULT = pytest.StashKey[results.TestResult]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("descent", "Descent grading")
    group.addoption(
        "--impl",
        action="append",
        default=None,
        metavar="SPEC",
        help="implementation to grade: starter (default), solutions, a folder, "
        "bug:ID, alternative:ID, hollow:ID, student:ID, or bug:*, alternative:*, "
        "hollow:*, student:* for every variant of a kind; repeatable",
    )
    group.addoption(
        "--reference",
        default=None,
        metavar="DIR",
        help="trusted reference solutions (default: <rootdir>/solutions)",
    )
    group.addoption(
        "--catalogue",
        default=None,
        metavar="DIR",
        help="catalogue of known variants (default: <rootdir>/graders/catalogue)",
    )
    group.addoption(
        "--corpus",
        default=None,
        metavar="DIR",
        help="corpus of student-style bugs (default: <rootdir>/graders/corpus)",
    )
    group.addoption(
        "--device",
        default="cpu",
        choices=["cpu", "cuda", "all"],
        help="devices for device-parametrized tests (default: cpu)",
    )
    group.addoption(
        "--results",
        default=None,
        metavar="FILE",
        help=f"results JSON path (default: {DEFAULT_RESULTS})",
    )
    group.addoption(
        "--no-grade-summary",
        action="store_true",
        help="do not print the per-exercise table at the end",
    )
    plugin_workers.add_options(group)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser, args) -> None:
    # The first hook after option parsing, before any conftest (and so torch) is imported. A
    # run that grades in workers starts the fork server here, so that its import of torch
    # overlaps the grader's instead of following it (about a second per run).
    ns = early_config.known_args_namespace
    plugin_workers.start_early(
        getattr(ns, "isolation", None) or plugin_workers.AUTO,
        getattr(ns, "impl", None) or ["starter"],
    )


@pytest.hookimpl(tryfirst=True)  # before hypothesis's own, which loads --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    _hypothesis_profiles()
    config.addinivalue_line("markers", "exercise(id): the exercise this test grades")
    config.addinivalue_line(
        "markers", "points(n): weight of this test within its exercise (default 1)"
    )
    config.addinivalue_line(
        "markers",
        "supporting(*tests): earns points only when one of these "
        "value checks of the exercise passed (default: any)",
    )
    config.addinivalue_line(
        "markers",
        "ordinary: a check of everyday inputs; failing it caps the exercise at half its points",
    )
    config.stash[_STATE] = GradingState(config)
    state = config.stash[_STATE]
    if plugin_workers.wants_worker(config.getoption("isolation"), state.specs):
        plugin_workers.manager_for(config).warm()


def pytest_sessionstart(session: pytest.Session) -> None:
    interrupt.session_started(session.config, _results_file(session.config))
    # Resolve what is graded before collection, so a refusal (no confinement) stops the run
    # with a clear message instead of erroring every test.
    state: GradingState = session.config.stash[_STATE]
    if plugin_workers.wants_worker(
        session.config.getoption("isolation"), state.specs
    ) or plugin_workers.has_submission(state.specs):
        _ = state.impls
    if any(spec.partition(":")[0] in catalogue.KINDS for spec in state.specs):
        _ = state.impls  # a variant's id is checked here too


_PROFILES_HOOK = "descent.grading.hypothesis_profiles:register"


def _hypothesis_profiles() -> None:
    """Make sure the grading profiles are in force before any test module uses hypothesis.
    Normally hypothesis's own import registers them (its ``hypothesis`` entry point), so a run
    that never uses hypothesis, such as the public tests, never imports it (a few tenths of a
    second). Without that entry point (descent installed before it existed, or
    ``HYPOTHESIS_NO_PLUGINS`` set), or once hypothesis is imported, they are registered here."""
    if "hypothesis" in sys.modules or not _profiles_hook_installed():
        # start-up: hypothesis loads only where a test needs it (see the docstring)
        from . import hypothesis_profiles

        hypothesis_profiles.register()


def _profiles_hook_installed() -> bool:
    if os.environ.get("HYPOTHESIS_NO_PLUGINS"):
        return False
    try:
        points = importlib.metadata.distribution("descent").entry_points
    except importlib.metadata.PackageNotFoundError:
        return False
    return any(p.group == "hypothesis" and p.value == _PROFILES_HOOK for p in points)


class GradingState:
    """Everything the plugin knows about one run: what is graded, against what, and the results."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.root = Path(config.rootpath)
        self.specs = config.getoption("impl") or ["starter"]
        # what the hidden inputs are drawn from: the course's secret and the code graded
        try:
            self.draws = input_seed.choose(config.getoption("input_seed"), self.root)
        except input_seed.SecretError as exc:
            raise pytest.UsageError(str(exc)) from None
        self._codes: dict[str, str] = {}  # implementation -> digest of its code
        device = config.getoption("device")
        self.devices = ["cpu", "cuda"] if device == "all" else [device]
        self.tests: list[results.TestResult] = []
        self.supporting: dict[str, tuple[str, ...]] = {}  # node id -> value checks it needs
        self.ordinary: set[str] = set()  # node ids of the checks of everyday inputs
        self.finished: set[str] = set()  # node ids whose outcome a report decided
        # node id -> the exercises a composite's failure is due to (descent.grading.composite)
        self.charged_to: dict[str, tuple[str, ...]] = {}
        # (implementation, exercise) -> how many of its tests a selection (-k, -m) left out
        self.deselected: dict[tuple[str, str], int] = {}
        self.interrupted = False
        self.test_processes = 1  # 2 once a forked copy's half is taken in (descent.grading.split)
        self.started = time.time()
        self.started_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        self._impls: list[Implementation] | None = None
        self._roots: frozenset[Path] | None = None
        self._reference: Implementation | None | bool = False
        self._loaded: set[str] = set()  # the kinds whose folder of variants is loaded
        self._bugs: dict[str, list[catalogue.Variant]] = {}
        self.doc: dict[str, Any] | None = None
        self.results_path: Path | None = None
        # (implementation, exercise) -> every comparison its checks made, so that a cause is
        # named only once verified on all of them (descent.diagnoses.verified)
        self.ledgers: dict[tuple[str, str], Any] = {}
        # implementation run in a worker -> how many of this session's items use it still: at
        # none, its worker is stopped (see pytest_runtest_protocol)
        self.left: dict[str, int] = {}

    # -- what is graded ------------------------------------------------------------------------
    def _option_path(self, option: str, default: str) -> Path | None:
        value = self.config.getoption(option)
        path = Path(value) if value else self.root / default
        if value and not path.is_dir():
            raise pytest.UsageError(f"--{option} {value}: no such folder")
        return path if path.is_dir() else None

    def _variants_folder(self, kind: str) -> Path | None:
        """Where variants of ``kind`` are declared: ``--catalogue`` or ``--corpus``."""
        option = catalogue.FOLDERS[kind]
        return self._option_path(option, f"graders/{option}")

    def load_catalogue(self, kind: str = catalogue.BUG) -> None:
        if kind not in self._loaded:
            folder = self._variants_folder(kind)
            if folder is not None:
                catalogue.load(folder)
            self._loaded.add(kind)

    @property
    def reference(self) -> Implementation | None:
        if self._reference is False:
            folder = self._option_path("reference", "solutions")
            self._reference = FolderImplementation(folder, "reference") if folder else None
        return self._reference

    @property
    def impls(self) -> list[Implementation]:
        if self._impls is None:
            self._impls = [impl for spec in self.specs for impl in self._resolve(spec)]
        return self._impls

    def _resolve(self, spec: str) -> list[Implementation]:
        kind, _, name = spec.partition(":")
        if kind in catalogue.KINDS and name:
            self.load_catalogue(kind)
            if self.reference is None:
                raise pytest.UsageError(f"--impl {spec} needs the reference solutions")
            try:
                chosen = catalogue.variants(kind) if name == "*" else [catalogue.named(kind, name)]
            except KeyError as exc:  # a typo ends the run before collection, in one line
                raise pytest.UsageError(f"--impl {spec}: {exc.args[0]}") from None
            return [
                plugin_workers.resolve_variant(
                    self.config, v, self.reference, self._variants_folder(kind)
                )
                for v in chosen
            ]
        path = self.root / spec if spec in ("starter", "solutions") else Path(spec)
        if not (path.is_dir() or path.suffix in (".py", ".ipynb", ".zip") and path.is_file()):
            raise pytest.UsageError(f"--impl {spec}: no such folder or catalogued variant")
        return [
            plugin_workers.resolve_folder(
                self.config,
                spec,
                path,
                spec if spec in ("starter", "solutions") else None,
                self.root,
            )
        ]

    @property
    def roots(self) -> frozenset[Path]:
        """The folders whose files are code under test (:attr:`Implementation.root`), looked up
        once: every frame of every failure is matched against them, and an audit grades hundreds
        of implementations (a scan of each for each frame was a sixth of its time)."""
        if self._roots is None:
            self._roots = frozenset(i.root for i in self.impls if i.root is not None)
        return self._roots

    @property
    def several(self) -> bool:
        return len(self.specs) > 1 or any(s.endswith(":*") for s in self.specs)

    def seed_of(self, item: pytest.Item) -> int:
        """The seed of ``item``'s inputs: of its id (without device and implementation) and,
        by default, of the code it grades (descent.grading.input_seed)."""
        return self.seed_of_key(_input_key(item), _impl_of(item))

    def seed_of_key(self, key: str, impl: Implementation) -> int:
        """The seed of ``key`` (not a test's id) in this grading of ``impl``: Inputs.for_key."""
        return self.draws.seed(key, self.code_of(impl) if self.draws.keyed else "")

    def code_of(self, impl: Implementation) -> str:
        """The digest of the code ``impl`` runs: its files, or for a catalogued variant the
        reference's files and the variant's name."""
        if impl.name not in self._codes:
            patched = getattr(impl, "kind", "") == "patched"
            sources = plugin_workers.sources_of(self.reference if patched else impl)
            self._codes[impl.name] = input_seed.code_digest(sources, impl.name if patched else "")
        return self._codes[impl.name]

    def bugs_for(self, exercise: str | None) -> list[catalogue.Variant]:
        if exercise is None:
            return []
        if exercise not in self._bugs:  # every graded test asks; the catalogue holds hundreds
            self.load_catalogue()
            self._bugs[exercise] = catalogue.variants(catalogue.BUG, exercise)
        return self._bugs[exercise]


def _variant_of(impl: Implementation | None) -> catalogue.Variant | None:
    if impl is None:
        return None
    kind, _, name = impl.name.partition(":")
    if getattr(impl, "kind", "") == "patched" and kind in catalogue.KINDS:
        return catalogue.get(name)
    return None


def _param(item: pytest.Item, name: str) -> Any:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get(name) if callspec else None


def _impl_of(item: pytest.Item) -> Implementation:
    """The implementation this item runs against (its parameter, or the only one)."""
    impl = _param(item, "impl")
    return impl if isinstance(impl, Implementation) else item.config.stash[_STATE].impls[0]


def _exercise(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("exercise")
    return marker.args[0] if marker else None


def _points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker else 1.0


def _compact_output(config: pytest.Config) -> None:
    """A grading run left at pytest's defaults prints no per-test tracebacks or summary lines:
    the grades table, printed last, gives each exercise's first problem and hint (``-v``
    restores pytest's own output, and the table lists every failing check)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if (
        config.option.verbose > 0
        or config.option.tbstyle != "auto"
        or reporter is None
        or config.getoption("no_grade_summary")
    ):
        return
    config.option.tbstyle = "no"
    if config.option.reportchars == "fE":  # pytest's default -r: keep errors, drop failures
        reporter.reportchars = reporter.reportchars.replace("f", "")


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(_exercise(item) for item in session.items):
        _course_secret(session.config)
        _compact_output(session.config)
        _one_thread(session.config)
        _share_tests(session.config)
        _count_worker_items(session)
        # A grading run that dies before writing its results must not leave the previous
        # run's file looking current.
        _results_file(session.config).unlink(missing_ok=True)
    # What was imported and collected lives until the run ends (torch alone is hundreds of
    # thousands of objects): frozen, it is left out of every full garbage collection during the
    # tests, which then scan only what the tests made.
    gc.freeze()


def _count_worker_items(session: pytest.Session) -> None:
    """How many items use each implementation that runs in a worker (see
    :func:`_retire_when_done`)."""
    state: GradingState = session.config.stash[_STATE]
    for item in session.items:
        impl = _impl_of(item)
        if _exercise(item) is not None and getattr(impl, "isolated", False):
            state.left[impl.name] = state.left.get(impl.name, 0) + 1


def _retire_when_done(item: pytest.Item) -> None:
    """Once the last item of an implementation graded in a worker has run, its worker is
    stopped at once (its ledgers settled first: :func:`plugin_workers.retire`), not at the end
    of the run: a grading of many folders otherwise kept the idle workers of those already
    graded alive until then. An item counts once it has run here; where two processes share
    the tests (:mod:`descent.grading.split`), neither runs them all, and each stops its workers
    at its end, as before."""
    state: GradingState = item.config.stash[_STATE]
    if not state.left:  # no worker in this run, or none left to stop
        return
    impl = _impl_of(item)
    left = state.left.get(impl.name)
    if left is not None:
        state.left[impl.name] = left - 1
        if left == 1:
            del state.left[impl.name]
            plugin_workers.retire(impl, state.ledgers, state.reference)


def _course_secret(config: pytest.Config) -> None:
    """Read (or create) the course's secret before any test draws from it, so that a secret
    that cannot be had stops the run in one line instead of failing every test."""
    try:
        _ = config.stash[_STATE].draws.secret
    except input_seed.SecretError as exc:
        pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)


def _share_tests(config: pytest.Config) -> None:
    """Two processes for the tests where ``--test-processes`` wants them (descent.grading.split)."""
    # start-up: the split's machinery loads only for a run that grades
    from . import split
    from .split_side import PluginSide

    state: GradingState = config.stash[_STATE]
    impls = state.impls
    one = len(impls) == 1 and getattr(impls[0], "isolated", False)
    cpus = split.cpus(config.getoption("test_processes"), one)
    if cpus is not None:
        config.pluginmanager.register(
            split.Split(PluginSide(state), cpus, _exercise), "descent-split"
        )


_THREADS = pytest.StashKey[int]()


def _one_thread(config: pytest.Config) -> None:
    """Grade with one torch thread, as the confined worker does: the exercises' tensors are far
    too small to gain from threads, and on a busy machine (a shared CI runner, parallel graders)
    idle threads spinning for work made the capstone's training several times slower and cut it
    short at its time budget. The previous count comes back at the end of the run (pytest may run
    in a process that goes on, as ``descent grade`` and pytester do)."""
    # start-up: this module may not import torch (see its imports)
    import torch

    config.stash[_THREADS] = torch.get_num_threads()
    torch.set_num_threads(1)


def _restore_threads(config: pytest.Config) -> None:
    threads = config.stash.get(_THREADS, None)
    if threads is not None:
        # start-up: this module may not import torch (see its imports)
        import torch

        torch.set_num_threads(threads)


# -- parametrization -------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_generate_tests(metafunc: pytest.Metafunc):
    _parametrize(metafunc)  # first, as the ids have always read: device, impl, then the rest
    yield
    if metafunc.config.stash[_STATE].several:
        _only_own_exercise(metafunc)


def _only_own_exercise(metafunc: pytest.Metafunc) -> None:
    """Make a catalogued variant's items only for its own exercise's tests, once every
    parametrization is known (a battery's exercise is a mark of each of its parameters). The
    others would be deselected at once (``pytest_collection_modifyitems``): over the whole
    catalogue, hundreds of thousands of items made for nothing. A function no item is left for
    keeps them all, to be left out and counted as before. (``Metafunc._calls`` is pytest's own
    list of the planned items; without it, nothing is pruned here and the deselection does it.)"""
    calls = getattr(metafunc, "_calls", None)
    if not calls:
        return
    default = metafunc.definition.get_closest_marker("exercise")

    def own(call) -> bool:
        variant = _variant_of(call.params.get("impl"))
        if variant is None:
            return True
        marks = [m for m in getattr(call, "marks", ()) if m.name == "exercise"] or [default]
        return marks[0] is None or variant.exercise == marks[0].args[0]

    kept = [call for call in calls if own(call)]
    if kept and len(kept) < len(calls):
        metafunc._calls = kept


def _parametrize(metafunc: pytest.Metafunc) -> None:
    state: GradingState = metafunc.config.stash[_STATE]
    if "device" in metafunc.fixturenames:
        params = []
        for dev in state.devices:
            marks = []
            if dev == "cuda":
                # start-up: this module may not import torch (see its imports)
                import torch

                marks.append(pytest.mark.skipif(not torch.cuda.is_available(), reason=CUDA_ABSENT))
            params.append(pytest.param(dev, marks=marks, id=dev))
        metafunc.parametrize("device", params)
    if "impl" in metafunc.fixturenames and state.several:
        metafunc.parametrize(
            "impl", state.impls, ids=[i.name for i in state.impls], scope="session"
        )


@pytest.hookimpl(tryfirst=True)  # before -k deselects: the keywords below must be there
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every graded test answers ``-k`` to its exercise (``losses.cross_entropy`` and
    ``cross_entropy``), so selecting an exercise runs all of its tests and scores it as a full
    run does. With several implementations, a catalogued variant runs only its own exercise's
    tests."""
    if hasattr(config, "workerinput"):
        _leave_out_under_xdist(items)
    for item in items:
        exercise = _exercise(item)
        if exercise:
            item.extra_keyword_matches.update({exercise, exercise.split(".", 1)[-1]})
    state: GradingState = config.stash[_STATE]
    if not state.several:
        return
    keep, drop = [], []
    for item in items:
        variant = _variant_of(_impl_of(item))
        if variant is not None and variant.exercise != _exercise(item):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


_UNDER_XDIST = (
    "graded tests do not run under pytest-xdist (-n): each of its workers would score an "
    "exercise on the tests it ran and write its own results. Run them without -n; descent "
    "grade shares one submission's tests between two processes itself (--test-processes)"
)


def _leave_out_under_xdist(items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker, drop the graded tests (every worker drops the same, so xdist
    sees one collection) and say why: the warning reaches the controller's summary."""
    graded = [item for item in items if _exercise(item)]
    if graded:
        items[:] = [item for item in items if not _exercise(item)]
        warnings.warn(pytest.PytestConfigWarning(_UNDER_XDIST), stacklevel=1)


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        exercise = _exercise(item)
        if exercise:
            state: GradingState = item.config.stash[_STATE]
            key = (_impl_of(item).name, exercise)
            state.deselected[key] = state.deselected.get(key, 0) + 1


def _unscorable_selection(state: GradingState) -> None:
    """An exercise is scored only on all of its tests: when a selection (``-k relu``, ``-k
    gradcheck``) ran some of them and left the others out, the ones that ran are reported but
    not counted, so a selection never shows a score that the whole exercise would not get."""
    ran: dict[tuple[str, str], int] = {}
    for t in state.tests:
        ran[t.implementation, t.exercise] = ran.get((t.implementation, t.exercise), 0) + 1
    for t in state.tests:
        key = (t.implementation, t.exercise)
        left_out = state.deselected.get(key, 0)
        if left_out:
            t.counted = False
            outcome = "passed" if t.outcome == results.PASSED else t.message or t.outcome
            t.message = (
                f"partial run: not scored (this selection ran {ran[key]} of the "
                f"{ran[key] + left_out} tests of {t.exercise}; select the exercise by its name, "
                f"-k {t.exercise.split('.', 1)[-1]}, to score it): {outcome}"
            )


def _charge_once(state: GradingState) -> None:
    """One mistake, one charge: a composite's check that failed only through the parts it calls
    (:mod:`descent.grading.composite`) passes when one of those exercises lost points in this run, or
    was not graded in it; it stays failed when they kept all their points."""
    lost, graded = set(), set()
    for t in state.tests:
        graded.add((t.implementation, t.exercise))
        if t.counted and t.outcome != results.PASSED and t.nodeid not in state.charged_to:
            lost.add((t.implementation, t.exercise))
    for t in state.tests:
        parts = state.charged_to.get(t.nodeid, ())
        if not parts:
            continue
        at_fault = [p for p in parts if (t.implementation, p) in lost]
        if at_fault or not any((t.implementation, p) in graded for p in parts):
            named = " and ".join(parts)
            why = (
                f"{' and '.join(at_fault)} lose{'s' if len(at_fault) == 1 else ''} points for it"
                if at_fault
                else f"{named} not graded in this run"
            )
            t.outcome, t.misconception, t.diagnosis = results.PASSED, None, None
            t.message = (
                f"not charged here: it passes with the kit's own {named} in place of yours; "
                f"{why} ({t.message.splitlines()[0]})"
            )
        else:
            t.message += (
                f"\n{' and '.join(parts)} passed all of its own checks: this is the check that "
                f"caught it"
            )


# -- fixtures ----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest) -> Implementation:
    """The implementation under test (see ``--impl``)."""
    return request.config.stash[_STATE].impls[0]


@pytest.fixture(scope="session")
def reference(request: pytest.FixtureRequest) -> Implementation:
    ref = request.config.stash[_STATE].reference
    if ref is None:
        pytest.skip("the reference solutions are not available here")
    return ref


@pytest.fixture
def device(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "cpu")


@pytest.fixture
def inputs(request: pytest.FixtureRequest, device: str) -> Inputs:
    """Seeded input builders; the seed depends on the test and the code graded (keyed by the
    course's secret: input_seed.py), not on the device."""
    # start-up: this module may not import torch (see its imports); inputs does
    from .inputs import Inputs

    state: GradingState = request.config.stash[_STATE]
    impl = _impl_of(request.node)
    return Inputs(
        state.seed_of(request.node), device, keyed=lambda key: state.seed_of_key(key, impl)
    )


def _input_key(node: pytest.Item) -> str:
    """The test's id without the device and implementation parts of its parametrization."""
    base, _, cid = node.nodeid.partition("[")
    cid = cid.rstrip("]")
    for part in (getattr(_param(node, "impl"), "name", None), _param(node, "device")):
        if part:
            pieces = cid.split("-")
            # Ids join parameters with "-"; drop the run of pieces that spells this parameter.
            width = part.count("-") + 1
            for i in range(len(pieces) - width + 1):
                if "-".join(pieces[i : i + width]) == part:
                    del pieces[i : i + width]
                    break
            cid = "-".join(pieces)
    return f"{base}[{cid}]"


@pytest.fixture
def check(request: pytest.FixtureRequest, impl: Implementation) -> Checker:
    # start-up: this module may not import torch (see its imports); checker does
    from ..diagnoses.ledger import ledger
    from .checker import Checker

    state: GradingState = request.config.stash[_STATE]
    exercise = _exercise(request.node)
    book = ledger(state.ledgers, impl.name, exercise)
    return Checker(impl, state.reference, exercise, state.bugs_for(exercise), ledger=book)


# -- scoring -----------------------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)  # before the skipping plugin, so skipped tests are recorded too
def pytest_runtest_setup(item: pytest.Item) -> None:
    exercise = _exercise(item)
    if exercise is None:
        return
    state: GradingState = item.config.stash[_STATE]
    if _is_hypothesis(item):
        fixed = state.draws.option == input_seed.FIXED  # derandomized: the kit's own examples
        input_seed.seed_hypothesis(item.obj, None if fixed else state.seed_of(item))
    impl = _impl_of(item)
    # An error until a report says otherwise: a test cut short (Ctrl-C, a crash) never passes.
    result = results.TestResult(
        nodeid=item.nodeid,
        implementation=impl.name,
        exercise=exercise,
        name=item.nodeid.split("::", 1)[-1],
        device=_param(item, "device"),
        weight=_points(item),
        outcome=results.ERROR,
    )
    item.stash[_RESULT] = result
    state.tests.append(result)
    supporting = item.get_closest_marker("supporting")
    if supporting is not None:
        state.supporting[item.nodeid] = tuple(supporting.args)
    if item.get_closest_marker("ordinary") is not None:
        state.ordinary.add(item.nodeid)
    impl.begin_test(item.nodeid)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """A graded test that ran out of time runs once more before it is charged: on a busy
    machine (another grading, a shared runner) the first attempt may have waited for a CPU.
    What hung in the first attempt is called again in the second; only the second's report
    counts. A function that hangs in both is charged, and not called again in the run. Then
    the implementation's worker stops if this was its last item (:func:`_retire_when_done`)."""
    if _exercise(item) is None:
        return None
    # start-up: pytest's own runner, as pytest-rerunfailures uses it to run a test again
    from _pytest.runner import runtestprotocol

    impl = _impl_of(item)
    before = impl.hangs()
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    reports = runtestprotocol(item, log=False, nextitem=nextitem)
    hung = impl.hangs() - before
    if hung and not item.session.shouldstop:
        impl.forget_hangs(hung)
        _forget_attempt(item)
        reports = runtestprotocol(item, log=False, nextitem=nextitem)
    for report in reports:
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    _retire_when_done(item)
    return True


def _forget_attempt(item: pytest.Item) -> None:
    """Drop the record of a test's first attempt: its second is the one scored."""
    state: GradingState = item.config.stash[_STATE]
    first = item.stash.get(_RESULT, None)
    if first is not None:
        state.tests.remove(first)
        state.finished.discard(first.nodeid)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if item.stash.get(_RESULT, None) is None:
        return (yield)
    impl = _impl_of(item)
    try:
        with _whole_test(item, impl):
            result = yield
    except (KeyboardInterrupt, SystemExit):
        raise  # stop now: no waiting on a worker for requests of a test that never counts
    except BaseException as error:
        impl.flush()  # an error that one of the test's earlier calls raised wins
        charged = _again_with_parts(item, impl, error)
        if charged is not None:
            raise charged from None
        raise
    impl.flush()
    return result


def _whole_test(item: pytest.Item, impl: Implementation) -> contextlib.ExitStack:
    """In-process code is timed call by call (descent.calls.timelimit.Guarded); this test-wide
    limit catches what runs outside a timed call, such as the methods of a student's class."""
    guarded = getattr(impl, "guarded", None)
    whole_test = contextlib.ExitStack()
    if guarded is not None:
        whole_test.enter_context(
            timelimit.guard(
                None,
                timelimit.limit_for(_exercise(item), None, guarded.seconds)
                * timelimit.BATCH_FACTOR,
            )
        )
        # os._exit in student code would end the run silently (status 0, no results).
        whole_test.enter_context(refuse_hard_exit())
    return whole_test


def _again_with_parts(item: pytest.Item, impl: Implementation, error: BaseException):
    """One mistake, one charge: the failed test of a composite run once more with the kit's
    stand-ins for the parts it may call (descent.grading.composite); the charge to name, or
    None. The run again gets a quiet check (no ledger, no catalogue) and fresh input builders
    on the same seed, the test's other arguments as they were."""
    # start-up: this module may not import torch (see its imports); these do
    from .checker import Checker
    from .composite import again_with_parts
    from .inputs import Inputs, seed_for

    if _grading_the_reference(item) or not isinstance(item, pytest.Function):
        return None
    state: GradingState = item.config.stash[_STATE]
    exercise = _exercise(item)

    def run() -> None:
        args = {name: item.funcargs[name] for name in item._fixtureinfo.argnames}
        if "check" in args:
            args["check"] = Checker(impl, state.reference, exercise)
        if "inputs" in args:
            device = item.funcargs.get("device", "cpu")
            args["inputs"] = Inputs(seed_for(_input_key(item), state.input_seed), device)
        with _whole_test(item, impl):
            item.obj(**args)

    return again_with_parts(impl, exercise, error, run)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    result = item.stash.get(_RESULT, None)
    if result is None:
        return report
    result.duration_s += call.duration
    if report.when == "call":
        result.drawn = _drew(item)
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _score(result, report, call, item)
    elif report.when == "teardown" and report.failed and result.outcome == results.PASSED:
        _score(result, report, call, item)
    return report


def _is_hypothesis(item: pytest.Item) -> bool:
    test = getattr(item, "obj", None)
    return bool(getattr(getattr(test, "__func__", test), "is_hypothesis_test", False))


def _drew(item: pytest.Item) -> bool:
    """Whether the test drew its inputs (hypothesis's examples, or the ``inputs`` fixture's
    values, seed or generator) rather than running only on inputs written into it."""
    if _is_hypothesis(item):
        return True
    inputs = getattr(item, "funcargs", {}).get("inputs")
    return bool(getattr(inputs, "draws", 0))


def _score(
    result: results.TestResult, report: pytest.TestReport, call: pytest.CallInfo, item: pytest.Item
) -> None:
    item.config.stash[_STATE].finished.add(result.nodeid)
    if report.passed:
        result.outcome = results.PASSED
        return
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        result.outcome, result.message = results.SKIPPED, reason
        result.counted = reason != CUDA_ABSENT
        return
    # start-up: this module may not import torch (see its imports); compare does
    from .compare import GradingFailure

    exc = _root_exception(call.excinfo.value) if call.excinfo else None
    outcome, message = _classify(exc, item)
    result.outcome, result.message = outcome, message
    if isinstance(exc, GradingFailure):
        exc.resolve()
        result.misconception = exc.misconception
        result.diagnosis, result.diagnosis_cut_short = exc.diagnosis, exc.cut_short
        state = item.config.stash[_STATE]
        book = state.ledgers.get((result.implementation, result.exercise))
        if book is not None:  # what it names is decided once the exercise's checks have all run
            book.reported(exc, result)
        charged_to = getattr(exc, "charged_to", ())  # descent.grading.composite.ChargedElsewhere
        if charged_to:
            state.charged_to[result.nodeid] = tuple(charged_to)
    elif exc is not None and message.startswith(("your code raised", "the check could not")):
        from ..diagnoses.exception import none_operand, raised  # start-up: it imports torch

        found = raised(exc, getattr(exc, "remote_where", None) or _student_frames(exc, item))
        if found is None and message.startswith("your code raised"):
            found = none_operand(exc)  # not of the check's own use of a None the student returned
        if found is not None:
            result.diagnosis, message = found.kind, f"{message}\nlikely mistake: {found.text}."
            result.message = message
    if message:
        report.longrepr = message


def _root_exception(exc: BaseException) -> BaseException:
    # hypothesis may group several distinct failures; grade on the first one.
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _classify(exc: BaseException | None, item: pytest.Item) -> tuple[str, str]:
    if exc is None:
        return results.ERROR, "the test did not run"
    if isinstance(exc, NotImplementedError):
        return results.NOT_IMPLEMENTED, str(exc) or "not implemented yet"
    if isinstance(exc, timelimit.CallTimeout):
        return results.ERROR, _timed_out(exc, item)
    if isinstance(exc, SubmissionError):
        return results.ERROR, str(exc)
    signature = _signature_mismatch(exc)  # also when a worker refused the call
    if signature:
        return results.ERROR, signature
    if isinstance(exc, plugin_workers.RemoteException):  # raised by submission code inside a worker
        return results.ERROR, exc.describe()
    if isinstance(exc, AssertionError) and not _raised_in_student_code(exc, item):
        return results.FAILED, str(exc) or "an assertion failed"
    student = _student_frames(exc, item)
    if student:
        where = "; ".join(student[-2:])
        return results.ERROR, f"your code raised {type(exc).__name__}: {exc} ({where})"
    if not _grading_the_reference(item):
        # Raised in the test while it used what the implementation returned or built (None
        # where a tuple was due, an object without an operator): the implementation's problem.
        unpacked = _returned_too_little(exc, item)
        if unpacked:
            return results.ERROR, unpacked
        return results.ERROR, (
            f"the check could not use what your code returned: "
            f"{type(exc).__name__}: {str(exc)[:200]}"
        )
    # The reference solutions crashed a test: a defect in the kit or the test. Keep the full
    # traceback so it can be fixed, but still score the test 0 with a reason.
    return results.ERROR, ""


_NOT_A_TUPLE = re.compile(
    r"0-dim tensor|not subscriptable|cannot unpack|values to unpack|not iterable"
)
_INDEXED_CALL = re.compile(r"(\w+)\((?:[^()]|\([^()]*\))*\)\s*\[")


def _returned_too_little(exc: BaseException, item: pytest.Item) -> str | None:
    """The message for a test that could not index or unpack what an exercise function returned
    (a forward returning its loss alone, where ``(loss, cache)`` is due): the function is named
    from the test's own line, and nothing else of that line is shown."""
    if not isinstance(exc, (IndexError, TypeError, ValueError)) or not _NOT_A_TUPLE.search(
        str(exc)
    ):
        return None
    in_test = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(item.path)]
    line = (in_test[-1].line or "") if in_test else ""
    named = [n for n in re.findall(r"(\w+)\(", line) if registry.exercise_of_function(n)]
    indexed = [n for n in _INDEXED_CALL.findall(line) if n in named]
    if not named:
        return None
    name = (indexed or named)[-1]
    return (
        f"the check could not use what your code returned: {type(exc).__name__}: "
        f"{str(exc)[:120]}; `{name}` returned what the test could not index or unpack as its "
        f"docstring's Returns says: return exactly what that section lists, for a forward the "
        f"pair (loss, cache) or (y, cache)"
    )


_CALL_ERROR = re.compile(r"^(?:\w+\.)?(\w+)\(\) (?:takes|missing|got an unexpected|got multiple)")


def _signature_mismatch(exc: BaseException) -> str | None:
    """The message for a call that Python refused before entering the student's function."""
    match = _CALL_ERROR.match(str(exc)) if isinstance(exc, TypeError) else None
    if match is None or registry.exercise_of_function(match.group(1)) is None:
        return None
    return (
        f"calling your `{match.group(1)}` failed: {exc}; keep the signature the docstring "
        f"gives (names, order and defaults of the arguments)"
    )


def _timed_out(exc: timelimit.CallTimeout, item: pytest.Item) -> str:
    """The message for student code that ran out of time; a test-wide timeout is blamed on the
    innermost student function it interrupted, which is then not called again."""
    if exc.name is not None:
        return str(exc)
    frames = [
        f
        for f in traceback.walk_tb(exc.__traceback__)
        if _is_student_file(Path(f[0].f_code.co_filename), item)
    ]
    if not frames:
        return str(exc)
    frame = frames[-1][0]
    owner = frame.f_locals.get("self")
    # A method is not called again through its class, the name a test reaches.
    key = type(owner).__name__ if owner is not None else frame.f_code.co_name
    name = f"{key}.{frame.f_code.co_name}" if owner is not None else key
    guarded = getattr(_impl_of(item), "guarded", None)
    if guarded is not None:
        guarded.hung.setdefault(key, timelimit.CallTimeout(name, exc.seconds))
    where = f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}"
    return f"{timelimit.describe(name, exc.seconds)} ({where})"


def _is_student_file(path: Path, item: pytest.Item) -> bool:
    roots = item.config.stash[_STATE].roots
    return path in roots or any(folder in roots for folder in path.parents)


def _grading_the_reference(item: pytest.Item) -> bool:
    state: GradingState = item.config.stash[_STATE]
    folder = getattr(_impl_of(item), "folder", None)
    return (
        folder is not None
        and state.reference is not None
        and folder == getattr(state.reference, "folder", None)
    )


def _raised_in_student_code(exc: BaseException, item: pytest.Item | None) -> bool:
    """Whether the innermost frame of the traceback is the submission's: the student's own
    ``assert`` is an error in their code, as it is when a worker runs it, not a failed check."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(item is not None and frames and _is_student_file(Path(frames[-1].filename), item))


def _student_frames(exc: BaseException, item: pytest.Item) -> list[str]:
    return [
        f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(exc.__traceback__)
        if _is_student_file(Path(frame.filename), item)
    ]


# -- reporting ---------------------------------------------------------------------------------------
def build_results(state: GradingState) -> dict[str, Any]:
    # start-up: this module may not import torch (see its imports)
    import torch

    # start-up: this module may not import torch (see its imports); that one does
    from ..diagnoses.verified import settle

    settle(state.ledgers, state.reference)  # the causes verified on every check; observations
    for t in state.tests:
        if t.nodeid not in state.finished:
            t.message = "interrupted before it finished (Ctrl-C or a crash): not counted as passed"
        elif t.outcome != results.PASSED and not t.message:
            t.message = (
                "the test itself crashed (a kit defect, not your code): run again "
                "with -v for the traceback"
            )
    _charge_once(state)
    _unscorable_selection(state)
    # the write-the-tests exercises (descent.testwriting) are graded like the others
    titles = {ex.id: ex.title for ex in registry.EXERCISES.values()} | written_tests.titles()
    results.assign_points(
        state.tests,
        {ex.id: ex.points for ex in registry.EXERCISES.values()} | written_tests.points(),
        supporting=state.supporting,
        ordinary=state.ordinary,
    )
    graded = state.impls if state.tests else []
    plugin_workers.apply_flags(state.tests, graded)
    impl_names = list(dict.fromkeys(t.implementation for t in state.tests))
    impls = {impl.name: impl for impl in (state.impls if state.tests else [])}
    suite = sorted({t.nodeid.split("/", 1)[0].split("::", 1)[0] for t in state.tests})
    doc = results.build(
        state.tests,
        implementations=[
            {"name": n, "kind": getattr(impls.get(n), "kind", "folder")} for n in impl_names
        ],
        titles=titles,
        suite=", ".join(suite),
        started_at=state.started_at,
        duration_s=time.time() - state.started,
        devices=state.devices,
        supporting=set(state.supporting),
        environment={
            "python": platform.python_version(),
            "torch": torch.__version__,
            "cuda": bool(torch.cuda.is_available()),
            "platform": sys.platform,
            "test_processes": state.test_processes,
            "input_seed": state.draws.recorded(),
            **plugin_workers.environment(graded),
        },
    )
    plugin_workers.decorate(doc, graded)
    doc["interrupted"] = state.interrupted
    return doc


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    interrupt.tests_starting()  # (collection_finish also runs after an interrupted collection)


@pytest.hookimpl(trylast=True)  # after the terminal reporter has noted it
def pytest_keyboard_interrupt(excinfo) -> None:
    interrupt.interrupted()


def _results_file(config: pytest.Config) -> Path:
    return Path(config.getoption("results") or Path(config.rootpath) / DEFAULT_RESULTS)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _hypothesis_summary_only_if_used(session.config)
    state: GradingState = session.config.stash[_STATE]
    try:
        if not state.tests:
            return
        state.interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        state.doc = build_results(state)
        state.results_path = results.write(state.doc, _results_file(session.config))
    finally:
        plugin_workers.close(state._impls or [])
        _restore_threads(session.config)


def _hypothesis_summary_only_if_used(config: pytest.Config) -> None:
    """hypothesis's pytest plugin imports hypothesis in its terminal summary whether or not a
    test used it: about half a second of a student's run of the public tests, which never do.
    Where hypothesis was never imported, no test used it and the summary has nothing to say."""
    plugin = config.pluginmanager.get_plugin("hypothesispytest")
    if plugin is not None and "hypothesis" not in sys.modules:
        config.pluginmanager.unregister(plugin)


@pytest.hookimpl(wrapper=True, tryfirst=True)  # around the reporter's: after its short summary
def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config):
    yield
    state: GradingState = config.stash[_STATE]
    if state.doc is None or config.getoption("no_grade_summary"):
        return
    # start-up: rich loads only when the summary is printed
    from rich.console import Console

    from ..reports.terminal_report import render

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=terminalreporter.hasmarkup,
        width=terminalreporter._tw.fullwidth,
        highlight=False,
    )
    render(state.doc, console, detail=config.option.verbose > 0)
    terminalreporter.write_sep("=", "grades")
    terminalreporter.write(buffer.getvalue())
    terminalreporter.write_line(f"results written to {state.results_path}")

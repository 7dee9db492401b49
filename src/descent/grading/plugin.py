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
      See docs/how-to/confined-grading.md.

Fixtures: ``impl``, ``reference``, ``device``, ``inputs`` (seeded builders), ``check``. They
read the run and the test from :func:`.run_state.active` rather than from ``request``, which
pytest makes a fixture definition for at every test (:data:`.run_state.ACTIVE`).

This module holds the hooks and fixtures (pytest finds them here); what they call lives beside it:
:mod:`.run_state` (what the plugin knows about a run, and reads of a collected test),
:mod:`.running` (how a graded test runs), :mod:`.outcomes` (a report made a scored record) and
:mod:`.results_document` (the document written at the end).
"""

from __future__ import annotations

import gc
import importlib.metadata
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# The first of the kit's modules: importing it makes Ctrl-C during the rest of the start-up one
# line (descent.grading.interrupt); the student bundle loads this plugin before any other.
from descent.grading import interrupt

# Nothing imported here may import torch: see pytest_load_initial_conftests.
from .. import catalogue, results
from ..calls.impl import Implementation
from ..platforms import isolation_mode, workers_missing
from . import input_seed, outcomes, plugin_workers, running
from .outcomes import CUDA_ABSENT
from .results_document import build_results
from .run_state import (
    ACTIVE,
    RESULT,
    STATE,
    GradingState,
    active,
    deselect,
    exercise_of,
    impl_of,
    param,
    points_of,
    variant_of,
)

if TYPE_CHECKING:  # the fixtures' types; the modules themselves are imported when first used
    from .checker import Checker
    from .inputs import Inputs

DEFAULT_RESULTS = ".descent/results.json"


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
    _thaw_earlier_run()
    # Start-up makes hundreds of thousands of objects that live until the run ends (torch's
    # above all), and the collector traversed them again each time they had piled up: it rests
    # until the collection ends and they are frozen (about a seventh of the import of torch,
    # pytest and numpy).
    if gc.isenabled():
        gc.disable()
        early_config.stash[_GC_PAUSED] = True
    plugin_workers.start_early(
        getattr(ns, "isolation", None) or plugin_workers.AUTO,
        getattr(ns, "impl", None) or ["starter"],
        bool(getattr(ns, "insecure", False)),
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
    # where no worker can start, --insecure alone grades in this process (descent.platforms)
    config.option.isolation = isolation_mode(
        config.getoption("isolation"), bool(config.getoption("insecure"))
    )
    state = config.stash[STATE] = GradingState(config)
    ACTIVE.append(state)
    if plugin_workers.wants_worker(config.getoption("isolation"), state.specs) and not (
        workers_missing()  # resolving the submission says why, once
    ):
        plugin_workers.manager_for(config).warm()


def pytest_sessionstart(session: pytest.Session) -> None:
    interrupt.session_started(session.config, _results_file(session.config))
    # Resolve what is graded before collection, so a refusal (no confinement) stops the run
    # with a clear message instead of erroring every test.
    state: GradingState = session.config.stash[STATE]
    if plugin_workers.wants_worker(
        session.config.getoption("isolation"), state.specs
    ) or plugin_workers.has_submission(state.specs):
        _ = state.impls
        _spare_workers(session.config)
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
    if any(exercise_of(item) for item in session.items):
        _course_secret(session.config)
        _compact_output(session.config)
        _one_thread(session.config)
        _share_tests(session.config)
        _one_implementation_at_a_time(session)
        running.count_worker_items(session)
        # A grading run that dies before writing its results must not leave the previous
        # run's file looking current.
        _results_file(session.config).unlink(missing_ok=True)
    # What was imported and collected lives until the run ends (torch alone is hundreds of
    # thousands of objects): frozen, it is left out of every full garbage collection during the
    # tests, which then scan only what the tests made.
    _freeze()
    _resume_gc(session.config)
    _young_threshold(session.config)


_GC_PAUSED = pytest.StashKey[bool]()
_GC_THRESHOLDS = pytest.StashKey[tuple]()
# Objects the tests make before the collector looks at the youngest of them (Python's default:
# 700). Nearly all of them are freed by their reference counts long before, so a collection
# every 700 finds little: a grading collected about 340 times for 53 ms of its two processes'
# CPU time, about 7 times for 25 ms at this threshold (a cycle the tests leave lives a little
# longer, at most this many objects' worth).
_TEST_GEN0 = 20_000
_froze = False  # a run in this process has frozen the heap (_freeze)


def _freeze() -> None:
    global _froze
    gc.freeze()
    _froze = True


def _thaw_earlier_run() -> None:
    """Give the collector back what an earlier run in this process froze, and collect what of
    it is garbage by now: its session, its items, what its tests made. A process that runs
    several gradings (descent audit's draws, a caller of descent.kit.run_pytest) kept every
    earlier run's cycles for good otherwise, about 14,000 objects a run of three grader files.
    A process's first run (descent grade, a grading forked from a warm parent) pays nothing."""
    global _froze
    if _froze:
        _froze = False
        gc.unfreeze()
        gc.collect()


def _resume_gc(config: pytest.Config) -> None:
    """The collector back on, if this run paused it (pytest_load_initial_conftests)."""
    if config.stash.get(_GC_PAUSED, False):
        config.stash[_GC_PAUSED] = False
        gc.enable()


def _young_threshold(config: pytest.Config) -> None:
    """The youngest generation's threshold raised to :data:`_TEST_GEN0` for the tests (put
    back as it was at unconfigure: a process may run other work after a grading)."""
    before = gc.get_threshold()
    if before[0] and before[0] < _TEST_GEN0:  # 0: the collector was switched off by threshold
        config.stash[_GC_THRESHOLDS] = before
        gc.set_threshold(_TEST_GEN0, *before[1:])


def pytest_unconfigure(config: pytest.Config) -> None:
    _resume_gc(config)  # a run that stopped before its collection ended
    before = config.stash.get(_GC_THRESHOLDS, None)
    if before is not None:
        del config.stash[_GC_THRESHOLDS]
        gc.set_threshold(*before)
    state = config.stash.get(STATE, None)
    if state in ACTIVE:
        ACTIVE.remove(state)


def _course_secret(config: pytest.Config) -> None:
    """Read (or create) the course's secret before any test draws from it, so that a secret
    that cannot be had stops the run in one line instead of failing every test."""
    try:
        _ = config.stash[STATE].draws.secret
    except input_seed.SecretError as exc:
        pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)


def _one_implementation_at_a_time(session: pytest.Session) -> None:
    """Run one implementation's items after another's, whatever order pytest's reordering by
    fixture scope left (pytest 9.1 interleaved the session-scoped ``impl`` parameter's values):
    each worker then retires once its folder is done (:func:`.running.retire_when_done`)
    instead of every worker living to the end of the run."""
    state: GradingState = session.config.stash[STATE]
    if state.several:
        rank = {impl.name: n for n, impl in enumerate(state.impls)}
        session.items.sort(key=lambda item: rank.get(impl_of(item).name, -1))


def _share_tests(config: pytest.Config) -> None:
    """Two processes for the tests where ``--test-processes`` wants them (descent.grading.split)."""
    # start-up: the split's machinery loads only for a run that grades
    from . import split
    from .split_side import PluginSide

    state: GradingState = config.stash[STATE]
    cpus = _split_cpus(config)
    if cpus is not None:
        config.pluginmanager.register(
            split.Split(PluginSide(state), cpus, exercise_of), "descent-split"
        )


def _split_cpus(config: pytest.Config) -> tuple[int, int] | None:
    """The two CPUs of the processes that will share this grading's tests, or None for one."""
    # start-up: the split's machinery loads only for a run that grades
    from . import split

    state: GradingState = config.stash[STATE]
    if "cuda" in state.devices and _cuda_present():
        return None  # CUDA set up in this process does not survive the fork of the copy
    impls = state.impls
    one = len(impls) == 1 and getattr(impls[0], "isolated", False)
    return split.cpus(config.getoption("test_processes"), one)


def _spare_workers(config: pytest.Config) -> None:
    """Ask for the workers the first tests of a one-submission grading will need, to be started
    while it collects (``IsolationManager.prestart``): one for the submission's modules and,
    where it handed in a test file, one for its tests, for each process that will share the
    tests. Gradings of several implementations start each worker when it is first needed."""
    # start-up: the write-the-tests machinery loads only for a run that grades in workers
    from ..testwriting import declared, runner, sources

    state: GradingState = config.stash[STATE]
    if len(state.impls) != 1 or not getattr(state.impls[0], "isolated", False):
        return
    impl = state.impls[0]
    keys = [impl.conn.key]
    if sources.handed_in(impl, [w.file for w in declared.EXERCISES.values()]):
        keys.append(runner.WORKER_KEY)
    impl.manager.want_spares(keys, 1 if _split_cpus(config) is None else 2)


def _cuda_present() -> bool:
    # start-up: this module may not import torch (see its imports)
    import torch

    return torch.cuda.is_available()


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
    if metafunc.config.stash[STATE].several:
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
        variant = variant_of(call.params.get("impl"))
        if variant is None:
            return True
        marks = [m for m in getattr(call, "marks", ()) if m.name == "exercise"] or [default]
        return marks[0] is None or variant.exercise == marks[0].args[0]

    kept = [call for call in calls if own(call)]
    if kept and len(kept) < len(calls):
        metafunc._calls = kept


def _parametrize(metafunc: pytest.Metafunc) -> None:
    state: GradingState = metafunc.config.stash[STATE]
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
        exercise = exercise_of(item)
        if exercise:
            item.extra_keyword_matches.update({exercise, exercise.split(".", 1)[-1]})
    state: GradingState = config.stash[STATE]
    if not state.several:
        return

    def own_exercise(item: pytest.Item) -> bool:
        variant = variant_of(impl_of(item))
        return variant is None or variant.exercise == exercise_of(item)

    deselect(config, items, own_exercise)


_UNDER_XDIST = (
    "graded tests do not run under pytest-xdist (-n): each of its workers would score an "
    "exercise on the tests it ran and write its own results. Run them without -n; descent "
    "grade shares one submission's tests between two processes itself (--test-processes)"
)


def _leave_out_under_xdist(items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker, drop the graded tests (every worker drops the same, so xdist
    sees one collection) and say why: the warning reaches the controller's summary."""
    graded = [item for item in items if exercise_of(item)]
    if graded:
        items[:] = [item for item in items if not exercise_of(item)]
        warnings.warn(pytest.PytestConfigWarning(_UNDER_XDIST), stacklevel=1)


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        exercise = exercise_of(item)
        if exercise:
            state: GradingState = item.config.stash[STATE]
            key = (impl_of(item).name, exercise)
            state.deselected[key] = state.deselected.get(key, 0) + 1


# -- fixtures ----------------------------------------------------------------------------------------
# The fixtures read their run and test from run_state.active(), not from ``request`` (see ACTIVE)
@pytest.fixture(scope="session")
def impl() -> Implementation:
    """The implementation under test (see ``--impl``)."""
    return active().impls[0]


@pytest.fixture(scope="session")
def reference() -> Implementation:
    ref = active().reference
    if ref is None:
        pytest.skip("the reference solutions are not available here")
    return ref


@pytest.fixture
def device(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "cpu")


@pytest.fixture
def inputs(device: str) -> Inputs:
    """Seeded input builders; the seed depends on the test and the code graded (keyed by the
    course's secret: input_seed.py), not on the device."""
    state = active()
    return state.inputs_for(state.item, device)


@pytest.fixture
def check(impl: Implementation) -> Checker:
    # start-up: this module may not import torch (see its imports); checker does
    from ..diagnoses.ledger import ledger
    from .checker import Checker

    state = active()
    exercise = exercise_of(state.item)
    book = ledger(state.ledgers, impl.name, exercise)
    return Checker(impl, state.reference, exercise, state.bugs_for(exercise), ledger=book)


# -- scoring -----------------------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)  # before the skipping plugin, so skipped tests are recorded too
def pytest_runtest_setup(item: pytest.Item) -> None:
    state: GradingState = item.config.stash[STATE]
    state.item = item  # for the fixtures, which this setup makes next
    exercise = exercise_of(item)
    if exercise is None:
        return
    if outcomes.is_hypothesis(item):
        fixed = state.draws.option == input_seed.FIXED  # derandomized: the kit's own examples
        input_seed.seed_hypothesis(item.obj, None if fixed else state.seed_of(item))
    impl = impl_of(item)
    # An error until a report says otherwise: a test cut short (Ctrl-C, a crash) never passes.
    result = results.TestResult(
        nodeid=item.nodeid,
        implementation=impl.name,
        exercise=exercise,
        name=item.nodeid.split("::", 1)[-1],
        device=param(item, "device"),
        weight=points_of(item),
        outcome=results.ERROR,
    )
    item.stash[RESULT] = result
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
    the implementation's worker stops if this was its last item
    (:func:`.running.retire_when_done`)."""
    if exercise_of(item) is None:
        return None
    # start-up: pytest's own runner, as pytest-rerunfailures uses it to run a test again
    from _pytest.runner import runtestprotocol

    impl = impl_of(item)
    before = impl.hangs()
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    reports = runtestprotocol(item, log=False, nextitem=nextitem)
    hung = impl.hangs() - before
    if hung and not item.session.shouldstop:
        impl.forget_hangs(hung)
        running.forget_attempt(item)
        reports = runtestprotocol(item, log=False, nextitem=nextitem)
    for report in reports:
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    running.retire_when_done(item)
    return True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if item.stash.get(RESULT, None) is None:
        return (yield)
    impl = impl_of(item)
    try:
        with running.whole_test(item, impl):
            result = yield
    except (KeyboardInterrupt, SystemExit):
        raise  # stop now: no waiting on a worker for requests of a test that never counts
    except BaseException as error:
        impl.flush()  # an error that one of the test's earlier calls raised wins
        charged = running.charge_elsewhere(item, impl, error)
        if charged is not None:
            raise charged from None
        raise
    impl.flush()
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    result = item.stash.get(RESULT, None)
    if result is None:
        return report
    result.duration_s += call.duration
    if report.when == "call":
        result.drawn = outcomes.drew(item)
    if report.when == "call" or (report.when == "setup" and not report.passed):
        outcomes.score(result, report, call, item)
    elif report.when == "teardown" and report.failed and result.outcome == results.PASSED:
        outcomes.score(result, report, call, item)
    return report


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
    state: GradingState = session.config.stash[STATE]
    try:
        if not state.tests:
            return
        state.interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        plugin_workers.finish(state._impls or [], state.ledgers, state.reference)
        state.doc = build_results(state)
        state.results_path = results.write(state.doc, _results_file(session.config))
    finally:
        plugin_workers.close(state._impls or [])
        _restore_threads(session.config)
    # What the tests made is frozen, as what collection made was: pytest runs two full
    # collections as it unconfigures (for unraisable exceptions), which then scan none of it
    # (17 ms of a grading here, on its last stretch; about 50 of its objects were garbage by
    # now: a later run in this process collects them, _thaw_earlier_run).
    _freeze()


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
    state: GradingState = config.stash[STATE]
    if state.doc is None or config.getoption("no_grade_summary"):
        return
    # start-up: rich loads only when the summary is printed
    from rich.console import Console

    from ..reports.terminal_report import render
    from ..terminal import Rendering

    # the stream pytest writes to: a cp1252 one (Windows, redirected) gets an ASCII table
    buffer = Rendering(getattr(terminalreporter._tw._file, "encoding", None))
    console = Console(
        file=buffer,
        force_terminal=terminalreporter.hasmarkup,
        width=terminalreporter._tw.fullwidth,
        highlight=False,
    )
    render(state.doc, console, detail=config.option.verbose > 0)
    terminalreporter.write_sep("=", "grades")
    terminalreporter.write(buffer.text())
    terminalreporter.write_line(f"results written to {state.results_path}")
    # start-up: drawing (matplotlib) happens only where a pictured check failed
    from ..reports.pictures import write_and_say

    said = write_and_say(state.doc, state.results_path.parent)
    if said:
        terminalreporter.write_line(said)

"""Shared fixtures for the kit's own tests: grading runs done once per session, in subprocesses.

Each run is a real ``pytest`` run over the kit's ``graders/`` or ``exercises/`` folders with
an ``--impl`` choice, as an instructor or student would start it, in a process of its own (forked
from a warm one where it can be: tests/forked_pytest.py); tests then read its
results document and output. Under pytest-xdist (``./dev test`` runs ``-n auto``) each run still
happens once: the first worker that needs it runs it, the others read what it saved.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from forked_pytest import WarmPytest

from descent.grading.input_seed import KIT_SECRET
from descent.grading.run_state import deselect

KIT = Path(__file__).resolve().parents[1]
# The course's secret of every grading the kit's tests make, in this process and in the runs it
# starts: what a class draws (inputs keyed to the code), the same on every machine and run, and
# the audit's, so that the recorded generic names are those these gradings give.
KIT_TESTS_SECRET = KIT_SECRET
os.environ["DESCENT_INPUT_SECRET"] = KIT_TESTS_SECRET

# The toy kit's fixtures (grade_toy, no_cuda) for the fast tests of the plugin and the scoring,
# wherever their module's tests live (tests/toykit.py).
pytest_plugins = ["toykit"]

# Where this suite worker's gradings are forked from (tests/forked_pytest.py).
WARM = WarmPytest()


@contextlib.contextmanager
def kit_package(package: str):
    """Import from the kit's ``solutions`` or ``exercises`` package (``kit_package("solutions")``
    gives a function that imports ``solutions.<module>``); afterwards the package is forgotten,
    so that later imports of the same name find what they expect."""
    sys.path.insert(0, str(KIT))
    try:
        yield lambda module: importlib.import_module(f"{package}.{module}")
    finally:
        sys.path.remove(str(KIT))
        for name in [n for n in sys.modules if n == package or n.startswith(f"{package}.")]:
            del sys.modules[name]


@dataclass
class Run:
    code: int
    output: str
    results: dict

    def block(self, name: str) -> dict:
        for block in self.results["implementations"]:
            if block["name"] == name:
                return block
        raise KeyError(f"no implementation {name!r} in results")

    def only(self, name: str) -> Run:
        """What this run gave the implementation ``name`` alone (its block and its tests), as a
        run of that implementation by itself reads; the output stays the whole run's."""
        results = dict(
            self.results,
            implementations=[self.block(name)],
            tests=[t for t in self.results["tests"] if t["implementation"] == name],
        )
        return dataclasses.replace(self, results=results)


def grade(
    tmp: Path,
    suites: list[str],
    impls: list[str],
    *extra: str,
    cwd: Path = KIT,
    env: dict[str, str] | None = None,
    own: dict[str, list[str]] | None = None,
) -> Run:
    """Run pytest on ``suites`` against ``impls`` in a process of its own (with ``env`` added to
    its environment; forked from this worker's warm process where it can be); return code,
    output, results. ``own`` (folder name -> exercise ids) grades
    each folder it names on those exercises alone (tests/own_exercises.py)."""
    from descent.kit import PLUGINS

    results = tmp / "results.json"
    # The plugins grading needs, by name, as `descent grade` loads them (descent.kit): left to
    # autoload, each run would load and rewrite every installed plugin (about 1.5 CPU-s a run).
    # The graders hold no bare assert, so rewriting theirs buys nothing (descent grade, too).
    folders = [s.split("/")[0] for s in suites if s.startswith(("graders", "exercises"))]
    plain = ["--assert=plain"] if folders and set(folders) == {"graders"} else []
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *suites,
        *PLUGINS,
        *plain,
        "-p",
        "no:cacheprovider",
        "-p",
        "no:logging",
        "-q",
        f"--results={results}",
        *[f"--impl={i}" for i in impls],
        *extra,
    ]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    environ.update(env or {})
    if own:
        cmd[3:3] = ["-p", "own_exercises"]
        path = environ.get("PYTHONPATH")
        environ["PYTHONPATH"] = os.pathsep.join([str(KIT / "tests"), *([path] if path else [])])
        environ["OWN_EXERCISES"] = json.dumps(own)
    tmp.mkdir(parents=True, exist_ok=True)
    log = tmp / "pytest.log"
    code = WARM.run(cmd[3:], cwd, environ, log, timeout=1200)
    if code is None:  # the warm process cannot stand in for a fresh one (tests/forked_pytest.py)
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, env=environ, timeout=1200
        )
        code, output = proc.returncode, proc.stdout + proc.stderr
    else:
        output = log.read_text(errors="replace")
    if not results.exists():
        raise AssertionError(f"no results written (exit {code}):\n{output[-4000:]}")
    return Run(code, output, json.loads(results.read_text()))


def grade_in_process(tmp: Path, suites: list[str], folder: Path, *extra: str) -> Run:
    """``grade`` of one submission folder in the grading process, as a student's own run of
    the public tests loads it (``--isolation=none --insecure``)."""
    return grade(tmp, suites, [str(folder)], "--isolation=none", "--insecure", *extra)


def _once(tmp_path_factory, name: str, *args, **kw) -> Run:
    """``grade(folder, *args, **kw)`` once per test session, whatever the number of xdist
    workers: they share the session's temporary root, and a lock there makes the others wait
    for the first one's run and read its saved result instead of grading again."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return grade(tmp_path_factory.mktemp(name), *args, **kw)
    root = tmp_path_factory.getbasetemp().parent  # the session's, above each worker's own
    saved = root / name / "run.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if saved.exists():
            return Run(**json.loads(saved.read_text()))
        saved.parent.mkdir(exist_ok=True)
        run = grade(saved.parent, *args, **kw)
        saved.write_text(json.dumps(dataclasses.asdict(run)))
        return run


def pytest_addoption(parser):
    parser.addoption(
        "--slow",
        action="store_true",
        help="also run the slow lane: the tests marked slow (./dev test --all passes it)",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "fast: the fast lane, `./dev test --fast` (whole files: "
        "tests/test_architecture.py checks it covers every module)",
    )
    config.addinivalue_line(
        "markers",
        "slow(reason): the slow lane, run only by `./dev test --all` (--slow); the reason says "
        "why the test cannot be made fast or share a grading of the default lane",
    )


def _slow_lane(config, items) -> None:
    """Deselect the tests marked ``slow`` unless ``--slow`` is given; a ``slow`` mark without
    its reason stops the run, so that the slow lane only grows with a stated cause."""
    unexplained = [
        i.nodeid
        for i in items
        if (m := i.get_closest_marker("slow")) and not m.kwargs.get("reason")
    ]
    if unexplained:
        raise pytest.UsageError(
            "pytest.mark.slow needs reason='why this cannot run in the default lane': "
            + ", ".join(unexplained[:5])
        )
    if config.getoption("--slow"):
        return
    deselect(config, items, lambda item: not item.get_closest_marker("slow"))


@pytest.hookimpl(trylast=True)  # after pytest has ordered the items by their fixtures
def pytest_collection_modifyitems(config, items):
    """The slow lane is left out unless asked for (``_slow_lane``). Under pytest-xdist the suite
    runs with ``--dist loadfile`` (``./dev test``, ``tox``): a module's tests run on one worker,
    so a fixture made once per module (the nbgrader term's, a whole term of gradings; the red
    team's runs) is made once, not once per worker; a session's grading runs are made once by
    their lock (``_once``); the longest files are handed out first (``_longest_first``)."""
    _slow_lane(config, items)
    _longest_first(items)


# The files whose runs take longest (wall seconds of a default-lane run on 2 cores, 2026-11-26),
# longest first. --dist loadfile hands out files in collection order; a long file handed out last
# keeps one worker busy after the others have finished, so these are collected first.
LONGEST_FIRST = (
    "tests/test_grading_outcomes.py",  # 300
    "tests/course/test_term_nbgrader.py",  # 138
    "tests/isolation/test_redteam.py",  # 137, half of it waiting on time limits
    "tests/test_student_loop.py",  # 129
    "tests/course/test_batch.py",  # 122
    "tests/labs/test_labs_redteam.py",  # 64
    "tests/labs/test_labs_e2e.py",  # 64
    "tests/course/test_hostile_class.py",  # 64
    "tests/course/test_warm_parent.py",  # 57
    "tests/test_lint.py",  # 56
)


def _longest_first(items) -> None:
    """The LONGEST_FIRST files first, each file's own order kept (its fixtures' scopes rely on
    it)."""
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


# -- the catalogue in the default lane: a fixed stratified sample (descent.authoring.sample) --------
# Tests that read one variant by name (a named variant joins the sample wherever it lies).
NAMED_VARIANTS = (
    "softmax_no_max_subtraction",
    "ce_grad_no_div_n",
    "he_uses_fan_out",
    "he_gain_hardcoded",
    # test_grading_outcomes.SHARE_PARITY: each slip read in the public and the hidden run
    "relu_backward_ge0",
    "sigmoid_exp_over_1p_exp",
    "l1_grad_nan_at_zero",
    "step_lr_float32",
    "rmsprop_eps_inside_sqrt",
    "train_not_seeded",  # test_capstone: the public tests catch a loop on the global generator
)
UNSAMPLED = (
    "this catalogued variant is outside the default lane's stratified sample (every exercise, "
    "every diagnosis kind): the slow lane grades the whole catalogue"
)


@functools.cache
def catalogue_sample() -> frozenset[str]:
    """The ids the default lane grades wherever a test is about the whole catalogue and corpus."""
    from descent import catalogue
    from descent.authoring import sample

    catalogue.load(KIT / "graders" / "catalogue")
    catalogue.load(KIT / "graders" / "corpus")
    return frozenset(v.id for v in sample.choose(catalogue.variants(), NAMED_VARIANTS))


def sampled(variants: list) -> list:
    """``variants`` as parameters of a test: those outside the sample marked for the slow lane."""
    chosen = catalogue_sample()
    return [
        pytest.param(v, id=v.id, marks=() if v.id in chosen else pytest.mark.slow(reason=UNSAMPLED))
        for v in variants
    ]


def lane_impls(config, kinds: tuple[str, ...], keep=lambda variant: True) -> list[str]:
    """The ``--impl`` specs for the variants of ``kinds`` that ``keep`` accepts: all of them in
    the slow lane (``--slow``), the sample's in the default lane."""
    from descent import catalogue

    chosen = None if config.getoption("--slow") else catalogue_sample()
    catalogue_sample()  # loads the catalogue and the corpus
    return [
        f"{v.kind}:{v.id}"
        for kind in kinds
        for v in catalogue.variants(kind)
        if keep(v) and (chosen is None or v.id in chosen)
    ]


@pytest.fixture(scope="session")
def solutions_run(tmp_path_factory) -> Run:
    return _once(tmp_path_factory, "solutions", ["graders", "exercises"], ["solutions"])


@pytest.fixture(scope="session")
def starter_graders_run(tmp_path_factory) -> Run:
    return _once(tmp_path_factory, "starter-graders", ["graders"], ["starter"])


@pytest.fixture(scope="session")
def starter_exercises_run(tmp_path_factory) -> Run:
    return _once(tmp_path_factory, "starter-exercises", ["exercises"], ["starter"])


@pytest.fixture(scope="session")
def catalogue_run(tmp_path_factory, pytestconfig) -> Run:
    """The hidden graders over the catalogue's bugs, alternatives and hollow answers (each runs
    only its own exercise's tests): the sample in the default lane, all in the slow lane."""
    impls = lane_impls(pytestconfig, ("bug", "alternative", "hollow"))
    return _once(tmp_path_factory, "catalogue", ["graders"], impls)


@pytest.fixture(scope="session")
def corpus_run(tmp_path_factory, pytestconfig) -> Run:
    """The hidden graders over the student-style bugs of ``graders/corpus`` (each runs only its
    own exercise's tests): the sample in the default lane, all in the slow lane."""
    return _once(tmp_path_factory, "corpus", ["graders"], lane_impls(pytestconfig, ("student",)))


# The modules whose bugs, too, are graded through workers by ``variants_worker_run``.
WORKER_BUG_MODULES = ("losses", "activations")


@pytest.fixture(scope="session")
def variants_worker_run(tmp_path_factory, pytestconfig) -> Run:
    """Through workers (confined where the machine allows), in one run: the alternatives and
    hollow answers, and the bugs (catalogued or of the corpus) of the exercises of
    WORKER_BUG_MODULES, of the lane (``lane_impls``); the in-process results of the same tests come
    from ``catalogue_run`` and ``corpus_run``, which grade the same lane's variants."""
    impls = lane_impls(pytestconfig, ("alternative", "hollow")) + lane_impls(
        pytestconfig,
        ("bug", "student"),
        lambda v: v.exercise.split(".")[0] in WORKER_BUG_MODULES,
    )
    return _once(
        tmp_path_factory,
        "variants-worker",
        ["graders"],
        impls,
        "--isolation=worker",
        "--insecure",
    )


@pytest.fixture(scope="session")
def public_hollow_run(tmp_path_factory, pytestconfig) -> Run:
    impls = lane_impls(pytestconfig, ("hollow",))
    return _once(tmp_path_factory, "public-hollow", ["exercises"], impls)


@pytest.fixture(scope="session")
def public_alternatives_run(tmp_path_factory, pytestconfig) -> Run:
    """The public tests over the lane's catalogued alternatives (each runs only its exercise's
    tests)."""
    impls = lane_impls(pytestconfig, ("alternative",))
    return _once(tmp_path_factory, "public-alternatives", ["exercises"], impls)


@pytest.fixture(scope="session")
def public_bugs_run(tmp_path_factory, pytestconfig) -> Run:
    """The public tests over the lane's catalogued bugs (each runs only its exercise's tests)."""
    return _once(tmp_path_factory, "public-bugs", ["exercises"], lane_impls(pytestconfig, ("bug",)))

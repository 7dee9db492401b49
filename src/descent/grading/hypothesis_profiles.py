"""The hypothesis profiles of grading runs and of the kit's tests.

Profiles (pick one with ``--hypothesis-profile``): ``ci`` (the default, a few examples per
property), ``dev`` and ``thorough`` (many examples, for checking graders before a release). All are
derandomized, so every student is graded on the same examples, and have no deadline, because a
first call into torch can take far longer than hypothesis's default 200 ms. Two health checks are
off on purpose: fixtures such as ``check`` are per test but hold no state between examples, and
one test method runs under many parametrized instances (devices, implementations), which
hypothesis flags as "differing executors" only because it could confuse its example database,
which these profiles do not use.

They are registered when hypothesis is first imported: hypothesis calls :func:`register` through
its ``hypothesis`` entry point (``pyproject.toml``), so a run whose tests never use hypothesis (a
student's public tests) never imports it, and a test module that imports hypothesis still finds
``ci`` in force before its first ``@given``. Where that entry point is not installed, the pytest
plugin calls :func:`register` itself before any test module is imported.

In a process running the descent plugin, :func:`register` also empties hypothesis's pool of
*local constants*. Hypothesis (6.131 and later) draws about one value in twenty from constants:
its own fixed list, and the literals in the source of every loaded module outside site-packages
and the standard library, scanned again whenever a module is loaded. In a grading those are the
kit's own modules (graders, references, the bug catalogue, descent's diagnoses) and the
student's, so the examples a test drew depended on which modules earlier tests had happened to
load: an audit in-process (the variants' modules loaded) drew other examples than a grading
through the worker, the tests of one grading could not be split between two processes, and the
warm parent of a batch had to load exactly the kit modules a fresh grading had loaded. With the
pool empty, a test's examples depend only on the test, its profile and hypothesis's own
constants (which still bring zeros, infinities, NaN and the like).
"""

from __future__ import annotations

import sys
from typing import Any

from hypothesis import HealthCheck, Phase, settings

DEFAULT = "ci"
_COMMON: dict[str, Any] = dict(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.differing_executors,
    ],
)
# Grading never shows a falsifying example (the inputs are hidden), so the grading profiles skip
# hypothesis's shrink phase: a failing student (or a stub) is reported from its first failing
# example instead of being re-run dozens of times. ``dev`` keeps shrinking for grader authors.
_GRADING_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
PROFILES: dict[str, dict[str, Any]] = {
    "ci": dict(max_examples=8, phases=_GRADING_PHASES, **_COMMON),
    "dev": dict(max_examples=30, **_COMMON),
    "thorough": dict(max_examples=300, phases=_GRADING_PHASES, **_COMMON),
}
_loaded: list[str] = []  # the default, once it was made the default in this process


def register() -> None:
    """Register the profiles; in a process running the descent pytest plugin, also make ``ci``
    the default, once (``--hypothesis-profile``, which hypothesis's own plugin loads after this,
    then chooses another), and empty hypothesis's pool of local constants."""
    # Each profile derives from hypothesis's own "default" profile, never from the profile in force:
    # register runs twice in a process (entry point, then plugin) and ``ci`` may be loaded by then,
    # and a CI machine starts under hypothesis's built-in ``ci``, whose settings would leak in.
    base = settings.get_profile("default")
    for name, options in PROFILES.items():
        settings.register_profile(name, parent=base, **options)
    if not _loaded and "descent.grading.plugin" in sys.modules:
        settings.load_profile(DEFAULT)
        _no_local_constants()
        _loaded.append(DEFAULT)


def _no_local_constants() -> None:
    """Make hypothesis's pool of local constants empty for the rest of the process (see the
    module's docstring); register calls it before any test draws an example. It replaces a
    private function of hypothesis (``providers._get_local_constants``, which each test case
    calls); a hypothesis without that function has no such pool and is left as it is.
    tests/grading/test_hypothesis_profiles.py fails if the replacement stops taking effect."""
    # start-up: hypothesis's engine, loaded by hypothesis itself by the time register runs
    from hypothesis.internal.conjecture import providers

    if not hasattr(providers, "_get_local_constants") or not hasattr(providers, "Constants"):
        return
    empty = providers.Constants()  # never filled: the same object on every call

    def no_local_constants() -> providers.Constants:
        return empty

    providers._get_local_constants = no_local_constants

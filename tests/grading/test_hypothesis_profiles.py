"""The hypothesis profiles (``descent.grading.hypothesis_profiles``).

The profiles are registered when hypothesis is first imported, through hypothesis's own entry
point, so that the student's public tests, which never use hypothesis, never import it, while a
grader's ``@given`` still runs under ``ci`` and ``--hypothesis-profile`` still chooses another.

Hypothesis's pool of local constants is empty wherever the descent plugin runs: the examples a
test draws never depend on which modules happen to be loaded, so an audit in-process, a grading
through the worker and a grading forked from the warm parent all draw the same ones.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers

from descent.grading import hypothesis_profiles
from descent.grading.hypothesis_profiles import PROFILES

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

REINSTALL = (
    "descent's hypothesis entry point is not installed in this environment: "
    "run `pip install -e .` again in the kit"
)


def test_the_grading_profiles_are_derandomized_and_never_shrink():
    for name in ("ci", "thorough"):
        profile = settings.get_profile(name)
        assert profile.derandomize and profile.deadline is None and profile.database is None
        assert Phase.shrink not in profile.phases
    assert settings.get_profile("ci").max_examples == PROFILES["ci"]["max_examples"] == 8
    assert Phase.shrink in settings.get_profile("dev").phases


def _pytest(tmp_path, source: str, *args: str) -> subprocess.CompletedProcess:
    """pytest in a fresh process on one test file, plugins autoloaded as a student's run has them."""
    (tmp_path / "test_probe.py").write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "test_probe.py", "-q", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_run_that_never_uses_hypothesis_never_imports_it(tmp_path):
    run = _pytest(
        tmp_path,
        """
        import sys

        def test_probe():
            assert "hypothesis" not in sys.modules
        """,
    )
    assert run.returncode == 0, f"{REINSTALL}\n{run.stdout}{run.stderr}"


def test_a_given_runs_under_ci_unless_another_profile_is_chosen(tmp_path):
    source = """
        from hypothesis import given, settings, strategies as st

        def test_profile():
            assert settings.default.max_examples == {examples}

        @given(st.integers())
        def test_given(n):
            assert settings.default.derandomize
        """
    ci = _pytest(tmp_path, source.format(examples=8))
    assert ci.returncode == 0, ci.stdout + ci.stderr
    dev = _pytest(tmp_path, source.format(examples=30), "--hypothesis-profile=dev")
    assert dev.returncode == 0, dev.stdout + dev.stderr


def test_nor_at_the_end_of_the_run(tmp_path):
    """hypothesis's own pytest plugin imports hypothesis in its terminal summary (about half a
    second of a student's run); where no test used hypothesis, that summary is left out."""
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            import sys

            def pytest_unconfigure(config):
                with open("imported.txt", "w") as out:
                    out.write(str("hypothesis" in sys.modules))
            """
        )
    )
    run = _pytest(tmp_path, "def test_probe():\n    pass\n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / "imported.txt").read_text() == "False"


# -- the pool of local constants -------------------------------------------------------------------
# Hypothesis reads no literals from test files (a path with a ``tests`` folder, a ``test_`` name),
# so the literals it would draw are written to throw-away modules outside the kit's tests.
LOW, HIGH = 987_000_000, 988_000_000
MARKED = "MARKED = 987654321\n"  # the only literal in [LOW, HIGH] hypothesis would know
LATE = "LATE = [" + ", ".join(str(LOW + 7919 * k) for k in range(1, 100)) + "]\n"


def _draws() -> list[int]:
    """The integers one derandomized property test draws in [LOW, HIGH]."""
    seen: list[int] = []

    @settings(max_examples=300, derandomize=True, database=None)
    @given(st.integers(min_value=LOW, max_value=HIGH))
    def probe(n):
        seen.append(n)

    probe()
    return seen


def _load(tmp_path, monkeypatch, name: str, source: str) -> None:
    """Import a module of ``source`` and leave it loaded (hypothesis scans sys.modules)."""
    (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module(name)


def test_a_property_test_never_draws_the_literals_of_loaded_modules(tmp_path, monkeypatch):
    _load(tmp_path, monkeypatch, "descent_pool_probe_marked", MARKED)
    assert 987_654_321 not in _draws()
    assert len(providers._get_local_constants()) == 0


def test_the_examples_do_not_change_when_a_module_is_loaded_mid_run(tmp_path, monkeypatch):
    before = _draws()
    _load(tmp_path, monkeypatch, "descent_pool_probe_late", LATE)
    assert _draws() == before


def test_the_pool_stays_empty_in_a_fresh_pytest_process(tmp_path):
    """A run with the plugins autoloaded, as a grading's: the entry point empties the pool before
    the first test, whatever the test modules load."""
    (tmp_path / "marked.py").write_text(MARKED)
    run = _pytest(
        tmp_path,
        """
        import marked
        from hypothesis.internal.conjecture import providers

        def test_pool():
            pool = providers._get_local_constants()
            assert list(pool) == [], sorted(map(repr, pool))[:20]
        """,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_hypothesis_without_the_pool_is_left_as_it_is(monkeypatch):
    monkeypatch.delattr(providers, "_get_local_constants")
    hypothesis_profiles._no_local_constants()
    assert not hasattr(providers, "_get_local_constants")

"""Hypothesis's pool of local constants is empty wherever the descent plugin runs
(``descent.grading.hypothesis_profiles``): the examples a test draws never depend on which modules
happen to be loaded, so an audit in-process, a grading through the worker and a grading forked
from the warm parent all draw the same ones."""

from __future__ import annotations

import importlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers

from descent.grading import hypothesis_profiles

from .test_hypothesis_profiles import _pytest

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

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

"""The hypothesis profiles (``descent.grading.hypothesis_profiles``) and strategies (``descent.grading.strategies``).

The profiles are registered when hypothesis is first imported, through hypothesis's own entry
point, so that the student's public tests, which never use hypothesis, never import it, while a
grader's ``@given`` still runs under ``ci`` and ``--hypothesis-profile`` still chooses another.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from hypothesis import Phase, given, settings

from descent.grading.hypothesis_profiles import PROFILES
from descent.grading.strategies import shapes, tensors

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


@settings(max_examples=5)
@given(tensors(shape=shapes(min_dims=2, max_dims=2)))
def test_tensors_are_float64_of_a_drawn_shape(x):
    assert x.dtype == torch.float64 and x.dim() == 2 and torch.isfinite(x).all()


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

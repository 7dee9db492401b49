"""What the tests of ``descent.course.similarity`` share: the sample class (similarity_class.py,
built once per test module) and its analysis, and helpers that run the comparison and put code in
its canonical form."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest
from rich.console import Console

from ..conftest import KIT
from . import similarity_class


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return similarity_class.build(tmp_path_factory.mktemp("class") / "submissions", KIT)


@pytest.fixture(scope="module")
def analysis(sample):
    # start-up: the engine needs copydetect, which each test module asks for first
    from descent.course.similarity import corpus, engine

    return engine.analyse(corpus.read(sample, KIT, similarity_class.MODULES))


def pair_of(analysis, a, b):
    return next(p for p in analysis.pairs if {p.a, p.b} == {a, b})


def run_on(folder: Path, out: Path, **options) -> tuple[int, str]:
    """``descent similarity`` on ``folder``: its exit code and what it printed."""
    from descent.course.similarity import run

    sink = io.StringIO()
    code = run.run(folder, out, KIT, Console(file=sink, width=200), **options)
    return code, sink.getvalue()


def canonical(text: str, module: str = "regression") -> str:
    """``text`` in the canonical form the comparison reads (the module's own names kept)."""
    from descent.course.similarity import normalize
    from descent.course.similarity.fingerprints import exported_names

    starter = (KIT / "starter" / f"{module}.py").read_text()
    return normalize.canonical(ast.parse(text), exported_names(module, starter)).text

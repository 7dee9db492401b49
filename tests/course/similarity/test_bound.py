"""The cost bound of one file (``descent.course.similarity.bound``): one enormous file costs a
bounded amount of work and is reported as cut, and the rest of the class is compared as before."""

from __future__ import annotations

import io
import shutil

import pytest

pytest.importorskip("copydetect")

from rich.console import Console

from descent.course.similarity import (  # noqa: E402
    bound,
    corpus,
    engine,
    run,
)
from descent.course.similarity import pages as evidence  # noqa: E402

from ..conftest import KIT  # noqa: E402
from . import similarity_class  # noqa: E402
from .conftest import pair_of  # noqa: E402


def test_one_enormous_file_costs_a_bounded_amount_of_work(sample, analysis, tmp_path):
    folder = tmp_path / "submissions"
    shutil.copytree(sample, folder)
    text, functions = similarity_class.enormous((folder / "bob" / "regression.py").read_text())
    (folder / "bob" / "regression.py").write_text(text)
    assert functions > 7000 and len(text.encode()) <= 1024 * 1024  # what intake accepts
    read = corpus.read(folder, KIT, similarity_class.MODULES)
    found = engine.analyse(read)
    assert found.cut == {("bob", "regression"): (found.cut[("bob", "regression")][0], len(text))}
    assert found.cut[("bob", "regression")][0] <= bound.MAX_SOURCE
    assert found.docs[("bob", "regression")].tokens <= bound.MAX_SOURCE
    assert found.tokens <= 4 * analysis.tokens  # the class of eight, without the file
    copied = pair_of(found, *similarity_class.COPIED)  # the kit's functions were compared first
    assert copied.flagged and copied.similarity > 0.9
    sink = io.StringIO()
    run.summarize(read, found, Console(file=sink, width=200))
    assert "bob: regression.py is over the cost bound" in sink.getvalue()
    assert "Compared in part" in evidence.class_page(found, {})

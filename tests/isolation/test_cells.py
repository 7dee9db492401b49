"""Notebook cells in a worker (:mod:`descent.isolation.cells`): what a cell printed and how it
ended, as data; magics refused before anything runs; the paths a cell was kept from. Each case
runs in a forked child: a cell's audit hook stays for the life of its process."""

from __future__ import annotations

import os

import pytest

from descent.isolation import cells

from .forked import in_child

pytestmark = [
    pytest.mark.fast,  # the fast lane: ./dev test --fast
    pytest.mark.skipif(not hasattr(os, "fork"), reason="each case runs in a forked child"),
]


def _run(*sources: str, home: str | None = None, watch: bool = True) -> list[dict]:
    def child(_):
        if home:
            os.environ["HOME"] = home
        mod = cells.namespace()
        ran = [cells.run(mod, source, watch=watch) for source in sources]
        return {"cells": ran, "hooked": cells._hooked}

    report = in_child(child)
    assert "error" not in report, report
    assert watch or report["hooked"] is False  # an unwatched cell installs no audit hook
    return report["cells"]


def test_a_cell_prints_and_shows_its_last_expression_in_one_namespace():
    first, second = _run("x = 2\nprint('hi', x)\nx * 21", "display(x)\n__name__")
    assert first == {
        "stdout": "hi 2\n", "stderr": "", "result": "42", "error": None, "refused": []
    }  # fmt: skip
    assert second["stdout"] == "2\n" and second["result"] == "'__main__'"


def test_an_error_ends_only_the_cell_and_is_described():
    (out,) = _run("print('before')\n1 / 0\nprint('after')")
    assert out["stdout"] == "before\n" and out["result"] is None
    assert out["error"] == {"type": "ZeroDivisionError", "msg": "division by zero"}


def test_a_magic_is_refused_before_any_of_the_cell_runs():
    (magic, broken) = _run("print('ran')\n%timeit 1\n", "def f(:\n")
    assert magic["stdout"] == "" and magic["error"]["type"] == "RefusedCell"
    assert magic["error"]["msg"].startswith("line 2: IPython magics and shell escapes")
    assert broken["error"]["type"] == "SyntaxError" and "(line 1)" in broken["error"]["msg"]


def test_output_is_capped():
    (out,) = _run(f"print('x' * {cells.MAX_OUTPUT + 10})")
    assert out["stdout"] == "x" * cells.MAX_OUTPUT + "\n[output cut here]\n"


def test_a_write_outside_the_scratch_folder_is_reported_and_one_inside_is_not(tmp_path):
    source = (
        f"open({str(tmp_path / 'mine.txt')!r}, 'w').close()\n"
        "try:\n    open('/no-such-folder-descent/out.txt', 'w')\nexcept OSError:\n    pass\n"
    )
    (out,) = _run(source, home=str(tmp_path))
    assert out["error"] is None
    assert out["refused"] == ["write /no-such-folder-descent/out.txt"]


def test_an_unwatched_cell_reports_no_path_and_leaves_no_audit_hook(tmp_path):
    source = "try:\n    open('/no-such-folder-descent/out.txt', 'w')\nexcept OSError:\n    pass\n"
    (out,) = _run(source, home=str(tmp_path), watch=False)
    assert out["error"] is None and out["refused"] == []

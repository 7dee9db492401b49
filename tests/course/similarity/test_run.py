"""``descent similarity``'s work (``descent.course.similarity.run``): bad input gets a plain answer
(exit 2 when nothing can be compared), and an entry it cannot read is left out with the reason
while the rest are compared."""

from __future__ import annotations

import os
import shutil

import pytest

pytest.importorskip("copydetect")

from .conftest import run_on  # noqa: E402


def test_bad_input_gets_a_clear_message(sample, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = run_on(empty, tmp_path / "o1")
    assert code == 2 and "no submissions" in out and "Traceback" not in out

    one = tmp_path / "one"
    shutil.copytree(sample / "alice", one / "alice")
    code, out = run_on(one, tmp_path / "o2")
    assert code == 2 and "at least two submissions" in out and "found 1 (alice)" in out

    mixed = tmp_path / "mixed"
    shutil.copytree(sample / "alice", mixed / "alice")
    shutil.copytree(sample / "erin", mixed / "erin")
    (mixed / "binary").mkdir()
    (mixed / "binary" / "regression.py").write_bytes(b"\x7fELF\x00\x01\xff" * 100)
    (mixed / "huge").mkdir()
    (mixed / "huge" / "regression.py").write_text("x = 1\n" * 400_000)
    code, out = run_on(mixed, tmp_path / "o3")
    assert code == 0, out
    assert "binary: left out of the comparison: regression.py: contains NUL bytes" in out
    assert "huge: left out" in out and "exceeds" in out
    assert "2 students, 1 pairs compared" in out
    index = (tmp_path / "o3" / "index.html").read_text()
    assert "Left out of the comparison" in index and "binary: regression.py" in index

    code, out = run_on(tmp_path / "missing", tmp_path / "o4")
    assert code == 2 and "no such folder" in out


def test_an_entry_it_cannot_read_is_left_out_with_the_reason_and_the_rest_compared(
    sample, tmp_path
):
    """A 400 KB notebook of nested lists (RecursionError out of intake) or an entry named in
    Latin-1 bytes (`Jos\\xe9`: "can't encode '\\udce9'") stopped the comparison of the whole
    class: a traceback or exit 2, no report for anyone."""
    folder = tmp_path / "subs"
    for student in ("alice", "bob"):
        shutil.copytree(sample / student, folder / student)
    (folder / "deep.ipynb").write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}")
    latin = folder / os.fsdecode(b"Jos\xe9")
    shutil.copytree(sample / "alice", latin)
    code, out = run_on(folder, tmp_path / "out")
    assert code == 0 and "Traceback" not in out, out
    assert "deep: left out of the comparison: deep.ipynb: not a readable notebook" in out
    assert "Jos\\xe9: left out of the comparison: Jos\\xe9/: its name is not valid UTF-8" in out
    assert "2 students, 1 pairs compared" in out
    index = (tmp_path / "out" / "index.html").read_text()
    assert "nested 200001 levels deep" in index and "Jos\\xe9" in index

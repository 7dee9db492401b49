"""Text for a stream that cannot write every character (``descent.terminal``): Windows writes a
redirected stream or a CI log in cp1252, which has no box-drawing characters and no Greek
letters."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table

from descent.terminal import Rendering, tolerate_encoding

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _table() -> Table:
    table = Table("exercise", "points")
    table.add_row("init.kaiming", "0/10 (σ ≤ 0)")
    return table


def test_a_rendering_for_cp1252_is_drawn_in_ascii_and_writable_there():
    buffer = Rendering("cp1252")
    Console(file=buffer, width=60).print(_table())
    text = buffer.text()
    text.encode("cp1252")  # every character can be written
    assert "─" not in text and "+" in text and "|" in text
    assert "0/10 (? ? 0)" in text  # what the code page lacks, replaced


def test_a_rendering_for_utf8_keeps_every_character():
    buffer = Rendering("utf-8")
    Console(file=buffer, width=60).print(_table())
    assert "─" in buffer.text() and "σ ≤ 0" in buffer.text()
    assert Rendering(None).encoding == "utf-8"  # a stream that does not say


def test_a_stream_that_lacks_a_character_writes_a_question_mark():
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252")
    tolerate_encoding(stream)
    stream.write("σ = 1\n")
    stream.flush()
    assert raw.getvalue() == b"? = 1\n"

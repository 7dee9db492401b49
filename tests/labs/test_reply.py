"""A cell's reply from its worker, rebuilt field by field on the grading side
(``descent.labs.reply``): a notebook that replaced the worker's cell runner can send anything,
and what is kept is text of its type within the worker's own caps."""

from __future__ import annotations

import pytest

from descent.isolation import cells
from descent.labs import reply

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_an_honest_reply_is_kept_as_it_is():
    sent = {"stdout": "hi\n", "stderr": "", "result": "3", "error": None, "refused": ["/etc"]}
    assert reply.well_formed(sent) == sent
    assert reply.well_formed({"stdout": "", "stderr": "", "error": None}) == {
        "stdout": "", "stderr": "", "result": None, "error": None, "refused": [],
    }  # fmt: skip


@pytest.mark.parametrize("sent", [None, "text", [], {"stdout": "", "stderr": ""}])
def test_what_is_no_reply_at_all_is_none(sent):
    assert reply.well_formed(sent) is None


def test_every_field_is_capped_and_of_its_type():
    sent = {
        "stdout": "x" * (reply.MAX_TEXT + 50),
        "stderr": b"bytes",
        "result": {"a": 1},
        "error": {"type": "E" * 10_000, "msg": ["not", "text"]},
        "refused": ["/" + "p" * 1000] * (cells.MAX_REFUSED + 5) + [3],
    }
    kept = reply.well_formed(sent)
    assert len(kept["stdout"]) == reply.MAX_TEXT and kept["stderr"] == "<not text>"
    assert kept["result"] == "<not text>"
    assert kept["error"] == {"type": "E" * reply.MAX_TYPE, "msg": "<not text>"}
    assert len(kept["refused"]) == cells.MAX_REFUSED
    assert all(len(p) == reply.MAX_PATH for p in kept["refused"])
    assert reply.well_formed({**sent, "error": "boom"})["error"] == {
        "type": "<not text>", "msg": "<not text>",
    }  # fmt: skip

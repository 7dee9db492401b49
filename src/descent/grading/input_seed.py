"""The secret a grading draws its hidden inputs from, so that no answer read in one grading's
feedback fits the next.

A hidden test draws its inputs (the ``inputs`` fixture, and hypothesis's examples) from a seed
made of its own id. For the kit's own implementations (the starter, the solutions, catalogued
variants) that is all, and every run draws the same numbers: the audit, the recorded diagnoses
(``graders/generic_names.json``) and the kit's tests that compare one run with another rely on
it. A grading of a submission also mixes in a secret drawn for that grading alone: a failed
check shows the expected value on inputs that will not come back, so a table of answers filled
from earlier gradings' messages (looked up by a fingerprint of the inputs) finds nothing. The
reference runs on the same inputs in the same grading, so every check compares like with like.
``--input-seed SEED`` grades on the inputs of an earlier grading again (its results record the
seed it used), or on the kit's fixed ones (``fixed``).
"""

from __future__ import annotations

import hashlib
import secrets
import sys
import zlib
from typing import Any

FIXED = "fixed"  # --input-seed fixed: the per-test seeds of the kit's own runs


def choose(option: str | None, submission: bool) -> str:
    """The secret of this grading: ``--input-seed`` when given (``fixed``: none), else a fresh
    one for a grading of a submission and none for the kit's own implementations."""
    if option is not None:
        return "" if option == FIXED else option
    return secrets.token_hex(16) if submission else ""


def seed_for(name: str, secret: str = "") -> int:
    """The seed of the test ``name`` (its id without device and implementation): a CRC of the
    id alone for the kit's own runs (the same in every process and run), a keyed hash of it
    with this grading's ``secret`` otherwise."""
    if not secret:
        return zlib.crc32(name.encode()) & 0x7FFFFFFF
    digest = hashlib.blake2b(name.encode(), key=secret.encode()[:64], digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


def seed_hypothesis(test: Any, name: str, secret: str) -> None:
    """Draw a hypothesis test's examples from this grading's secret (its profiles are
    derandomized: without a seed every grading draws the same examples). Nothing to do for
    the kit's own runs or a test that is not hypothesis's."""
    function = getattr(test, "__func__", test)
    if secret and getattr(function, "is_hypothesis_test", False):
        sys.modules["hypothesis"].seed(seed_for(name, secret))(function)

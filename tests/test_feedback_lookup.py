"""No answers from feedback: a submission that only looks answers up cannot collect them from the
messages of earlier gradings.

The attack (issue 49): ``mse_forward`` computes nothing; it looks its answer up in a table keyed
by a fingerprint of its inputs, and where the fingerprint is not in the table it returns the
fingerprint itself, so the failure message pairs the two ("expected 0.81..., got 4711"). After
each grading the student reads the messages, adds what they show to the table and submits
again; ``mse_backward`` returns zeros. Hidden inputs were seeded by the test's id alone, so they
came back on every grading, and a failed check printed the expected value to 6-17 digits: with
the messages of four earlier gradings the table earned 5 of the exercise's 10 points.

Now a grading draws its inputs from the course's secret and the code graded (``input_seed.py``,
issue 56): each resubmission is new code, so it draws new inputs, and over four gradings (ten in
the slow lane) the table never earns a point beyond the first grading's. The same attack on the
kit's fixed inputs (``--input-seed fixed``, what every grading drew before) is the control: it
earns points within a few gradings (measured: at its second grading, and by its third all it
ever gets over ten), so the replay would catch a return of fixed inputs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from descent.grading import input_seed

KIT = Path(__file__).resolve().parents[1]
SELECTION = "test_losses and mse"
# Gradings per replay: the control gains at its second and has all it ever gets by its third
# (1.4 then 4.3 points, the same up to the tenth), so four show both sides in the default lane;
# the slow lane replays the keyed inputs over ten.
ROUNDS = 4
SLOW_ROUNDS = 10
ATTACK = """import hashlib

import torch

TABLE = {table!r}


def _key(*tensors):
    digest = hashlib.sha256()
    for t in tensors:
        digest.update(t.detach().cpu().double().contiguous().numpy().tobytes())
    return int(digest.hexdigest()[:8], 16) % 999_983 + 1


def mse_forward(pred, target):
    key = _key(pred, target)
    value = TABLE.get(key, float(key))
    return torch.tensor(value, dtype=pred.dtype, device=pred.device), (pred,)


def mse_backward(dloss, cache):
    (pred,) = cache
    return torch.zeros_like(pred)
"""
_SHOWN = re.compile(r"expected (-?[\d.]+(?:e[-+]?\d+)?), got (-?[\d.]+(?:e[-+]?\d+)?)")


def _grade(folder: Path, results: Path, *seed: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "descent", "grade", str(folder), "-k", SELECTION,
         "--isolation", "none", "--insecure", "--test-processes", "1",
         "--results", str(results), *seed],
        cwd=KIT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert results.is_file(), proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(results.read_text())


def _replay(tmp_path: Path, rounds: int, *seed: str) -> tuple[list[float], set[str]]:
    """The attack over ``rounds`` gradings: the points of each, and the seeds recorded."""
    folder = tmp_path / "student"
    folder.mkdir()
    table: dict[int, float] = {}
    key_of: dict[str, int] = {}  # test -> the fingerprint its inputs had when last seen
    points, seeds = [], set()
    for round_ in range(rounds):
        (folder / "losses.py").write_text(ATTACK.format(table=table))
        doc = _grade(folder, tmp_path / f"results-{round_}.json", *seed)
        seeds.add(doc["environment"]["input_seed"])
        points.append(sum(t["points"] for t in doc["tests"]))
        for test in doc["tests"]:
            for expected, got in _SHOWN.findall(test.get("message") or ""):
                shown = float(got)
                if shown.is_integer() and 1 <= shown <= 999_983:  # a fingerprint, sent as is
                    key_of[test["nodeid"]] = int(shown)
                if test["nodeid"] in key_of:  # the table's entry, read again with more digits
                    table[key_of[test["nodeid"]]] = float(expected)
    return points, seeds


@pytest.mark.parametrize(
    "inputs,rounds",
    [
        pytest.param("keyed to the code", ROUNDS, id="keyed to the code"),
        pytest.param("fixed (the control)", ROUNDS, id="fixed (the control)"),
        pytest.param(
            "keyed to the code",
            SLOW_ROUNDS,
            id="keyed to the code, ten gradings",
            marks=pytest.mark.slow(
                reason="ten gradings of one submission (about 30 CPU-s); the default lane's "
                "four already outlast the control's gain"
            ),
        ),
    ],
)
def test_a_lookup_table_filled_from_feedback_gains_nothing(tmp_path, inputs, rounds):
    fixed = inputs.startswith("fixed")
    points, seeds = _replay(tmp_path, rounds, *(["--input-seed", "fixed"] if fixed else []))
    if fixed:
        assert seeds == {"fixed"}
        assert max(points) > points[0], points  # the attack works where inputs come back
    else:
        # keyed by the course's secret (one fingerprint), drawn anew for each version of the code
        assert len(seeds) == 1 and next(iter(seeds)).startswith(input_seed.COURSE), seeds
        assert max(points) <= points[0], points

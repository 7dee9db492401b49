"""A grading of several folders through workers stops each folder's worker once its last test has
run (``pytest_runtest_protocol`` of the grading plugin, ``plugin_workers.retire``): one worker
lives at a time instead of one per folder graded so far (up to the manager's cap of four), and
the grades are those of the same folders graded in-process, test by test, the diagnoses that the
ledgers settle at the end included."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import KIT, grade

from descent.isolation import confinement

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)

# Writes, as each test starts, how many workers the grading process has alive; and leaves the
# folders' items interleaved, as pytest 9.1's reordering by fixture scope did (9.2 groups them),
# so the run's own ordering is what is tested.
_PROBE = """
import os

import pytest

@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.name.split("[")[0])

def pytest_runtest_call(item):
    from descent.isolation import manager
    shared = manager._MANAGER
    server = shared._server if shared is not None else None
    alive = sum(w.alive for w in server.workers) if server is not None else 0
    with open(os.environ["DESCENT_LIVE_PROBE"], "a") as out:
        out.write(f"{alive} {item.callspec.params['impl'].name}\\n")
"""
# dana's clipping is wrong in ways the ledgers settle (named mistakes, a factor), the partial
# sample hands in no clipping, and a copy of the solutions passes (none of them is hostile: the
# same folders are graded in-process to compare)
SAMPLES = ["samples/class/dana", "samples/partial"]
SELECTED = ["graders/test_clipping.py", "-k", "clip_grad_norm"]


def _graded(tmp: Path, folders: list[str], *options: str, probe: Path | None = None) -> dict:
    env = None
    if probe is not None:
        env = {"PYTHONPATH": str(probe.parent), "DESCENT_LIVE_PROBE": str(tmp / "live.txt")}
    run = grade(
        tmp,
        SELECTED[:1],
        folders,
        *SELECTED[1:],
        "--input-seed=fixed",  # the same inputs in both gradings
        *options,
        *(["-p", probe.stem] if probe is not None else []),
        env=env,
    )
    assert run.code in (0, 1), run.output[-3000:]
    return run.results


def _by_test(doc: dict) -> dict:
    kept = ("outcome", "points", "message", "misconception", "diagnosis", "counted")
    return {t["nodeid"]: {k: t[k] for k in kept} for t in doc["tests"]}


def test_one_worker_lives_at_a_time_and_the_grades_do_not_change(tmp_path):
    probe = tmp_path / "probe" / "descent_live_probe.py"
    probe.parent.mkdir()
    probe.write_text(textwrap.dedent(_PROBE))
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("clipping.py",):
        shutil.copy(KIT / "solutions" / name, copy / name)
    folders = [*SAMPLES, str(copy)]
    (tmp_path / "worker").mkdir()
    (tmp_path / "none").mkdir()
    isolated = _graded(tmp_path / "worker", folders, probe=probe)
    seen = [line.split() for line in (tmp_path / "worker" / "live.txt").read_text().splitlines()]
    assert {name for _, name in seen} == {Path(f).name for f in folders}
    assert max(int(alive) for alive, _ in seen) == 1, seen  # before: one per folder so far
    assert isolated["environment"]["isolation"].startswith("worker")
    in_process = _graded(tmp_path / "none", folders, "--isolation=none", "--insecure")
    assert _by_test(isolated) == _by_test(in_process)
    diagnosed = [t for t in isolated["tests"] if t["diagnosis"]]
    assert diagnosed and any(t["misconception"] for t in diagnosed)  # settled, then retired
    points = [(i["name"], i["points"]) for i in isolated["implementations"]]
    assert points == [(i["name"], i["points"]) for i in in_process["implementations"]]

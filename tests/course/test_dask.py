"""``descent batch --scheduler``: the same batch on a real Dask cluster (two worker processes on
127.0.0.1), through the same grading path, into the same gradebook."""

from __future__ import annotations

import shutil

import pytest

from .conftest import KIT, LOSSES, run_batch
from .test_batch import per_test

distributed = pytest.importorskip(
    "distributed", reason="the cluster extra is not installed (pip install 'descent[cluster]')"
)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as local:
        yield local


def test_a_batch_on_a_dask_cluster_grades_like_a_local_one(tmp_path, reference_losses, cluster):
    # no seed given: both batches draw the inputs the course's secret keys to each submission's
    # code, so the same code gets the same messages on either
    shutil.copytree(KIT / "samples" / "partial", reference_losses / "bo")
    shutil.copytree(KIT / "samples" / "class" / "oscar", reference_losses / "oscar")
    remote = run_batch(
        reference_losses,
        tmp_path / "dask",
        "-k",
        LOSSES,
        "--scheduler",
        cluster.scheduler_address,
        timeout=300,
    )
    assert remote.code == 0, remote.output
    assert "on Dask cluster tcp://127.0.0.1" in remote.output and "2 workers" in remote.output
    local = run_batch(reference_losses, tmp_path / "local", "-k", LOSSES, "--jobs", "2")
    for student in ("ada", "bo", "oscar"):
        assert per_test(remote, student) == per_test(local, student), student
    hosts = remote.rows("SELECT DISTINCT host FROM submissions")
    assert len(hosts) == 1 and hosts[0][0]
    again = run_batch(
        reference_losses,
        tmp_path / "dask",
        "-k",
        LOSSES,
        "--scheduler",
        cluster.scheduler_address,
        timeout=300,
    )
    assert "3 submission(s) already graded" in again.output


def test_an_unreachable_scheduler_is_answered_clearly(tmp_path, reference_losses):
    result = run_batch(
        reference_losses, tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9", timeout=120
    )
    assert result.code == 2 and "cannot reach the Dask scheduler" in result.output
    assert "Traceback" not in result.output

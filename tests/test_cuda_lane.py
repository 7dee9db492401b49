"""The CUDA lane: the hidden graders on a GPU, in-process and through the confined worker.

On a machine without CUDA every test here skips and says why; on a GPU machine each must pass.
What they establish there:
- the reference solutions earn full marks with the CUDA tests counted, and every CUDA test has a
  CPU twin with the same outcome;
- every catalogued bug still loses points, every alternative keeps full marks and every hollow
  answer scores 0 when the device tests run on the GPU (``descent audit --device cuda``);
- the confined worker grades on the GPU exactly as the grader's own process does (tensors cross
  as bytes and are rebuilt on their device);
- a submission that builds a tensor on the CPU passes on the CPU, fails on the GPU, and the
  feedback says why.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
import torch
from conftest import KIT, grade

from descent.registry import MODULES

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="CUDA is not available on this machine"
)

# A realistic placement mistake: the zero branch built with torch.zeros(shape) lands on the CPU.
CPU_ZEROS = ("torch.zeros_like(p))", "torch.zeros(p.shape, dtype=p.dtype))")


def _twin(nodeid: str) -> str:
    return re.sub(r"\bcuda\b", "cpu", nodeid)


def _cuda_tests(run) -> list[dict]:
    return [t for t in run.results["tests"] if t["device"] == "cuda"]


def test_solutions_full_marks_with_cuda_tests_counted(tmp_path):
    run = grade(tmp_path, ["graders"], ["solutions"], "--device=all")
    cuda = _cuda_tests(run)
    assert cuda, "no test ran on the GPU"
    failed = [t["nodeid"] for t in cuda if not (t["counted"] and t["outcome"] == "passed")]
    assert not failed, failed[:20]
    cpu = {t["nodeid"]: t["outcome"] for t in run.results["tests"] if t["device"] == "cpu"}
    assert all(cpu.get(_twin(t["nodeid"])) == "passed" for t in cuda)
    block = run.block("solutions")
    assert block["points"] == block["max_points"] > 0


# One module per test, so that `./dev cuda` (pytest-xdist) audits them side by side: on a GPU
# each test of a grader is a kernel launch per operation, and the whole catalogue graded in one
# process took longer than a lent GPU machine is held (optim alone ran past 470 s on an H200).
@pytest.mark.parametrize("module", MODULES)
def test_audit_holds_on_cuda(tmp_path, module):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "descent",
            "audit",
            "--device=cuda",
            f"--module={module}",
            f"--results={tmp_path / 'audit.json'}",
        ],
        cwd=KIT,
        text=True,
        capture_output=True,
        timeout=3000,
        env={**os.environ, "COLUMNS": "200"},
    )
    tail = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    assert re.search(r"\b0 problems\b", proc.stdout), tail


def _key(run) -> dict:
    return {
        (t["implementation"], t["name"]): (t["outcome"], t["points"], t["misconception"])
        for t in run.results["tests"]
        if t["device"] == "cuda"
    }


# One suite per test, for the same reason as the audit's modules.
@pytest.mark.parametrize("module", ["losses", "activations", "normalization", "clipping"])
def test_worker_grades_the_catalogue_on_cuda_like_in_process(tmp_path, module):
    impls = ["bug:*", "alternative:*", "hollow:*"]
    suites = [f"graders/test_{module}.py"]
    local = grade(tmp_path / "in-process", suites, impls, "--device=cuda", "--no-grade-summary")
    worker = grade(
        tmp_path / "worker",
        suites,
        impls,
        "--device=cuda",
        "--no-grade-summary",
        "--isolation=worker",
    )
    assert worker.results["environment"]["isolation"] == "worker"
    a, b = _key(local), _key(worker)
    assert len(a) > 50 and set(a) == set(b)
    differ = [f"{k}: in-process {a[k]} / worker {b[k]}" for k in sorted(a) if a[k] != b[k]]
    assert not differ, "\n".join(differ[:40])


def test_submission_graded_on_the_gpu_through_the_worker(tmp_path):
    sub = tmp_path / "submission"
    shutil.copytree(KIT / "solutions", sub, ignore=shutil.ignore_patterns("__pycache__"))
    # Three topics keep this within minutes on a GPU: each CUDA test there is a kernel launch
    # per operation on tiny tensors, and every worker starts its own CUDA context.
    run = grade(
        tmp_path,
        ["graders/test_losses.py", "graders/test_layers.py", "graders/test_optim.py"],
        [str(sub)],
        "--device=all",
    )
    assert run.results["environment"]["isolation"] == "worker"
    cuda = _cuda_tests(run)
    assert cuda and all(t["counted"] and t["outcome"] == "passed" for t in cuda)
    block = run.block("submission")
    assert block["points"] == block["max_points"] > 0


def test_tensor_built_on_the_cpu_fails_only_on_the_gpu(tmp_path):
    sub = tmp_path / "submission"
    sub.mkdir()
    source = (KIT / "solutions" / "losses.py").read_text()
    assert CPU_ZEROS[0] in source
    (sub / "losses.py").write_text(source.replace(*CPU_ZEROS))
    run = grade(tmp_path, ["graders/test_losses.py", "-k", "kl_div"], [str(sub)], "--device=all")
    tests = [t for t in run.results["tests"] if t["exercise"] == "losses.kl_div" and t["device"]]
    on = {dev: [t for t in tests if t["device"] == dev] for dev in ("cpu", "cuda")}
    assert on["cpu"] and all(t["outcome"] == "passed" for t in on["cpu"])
    lost = [t for t in on["cuda"] if t["counted"] and t["outcome"] != "passed"]
    assert lost, "a CPU-built tensor went unnoticed on the GPU"
    assert any("device" in t["message"] for t in lost), [t["message"] for t in lost]


# Bugs whose readings once mixed a GPU result with a mask or a ramp built on the CPU: the
# reading raised, and its diagnosis was lost on the GPU alone (the audit's label check, H200,
# 2026-11-30: an exp that overflows, weights drawn uniformly).
READ_ALIKE = {
    "activations": "bug:sigmoid_exp_over_1p_exp",
    "data": "bug:mixup_uniform_weights",
}


@pytest.mark.parametrize("module", sorted(READ_ALIKE))
def test_a_bug_is_diagnosed_alike_on_both_devices(tmp_path, module):
    suites = [f"graders/test_{module}.py"]
    run = grade(tmp_path, suites, [READ_ALIKE[module]], "--device=all", "--no-grade-summary")
    lost = {
        t["nodeid"]: t.get("diagnosis")
        for t in run.results["tests"]
        if t["counted"] and t["outcome"] != "passed"
    }
    on_gpu = {k: v for k, v in lost.items() if "[cuda-" in k}
    assert on_gpu and any(on_gpu.values()), on_gpu
    differ = [f"{k}: {v} on the GPU, {lost.get(_twin(k))} on the CPU" for k, v in on_gpu.items()]
    assert all(lost.get(_twin(k)) == v for k, v in on_gpu.items()), "\n".join(differ)

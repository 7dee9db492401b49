"""Section 1 of ``benchmarks/run.py``: one small assignment graded by Descent, nbgrader and otter.

The assignment: cross-entropy forward and backward and one Adam step. Seven checks, the same in
every tool (:data:`CHECKS`): the loss, the gradient, a scaled upstream gradient and large logits
against PyTorch, Adam's first and second steps against ``torch.optim.Adam``, and a gradient check
by central differences. Every submission is the kit's reference code for those functions.

* Descent: the checks as a test folder, graded with the kit's plugin through confined workers
  (``--isolation worker``), every submission in one pytest run (as ``descent grade DIR...``).
* nbgrader: a source notebook with the solution in a solution cell and one hidden test cell per
  check; ``generate_assignment``, then ``autograde`` of every student in one command.
* otter-grader: an otter assignment (exception-style test files, every case hidden) made into an
  autograder archive by ``otter generate`` and run on each notebook with ``otter run``: the way
  otter grades without a container (Docker is detected and said; a container run needs an image
  build that this runner does not attempt).

Each peer runs from its own virtual environment under ``.bench-venvs/`` (git-ignored, kept between
runs), installed from the package index on first use: the pinned torch first, then the tool.
"""

from __future__ import annotations

import ast
import fcntl
import json
import shutil
import sqlite3
import subprocess
import textwrap
from pathlib import Path

from timing import KIT, PYTHON, Failed, copy_solutions, kit_env, timed

VENVS = KIT / ".bench-venvs"
PEERS = {"nbgrader": "nbgrader==0.9.6", "otter": "otter-grader==6.1.6"}
TORCH = "torch==2.13.0"

CHECKS = """
import math
import torch
import torch.nn.functional as F


def _logits(seed, n=64, c=10, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, c, generator=g, dtype=torch.float64) * scale,
            torch.randint(0, c, (n,), generator=g))


def _torch_grad(z, t):
    z = z.clone().requires_grad_()
    F.cross_entropy(z, t).backward()
    return z.grad


def check_ce_forward(ce_f, ce_b, adam):
    z, t = _logits(1)
    assert torch.allclose(ce_f(z, t)[0], F.cross_entropy(z, t), rtol=1e-10, atol=1e-12)


def check_ce_backward(ce_f, ce_b, adam):
    z, t = _logits(2)
    assert torch.allclose(ce_b(torch.tensor(1.0, dtype=z.dtype), ce_f(z, t)[1]),
                          _torch_grad(z, t), rtol=1e-8, atol=1e-12)


def check_ce_upstream(ce_f, ce_b, adam):
    z, t = _logits(3)
    assert torch.allclose(ce_b(torch.tensor(2.5, dtype=z.dtype), ce_f(z, t)[1]),
                          2.5 * _torch_grad(z, t), rtol=1e-8, atol=1e-12)


def check_ce_large_logits(ce_f, ce_b, adam):
    z, t = _logits(4, scale=1e4)
    loss = ce_f(z, t)[0]
    assert torch.isfinite(loss) and torch.allclose(loss, F.cross_entropy(z, t), rtol=1e-8)


def _adam_pair(steps):
    g = torch.Generator().manual_seed(5)
    p = torch.randn(20, 7, generator=g, dtype=torch.float64)
    grads = [torch.randn(20, 7, generator=g, dtype=torch.float64) for _ in range(steps)]
    ref = torch.nn.Parameter(p.clone())
    opt = torch.optim.Adam([ref], lr=0.01, betas=(0.8, 0.95), eps=1e-6)
    for grad in grads:
        ref.grad = grad.clone()
        opt.step()
    return p, grads, ref.detach()


def _adam_run(adam, p, grads):
    state = {}
    for grad in grads:
        p, state = adam(p, grad, state, lr=0.01, betas=(0.8, 0.95), eps=1e-6)
    return p


def check_adam_first_step(ce_f, ce_b, adam):
    p, grads, want = _adam_pair(1)
    assert torch.allclose(_adam_run(adam, p, grads), want, rtol=1e-10, atol=1e-12)


def check_adam_second_step(ce_f, ce_b, adam):
    p, grads, want = _adam_pair(2)
    assert torch.allclose(_adam_run(adam, p, grads), want, rtol=1e-10, atol=1e-12)


def check_ce_gradient(ce_f, ce_b, adam):
    z, t = _logits(6, n=5, c=4)
    grad = ce_b(torch.tensor(1.0, dtype=z.dtype), ce_f(z, t)[1])
    h = 1e-6
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            up, down = z.clone(), z.clone()
            up[i, j] += h
            down[i, j] -= h
            numeric = (ce_f(up, t)[0] - ce_f(down, t)[0]) / (2 * h)
            assert abs(float(numeric) - float(grad[i, j])) < 1e-6
"""

NAMES = [
    "ce_forward",
    "ce_backward",
    "ce_upstream",
    "ce_large_logits",
    "adam_first_step",
    "adam_second_step",
    "ce_gradient",
]
FUNCTIONS = {
    "losses": ["_log_softmax", "cross_entropy_forward", "cross_entropy_backward"],
    "optim": ["_adam_update", "adam_step"],
}


def solution_source() -> str:
    """The reference code of the assignment's functions (and their helpers), as one cell."""
    parts = ["import math\nimport torch\n"]
    for module, names in FUNCTIONS.items():
        text = (KIT / "solutions" / f"{module}.py").read_text()
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef) and node.name in names:
                parts.append(ast.get_source_segment(text, node))
    return "\n\n".join(parts).replace("# BEGIN SOLUTION", "").replace("# END SOLUTION", "")


def docker_state() -> str:
    if not shutil.which("docker"):
        return "no docker command"
    try:
        ok = subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return "a docker daemon answers" if ok else "docker is installed but no daemon answers"


def peer_venv(name: str, log) -> Path:
    """The peer's own virtual environment (made and installed on first use); its bin folder."""
    venv = VENVS / name
    stamp = venv / f".installed-{PEERS[name]}"
    VENVS.mkdir(exist_ok=True)
    with open(VENVS / f"{name}.lock", "w") as lock:  # two runs never install into one venv
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            _install(venv, name, log)
    return venv / "bin"


def _install(venv: Path, name: str, log) -> None:
    log(f"  installing {PEERS[name]} and {TORCH} into {venv.relative_to(KIT)} (once) ...")
    shutil.rmtree(venv, ignore_errors=True)
    timed([PYTHON, "-m", "venv", str(venv)], timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    timed([*pip, TORCH], timeout=1800)  # the pinned torch first, never the resolver's
    timed([*pip, PEERS[name], "ipykernel", "numpy", TORCH], timeout=1800)
    (venv / f".installed-{PEERS[name]}").touch()


# --- Descent -------------------------------------------------------------------------------


def _descent_tests() -> str:
    calls = "\n\n".join(
        f"def test_{n}(impl):\n    checks.check_{n}(impl.losses.cross_entropy_forward, "
        f"impl.losses.cross_entropy_backward, impl.optim.adam_step)"
        for n in NAMES
    )
    return f"import checks\n\n\n{calls}\n"


def descent(tmp: Path, count: int) -> dict:
    root = tmp / "descent"
    tests = root / "tests"
    tests.mkdir(parents=True)
    (tests / "checks.py").write_text(CHECKS)
    (tests / "test_small.py").write_text(_descent_tests())
    subs = [
        copy_solutions(root / "subs" / f"s{i:03d}", f"s{i:03d}", list(FUNCTIONS))
        for i in range(count)
    ]
    run = timed(
        [
            PYTHON,
            "-m",
            "pytest",
            str(tests),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tests),
            "--no-grade-summary",
            "--isolation=worker",
            *[f"--impl={s}" for s in subs],
        ],
        env=kit_env(),
        ok=(0, 1),
    )
    passed = _count(run.stdout, "passed")
    if passed != len(NAMES) * count:
        raise Failed(f"{passed} of {len(NAMES) * count} checks passed:\n{run.tail()}")
    return {"wall_s": run.wall_s, "cpu_s": run.cpu_s, "checks_passed": passed}


def _count(summary: str, word: str) -> int:
    for line in reversed(summary.splitlines()):
        if word in line:
            for part in line.replace(",", " ").split(" in ")[0].split("  "):
                bits = part.split()
                for a, b in zip(bits, bits[1:]):
                    if b == word and a.isdigit():
                        return int(a)
    return 0


# --- notebooks ------------------------------------------------------------------------------


def _notebook(cells: list[tuple[str, str, dict]]) -> dict:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": [
            {
                "cell_type": kind,
                "id": f"cell{i}",
                "metadata": meta,
                "source": source,
                **({"outputs": [], "execution_count": None} if kind == "code" else {}),
            }
            for i, (kind, source, meta) in enumerate(cells)
        ],
    }


def _nbgrader_meta(grade_id: str, *, solution=False, grade=False, points=0) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def nbgrader_notebook() -> dict:
    solution = "### BEGIN SOLUTION\n" + solution_source() + "\n### END SOLUTION\n"
    cells = [
        ("markdown", "Cross-entropy and Adam.", {}),
        ("code", solution, _nbgrader_meta("solution", solution=True)),
    ]
    for i, name in enumerate(NAMES):
        setup = CHECKS if i == 0 else ""
        body = (
            f"### BEGIN HIDDEN TESTS\n{setup}\ncheck_{name}(cross_entropy_forward, "
            f"cross_entropy_backward, adam_step)\n### END HIDDEN TESTS\n"
        )
        cells.append(("code", body, _nbgrader_meta(f"test_{name}", grade=True, points=1)))
    return _notebook(cells)


def nbgrader(tmp: Path, count: int, bin_dir: Path) -> dict:
    root = tmp / "nbgrader"
    (root / "source" / "ps1").mkdir(parents=True)
    (root / "source" / "ps1" / "ps1.ipynb").write_text(json.dumps(nbgrader_notebook()))
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
        f"c.Exchange.root = {str(root / 'exchange')!r}\n"
    )
    env = kit_env(bin_dir)
    timed([str(bin_dir / "nbgrader"), "generate_assignment", "ps1", "--create"], cwd=root, env=env)
    for i in range(count):
        folder = root / "submitted" / f"s{i:03d}" / "ps1"
        folder.mkdir(parents=True)
        shutil.copy(root / "source" / "ps1" / "ps1.ipynb", folder)
    run = timed([str(bin_dir / "nbgrader"), "autograde", "ps1"], cwd=root, env=env)
    db = sqlite3.connect(root / "gradebook.db")
    passed = int(db.execute("SELECT COALESCE(SUM(auto_score), 0) FROM grade").fetchone()[0])
    db.close()
    if passed != len(NAMES) * count:
        raise Failed(f"{passed} of {len(NAMES) * count} checks passed:\n{run.tail()}")
    return {"wall_s": run.wall_s, "cpu_s": run.cpu_s, "checks_passed": passed}


def otter_tests() -> dict[str, str]:
    files = {}
    for name in NAMES:
        files[f"{name}.py"] = textwrap.dedent(f'''\
            from otter.test_files import test_case

            OK_FORMAT = False

            name = "{name}"
            points = 1

            CHECKS = {CHECKS!r}


            @test_case(points=1, hidden=True)
            def test_{name}(env):
                space = {{}}
                exec(CHECKS, space)
                space["check_{name}"](env["cross_entropy_forward"],
                                      env["cross_entropy_backward"], env["adam_step"])
            ''')
    return files


def otter(tmp: Path, count: int, bin_dir: Path) -> dict:
    root = tmp / "otter"
    tests = root / "tests"
    tests.mkdir(parents=True)
    for fname, text in otter_tests().items():
        (tests / fname).write_text(text)
    nb = _notebook([("markdown", "Cross-entropy and Adam.", {}), ("code", solution_source(), {})])
    env = kit_env(bin_dir)
    archive = root / "autograder.zip"
    timed(
        [str(bin_dir / "otter"), "generate", "-t", str(tests), "-o", str(archive)],
        cwd=root,
        env=env,
    )
    subs = []
    for i in range(count):
        path = root / "subs" / f"s{i:03d}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(nb))
        subs.append(path)
    wall = cpu = 0.0
    passed = 0
    for i, sub in enumerate(subs):
        out = root / "out" / f"s{i:03d}"
        out.mkdir(parents=True)
        run = timed(
            [str(bin_dir / "otter"), "run", "-a", str(archive), "-o", str(out), str(sub)],
            cwd=root,
            env=env,
        )
        wall, cpu = wall + run.wall_s, cpu + run.cpu_s
        passed += _otter_passed(out / "results.json", run)
    if passed != len(NAMES) * count:
        raise Failed(f"{passed} of {len(NAMES) * count} checks passed")
    return {"wall_s": wall, "cpu_s": cpu, "checks_passed": passed}


def _otter_passed(path: Path, run) -> int:
    """Points in otter's results (the Gradescope format: one entry per test file, with a score;
    the summary entry of the public tests has none)."""
    if not path.exists():
        raise Failed(f"otter run wrote no results.json:\n{run.tail()}")
    tests = json.loads(path.read_text()).get("tests", [])
    return int(round(sum(t.get("score", 0) for t in tests)))


def _quick_bin(peer: str) -> Path:
    """--quick installs nothing: the peer's own environment when made already, else the kit's
    when it has the tool (nbgrader comes with the labs extra)."""
    own = VENVS / peer / "bin"
    if (VENVS / peer / f".installed-{PEERS[peer]}").exists():
        return own
    if (Path(PYTHON).parent / peer).exists():
        return Path(PYTHON).parent
    raise Failed(
        f"--quick installs nothing, and {peer} is in neither .bench-venvs/{peer} "
        f"nor this environment (the full mode installs it)"
    )


def run(tmp: Path, count: int, quick: bool, log) -> dict:
    """Each peer's row (per-submission wall and CPU, or why it could not run)."""
    rows, notes = [], [f"Docker: {docker_state()}; otter runs without a container."]
    jobs = [("Descent (confined workers)", lambda: descent(tmp, count))]
    for name, peer, fn in (
        ("nbgrader autograde", "nbgrader", nbgrader),
        ("otter-grader (otter run)", "otter", otter),
    ):

        def job(fn=fn, peer=peer):
            bin_dir = _quick_bin(peer) if quick else peer_venv(peer, log)
            where = bin_dir.parent.relative_to(KIT) if bin_dir.is_relative_to(KIT) else bin_dir
            return {**fn(tmp, count, bin_dir), "environment": str(where)}

        jobs.append((name, job))
    for name, job in jobs:
        log(f"  peers: {name}, {count} submissions ...")
        try:
            got = job()
        except Exception as exc:  # noqa: BLE001 - a peer that cannot run is reported, never fatal
            why = str(exc) if isinstance(exc, Failed) else f"{type(exc).__name__}: {exc}"
            rows.append({"tool": name, "submissions": count, "error": why[:800]})
            continue
        rows.append(
            {
                "tool": name,
                "submissions": count,
                **got,
                "wall_per_submission_s": got["wall_s"] / count,
                "cpu_per_submission_s": got["cpu_s"] / count,
            }
        )
    base = next((r for r in rows if r["tool"].startswith("nbgrader") and "wall_s" in r), None)
    for r in rows:
        if base and "wall_s" in r:
            r["ratio_to_nbgrader"] = r["wall_per_submission_s"] / base["wall_per_submission_s"]
    return {"rows": rows, "notes": notes}

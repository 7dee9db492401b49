"""How long ``nbgrader autograde`` takes per student with the course's config, for two kits.

    .venv/bin/python benchmarks/labs_autograde.py KIT [KIT ...] [--students N] [--rounds R]

For each kit folder (a checkout of this repository, for example the current one and a
``git worktree`` of an older commit), a fresh course is made from its ``labs/`` (source
notebooks, keys, graders and config), N students each submit the source notebook of quiz 1 and
of lab 1 (every answer right, so every check runs), and ``nbgrader autograde`` is timed per
assignment with that kit's ``src/`` first on ``PYTHONPATH``. Rounds alternate between the kits
(interleaved, so a change of load on a shared machine hits both alike). Printed: the seconds per
student of each assignment and kit (median over rounds), and each kit's ratio to the first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ASSIGNMENTS = ("quiz1_loss", "lab1_loss_consultant")
BIN = Path(sys.executable).parent


def course(kit: Path, root: Path, students: int) -> dict[str, str]:
    for name in ("source", "keys", "graders"):
        if (kit / "labs" / name).is_dir():
            shutil.copytree(kit / "labs" / name, root / name)
    shutil.copy(kit / "labs" / "nbgrader_config.py", root)
    env = dict(
        os.environ,
        PYTHONPATH=str(kit / "src"),
        DESCENT_LABS_KEYS=str(root / "keys"),
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
        TMPDIR=str(root),
    )
    env.pop("DESCENT_EXCHANGE", None)
    for assignment in ASSIGNMENTS:
        run(["nbgrader", "generate_assignment", assignment, "--create"], root, env)
        for i in range(students):
            folder = root / "submitted" / f"student{i}" / assignment
            folder.mkdir(parents=True)
            shutil.copy(root / "source" / assignment / f"{assignment}.ipynb", folder)
    return env


def run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=cwd, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{done.stderr[-3000:]}")


def once(kit: Path, students: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="descent-labs-bench-") as tmp:
        root = Path(tmp)
        env = course(kit, root, students)
        seconds = {}
        for assignment in ASSIGNMENTS:
            start = time.perf_counter()
            run(["nbgrader", "autograde", assignment], root, env)
            seconds[assignment] = (time.perf_counter() - start) / students
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kits", nargs="+", type=Path)
    parser.add_argument("--students", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    kits = [k.resolve() for k in args.kits]
    times: dict[Path, list[dict[str, float]]] = {k: [] for k in kits}
    for _ in range(args.rounds):
        for kit in kits:
            times[kit].append(once(kit, args.students))
    print(f"{args.students} students, {args.rounds} round(s), seconds per student (median)")
    base = None
    for kit in kits:
        medians = {a: statistics.median(r[a] for r in times[kit]) for a in ASSIGNMENTS}
        base = base or medians
        cells = "  ".join(
            f"{a} {medians[a]:6.2f} s ({medians[a] / base[a]:.2f}x)" for a in ASSIGNMENTS
        )
        print(f"{kit}: {cells}")


if __name__ == "__main__":
    main()

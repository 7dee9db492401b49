"""Timing helpers shared by the benchmark runner's sections: one timed command, submissions made
from the solutions.

A command's CPU time is the user + system time of its finished children (``RUSAGE_CHILDREN``),
so it counts the grading process and every worker it waited for.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(PYTHON).parent


class Failed(RuntimeError):
    """A measured command did not do its work (the runner says so and goes on)."""


@dataclass
class Timed:
    wall_s: float
    cpu_s: float
    returncode: int
    stdout: str
    stderr: str

    def tail(self, n: int = 1500) -> str:
        return (self.stdout + self.stderr)[-n:]


def timed(
    command: list[str],
    cwd: Path = KIT,
    env: dict | None = None,
    ok: tuple[int, ...] = (0,),
    timeout: float | None = None,
) -> Timed:
    """Run ``command`` to its end; its wall and CPU seconds. Raises :class:`Failed` when its exit
    code is not in ``ok``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise Failed(f"{' '.join(map(str, command[:4]))} ... ran past {timeout:.0f} s") from exc
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out = Timed(wall, cpu, proc.returncode, proc.stdout, proc.stderr)
    if proc.returncode not in ok:
        raise Failed(f"{' '.join(map(str, command[:6]))} exited {proc.returncode}:\n{out.tail()}")
    return out


def kit_env(bin_dir: Path = BIN) -> dict[str, str]:
    """The environment for a command from the venv of ``bin_dir`` (the kit's by default): that
    venv first on PATH, no PYTHONPATH, temporary files under the system's."""
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def copy_solutions(dest: Path, tag: str, modules: list[str] | None = None) -> Path:
    """A submission folder that computes like the reference: the solutions' modules, each with a
    comment of its own (so no two submissions are byte for byte the same, as in a real class)."""
    dest.mkdir(parents=True, exist_ok=True)
    for source in sorted((KIT / "solutions").glob("*.py")):
        if source.name == "__init__.py" or (modules and source.stem not in modules):
            continue
        (dest / source.name).write_text(f"# submission {tag}\n{source.read_text()}")
    return dest


def class_folder(root: Path, count: int, prefix: str = "student") -> list[Path]:
    """``count`` submissions copied from the solutions under ``root`` (made afresh)."""
    shutil.rmtree(root, ignore_errors=True)
    return [copy_solutions(root / f"{prefix}{i:03d}", f"{prefix}{i:03d}") for i in range(count)]

"""Where the kit is, and running one of its test folders with pytest in this process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import DescentError


def kit_root() -> Path:
    """The kit's top folder: the one holding graders/ and solutions/."""
    return _root(
        ("graders", "solutions"), "the kit's folder (the one with graders/ and solutions/)"
    )


def student_root() -> Path:
    """The folder a student works in: the kit, or a student bundle (exercises/ and starter/)."""
    return _root(
        ("exercises", "starter"), "your exercises folder (the one with exercises/ and starter/)"
    )


def _root(folders: tuple[str, ...], what: str) -> Path:
    here = Path(__file__).resolve().parents[2]
    for candidate in (Path.cwd(), here):
        if all((candidate / folder).is_dir() for folder in folders):
            return candidate
    raise DescentError(f"run this from {what}")


# A run loads only the plugins grading needs, by name. Left to autoload, pytest would load every
# plugin installed beside it (anyio's, xdist's, one that reseeds random numbers or reorders
# tests) and mark each one's whole package for assertion rewriting: where bytecode is not written
# (PYTHONDONTWRITEBYTECODE, as in many containers) it parsed and rewrote about 150 modules of
# descent, hypothesis, anyio and xdist from source in every run, about 2 CPU-seconds, though none
# of their asserts is a test's. Named with -p, only the plugin module itself is marked.
PLUGINS = ("--disable-plugin-autoload", "-p", "descent.grading.plugin", "-p", "hypothesispytest")


def run_pytest(suite: str | list[str], impls: list[str], **options: Any) -> int:
    """Run one test folder or file of the kit (or of ``root``), or a list of them, against
    ``impls`` in this process; returns pytest's code. ``options``: those of
    :func:`pytest_args` (``device``, ``results``, ``extra``, ``quiet``, ``root``)."""
    # start-up: the command line loads this module; pytest only when a run starts
    import pytest

    return int(pytest.main(pytest_args(suite, impls, **options)))


def pytest_args(
    suite: str | list[str],
    impls: list[str],
    *,
    device: str = "cpu",
    results: Path | None = None,
    extra: list[str] | None = None,
    quiet: bool = True,
    root: Path | None = None,
) -> list[str]:
    """The arguments of :func:`run_pytest`'s run, for a ``python -m pytest`` of its own."""
    root = root or kit_root()
    suites = [suite] if isinstance(suite, str) else suite
    # No test of the kit reads its logs, and pytest's log capture costs a few milliseconds per
    # test: it attaches a handler to every non-propagating logger (torch makes dozens) in each
    # of a test's three phases, about a tenth of a submission's grading time.
    args = [
        *(str(root / s) for s in suites),
        f"--rootdir={root}",
        *PLUGINS,
        "-p",
        "no:cacheprovider",
        "-p",
        "no:logging",
        f"--device={device}",
    ]
    for spec in impls:
        args.append(f"--impl={spec}")
    if results is not None:
        args.append(f"--results={results}")
    if quiet:
        args += ["-q", "--no-header", "--tb=no", "-rN", "--no-grade-summary", "-p", "no:warnings"]
    return args + list(extra or [])

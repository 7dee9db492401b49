"""The grading options shared by ``descent grade``, ``descent batch`` and pytest, declared once.

Each option is one :class:`Option`; :func:`add_to_pytest` and :func:`add_to_argparse` turn the
declarations into flags (pytest's ``addoption`` and argparse take the same keywords), and
:func:`pytest_args` passes what a command was given on to the pytest run it starts.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from .calls import timelimit

AUTO, WORKER, NONE = "auto", "worker", "none"

# A grader author's switch, never set in a grading run: what a run shows (failure messages, the
# terminal table) leaves the catalogue's names out and gives the generic diagnoses instead, to
# read what a bug no catalogue knows would be told (docs/explanation/measuring-feedback.md).
GENERIC_ONLY = "DESCENT_GENERIC_ONLY"


def generic_only() -> bool:
    """Whether :data:`GENERIC_ONLY` is set to 1 in the environment."""
    return os.environ.get(GENERIC_ONLY) == "1"


def seconds(text: str) -> float:
    """An option's type (argparse and pytest): a positive, finite number of seconds. A zero or
    negative limit would time every grading out at once."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} seconds: give a positive number of seconds")
    return value


def jobs(text: str) -> int:
    """``--jobs``: 1 or more gradings at a time (0: one per available CPU)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value}: give 1 or more (0: one per CPU)")
    return value


_SCHEDULER = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss)://)?\[?[\w.:-]+\]?:\d{1,5}$")


def scheduler(text: str) -> str:
    """``--scheduler``: a Dask scheduler address, ``tcp://HOST:PORT`` (or ``HOST:PORT``)."""
    if not _SCHEDULER.match(text) or not 0 < int(text.rsplit(":", 1)[1]) < 65536:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Dask scheduler address; give tcp://HOST:PORT"
        )
    return text


def selection(text: str) -> str:
    """``-k``: a pytest selection expression, checked before any grading starts (a typo would
    otherwise fail every student's grading)."""
    try:
        # start-up: the command line loads this module; pytest's parser only for -k
        from _pytest.mark.expression import Expression
    except ImportError:  # pytest moved it: pytest itself reports the error later
        return text
    if text.strip():
        try:
            Expression.compile(text)
        except SyntaxError as exc:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a pytest -k expression: {exc.msg}"
            ) from None
    return text


@dataclass(frozen=True)
class Option:
    flag: str
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


ISOLATION = (
    Option(
        "--isolation",
        dict(
            default=AUTO,
            choices=[AUTO, WORKER, NONE],
            help="where implementation code runs: auto (default: submissions in a confined worker, "
            "the kit's own folders in-process), worker, none; see docs/how-to/confined-grading.md",
        ),
    ),
    Option(
        "--insecure",
        dict(
            action="store_true",
            help="allow grading a submission without confinement (unconfined worker, or in-process "
            "with --isolation none); only for code you trust",
        ),
    ),
    Option(
        "--call-timeout",
        dict(
            type=seconds,
            default=timelimit.CALL_TIMEOUT_S,
            metavar="S",
            help=f"wall-clock limit in seconds for one call into submission code, in a worker or "
            f"in-process (default {timelimit.CALL_TIMEOUT_S:g}; a batch of calls gets "
            f"{timelimit.BATCH_FACTOR}x)",
        ),
    ),
    Option(
        "--worker-cpu",
        dict(
            default="same",
            choices=["same", "any"],
            help="same (default): pin the grading process and its workers to one CPU, so a call "
            "into a worker needs no cross-CPU wake-up; any: no pinning",
        ),
    ),
    Option(
        "--test-processes",
        dict(
            default=AUTO,
            choices=[AUTO, "1", "2"],
            help="processes that share one grading's tests: auto (default: 2 when one submission "
            "is graded through a worker and this process may use two CPUs, else 1), 1 or 2; "
            "always 1 when CUDA tests run on a GPU (CUDA does not survive a fork); the results "
            "are the same either way (docs/explanation/isolation/two-processes.md)",
        ),
    ),
    Option(
        "--input-seed",
        dict(
            default=None,
            metavar="SEED",
            help="draw the hidden tests' inputs from SEED (any text) whatever the code, to "
            "compare implementations value for value; by default they are keyed to the code "
            "graded by the course's secret (.descent/input-secret or $DESCENT_INPUT_SECRET): "
            "the same code draws the same inputs every time, changed code new ones; fixed: the "
            "kit's own per-test seeds",
        ),
    ),
    Option(
        "--unprivileged-workers",
        dict(
            action="store_true",
            help="even as root, confine workers only as a user without root can: no cgroup or "
            "dedicated uid (to check that mode on a root machine)",
        ),
    ),
)
BY_FLAG = {o.flag: o for o in ISOLATION}


def add_to_pytest(group) -> None:
    for option in ISOLATION:
        group.addoption(option.flag, **option.spec)


def add_to_argparse(parser, flags: tuple[str, ...] | None = None) -> None:
    """Add the isolation options (or those named in ``flags``) to an argparse parser."""
    for option in ISOLATION:
        if flags is None or option.flag in flags:
            parser.add_argument(option.flag, **option.spec)


def pytest_args(namespace) -> list[str]:
    """The pytest flags that carry the isolation options a command was given."""
    args = []
    for option in ISOLATION:
        value = getattr(namespace, option.dest, None)
        if value is None or value is False:
            continue
        args.append(option.flag if value is True else f"{option.flag}={value}")
    return args

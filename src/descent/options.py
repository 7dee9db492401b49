"""The grading options shared by ``descent grade``, ``descent batch`` and pytest, declared once.

Each option is one :class:`Option`; :func:`add_to_pytest` and :func:`add_to_argparse` turn the
declarations into flags (pytest's ``addoption`` and argparse take the same keywords), and
:func:`pytest_args` passes what a command was given on to the pytest run it starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import timelimit

AUTO, WORKER, NONE = "auto", "worker", "none"


@dataclass(frozen=True)
class Option:
    flag: str
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


ISOLATION = (
    Option("--isolation", dict(
        default=AUTO, choices=[AUTO, WORKER, NONE],
        help="where implementation code runs: auto (default: submissions in a confined worker, "
             "the kit's own folders in-process), worker, none; see docs/isolation.md")),
    Option("--insecure", dict(
        action="store_true",
        help="allow grading a submission without confinement (unconfined worker, or in-process "
             "with --isolation none); only for code you trust")),
    Option("--call-timeout", dict(
        type=float, default=timelimit.CALL_TIMEOUT_S, metavar="S",
        help=f"wall-clock limit in seconds for one call into submission code, in a worker or "
             f"in-process (default {timelimit.CALL_TIMEOUT_S:g}; a batch of calls gets "
             f"{timelimit.BATCH_FACTOR}x)")),
    Option("--worker-cpu", dict(
        default="same", choices=["same", "any"],
        help="same (default): pin the grading process and its workers to one CPU, so a call "
             "into a worker needs no cross-CPU wake-up; any: no pinning")),
    Option("--unprivileged-workers", dict(
        action="store_true",
        help="even as root, confine workers only as a user without root can: no cgroup or "
             "dedicated uid (to check that mode on a root machine)")),
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

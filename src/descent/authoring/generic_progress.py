"""The guard's progress while its gradings run (:mod:`.generic_jobs`): one line on stderr per
module when its grading starts, every :data:`PERIOD_S` seconds while it runs, and when it ends,
naming the module, its variants, the tests run so far and the time spent.

The tests run are read from the grading's pytest log (``-q``: one character per test, and the
share of the module's tests done at each line's end). The log does not say whose tests they
are; the plugin runs one variant's tests after another's, so the share of the tests done, times
the variants, is about the variants done (variants with more tests than others skew it). The
lines go to stderr, apart from what the guard prints on stdout (its verdict, which tests and
scripts read)."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

PERIOD_S = 30.0
# A progress line of ``pytest -q``: a character per test, and the share done at a full line's end.
LINE = re.compile(r"([.FEsxX]+)(?:\s+\[\s*(\d+)%\])?\s*")


def tests_run(log: str) -> tuple[int, int | None]:
    """The tests a ``pytest -q`` log shows run, and the last share done it printed (percent;
    ``None`` before its first full line). The progress lines come first; the failures' reports
    after them are not read."""
    done, share = 0, None
    for line in log.splitlines():
        found = LINE.fullmatch(line)
        if found is None:
            break
        done += len(found.group(1))
        if found.group(2) is not None:
            share = int(found.group(2))
    return done, share


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


@dataclass
class _Running:
    module: str
    variants: int
    log: Path
    started: float
    said: float


class Progress:
    """The lines of the gradings started (:meth:`started`), polled (:meth:`poll`) and ended
    (:meth:`ended`), each known by the number the caller gives it."""

    def __init__(
        self,
        out: TextIO | None = None,
        period: float = PERIOD_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.out, self.period, self.clock = out, period, clock
        self.running: dict[int, _Running] = {}

    def _say(self, text: str) -> None:
        print(f"descent audit: {text}", file=self.out or sys.stderr, flush=True)

    def started(self, n: int, suites: list[str], specs: list[str], log: Path) -> None:
        """Grading ``n`` started: the graders files ``suites`` (the first names the module) on
        the variants ``specs``, writing ``log``."""
        module = Path(suites[0]).stem.removeprefix("test_") if suites else "?"
        now = self.clock()
        self.running[n] = _Running(module, len(specs), log, now, now)
        self._say(f"grading {module}: {len(specs)} variants")

    def poll(self) -> None:
        """A line for each grading not heard of in the last :data:`PERIOD_S` seconds."""
        now = self.clock()
        for run in self.running.values():
            if now - run.said >= self.period:
                run.said = now
                self._say(self._line(run, now))

    def ended(self, n: int, code: int) -> None:
        """Grading ``n`` ended with pytest's exit ``code``."""
        run = self.running.pop(n, None)
        if run is not None:
            ended = "graded" if code in (0, 1) else f"stopped (pytest exit code {code})"
            self._say(f"{self._line(run, self.clock())}: {ended}")

    def _line(self, run: _Running, now: float) -> str:
        try:
            done, share = tests_run(run.log.read_text(errors="replace"))
        except OSError:
            done, share = 0, None
        if share is None:
            return f"{run.module}: {done} tests run, {_elapsed(now - run.started)}"
        variants = run.variants * share // 100
        return (
            f"{run.module}: about {variants}/{run.variants} variants ({done} tests run, "
            f"{share}%), {_elapsed(now - run.started)}"
        )

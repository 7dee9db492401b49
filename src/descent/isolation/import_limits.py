"""Imports that ran out of time, shared by every worker of one grading (trusted side only).

A grading whose tests two processes share (:mod:`descent.grading.split`) gives each process a
worker of its own, and a worker's refusal of a module whose import did not return (see
``Submission.load``) lives in that worker alone. Without a shared record the second process ran
a module-level loop again and the submission paid its time limit twice; a worker started after
another was stopped paid it again too.

:class:`ImportLimits` is that record: a folder beside the intake's copy of the submission
(outside every path a worker may read or write), made before the grading forks, with one file
per module that ran out of time, named by the module and the SHA-256 of its file's bytes. Only
the grading processes write it, each file whole (written aside, then renamed into place), and
only they read it. What a file holds is the failure message the first worker sent, cut to a
bound: it can only repeat that submission's own failure to the same submission.

A per-module lock file makes a second process that asks for a module while the first is still
importing it wait for the outcome instead of starting the same import (the two sides start at
the same moment, and both reach the module in their first tests).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

MAX_MESSAGE = 2000  # characters of a recorded message kept (a worker's text is capped alike)


class ImportLimits:
    """The modules of one submission whose import ran out of time in any of its workers.

    ``folder``: a directory only the grading processes can reach; made here (mode 0700) if it
    is not there. Keys are (module name, the module file's bytes)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, exist_ok=True)

    @staticmethod
    def beside(submission: str | Path) -> ImportLimits:
        """The record of a submission taken by intake into ``submission`` (a folder inside a
        private root that intake removes whole at the end of the grading)."""
        return ImportLimits(Path(submission).parent / "import-limits")

    def _path(self, module: str, source: bytes) -> Path:
        return self.folder / f"{module}.{hashlib.sha256(source).hexdigest()}.json"

    def find(self, module: str, source: bytes) -> str | None:
        """The message recorded for ``module`` with these bytes, or None."""
        try:
            data = json.loads(self._path(module, source).read_text())
        except (OSError, ValueError):
            return None
        message = data.get("message") if isinstance(data, dict) else None
        return message[:MAX_MESSAGE] if isinstance(message, str) else None

    def modules(self) -> set[str]:
        """The modules with a record, whatever their bytes (one listing of the folder: a
        grading with none pays nothing more for each load)."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return set()
        return {n.split(".", 1)[0] for n in names if n.endswith(".json")}

    def record(self, module: str, source: bytes, message: str) -> None:
        """Keep ``message`` for ``module``: written to a file of its own first, then renamed,
        so that a reader sees the whole record or none."""
        body = json.dumps({"module": module, "message": message[:MAX_MESSAGE]})
        fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".writing-")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(body)
            os.replace(temp, self._path(module, source))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    @contextlib.contextmanager
    def importing(self, module: str) -> Iterator[None]:
        """Held while one process's worker imports ``module``: another process asking for it
        meanwhile waits here, then reads what came of it. The kernel lets the lock go if the
        holder dies."""
        import fcntl  # POSIX-only: a student's own run imports this module on Windows too

        fd = os.open(self.folder / f"{module}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

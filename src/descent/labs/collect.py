"""``nbgrader collect`` for this course: it never follows a link, and it keeps a record of when
each copy it took was written (``c.ExchangeFactory.collect`` in the course's
``nbgrader_config.py`` names :class:`CheckedCollect`, so a plain ``nbgrader collect`` run in the
course folder is this one).

nbgrader's own collect copies a student's exchange copy with ``shutil.copytree``, which copies
what a symbolic link names: a link to the instructor's source notebook, or to a classmate's
collected notebook, became the student's submission (and with the link deleted after collect,
nothing showed it). Here, before anything is copied, every copy of each student in the exchange
is checked as ``descent labs autograde`` checks it (:func:`descent.labs.exchange.problems`:
links, devices and FIFOs, a copy written by another account than the student's); a student so
refused is not collected, and nbgrader's log and the course's record
(:mod:`descent.labs.collected`) say why. The copy itself then goes through
:func:`descent.labs.collected.copy_checked`, which opens each entry without following a link and
refuses the copy if anything but a plain file or folder turned up meanwhile.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from nbgrader.exchange.default import ExchangeCollect  # this module is nbgrader's plugin
from nbgrader.utils import ignore_patterns

from . import collected, exchange
from .submissions import REFUSED


class CheckedCollect(ExchangeCollect):
    """nbgrader's collect, with each student's exchange copies checked before anything is
    copied, the copy made without following a link, and a record kept (see the module doc)."""

    def init_src(self):
        super().init_src()
        course = Path(self.coursedir.root)
        found = exchange.problems(course, self.coursedir.assignment_id, Path(self.inbound_path))
        kept = []
        for record in self.src_records:
            reasons = [
                line.removeprefix(REFUSED)
                for line in found.get(record["username"], [])
                if line.startswith(REFUSED)
            ]
            if reasons:
                self._refuse(record["username"], record["filename"], "; ".join(reasons))
            else:
                kept.append(record)
        self.src_records = kept

    def do_copy(self, src, dest, log=None):
        name = os.path.basename(src)
        student = name.rsplit("+", 3)[0]
        skip = ignore_patterns(
            exclude=self.coursedir.ignore,
            include=self.coursedir.include,
            max_file_size=self.coursedir.max_file_size,
            log=self.log,
        )
        started = time.time()
        try:
            found = collected.copy_checked(
                Path(src), Path(dest), skip, 1000 * self.coursedir.max_dir_size
            )
        except collected.Refused as exc:
            shutil.rmtree(dest, ignore_errors=True)
            self._refuse(student, name, str(exc))
            return
        record = collected.Record(student, name, started, found.written, found.files)
        collected.append(Path(self.coursedir.root), self.coursedir.assignment_id, record)

    def _refuse(self, student: str, copy: str, why: str) -> None:
        self.log.warning("descent: %s's exchange copy %s is not collected: %s", student, copy, why)
        record = collected.Record(student, copy, time.time(), refused=why)
        collected.append(Path(self.coursedir.root), self.coursedir.assignment_id, record)

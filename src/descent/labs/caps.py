"""How much of a student's notebook the grading keeps: its cells' output, and its feedback page.

A cell's stdout and stderr are capped in the worker (64K characters each,
``descent.isolation.cells.MAX_OUTPUT``), but a notebook of 1500 printing cells (206 KB) then
became a 197 MB autograded notebook and a 198 MB feedback page, about 1 GB of memory at each
step. Two caps close that, each set in ``nbgrader_config.py``:

- :class:`OutputBudget` (``ConfinedExecute.max_notebook_output``, 1,000,000 characters by
  default): the output all of a notebook's own cells keep together, and everything else a
  cell's reply brings (its error's type, the paths the confinement refused; each field already
  cut to the worker's own cap on the grading side, :mod:`descent.labs.reply`, since a cell can
  replace the worker's cell runner). Once it is spent, a cell's output is replaced by one line
  that says so; the cell still runs, and the test cells' lines and points are always kept.
- :class:`CapFeedback` (``CapFeedback.max_chars``, 2,000,000 characters by default), in
  ``generate_feedback``: the text of the notebook's own cells (their source and output) that
  its feedback page shows. The cells past it are shown as one line each; the test cells, the
  locked cells of the assignment and the scores are always shown. The autograded notebook in
  the course folder keeps everything the first cap let through.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

from . import cellmeta


class OutputBudget:
    """The output left to one notebook's cells (``chars`` 0: no limit)."""

    def __init__(self, chars: int):
        self.chars, self.left = chars, chars

    def take(self, result: dict) -> dict:
        """``result`` (a cell's reply, :func:`descent.labs.reply.well_formed`) with its texts
        cut to what is left, and the budget reduced by what it keeps: the output, the error's
        type and message, and the paths the confinement refused (once the budget is spent, an
        error's type reads ``(not kept)`` and the paths are left out)."""
        if not self.chars:
            return result
        kept = dict(result)
        for name in ("stdout", "stderr", "result"):
            if kept.get(name):
                kept[name] = self._cut(kept[name])
        if kept.get("error"):
            error = kept["error"]
            kept["error"] = {
                "type": self._whole(error.get("type") or "") or "(not kept)",
                "msg": self._cut(error.get("msg") or ""),
            }
        kept["refused"] = [p for p in kept.get("refused") or [] if self._whole(p)]
        return kept

    def _whole(self, text: str) -> str | None:
        """``text`` if what is left holds all of it (a name, a path: half of one misleads),
        charged to the budget; else None."""
        if len(text) > self.left:
            return None
        self.left -= len(text)
        return text

    def _cut(self, text: str) -> str:
        part = text[: self.left]
        self.left -= len(part)
        if len(part) == len(text):
            return part
        return part + (
            f"\n[output cut: the notebook's cells keep {self.chars} characters of output "
            f"together (ConfinedExecute.max_notebook_output)]\n"
        )


class CapFeedback(NbGraderPreprocessor):
    """In ``nbgrader generate_feedback``: the notebook's own cells shown up to ``max_chars``
    characters of source and output together (see the module's docstring)."""

    max_chars = Integer(
        2_000_000,
        help="characters of the notebook's own cells (source and output) that its feedback "
        "page shows; the test cells, locked cells and scores are always shown (0: no limit)",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        left = self.max_chars
        for index, cell in enumerate(nb.cells, 1):
            if not self.max_chars or _assignments_own(cell):
                continue
            size = _size(cell)
            if size <= left:
                left -= size
                continue
            if left:
                cell.source = cell.source[:left] + (
                    f"\n[cut here: the feedback page shows {self.max_chars} characters of the "
                    f"notebook's own cells (CapFeedback.max_chars); the graded notebook has "
                    f"them all]"
                )
                left = 0
            else:
                cell.source = f"[cell {index}: not shown (CapFeedback.max_chars)]"
            if cell.get("outputs"):
                cell.outputs = []
        return nb, resources


def _assignments_own(cell) -> bool:
    """A test cell or a locked cell of the assignment (its text comes from the source)."""
    meta = cellmeta.nbgrader(cell)
    return bool(meta.get("grade") and not meta.get("solution")) or bool(
        meta.get("locked") and not meta.get("solution")
    )


def _size(cell) -> int:
    """Characters of a cell's source and outputs (images by the length of their encoding)."""
    total = len(cell.get("source", ""))
    for output in cell.get("outputs", []):
        total += len(output.get("text", "")) + len(output.get("evalue", ""))
        total += sum(len(line) for line in output.get("traceback", []))
        total += sum(len(str(value)) for value in output.get("data", {}).values())
    return total

"""nbgrader preprocessors of the course: :class:`ConfinedExecute` replaces nbgrader's
``Execute`` in ``nbgrader autograde``, and :class:`EscapeMarkdown` makes students' markdown
inert. ``labs/nbgrader_config.py`` installs both::

    c.Autograde.autograde_preprocessors = [ConfinedExecute, EscapeMarkdown, ...]

``ConfinedExecute`` walks the sanitized notebook (nbgrader has already restored the locked and
test cells) in order. A student's cell runs in a confined worker (:class:`.kernel.Kernel`). A
test cell does not run there at all: its trusted check (:mod:`.checks`) runs here, reads the
notebook's values as data, and the cell's output becomes the check's lines and, as the cell's
last result, the points earned, which nbgrader's own ``SaveAutoGrades`` then writes into the
gradebook. What the executor noticed (forged nbgrader metadata, paths the confinement refused,
grading names the notebook rebinds) goes into the notebook's metadata (``descent``), where
``descent labs report`` reads it.
"""

from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import SCHEMA_VERSION
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Integer, Unicode

from . import cellmeta
from . import findings as findings_mod
from .caps import OutputBudget
from .hidden_checks import Course, grade_cell
from .kernel import Kernel

META = "descent"


class ConfinedExecute(NbGraderPreprocessor):
    """Run a notebook's own cells confined, and score its test cells on the trusted side."""

    timeout = Float(180.0, help="seconds one cell may run before its worker is killed").tag(
        config=True
    )
    call_timeout = Float(30.0, help="seconds one call of a check into the notebook may take").tag(
        config=True
    )
    memory_mb = Integer(
        0,
        help="address-space (and, as root, cgroup) limit of the notebook's "
        "worker in MiB; 0: the isolation default (4 GiB)",
    ).tag(config=True)
    insecure = Bool(
        False,
        help="run notebooks in an unconfined worker where no confinement "
        "is available (only for notebooks you trust)",
    ).tag(config=True)
    notebook_timeout = Float(
        600.0,
        help="seconds all of a notebook's cells and checks may "
        "take together; once spent, the cells left do not run and the "
        "test cells left score 0 (0: no budget)",
    ).tag(config=True)
    course_dir = Unicode(
        "", help="the course folder (keys/, graders/); default: nbgrader's course root"
    ).tag(config=True)
    max_notebook_output = Integer(
        1_000_000,
        help="characters of output (stdout, stderr, results, errors) all of a notebook's "
        "own cells keep together; past it a cell's output is one line saying so (the test "
        "cells' lines and points are always kept; 0: no limit)",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        tests, known = _trusted_cells(info)
        course = Course(self.course_dir or self.config.CourseDirectory.get("root") or Path.cwd())
        # DropForgedMetadata has already run while nbgrader sanitized the notebook (and reset
        # this metadata); dropping again keeps the executor safe on its own.
        earlier = nb.metadata.get(META, {})
        report = {
            "forged_metadata": earlier.get("forged_metadata", [])
            + _drop_forged_metadata(nb, known),
            "refused": [],
            "restored_metadata": earlier.get("restored_metadata", []),
            "rebound": findings_mod.rebound_names(nb, tests),
        }
        with Kernel(
            self.timeout, self.call_timeout, self.memory_mb or None, self.insecure
        ) as kernel:
            report["confinement"] = kernel.mode()
            graded: set[str] = set()
            budget = Budget(self.notebook_timeout)
            output = OutputBudget(self.max_notebook_output)
            for count, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), 1):
                gid = cellmeta.grade_id(cell)
                kernel.timeout = budget.limit(self.timeout)
                if kernel.timeout <= 0:
                    cell.outputs = budget.spent_output(count, gid in tests and gid not in graded)
                    report["budget_spent"] = report.get("budget_spent") or f"cell {count}"
                elif gid in tests and gid not in graded:
                    graded.add(gid)
                    text, earned = grade_cell(course, info["assignment"], gid, kernel, tests[gid])
                    cell.outputs = _scored(text, earned, count)
                else:
                    result = output.take(kernel.run(cell.source))
                    cell.outputs = _outputs(result, count)
                    report["refused"] += [f"cell {count}: {p}" for p in result.get("refused", [])]
                cell.execution_count = count
            report["rebound"] += findings_mod.patched_at_runtime(kernel)
            report["restarts"] = kernel.restarts
        nb.metadata[META] = report
        return nb, resources


class Budget:
    """The time left to one notebook (``seconds`` 0: unlimited). Several cells that each stall
    just under the per-cell limit would otherwise hold the class's queue for minutes each."""

    def __init__(self, seconds: float):
        self.seconds, self.start = seconds, time.monotonic()

    def limit(self, per_cell: float) -> float:
        """The limit of the next cell: the per-cell limit, or what is left if that is less."""
        if not self.seconds:
            return per_cell
        return min(per_cell, self.seconds - (time.monotonic() - self.start))

    def spent_output(self, count: int, test: bool) -> list:
        why = (
            f"not run: the notebook's time budget ({self.seconds:g} s, "
            f"ConfinedExecute.notebook_timeout) was spent before this cell"
        )
        if test:
            return _scored(f"{why}; this test scores 0\n", 0.0, count)
        return [nbformat.v4.new_output("error", ename="TimeBudget", evalue=why, traceback=[why])]


def _trusted_cells(info: dict) -> tuple[dict[str, float], set[str]]:
    """The test cells of this notebook (grade id -> points) and every nbgrader cell id it has,
    from the gradebook (what generate_assignment recorded from the source notebook)."""
    with Gradebook(info["db_url"]) as gb:
        notebook = gb.find_notebook(info["notebook"], info["assignment"])
        solutions = {c.name for c in notebook.solution_cells}
        tests = {
            c.name: float(c.max_score)
            for c in notebook.grade_cells
            if c.cell_type == "code" and c.name not in solutions
        }
        known = {c.name for c in notebook.source_cells} | set(tests) | solutions
    return tests, known


class RestoreCellMetadata(NbGraderPreprocessor):
    """In nbgrader's sanitizing pass, *before* ``OverwriteCells``: the nbgrader flags of the
    assignment's own cells (grade, solution, locked, points) are put back as
    ``generate_assignment`` recorded them. A student who "unlocks" a test cell by turning its
    grade or solution flag off would otherwise make ``OverwriteCells`` fail its checksum check
    after restoring the source, and nbgrader would send the whole notebook to manual grading
    without any feedback. With the flags back, nbgrader restores the cell and grades it."""

    def preprocess(self, nb, resources):
        recorded = _recorded_flags(resources["nbgrader"])
        restored = []
        for index, cell in enumerate(nb.cells, 1):
            gid = cellmeta.grade_id(cell)
            if gid not in recorded:
                continue
            meta = cell.metadata["nbgrader"]
            wrong = sorted(k for k, v in recorded[gid].items() if meta.get(k) != v)
            if wrong:
                restored.append(f"cell {index} ({gid}): {', '.join(wrong)} put back")
                meta.update(recorded[gid])
        nb.metadata[META] = {"restored_metadata": restored}
        return nb, resources


def _recorded_flags(info: dict) -> dict[str, dict]:
    """``{grade_id: {"grade", "solution", "locked", "points"}}`` of the assignment's cells, as
    ``generate_assignment`` stored them in the gradebook (not the submission's own claims)."""
    with Gradebook(info["db_url"]) as gb:
        notebook = gb.find_notebook(info["notebook"], info["assignment"])
        grades = {c.name: float(c.max_score) for c in notebook.grade_cells}
        solutions = {c.name for c in notebook.solution_cells}
        flags = {}
        for cell in notebook.source_cells:
            flags[cell.name] = {
                "grade": cell.name in grades,
                "solution": cell.name in solutions,
                "locked": bool(cell.locked),
            }
            if cell.name in grades:
                flags[cell.name]["points"] = grades[cell.name]
    return flags


class DropForgedMetadata(NbGraderPreprocessor):
    """In nbgrader's sanitizing pass, after ``OverwriteCells``: nbgrader metadata that no cell of
    the assignment carries (a student's own "test cell" with points) is removed, so that the
    cell is an ordinary one and nbgrader does not reject the whole notebook over it. Also
    resets the notebook's ``descent`` metadata, which only the grader writes."""

    def preprocess(self, nb, resources):
        _, known = _trusted_cells(resources["nbgrader"])
        restored = nb.metadata.get(META, {}).get("restored_metadata", [])
        nb.metadata[META] = {
            "forged_metadata": _drop_forged_metadata(nb, known),
            "restored_metadata": restored,
        }
        return nb, resources


def _drop_forged_metadata(nb, known: set[str]) -> list[str]:
    """Remove the nbgrader metadata of cells that are not the assignment's (and the empty
    metadata nbgrader leaves on the extra copy of a duplicated cell), and put back the schema
    version of the assignment's own cells: nbgrader stops grading *every* later student when
    one cell's schema version is missing or wrong. Returns what was changed, one line each."""
    changed = []
    for index, cell in enumerate(nb.cells, 1):
        if "nbgrader" not in cell.metadata:
            continue
        meta = cellmeta.nbgrader(cell)
        head = (cellmeta.source(cell).strip().splitlines() or [""])[0][:60]
        if cellmeta.grade_id(cell) not in known:
            raw = cell.metadata["nbgrader"]
            claim = (
                json.dumps(raw, sort_keys=True, default=repr)[:200]
                if raw
                else "{} (nbgrader emptied it: a second copy of an assignment cell)"
            )
            changed.append(
                f"cell {index} ({head!r}) carried nbgrader metadata {claim} that is "
                f"not part of the assignment (removed; it ran as an ordinary cell)"
            )
            del cell.metadata["nbgrader"]
        elif meta.get("schema_version") != SCHEMA_VERSION:
            changed.append(
                f"cell {index} ({head!r}): nbgrader schema version "
                f"{meta.get('schema_version')!r} put back to {SCHEMA_VERSION}"
            )
            meta["schema_version"] = SCHEMA_VERSION
    return changed


def _outputs(result: dict, count: int) -> list:
    out = []
    for name in ("stdout", "stderr"):
        if result.get(name):
            out.append(nbformat.v4.new_output("stream", name=name, text=result[name]))
    if result.get("result") is not None:
        out.append(
            nbformat.v4.new_output(
                "execute_result", data={"text/plain": result["result"]}, execution_count=count
            )
        )
    error = result.get("error")
    if error:
        out.append(
            nbformat.v4.new_output(
                "error",
                ename=error["type"],
                evalue=error["msg"],
                traceback=[f"{error['type']}: {error['msg']}"],
            )
        )
    return out


def _scored(text: str, earned: float, count: int) -> list:
    return [
        nbformat.v4.new_output("stream", name="stdout", text=text),
        nbformat.v4.new_output(
            "execute_result", data={"text/plain": f"{earned:g}"}, execution_count=count
        ),
    ]


class EscapeMarkdown(NbGraderPreprocessor):
    """Make students' markdown inert: every markdown cell except the locked cells that nbgrader
    restored from the source notebook, and every raw cell of the student's own (shown as text). HTML is shown as text (a ``<script>`` in a write-up is
    displayed, not run, in formgrader and in the feedback), and links and images are shown as
    their markdown (a ``javascript:`` link or a tracking image does nothing)."""

    def preprocess_cell(self, cell, resources, index):
        meta = cellmeta.nbgrader(cell)
        if cell.cell_type == "raw" and not meta:
            # nbconvert renders a raw cell as HTML (sanitized, but a link stays live, right under
            # the real score in the feedback): a student's raw cell is shown as text instead.
            cell.cell_type = "markdown"
            cell.pop("attachments", None)
            cell.metadata.pop("raw_mimetype", None)
            cell.metadata.pop("format", None)
            meta = {}
        if cell.cell_type == "markdown" and not (meta.get("locked") and not meta.get("solution")):
            cell.source = inert_markdown(cell.source)
        return cell, resources


_LINK_TARGET = re.compile(r"\]\(")  # [text](url) and ![alt](src)
_LINK_DEFINITION = re.compile(r"^(\s{0,3})\[", re.M)  # [id]: url


# Bare addresses the markdown renderer would turn into live links ("https://...", "www.",
# "a@b.org"): a zero-width space after the scheme's colon, the "www" or the "@" keeps the text
# as it reads and stops the autolink.
_AUTOLINK = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*:)(?=//)|(\bwww)(?=\.)|(@)(?=[a-z0-9])")
_ZWSP = "\u200b"


def inert_markdown(text: str) -> str:
    """``text`` with its HTML escaped and its links, images and bare addresses turned into
    plain text."""
    text = html.escape(text, quote=False)
    text = _LINK_DEFINITION.sub(r"\1\\[", _LINK_TARGET.sub(r"]\\(", text))
    return _AUTOLINK.sub(lambda m: m.group(0) + _ZWSP, text)

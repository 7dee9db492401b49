"""Drawing: a failed check's picture record (:mod:`descent.grading.pictures`) as a PNG, and the
one way the kit makes a figure (:func:`figure`: matplotlib's Agg canvas, no display needed).

matplotlib is optional (the ``labs`` extra): without it :func:`figure` is None, nothing is
drawn and nothing fails, since no grade depends on a picture. A line picture shows the student's
values as an orange line, the expected ones as a dashed blue line (a hidden check: one blue point,
the entry its message names) and the positions that differ shaded; a histogram shows the
student's draws as orange bars and the expected distribution as a blue step line.

:func:`write_beside` puts one PNG per pictured check next to a results document, named
``picture_<implementation>_<n>_<exercise>.png``, for whoever reads the terminal table
(:func:`write_and_say` gives the line that says where: ``descent grade`` and the table a run of
pytest prints).
"""

from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path
from typing import Any

from .. import registry

PREFIX = "picture_"
STUDENT, EXPECTED, WRONG = "#ff7f0e", "#1f77b4", "#f6c8c0"
CURVES = ("#444444", "#2e7d32", "#7b1fa2")  # an input's curves: neither the student's nor expected


def figure(width: float = 6.0, height: float = 3.5) -> Any | None:
    """A matplotlib Figure on an Agg canvas, or None without matplotlib."""
    try:
        # optional: a picture belongs to a report, never to a grade
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def pictured(tests: list[dict]) -> list[dict]:
    """The test records of ``tests`` that carry a picture, in order."""
    return [t for t in tests if isinstance(t.get("picture"), dict)]


def stored_name(n: int) -> str:
    """The name under which a gradebook keeps the ``n``-th picture of a grading (1-based, in
    the order of :func:`pictured`), as ``descent batch`` collects it (:func:`read_beside`)."""
    return f"{PREFIX}{n:02d}.png"


def title(test: dict) -> str:
    """A picture's title: the exercise and the check, as the report names them."""
    return f"{test['exercise']}: {test['name']}"


def png(picture: dict, heading: str) -> bytes | None:
    """``picture`` drawn as PNG bytes under ``heading``; None without matplotlib or for a record
    of an unknown kind."""
    draw = {"line": _line, "histogram": _histogram, "curves": _curves}.get(str(picture.get("kind")))
    fig = figure() if draw is not None else None
    if fig is None or draw is None:
        return None
    ax = fig.subplots()
    draw(ax, picture)
    ax.set_title(textwrap.fill(heading, 90), fontsize=8)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _gaps(values: list) -> list[float]:
    return [float("nan") if v is None else v for v in values]


def _line(ax, picture: dict) -> None:
    student, expected = picture["student"], picture["expected"]
    for k, (start, stop) in enumerate(_runs(picture.get("wrong", []))):
        ax.axvspan(
            start - 0.5, stop + 0.5, color=WRONG, label=None if k else "positions that differ"
        )
    ax.plot(_gaps(student), color=STUDENT, marker=".", label="your values")
    shown = [(i, v) for i, v in enumerate(expected) if v is not None]
    if picture.get("hidden") and shown:  # a message that names no entry shows none
        ax.plot(
            [i for i, _ in shown],
            [v for _, v in shown],
            linestyle="none",
            marker="o",
            markersize=7,
            color=EXPECTED,
            label="expected (the entry the message names)",
        )
    elif not picture.get("hidden"):
        ax.plot(_gaps(expected), color=EXPECTED, linestyle="--", label="expected")
    _log_if_spread(ax, [v for v in student if v is not None] + [v for _, v in shown])
    _whole_positions(ax)
    ax.set_xlabel("position (step, layer, batch)")
    ax.set_ylabel("value")


def _log_if_spread(ax, values: list[float]) -> None:
    """A log scale for positive values over three orders of magnitude or more (gradient norms
    that vanish layer by layer), where a linear one flattens all but the largest."""
    if values and min(values) > 0 and max(values) >= 1000 * min(values):
        ax.set_yscale("log")


def _whole_positions(ax) -> None:
    # optional, as figure(): here matplotlib is known to be installed
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps and epochs are whole


def _curves(ax, picture: dict) -> None:
    gaps = set()
    for (name, values), colour in zip(picture["series"].items(), CURVES):
        ax.plot(_gaps(values), marker=".", color=colour, label=name)
        gaps |= {i for i, v in enumerate(values) if v is None}
    for k, i in enumerate(sorted(gaps)):  # a gap in a line is easy to miss: mark each
        ax.axvline(i, color=WRONG, linewidth=6, label=None if k else "NaN or infinite")
    _whole_positions(ax)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted ``indices`` as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indices):
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _histogram(ax, picture: dict) -> None:
    edges = picture["edges"]
    ax.hist(
        edges[:-1],
        bins=edges,
        weights=picture["student"],
        color=STUDENT,
        alpha=0.7,
        label="your draws",
    )
    ax.stairs(
        picture["expected"],
        edges,
        color=EXPECTED,
        linewidth=1.8,
        label=f"expected: {picture.get('expected_label', '')}",
    )
    ax.set_xlabel("value")
    ax.set_ylabel("draws")


def file_stem(name: str) -> str:
    """The file name part for an implementation's name (anything unusual becomes ``_``)."""
    return PREFIX + re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _beside(name: str, n: int | None = None) -> str:
    """The glob (or, with ``n``, the name) of an implementation's pictures in a folder."""
    return f"{file_stem(name)}_{'[0-9][0-9]' if n is None else f'{n:02d}'}_"


def _mine(results_dir: Path, name: str) -> dict[int, Path]:
    """Implementation ``name``'s pictures in ``results_dir`` by their number: the files named
    ``picture_<stem>_<nn>_<exercise>.png`` for an exercise of the kit. The glob alone also
    matches another implementation's whose name goes on from this one (``alice``'s matched
    ``alice_01``'s, and a grading of ``alice`` deleted them)."""
    found = {}
    for path in Path(results_dir).glob(_beside(name) + "*.png"):
        number, _, exercise = path.name[len(file_stem(name)) + 1 :].partition("_")
        if exercise.removesuffix(".png") in registry.EXERCISES:
            found[int(number)] = path
    return found


def read_beside(results_dir: Path, name: str) -> dict[str, bytes]:
    """The pictures :func:`write_beside` left for implementation ``name``, by their
    :func:`stored_name`: what a report shows without drawing them again."""
    return {stored_name(n): path.read_bytes() for n, path in _mine(results_dir, name).items()}


def write_beside(doc: dict, results_dir: Path) -> list[Path]:
    """One PNG per pictured check of ``doc`` in ``results_dir``, after removing that folder's
    pictures of the same implementations from an earlier grading; returns the files written
    (none without matplotlib)."""
    written: list[Path] = []
    for block in doc.get("implementations", []):
        for old in _mine(results_dir, block["name"]).values():
            old.unlink(missing_ok=True)
        tests = [t for t in doc.get("tests", []) if t["implementation"] == block["name"]]
        for n, test in enumerate(pictured(tests), 1):
            data = png(test["picture"], title(test))
            if data is None:
                return written
            name = _beside(block["name"], n) + f"{test['exercise']}.png"
            path = Path(results_dir) / name
            path.write_bytes(data)
            written.append(path)
    return written


def write_and_say(doc: dict, results_dir: Path) -> str | None:
    """:func:`write_beside` (an earlier grading's pictures removed even when this one has
    none), and the line that tells a terminal's reader where the pictures are; None when there
    are none (no pictured check failed, or no matplotlib)."""
    drawn = write_beside(doc, results_dir)
    if not drawn:
        return None
    return (
        f"pictures of {len(drawn)} failed check(s), your values against the expected: "
        f"{Path(results_dir) / PREFIX}*.png"
    )

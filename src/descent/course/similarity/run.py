"""Compare every pair of a class's submissions and write the evidence: the work of ``descent
similarity`` and of the last step of ``descent batch --similarity``. Returns 0 when the report
was written (flagged pairs or not: nothing here is a verdict), 2 when nothing could be compared.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

THRESHOLD = 0.5
MIN_FRAGMENT = 120


def run(
    submissions: Path,
    out: Path,
    kit: Path,
    console: Console,
    *,
    assignment: str | None = None,
    plan: str | None = None,
    threshold: float = THRESHOLD,
    min_fragment: int = MIN_FRAGMENT,
) -> int:
    try:
        # optional dependency: copydetect (pip install 'descent[similarity]')
        from . import corpus, engine, pages
    except ModuleNotFoundError as exc:
        if exc.name != "copydetect":
            raise
        console.print(
            "[red]descent similarity needs copydetect: pip install "
            "'descent[similarity]' (./dev test installs it)[/red]"
        )
        return 2
    started = time.perf_counter()
    try:
        found = corpus.read(submissions, kit, corpus.selection(assignment, kit, plan))
    except corpus.CorpusError as exc:
        console.print(f"[red]descent similarity: {escape(str(exc))}[/red]")
        return 2
    analysis = engine.analyse(found, threshold=threshold, min_fragment=min_fragment)
    try:
        left_out = dict(found.problems)
        if found.unrecognised:
            left_out["(not submissions)"] = [", ".join(found.unrecognised)]
        index = pages.write(analysis, out, left_out)
    except OSError as exc:
        console.print(
            f"[red]descent similarity: cannot write to {escape(str(out))}: "
            f"{escape(exc.strerror or str(exc))}[/red]"
        )
        return 2
    summarize(found, analysis, console)
    console.print(
        f"similarity report: {index} ({time.perf_counter() - started:.1f} s; changes no grade)"
    )
    return 0


def summarize(found, analysis, console: Console) -> None:
    # optional dependency (copydetect), which run() has found by now
    from .groups import describe

    for student, reasons in found.problems.items():
        console.print(
            f"[yellow]{escape(student)}: left out of the comparison: "
            f"{escape('; '.join(reasons))}[/yellow]"
        )
    if found.unrecognised:
        console.print(
            f"[yellow]not submissions (not a folder, .zip, .py or .ipynb): "
            f"{escape(', '.join(found.unrecognised))}[/yellow]"
        )
    for (student, module), (kept, total) in analysis.cut.items():
        console.print(
            f"[yellow]{escape(student)}: {escape(module)}.py is over the cost bound: "
            f"{kept:,} of its {total:,} characters compared (the kit's functions first)"
            f"[/yellow]"
        )
    for (student, module), lines in analysis.dynamic.items():
        console.print(
            f"[yellow]{escape(student)}: {escape(module)}.py runs code the comparison cannot "
            f"see: {escape('; '.join(lines))}[/yellow]"
        )
    if analysis.too_short:
        console.print(f"too short to judge (not counted): {', '.join(analysis.too_short)}")
    console.print(
        f"{len(analysis.students)} students, {len(analysis.pairs)} pairs compared, "
        f"{len(analysis.flagged)} flagged, {len(analysis.groups)} group{'' if len(analysis.groups) == 1 else 's'}"
    )
    for rank, group in enumerate(analysis.groups, 1):
        console.print(
            f"group {rank}: {escape(', '.join(group.members))} ({escape(describe(group))})"
        )
    if not analysis.flagged:
        return
    table = Table("#", "pair", "similarity", "longest fragment", "longest fragment at")
    for rank, pair in enumerate(analysis.flagged, 1):
        where = next(((m, x.fragments[0]) for m, x in pair.modules.items() if x.fragments), None)
        place = (
            ""
            if where is None
            else (
                f"{where[0]}.{where[1].a_function or '?'}, lines {where[1].a_lines[0]}-"
                f"{where[1].a_lines[1]} / {where[1].b_lines[0]}-{where[1].b_lines[1]}"
            )
        )
        table.add_row(
            str(rank),
            escape(f"{pair.a} & {pair.b}"),
            f"{100 * pair.similarity:.0f}%",
            str(pair.longest),
            escape(place),
        )
    console.print(table)

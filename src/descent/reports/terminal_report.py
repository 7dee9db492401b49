"""Terminal report of a results document (see :mod:`descent.results`)."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import options, results

_STYLE = {
    "passed": "green",
    "partial": "yellow",
    "failed": "red",
    "error": "red",
    "not_implemented": "dim",
}
_LABEL = {"not_implemented": "not implemented"}


def _points(x: float) -> str:
    return f"{round(x, 2):g}"


def _shorten(message: str, exercise: str) -> str:
    """The first problem, without what the row already says (the exercise id, the tolerances)."""
    message = message.removeprefix(f"{exercise}: ")
    return message.split(" (allowed:")[0]


def advice(tests: list[dict[str, Any]], first: str = "") -> str:
    """One line for an exercise that lost points: the named mistake and its hint, from the test
    whose problem is shown first (``first``, the first line of its message) if it gives any,
    else from the first failing test that names a mistake, else the first hint given."""
    lost = [t for t in tests if t["counted"] and t["points"] < t["max_points"]]
    for t in sorted(
        lost,
        key=lambda t: (
            not first or (t["message"].splitlines() or [""])[0] != first,
            t.get("misconception") is None,
        ),
    ):
        lines = t["message"].splitlines()
        picked = [line for line in lines if line.startswith(("likely mistake:", "hint:"))]
        if picked:
            return " ".join(picked)
    return ""


def exercise_table(
    block: dict[str, Any],
    tests: list[dict[str, Any]] | None = None,
    *,
    title: str | None = None,
    detail: bool = False,
) -> Table:
    """Points per exercise, one line each; an exercise that lost points gets its first problem
    on the lines below it, indented across the table's width (so the table fits an 80-column
    terminal without squeezing the text into a narrow column). With ``tests`` (this block's), a
    line names the likely mistake and its hint; ``detail`` adds every failing check."""
    # the block's name is the submission's (a folder name a student chose): text, not markup
    table = Table(
        title=Text(title or f"Descent: {block['name']}"),
        box=box.SIMPLE_HEAD,
        title_justify="left",
        expand=False,
        pad_edge=False,
    )
    table.add_column("exercise", overflow="fold", max_width=90)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)

    def below(text: Text) -> None:
        table.add_row(Text("  ").append_text(text), "", "")

    for ex in block["exercises"]:
        status = ex["status"]
        table.add_row(
            ex["id"],
            f"{_points(ex['points'])}/{_points(ex['max_points'])}",
            Text(_LABEL.get(status, status), style=_STYLE.get(status, "")),
        )
        # An untouched stub is one line: its status says all ("... is not implemented yet").
        if ex["first_failure"] and (status != "not_implemented" or detail):
            problem = Text(_shorten(ex["first_failure"], ex["id"]))
            if ex["misconceptions"] and not options.generic_only():
                problem.append(f" (likely: {', '.join(ex['misconceptions'])})", style="yellow")
            below(problem)
        mine = [t for t in tests or () if t["exercise"] == ex["id"]]
        tip = advice(mine, ex["first_failure"]) if ex["points"] < ex["max_points"] else ""
        if tip:
            below(Text(tip, style="yellow"))
        lost = [t for t in mine if t["counted"] and t["points"] < t["max_points"]]
        if detail:
            for t in lost:
                below(Text(f"{results.shown_name(t['name'])}: {_first(t)}", style="dim"))
        elif len(lost) > 1 and all(results.written_check(t["name"]) for t in lost):
            # each mistake the tests miss is a test to write: all of them, not the first alone
            for line in dict.fromkeys(_first(t) for t in lost):
                if line != ex["first_failure"]:
                    below(Text(line))
    total = f"{_points(block['points'])}/{_points(block['max_points'])}"
    share = 100 * block["points"] / block["max_points"] if block["max_points"] else 0.0
    table.add_section()
    table.add_row(Text("total", style="bold"), Text(total, style="bold"), f"{share:.0f}%")
    return table


def _first(test: dict[str, Any]) -> str:
    return test["message"].splitlines()[0] if test["message"] else test["outcome"]


SHOWN_FILES = 6  # files not graded named in the report; the results document lists them all
# What every bundle's starter folder holds and no student wrote: not worth a line of the report.
_BUNDLED = ("__init__.py", "__pycache__/", "__pycache__")


def not_graded(block: dict[str, Any]) -> str:
    """The submission's files that were not graded (refused first), each with the reason, as
    its intake recorded them (but the bundle's own ``__init__.py``, caches and hidden files);
    "" when every file was graded."""
    intake = block.get("intake") or {}
    if not isinstance(intake, dict):
        return ""
    items = [f"{e['path']} (refused: {e['reason']})" for e in intake.get("refused") or []]
    items += [
        f"{e['path']} ({e['reason']})"
        for e in intake.get("ignored") or []
        if e["path"] not in _BUNDLED and not e["path"].startswith(".")
    ]
    if not items:
        return ""
    more = len(items) - SHOWN_FILES
    tail = f"; and {more} more (the results document lists them)" if more > 0 else ""
    return "files not graded: " + "; ".join(items[:SHOWN_FILES]) + tail


def render(
    results: dict[str, Any], console: Console | None = None, *, detail: bool = False
) -> None:
    console = console or Console()
    for block in results["implementations"]:
        tests = [t for t in results["tests"] if t["implementation"] == block["name"]]
        console.print(exercise_table(block, tests, detail=detail))
        files = not_graded(block)
        if files:
            console.print(Text(files, style="yellow"))
    skipped = [t for t in results["tests"] if not t["counted"]]
    if skipped:
        reasons = sorted({t["message"] for t in skipped})
        console.print(Text(f"{len(skipped)} tests not counted: {'; '.join(reasons)}", style="dim"))
    if results.get("interrupted"):
        console.print(
            "[red]the run was interrupted: tests cut short count as errors, and tests "
            "that never ran are missing[/red]"
        )
    env = results["environment"]
    console.print(
        f"[dim]devices: {', '.join(results['devices'])}; isolation: "
        f"{env.get('isolation', '?')}; torch {env.get('torch', '?')}; "
        f"{results['duration_s']:.1f} s[/dim]"
    )

"""``descent audit``: grade the graders.

Runs the hidden graders once over every catalogued variant (each only on its own exercise's tests)
and checks the three promises the graders make: every buggy variant loses points, every
alternative correct implementation keeps full marks, and every hollow answer (code that computes
nothing: zeros, ones, random values or the input handed back) scores exactly 0. For each bug the
table shows which checks caught it and whether the failure message named the misconception.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from . import results


def summarize(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per variant: kind, id, exercise, points, verdict, catching checks, named or not."""
    tests_by_impl: dict[str, list[dict]] = defaultdict(list)
    for t in doc["tests"]:
        tests_by_impl[t["implementation"]].append(t)
    rows = []
    for block in doc["implementations"]:
        kind, _, vid = block["name"].partition(":")
        if kind not in ("bug", "alternative", "hollow"):
            continue
        tests = tests_by_impl[block["name"]]
        lost = [t for t in tests if t["counted"] and t["outcome"] != results.PASSED]
        exercise = tests[0]["exercise"] if tests else "?"
        caught = bool(lost)
        ok = {"bug": caught, "hollow": block["max_points"] > 0 and block["points"] == 0}.get(
            kind, not lost and block["max_points"] > 0)
        checks = sorted({t["message"].split("]")[0].lstrip("[") if t["message"].startswith("[")
                         else t["outcome"] for t in lost})
        rows.append({
            "kind": kind, "id": vid, "exercise": exercise, "ok": ok,
            "points": block["points"], "max_points": block["max_points"],
            "tests_failed": len(lost), "tests": len(tests), "checks": checks,
            "named": any(t.get("misconception") == vid for t in lost),
        })
    return rows


# kind -> (verdict when the promise holds, verdict when it is broken)
_VERDICTS = {"bug": ("caught", "MISSED"), "alternative": ("full marks", "LOST POINTS"),
             "hollow": ("0 points", "EARNED POINTS")}


def render(rows: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="grader audit", title_justify="left")
    for col in ("kind", "variant", "exercise", "points", "verdict", "caught by", "named"):
        table.add_column(col, no_wrap=col in ("variant", "exercise"))
    for r in rows:
        verdict = _VERDICTS[r["kind"]][0] if r["ok"] else f"[red]{_VERDICTS[r['kind']][1]}[/red]"
        table.add_row(r["kind"], r["id"], r["exercise"], f"{r['points']:g}/{r['max_points']:g}",
                      verdict, ", ".join(r["checks"]), "yes" if r["named"] else "")
    console.print(table)


def audit(*, device: str, console: Console, results: Path) -> int:
    from . import results as results_mod
    from .kit import run_pytest

    code = run_pytest("graders", ["bug:*", "alternative:*", "hollow:*"], device=device,
                      results=results)
    if code not in (0, 1):
        console.print(f"[red]audit did not complete (pytest exit code {code})[/red]")
        return code
    rows = summarize(results_mod.load(results))
    render(rows, Console(width=max(console.width, 150)) if not console.is_terminal else console)
    bad = [r for r in rows if not r["ok"]]
    bugs = [r for r in rows if r["kind"] == "bug"]
    count = {kind: sum(r["kind"] == kind for r in rows) for kind in _VERDICTS}
    console.print(f"{count['bug']} bugs, {count['alternative']} alternatives, "
                  f"{count['hollow']} hollow answers; "
                  f"{sum(r['named'] for r in bugs)} bugs named in feedback; "
                  f"{len(bad)} problems")
    return 1 if bad else 0

"""``descent audit``: grade the graders.

Runs the hidden graders once over every catalogued variant (each only on its own exercise's tests)
and checks the three promises the graders make: every buggy variant loses points, every
alternative correct implementation keeps full marks, and every hollow answer (code that computes
nothing: zeros, ones, random values or the input handed back) scores exactly 0. For each bug the
table shows which checks caught it and whether the failure message named the misconception.

It also measures the generic diagnoses (``descent.diagnoses``) with the catalogue's names hidden:
a bug is *named generically* when a failure it caused carries a generic diagnosis of a kind the
bug is labelled with (``bug(..., generic=...)``), and *misnamed* when one carries a kind it is not
labelled with (an "several explanations fit" diagnosis names nothing, rightly or wrongly). The
summary gives that figure and the figure with both (the catalogue's own name, or a correct
generic one) and counts any generic name given to an alternative or a misnamed bug.

Points must follow what is wrong (:func:`judge_points`): a bug tagged ``wrong_on="ordinary"``
(wrong on the inputs a course uses every day) keeps at most half of its exercise's points, one
tagged ``"edge"`` (wrong only at a boundary, at extreme values or in a rare mode) keeps more than
half; a bug that breaks its rule, or has no tag, is a problem like a missed one.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import catalogue, results
from . import results as results_mod
from .kit import kit_root, run_pytest


def summarize(
    doc: dict[str, Any], labels: dict[str, tuple[str, ...]] | None = None
) -> list[dict[str, Any]]:
    """One row per variant: kind, id, exercise, points, verdict, catching checks, named or not,
    and the generic diagnoses its failures got, judged against ``labels`` (bug id -> kinds)."""
    labels = labels or {}
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
            kind, not lost and block["max_points"] > 0
        )
        checks = sorted(
            {
                t["message"].split("]")[0].lstrip("[")
                if t["message"].startswith("[")
                else t["outcome"]
                for t in lost
            }
        )
        rows.append(
            {
                "kind": kind,
                "id": vid,
                "exercise": exercise,
                "ok": ok,
                "points": block["points"],
                "max_points": block["max_points"],
                "tests_failed": len(lost),
                "tests": len(tests),
                "checks": checks,
                "named": any(t.get("misconception") == vid for t in lost),
                **_generic(lost, labels.get(vid, ()), judged=kind == "bug"),
            }
        )
    return rows


def _generic(lost: list[dict], labels: tuple[str, ...], *, judged: bool) -> dict[str, Any]:
    """The generic kinds ``lost`` tests were diagnosed with; only a bug's are judged (a hollow
    answer is wrong in every way at once)."""
    kinds = sorted({t["diagnosis"] for t in lost if t.get("diagnosis")} - {"ambiguous"})
    return {
        "generic": kinds,
        "generic_named": judged and bool(set(kinds) & set(labels)),
        "generic_wrong": sorted(set(kinds) - set(labels)) if judged else [],
    }


def figures(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The counts the summary line prints: bugs, named by the catalogue, named by the generic
    diagnoses alone, by either, misnamed generically, alternatives given a generic name."""
    bugs = [r for r in rows if r["kind"] == "bug"]
    return {
        "bugs": len(bugs),
        "catalogue": sum(r["named"] for r in bugs),
        "generic": sum(r["generic_named"] for r in bugs),
        "both": sum(r["named"] or r["generic_named"] for r in bugs),
        "misnamed": sum(bool(r["generic_wrong"]) for r in bugs),
        "alternatives_named": sum(bool(r["generic"]) for r in rows if r["kind"] == "alternative"),
    }


def judge_points(rows: list[dict[str, Any]], wrong_on: dict[str, str]) -> None:
    """Give each bug row its tag (``wrong_on``: bug id -> "ordinary" or "edge") and, when the
    points it kept break the tag's rule, a ``points_problem`` (the row is then not ok)."""
    for r in rows:
        if r["kind"] != "bug":
            continue
        r["wrong_on"] = wrong_on.get(r["id"], "")
        r["points_problem"] = points_problem(r["points"], r["max_points"], r["wrong_on"])
        if r["points_problem"]:
            r["ok"] = False


def points_problem(points: float, max_points: float, wrong_on: str) -> str:
    """What is wrong with a bug keeping ``points`` of ``max_points`` for its tag ("" if nothing)."""
    kept = f"keeps {points:.3g}/{max_points:.3g}"
    half = max_points / 2
    if wrong_on == catalogue.ORDINARY and points > half + 1e-9:
        return f"{kept}: wrong on everyday inputs, it may keep at most half"
    if wrong_on == catalogue.EDGE and points <= half + 1e-9:
        return f"{kept}: wrong only at an edge, it must keep more than half"
    if wrong_on not in catalogue.WRONG_ON:
        return "no wrong_on tag (ordinary or edge)"
    return ""


def points_figures(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per tag: how many bugs, how many keep what their rule allows, and the mean share kept."""
    out = {}
    for tag in catalogue.WRONG_ON:
        mine = [r for r in rows if r["kind"] == "bug" and r.get("wrong_on") == tag]
        shares = [r["points"] / r["max_points"] for r in mine if r["max_points"]]
        out[tag] = {
            "bugs": len(mine),
            "within": sum(not r["points_problem"] for r in mine),
            "mean_kept": sum(shares) / len(shares) if shares else 0.0,
        }
    return out


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


# kind -> (verdict when the promise holds, verdict when it is broken)
_VERDICTS = {
    "bug": ("caught", "MISSED"),
    "alternative": ("full marks", "LOST POINTS"),
    "hollow": ("0 points", "EARNED POINTS"),
}


def render(rows: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="grader audit", title_justify="left")
    for col in (
        "kind",
        "variant",
        "exercise",
        "points",
        "verdict",
        "caught by",
        "named",
        "generic",
    ):
        table.add_column(col, no_wrap=col in ("variant", "exercise"))
    for r in rows:
        verdict = _VERDICTS[r["kind"]][0] if r["ok"] else f"[red]{_VERDICTS[r['kind']][1]}[/red]"
        if r.get("points_problem") and r["tests_failed"]:
            verdict = f"[red]{escape(r['points_problem'])}[/red]"
        generic = ", ".join(
            f"[red]{k}?[/red]" if k in r["generic_wrong"] else k for k in r["generic"]
        )
        table.add_row(
            r["kind"],
            r["id"],
            r["exercise"],
            f"{r['points']:g}/{r['max_points']:g}",
            verdict,
            ", ".join(r["checks"]),
            "yes" if r["named"] else "",
            generic,
        )
    console.print(table)


def audit(*, device: str, console: Console, results: Path, modules: list[str] = ()) -> int:
    """Grade every catalogued variant (of ``modules`` only, when given: ``losses``, ...)."""

    suites = [f"graders/test_{m}.py" for m in modules] or ["graders"]
    missing = [s for s in suites if not (kit_root() / s).exists()]
    if missing:
        console.print(f"no such graders: {', '.join(missing)}", markup=False)
        return 2
    code = run_pytest(
        suites, ["bug:*", "alternative:*", "hollow:*"], device=device, results=results
    )
    if code not in (0, 1):
        console.print(f"[red]audit did not complete (pytest exit code {code})[/red]")
        return code
    labels = {v.id: v.generic for v in catalogue.variants(catalogue.BUG)}
    rows = summarize(results_mod.load(results), labels)
    judge_points(rows, {v.id: v.wrong_on for v in catalogue.variants(catalogue.BUG)})
    render(rows, Console(width=max(console.width, 150)) if not console.is_terminal else console)
    bad = [r for r in rows if not r["ok"]]
    count = {kind: sum(r["kind"] == kind for r in rows) for kind in _VERDICTS}
    n = figures(rows)
    console.print(
        f"{count['bug']} bugs, {count['alternative']} alternatives, "
        f"{count['hollow']} hollow answers; "
        f"{n['catalogue']} bugs named in feedback; "
        f"{len(bad)} problems"
    )
    console.print(
        f"named with the catalogue's names hidden (generic diagnoses alone): "
        f"{n['generic']} of {n['bugs']} bugs ({_percent(n['generic'], n['bugs'])}); "
        f"with both: {n['both']} ({_percent(n['both'], n['bugs'])}); "
        f"misnamed generically: {n['misnamed']} bugs; "
        f"alternatives given a generic name: {n['alternatives_named']}"
    )
    kept = points_figures(rows)
    console.print(
        "points kept: "
        + "; ".join(
            f"{tag} bugs {f['within']} of {f['bugs']} within their rule "
            f"({'at most' if tag == catalogue.ORDINARY else 'more than'} half; "
            f"mean kept {100 * f['mean_kept']:.0f}%)"
            for tag, f in kept.items()
        )
    )
    return 1 if bad else 0

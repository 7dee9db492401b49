"""Points and causes that follow the mistake, not the draw (``descent audit --draws K``), and the
share of each exercise's points on inputs written into its tests.

A grading draws its hidden inputs from the course's secret and the code graded
(:mod:`descent.grading.input_seed`): every course, and every version of a submission, is another
draw. A check that catches a mistake on some inputs only would catch it for some codes only, and
a diagnosis that names a cause on some inputs only would name it for some students only. With
``--draws K`` the audit grades every catalogued variant and corpus entry under K secrets
(:func:`draw_secrets`: the same K every time, so that a mover found is found again) and lists
each one whose points or named causes differ between the draws (:func:`movers`); exit 1 when any
does.

Inputs written into a test come back on every grading, whatever the code: an answer read in one
grading's feedback fits every later one. The results record which tests drew their inputs
(``drawn``); :func:`fixed_shares` gives each exercise's share of points on tests that drew
nothing, and the audit fails any above :data:`FIXED_SHARE_LIMIT`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .. import catalogue, results
from ..grading import input_seed
from ..kit import run_pytest

FIXED_SHARE_LIMIT = 0.25  # the most of an exercise's points that may rest on fixed inputs
AUDIT_SECRET = input_seed.KIT_SECRET  # the audit's own gradings and its first draw
_KINDS = (catalogue.BUG, catalogue.STUDENT, catalogue.ALTERNATIVE, catalogue.HOLLOW)


def draw_secrets(k: int) -> list[str]:
    """The secrets of the audit's K draws."""
    return [f"audit-draw-{i}" for i in range(1, k + 1)]


def outcomes(doc: dict[str, Any]) -> dict[str, tuple[str, float, tuple[str, ...]]]:
    """``kind:id`` -> (exercise, points, causes) of every variant graded in ``doc``: the causes
    are what its lost checks told as the likely mistake (a catalogued one, else a generic one);
    none for a hollow answer, which makes no mistake to name."""
    tests: dict[str, list[dict]] = defaultdict(list)
    for t in doc["tests"]:
        tests[t["implementation"]].append(t)
    out = {}
    for block in doc["implementations"]:
        if block["name"].partition(":")[0] not in _KINDS:
            continue
        mine = tests[block["name"]]
        lost = [t for t in mine if t["counted"] and t["outcome"] != results.PASSED]
        causes = {t.get("misconception") or t.get("diagnosis") for t in lost}
        exercise = mine[0]["exercise"] if mine else "?"
        # a hollow answer computes nothing: no mistake to name, its points alone are held
        hollow = block["name"].startswith(catalogue.HOLLOW + ":")
        out[block["name"]] = (
            exercise,
            round(block["points"], 6),
            () if hollow else tuple(sorted(c for c in causes if c and c != "ambiguous")),
        )
    return out


def movers(docs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The variants whose points or causes differ between the draws ``docs`` (one results
    document per draw): each with its exercise and its points and causes on every draw."""
    draws = [outcomes(doc) for doc in docs]
    found = []
    for name in sorted(set().union(*draws)):
        seen = [d.get(name) for d in draws]
        points = [s[1] if s else None for s in seen]
        causes = [s[2] if s else None for s in seen]
        if len(set(points)) > 1 or len(set(causes)) > 1:
            exercise = next(s[0] for s in seen if s)
            found.append(
                {"variant": name, "exercise": exercise, "points": points, "causes": causes}
            )
    return found


def spread(docs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per exercise: variants graded, how many moved in points and in causes, and the widest
    spread of one variant's points between the draws."""
    draws = [outcomes(doc) for doc in docs]
    rows: dict[str, dict[str, Any]] = {}
    for name in sorted(set().union(*draws)):
        seen = [d[name] for d in draws if name in d]
        row = rows.setdefault(
            seen[0][0],
            {"exercise": seen[0][0], "variants": 0, "points": 0, "causes": 0, "widest": 0.0},
        )
        points = [s[1] for s in seen]
        row["variants"] += 1
        row["points"] += len(set(points)) > 1
        row["causes"] += len({s[2] for s in seen}) > 1
        row["widest"] = max(row["widest"], max(points) - min(points))
    return sorted(rows.values(), key=lambda r: r["exercise"])


def render_movers(found: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="points or causes that move between draws", title_justify="left")
    for col in ("variant", "exercise", "points per draw", "causes per draw"):
        table.add_column(col)
    for m in found:
        table.add_row(
            m["variant"],
            m["exercise"],
            ", ".join("-" if p is None else f"{p:g}" for p in m["points"]),
            " | ".join("-" if c is None else ", ".join(c) or "none" for c in m["causes"]),
        )
    console.print(table)


def fixed_shares(doc: dict[str, Any]) -> dict[str, float]:
    """Exercise -> the share of its points on tests that drew no inputs (in any implementation
    graded in ``doc``: a test draws the same way for every one)."""
    weight: dict[tuple[str, str], float] = {}
    drawn: dict[tuple[str, str], bool] = {}
    for t in doc["tests"]:
        if not t["counted"]:
            continue
        key = (t["exercise"], t["nodeid"].split("[", 1)[0] + _params(t))
        weight[key] = max(weight.get(key, 0.0), t["max_points"])
        drawn[key] = drawn.get(key, False) or bool(t.get("drawn"))
    total: dict[str, float] = defaultdict(float)
    fixed: dict[str, float] = defaultdict(float)
    for key, w in weight.items():
        total[key[0]] += w
        fixed[key[0]] += 0.0 if drawn[key] else w
    return {ex: fixed[ex] / total[ex] for ex in sorted(total) if total[ex] > 0}


def _params(test: dict[str, Any]) -> str:
    """A test's parameters without its implementation (one key per test across variants)."""
    cid = test["nodeid"].partition("[")[2].rstrip("]")
    return "[" + cid.replace(test["implementation"], "") + "]"


def fixed_share_lines(shares: dict[str, float]) -> tuple[list[str], list[str]]:
    """The lines the audit prints (exercises with any points on fixed inputs, most first) and
    the exercises above :data:`FIXED_SHARE_LIMIT`."""
    over = [ex for ex, share in shares.items() if share > FIXED_SHARE_LIMIT + 1e-9]
    some = sorted((s, ex) for ex, s in shares.items() if s > 0)[::-1]
    listed = ", ".join(f"{ex} {100 * s:.0f}%" for s, ex in some) or "none"
    lines = [
        f"points on inputs written into the tests (at most {100 * FIXED_SHARE_LIMIT:.0f}% of an "
        f"exercise's; the others all drawn): {listed}"
    ]
    if over:
        lines.append(f"over {100 * FIXED_SHARE_LIMIT:.0f}%: {', '.join(over)}")
    return lines, over


def grade_draws(
    suites: list[str], specs: list[str], k: int, *, device: str, path: Path
) -> list[dict[str, Any] | None]:
    """The results document of each of K gradings of ``specs`` (None where a run did not
    complete), each under its own secret (:func:`draw_secrets`), written beside ``path`` as
    ``NAME-draw-I.json``."""
    docs = []
    for i, secret in enumerate(draw_secrets(k), 1):
        drawn = path.with_name(f"{path.stem}-draw-{i}{path.suffix}")
        with input_seed.secret_in_environment(secret):
            code = run_pytest(suites, specs, device=device, results=drawn)
        docs.append(results.load(drawn) if code in (0, 1) else None)
    return docs


def draws(
    k: int,
    *,
    suites: list[str],
    specs: list[str],
    device: str,
    console: Console,
    path: Path,
) -> int:
    """``descent audit --draws K``: exit 1 listing each variant whose points or causes move
    between K draws, 0 when none does, 2 when a grading did not complete."""
    graded_docs = grade_draws(suites, specs, k, device=device, path=path)
    docs = [doc for doc in graded_docs if doc is not None]
    if len(docs) < len(graded_docs):
        console.print("[red]a grading of the draws did not complete[/red]")
        return 2
    found = movers(docs)
    graded = len(outcomes(docs[0]))
    if found:
        render_movers(found, console)
    console.print(
        f"{graded} variants graded under {k} secrets: {len(found)} whose points or named "
        f"causes differ between draws",
        markup=False,
    )
    return 1 if found else 0

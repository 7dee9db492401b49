"""``descent audit``: grade the graders.

Runs the hidden graders once over every catalogued variant (each only on its own exercise's tests)
and checks the three promises the graders make: every buggy variant loses points, every
alternative correct implementation keeps full marks, and every hollow answer (code that computes
nothing: zeros, ones, random values or the input handed back) scores exactly 0. For each bug the
table shows which checks caught it and whether the failure message named the misconception.

It also measures the generic diagnoses (``descent.diagnoses.values``) with the catalogue's names hidden:
a bug is *named generically* when a failure it caused carries a generic diagnosis of a kind the
bug is labelled with (``bug(..., generic=...)``), and *misnamed* when one carries a kind it is not
labelled with (an "several explanations fit" diagnosis names nothing, rightly or wrongly). The
summary gives that figure and the figure with both (the catalogue's own name, or a correct
generic one) and counts any generic name given to an alternative or a misnamed bug.

The student-style corpus (``graders/corpus``, ``--impl student:*``) is audited beside the
catalogue and reported apart: its bugs must lose points as catalogued ones must, and its figures
(named generically, misnamed) measure the generic diagnoses on code written the way students
write it. For each set the summary also gives the share of its exercise's points a bug keeps, for
the bugs wrong on ordinary inputs and for those wrong only at an edge (``wrong_on``): the mean and
the worst.

Points must follow what is wrong (:func:`judge_points`): a bug of either set tagged
``wrong_on="ordinary"`` (wrong on the inputs a course uses every day) keeps at most half of its
exercise's points, one tagged ``"edge"`` (wrong only at a boundary, at extreme values or in a rare
mode) keeps more than half; a bug that breaks its rule, or has no tag, is a problem like a missed
one. On a GPU (``--device cuda``) a bug is held to its ``wrong_on_cuda`` where it declares one;
a run of both devices (``--device all``) holds a bug whose two tags differ to neither.

Before grading it checks what the catalogue must hold (:mod:`descent.authoring.completeness`,
the rules the kit's tests check too): each exercise's docstring formula typed literally and its
hollow answers, and a bug labelled with each kind of generic diagnosis; each one missing is a
problem.

Then it grades the public tests (``exercises/``) with the catalogue's variants and holds them to
their own promises (:mod:`descent.authoring.audit_public`): a hollow answer scores 0 there too, an
alternative keeps full marks, a classic mistake is named, an argument edited in place is caught
as such.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import catalogue, results
from .. import results as results_mod
from ..errors import DescentError
from ..kit import kit_root, run_pytest
from . import (
    audit_draws,
    audit_labelled,
    audit_public,
    completeness,
    generic_cache,
    generic_jobs,
    generic_names,
)

# The sets of bugs the audit reports apart, by the kind of variant of their bugs.
SETS = {catalogue.BUG: "catalogue", catalogue.STUDENT: "student-style corpus"}
# What each choice of --corpus grades.
SPECS = {
    "catalogue": ["bug:*", "alternative:*", "hollow:*"],
    "student": ["student:*"],
    "all": ["bug:*", "alternative:*", "hollow:*", "student:*"],
}


def summarize(
    doc: dict[str, Any],
    labels: dict[str, tuple[str, ...]] | None = None,
    wrong_on: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One row per variant: kind, id, exercise, points, verdict, catching checks, named or not,
    where it is wrong (``wrong_on``: bug id -> "ordinary" or "edge"), and the generic diagnoses
    its failures got, judged against ``labels`` (bug id -> kinds)."""
    labels, wrong_on = labels or {}, wrong_on or {}
    tests_by_impl: dict[str, list[dict]] = defaultdict(list)
    for t in doc["tests"]:
        tests_by_impl[t["implementation"]].append(t)
    rows = []
    for block in doc["implementations"]:
        kind, _, vid = block["name"].partition(":")
        if kind not in _VERDICTS:
            continue
        tests = tests_by_impl[block["name"]]
        lost = [t for t in tests if t["counted"] and t["outcome"] != results.PASSED]
        exercise = tests[0]["exercise"] if tests else "?"
        buggy = kind in catalogue.BUGGY
        if buggy:
            ok = bool(lost)
        elif kind == catalogue.HOLLOW:
            ok = block["max_points"] > 0 and block["points"] == 0
        else:
            ok = not lost and block["max_points"] > 0
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
                "wrong_on": wrong_on.get(vid, ""),
                **_generic(lost, labels.get(vid, ()), judged=buggy),
            }
        )
    return rows


def _generic(lost: list[dict], labels: tuple[str, ...], *, judged: bool) -> dict[str, Any]:
    """The generic kinds ``lost`` tests were diagnosed with; only a bug's are judged (a hollow
    answer is wrong in every way at once). ``generic_cut_short``: a diagnosis of one of them ran
    out of time, so the kinds may differ on another machine."""
    kinds = sorted({t["diagnosis"] for t in lost if t.get("diagnosis")} - {"ambiguous"})
    observed = any(
        line.startswith("observed:") for t in lost for line in (t.get("message") or "").splitlines()
    )
    return {
        "generic": kinds,
        "labels": list(labels) if judged else [],
        "generic_named": judged and bool(set(kinds) & set(labels)),
        "generic_wrong": sorted(set(kinds) - set(labels)) if judged else [],
        # no generic cause, only what the values showed ("observed: ...")
        "generic_observed": judged and not kinds and observed,
        "generic_cut_short": any(t.get("diagnosis_cut_short") for t in lost),
    }


def figures(rows: list[dict[str, Any]], kind: str = catalogue.BUG) -> dict[str, int]:
    """The counts the summary line prints for the bugs of ``kind`` (catalogued bugs, or the
    corpus's student-style ones): bugs, named by the catalogue, named by the generic diagnoses
    alone, by either, misnamed generically, alternatives given a generic name."""
    bugs = [r for r in rows if r["kind"] == kind]
    return {
        "bugs": len(bugs),
        "catalogue": sum(r["named"] for r in bugs),
        "generic": sum(r["generic_named"] for r in bugs),
        "both": sum(r["named"] or r["generic_named"] for r in bugs),
        "misnamed": sum(bool(r["generic_wrong"]) for r in bugs),
        "observed": sum(bool(r.get("generic_observed")) and not r["named"] for r in bugs),
        "alternatives_named": sum(bool(r["generic"]) for r in rows if r["kind"] == "alternative"),
    }


def points_kept(rows: list[dict[str, Any]], kind: str = catalogue.BUG) -> dict[str, dict]:
    """For the bugs of ``kind`` wrong on ordinary inputs and for those wrong only at an edge:
    how many, and the share of its exercise's points a bug keeps, on average and at worst
    (with the worst bug's id). Bugs whose exercise ran no test are left out."""
    kept: dict[str, dict] = {}
    for where in catalogue.WRONG_ON:
        shares = sorted(
            (r["points"] / r["max_points"], r["id"])
            for r in rows
            if r["kind"] == kind and r["wrong_on"] == where and r["max_points"] > 0
        )
        kept[where] = {
            "bugs": len(shares),
            "mean": sum(share for share, _ in shares) / len(shares) if shares else None,
            "worst": shares[-1][0] if shares else None,
            "worst_id": shares[-1][1] if shares else None,
        }
    return kept


def judge_points(rows: list[dict[str, Any]]) -> None:
    """Give each bug row whose points break its tag's rule a ``points_problem``, and each whose
    label no generic diagnosis confirms a ``label_problem`` (the row is then not ok); the others
    empty ones."""
    for r in rows:
        if r["kind"] in catalogue.BUGGY:
            r["points_problem"] = points_problem(r["points"], r["max_points"], r["wrong_on"])
            # a corpus entry's label is the truth its names are measured against, not a claim
            r["label_problem"] = label_problem(r) if r["kind"] == catalogue.BUG else ""
            if r["points_problem"] or r["label_problem"]:
                r["ok"] = False


def label_problem(row: dict[str, Any]) -> str:
    """What is wrong with a bug's label ("" if nothing): labelled with kinds of which no
    diagnosis of its failures names one. A label is a claim that the generic diagnoses name the
    bug; unconfirmed, it would count the bug as measuring a kind it does not. A diagnosis cut
    short may name other kinds on a faster machine, so it is not judged."""
    if not row.get("labels") or row["generic_named"] or row["generic_cut_short"]:
        return ""
    named = ", ".join(row["generic"]) or "nothing"
    return f"labelled {', '.join(row['labels'])}, but the diagnoses name {named}"


# A run of both devices mixes a bug's CPU points with its GPU points: where its tags differ
# there, neither rule holds (audit each device apart).
MIXED = "mixed"


def where_wrong(v: catalogue.Variant, device: str) -> str:
    """The tag ``v``'s points are held to when the tests ran on ``device`` ("cpu", "cuda" or
    "all"): ``wrong_on``, or ``wrong_on_cuda`` on a GPU where the bug declares one."""
    gpu = v.wrong_on_cuda or v.wrong_on
    if device == "cpu" or gpu == v.wrong_on:
        return v.wrong_on
    return gpu if device == "cuda" else MIXED


def points_problem(points: float, max_points: float, wrong_on: str) -> str:
    """What is wrong with a bug keeping ``points`` of ``max_points`` for its tag ("" if nothing)."""
    kept = f"keeps {points:.3g}/{max_points:.3g}"
    half = max_points / 2
    if wrong_on == MIXED:
        return ""
    if wrong_on == catalogue.ORDINARY and points > half + 1e-9:
        return f"{kept}: wrong on everyday inputs, it may keep at most half"
    if wrong_on == catalogue.EDGE and points <= half + 1e-9:
        return f"{kept}: wrong only at an edge, it must keep more than half"
    if wrong_on not in catalogue.WRONG_ON:
        return "no wrong_on tag (ordinary or edge)"
    return ""


def _rule_text(rows: list[dict[str, Any]], kind: str) -> str:
    """How many bugs of ``kind`` keep what their tag allows, per tag."""
    parts = []
    for where, rule in ((catalogue.ORDINARY, "at most"), (catalogue.EDGE, "more than")):
        mine = [r for r in rows if r["kind"] == kind and r["wrong_on"] == where]
        within = sum(not points_problem(r["points"], r["max_points"], where) for r in mine)
        parts.append(f"{within} of {len(mine)} {where} bugs keep {rule} half")
    return "; ".join(parts)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _kept_text(kept: dict[str, dict]) -> str:
    parts = []
    for where, k in kept.items():
        if k["bugs"]:
            parts.append(
                f"{where} bugs ({k['bugs']}) keep {100 * k['mean']:.0f}% on average, "
                f"{100 * k['worst']:.0f}% at worst ({k['worst_id']})"
            )
    return "; ".join(parts) or "no bug is tagged ordinary or edge"


def summary_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The figures of each set of bugs present in ``rows``, the catalogue first: how many bugs
    the generic diagnoses name (the catalogue's names hidden) and misname, and the points kept by
    ordinary and by edge bugs."""
    lines = []
    for kind, title in SETS.items():
        n = figures(rows, kind)
        if not n["bugs"]:
            continue
        named = (
            f"named generically (the catalogue's names hidden): {n['generic']} of {n['bugs']} "
            f"bugs ({_percent(n['generic'], n['bugs'])}); observed only (what the values show, "
            f"no cause): {n['observed']} ({_percent(n['observed'], n['bugs'])}); misnamed (a "
            f"wrong cause): {n['misnamed']} ({_percent(n['misnamed'], n['bugs'])})"
        )
        if kind == catalogue.BUG:
            named += (
                f"; named by the catalogue or generically: {n['both']} "
                f"({_percent(n['both'], n['bugs'])}); alternatives given a generic name: "
                f"{n['alternatives_named']}"
            )
        lines.append(f"{title}: {named}")
        lines.append(
            f"{title}, points kept: {_kept_text(points_kept(rows, kind))}; {_rule_text(rows, kind)}"
        )
    return lines


# kind -> (verdict when the promise holds, verdict when it is broken)
_VERDICTS = {
    "bug": ("caught", "MISSED"),
    "student": ("caught", "MISSED"),
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
        elif r.get("label_problem"):
            verdict = f"[red]{escape(r['label_problem'])}[/red]"
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


def audit(
    *,
    device: str,
    console: Console,
    results: Path,
    modules: list[str] = (),
    corpus: str = "all",
    labelled: Path | None = None,
) -> int:
    """Grade every catalogued variant and every student-style bug of the corpus (``corpus``:
    ``catalogue``, ``student`` or ``all``), of ``modules`` only when given (``losses``, ...);
    with ``labelled``, a folder of labelled submissions of real code too
    (:mod:`descent.authoring.audit_labelled`), whose figure is printed beside the others and
    whose problems (a wrong cause among them) fail the audit."""

    suites = suites_of(modules, console)
    if suites is None:
        return 2
    # a folder of another layout is refused before anything is graded
    subs = audit_labelled.load(labelled, modules) if labelled is not None else []
    held = completeness.problems(kit_root(), modules)  # what the catalogue lacks, as the suite
    code = run_pytest(suites, SPECS[corpus], device=device, results=results)
    if code not in (0, 1):
        console.print(f"[red]audit did not complete (pytest exit code {code})[/red]")
        return code
    buggy = [v for kind in catalogue.BUGGY for v in catalogue.variants(kind)]
    labels = {v.id: v.generic for v in buggy}
    wrong_on = {v.id: where_wrong(v, device) for v in buggy}
    doc = results_mod.load(results)
    rows = summarize(doc, labels, wrong_on)
    judge_points(rows)
    render(rows, Console(width=max(console.width, 150)) if not console.is_terminal else console)
    # an exercise with more than its share of points on inputs written into its tests
    shares, over = audit_draws.fixed_share_lines(audit_draws.fixed_shares(doc))
    bad = [r for r in rows if not r["ok"]] + [{"fixed": ex} for ex in over]
    failed = 1 if bad or held else 0
    count = {kind: sum(r["kind"] == kind for r in rows) for kind in _VERDICTS}
    n = figures(rows)
    console.print(
        f"{count['bug']} bugs, {count['alternative']} alternatives, "
        f"{count['hollow']} hollow answers, {count['student']} student-style bugs; "
        f"{n['catalogue']} bugs named in feedback; "
        f"{len(bad) + len(held)} problems"
    )
    for line in held:
        console.print(f"[red]{escape(line)}[/red]")
    for line in summary_lines(rows) + shares:
        console.print(line, markup=False, soft_wrap=True)
    if labelled is not None:
        failed = max(
            failed,
            audit_labelled.report(
                subs, labelled, draws=1, device=device, results=results, console=console
            ),
        )
    if corpus == "student":  # the public half grades the catalogue's variants only
        return failed
    public = audit_public.audit(
        device=device, console=console, hidden_results=results, modules=modules
    )
    return max(failed, public)


def suites_of(modules: Sequence[str], console: Console) -> list[str] | None:
    """The graders of ``modules`` (all when empty); ``None``, said on ``console``, when one of
    them has none."""
    suites = [f"graders/test_{m}.py" for m in modules] or ["graders"]
    missing = [s for s in suites if not (kit_root() / s).exists()]
    if missing:
        console.print(f"no such graders: {', '.join(missing)}", markup=False)
        return None
    return suites


def variant_modules() -> dict[str, str]:
    """``kind:id`` -> module, for every loaded variant of the catalogue and the corpus."""
    return {
        f"{v.kind}:{v.id}": v.exercise.split(".")[0]
        for kind in _VERDICTS
        for v in catalogue.variants(kind)
    }


def generic_guard(
    *,
    record: bool,
    device: str,
    console: Console,
    results: Path,
    modules: Sequence[str] = (),
    regrade: bool = False,
    jobs: int = 1,
) -> int:
    """The pre-emption guard (:mod:`descent.authoring.generic_names`): the generic names of the
    catalogue's variants and the corpus's (of ``modules`` only when given), each module's
    replayed from the guard's cache where nothing that decides them changed since it was graded
    (:mod:`descent.authoring.generic_cache`), graded with the hidden graders otherwise (all of
    them with ``regrade``; ``jobs`` processes at most); a module whose entries the record stamps
    as made from its inputs now is taken as checked (:func:`generic_names.made_from`). Then
    written to the record with their stamps (``record``) or compared with it: exit 1 when any
    moved or a recorded one is missing, 0 otherwise (new variants are listed, and pass)."""
    root = kit_root()
    path = root / generic_names.RECORD
    before = _record_before(path, record, modules)
    if modules and suites_of(modules, console) is None:
        return 2
    load_variants(root)
    where = variant_modules()
    graded = generic_docs(
        root,
        where,
        modules,
        device=device,
        console=console,
        results=results,
        regrade=regrade,
        jobs=jobs,
        recorded=before,
    )
    if graded.code == TREE_CHANGED:
        return graded.code  # said, module by module
    if graded.code not in (0, 1):
        console.print(
            f"[red]the grading run did not complete (pytest exit code {graded.code})[/red]"
        )
        return graded.code
    rows = [r for doc in graded.docs.values() for r in summarize(doc)]
    after = _stamped(generic_names.from_rows(rows, where), before, graded)
    if record:
        path.write_text(generic_names.dumps(generic_names.merged(before, after, modules)))
        console.print(
            f"recorded the generic names of {len(rows)} variants to {generic_names.RECORD} "
            f"({len(after.cut_short)} cut short by a time limit), each module's stamped with "
            f"its inputs"
            + (f"; kept as they were: {', '.join(graded.vouched)}" if graded.vouched else ""),
            markup=False,
        )
        return 0
    comparison = generic_names.compare(before, after, modules)
    console.print(generic_names.report(comparison), markup=False)
    stale = [m for m in graded.docs if not generic_names.made_from(before, m, graded.inputs[m])]
    if stale and not comparison.fails:
        console.print(generic_names.restamp(stale), markup=False)
    return 1 if comparison.fails else 0


def _record_before(path: Path, record: bool, modules: Sequence[str]) -> generic_names.Record:
    """The record as it is: a check needs one, and so does a module's record, which goes into
    it (both refuse before grading); a whole record reads its stamps when it can."""
    if modules or not record:
        return generic_names.load(path)
    try:
        return generic_names.load(path)
    except DescentError:
        return generic_names.Record()


def _stamped(
    after: generic_names.Record, before: generic_names.Record, graded: Graded
) -> generic_names.Record:
    """``after`` (the names graded or replayed) stamped with their inputs, and with the
    entries, cut short marks and stamps of the modules taken as checked from ``before``."""
    for module in graded.docs:
        generic_names.stamp(after, module, graded.inputs[module])
    if not graded.vouched:
        return after
    return generic_names.merged(after, before, graded.vouched)


def load_variants(root: Path) -> None:
    """Load the catalogue and the corpus of the kit at ``root`` (what :func:`variant_modules`
    then lists), as a grading run does."""
    for kind in (catalogue.BUG, catalogue.STUDENT):
        folder = root / "graders" / catalogue.FOLDERS[kind]
        if folder.is_dir():
            catalogue.load(folder)


TREE_CHANGED = 3  # the guard's exit status when the kit changed while it graded


@dataclass
class Graded:
    """What :func:`generic_docs` found: per module graded or replayed, its variants' tests and
    implementation blocks (``docs``) and its inputs (``inputs``, for every module chosen); the
    modules taken as checked from the record's stamps (``vouched``); the gradings' pytest code
    (0 when nothing was graded, :data:`TREE_CHANGED` when the kit changed meanwhile)."""

    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    code: int = 0
    inputs: dict[str, generic_cache.Inputs] = field(default_factory=dict)
    vouched: list[str] = field(default_factory=list)


def generic_docs(
    root: Path,
    where: dict[str, str],
    modules: Sequence[str],
    *,
    device: str,
    console: Console,
    results: Path,
    regrade: bool,
    jobs: int,
    recorded: generic_names.Record | None = None,
) -> Graded:
    """Per module (``modules``, else every module with variants), its variants' tests and
    implementation blocks: taken as checked where ``recorded`` stamps its entries as made from
    its inputs now (unless ``regrade``), else replayed from the cache, or graded now (and kept
    there). ``where``: :func:`variant_modules`."""
    chosen = list(modules) or sorted(set(where.values()))
    keys = {m: sorted(k for k, of in where.items() if of == m) for m in chosen}
    options = [f"--device={device}"]  # what the gradings are given, and keyed on
    cache = generic_cache.Cache(root / generic_cache.FOLDER)
    found = {m: generic_cache.inputs(root, m, keys[m], options) for m in chosen}
    vouched = [
        m
        for m in chosen
        if recorded is not None and not regrade and generic_names.made_from(recorded, m, found[m])
    ]
    docs = {m: None if regrade else cache.replay(m, found[m]) for m in chosen if m not in vouched}
    stale = [m for m in docs if docs[m] is None]
    _say_what_is_graded(console, cache, found, stale, vouched, regrade, recorded)
    if not stale:
        return Graded(docs, 0, found, vouched)
    graded, code = _grade_modules(
        root, stale, keys, where, cache, device=device, results=results, jobs=jobs
    )
    if code not in (0, 1):
        return Graded(code=code)
    moved = {m: generic_cache.inputs(root, m, keys[m], options).changed(found[m]) for m in stale}
    if any(moved.values()):  # its gradings may have read old code and new: never kept
        for module, changed in moved.items():
            if changed:
                console.print(
                    f"[red]the kit changed while {module} was graded ({'; '.join(changed)}): "
                    "its generic names may mix the code before and after; nothing was kept, "
                    "run the guard again[/red]"
                )
        return Graded(code=TREE_CHANGED)
    for module in stale:
        docs[module] = graded.get(module) or {"implementations": [], "tests": []}
        seconds = sum(t.get("duration_s", 0.0) for t in docs[module]["tests"])
        cache.store(module, found[module], docs[module], seconds)
    return Graded(docs, code, found, vouched)


def _say_what_is_graded(
    console: Console,
    cache: generic_cache.Cache,
    found: dict[str, generic_cache.Inputs],
    stale: list[str],
    vouched: list[str],
    regrade: bool,
    recorded: generic_names.Record | None,
) -> None:
    if vouched:
        console.print(
            f"taken as checked ({generic_names.RECORD.as_posix()} stamps their names as made "
            f"from their inputs now): {', '.join(vouched)}",
            markup=False,
        )
    replayed = [m for m in found if m not in stale and m not in vouched]
    if replayed:
        console.print(
            f"replayed from {generic_cache.FOLDER.as_posix()} (nothing that decides their "
            f"generic names changed since they were graded): {', '.join(replayed)}",
            markup=False,
        )
    why: dict[str, list[str]] = {}  # modules graded for the same reason are named together
    for module in stale:
        reason = "--regrade" if regrade else _reason(cache, found, module, recorded)
        why.setdefault(reason, []).append(module)
    for reason, graded in why.items():
        console.print(f"grading {', '.join(graded)}: {reason}", markup=False)


def _reason(
    cache: generic_cache.Cache,
    found: dict[str, generic_cache.Inputs],
    module: str,
    recorded: generic_names.Record | None,
) -> str:
    """Why ``module`` is graded: what changed since the cache's last grading of it, else why
    the record's stamp does not hold (a fresh clone has no cache)."""
    last = cache.latest(module)
    if last is not None:
        return "; ".join(found[module].changed(last)) or "its entry is unreadable"
    stamp = (
        "" if recorded is None else generic_names.why_not_made_from(recorded, module, found[module])
    )
    return "not graded here before" + (f", and {stamp}" if stamp else "")


def _grade_modules(
    root: Path,
    stale: list[str],
    keys: dict[str, list[str]],
    where: dict[str, str],
    cache: generic_cache.Cache,
    *,
    device: str,
    results: Path,
    jobs: int,
) -> tuple[dict[str, dict[str, Any]], int]:
    """Grade the variants of each of the ``stale`` modules with its graders file, in a process
    of its own (:mod:`descent.authoring.generic_jobs`), ``jobs`` at a time, the longest first
    (as last graded); their tests and blocks per module, and the worst pytest code. Each
    writes ``results`` named after its module (``results-losses.json``)."""
    present = [m for m in stale if (root / "graders" / f"test_{m}.py").exists()]
    cost = {m: cache.seconds(m) or 2.0 * len(keys[m]) for m in present}
    runs = []
    for module in sorted(present, key=lambda m: (-cost[m], m)):
        specs = list(keys[module])
        if len(specs) == 1 and len(where) > 1:  # several implementations: own exercise only
            specs.append(next(k for k in where if k != specs[0]))
        out = results.with_name(f"{results.stem}-{module}.json")
        runs.append(([f"graders/test_{module}.py"], specs, out))
    codes = generic_jobs.run(root, runs, device=device, jobs=jobs)
    code = max(codes, default=0, key=lambda c: (c not in (0, 1), c))
    if code not in (0, 1):
        return {}, code
    docs: dict[str, dict[str, Any]] = {}
    for _, _, out in runs:
        docs.update(generic_cache.split(results_mod.load(out), where))
    return docs, code

"""The public half of ``descent audit``: the student's tests (``exercises/``) graded with every
catalogued variant, and held to what the kit's own tests require of them.

A student runs the public tests after every edit, so they must not reward what the hidden graders
refuse, nor refuse what is right. For each variant that ran (:func:`problems`):

- a hollow answer scores 0 there too: a check that code computing nothing passes is a supporting
  check (``@pytest.mark.supporting``), or it hands out points for nothing;
- an alternative correct implementation keeps full marks;
- a classic mistake (``bug(..., classic=True)``: one the docstring warns about) fails a public
  check whose failure names it;
- a bug that edits what it was given (labelled with the generic kind :data:`EDITS`) fails a
  public ``[arguments unchanged]`` check, the words the hidden graders use;
- the variant's exercise has public tests at all.

Other bugs may pass: the public tests are a quick loop, the hidden graders the battery.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import catalogue, results
from .kit import kit_root, run_pytest

# The generic diagnosis that labels a bug editing its arguments in place; the kit's tests take
# their list of such bugs from it too (tests/test_grading_outcomes.py).
EDITS = "inplace"
UNCHANGED = "[arguments unchanged]"
# The variants held to a promise of the public tests (the same as the hidden half grades).
KINDS = (catalogue.BUG, catalogue.ALTERNATIVE, catalogue.HOLLOW)
SPECS = [f"{kind}:*" for kind in KINDS]


def edits_arguments(variant: catalogue.Variant) -> bool:
    """Whether ``variant`` is a bug that edits an argument in place (its generic label)."""
    return variant.kind == catalogue.BUG and EDITS in variant.generic


def results_path(hidden: Path) -> Path:
    """Where the public run's results go: beside the hidden run's (``results-public.json``)."""
    return hidden.with_name(f"{hidden.stem}-public{hidden.suffix}")


@dataclass(frozen=True)
class Problem:
    """One broken promise of the public tests: the variant, its exercise and public points, and
    what is wrong, in words an author can act on."""

    kind: str
    id: str
    exercise: str
    points: str
    what: str


def problems(doc: dict[str, Any], variants: list[catalogue.Variant]) -> list[Problem]:
    """The broken promises of the public run ``doc`` for ``variants`` (those that did not run,
    a module left out by ``--module``, are skipped)."""
    blocks = {b["name"]: b for b in doc["implementations"]}
    tests: dict[str, list[dict]] = defaultdict(list)
    for t in doc["tests"]:
        if t["counted"]:
            tests[t["implementation"]].append(t)
    found = []
    for v in variants:
        block = blocks.get(f"{v.kind}:{v.id}")
        if block is None:
            continue
        what = _broken(v, block, tests[block["name"]])
        if what:
            shown = f"{block['points']:.3g}/{block['max_points']:.3g}"
            found.append(Problem(v.kind, v.id, v.exercise, shown, what))
    return found


def _broken(v: catalogue.Variant, block: dict, tests: list[dict]) -> str:
    """What ``v``'s public results break ("" if nothing)."""
    if block["max_points"] == 0:
        return f"no public test of {v.exercise} ran: write them in exercises/"
    failed = [t for t in tests if t["outcome"] != results.PASSED]
    if v.kind == catalogue.HOLLOW and block["points"] > 0:
        earned = sorted({_function(t) for t in tests if t["points"] > 0})
        return (
            f"code that computes nothing earns public points from {', '.join(earned)}: mark a "
            "check it passes @pytest.mark.supporting(), or check a value"
        )
    if v.kind == catalogue.ALTERNATIVE and failed:
        lost = sorted({_function(t) for t in failed})
        return f"a correct version fails {', '.join(lost)}"
    if v.kind != catalogue.BUG:
        return ""
    if v.classic and not any(t["misconception"] == v.id for t in failed):
        caught = "fails no public check" if not failed else "fails, but no failure names it"
        return (
            f"a classic mistake (the docstring warns of it) {caught}: give the public check "
            "mistakes=[Mistake(...)] with its value"
        )
    if edits_arguments(v) and not any(t["message"].startswith(UNCHANGED) for t in failed):
        return (
            "edits its arguments, but no public check fails it as 'arguments unchanged': "
            "watch them with check.unmodified(...) or check.that(..., check='arguments "
            "unchanged')"
        )
    return ""


def _function(test: dict) -> str:
    """A test's name without its parameters (the implementation's among them)."""
    return test["name"].split("[", 1)[0]


def audit(
    *, device: str, console: Console, hidden_results: Path, modules: Sequence[str] = ()
) -> int:
    """Grade the public tests (of ``modules`` only, when given) with every catalogued variant
    and report what breaks a promise. Returns 0 when nothing does, 1 when something does, and
    pytest's code (2 or more) when the run did not complete."""
    suites = [f"exercises/test_{m}.py" for m in modules] or ["exercises"]
    missing = [s for s in suites if not (kit_root() / s).exists()]
    if missing:
        console.print(f"public tests: no such file: {', '.join(missing)}", markup=False)
        return 1
    path = results_path(hidden_results)
    code = run_pytest(suites, SPECS, device=device, results=path)
    if code not in (0, 1):
        console.print(f"[red]the public half did not complete (pytest exit code {code})[/red]")
        return code
    doc = results.load(path)
    ran = {b["name"] for b in doc["implementations"]}
    variants = [v for kind in KINDS for v in catalogue.variants(kind) if f"{kind}:{v.id}" in ran]
    found = problems(doc, variants)
    if found:
        render(found, console)
    console.print(summary(variants, found), markup=False)
    return 1 if found else 0


def summary(variants: list[catalogue.Variant], found: list[Problem]) -> str:
    """The public half's line: what was held to which promise, and how many broke one."""
    count = {kind: sum(v.kind == kind for v in variants) for kind in KINDS}
    classic = sum(v.kind == catalogue.BUG and v.classic for v in variants)
    edits = sum(edits_arguments(v) for v in variants)
    return (
        f"public tests: {count[catalogue.HOLLOW]} hollow answers (must score 0), "
        f"{count[catalogue.ALTERNATIVE]} alternatives (must keep full marks), "
        f"{classic} classic mistakes (must be named), {edits} bugs editing their arguments "
        f"(must fail 'arguments unchanged'); {len(found)} problems"
    )


def render(found: list[Problem], console: Console) -> None:
    table = Table(title="public tests: broken promises", title_justify="left")
    for col in ("kind", "variant", "exercise", "public points", "problem"):
        table.add_column(col, no_wrap=col in ("variant", "exercise"))
    for p in found:
        # ids, names and messages are text, never markup
        table.add_row(p.kind, Text(p.id), p.exercise, p.points, Text(p.what, style="red"))
    console.print(table)

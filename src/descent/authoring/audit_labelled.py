"""``descent audit --labelled DIR``: the feedback measured on labelled submissions of real code.

An instructor who has collected their own class's submissions and labelled them measures the
kit's feedback on those mistakes the way the audit measures it on the catalogue and the corpus.
The folder has the layout of a development set of real code:

    DIR/EXPECTED.json     {"submissions": {ID: {"target": "module.exercise",
                                              "label": "BUGGY" or "CORRECT",
                                              "named_pattern": REGEX,
                                              "also_pattern": REGEX (optional), ...}, ...}}
    DIR/subs/ID/          the submission: a folder of modules (losses.py, optim.py, ...)

``target`` is the exercise the submission's mistake (or its correct code) is in;
``named_pattern`` (BUGGY only) is a regular expression that the feedback names the mistake by,
matched against the lowercased text of the target exercise's lost tests (their messages and the
catalogued misconceptions they name). Each module's submissions are graded by that module's
hidden graders in one run, through the confined worker as any submission is. For each
submission:

* caught: a BUGGY one lost points on its target; a false fail: a CORRECT one lost points on any
  exercise of its module;
* named: its feedback matches ``named_pattern`` (a menu of several causes, "several
  explanations fit", and the checks' hints, said whatever the mistake, are left out first:
  they name none); another cause: it states a cause that
  the pattern does not match and none that it does; a menu only: it offers a menu and states no
  cause; observed only: it says what it observed and states no cause; silent: none of these;
* a wrong cause: each cause stated on the target (a lost test's catalogued misconception and its
  "likely mistake" line) that the pattern does not match, named or not: a problem, listed. A
  label's optional ``also_pattern`` matches the causes that are right without being the labelled
  mistake (another mistake the submission makes too, a convention it breaks): those are neither.

With ``draws`` (``descent audit --labelled DIR --draws K``) every module is graded under each of
the audit's K secrets (:func:`descent.authoring.audit_draws.draw_secrets`): a submission counts
as caught and named only when it is on every draw, and one whose points or causes (catalogued
misconception or generic kind) differ between the draws is a problem too. :func:`problems` lists
what fails the audit: a real bug missed, correct code failed, a wrong cause, a moving cause.
"""

from __future__ import annotations

import json
import re
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from .. import registry
from .. import results as results_mod
from ..errors import DescentError
from ..grading import input_seed
from ..kit import run_pytest
from .audit_draws import draw_secrets

LABELS = ("BUGGY", "CORRECT")
MENU = "ambiguous"  # the kind of a "several explanations fit" diagnosis: it names no cause
_MENU_LINE = "likely mistake: several explanations fit"
_CAUSE_LINE = "likely mistake:"
_HINT_LINE = "hint:"


@dataclass(frozen=True)
class Labelled:
    """One labelled submission: its folder, the exercise its label is about, and for a buggy
    one the pattern its feedback must match."""

    id: str
    folder: Path
    target: str
    buggy: bool
    pattern: str | None
    also: str | None = None  # the causes right beside the labelled one (``also_pattern``)

    @property
    def module(self) -> str:
        return self.target.split(".", 1)[0]


def load(folder: Path, modules: Sequence[str] = ()) -> list[Labelled]:
    """The labelled submissions of ``folder`` (of ``modules`` only, when given); a
    :class:`DescentError` that says what is wrong with a folder of another layout."""
    expected = folder / "EXPECTED.json"
    if not expected.is_file():
        raise DescentError(f"{folder}: no EXPECTED.json (see descent audit --help)")
    try:
        entries = json.loads(expected.read_text())["submissions"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DescentError(f"{expected}: not a labelled set ({exc})") from None
    if not isinstance(entries, dict):
        raise DescentError(f"{expected}: 'submissions' must map each id to its labels")
    out = []
    for sid, entry in sorted(entries.items()):
        out.append(_one(folder, str(sid), entry))
    return [s for s in out if not modules or s.module in modules]


def _one(folder: Path, sid: str, entry: Any) -> Labelled:
    where = f"{folder / 'EXPECTED.json'}: submission {sid!r}"
    if sid in ("", ".", "..") or Path(sid).name != sid or "\\" in sid:
        # an absolute path or a/b would name another folder than subs/ID, whose results the
        # figures never find: the entry would vanish from them without a word
        raise DescentError(
            f"{where}: an id is the name of its folder in {folder / 'subs'} (not a path)"
        )
    if not isinstance(entry, dict):
        raise DescentError(f"{where}: its labels must be an object")
    target, label = entry.get("target"), entry.get("label")
    if target not in registry.EXERCISES:
        raise DescentError(f"{where}: target {target!r} is no exercise of the kit")
    if label not in LABELS:
        raise DescentError(f"{where}: label {label!r} is not one of {', '.join(LABELS)}")
    pattern, also = entry.get("named_pattern"), entry.get("also_pattern")
    if label == "BUGGY":
        for key, value in (("named_pattern", pattern), ("also_pattern", also or "")):
            try:
                re.compile(value or "")
            except (re.error, TypeError) as exc:
                raise DescentError(f"{where}: {key} is no regular expression ({exc})") from None
        if not pattern:
            raise DescentError(f"{where}: a BUGGY submission needs a named_pattern")
    sub = folder / "subs" / sid
    if not sub.is_dir():
        raise DescentError(f"{where}: no folder {sub}")
    if label != "BUGGY":
        return Labelled(sid, sub, target, False, None)
    return Labelled(sid, sub, target, True, pattern, also or None)


def grade(
    subs: Sequence[Labelled], *, device: str, results: Path, draw: int = 0
) -> dict[str, dict[str, Any] | None]:
    """Each module's submissions graded by that module's hidden graders, one run per module
    (results beside ``results``, as ``NAME-labelled-MODULE.json``, or
    ``NAME-labelled-MODULE-draw-I.json`` for draw I): the results document of each module,
    ``None`` for a run that did not complete. Graded under the secret the environment holds."""
    docs: dict[str, dict[str, Any] | None] = {}
    tail = f"-draw-{draw}" if draw else ""
    for module in sorted({s.module for s in subs}):
        path = results.with_name(f"{results.stem}-labelled-{module}{tail}.json")
        path.unlink(missing_ok=True)
        folders = [str(s.folder) for s in subs if s.module == module]
        code = run_pytest([f"graders/test_{module}.py"], folders, device=device, results=path)
        docs[module] = results_mod.load(path) if code in (0, 1) and path.exists() else None
    return docs


def grade_draws(
    subs: Sequence[Labelled], k: int, *, device: str, results: Path
) -> list[dict[str, dict[str, Any] | None]]:
    """:func:`grade` under each of the audit's ``k`` secrets, one list entry per draw."""
    runs = []
    for i, secret in enumerate(draw_secrets(k), 1):
        with input_seed.secret_in_environment(secret):
            runs.append(grade(subs, device=device, results=results, draw=i))
    return runs


def measure(subs: Sequence[Labelled], docs: dict[str, dict[str, Any] | None]) -> list[dict]:
    """One row per submission graded: its label, whether it was caught (or false-failed), and
    what its feedback did (``named``, ``observed``, ``other``, ``silent``)."""
    rows = []
    for sub in subs:
        doc = docs.get(sub.module)
        block = _block(doc, sub) if doc else None
        if block is None:
            continue
        exercises = {x["id"]: x for x in block["exercises"]}
        target = exercises.get(sub.target)
        lost_anywhere = any(x["points"] < x["max_points"] - 1e-9 for x in exercises.values())
        lost = [
            t
            for t in doc["tests"]  # type: ignore[index]
            if t["implementation"] == block["name"]
            and t["exercise"] == sub.target
            and t.get("counted", True)
            and t["points"] < t["max_points"] - 1e-9
        ]
        caught = target is not None and target["points"] < target["max_points"] - 1e-9
        told = sub.buggy and caught
        causes = _causes(target, lost) if told else []
        rows.append(
            {
                "id": sub.id,
                "target": sub.target,
                "buggy": sub.buggy,
                "caught": caught if sub.buggy else None,
                "false_fail": (not sub.buggy) and lost_anywhere,
                "feedback": _feedback(sub, target, lost) if told else "",
                "wrong": [c for c in causes if not _right(sub, c)],
                "kinds": _kinds(lost) if told else (),
            }
        )
    return rows


def not_graded(subs: Sequence[Labelled], docs: dict[str, dict[str, Any] | None]) -> list[str]:
    """The submissions whose module's run completed but holds no result for them (left out of
    the figures: the caller says so)."""
    return [
        s.id
        for s in subs
        if docs.get(s.module) is not None and _block(docs[s.module], s) is None  # type: ignore[arg-type]
    ]


def _block(doc: dict[str, Any], sub: Labelled) -> dict[str, Any] | None:
    return next((b for b in doc["implementations"] if Path(b["name"]).name == sub.id), None)


def _feedback(sub: Labelled, target: dict[str, Any] | None, lost: list[dict]) -> str:
    """``named``, ``other``, ``menu``, ``observed`` or ``silent`` (see the module's docstring)."""
    named = list((target or {}).get("misconceptions") or [])
    lines = [line for t in lost for line in (t.get("message") or "").splitlines()]
    told = [line for line in lines if not line.lower().startswith(_MENU_LINE)]
    # a hint is the check's own sentence, said whatever the mistake: no evidence of a name
    said = [line for line in told if not line.startswith(_HINT_LINE)]
    if sub.pattern and _search(sub, "\n".join(named + said)):
        return "named"
    if _causes(target, lost):
        return "other"
    if len(told) < len(lines):
        return "menu"
    if any(line.startswith("observed:") for line in lines):
        return "observed"
    return "silent"


def _causes(target: dict[str, Any] | None, lost: list[dict]) -> list[str]:
    """The causes the feedback states on the target, each as the text its pattern is matched
    against: per lost test its catalogued misconception and its "likely mistake" line (a menu
    is none), and any other misconception the target names."""
    out, ids = [], set()
    for t in lost:
        said = [t["misconception"]] if t.get("misconception") else []
        ids.update(said)
        if t.get("diagnosis") != MENU:
            message = (t.get("message") or "").splitlines()
            said += [line for line in message if line.startswith(_CAUSE_LINE)]
            said = [line for line in said if not line.lower().startswith(_MENU_LINE)]
        if said and "\n".join(said) not in out:
            out.append("\n".join(said))
    more = [m for m in (target or {}).get("misconceptions") or [] if m not in ids]
    return out + [m for m in more if m not in out]


def _kinds(lost: list[dict]) -> tuple[str, ...]:
    """What the lost tests name, compared between draws: each one's catalogued misconception,
    else its generic kind (a menu names none). The texts are not compared: a value quoted in
    them moves with the inputs."""
    named = {t.get("misconception") or t.get("diagnosis") for t in lost}
    return tuple(sorted(k for k in named if k and k != MENU))


def _right(sub: Labelled, cause: str) -> bool:
    """Whether a stated cause is the labelled mistake or one its ``also_pattern`` admits."""
    return _search(sub, cause) or (sub.also is not None and _search(sub, cause, also=True))


MATCH_SECONDS = 2.0  # one pattern on one submission's feedback: far more than any sane one needs


class _Backtracking(Exception):
    pass


def _search(sub: Labelled, text: str, *, also: bool = False) -> bool:
    """Whether ``sub``'s pattern (its ``also_pattern`` with ``also``) matches ``text``, within :data:`MATCH_SECONDS`: a pattern that
    backtracks without end (``(a+)+$`` on a long run of ``a``) is refused with a
    :class:`DescentError` naming it, instead of holding the audit for minutes. Python's
    matcher checks for signals as it goes, so a timer stops it (in the main thread, where the
    command runs; elsewhere no timer can be set and the search is not bounded)."""
    text = text.lower()
    key, pattern = ("also_pattern", sub.also) if also else ("named_pattern", sub.pattern)
    if threading.current_thread() is not threading.main_thread():
        return re.search(pattern or "", text) is not None

    def stop(_signum, _frame):
        raise _Backtracking

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, MATCH_SECONDS)
    try:
        return re.search(pattern or "", text) is not None
    except _Backtracking:
        raise DescentError(
            f"submission {sub.id!r}: its {key} {pattern!r} ran past "
            f"{MATCH_SECONDS:g} s on the feedback (it backtracks, as nested quantifiers such "
            f"as (a+)+ do): write it without them"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def across(draws: Sequence[list[dict]]) -> list[dict]:
    """One row per submission from its rows of every draw (:func:`measure` of each): caught
    only when caught on every draw, a false fail when failed on any, named only when named on
    every draw (else the first other feedback), the wrong causes of every draw, and ``moved``:
    each draw's (caught, named, kinds) when they differ."""
    rows = []
    by_draw = [{r["id"]: r for r in rows_of} for rows_of in draws]
    for sid in [r["id"] for r in draws[0]] if draws else []:
        seen = [d[sid] for d in by_draw if sid in d]
        row = dict(seen[0])
        said = [r["feedback"] for r in seen]
        row["caught"] = all(r["caught"] for r in seen) if row["buggy"] else None
        row["false_fail"] = any(r["false_fail"] for r in seen)
        row["feedback"] = next((f for f in said if f != "named"), said[0])
        row["wrong"] = list(dict.fromkeys(c for r in seen for c in r["wrong"]))
        keys = [(r["caught"], r["feedback"] == "named", tuple(r["kinds"])) for r in seen]
        row["moved"] = keys if len(set(keys)) > 1 else []
        rows.append(row)
    return rows


def problems(rows: list[dict]) -> list[str]:
    """What fails the labelled audit, one line each: a real bug that kept its points, correct
    code that lost some, each wrong cause (its first line), and what moves between draws."""
    out = []
    for r in rows:
        where = f"{r['id']} ({r['target']})"
        if r["buggy"] and not r["caught"]:
            out.append(f"{where}: a real bug kept every point of its exercise")
        if r["false_fail"]:
            out.append(f"{where}: correct code lost points")
        for cause in r["wrong"]:
            out.append(f"{where}: a wrong cause: {' / '.join(cause.splitlines())}")
        if r.get("moved"):
            per_draw = "; ".join(
                f"draw {i}: {'caught' if c else 'missed'}, {'named' if n else 'not named'}, "
                f"{', '.join(k) or 'no cause'}"
                for i, (c, n, k) in enumerate(r["moved"], 1)
            )
            out.append(f"{where}: its points or causes differ between draws ({per_draw})")
    return out


def figures(rows: list[dict]) -> dict[str, int]:
    buggy = [r for r in rows if r["buggy"]]
    feedback = [r["feedback"] for r in buggy if r["caught"]]
    return {
        "buggy": len(buggy),
        "correct": sum(not r["buggy"] for r in rows),
        "caught": sum(bool(r["caught"]) for r in buggy),
        "false_fails": sum(r["false_fail"] for r in rows),
        **{kind: feedback.count(kind) for kind in FEEDBACK},
        "wrong": sum(bool(r["wrong"]) for r in buggy),
        "moved": sum(bool(r.get("moved")) for r in rows),
    }


FEEDBACK = ("named", "other", "menu", "observed", "silent")


def summary_line(rows: list[dict], folder: Path, draws: int = 1) -> str:
    """The real-code figure, in the words of the other sets' lines."""
    n = figures(rows)
    share = f" ({100 * n['named'] / n['buggy']:.0f}%)" if n["buggy"] else ""
    on = f" on each of {draws} draws" if draws > 1 else ""
    moved = f"; {n['moved']} whose points or causes differ between draws" if draws > 1 else ""
    return (
        f"labelled real code ({folder}): caught {n['caught']}/{n['buggy']} real bugs{on}, false "
        f"fails {n['false_fails']}/{n['correct']} correct; named {n['named']}/{n['buggy']}"
        f"{share}, another cause only {n['other']}, a menu only {n['menu']}, observed only "
        f"{n['observed']}, nothing said {n['silent']}; a wrong cause in {n['wrong']}{moved}"
    )


def report(
    subs: Sequence[Labelled],
    folder: Path,
    *,
    draws: int,
    device: str,
    results: Path,
    console: Console,
) -> int:
    """Grade ``subs`` (under ``draws`` secrets when more than 1), print the figure and each
    problem (:func:`problems`): 1 when there is one, 2 when a run did not complete or left a
    submission out, else 0."""
    if draws > 1:
        runs = grade_draws(subs, draws, device=device, results=results)
    else:
        runs = [grade(subs, device=device, results=results)]
    missing = sorted({m for docs in runs for m, doc in docs.items() if doc is None})
    lost = sorted({sid for docs in runs for sid in not_graded(subs, docs)})
    rows = across([measure(subs, docs) for docs in runs])
    found = problems(rows)
    console.print(summary_line(rows, folder, draws), markup=False, soft_wrap=True)
    for line in found:
        console.print(f"labelled: {line}", style="red", markup=False, soft_wrap=True)
    if missing:
        console.print(
            f"labelled submissions of {', '.join(missing)}: the grading run did not complete",
            style="red",
            markup=False,
        )
    if lost:
        console.print(
            "labelled submissions left out of the figures (their module's run holds no result "
            f"for them): {', '.join(lost)}",
            style="red",
            markup=False,
        )
    return 2 if missing or lost else 1 if found else 0

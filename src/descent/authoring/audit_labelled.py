"""``descent audit --labelled DIR``: the feedback measured on labelled submissions of real code.

An instructor who has collected their own class's submissions and labelled them measures the
kit's feedback on those mistakes the way the audit measures it on the catalogue and the corpus.
The folder has the layout of a development set of real code:

    DIR/EXPECTED.json     {"submissions": {ID: {"target": "module.exercise",
                                              "label": "BUGGY" or "CORRECT",
                                              "named_pattern": REGEX, ...}, ...}}
    DIR/subs/ID/          the submission: a folder of modules (losses.py, optim.py, ...)

``target`` is the exercise the submission's mistake (or its correct code) is in;
``named_pattern`` (BUGGY only) is a regular expression that the feedback names the mistake by,
matched against the lowercased text of the target exercise's lost tests (their messages and the
catalogued misconceptions they name). Each module's submissions are graded by that module's
hidden graders in one run, through the confined worker as any submission is. For each
submission:

* caught: a BUGGY one lost points on its target; a false fail: a CORRECT one lost points on any
  exercise of its module;
* named: its feedback matches ``named_pattern``; observed only: it states no cause ("likely
  mistake") and no catalogued misconception but says what it observed; another cause: it states
  a cause that the pattern does not match (wrong, or right in other words: read it); silent:
  none of these.
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

from .. import registry
from .. import results as results_mod
from ..errors import DescentError
from ..kit import run_pytest

LABELS = ("BUGGY", "CORRECT")


@dataclass(frozen=True)
class Labelled:
    """One labelled submission: its folder, the exercise its label is about, and for a buggy
    one the pattern its feedback must match."""

    id: str
    folder: Path
    target: str
    buggy: bool
    pattern: str | None

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
    pattern = entry.get("named_pattern")
    if label == "BUGGY":
        try:
            re.compile(pattern or "")
        except (re.error, TypeError) as exc:
            raise DescentError(f"{where}: named_pattern is no regular expression ({exc})") from None
        if not pattern:
            raise DescentError(f"{where}: a BUGGY submission needs a named_pattern")
    sub = folder / "subs" / sid
    if not sub.is_dir():
        raise DescentError(f"{where}: no folder {sub}")
    return Labelled(sid, sub, target, label == "BUGGY", pattern if label == "BUGGY" else None)


def grade(
    subs: Sequence[Labelled], *, device: str, results: Path
) -> dict[str, dict[str, Any] | None]:
    """Each module's submissions graded by that module's hidden graders, one run per module
    (results beside ``results``, as ``NAME-labelled-MODULE.json``): the results document of
    each module, ``None`` for a run that did not complete."""
    docs: dict[str, dict[str, Any] | None] = {}
    for module in sorted({s.module for s in subs}):
        path = results.with_name(f"{results.stem}-labelled-{module}.json")
        path.unlink(missing_ok=True)
        folders = [str(s.folder) for s in subs if s.module == module]
        code = run_pytest([f"graders/test_{module}.py"], folders, device=device, results=path)
        docs[module] = results_mod.load(path) if code in (0, 1) and path.exists() else None
    return docs


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
        rows.append(
            {
                "id": sub.id,
                "target": sub.target,
                "buggy": sub.buggy,
                "caught": caught if sub.buggy else None,
                "false_fail": (not sub.buggy) and lost_anywhere,
                "feedback": _feedback(sub, target, lost) if sub.buggy and caught else "",
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
    """``named``, ``observed``, ``other`` or ``silent`` (see the module's docstring)."""
    named = list((target or {}).get("misconceptions") or [])
    messages = [t.get("message") or "" for t in lost]
    text = "\n".join(named + messages).lower()
    if sub.pattern and _search(sub, text):
        return "named"
    lines = [line for m in messages for line in m.splitlines()]
    if named or any(line.startswith("likely mistake:") for line in lines):
        return "other"
    if any(line.startswith("observed:") for line in lines):
        return "observed"
    return "silent"


MATCH_SECONDS = 2.0  # one pattern on one submission's feedback: far more than any sane one needs


class _Backtracking(Exception):
    pass


def _search(sub: Labelled, text: str) -> bool:
    """Whether ``sub``'s pattern matches ``text``, within :data:`MATCH_SECONDS`: a pattern that
    backtracks without end (``(a+)+$`` on a long run of ``a``) is refused with a
    :class:`DescentError` naming it, instead of holding the audit for minutes. Python's
    matcher checks for signals as it goes, so a timer stops it (in the main thread, where the
    command runs; elsewhere no timer can be set and the search is not bounded)."""
    if threading.current_thread() is not threading.main_thread():
        return re.search(sub.pattern or "", text) is not None

    def stop(_signum, _frame):
        raise _Backtracking

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, MATCH_SECONDS)
    try:
        return re.search(sub.pattern or "", text) is not None
    except _Backtracking:
        raise DescentError(
            f"submission {sub.id!r}: its named_pattern {sub.pattern!r} ran past "
            f"{MATCH_SECONDS:g} s on the feedback (it backtracks, as nested quantifiers such "
            f"as (a+)+ do): write it without them"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def figures(rows: list[dict]) -> dict[str, int]:
    buggy = [r for r in rows if r["buggy"]]
    feedback = [r["feedback"] for r in buggy if r["caught"]]
    return {
        "buggy": len(buggy),
        "correct": sum(not r["buggy"] for r in rows),
        "caught": sum(bool(r["caught"]) for r in buggy),
        "false_fails": sum(r["false_fail"] for r in rows),
        **{kind: feedback.count(kind) for kind in ("named", "observed", "other", "silent")},
    }


def summary_line(rows: list[dict], folder: Path) -> str:
    """The real-code figure, in the words of the other sets' lines."""
    n = figures(rows)
    share = f" ({100 * n['named'] / n['buggy']:.0f}%)" if n["buggy"] else ""
    return (
        f"labelled real code ({folder}): caught {n['caught']}/{n['buggy']} real bugs, false "
        f"fails {n['false_fails']}/{n['correct']} correct; named {n['named']}/{n['buggy']}"
        f"{share}, observed only {n['observed']}, another cause {n['other']} (read them: wrong, "
        f"or right in other words), nothing said {n['silent']}"
    )

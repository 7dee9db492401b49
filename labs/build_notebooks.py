#!/usr/bin/env python3
"""Write the course's source notebooks and answer keys from the content in labs/content/.

    python labs/build_notebooks.py           # (re)write labs/source/*/*.ipynb and labs/keys/*.json
    python labs/build_notebooks.py --check   # exit 1 and list the files that are out of date

Quizzes (lesson quizzes, module test, chapter checks) are multiple choice or numeric. The option
order of each question is shuffled deterministically, and the key goes to ``keys/<assignment>.json``
only: the notebook's hidden test cell names its trusted check, never the answer. A quiz answer is an
ordinary cell (``q1 = ""``), not an nbgrader solution cell, which the release would replace by
``raise NotImplementedError()``. Labs are written cell
by cell in ``content/lab*.py``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "content"))

import cells as C  # noqa: E402
import quizzes  # noqa: E402

LETTERS = "ABCD"
LAB_MODULES = [
    "lab1_loss_consultant",
    "lab2_backprop_debugger",
    "lab3_activation_review",
    "lab4_optimizer_strategy",
]


def _notebook(cell_specs) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, source, meta, *name) in enumerate(cell_specs):
        cell = (
            nbformat.v4.new_markdown_cell(source)
            if kind == "markdown"
            else nbformat.v4.new_code_cell(source)
        )
        # Stable ids keep the build reproducible (the up-to-date check compares bytes).
        cell.id = (meta or {}).get("grade_id") or (name[0] if name and name[0] else f"cell-{i:03d}")
        if meta:
            cell.metadata["nbgrader"] = meta
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def _positions(assignment: str, count: int) -> list[int]:
    """Where the right option goes in each question: every letter about equally often, in an
    order fixed by the assignment's name."""
    slots = [i % len(LETTERS) for i in range(count)]
    random.Random(assignment).shuffle(slots)
    return slots


def _shuffled(assignment: str, qid: str, options: list[str], slot: int) -> tuple[list[str], str]:
    """Options in a fixed pseudo-random order with the right one (listed first) at ``slot``."""
    wrong = options[1:]
    random.Random(f"{assignment}:{qid}").shuffle(wrong)
    return wrong[:slot] + [options[0]] + wrong[slot:], LETTERS[slot]


def _hidden(name: str, qid: str) -> str:
    """The hidden part of a quiz test cell: it names the trusted check, never the answer (the
    check compares the notebook's value with keys/<name>.json outside the notebook)."""
    return (
        "### BEGIN HIDDEN TESTS\n"
        "from descent.labs_grading import hidden_checks\n"
        f'hidden_checks("{name}", "{qid}_test")  # checked outside the notebook\n'
        "### END HIDDEN TESTS"
    )


def quiz(spec: dict) -> tuple[list, dict]:
    """Cells and key of one quiz-style assignment."""
    name = spec["assignment"]
    cells = [
        C.md(spec["intro"], "intro"),
        C.readonly("setup", "from descent.labs_grading import check_choice, check_number"),
    ]
    key = {}
    slots = _positions(name, len(spec["questions"]))
    for n, q in enumerate(spec["questions"], 1):
        qid = f"q{n}"
        if "number" in q:
            cells.append(
                C.md(f"**Question {n}.** {q['prompt']}\n\nAnswer with a number.", f"{qid}_text")
            )
            cells.append(C.code(f"{qid} = None  # your number", f"{qid}_answer"))
            cells.append(
                C.test(
                    f"{qid}_test",
                    q.get("points", 1),
                    f'check_number("{qid}", {qid})\n' + _hidden(name, qid),
                )
            )
            key[qid] = {
                "kind": "number",
                "answer": q["number"],
                "tolerance": q["tolerance"],
                "right": q["right"],
                "wrong": q["wrong"],
            }
            continue
        options, letter = _shuffled(name, qid, q["options"], slots[n - 1])
        listing = "\n".join(f"- **{LETTERS[i]}.** {opt}" for i, opt in enumerate(options))
        cells.append(C.md(f"**Question {n}.** {q['prompt']}\n\n{listing}", f"{qid}_text"))
        cells.append(C.code(f'{qid} = ""  # "A", "B", "C" or "D"', f"{qid}_answer"))
        cells.append(
            C.test(
                f"{qid}_test",
                q.get("points", 1),
                f'check_choice("{qid}", {qid})\n' + _hidden(name, qid),
            )
        )
        key[qid] = {"kind": "choice", "answer": letter, "right": q["right"], "wrong": q["wrong"]}
    return cells, {"assignment": name, "questions": key}


def outputs() -> dict[Path, str]:
    """Every generated file and its text."""
    files: dict[Path, str] = {}
    for spec in quizzes.ALL:
        cells, key = quiz(spec)
        name = spec["assignment"]
        files[HERE / "source" / name / f"{name}.ipynb"] = nbformat.writes(_notebook(cells)) + "\n"
        files[HERE / "keys" / f"{name}.json"] = json.dumps(key, indent=1, ensure_ascii=False) + "\n"
    for module_name in LAB_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        name = module.ASSIGNMENT
        files[HERE / "source" / name / f"{name}.ipynb"] = (
            nbformat.writes(_notebook(module.CELLS)) + "\n"
        )
        if getattr(module, "KEY", None):
            files[HERE / "keys" / f"{name}.json"] = (
                json.dumps(
                    {"assignment": name, "questions": module.KEY}, indent=1, ensure_ascii=False
                )
                + "\n"
            )
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report out-of-date files")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        if path.is_file() and path.read_text() == text:
            continue
        stale.append(path.relative_to(HERE))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if args.check:
        for path in stale:
            print(f"out of date: labs/{path} (run python labs/build_notebooks.py)")
        return 1 if stale else 0
    print(f"wrote {len(stale)} file(s)" if stale else "everything up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

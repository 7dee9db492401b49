"""The student's progress view (``descent check``): points per topic and the next exercise to do,
read from a results document (:mod:`descent.results`) of the public tests."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import registry


def by_topic(block: dict[str, Any]) -> list[tuple[str, float, float, int, int]]:
    """``(module, points, max_points, exercises done, exercises)`` in the registry's order."""
    rows: dict[str, list] = {module: [module, 0.0, 0.0, 0, 0] for module in registry.MODULES}
    for ex in block["exercises"]:
        row = rows.setdefault(
            ex["id"].split(".", 1)[0], [ex["id"].split(".", 1)[0], 0.0, 0.0, 0, 0]
        )
        row[1] += ex["points"]
        row[2] += ex["max_points"]
        row[3] += ex["status"] == "passed"
        row[4] += 1
    return [tuple(row) for row in rows.values() if row[4]]


def next_exercise(block: dict[str, Any]) -> dict[str, Any] | None:
    """The first exercise, in the registry's order, that has not passed; ``None`` when all have.
    One already started (partial) comes before one not begun, and a part it may call that has
    not passed comes before it (``registry.PARTS``: a mistake in Adam shows in AdamW too)."""
    order = {ex_id: i for i, ex_id in enumerate(registry.EXERCISES)}
    todo = sorted(
        (ex for ex in block["exercises"] if ex["status"] != "passed"),
        key=lambda ex: (ex["status"] != "partial", order.get(ex["id"], len(order))),
    )
    if not todo:
        return None
    parts = registry.PARTS.get(todo[0]["id"], ())
    first_part = [ex for ex in todo if ex["id"] in parts]
    return min(first_part, key=lambda ex: order[ex["id"]]) if first_part else todo[0]


def render(doc: dict[str, Any], console: Console) -> None:
    for block in doc["implementations"]:
        table = Table(title=f"progress: {block['name']}", box=box.SIMPLE_HEAD, title_justify="left")
        for column in ("topic", "points", "exercises passed"):
            table.add_column(column, justify="left" if column == "topic" else "right")
        for module, points, most, done, count in by_topic(block):
            table.add_row(module, f"{points:.4g}/{most:.4g}", f"{done}/{count}")
        console.print(table)
        upcoming = next_exercise(block)
        if upcoming is None:
            console.print(
                "[green]every public test passes; the hidden graders check more "
                "(other sizes, extreme inputs, properties)[/green]"
            )
            continue
        title = (
            registry.EXERCISES[upcoming["id"]].title
            if upcoming["id"] in registry.EXERCISES
            else upcoming["id"]
        )
        console.print(
            f"next: [bold]{upcoming['id']}[/bold] ({title}), "
            f"{upcoming['points']:.4g}/{upcoming['max_points']:.4g}: "
            f"{escape(upcoming['first_failure'])}"
        )

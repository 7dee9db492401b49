"""``docs/reference/results-schema.md``: the keys of a results document, made from
:func:`descent.reports.results_keys.objects` (the records' dataclasses and the declared dict keys).

One section per object of the document, in the order they nest, each a row per key: its JSON
type, when it is present (blank: always) and what it means.
"""

from __future__ import annotations

from pathlib import Path

from .. import results
from ..reports import results_keys
from .exercise_table import _cell as cell  # one escape for every table the docs hold
from .generated_page import header, table

PAGE = Path("docs") / "reference" / "results-schema.md"
SOURCE = "src/descent/reports/results_keys.py and the record dataclasses of src/descent/results.py"
WHERE = {
    "document": "the top level of the file",
    "environment": "the document's `environment`",
    "isolation_details": "the environment's `isolation_details`",
    "implementation": "each item of the document's `implementations`",
    "exercise": "each item of an implementation's `exercises`",
    "test": "each item of the document's `tests`",
}


def section(name: str, keys: dict[str, results_keys.Key]) -> str:
    """One object's section: where it sits, then a row per key."""
    rows = [(f"`{key}`", cell(k.type), cell(k.when), cell(k.meaning)) for key, k in keys.items()]
    where = f"{WHERE[name][0].upper()}{WHERE[name][1:]}."
    columns = ("key", "type", "present", "meaning")
    return f"## {name}\n\n{where}\n\n" + table(columns, rows)


def page() -> str:
    """The whole page, as Markdown."""
    objects = results_keys.objects()
    missing = sorted(set(objects) - set(WHERE))
    if missing:
        raise ValueError(f"results_reference.WHERE does not say where {missing} sit")
    return (
        header(SOURCE)
        + f"\n# Results schema\n\nA grading run (`descent grade`, `descent check`, `pytest "
        f"--results FILE`) writes one JSON document, schema `{results.SCHEMA}`; every report "
        "and export reads only this. An exercise's points are split over its counted tests by "
        "weight; a supporting check earns its points only beside a passed value check, and "
        "failing an ordinary check caps the exercise at half its points.\n\n"
        + "\n".join(section(name, keys) for name, keys in objects.items())
    )

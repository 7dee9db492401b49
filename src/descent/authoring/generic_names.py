"""The pre-emption guard: each catalogued variant's generic names, recorded and compared.

A new diagnosis, or one moved earlier in the order, can take a correct generic name away from a
bug it was never meant for. ``graders/generic_names.json`` records, for every variant of the
catalogue (bugs, alternatives, hollow answers) and of the student-style corpus, the sorted kinds
its lost tests were diagnosed with, the catalogue's names hidden: the ``generic`` column of
``descent audit``. ``descent audit --record-generic`` writes it (``--module NAME`` rewrites only
that module's entries); ``descent audit --check-generic`` and the kit's test
``tests/test_generic_names.py`` compare a run with it and list every variant whose names moved,
``before -> after``, and the variants new to the record or gone from the run (below).

File layout (keys sorted, one variant per line, so that a review's diff shows what moved)::

    {
      "schema": "descent.generic-names/1",
      "re-record": "descent audit --record-generic",
      "cut_short": ["bug:some_id"],
      "names": {
        "losses": {
          "alternative:mse_numpy": [],
          "bug:ce_no_max_subtraction": ["stability"],
          ...
      },
      "inputs": {
        "losses": {"key": "3f9c...", "names": "a41e...", "parts": {"environment": "...", ...}},
        ...

``inputs`` stamps each module's names with what they were made from (:func:`stamp`): ``key``
is the digest of the module's inputs, the same that the guard's cache keys its entries on
(:attr:`descent.authoring.generic_cache.Inputs.key`: the grading code, the graders, the
variants, the reference, the options and the environment); ``names`` a digest of the module's
entries as written, so that entries edited by hand or merged from another branch are no longer
stamped; ``parts`` a short digest per part of the inputs, only to say which parts differ. A
module whose stamp is that of its inputs now is taken as checked without grading or a cache
(:func:`made_from`): from a fresh clone, the guard grades only the modules whose inputs differ
from those stamped. A stamp is written only with the names a grading or a replay of exactly those
inputs gave (``--record-generic``); a check says which modules' stamps are stale and the command
that renews them. Since the grading code and the environment are inputs of every module, an
edit of ``src/descent/diagnoses/`` (or of any grading module), another Python or another
version of an installed package makes every module's stamp stale: the next guard grades all.

``cut_short`` lists the variants whose diagnosis ran out of time when recorded (a re-run of
student code past its cap, a diagnosis's time budget spent: the results field
``diagnosis_cut_short``). Their names depend on the machine's speed, so a difference of names for
a variant cut short in the record or in the run compared is reported apart and never fails the
guard.

A comparison tells three differences apart:

* **moved**: a recorded variant whose names differ in the run. It fails the guard: the
  pre-emption the guard exists for.
* **new**: a variant in the run that the record does not have (a bug, an alternative or an
  exercise just added). Nothing was recorded that a diagnosis could have taken away, so it passes,
  listed with the command that records its module; recording it is what protects its names from
  then on.
* **gone**: a recorded variant that is not in the run. It fails: either it was removed or renamed
  without re-recording (a stale record, which would otherwise keep an entry that no run checks
  and hide a rename as one new variant), or the run lost it (a grader file that did not load, a
  catalogue entry no longer registered), which is worth stopping for. Re-recording the module
  drops the entry.

Whether a variant is new or gone is compared even when its diagnosis was cut short: a time limit
changes names, not which variants ran.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DescentError

if TYPE_CHECKING:
    from .generic_cache import Inputs

RECORD = Path("graders") / "generic_names.json"
SCHEMA = "descent.generic-names/1"
RERECORD = "descent audit --record-generic"
HOW_TO_RERECORD = (
    f"if the change is meant (a diagnosis that names these variants better), record it: "
    f"`{RERECORD}` (one module: `descent audit --module NAME --record-generic`), and commit "
    f"{RECORD.as_posix()} with the change, so that the review shows what moved"
)


@dataclass
class Record:
    """Per module, each variant's (``kind:id``) sorted generic kinds; and the variants whose
    diagnosis was cut short by a time limit."""

    names: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    cut_short: set[str] = field(default_factory=set)
    # per module, the stamp of the inputs its names were made from (:func:`stamp`)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def only(self, keys: set[str]) -> Record:
        """This record cut down to the variants ``keys`` names (``kind:id``): what a run that
        grades only those is compared with (the kit's default lane grades a sample)."""
        names = {m: {k: v for k, v in e.items() if k in keys} for m, e in self.names.items()}
        return Record({m: e for m, e in names.items() if e}, self.cut_short & keys)


@dataclass
class Comparison:
    """What differs between a record and a run: ``changed`` (names moved) and ``gone`` (recorded,
    not in the run) fail the guard; ``new`` (in the run, not recorded) and ``skipped`` (names
    moved for a variant whose diagnosis was cut short on either side) are only reported."""

    changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    # the modules of the new and the gone variants: what to re-record
    modules: set[str] = field(default_factory=set)

    @property
    def fails(self) -> bool:
        """Whether the guard fails: a recorded variant's names moved, or it is missing."""
        return bool(self.changed or self.gone)


def from_rows(rows: list[dict[str, Any]], module_of: dict[str, str]) -> Record:
    """The record of the audit's rows (:func:`descent.authoring.audit.summarize`); ``module_of``
    maps ``kind:id`` to the variant's module (its exercise's first part). A row with no module
    there is refused: the record must say where each variant belongs."""
    record = Record()
    for row in rows:
        key = f"{row['kind']}:{row['id']}"
        if key not in module_of:
            raise DescentError(f"{key} is in the run but in no loaded catalogue or corpus")
        record.names.setdefault(module_of[key], {})[key] = sorted(row["generic"])
        if row.get("generic_cut_short"):
            record.cut_short.add(key)
    return record


def dumps(record: Record) -> str:
    """The file's text: keys sorted, one variant per line."""
    lines = [
        "{",
        f'  "schema": {json.dumps(SCHEMA)},',
        f'  "re-record": {json.dumps(RERECORD)},',
        f'  "cut_short": {json.dumps(sorted(record.cut_short))},',
        '  "names": {',
    ]
    modules = sorted(record.names)
    for i, module in enumerate(modules):
        lines.append(f"    {json.dumps(module)}: {{")
        entries = sorted(record.names[module].items())
        for j, (key, kinds) in enumerate(entries):
            comma = "," if j < len(entries) - 1 else ""
            lines.append(f"      {json.dumps(key)}: {json.dumps(sorted(kinds))}{comma}")
        lines.append("    }" + ("," if i < len(modules) - 1 else ""))
    lines += ["  },", '  "inputs": {']
    stamped = sorted(record.inputs)
    for i, module in enumerate(stamped):
        comma = "," if i < len(stamped) - 1 else ""
        entry = json.dumps(record.inputs[module], sort_keys=True)
        lines.append(f"    {json.dumps(module)}: {entry}{comma}")
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def load(path: Path) -> Record:
    """The record at ``path``; a missing or unreadable file is a :class:`DescentError` that says
    how to make one."""
    if not path.exists():
        raise DescentError(
            f"no record of generic names at {path}: make it with `{RERECORD}` (the whole "
            f"catalogue) and commit it"
        )
    try:
        doc = json.loads(path.read_text())
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"schema {doc.get('schema')!r}, not {SCHEMA!r}")
        names = {m: {k: list(v) for k, v in entries.items()} for m, entries in doc["names"].items()}
        # a record written before the stamps has none: each module is then graded
        inputs = {m: dict(entry) for m, entry in doc.get("inputs", {}).items()}
        return Record(names, set(doc["cut_short"]), inputs)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DescentError(
            f"{path} is not a record of generic names ({exc}): `{RERECORD}`"
        ) from exc


def merged(old: Record, new: Record, modules: Sequence[str]) -> Record:
    """``old`` with the entries of ``modules`` replaced by ``new``'s (all of ``new`` when
    ``modules`` is empty: a whole record)."""
    if not modules:
        return new
    names = {m: entries for m, entries in old.names.items() if m not in modules}
    names.update({m: entries for m, entries in new.names.items() if m in modules})
    replaced = {key for m in modules for key in old.names.get(m, {})}
    cut = (old.cut_short - replaced) | {
        key for key in new.cut_short if any(key in new.names.get(m, {}) for m in modules)
    }
    inputs = {m: entry for m, entry in old.inputs.items() if m not in modules}
    inputs.update({m: entry for m, entry in new.inputs.items() if m in modules})
    return Record(names, cut, inputs)


def _names_digest(record: Record, module: str) -> str:
    """A digest of ``module``'s entries, each variant's names and whether it was cut short."""
    entries = {
        key: [sorted(kinds), key in record.cut_short]
        for key, kinds in record.names.get(module, {}).items()
    }
    return hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()[:16]


def stamp(record: Record, module: str, found: Inputs) -> None:
    """Stamp ``record``'s entries of ``module`` as made from the inputs ``found``: call it only
    with names that a grading or a replay of exactly those inputs gave."""
    record.inputs[module] = {
        "key": found.key,
        "names": _names_digest(record, module),
        "parts": found.digests,
    }


def made_from(record: Record, module: str, found: Inputs) -> bool:
    """Whether ``record``'s entries of ``module`` are stamped as made from the inputs ``found``,
    and are still the entries stamped: then they are what a grading would give."""
    entry = record.inputs.get(module, {})
    return entry.get("key") == found.key and entry.get("names") == _names_digest(record, module)


def why_not_made_from(record: Record, module: str, found: Inputs) -> str:
    """Why :func:`made_from` is false, in a few words (empty when it is true)."""
    entry = record.inputs.get(module)
    if made_from(record, module, found):
        return ""
    if not entry:
        return f"{RECORD.as_posix()} has no stamp of its inputs"
    if entry.get("key") == found.key:
        return f"its entries in {RECORD.as_posix()} are not those stamped"
    then = entry.get("parts", {})
    parts = [p for p, digest in found.digests.items() if then.get(p) != digest]
    shown = f" ({', '.join(parts)})" if parts else ""
    return f"its inputs differ from those {RECORD.as_posix()} stamps{shown}"


def compare(before: Record, after: Record, modules: Sequence[str] = ()) -> Comparison:
    """Every variant of ``modules`` (every module of either side when empty) that differs
    between ``before`` (the record) and ``after`` (a run): its names moved (``kind:id (module):
    before -> after``), it is new (``kind:id (module): after``) or gone (``kind:id (module):
    before``)."""
    result = Comparison()
    for module in sorted(set(modules) or set(before.names) | set(after.names)):
        old, new = before.names.get(module, {}), after.names.get(module, {})
        for key in sorted(set(old) | set(new)):
            where = f"{key} ({module})"
            if key not in old:
                result.new.append(f"{where}: {_shown(new[key])}")
                result.modules.add(module)
            elif key not in new:
                result.gone.append(f"{where}: {_shown(old[key])}")
                result.modules.add(module)
            elif old[key] != new[key]:
                line = f"{where}: {_shown(old[key])} -> {_shown(new[key])}"
                if key in before.cut_short or key in after.cut_short:
                    result.skipped.append(f"{line} (its diagnosis was cut short by a time limit)")
                else:
                    result.changed.append(line)
    return result


def _shown(kinds: list[str]) -> str:
    return ", ".join(kinds) if kinds else "(no generic name)"


def _record_command(modules: set[str]) -> str:
    flags = " ".join(f"--module {m}" for m in sorted(modules))
    return f"descent audit {flags} --record-generic"


def restamp(modules: Sequence[str]) -> str:
    """What to run when the names of ``modules`` hold but their stamps are stale."""
    return (
        f"the stamps of {', '.join(modules)} in {RECORD.as_posix()} are not those of their "
        f"inputs now: `{_record_command(set(modules))}` renews them (a replay from the cache, "
        "seconds) so that a fresh clone takes them as checked; commit the file"
    )


def report(comparison: Comparison) -> str:
    """The guard's verdict in words: what moved, what is gone, what is new, what was skipped,
    and how to record."""
    parts = []
    if comparison.changed:
        parts.append(
            f"the generic names of {len(comparison.changed)} variant(s) moved (before -> after):"
        )
        parts += [f"  {line}" for line in comparison.changed]
    if comparison.gone:
        parts.append(
            f"{len(comparison.gone)} recorded variant(s) not in this run (removed or renamed "
            "without re-recording, or their graders did not run), with their recorded names:"
        )
        parts += [f"  {line}" for line in comparison.gone]
    if comparison.skipped:
        parts.append(
            f"not compared, {len(comparison.skipped)} variant(s) whose diagnosis ran out of time "
            "(on this machine or when recorded; their names depend on its speed):"
        )
        parts += [f"  {line}" for line in comparison.skipped]
    if comparison.new:
        parts.append(
            f"{len(comparison.new)} new variant(s), not recorded yet (nothing to compare them "
            "with, so they pass), with their names in this run:"
        )
        parts += [f"  {line}" for line in comparison.new]
    if comparison.changed:
        parts.append(HOW_TO_RERECORD)
    elif comparison.gone or comparison.new:
        parts.append(
            f"record them: `{_record_command(comparison.modules)}`, and commit "
            f"{RECORD.as_posix()} with the change: from then on the guard keeps their names"
        )
    return "\n".join(parts) or "the generic names are those recorded"

"""Who is in the course: the roster CSV, one person per id.

``id,first_name,last_name,email`` and optionally ``section,sis_login_id,canvas_id`` (the
plan's ``[course] roster``). Every command of the term reads it through :func:`read_roster`,
which refuses, listing each line, a roster in which one value names two people: the same id,
email, SIS login or Canvas id on two rows, or one person's id that is another's email or login
(a folder named ``bob.h@uni.edu`` would then be graded as one student and imported under
another). Ids, emails and logins are compared as the systems that match them do: Unicode NFC,
case ignored (file systems on macOS and Windows, and LMS logins, ignore case).

An entry whose id is not a roster id (:func:`Roster.unknown`) is graded and kept, but flagged in
every table, and never written to an LMS file until the instructor adds the student to the
roster or drops the entry (``descent course drop``).
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass, fields
from pathlib import Path

from ..errors import DescentError

IDENTIFIERS = ("id", "email", "sis_login_id", "canvas_id")


class RosterError(DescentError, ValueError):
    """The roster cannot be used as it is; the message lists every line at fault."""


@dataclass
class Person:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    section: str = ""
    sis_login_id: str = ""
    canvas_id: str = ""


def key(value: str) -> str:
    """How two identifiers are compared: NFC, case ignored, spaces around left out."""
    return unicodedata.normalize("NFC", value.strip()).casefold()


def read_roster(path: Path | None) -> dict[str, Person]:
    """``{student id: Person}``; no roster named, or none there yet, is an empty roster (the plan
    refuses a roster it names that is missing). Raises :class:`RosterError` listing every
    problem: no id column, a row without an id, a value that names two people."""
    if path is None or not (Path(path).exists() or Path(path).is_symlink()):
        return {}
    if not Path(path).is_file():
        raise RosterError(f"the roster {path} is not a file")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if "id" not in (reader.fieldnames or []):
            raise RosterError(f"{path}: a roster needs an id column")
        names = {f.name for f in fields(Person)}
        people: dict[str, Person] = {}
        problems: list[str] = []
        owners: dict[str, tuple[str, str, int]] = {}  # key -> (column, id, line)
        for line, row in enumerate(reader, start=2):
            values = {k: (v or "").strip() for k, v in row.items() if k in names}
            ident = unicodedata.normalize("NFC", values.get("id", ""))
            if not ident:
                if any(values.values()):
                    problems.append(f"line {line}: no id")
                continue
            values["id"] = ident
            for column in IDENTIFIERS:
                value = values.get(column, "")
                if not value:
                    continue
                seen = owners.setdefault(key(value), (column, ident, line))
                if seen[2] != line:
                    problems.append(
                        f"line {line}: {column} {value!r} is also the {seen[0]} of "
                        f"{seen[1]!r} (line {seen[2]})"
                    )
            people[ident] = Person(**values)
    if problems:
        raise RosterError(
            f"the roster {path} names someone twice ({len(problems)} problem(s)); one person per "
            f"id, email and login, or grades land on the wrong person:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    return people


def others_identifier(people: dict[str, Person], student: str) -> str:
    """When ``student`` (an entry's id, not a roster id) is another identifier of someone on
    the roster (an email, a login), a sentence saying whose; else ""."""
    wanted = key(student)
    for person in people.values():
        for column in IDENTIFIERS[1:]:
            value = getattr(person, column)
            if value and key(value) == wanted:
                return (
                    f"{student!r} is the {column} of {person.id!r}: rename the entry to "
                    f"{person.id!r}"
                )
        if key(person.id) == wanted:
            return f"{student!r} differs from the roster's {person.id!r} only in case or accents"
    return ""


def not_on_roster(people: dict[str, Person], student: str) -> str:
    """The flag of an entry the roster does not list ("" when it does, or there is no roster)."""
    if not people or student in people:
        return ""
    hint = others_identifier(people, student)
    return (
        "not on the roster: kept out of the LMS files until added to the roster or dropped "
        f"(descent course drop {student} ITEM --reason ...)" + (f"; {hint}" if hint else "")
    )

"""The keys a course plan (``course.toml``) may hold, declared once: the reader
(:mod:`.plan`) refuses a key that is not here, naming the nearest one (a mistyped
``grace_minute`` would otherwise be ignored without a word), and ``descent docs`` makes
``docs/reference/course-toml.md`` from this table.

:data:`TABLES` maps each table of the plan, as TOML writes its header, to its keys; each key has
the kind of value it takes, the default the reader uses when it is absent ("required" when there
is none) and what it means. What the reader does with each value lives in :mod:`.plan`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    kind: str  # the value's TOML kind, in words: "text", "number", "date-time", ...
    default: str  # what the reader takes when the key is absent; "required" when nothing
    meaning: str


LATE = "late"  # a late policy: the plan's [late], or an assignment's own [assignment.late]

_LATE_KEYS = {
    "grace_minutes": Key("number", "0", "minutes after the due date that cost nothing"),
    "penalty": Key(
        "number", "0", "percent of the earned score taken per started unit (`per`) of lateness"
    ),
    "per": Key("`day` or `hour`", "day", "the unit lateness is counted in"),
    "cap": Key("number, at most 100", "100", "the most the penalty takes, in percent"),
    "no_credit_after_days": Key(
        "number", "none", "work later than this many days past the due date earns nothing"
    ),
}

# The keys both kinds of assignment share: [[assignment]] (code) and [[nbgrader]] (a lab, quiz,
# module test or chapter check).
_ITEM_KEYS = {
    "id": Key("text", "required", "the assignment's name, unique in the plan"),
    "title": Key("text", "its id", "the name reports show"),
    "category": Key("text", "required", "the `[categories.NAME]` it counts in"),
    "weight": Key("number", "1", "its weight among the category's assignments"),
    "release": Key("date-time", "none", "when it is handed out"),
    "due": Key(
        "date-time", "required", "its due date: lateness, extensions and missing work count from it"
    ),
    LATE: Key("table", "the plan's `[late]`", "this assignment's changes to the late policy"),
}

TABLES: dict[str, dict[str, Key]] = {
    "[course]": {
        "name": Key("text", "course", "the course's name, shown in reports"),
        "timezone": Key(
            "IANA time zone name", "UTC", "where a date-time written without an offset is read"
        ),
        "extensions": Key(
            "path", "none", "the extensions CSV (`student,assignment,due[,reason]`), from the plan"
        ),
        "roster": Key(
            "path",
            "none",
            "the roster CSV (`id,first_name,last_name,email[,section,sis_login_id,canvas_id]`); "
            "named, it must exist",
        ),
        "nbgrader_course": Key(
            "path", "none", "the nbgrader course folder; each `[[nbgrader]]` id is in its source/"
        ),
        "nbgrader_grades": Key("path", "none", "the CSV `nbgrader export` writes"),
        "time_source": Key(
            "`nbgrader`, `gradescope`, `manifest` or `file`",
            "required here or on every assignment",
            "where code assignments' submission times are read",
        ),
        "start": Key("date-time", "the first release", "the term's first moment"),
        "end": Key("date-time", "60 days after the last due date", "the term's last moment"),
        "written_allowance_minutes": Key(
            "number",
            "5",
            "how long after its claimed time a lab's exchange copy may have been written and "
            "still count from that time",
        ),
    },
    "[categories.NAME]": {
        "weight": Key(
            "number", "required", "percent of the course grade; all categories add up to 100"
        ),
        "drop_lowest": Key(
            "whole number", "0", "how many of the category's lowest scores are left out"
        ),
    },
    "[late]": _LATE_KEYS,
    "[[assignment]]": {
        **_ITEM_KEYS,
        "exercises": Key(
            "list of text",
            "required",
            "exercise ids (`losses.mse`) or module names (`losses`: all of its exercises)",
        ),
        "points": Key("number", "100", "the total its exercises' points are scaled to"),
        "time_source": Key(
            "as `[course] time_source`", "the course's", "this assignment's source of times"
        ),
    },
    "[assignment.late]": _LATE_KEYS,
    "[[nbgrader]]": _ITEM_KEYS,
    "[nbgrader.late]": _LATE_KEYS,
}
# The plan's top level: the tables above by their TOML name.
TOP = ("course", "categories", "late", "assignment", "nbgrader")


def known(table: str) -> tuple[str, ...]:
    """The keys ``table`` (named as in :data:`TABLES`; ``""``: the top level) may hold."""
    return TOP if table == "" else tuple(TABLES[table])


def unknown(raw: dict, table: str) -> list[str]:
    """The keys of ``raw`` (one of the plan's tables) that ``table`` does not declare, in the
    order written."""
    return [key for key in raw if key not in known(table)]

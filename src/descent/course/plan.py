"""The course plan: the term's assignments, deadlines, late policy and weights, in one TOML file.

Its keys are declared in :mod:`.plan_keys` (a key not declared there is refused), from which
``descent docs`` makes ``docs/reference/course-toml.md``; ``course.toml`` at the kit's root is
the sample. :func:`load` reads and validates a plan and raises :class:`PlanError` with
every problem found, each one a sentence that names the assignment and what to change; no
command goes on with a broken plan.

Date-times are TOML date-times: with an offset (``2027-01-18T23:59:00-05:00``) they mean that
instant, without one (``2027-01-18T23:59:00``) they are read in the course's ``timezone``.

There is no default plan: a command that needs one takes ``--plan FILE`` or ``course.toml`` in the
working folder (:func:`find`); the kit's own ``course.toml`` is a sample, used only when named.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the backport has the same interface
    import tomli as tomllib

from .. import registry
from ..errors import DescentError
from ..testwriting import declared as written_tests
from . import plan_keys
from .clock import FIRST_YEAR, LAST_YEAR, in_zone

DEFAULT_NAME = "course.toml"
CODE, NBGRADER = "code", "nbgrader"
UNITS = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
TERM_TAIL = timedelta(days=60)  # the end of term, unless the plan says: after the last due date
# Where a code assignment's submission times come from (docs/reference/submission-times.md):
# nbgrader's timestamp.txt, Gradescope's submission_metadata.json, the instructor's
# manifest.csv, or the files' modification time.
TIME_SOURCES = ("nbgrader", "gradescope", "manifest", "file")


class PlanError(DescentError, ValueError):
    """The plan cannot be used; ``problems`` lists every reason, one sentence each."""

    def __init__(self, path: Path, problems: list[str]):
        self.path, self.problems = path, problems
        super().__init__(
            f"the course plan {path} has {len(problems)} problem(s):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


@dataclass(frozen=True)
class LatePolicy:
    """Lateness past the due date (or the student's extension): nothing within ``grace``;
    after it ``penalty`` percent of the earned score per started ``per`` (counted from the due
    date), at most ``cap`` percent; more than ``no_credit_after`` late earns nothing."""

    grace: timedelta = timedelta(0)
    penalty: float = 0.0  # percent of the earned score per started unit
    per: str = "day"  # "day" or "hour"
    cap: float = 100.0  # percent
    no_credit_after: timedelta | None = None


@dataclass(frozen=True)
class Item:
    """One graded piece of work: a code assignment or an nbgrader assignment."""

    id: str
    title: str
    kind: str  # CODE or NBGRADER
    category: str
    weight: float = 1.0  # within its category
    points: float = 100.0  # code: the total its exercises are scaled to
    release: datetime | None = None
    due: datetime | None = None
    late: LatePolicy = field(default_factory=LatePolicy)
    exercises: tuple[str, ...] = ()  # code: exercise ids, in registry order
    time_source: str = NBGRADER  # code: one of TIME_SOURCES; nbgrader items: nbgrader's export

    @property
    def modules(self) -> tuple[str, ...]:
        """The student modules its exercises are written in (a write-the-tests exercise needs
        none: its work is a test file)."""
        return tuple(
            dict.fromkeys(
                e.split(".", 1)[0] for e in self.exercises if e not in written_tests.EXERCISES
            )
        )

    @property
    def selection(self) -> str:
        """The pytest ``-k`` expression that selects exactly this assignment's exercises.

        ``-k`` matches substrings, and every graded test answers to its exercise id: the bare
        id ``optim.adam`` would also select ``optim.adamw``. Each id is therefore paired with
        ``not`` every other exercise id that contains it and is not in the assignment."""
        return " or ".join(exact_selection(e, self.exercises) for e in self.exercises)


@dataclass(frozen=True)
class Category:
    name: str
    weight: float  # percent of the course grade
    drop_lowest: int = 0


def every_exercise() -> list[str]:
    """Every exercise id a plan may name: the registry's, then the write-the-tests exercises
    (``losses.mse.tests``, docs/reference/testwriting.md), which a module's name does not
    include."""
    return [*registry.EXERCISES, *written_tests.EXERCISES]


def exact_selection(exercise: str, chosen: tuple[str, ...] = ()) -> str:
    """A ``-k`` term that selects ``exercise`` and no other exercise whose id contains it
    (pytest compares ``-k`` words with the keywords case-insensitively, as substrings)."""
    wider = [
        other
        for other in every_exercise()
        if other != exercise and exercise.lower() in other.lower() and other not in chosen
    ]
    return f"({exercise} and not {' and not '.join(wider)})" if wider else exercise


@dataclass
class Plan:
    path: Path
    name: str
    timezone: ZoneInfo
    categories: dict[str, Category]
    items: list[Item]
    extensions: Path | None = None
    roster: Path | None = None
    nbgrader_course: Path | None = None
    nbgrader_grades: Path | None = None
    digest: str = ""  # SHA-256 of the plan file: gradebook rows record what settled them
    start: datetime | None = None  # [course] start (default: the first release)
    end: datetime | None = None  # [course] end (default: TERM_TAIL after the last due date)
    # [course] written_allowance_minutes: how long after the time it claims a lab's or quiz's
    # exchange copy may have been written and still count from that time (nbrecords)
    written_allowance: timedelta = timedelta(minutes=5)

    @property
    def term_start(self) -> datetime | None:
        """The first moment of the term: ``[course] start``, else the earliest release."""
        releases = [i.release for i in self.items if i.release is not None]
        return self.start or (min(releases, key=_utc) if releases else None)

    @property
    def term_end(self) -> datetime | None:
        """The last moment of the term: ``[course] end``, else :data:`TERM_TAIL` after the
        latest due date (a time set by hand later than that is a typo unless forced)."""
        dues = [i.due for i in self.items if i.due is not None]
        return self.end or (max(dues, key=_utc) + TERM_TAIL if dues else None)

    @property
    def short_digest(self) -> str:
        return self.digest[:12]

    def item(self, ident: str) -> Item:
        for it in self.items:
            if it.id == ident:
                return it
        known = ", ".join(i.id for i in self.items)
        raise PlanError(self.path, [f"no assignment {ident!r} in the plan (it has: {known})"])

    def code_assignment(self, ident: str) -> Item:
        item = self.item(ident)
        if item.kind != CODE:
            raise PlanError(
                self.path,
                [
                    f"{ident!r} is an nbgrader assignment: grade it with "
                    f"`descent labs autograde {ident}`"
                ],
            )
        return item

    @property
    def code(self) -> list[Item]:
        return [i for i in self.items if i.kind == CODE]

    def assignment_of(self, exercise: str) -> Item | None:
        return next((i for i in self.code if exercise in i.exercises), None)


# ------------------------------------------------------------------------------ reading


class NoPlanError(DescentError, ValueError):
    """No plan was named and the working folder has none: a usage error, never a silent
    fallback to the kit's sample plan (whose dates, extensions and rules are not the course's)."""


def find(path: str | Path | None, kit: Path) -> Path:
    """The plan to use: ``path``, else ``course.toml`` in the working directory; else
    :class:`NoPlanError`, naming the kit's sample plan that is used only when named."""
    if path:
        return Path(path)
    here = Path.cwd() / DEFAULT_NAME
    if here.is_file():
        return here
    raise NoPlanError(
        f"no course plan: there is no {DEFAULT_NAME} in {Path.cwd()}; run from the course "
        f"folder or pass --plan FILE (the kit's sample plan, {kit / DEFAULT_NAME}, is used "
        f"only when named: --plan {kit / DEFAULT_NAME})"
    )


def load(path: str | Path) -> Plan:
    path = Path(path)
    try:
        data = path.read_bytes()
        raw = tomllib.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise PlanError(path, ["no such file (copy the kit's course.toml and edit it)"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(path, [f"cannot read it: {exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(path, [f"not valid TOML: {exc}"]) from None
    reader = _Reader(path)
    plan = reader.plan(raw)
    plan.digest = hashlib.sha256(data).hexdigest()
    if reader.problems:
        raise PlanError(path, reader.problems)
    return plan


class _Reader:
    """Turns the parsed TOML into a :class:`Plan`, collecting every problem on the way."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def keys(self, raw: object, table: str, where: str) -> None:
        """A problem for each key of ``raw`` that :data:`.plan_keys.TABLES` does not declare
        for ``table`` (``""``: the plan's top level), with the nearest declared key."""
        if not isinstance(raw, dict):
            return
        known = plan_keys.known(table)
        for key in plan_keys.unknown(raw, table):
            near = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            self.fail(f"{where} unknown key {key!r}{hint}; it may hold: {', '.join(known)}")

    def plan(self, raw: dict) -> Plan:
        self.keys(raw, "", "the plan:")
        course = raw.get("course", {})
        self.keys(course, "[course]", "[course]")
        tz = self.timezone(course.get("timezone", "UTC"))
        categories = self.categories(raw.get("categories", {}))
        default_late = self.late(raw.get("late", {}), "[late]")
        source = course.get("time_source")
        if source is not None:
            self.time_source(source, "[course] time_source")
        items = [self.code_item(a, tz, default_late, source) for a in raw.get("assignment", [])]
        items += [self.nbgrader_item(a, tz, default_late) for a in raw.get("nbgrader", [])]
        items = [i for i in items if i is not None]
        plan = Plan(
            self.path,
            str(course.get("name", "course")),
            tz,
            categories,
            items,
            extensions=self.file(course, "extensions"),
            roster=self.file(course, "roster"),
            nbgrader_course=self.file(course, "nbgrader_course"),
            nbgrader_grades=self.file(course, "nbgrader_grades"),
        )
        plan.start = self.when(course.get("start"), "[course] start", tz)
        allowance = self.number(
            course.get("written_allowance_minutes", 5), "[course] written_allowance_minutes"
        )
        plan.written_allowance = timedelta(minutes=5 if allowance is None else allowance)
        plan.end = self.when(course.get("end"), "[course] end", tz)
        if plan.start and plan.end and _utc(plan.end) <= _utc(plan.start):
            self.fail(f"[course] end {plan.end.isoformat()} is not after its start")
        self.cross_checks(plan)
        if plan.roster is not None and not plan.roster.is_file():
            self.fail(
                f"[course] roster {plan.roster} does not exist (id,first_name,last_name,email): "
                f"without it, work never handed in cannot be told from a student not enrolled"
            )
        return plan

    def file(self, table: dict, key: str) -> Path | None:
        value = table.get(key)
        return (self.path.parent / value) if value else None

    def time_source(self, value, where: str) -> str | None:
        if value not in TIME_SOURCES:
            self.fail(f"{where} must be one of {', '.join(TIME_SOURCES)} (got {value!r})")
            return None
        return value

    def timezone(self, name) -> ZoneInfo:
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(
                f"[course] timezone {name!r} is not a time zone name (for example "
                f"'Europe/Paris' or 'UTC')"
            )
            return ZoneInfo("UTC")

    def categories(self, raw: dict) -> dict[str, Category]:
        out = {}
        for name, table in raw.items():
            self.keys(table, "[categories.NAME]", f"[categories.{name}]")
            weight = self.number(table.get("weight"), f"[categories.{name}] weight")
            drop = table.get("drop_lowest", 0)
            if not isinstance(drop, int) or drop < 0:
                self.fail(f"[categories.{name}] drop_lowest must be a whole number >= 0")
                drop = 0
            out[name] = Category(name, weight or 0.0, drop)
        if not out:
            self.fail("no [categories.NAME] table: give each category its weight in percent")
        elif not math.isclose(sum(c.weight for c in out.values()), 100.0, abs_tol=1e-6):
            listed = ", ".join(f"{c.name} {c.weight:g}" for c in out.values())
            self.fail(
                f"category weights add up to {sum(c.weight for c in out.values()):g}, not "
                f"100 ({listed})"
            )
        return out

    def number(self, value, where: str, *, minimum: float = 0.0) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            self.fail(f"{where} must be a number >= {minimum:g} (got {value!r})")
            return None
        return float(value)

    def late(self, raw: dict, where: str, base: LatePolicy | None = None) -> LatePolicy:
        base = base or LatePolicy()
        self.keys(raw, "[late]", where)  # every late policy has the keys of the plan's
        per = raw.get("per", base.per)
        if per not in UNITS:
            self.fail(f"{where} per must be 'day' or 'hour' (got {per!r})")
            per = "day"
        values = {}
        for key, default in (
            ("grace_minutes", base.grace / timedelta(minutes=1)),
            ("penalty", base.penalty),
            ("cap", base.cap),
        ):
            got = self.number(raw.get(key, default), f"{where} {key}")
            values[key] = default if got is None else got
        after = raw.get("no_credit_after_days")
        no_credit = base.no_credit_after
        if after is not None:
            days = self.number(after, f"{where} no_credit_after_days")
            no_credit = timedelta(days=days) if days is not None else None
        if values["cap"] > 100:
            self.fail(f"{where} cap is a percentage: at most 100 (got {values['cap']:g})")
        return LatePolicy(
            timedelta(minutes=values["grace_minutes"]),
            values["penalty"],
            per,
            min(values["cap"], 100.0),
            no_credit,
        )

    def when(self, value, where: str, tz: ZoneInfo) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            if not FIRST_YEAR <= value.year <= LAST_YEAR:
                self.fail(
                    f"{where} {value.isoformat()} is outside the years {FIRST_YEAR} to "
                    f"{LAST_YEAR}: a typo?"
                )
                return None
            if value.tzinfo:
                return value
            try:
                return _in_zone(value, tz)
            except ValueError as exc:
                self.fail(f"{where} {exc}")
                return None
        if isinstance(value, date):
            self.fail(f"{where} {value} has no time of day: write {value}T23:59:00")
        else:
            self.fail(
                f"{where} must be a TOML date-time such as 2027-01-18T23:59:00 (got {value!r})"
            )
        return None

    def common(self, raw: dict, kind: str, tz: ZoneInfo) -> dict | None:
        ident = raw.get("id")
        if not isinstance(ident, str) or not ident.strip():
            self.fail(f"an [[{'assignment' if kind == CODE else 'nbgrader'}]] has no id")
            return None
        where = f"assignment {ident!r}:"
        release = self.when(raw.get("release"), f"{where} release", tz)
        due = self.when(raw.get("due"), f"{where} due", tz)
        if "due" not in raw:
            self.fail(
                f"{where} no due date: give due = 2027-01-18T23:59:00 (lateness, extensions "
                f"and missing work are counted from it)"
            )
        if release and due and _utc(due) <= _utc(release):
            self.fail(
                f"{where} due {due.isoformat()} is not after its release {release.isoformat()}"
            )
        weight = self.number(raw.get("weight", 1.0), f"{where} weight")
        return dict(
            id=ident,
            title=str(raw.get("title", ident)),
            kind=kind,
            category=str(raw.get("category", "")),
            weight=weight or 0.0,
            release=release,
            due=due,
        )

    def code_item(
        self, raw: dict, tz: ZoneInfo, late: LatePolicy, source: str | None
    ) -> Item | None:
        base = self.common(raw, CODE, tz)
        if base is None:
            return None
        where = f"assignment {base['id']!r}:"
        self.keys(raw, "[[assignment]]", where)
        chosen_source = raw.get("time_source", source)
        if chosen_source is None:
            self.fail(
                f"{where} no time_source: say where submission times come from, in [course] "
                f"or the assignment ({', '.join(TIME_SOURCES)})"
            )
        elif "time_source" in raw:
            self.time_source(chosen_source, f"{where} time_source")
        wanted = raw.get("exercises", [])
        if not isinstance(wanted, list) or not wanted:
            self.fail(f"{where} exercises must list exercise ids or module names")
            wanted = []
        chosen = []
        for name in wanted:
            if name in registry.EXERCISES or name in written_tests.EXERCISES:
                chosen.append(name)
            elif name in registry.MODULES:
                chosen += [e.id for e in registry.EXERCISES.values() if e.module == name]
            else:
                self.fail(
                    f"{where} unknown exercise or module {name!r} (modules: "
                    f"{', '.join(registry.MODULES)})"
                )
        points = self.number(raw.get("points", 100), f"{where} points", minimum=1e-9)
        return Item(
            **base,
            points=points or 100.0,
            exercises=tuple(dict.fromkeys(chosen)),
            late=self.late(raw.get("late", {}), f"{where} late", late),
            time_source=chosen_source if chosen_source in TIME_SOURCES else "file",
        )

    def nbgrader_item(self, raw: dict, tz: ZoneInfo, late: LatePolicy) -> Item | None:
        base = self.common(raw, NBGRADER, tz)
        if base is None:
            return None
        self.keys(raw, "[[nbgrader]]", f"nbgrader {base['id']!r}:")
        return Item(
            **base, late=self.late(raw.get("late", {}), f"nbgrader {base['id']!r}: late", late)
        )

    def cross_checks(self, plan: Plan) -> None:
        seen: dict[str, str] = {}
        ids: set[str] = set()
        for item in plan.items:
            if item.id in ids:
                self.fail(f"assignment id {item.id!r} is used twice")
            ids.add(item.id)
            if item.category not in plan.categories:
                self.fail(
                    f"assignment {item.id!r}: category {item.category!r} is not one of "
                    f"the [categories] ({', '.join(plan.categories) or 'none'})"
                )
            for ex in item.exercises:
                if ex in seen and seen[ex] != item.id:
                    self.fail(f"exercise {ex} is in two assignments: {seen[ex]!r} and {item.id!r}")
                seen.setdefault(ex, item.id)
        for cat in plan.categories.values():
            count = sum(i.category == cat.name for i in plan.items)
            if cat.drop_lowest and cat.drop_lowest >= count:
                self.fail(
                    f"[categories.{cat.name}] drops the lowest {cat.drop_lowest} of "
                    f"{count} assignment(s): at least one must count"
                )
        self.nbgrader_checks(plan)

    def nbgrader_checks(self, plan: Plan) -> None:
        labs = [i for i in plan.items if i.kind == NBGRADER]
        if not labs:
            return
        folder = plan.nbgrader_course
        if folder is None or not (folder / "source").is_dir():
            self.fail(
                f"[course] nbgrader_course must name the nbgrader course folder (with "
                f"source/), for {', '.join(i.id for i in labs)}"
            )
            return
        have = sorted(p.name for p in (folder / "source").iterdir() if p.is_dir())
        for item in labs:
            if item.id not in have:
                self.fail(
                    f"nbgrader assignment {item.id!r} is not in the nbgrader course "
                    f"{folder} (it has: {', '.join(have)})"
                )


def covered(plan: Plan) -> tuple[list[str], list[str]]:
    """The kit's exercises the plan's code assignments cover, and those it leaves out."""
    inside = {e for item in plan.code for e in item.exercises}
    every = every_exercise()
    return [e for e in every if e in inside], [e for e in every if e not in inside]


def split_modules(plan: Plan) -> dict[str, list[str]]:
    """Modules whose exercises are spread over several assignments: ``{module: [ids]}``. Such a
    module's stub file ships whole with the first of them (later functions as empty stubs)."""
    owners: dict[str, list[str]] = {}
    for item in plan.code:
        for module in item.modules:
            owners.setdefault(module, []).append(item.id)
    return {m: ids for m, ids in owners.items() if len(ids) > 1}


def describe_late(item: Item) -> str:
    """The late policy of ``item`` as it will be applied, in one sentence."""
    policy = item.late
    parts = [f"{_minutes(policy.grace)} of grace"] if policy.grace else []
    if policy.penalty:
        capped = f", at most {policy.cap:g}%" if policy.cap < 100 else ""
        # after a grace period the started units still count from the due date (16 min late
        # with 15 of grace is one started day); without one, from the first moment late
        then, late = ("then ", "") if policy.grace else ("", " late")
        parts.append(
            f"{then}{policy.penalty:g}% of the earned score per started {policy.per}{late}{capped}"
        )
    if policy.no_credit_after is not None:
        parts.append(f"no credit more than {_minutes(policy.no_credit_after)} late")
    if not policy.penalty and policy.no_credit_after is None:
        return "no late penalty"
    return "; ".join(parts)


def _minutes(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    text = " ".join(f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if n)
    return text or "0 min"


def at(plan: Plan, value: str) -> datetime:
    """Parse an ISO date-time typed on a command line (no offset: the course's time zone)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date-time such as 2027-01-18T23:59") from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"{value!r} is outside the years {FIRST_YEAR} to {LAST_YEAR}: a typo?")
    return moment if moment.tzinfo else _in_zone(moment, plan.timezone)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def _in_zone(naive: datetime, tz: ZoneInfo) -> datetime:
    """A clock time of the course's zone, refused where the clocks skip it or show it twice."""
    return in_zone(naive, tz)

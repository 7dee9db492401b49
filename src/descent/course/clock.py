"""Time for a term: one way to measure lateness, one range of dates, one reading of a clock
time in a zone.

* :func:`elapsed`: the time between two instants, in elapsed time (Python subtracts two
  datetimes that share one zone object as clock times: an hour off across a change to or from
  daylight saving);
* :func:`sane`: every date a term reads lies in :data:`FIRST_YEAR` to :data:`LAST_YEAR`;
* :func:`in_zone`: a clock time read in a zone, refused where the clocks skip it or show it
  twice, since any reading there would be a guess.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# Every date the term reads (the plan, a time stamp, the manifest, an extension, a time set by
# hand, --at) lies in these years: year 1 or 9999 is a typo, and near either end of Python's
# range a conversion between zones overflows.
FIRST_YEAR, LAST_YEAR = 1970, 2199


def sane(moment: datetime, what: str = "the date") -> datetime:
    """``moment`` when its year is one a term can have; else ``ValueError`` naming ``what``."""
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(
            f"{what} {moment.isoformat()} is outside the years {FIRST_YEAR} to {LAST_YEAR}: a typo?"
        )
    return moment


def elapsed(later: datetime, earlier: datetime) -> timedelta:
    """The time that passed from ``earlier`` to ``later``, in elapsed time. Python subtracts two
    datetimes that share one time zone object as clock times, so across a change to or from
    daylight saving it is an hour off; every lateness of the kit is computed here, in UTC."""
    return later.astimezone(timezone.utc) - earlier.astimezone(timezone.utc)


def zone_name(tz) -> str:
    """How a time zone is named in messages: its IANA key, else its own repr."""
    return str(getattr(tz, "key", None) or tz)


def in_zone(naive: datetime, tz, shown: str = "") -> datetime:
    """A clock time read in ``tz``: refused when the clocks skip it (spring) or show it twice
    (autumn), where any reading would be a guess."""
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    what = shown or naive.isoformat(sep=" ")
    if not exists(first):
        raise ValueError(
            f"{what} does not exist in {zone_name(tz)}: the clocks jump over it (daylight "
            f"saving); give the time with its offset"
        )
    if first.utcoffset() != second.utcoffset():
        raise ValueError(
            f"{what} happens twice in {zone_name(tz)} (the clocks go back that night): give "
            f"the time with its offset ({first.strftime('%z')} or {second.strftime('%z')})"
        )
    return first


def exists(local: datetime) -> bool:
    there = local.astimezone(timezone.utc).astimezone(local.tzinfo)
    return there.replace(tzinfo=None) == local.replace(tzinfo=None)

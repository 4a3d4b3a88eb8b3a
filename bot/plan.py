"""At your pace or against your deadline: which steps on which day, and when to remind.

Pure, like `engine`: plain values in, plain values out. No Telegram, no SQLite and no clock
reads; `today` and `now` are always passed in, so every date rule (month ends, year ends, the
DST changes) is a plain, fast test.

Dates here are the learner's *local* dates. Instants (`now`, the reminder moments) are
UTC-aware datetimes; `local_date` and the reminder functions convert between the two through
the learner's zone, which is either a fixed offset (`datetime.timezone`) or an IANA `ZoneInfo`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

MAX_STEPS_PER_DAY = 3
"""More new steps than this in a day stops being learning; a plan never asks for more."""

REMINDER_HORIZON_DAYS = 30
"""How far ahead `next_reminder` looks for a day with work before giving up."""

_MAX_LAYOUT_DAYS = 3660
"""A safety stop for laying out steps, so a pace that never schedules anything can't loop."""


class Goal(StrEnum):
    """The pace a learner chose: how many new steps on which days."""

    ONE_A_DAY = "1-a-day"
    TWO_A_DAY = "2-a-day"
    WEEKENDS = "weekends"

    def steps_on(self, day: date) -> int:
        """How many steps this goal plans for `day` (0 on weekdays for the weekends goal)."""
        if self is Goal.ONE_A_DAY:
            return 1
        if self is Goal.TWO_A_DAY:
            return 2
        return 2 if _is_weekend(day) else 0


def _is_weekend(day: date) -> bool:
    return day.weekday() >= 5


# --- Reading what the learner typed ------------------------------------------------------------

_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-"})  # typed minus signs
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)
_LOWEST_OFFSET = timedelta(hours=-12)
_HIGHEST_OFFSET = timedelta(hours=14)


def parse_zone(text: str) -> tzinfo | None:
    """A time zone from what a learner typed, or None; never raises, since any text can arrive.

    Offsets ("UTC+5:30", "gmt-3", "+02:00") become fixed `timezone`s: they are what most people
    know about their zone. Zone names ("Europe/Berlin", any case) become `ZoneInfo`, which also
    follows the zone's DST changes.
    """
    if not isinstance(text, str):
        return None
    cleaned = " ".join(text.translate(_MINUS).split())
    if cleaned.upper() in {"UTC", "GMT", "Z"}:
        return UTC
    match = _OFFSET.fullmatch(cleaned)
    if match:
        return _fixed_zone(*match.groups())
    key = _zone_keys().get(cleaned.replace(" ", "_").lower())
    if key is None:
        return None
    try:
        return ZoneInfo(key)
    except (ValueError, OSError):  # the zone's data went missing under us
        return None


def _fixed_zone(sign: str, hours: str, minutes: str | None) -> timezone | None:
    hh, mm = int(hours), int(minutes or 0)
    if mm not in (0, 15, 30, 45):
        return None
    offset = timedelta(hours=hh, minutes=mm) * (-1 if sign == "-" else 1)
    if not _LOWEST_OFFSET <= offset <= _HIGHEST_OFFSET:
        return None
    return UTC if not offset else timezone(offset)


@cache
def _zone_keys() -> dict[str, str]:
    """Lower-cased IANA names to their proper spelling, read once (the listing scans disk)."""
    try:
        return {key.lower(): key for key in available_timezones()}
    except OSError:
        return {}


def zone_name(zone: tzinfo) -> str:
    """A zone as the learner reads it and as it is stored; `parse_zone` reads it back."""
    if isinstance(zone, ZoneInfo) and zone.key:
        return zone.key
    offset = zone.utcoffset(None)
    if offset is None:
        return str(zone)
    if not offset:
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?\s*(?:([ap])\.?\s*m\.?)?", re.IGNORECASE)


def parse_time(text: str) -> time | None:
    """A wall time from "8:00", "20:15", "8pm" or "8 am"; None for anything else.

    A bare number ("8") is refused: it could be 08:00 or 20:00, and a reminder at the wrong
    one is worse than asking again.
    """
    if not isinstance(text, str):
        return None
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    hours, minutes, meridiem = match.groups()
    hh, mm = int(hours), int(minutes or 0)
    if meridiem is None and minutes is None:
        return None
    if meridiem is not None:
        if not 1 <= hh <= 12:
            return None
        hh = hh % 12 + (12 if meridiem.lower() == "p" else 0)
    if hh > 23 or mm > 59:
        return None
    return time(hh, mm)


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ORDINAL = r"(?:st|nd|rd|th)?"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?\.?")
_DAY_MONTH = re.compile(rf"(\d{{1,2}}){_ORDINAL}[\s/-]*(?:of\s+)?([a-z]+)\.?(?:[\s,/-]+(\d{{4}}))?")
_MONTH_DAY = re.compile(rf"([a-z]+)\.?[\s/-]*(\d{{1,2}}){_ORDINAL}(?:[\s,/-]+(\d{{4}}))?")
_RELATIVE = re.compile(r"in\s+(\d{1,4}|an?)\s+(day|week)s?")


def parse_date(text: str, today: date) -> date | None:
    """A date on or after `today` from what a learner typed; None for junk or the past.

    A day and month without a year mean the next such date (on 20 Dec, "1 Dec" is next year's),
    which is what someone setting a deadline means. Dotted dates are day-first (01.12.2026);
    slashed numeric dates are refused, since 01/12 reads differently either side of the Atlantic.
    """
    if not isinstance(text, str):
        return None
    cleaned = " ".join(text.lower().split())
    try:
        found = _read_date(cleaned, today)
    except (ValueError, OverflowError):  # 31 Feb, year 99999, "in 9999 weeks" past date.max
        return None
    return found if found is not None and found >= today else None


def _read_date(text: str, today: date) -> date | None:
    if text == "today":
        return today
    if text == "tomorrow":
        return today + timedelta(days=1)
    if match := _RELATIVE.fullmatch(text):
        count, unit = match.groups()
        n = 1 if count in ("a", "an") else int(count)
        return today + timedelta(days=n * (7 if unit == "week" else 1))
    if match := _ISO.fullmatch(text):
        return date(*(int(part) for part in match.groups()))
    if match := _DOTTED.fullmatch(text):
        day, month, year = match.groups()
        full_year = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
        return _day_month(int(day), int(month), full_year, today)
    if match := _DAY_MONTH.fullmatch(text):
        day, month_name, year = match.groups()
    elif match := _MONTH_DAY.fullmatch(text):
        month_name, day, year = match.groups()
    else:
        return None
    month = _MONTHS.get(month_name)
    if month is None:
        return None
    return _day_month(int(day), month, int(year) if year else None, today)


def _day_month(day: int, month: int, year: int | None, today: date) -> date | None:
    """The date itself when a year is given; else the next one on or after `today`.

    The search runs a few years so that 29 Feb finds the next leap year.
    """
    if year is not None:
        return date(year, month, day)
    for candidate_year in range(today.year, today.year + 9):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


# --- The plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """One day of a plan: the steps to take, in order, and the due reviews to clear."""

    day: date
    steps: tuple[int, ...]
    reviews: int


@dataclass(frozen=True)
class Plan:
    """Days with work, in date order, and whether the deadline (if any) can be met."""

    days: tuple[Day, ...]
    realistic: bool
    """False when the deadline is too close (or past) for the work at `MAX_STEPS_PER_DAY`."""
    deadline: date | None
    finish: date | None
    """The last day with work; after the deadline when the plan isn't realistic."""


def plan(
    remaining: list[int],
    reviews_due: int,
    today: date,
    goal: Goal,
    deadline: date | None = None,
) -> Plan:
    """Lay the remaining steps out over days, at the goal's pace or to meet a deadline.

    With a deadline the steps are spread evenly over the goal's days up to it, so the learner
    works a little each day instead of cramming at the end. When they can't fit at
    `MAX_STEPS_PER_DAY`, the plan says so (realistic=False) and shows the honest alternative:
    the same days at the most a day, finishing after the deadline.
    """
    steps = list(remaining)
    reviews = max(reviews_due, 0)
    if not steps and not reviews:
        return Plan((), True, deadline, None)
    if deadline is None or not steps:
        return _finish(_at_pace(steps, today, goal.steps_on), reviews, today, True, deadline)
    if deadline < today:
        return _finish(_at_pace(steps, today, goal.steps_on), reviews, today, False, deadline)
    days = _deadline_days(today, deadline, goal)
    if len(steps) > len(days) * MAX_STEPS_PER_DAY:
        layout = _at_pace(steps, today, _at_most(goal))
        return _finish(layout, reviews, today, False, deadline)
    return _finish(_spread(steps, days), reviews, today, True, deadline)


def _deadline_days(today: date, deadline: date, goal: Goal) -> list[date]:
    """The days available up to the deadline: the goal's days, or every day if none fall in it.

    (Only the weekends goal skips days; a Tuesday-to-Thursday deadline still gets a plan.)
    """
    every_day = [today + timedelta(days=n) for n in range((deadline - today).days + 1)]
    goal_days = [day for day in every_day if goal.steps_on(day) > 0]
    return goal_days or every_day


def _at_most(goal: Goal) -> Callable[[date], int]:
    """The goal's days at `MAX_STEPS_PER_DAY` each: the fastest pace the learner signed up for.

    Keeping to the goal's days (weekends stay weekends) means the realistic finish is always
    after the deadline and is itself a deadline that fits, so offering it as the new deadline
    gives a realistic plan.
    """
    return lambda day: MAX_STEPS_PER_DAY if goal.steps_on(day) > 0 else 0


def _at_pace(steps: list[int], start: date, per_day: Callable[[date], int]) -> list[Day]:
    """`per_day(day)` steps on each day from `start` until none are left."""
    days: list[Day] = []
    queue = iter(steps)
    left = len(steps)
    for day in _days_from(start):
        if not left:
            break
        take = min(per_day(day), left)
        if take > 0:
            days.append(Day(day, tuple(next(queue) for _ in range(take)), 0))
            left -= take
    return days


def _days_from(start: date) -> Iterator[date]:
    for n in range(_MAX_LAYOUT_DAYS):
        yield start + timedelta(days=n)


def _spread(steps: list[int], days: list[date]) -> list[Day]:
    """The steps over the days as evenly as whole steps allow, the extras on the earliest days.

    Front-loading the remainder puts the learner ahead of a straight line to the deadline, so
    a missed day later on doesn't make the plan slip. With fewer steps than days, that means
    one step a day from the first day, leaving the last days free as a buffer.
    """
    base, extra = divmod(len(steps), len(days))
    planned: list[Day] = []
    done = 0
    for k, day in enumerate(days):
        take = base + (1 if k < extra else 0)
        if take:
            planned.append(Day(day, tuple(steps[done : done + take]), 0))
            done += take
    return planned


def _finish(
    days: list[Day], reviews: int, today: date, realistic: bool, deadline: date | None
) -> Plan:
    """Put the due reviews on the first day with work (today if there is none) and seal it."""
    if reviews:
        if days:
            first = days[0]
            days[0] = Day(first.day, first.steps, reviews)
        else:
            days = [Day(today, (), reviews)]
    return Plan(tuple(days), realistic, deadline, days[-1].day if days else None)


def behind(planned: Plan, made_on: date, done_since: int, today: date) -> int:
    """How many steps short of the plan the learner is: what was due before today, less done.

    Today's steps don't count yet: the day isn't over.
    """
    due = sum(len(day.steps) for day in planned.days if made_on <= day.day < today)
    return max(due - done_since, 0)


# --- Reminders ---------------------------------------------------------------------------------


def local_date(now: datetime, zone: tzinfo) -> date:
    """The learner's calendar date at the instant `now` (a naive `now` is taken as UTC)."""
    return _aware(now).astimezone(zone).date()


def next_reminder(
    now: datetime,
    zone: tzinfo,
    at: time,
    goal: Goal,
    last_sent_on: date | None,
    planned: Plan | None = None,
) -> datetime | None:
    """The next instant (UTC) after `now` to remind the learner, or None if there is none.

    That is `at` local time on the next local day with work that hasn't had its reminder yet.
    With a plan its days are the days with work, and a finished plan means no more reminders;
    without one, the goal's days are.
    """
    now = _aware(now)
    today = local_date(now, zone)
    if planned is not None and (planned.finish is None or planned.finish < today):
        return None
    works = _work_days(goal, planned)
    for n in range(REMINDER_HORIZON_DAYS + 1):
        day = today + timedelta(days=n)
        if day == last_sent_on or not works(day):
            continue
        moment = _instant(day, at, zone)
        if moment > now:
            return moment
    return None


def missed_reminder(
    now: datetime,
    zone: tzinfo,
    at: time,
    goal: Goal,
    last_sent_on: date | None,
    planned: Plan | None = None,
) -> bool:
    """Whether today's reminder came due while the bot was down, so one is owed at start-up.

    Only today's: reminders missed on earlier days are stale, and sending a pile of them on
    start-up would be noise.
    """
    now = _aware(now)
    today = local_date(now, zone)
    if last_sent_on == today or not _work_days(goal, planned)(today):
        return False
    return now >= _instant(today, at, zone)


def _work_days(goal: Goal, planned: Plan | None) -> Callable[[date], bool]:
    if planned is None:
        return lambda day: goal.steps_on(day) > 0
    days = {day.day for day in planned.days}
    return lambda day: day in days


def _instant(day: date, at: time, zone: tzinfo) -> datetime:
    """The UTC instant of local wall time `at` on `day` in `zone`.

    fold=0 does the DST handling: an ambiguous time (clocks going back) is its first
    occurrence, and a time that doesn't exist (clocks going forward) is read with the offset
    from before the change, which lands it that gap later (02:30 becomes 03:30).
    """
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- Streaks -----------------------------------------------------------------------------------


def streak(active_days: set[date], today: date) -> int:
    """Consecutive active days ending today, or yesterday while today is still open.

    A learner who studied every day until yesterday still has their streak this morning; it
    only breaks once a whole day passes without activity.
    """
    day = today if today in active_days else today - timedelta(days=1)
    count = 0
    while day in active_days:
        count += 1
        day -= timedelta(days=1)
    return count


def to_json(planned: Plan) -> str:
    """A plan as stored with the schedule, to measure later how far behind it a learner is."""
    return json.dumps(
        {
            "days": [[d.day.isoformat(), list(d.steps), d.reviews] for d in planned.days],
            "realistic": planned.realistic,
            "deadline": planned.deadline.isoformat() if planned.deadline else None,
            "finish": planned.finish.isoformat() if planned.finish else None,
        }
    )


def from_json(text: str | None) -> Plan | None:
    if not text:
        return None
    data = json.loads(text)
    days = tuple(Day(date.fromisoformat(d), tuple(s), r) for d, s, r in data["days"])
    deadline = date.fromisoformat(data["deadline"]) if data["deadline"] else None
    finish = date.fromisoformat(data["finish"]) if data["finish"] else None
    return Plan(days, data["realistic"], deadline, finish)

"""At your pace or against your deadline: which steps on which day, and how far behind.

Pure, like the lesson rules: plain values in, plain values out, `today` always passed in, so
every date rule (month ends, year ends, leap days) is a plain, fast test. Dates here are the
learner's *local* dates (`dates.local_date`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from bot.core.dates import local_date

MAX_STEPS_PER_DAY = 3
"""More new steps than this in a day stops being learning; a plan never asks for more."""

LONGEST_PLAN_DAYS = 366
"""A deadline at most a year away: further is refused before any plan is laid out, which
also keeps laying one out cheap (one entry per day)."""

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


def active_streak(moments: Iterable[datetime], zone: tzinfo, now: datetime) -> int:
    """The streak in the learner's own calendar, from the instants they were active."""
    return streak({local_date(moment, zone) for moment in moments}, local_date(now, zone))


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

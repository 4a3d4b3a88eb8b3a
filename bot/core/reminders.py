"""Reminders at the learner's local time: when the next one comes, and what a due one says.

Pure: the schedule, the learner's progress and `now` in; the moment to store, or the reminder
to send with the schedule to save, out. The service stores `next_at` with every schedule it
saves, so one sweep over an indexed column finds who is due, however many learners there are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

from bot.content import Course, Step
from bot.core.dates import aware, instant, local_date, parse_time, parse_zone
from bot.core.model import Schedule
from bot.core.plan import Goal, Plan, active_streak, behind, from_json

REMINDER_HORIZON_DAYS = 30
"""How far ahead `next_reminder` looks for a day with work before giving up."""


@dataclass(frozen=True)
class Reminder:
    """Today's work: the steps planned for today, the reviews due, and how the learner stands."""

    course: Course
    steps: tuple[Step, ...]
    reviews: int
    behind: int
    streak: int


@dataclass(frozen=True)
class WrapUp:
    """No more reminders: the deadline passed, or the course and its reviews are done."""

    course: Course
    past_deadline: bool


@dataclass(frozen=True)
class ReminderTurn:
    schedule: Schedule
    """The schedule to save (it records the day, so a day never gets two)."""
    say: Reminder | WrapUp | None


def parts(schedule: Schedule) -> tuple[tzinfo, time, Goal] | None:
    """The zone, time and goal of a schedule that reminds; None when paused or incomplete."""
    if schedule.zone is None or schedule.remind_at is None or schedule.paused:
        return None
    zone, at = parse_zone(schedule.zone), parse_time(schedule.remind_at)
    if zone is None or at is None:
        return None
    return zone, at, Goal(schedule.goal or Goal.ONE_A_DAY)


def next_at(schedule: Schedule, now: datetime) -> datetime | None:
    """The moment to store with a schedule: when its next reminder is due, if ever."""
    found = parts(schedule)
    if found is None:
        return None
    zone, at, goal = found
    return next_reminder(now, zone, at, goal, schedule.last_sent_on, from_json(schedule.plan))


def remind(
    schedule: Schedule,
    now: datetime,
    course: Course,
    finished: frozenset[int],
    reviews_due: int,
    active_at: Iterable[datetime],
) -> ReminderTurn:
    """What a reminder falling due at `now` says, if anything is owed today.

    Only today's reminder is ever sent: one missed on an earlier day (the bot was down, the
    learner had blocked it) is stale, and a pile of them would be noise.
    """
    found = parts(schedule)
    nothing = ReminderTurn(schedule, None)
    if found is None:
        return nothing
    zone, at, goal = found
    planned = from_json(schedule.plan)
    if not missed_reminder(now, zone, at, goal, schedule.last_sent_on, planned):
        return nothing
    today = local_date(now, zone)
    sent = replace(schedule, last_sent_on=today)
    remaining = [s for s in course.steps if s.number not in finished]
    past_deadline = schedule.deadline is not None and today > schedule.deadline
    if past_deadline or (not remaining and not reviews_due):
        return ReminderTurn(replace(sent, paused=True), WrapUp(course, past_deadline))
    if planned is not None:
        day = next((d for d in planned.days if d.day == today), None)
        done_since = len(finished) - schedule.done_at_plan
        late = behind(planned, schedule.plan_made_on or today, done_since, today)
        # Today's share of the plan, always from the next unfinished step on.
        steps = remaining[: max(len(day.steps) if day else 0, 1 if late else 0)]
    else:
        steps, late = remaining[: goal.steps_on(today)], 0
    if not steps and not reviews_due:
        return ReminderTurn(sent, None)
    days = active_streak(active_at, zone, now)
    return ReminderTurn(sent, Reminder(course, tuple(steps), reviews_due, late, days))


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
    now = aware(now)
    today = local_date(now, zone)
    if planned is not None and (planned.finish is None or planned.finish < today):
        return None
    works = _work_days(goal, planned)
    for n in range(REMINDER_HORIZON_DAYS + 1):
        day = today + timedelta(days=n)
        if day == last_sent_on or not works(day):
            continue
        moment = instant(day, at, zone)
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
    """Whether today's reminder is owed: its time has come today and it has not been sent."""
    now = aware(now)
    today = local_date(now, zone)
    if last_sent_on == today or not _work_days(goal, planned)(today):
        return False
    return now >= instant(today, at, zone)


def _work_days(goal: Goal, planned: Plan | None) -> Callable[[date], bool]:
    if planned is None:
        return lambda day: goal.steps_on(day) > 0
    days = {day.day for day in planned.days}
    return lambda day: day in days

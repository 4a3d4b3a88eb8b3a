"""/pace, /deadline and /stop as rules: what each command, button or typed answer changes in a
learner's schedule, and what to say back.

Pure, like the lesson rules: the schedule and the facts a plan needs (`PaceFacts`) in, a
`PaceTurn` out. What the bot waits for next (a typed zone, time or date) is a field of the
schedule, so a restart in the middle of setting up changes nothing. A button payload is
untrusted input: anything that does not name what was offered is refused, never raised on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.content import Course, Library
from bot.core.dates import parse_date, parse_time, parse_zone, zone_name
from bot.core.model import Position, Refusal, Schedule
from bot.core.plan import LONGEST_PLAN_DAYS, Goal, Plan, plan, to_json

ZONE_CHOICES = ("UTC-8", "UTC-5", "UTC-3", "UTC", "UTC+1", "UTC+2", "UTC+3", "UTC+5:30", "UTC+8")
TIME_CHOICES = ("07:30", "12:00", "18:00", "20:30")
DEADLINE_CHOICES = (("In 3 days", 3), ("In a week", 7), ("In two weeks", 14))
TYPED = ("zone", "time", "deadline")
"""What a learner can choose to type instead of tapping: the `k` buttons."""


# --- What to say ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """A question with its buttons: "zone", "goal", "time", "deadline", or a typed "zone",
    "typed_time" or "typed_date"."""

    what: str
    zone: str | None = None
    goal: Goal | None = None


@dataclass(frozen=True)
class Unreadable:
    """Typed text that is not a zone, a time, or a date from today on (`too_far`: over a year)."""

    what: str
    too_far: bool = False


@dataclass(frozen=True)
class PaceSet:
    goal: Goal
    at: str
    zone: str


@dataclass(frozen=True)
class PlanMade:
    course: Course
    plan: Plan
    today: date
    offer_reminders: bool


@dataclass(frozen=True)
class Done:
    """A one-line acknowledgement: "deadline_off" or "stopped"."""

    what: str


PaceSay = Ask | Unreadable | PaceSet | PlanMade | Done


@dataclass(frozen=True)
class PaceTurn:
    schedule: Schedule
    """The schedule to save (the same one when nothing changed)."""
    say: tuple[PaceSay, ...] = ()


@dataclass(frozen=True)
class PaceFacts:
    """What a plan needs, gathered by the service: today in the learner's zone, the course the
    plan is for, the steps finished in it and the reviews due."""

    today: date
    course: Course
    finished: frozenset[int]
    reviews_due: int


# --- Commands ---------------------------------------------------------------------------------


def start_pace(s: Schedule) -> PaceTurn:
    """/pace: the zone first (asked once), then the goal; it also turns reminders back on."""
    if s.zone is None:
        return PaceTurn(replace(s, awaiting="zone", paused=False), (Ask("zone"),))
    return PaceTurn(replace(s, awaiting=None, paused=False), (Ask("goal", zone=s.zone),))


def stop(s: Schedule) -> PaceTurn:
    """/stop: pause every reminder."""
    return PaceTurn(replace(s, paused=True, awaiting=None), (Done("stopped"),))


def deadline(s: Schedule, args: str, facts: PaceFacts) -> PaceTurn:
    """/deadline (ask), /deadline off (remove), /deadline <date> (plan to it)."""
    if args.strip().lower() == "off":
        cleared = replace(s, deadline=None, plan=None, plan_made_on=None, awaiting=None)
        return PaceTurn(cleared, (Done("deadline_off"),))
    if args.strip():
        return _typed_deadline(s, args, facts)
    return PaceTurn(replace(s, awaiting="deadline"), (Ask("deadline"),))


def typed(s: Schedule, text: str, facts: PaceFacts) -> PaceTurn | None:
    """Typed text the schedule waits for; None when it waits for nothing."""
    if s.awaiting == "zone":
        zone = parse_zone(text)
        return _zone(s, zone_name(zone)) if zone else PaceTurn(s, (Unreadable("zone"),))
    if s.awaiting == "time":
        at = parse_time(text)
        return _time(s, at.strftime("%H:%M")) if at else PaceTurn(s, (Unreadable("time"),))
    if s.awaiting == "deadline":
        return _typed_deadline(s, text, facts)
    return None


def choose(s: Schedule, kind: str, value: str, facts: PaceFacts) -> PaceTurn | Refusal:
    """A tap on a pace button: z (zone), g (goal), t (time), d (deadline: days from today or
    YYYYMMDD) or k (the learner will type a zone, time or deadline)."""
    if kind == "z" and (i := _index(value, ZONE_CHOICES)) is not None:
        zone = parse_zone(ZONE_CHOICES[i])
        assert zone is not None  # every offered zone parses (tested)
        return _zone(s, zone_name(zone))
    if kind == "g" and value in {g.value for g in Goal}:
        return PaceTurn(replace(s, goal=value, awaiting=None), (Ask("time", goal=Goal(value)),))
    if kind == "t" and (i := _index(value, TIME_CHOICES)) is not None:
        return _time(s, TIME_CHOICES[i])
    if kind == "d" and (when := _deadline_button(value, facts.today)) is not None:
        return _plan_to(s, when, facts)
    if kind == "k" and value in TYPED:
        prompt = {"zone": "zone", "time": "typed_time", "deadline": "typed_date"}[value]
        return PaceTurn(replace(s, awaiting=value), (Ask(prompt),))
    return Refusal.UNKNOWN


# --- Steps of the conversation ----------------------------------------------------------------


def _zone(s: Schedule, zone: str) -> PaceTurn:
    return PaceTurn(replace(s, zone=zone, awaiting=None), (Ask("goal", zone=zone),))


def _time(s: Schedule, at: str) -> PaceTurn:
    """Reminders at `at`, in the learner's zone (UTC if they never gave one: what we say is
    what we save, or the reminder would never come)."""
    goal, zone = Goal(s.goal or Goal.ONE_A_DAY), s.zone or "UTC"
    updated = replace(s, zone=zone, remind_at=at, goal=goal.value, awaiting=None, paused=False)
    return PaceTurn(updated, (PaceSet(goal, at, zone),))


def _typed_deadline(s: Schedule, text: str, facts: PaceFacts) -> PaceTurn:
    when = parse_date(text, facts.today)
    if when is None:
        return PaceTurn(replace(s, awaiting="deadline"), (Unreadable("date"),))
    if _too_far(when, facts.today):
        return PaceTurn(replace(s, awaiting="deadline"), (Unreadable("date", too_far=True),))
    return _plan_to(s, when, facts)


def _plan_to(s: Schedule, when: date, facts: PaceFacts) -> PaceTurn:
    remaining = [step.number for step in facts.course.steps if step.number not in facts.finished]
    goal = Goal(s.goal or Goal.ONE_A_DAY)
    planned = plan(remaining, facts.reviews_due, facts.today, goal, when)
    updated = replace(
        s,
        deadline=when,
        course_id=facts.course.id,
        awaiting=None,
        plan=to_json(planned),
        plan_made_on=facts.today,
        done_at_plan=len(facts.finished),
    )
    offer = updated.remind_at is None or updated.paused
    return PaceTurn(updated, (PlanMade(facts.course, planned, facts.today, offer),))


def _deadline_button(value: str, today: date) -> date | None:
    """A deadline button's date: days from today, or YYYYMMDD (a realistic finish offered)."""
    if not _digits(value):
        return None
    if len(value) == 8:
        try:
            chosen = datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            return None
    elif len(value) <= 3:
        chosen = today + timedelta(days=int(value))
    else:
        return None
    return chosen if today <= chosen and not _too_far(chosen, today) else None


def _too_far(when: date, today: date) -> bool:
    return (when - today).days > LONGEST_PLAN_DAYS


def _index(value: str, choices: tuple[str, ...]) -> int | None:
    return int(value) if _digits(value) and int(value) < len(choices) else None


def _digits(value: str) -> bool:
    """ASCII digits only: "²".isdigit() is True, and int("²") raises."""
    return value.isascii() and value.isdigit() and len(value) <= 8


# --- Which course a plan is for ---------------------------------------------------------------


def course_to_plan(library: Library, position: Position | None, s: Schedule) -> Course:
    """A new plan is for the course in progress, else the one planned before, else the first."""
    return _first_course(library, position.course_id if position else None, s.course_id)


def planned_course(library: Library, position: Position | None, s: Schedule) -> Course:
    """A reminder is about the course its plan is for, else the course in progress."""
    return _first_course(library, s.course_id, position.course_id if position else None)


def _first_course(library: Library, *ids: str | None) -> Course:
    for course_id in ids:
        course = library.course(course_id) if course_id else None
        if course is not None:
            return course
    return library.courses[0]

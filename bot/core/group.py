"""Group study rules: one shared question at a time, each member's own answer, a reveal.

Pure functions over plain data with `now` passed in, like `lesson`: the service
(`bot.tutor.groups`) reads a group's `Session` once, calls one function here, saves what it
returns and shows it. A session walks through one step: each question is asked to the whole
group, members answer (and may change their answer) until the reveal, the reveal shows the
right option and how the group chose, then the next question; the step ends with the takeaway,
the pattern and a board.

The reveal comes when every member who joined the session has answered (joining means having
answered an earlier question, so the first question waits for the timer or /reveal), when the
timer runs out, or when whoever may drive says so. A question's `seq` is on its buttons: a tap
on any other question is stale, exactly as in a private lesson.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.content import Course, Option, Question, Step, Verdict

DEFAULT_TIMER = 60
"""Seconds from a question to its reveal, unless the group sets another (`/study 90`)."""
TIMER_RANGE = (10, 3600)
IDLE = timedelta(days=1)
"""A session nobody has touched for this long ends itself."""


class GroupPhase(StrEnum):
    ASKING = "asking"
    REVEALED = "revealed"


@dataclass(frozen=True)
class Settings:
    """How a group studies; kept per group across sessions."""

    timer: int = DEFAULT_TIMER
    """Seconds to the reveal; 0: no timer (reveal on /reveal or when all have answered)."""
    anyone: bool = False
    """Every member may start, reveal, move on and end; by default only the admins."""
    names: bool = False
    """The end-of-step board names who studied (never who got what wrong)."""


@dataclass(frozen=True)
class GroupAnswer:
    """One member's current answer to one question of the session."""

    question: int
    user_id: int
    option_id: str
    first_name: str | None = None


@dataclass(frozen=True)
class Session:
    """A group's study session: where it is and every answer given in it."""

    chat_id: int
    course_id: str
    step: int
    question: int
    phase: GroupPhase
    seq: int
    started_at: datetime
    active_at: datetime
    reveal_at: datetime | None = None
    message_id: int | None = None
    """The group's message holding the open question (learned from the taps on it)."""
    shown_count: int = 0
    """How many answers the question message says it has."""
    answers: tuple[GroupAnswer, ...] = ()

    def on(self, question: int) -> tuple[GroupAnswer, ...]:
        return tuple(a for a in self.answers if a.question == question)

    @property
    def current(self) -> tuple[GroupAnswer, ...]:
        return self.on(self.question)

    @property
    def joined(self) -> frozenset[int]:
        """Members who answered an earlier question: the ones a reveal waits for."""
        return frozenset(a.user_id for a in self.answers if a.question < self.question)

    @property
    def members(self) -> frozenset[int]:
        return frozenset(a.user_id for a in self.answers)

    def idle(self, now: datetime) -> bool:
        return now - self.active_at >= IDLE


# --- /study and its settings -------------------------------------------------------------------


@dataclass(frozen=True)
class Study:
    """/study: open the course menu (or show the open question)."""

    timer: int | None = None


@dataclass(frozen=True)
class SetAnyone:
    anyone: bool


@dataclass(frozen=True)
class SetNames:
    names: bool


@dataclass(frozen=True)
class BadArgs:
    text: str


StudyCommand = Study | SetAnyone | SetNames | BadArgs


def parse_study(args: str) -> StudyCommand:
    """`/study`, `/study 90`, `/study off` (no timer), `/study anyone`, `/study admins`,
    `/study board names`, `/study board off`."""
    words = args.lower().split()
    match words:
        case []:
            return Study()
        case ["anyone" | "everyone" | "all"]:
            return SetAnyone(True)
        case ["admins" | "admin"]:
            return SetAnyone(False)
        case ["board", "names" | "on"]:
            return SetNames(True)
        case ["board", "off" | "anonymous" | "nonames"]:
            return SetNames(False)
        case ["off" | "notimer" | "0"]:
            return Study(timer=0)
        case [seconds] if re.fullmatch(r"[0-9]{1,5}s?", seconds):
            value = int(seconds.rstrip("s"))
            if TIMER_RANGE[0] <= value <= TIMER_RANGE[1]:
                return Study(timer=value)
    return BadArgs(args[:40])


# --- A session -----------------------------------------------------------------------------------


def start(
    chat_id: int, course: Course, step: Step, settings: Settings, last_seq: int, now: datetime
) -> Session:
    """A new session on a step's first question."""
    return _ask(
        Session(chat_id, course.id, step.number, 0, GroupPhase.ASKING, last_seq, now, now),
        0,
        settings,
        now,
    )


def _ask(session: Session, question: int, settings: Settings, now: datetime) -> Session:
    reveal_at = now + timedelta(seconds=settings.timer) if settings.timer else None
    return replace(
        session,
        question=question,
        phase=GroupPhase.ASKING,
        seq=session.seq + 1,
        reveal_at=reveal_at,
        message_id=None,
        shown_count=0,
        active_at=now,
    )


class Tap(StrEnum):
    """What became of a member's tap on an option."""

    COUNTED = "counted"
    CHANGED = "changed"
    ALREADY = "already"
    """The same option again: nothing changes."""
    CLOSED = "closed"
    """The question was revealed, or another one is open."""
    UNKNOWN = "unknown"
    """An option the question does not have."""


def answer(
    session: Session,
    question: Question,
    user_id: int,
    first_name: str | None,
    tap_seq: int,
    option_id: str,
    now: datetime,
) -> tuple[Session, Tap, Option | None]:
    """A member picked an option of the open question: counted, or changed, until the reveal."""
    if tap_seq != session.seq or session.phase is not GroupPhase.ASKING:
        return session, Tap.CLOSED, None
    option = question.option(option_id)
    if option is None:
        return session, Tap.UNKNOWN, None
    before = next((a for a in session.current if a.user_id == user_id), None)
    if before is not None and before.option_id == option_id:
        return session, Tap.ALREADY, option
    mine = GroupAnswer(session.question, user_id, option_id, first_name)
    if before is None:
        answers = (*session.answers, mine)
    else:  # a changed answer keeps its place: the board names people in the order they came
        answers = tuple(mine if a == before else a for a in session.answers)
    kept = replace(session, answers=answers, active_at=now)
    return kept, Tap.CHANGED if before else Tap.COUNTED, option


def due(session: Session, now: datetime) -> bool:
    """Should the open question be revealed now, without anyone asking?"""
    if session.phase is not GroupPhase.ASKING:
        return False
    if session.reveal_at is not None and now >= session.reveal_at:
        return True
    joined = session.joined
    answered = {a.user_id for a in session.current}
    return bool(joined) and joined <= answered


@dataclass(frozen=True)
class Outcome:
    """How one member's answer went, at the reveal: what their own record keeps."""

    user_id: int
    option: Option


@dataclass(frozen=True)
class Revealed:
    """What the reveal shows: the right option, how many chose each, and whether most missed."""

    question: Question
    counts: tuple[tuple[Option, int], ...]
    outcomes: tuple[Outcome, ...]

    @property
    def answered(self) -> int:
        return len(self.outcomes)

    @property
    def right(self) -> Option:
        return next(o for o in self.question.options if o.verdict is Verdict.EXACTLY)

    @property
    def most_missed(self) -> bool:
        missed = sum(not o.option.verdict.is_right for o in self.outcomes)
        return missed * 2 > self.answered


def reveal(session: Session, step: Step, now: datetime) -> tuple[Session, Revealed]:
    """Close the open question: its counts, and each member's final answer."""
    question = step.questions[session.question]
    chosen = {a.user_id: a.option_id for a in session.current}
    outcomes = tuple(
        Outcome(user, option)
        for user, option_id in chosen.items()
        if (option := question.option(option_id)) is not None
    )
    counts = tuple(
        (option, sum(o.option.id == option.id for o in outcomes)) for option in question.options
    )
    closed = replace(session, phase=GroupPhase.REVEALED, seq=session.seq + 1, reveal_at=None)
    return replace(closed, active_at=now), Revealed(question, counts, outcomes)


def is_last(session: Session, step: Step) -> bool:
    return session.question + 1 >= len(step.questions)


def next_question(session: Session, settings: Settings, now: datetime) -> Session:
    """After a reveal: the step's next question (the caller checks `is_last` first)."""
    return _ask(session, session.question + 1, settings, now)


@dataclass(frozen=True)
class Board:
    """The end of a step, for the group: how it went, never who got what wrong."""

    members: int
    right_first: tuple[int, ...]
    """Per question: how many members chose the right option."""
    answered: tuple[int, ...]
    hardest: int | None
    """The index of the question the fewest got right (None when all went equally well)."""
    names: tuple[str, ...] = ()
    """Who studied, in the order they first answered (only when the group asked for names)."""


def board(session: Session, step: Step, settings: Settings) -> Board:
    right: list[int] = []
    answered: list[int] = []
    for index, question in enumerate(step.questions):
        given = session.on(index)
        answered.append(len(given))
        right.append(sum(_is_right(question, a.option_id) for a in given))
    rates = [r / a for r, a in zip(right, answered, strict=True) if a]
    hardest = None
    if rates and min(rates) < max(rates):
        hardest = min(
            (i for i, a in enumerate(answered) if a), key=lambda i: (right[i] / answered[i], i)
        )
    names: tuple[str, ...] = ()
    if settings.names:
        seen: dict[int, str] = {}
        for a in session.answers:
            seen.setdefault(a.user_id, a.first_name or "someone")
        names = tuple(seen.values())
    return Board(len(session.members), tuple(right), tuple(answered), hardest, names)


def _is_right(question: Question, option_id: str) -> bool:
    option = question.option(option_id)
    return option is not None and option.verdict.is_right

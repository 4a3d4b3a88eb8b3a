"""What one input decides, as plain data: a `Turn` is what to save and what to show.

The `Say` items are what the lesson rules decide to show; the views render them as Telegram
HTML (`bot.views.lesson`), and the terminal shows the same messages as plain text. Nothing
here knows how it will look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.content import Course, Misconception, Option, Question, Step, Verdict
from bot.core.model import AnswerRecord, Position, Rating, Target


@dataclass(frozen=True)
class StepIntro:
    course: Course
    step: Step


@dataclass(frozen=True)
class Ask:
    """A question with one button per option, in `order` (shuffled on a second try)."""

    course: Course
    step: Step
    index: int
    seq: int
    question: Question
    order: tuple[str, ...]
    target: Target = Target.QUESTION
    reviewing: bool = False
    can_skip: bool = False


@dataclass(frozen=True)
class Feedback:
    """The verdict on the option chosen and why: shown on the question itself, in place."""

    question: Question
    option: Option
    angle_of: tuple[str, int, int] | None = None
    """Right first time: the question (course id, step, index) whose second angle is one tap
    away, for those who want it."""


@dataclass(frozen=True)
class AnotherWay:
    question: Question


@dataclass(frozen=True)
class Bridge:
    text: str


@dataclass(frozen=True)
class Note:
    """A short line of the tutor's own: an acknowledgement, a hand-over, a nudge."""

    kind: str
    text: str = ""


@dataclass(frozen=True)
class Repair:
    """Still fuzzy after two angles: what seems to trip the learner, and the idea again from a
    side they have not read yet (the misconception's own repair)."""

    misconception: Misconception | None
    unsure: bool
    """The learner said "I'm not sure": the trap is the question's usual one, not their pick."""
    built_in: Step | None
    """An earlier step the idea is built in, to go back to; None when it is this step."""


@dataclass(frozen=True)
class Takeaway:
    step: Step


@dataclass(frozen=True)
class Pattern:
    step: Step


@dataclass(frozen=True)
class MoveOn:
    """Buttons under the last message: always a way forward, sometimes the second angle."""

    seq: int
    offer_another_way: bool = False
    to_takeaway: bool = False
    reviewing: bool = False


@dataclass(frozen=True)
class CheckMissed:
    """Buttons after a missed check question: another try, or skip it for now."""

    seq: int


@dataclass(frozen=True)
class NextStepOffer:
    course: Course
    step: Step


@dataclass(frozen=True)
class SummaryRow:
    step: int
    question_number: int
    prompt: str
    first_verdict: Verdict | None
    connected_later: bool


@dataclass(frozen=True)
class CourseSummary:
    course: Course
    rows: tuple[SummaryRow, ...]
    first_review: datetime | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class ReviewNudge:
    due: int


@dataclass(frozen=True)
class ReviewsDone:
    next_due: datetime | None
    lesson_waiting: bool
    now: datetime


Say = (
    StepIntro
    | Ask
    | Feedback
    | AnotherWay
    | Bridge
    | Note
    | Repair
    | Takeaway
    | Pattern
    | MoveOn
    | CheckMissed
    | NextStepOffer
    | CourseSummary
    | ReviewNudge
    | ReviewsDone
)


@dataclass(frozen=True)
class Turn:
    """The decision for one input: what to save and what to show, in order."""

    position: Position
    say: tuple[Say, ...]
    feedback: Feedback | None = None
    """An answer's verdict, shown on the question just answered rather than as a new message."""
    answer: AnswerRecord | None = None
    completed_step: int | None = None
    chosen: Option | None = None
    """The option the learner tapped, so the shell can show their choice on the question."""
    ratings: tuple[Rating, ...] = ()
    pause_lesson: Position | None = None
    """Keep this lesson position aside while reviews run (dropped when they end)."""

"""The plain data the tutor's rules work on: where a learner is, what they did, what to show.

No behaviour here beyond small derived properties: the decisions live in `engine` (lessons)
and `review` (spaced review), the scheduling in `memory`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from bot.content import Course, Option, Question, Step, Verdict


class Phase(StrEnum):
    ASKING = "asking"
    """A question is on screen, waiting for an answer."""
    ANSWERED = "answered"
    """Feedback is on screen, waiting for the learner to move on."""
    CHECK_MISSED = "check_missed"
    """A check question was missed: try it again, or skip it for now."""
    FINISHED = "finished"
    """The step is over: takeaway and pattern shown."""


class Target(StrEnum):
    QUESTION = "question"
    CHECK = "check"


class Grade(StrEnum):
    """How an encounter with a card went, as spaced repetition rates it."""

    AGAIN = "again"
    """A miss, or "I'm not sure": show it again soon."""
    HARD = "hard"
    """Right after another angle."""
    GOOD = "good"
    """Right first time."""


@dataclass(frozen=True)
class Position:
    """Where one learner is in one chat. Saved after every turn; the one source of truth."""

    course_id: str
    step: int
    question: int
    phase: Phase
    seq: int
    chosen: str | None = None
    """The option picked for what is on screen, while its feedback is shown."""
    another_way_shown: bool = False
    target: Target = Target.QUESTION
    attempt: int = 1
    reviewing: bool = False
    """This prompt is a spaced review, not the lesson; the lesson waits paused."""


@dataclass(frozen=True)
class CardKey:
    """One question, or one question's check question, as a card for spaced review."""

    course_id: str
    step: int
    question_id: str
    target: Target = Target.QUESTION

    @property
    def id(self) -> str:
        return f"{self.course_id}/{self.step}/{self.question_id}/{self.target.value}"


@dataclass(frozen=True)
class CardInfo:
    key: CardKey
    due: datetime
    last_grade: Grade


@dataclass(frozen=True)
class Rating:
    card: CardKey
    grade: Grade


@dataclass(frozen=True)
class AnswerRecord:
    course_id: str
    step: int
    question_id: str
    option_id: str
    verdict: Verdict
    at: datetime
    target: Target = Target.QUESTION
    attempt: int = 1
    reviewing: bool = False


@dataclass(frozen=True)
class History:
    """What a learner has done in a course: answers, finished steps, and review cards."""

    answers: tuple[AnswerRecord, ...] = ()
    finished_steps: frozenset[int] = field(default_factory=frozenset)
    cards: tuple[CardInfo, ...] = ()

    def due(self, now: datetime) -> tuple[CardInfo, ...]:
        return tuple(sorted((c for c in self.cards if c.due <= now), key=lambda c: c.due))


class Refusal(StrEnum):
    """Why a tap changes nothing. Expected situations, reported as values."""

    ALREADY_COUNTED = "already_counted"
    """A second tap on the prompt that was just answered (a double tap)."""
    OUTDATED = "outdated"
    """A tap on an older prompt: the learner has moved on since."""
    UNKNOWN = "unknown"
    """The tap names a course, step, question or option that does not exist."""


# --- What to show: the shells turn these into messages -------------------------------------


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
    question: Question
    option: Option


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
    """Still fuzzy after two angles: what seems to trip the learner, and the idea again."""

    misconception: str | None
    step: Step | None
    another_way: str | None


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
    answer: AnswerRecord | None = None
    completed_step: int | None = None
    chosen: Option | None = None
    """The option the learner tapped, so the shell can show their choice on the question."""
    ratings: tuple[Rating, ...] = ()
    pause_lesson: Position | None = None
    """Keep this lesson position aside while reviews run (dropped when they end)."""


@dataclass(frozen=True)
class Schedule:
    """A learner's pace, deadline and reminders. Times are the learner's local wall time."""

    zone: str | None = None
    goal: str | None = None
    remind_at: str | None = None
    """"HH:MM" local."""
    deadline: date | None = None
    course_id: str | None = None
    paused: bool = False
    awaiting: str | None = None
    """What typed text is expected next: "zone", "time" or "deadline"."""
    last_sent_on: date | None = None
    """The local date of the last reminder, so a day never gets two."""
    plan: str | None = None
    """The deadline plan as made (JSON), to tell later how far behind it the learner is."""
    plan_made_on: date | None = None
    done_at_plan: int = 0

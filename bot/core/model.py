"""The plain data the tutor's rules work on: who a learner is, where they are, what they did.

No behaviour here beyond small derived properties: the decisions live in `lesson` and
`review`, the scheduling in `memory`, pace and reminders in `pace` and `reminders`; what to
show is in `say`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from bot.content import Verdict


@dataclass(frozen=True)
class Learner:
    """A Telegram user in a chat (both 64-bit ids): one person can study in a private chat and
    in groups, each with its own record. The names are who they said they were last; they are
    not part of the identity."""

    user_id: int
    chat_id: int
    first_name: str | None = field(default=None, compare=False)
    username: str | None = field(default=None, compare=False)


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
    """The option picked on the prompt just answered (seq - 1), if that action was an answer:
    a second tap on it is then "already counted". A resting position shows its feedback."""
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


class Refusal(StrEnum):
    """Why a tap changes nothing. Expected situations, reported as values."""

    ALREADY_COUNTED = "already_counted"
    """A second tap on the prompt that was just answered (a double tap)."""
    OUTDATED = "outdated"
    """A tap on an older prompt: the learner has moved on since."""
    UNKNOWN = "unknown"
    """The tap names a course, step, question or option that does not exist."""


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

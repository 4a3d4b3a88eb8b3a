"""What a learner has done, three ways: the step menu of a course, the summary at a course's
end, and the map (/progress) of each idea as connected, shaky or not yet, with what is due.

Pure: built from the content, the learner's position, history and cards, and the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.content import Course, Step
from bot.core.model import CardInfo, History, Phase, Position, Target
from bot.core.say import CourseSummary, SummaryRow


class Grip(StrEnum):
    CONNECTED = "connected"
    SHAKY = "shaky"
    NOT_YET = "not yet"


@dataclass(frozen=True)
class Idea:
    concept: str
    grip: Grip
    first_time: bool
    """The first answer on this idea was right."""


@dataclass(frozen=True)
class CourseMap:
    course: Course
    steps: tuple[StepEntry, ...]
    ideas: tuple[Idea, ...]


@dataclass(frozen=True)
class LearnerMap:
    courses: tuple[CourseMap, ...]
    due_now: int
    upcoming: tuple[tuple[str, datetime], ...]
    """The next ideas to come back, by name, with when."""
    now: datetime
    streak: int = 0


def course_map(course: Course, position: Position | None, history: History) -> CourseMap:
    return CourseMap(course, step_menu(course, position, history), _ideas(course, history))


def learner_map(
    maps: list[CourseMap],
    cards: tuple[CardInfo, ...],
    now: datetime,
    shown: int = 3,
    streak: int = 0,
) -> LearnerMap:
    """Only the courses the learner has started, with what is due now and the next few ideas
    to come back (an idea's question and check share one line, at the sooner date)."""
    started = tuple(m for m in maps if any(i.grip is not Grip.NOT_YET for i in m.ideas))
    due_now = sum(c.due <= now for c in cards)
    names = {
        (m.course.id, s.number, q.id): m.course.concept_title(q.concept or q.id)
        for m in maps
        for s in m.course.steps
        for q in s.questions
    }
    soonest: dict[str, datetime] = {}
    for card in sorted((c for c in cards if c.due > now), key=lambda c: c.due):
        key = card.key
        name = names.get((key.course_id, key.step, key.question_id), key.question_id)
        soonest.setdefault(name, card.due)
    return LearnerMap(started, due_now, tuple(soonest.items())[:shown], now, streak)


def _ideas(course: Course, history: History) -> tuple[Idea, ...]:
    """One line per idea, in teaching order; a question without a concept is its own idea."""
    order: list[str] = []
    questions: dict[str, set[tuple[int, str]]] = {}
    for step in course.steps:
        for question in step.questions:
            concept = question.concept or question.id
            if concept not in questions:
                order.append(concept)
                questions[concept] = set()
            questions[concept].add((step.number, question.id))
    ideas = []
    for concept in order:
        answers = [a for a in history.answers if (a.step, a.question_id) in questions[concept]]
        if not answers:
            ideas.append(Idea(concept, Grip.NOT_YET, False))
            continue
        firsts = [a for a in answers if a.target is Target.QUESTION and a.attempt == 1]
        first_time = bool(firsts) and firsts[0].verdict.is_right
        grip = Grip.CONNECTED if answers[-1].verdict.is_right else Grip.SHAKY
        ideas.append(Idea(concept, grip, first_time))
    return tuple(ideas)


# --- The step menu --------------------------------------------------------------------------


class StepStatus(StrEnum):
    DONE = "done"
    IN_PROGRESS = "in progress"
    NEW = "new"


@dataclass(frozen=True)
class StepEntry:
    step: Step
    status: StepStatus
    is_next: bool


def step_menu(course: Course, current: Position | None, history: History) -> tuple[StepEntry, ...]:
    """Each step with the learner's status, the natural next one marked."""
    in_progress = (
        current.step
        if current
        and current.course_id == course.id
        and current.phase is not Phase.FINISHED
        and not current.reviewing
        else None
    )

    def status(step: Step) -> StepStatus:
        if step.number == in_progress:
            return StepStatus.IN_PROGRESS
        if step.number in history.finished_steps:
            return StepStatus.DONE
        return StepStatus.NEW

    statuses = [status(s) for s in course.steps]
    next_number = in_progress or next(
        (s.number for s, st in zip(course.steps, statuses, strict=True) if st is StepStatus.NEW),
        None,
    )
    return tuple(
        StepEntry(s, st, s.number == next_number)
        for s, st in zip(course.steps, statuses, strict=True)
    )


# --- The course summary ---------------------------------------------------------------------


def course_summary(course: Course, history: History, now: datetime | None = None) -> CourseSummary:
    """Per question: how the first answer went, whether it connected later, and when the
    first review comes."""
    rows = []
    for step in course.steps:
        for number, question in enumerate(step.questions, start=1):
            answers = [
                a
                for a in history.answers
                if a.step == step.number
                and a.question_id == question.id
                and a.target is Target.QUESTION
            ]
            first = answers[0].verdict if answers else None
            later = any(a.verdict.is_right for a in answers[1:])
            rows.append(SummaryRow(step.number, number, question.prompt, first, later))
    first_review = min((c.due for c in history.cards), default=None)
    return CourseSummary(course, tuple(rows), first_review, now)

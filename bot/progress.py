"""The learner's map: each step and each idea as connected, shaky or not yet, and what is due.

Pure: built from the content, the learner's position, history and cards, and the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.content import Course
from bot.engine import StepEntry, step_menu
from bot.model import CardInfo, History, Position, Target


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

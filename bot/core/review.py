"""Spaced review: which card to show next, and how a review session ends. Pure, like the engine.

A review pauses the lesson in progress; when the due cards run out, the learner is put back
exactly where the lesson was.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.content import Library
from bot.core.lesson import resume
from bot.core.model import CardInfo, History, Phase, Position, Refusal, Target
from bot.core.prompt import ask, next_seq, stale
from bot.core.say import Note, ReviewsDone, Turn


@dataclass(frozen=True)
class NothingDue:
    next_due: datetime | None


def start(
    library: Library,
    current: Position | None,
    due: tuple[CardInfo, ...],
    upcoming: datetime | None,
) -> Turn | NothingDue:
    """Begin the due reviews (or show the one already on screen)."""
    if current is not None and current.reviewing and current.phase is not Phase.FINISHED:
        course = library.course(current.course_id)
        if course is not None:
            return resume(course, current, History())
    first = _first_card(library, current, due)
    if first is None:
        return NothingDue(upcoming)
    pause = (
        current
        if current is not None and not current.reviewing and current.phase is not Phase.FINISHED
        else None
    )
    return replace(first, say=(Note("review_intro", str(len(due))), *first.say), pause_lesson=pause)


def next_card(
    library: Library,
    current: Position | None,
    tap_seq: int,
    due: tuple[CardInfo, ...],
    upcoming: datetime | None,
    paused: Position | None,
    now: datetime,
) -> Turn | Refusal:
    """After a reviewed card: the next due one, or the end of the session."""
    refused = stale(current, tap_seq)
    if refused is not None or current is None:
        return refused or Refusal.OUTDATED
    if not current.reviewing or current.phase is not Phase.ANSWERED:
        return Refusal.UNKNOWN
    following = _first_card(library, current, due)
    if following is not None:
        return following
    done = ReviewsDone(upcoming, lesson_waiting=paused is not None, now=now)
    course = library.course(paused.course_id) if paused else None
    if paused is None or course is None:
        finished = replace(current, phase=Phase.FINISHED, seq=current.seq + 1)
        return Turn(finished, (done,))
    back = replace(paused, seq=current.seq + 1)
    lesson = resume(course, back, History())
    return replace(lesson, say=(done, *lesson.say))


def _first_card(
    library: Library, current: Position | None, due: tuple[CardInfo, ...]
) -> Turn | None:
    for card in due:
        course = library.course(card.key.course_id)
        step = course.step(card.key.step) if course else None
        if course is None or step is None:
            continue  # a lesson that no longer exists: nothing to review
        index = next(
            (i for i, q in enumerate(step.questions) if q.id == card.key.question_id), None
        )
        if index is None or (
            card.key.target is Target.CHECK and step.questions[index].check is None
        ):
            continue
        position = Position(
            course.id,
            step.number,
            index,
            Phase.ASKING,
            next_seq(current),
            target=card.key.target,
            reviewing=True,
        )
        return Turn(position, (ask(course, step, position),))
    return None

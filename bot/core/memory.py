"""Spaced repetition with FSRS: when each card should come back, given how it went.

Pure: a card's state in, a grade and the time, its next state and due date out. Learning
steps are off, so the first review of a new idea comes a day or more later, not in minutes;
fuzzing is off, so the same answers give the same schedule (and testable due dates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from fsrs import Card, Rating, Scheduler

from bot.core.model import Grade

SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
FSRS_RATING = {Grade.AGAIN: Rating.Again, Grade.HARD: Rating.Hard, Grade.GOOD: Rating.Good}


@dataclass(frozen=True)
class Scheduled:
    state: str
    """The FSRS card as JSON, to store and pass back next time."""
    due: datetime


def review(state: str | None, grade: Grade, now: datetime) -> Scheduled:
    """Schedule a card after an encounter graded `grade` at `now`."""
    card = Card.from_dict(json.loads(state)) if state else Card(card_id=1, due=now)
    card, _log = SCHEDULER.review_card(card, FSRS_RATING[grade], review_datetime=now)
    return Scheduled(json.dumps(card.to_dict()), card.due)

"""The figures an operator reads (`/admin`, `python -m bot stats`): each one SQL over the tables
the bot already keeps, nothing counted as it happens, so the figures cannot drift from the
records. Migration 0007 indexes what they read, so they stay fast at 100,000 learners.

A *first try* is an answer to a lesson question (not its check question) at the first attempt,
outside reviews: how the question went before any second angle helped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from bot.content import Verdict
from bot.store.migrations import stamp
from bot.store.topics import Asked, Topics, Written

FIRST_TRIES = "target = 'question' and attempt = 1 and reviewing = 0"
"""Which answers are first tries: the words of the partial index `answers_first_tries`, so the
planner uses it (a partial index serves only queries whose WHERE implies its own)."""

MIN_ANSWERS = 5
"""A question is ranked among the hardest only once this many learners have tried it."""
HARDEST = 5


@dataclass(frozen=True)
class StepCount:
    course_id: str
    step: int
    started: int
    """Learners who tried one of its questions."""
    finished: int


@dataclass(frozen=True)
class QuestionRate:
    course_id: str
    step: int
    question_id: str
    answered: int
    """First tries."""
    right: int
    """First tries that were Exactly."""

    @property
    def rate(self) -> float:
        return self.right / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class CommonMiss:
    """The option missed most on one question: what most of those who missed it believed."""

    course_id: str
    step: int
    question_id: str
    option_id: str
    chosen: int
    misses: int
    """Every missed first try of the question, whatever option."""


@dataclass(frozen=True)
class Figures:
    at: datetime
    learners: int
    active_today: int
    """Since midnight UTC."""
    active_week: int
    """In the last 7 days."""
    steps: tuple[StepCount, ...]
    hardest: tuple[QuestionRate, ...]
    """Worst first-try rate first, among questions with at least `MIN_ANSWERS` first tries."""
    misses: dict[tuple[str, int, str], CommonMiss]
    """The option chosen most by those who missed, for each question anyone missed."""
    reviews_due: int
    reminders_paused: int
    groups_studying: int
    min_answers: int = MIN_ANSWERS
    topics: tuple[Asked, ...] = ()
    """The topics learners asked for most in the last 30 days: what to write next."""
    written: tuple[Written, ...] = ()
    """Lessons a language model wrote for learners, newest first."""


class Stats:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self._topics = Topics(db)

    def figures(self, now: datetime, min_answers: int = MIN_ANSWERS, top: int = HARDEST) -> Figures:
        """Every figure, read in one transaction so they agree with each other."""
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        with self.db.atomic():
            return Figures(
                at=now,
                learners=self._one("select count(*) from learners"),
                active_today=self.active_since(midnight),
                active_week=self.active_since(now - timedelta(days=7)),
                steps=self.steps(),
                hardest=self.hardest(min_answers, top),
                misses=self.common_misses(),
                reviews_due=self._one("select count(*) from cards where due <= ?", stamp(now)),
                reminders_paused=self._one("select count(*) from schedules where paused"),
                groups_studying=self._one("select count(*) from group_sessions"),
                min_answers=min_answers,
                topics=tuple(self._topics.most_asked(now)),
                written=tuple(self._topics.written()),
            )

    def active_since(self, since: datetime) -> int:
        """Learners who wrote to the bot (last_seen_at) or answered a question since then; a
        tap does not update last_seen_at, an answer is its trace."""
        return self._one(
            """
            select count(*) from (
                select user_id from learners where last_seen_at >= :since
                union
                select user_id from answers where answered_at >= :since
            )
            """,
            since=stamp(since),
        )

    def steps(self) -> tuple[StepCount, ...]:
        """Per course and step: learners who started it and how many finished it. Started means
        tried one of its questions: a position says only where a learner is now, not every step
        they opened (and counting both costs three times as long at 100,000 learners)."""
        rows = self.db.execute(
            f"""
            select course_id, step, sum(started), sum(finished) from (
                select course_id, step, count(distinct user_id) as started, 0 as finished
                from answers where {FIRST_TRIES} group by course_id, step
                union all
                select course_id, step, 0, count(*) from completions group by course_id, step
            ) group by course_id, step
            order by course_id, step
            """
        )
        return tuple(StepCount(*row) for row in rows)

    def hardest(
        self, min_answers: int = MIN_ANSWERS, top: int = HARDEST
    ) -> tuple[QuestionRate, ...]:
        """The questions learners get right first time least often."""
        rows = self.db.execute(
            f"""
            select course_id, step, question_id, count(*) as answered,
                   sum(verdict = :exactly) as right
            from answers where {FIRST_TRIES}
            group by course_id, step, question_id
            having answered >= :least
            order by 1.0 * right / answered, answered desc, course_id, step, question_id
            limit :top
            """,
            {"exactly": Verdict.EXACTLY.value, "least": min_answers, "top": top},
        )
        return tuple(QuestionRate(*row) for row in rows)

    def common_misses(self) -> dict[tuple[str, int, str], CommonMiss]:
        """For each question missed at a first try, the option chosen most among the misses."""
        rows = self.db.execute(
            f"""
            select course_id, step, question_id, option_id, chosen, misses from (
                select course_id, step, question_id, option_id, count(*) as chosen,
                    sum(count(*)) over question as misses,
                    row_number() over (question order by count(*) desc, option_id) as place
                from answers where {FIRST_TRIES} and verdict != :exactly
                group by course_id, step, question_id, option_id
                window question as (partition by course_id, step, question_id)
            ) where place = 1
            """,
            {"exactly": Verdict.EXACTLY.value},
        )
        return {(c, s, q): CommonMiss(c, s, q, o, n, m) for c, s, q, o, n, m in rows}

    def _one(self, sql: str, *args: object, **named: object) -> int:
        return self.db.execute(sql, named or list(args)).fetchone()[0]

"""What each learner did: every answer (`answers`), the steps they finished (`completions`) and
each question as a spaced-review card with its FSRS state (`cards`)."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from bot.content import Verdict
from bot.core import memory
from bot.core.model import (
    AnswerRecord,
    CardInfo,
    CardKey,
    Grade,
    History,
    Learner,
    Rating,
    Target,
)
from bot.core.say import Turn
from bot.store.migrations import stamp

_WHO = "user_id = ? and chat_id = ?"
_VERDICT = {v.value: v for v in Verdict}
_TARGET = {t.value: t for t in Target}
_GRADE = {g.value: g for g in Grade}


class Records:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    # --- reads ----------------------------------------------------------------------------

    def history(self, learner: Learner, course_id: str) -> History:
        """Every answer, finished step and card of one course: what the rules judge a learner by."""
        args = [learner.user_id, learner.chat_id, course_id]
        rows = self.db.execute(
            "select step, question_id, option_id, verdict, answered_at, target, attempt, "
            f"reviewing from answers where {_WHO} and course_id = ? order by id",
            args,
        )
        # Positional, and the enums by dict: a long-time learner has hundreds of answers, and
        # this is the one read that grows with them.
        answers = tuple(
            AnswerRecord(course_id, step, question, option, _VERDICT[verdict],
                         datetime.fromisoformat(at), _TARGET[target], attempt, reviewing == 1)
            for step, question, option, verdict, at, target, attempt, reviewing in rows
        )  # fmt: skip
        cards = self._cards(f"{_WHO} and course_id = ?", args)
        return History(answers, self.finished(learner, course_id), cards)

    def finished(self, learner: Learner, course_id: str) -> frozenset[int]:
        """The steps of one course the learner finished."""
        rows = self.db.execute(
            f"select step from completions where {_WHO} and course_id = ?",
            [learner.user_id, learner.chat_id, course_id],
        )
        return frozenset(step for (step,) in rows)

    def cards(self, learner: Learner) -> tuple[CardInfo, ...]:
        """Every card of this learner in this chat, soonest due first."""
        return self._cards(_WHO, [learner.user_id, learner.chat_id])

    def due(self, learner: Learner, now: datetime) -> tuple[CardInfo, ...]:
        """Cards due for review now, the longest overdue first."""
        return self._cards(f"{_WHO} and due <= ?", [learner.user_id, learner.chat_id, stamp(now)])

    def next_due(self, learner: Learner, now: datetime) -> datetime | None:
        """When the next card not yet due comes due."""
        row = self.db.execute(
            f"select min(due) from cards where {_WHO} and due > ?",
            [learner.user_id, learner.chat_id, stamp(now)],
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def activity(self, learner: Learner) -> list[datetime]:
        """When the learner finished a step or answered a review: what a streak counts."""
        rows = self.db.execute(
            f"""
            select finished_at from completions where {_WHO}
            union all
            select answered_at from answers where {_WHO} and reviewing = 1
            """,
            [learner.user_id, learner.chat_id] * 2,
        )
        return [datetime.fromisoformat(at) for (at,) in rows]

    def _cards(self, where: str, args: list) -> tuple[CardInfo, ...]:
        rows = self.db.execute(
            "select course_id, step, question_id, target, due, last_grade from cards "
            f"where {where} order by due",
            args,
        )
        return tuple(
            CardInfo(
                CardKey(course_id, step, question_id, _TARGET[target]),
                datetime.fromisoformat(due),
                _GRADE[grade],
            )
            for course_id, step, question_id, target, due, grade in rows
        )

    # --- writes (inside the caller's transaction) ----------------------------------------

    def record(self, learner: Learner, turn: Turn, now: datetime) -> None:
        """The answer, the rated cards and the finished step one turn decided."""
        for rating in turn.ratings:
            self.rate(learner, rating, now)
        if turn.answer is not None:
            self.add_answer(learner, turn.answer)
        if turn.completed_step is not None:
            self.finish(learner, turn.position.course_id, turn.completed_step, now)

    def add_answer(self, learner: Learner, a: AnswerRecord) -> None:
        self.db.execute(
            """
            insert into answers (user_id, chat_id, course_id, step, question_id, option_id,
                verdict, answered_at, target, attempt, reviewing)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                learner.user_id,
                learner.chat_id,
                a.course_id,
                a.step,
                a.question_id,
                a.option_id,
                a.verdict.value,
                stamp(a.at),
                a.target.value,
                a.attempt,
                int(a.reviewing),
            ],
        )

    def finish(self, learner: Learner, course_id: str, step: int, now: datetime) -> None:
        self.db.execute(
            """
            insert into completions (user_id, chat_id, course_id, step, finished_at)
            values (?, ?, ?, ?, ?)
            on conflict (user_id, chat_id, course_id, step) do update
                set finished_at = excluded.finished_at
            """,
            [learner.user_id, learner.chat_id, course_id, step, stamp(now)],
        )

    def rate(self, learner: Learner, rating: Rating, now: datetime) -> None:
        """Reschedule one card with FSRS, from its stored state. Updated in place (an upsert,
        not `insert or replace`, which deletes the row and inserts it again at the table's
        end, rewriting every index entry of it)."""
        key = rating.card
        who = [learner.user_id, learner.chat_id, key.id]
        row = self.db.execute(
            f"select fsrs from cards where {_WHO} and card_id = ?", who
        ).fetchone()
        scheduled = memory.review(row[0] if row else None, rating.grade, now)
        self.db.execute(
            """
            insert into cards (user_id, chat_id, card_id, course_id, step, question_id,
                target, fsrs, due, last_grade, reviewed_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict (user_id, chat_id, card_id) do update set
                course_id = excluded.course_id, step = excluded.step,
                question_id = excluded.question_id, target = excluded.target,
                fsrs = excluded.fsrs, due = excluded.due, last_grade = excluded.last_grade,
                reviewed_at = excluded.reviewed_at
            """,
            [
                *who,
                key.course_id,
                key.step,
                key.question_id,
                key.target.value,
                scheduled.state,
                stamp(scheduled.due),
                rating.grade.value,
                stamp(now),
            ],
        )

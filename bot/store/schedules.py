"""Each learner's pace, deadline and reminders (`schedules`), with when their next reminder is
due (`next_remind_at`, indexed): the truth the reminder sweep reads."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date, datetime

import sqlite_utils

from bot.core.model import Learner, Schedule
from bot.store.migrations import stamp

_FIELDS = tuple(field.name for field in fields(Schedule))
"""The columns a `Schedule` is read from: one per field, under its name."""


class Schedules:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def get(self, learner: Learner) -> Schedule:
        """Known columns through `execute`: `db.query` wraps every read in a savepoint."""
        row = self.db.execute(
            f"select {', '.join(_FIELDS)} from schedules where user_id = ? and chat_id = ?",
            [learner.user_id, learner.chat_id],
        ).fetchone()
        return row_schedule(dict(zip(_FIELDS, row, strict=True))) if row else Schedule()

    def next_remind_at(self, learner: Learner) -> datetime | None:
        row = self.db.execute(
            "select next_remind_at from schedules where user_id = ? and chat_id = ?",
            [learner.user_id, learner.chat_id],
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def save(
        self, learner: Learner, schedule: Schedule, next_at: datetime | None, now: datetime
    ) -> None:
        """The whole schedule, with the moment its next reminder is due (None: no reminders)."""
        row = {
            "user_id": learner.user_id,
            "chat_id": learner.chat_id,
            **{k: _plain(v) for k, v in asdict(schedule).items()},
            "next_remind_at": stamp(next_at) if next_at else None,
            "updated_at": stamp(now),
        }
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.db.execute(
            f"insert or replace into schedules ({columns}) values ({marks})", list(row.values())
        )

    def due(self, now: datetime, limit: int) -> list[Learner]:
        """Learners whose next reminder is due, the longest waiting first; not those who paused
        reminders or blocked the bot."""
        rows = self.db.execute(
            """
            select s.user_id, s.chat_id from schedules s
            left join chats c on c.chat_id = s.chat_id
            where s.next_remind_at is not null and s.next_remind_at <= ?
              and not s.paused and coalesce(c.active, 1)
            order by s.next_remind_at
            limit ?
            """,
            [stamp(now), limit],
        )
        return [Learner(user_id, chat_id) for user_id, chat_id in rows]


def _plain(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def row_schedule(row: dict) -> Schedule:
    """A `schedules` row as a `Schedule`."""

    def day(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    return Schedule(
        zone=row["zone"],
        goal=row["goal"],
        remind_at=row["remind_at"],
        deadline=day(row["deadline"]),
        course_id=row["course_id"],
        paused=bool(row["paused"]),
        awaiting=row["awaiting"],
        last_sent_on=day(row["last_sent_on"]),
        plan=row["plan"],
        plan_made_on=day(row["plan_made_on"]),
        done_at_plan=row["done_at_plan"] or 0,
    )

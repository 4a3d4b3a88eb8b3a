"""Where each learner is: the `positions` table (one row per learner and chat), and the lesson
put aside while reviews run (`paused_lessons`). A position is the one source of truth for what
is on the learner's screen and which taps are live."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from bot.core.model import Learner, Phase, Position, Target
from bot.store.migrations import stamp

_COLUMNS = (
    "course_id, step, question, phase, seq, chosen, another_way_shown, target, attempt, reviewing"
)
_UPDATE = ", ".join(f"{c} = excluded.{c}" for c in [*_COLUMNS.split(", "), "updated_at"])


class Positions:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def current(self, learner: Learner) -> Position | None:
        return self._read("positions", learner)

    def saved_at(self, learner: Learner) -> datetime | None:
        """When the learner's position last changed."""
        row = self.db.execute(
            "select updated_at from positions where user_id = ? and chat_id = ?",
            [learner.user_id, learner.chat_id],
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def paused(self, learner: Learner) -> Position | None:
        """The lesson put aside while reviews run."""
        return self._read("paused_lessons", learner)

    def put(
        self, learner: Learner, position: Position, pause: Position | None, now: datetime
    ) -> None:
        """Save where the learner is; a paused lesson is kept only while reviews run."""
        self._write("positions", learner, position, now)
        if pause is not None:
            self._write("paused_lessons", learner, pause, now)
        if not position.reviewing:
            self.db.execute(
                "delete from paused_lessons where user_id = ? and chat_id = ?",
                [learner.user_id, learner.chat_id],
            )

    def _read(self, table: str, learner: Learner) -> Position | None:
        row = self.db.execute(
            f"select {_COLUMNS} from {table} where user_id = ? and chat_id = ?",
            [learner.user_id, learner.chat_id],
        ).fetchone()
        if row is None:
            return None
        course_id, step, question, phase, seq, chosen, shown, target, attempt, reviewing = row
        return Position(
            course_id=course_id,
            step=step,
            question=question,
            phase=Phase(phase),
            seq=seq,
            chosen=chosen,
            another_way_shown=bool(shown),
            target=Target(target),
            attempt=attempt,
            reviewing=bool(reviewing),
        )

    def _write(self, table: str, learner: Learner, p: Position, now: datetime) -> None:
        """In place: an upsert, where `insert or replace` would delete the row and insert it
        again at the table's end (a new rowid, the key's index entry rewritten) every turn."""
        self.db.execute(
            f"""
            insert into {table} (user_id, chat_id, {_COLUMNS}, updated_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict (user_id, chat_id) do update set {_UPDATE}
            """,
            [
                learner.user_id,
                learner.chat_id,
                p.course_id,
                p.step,
                p.question,
                p.phase.value,
                p.seq,
                p.chosen,
                int(p.another_way_shown),
                p.target.value,
                p.attempt,
                int(p.reviewing),
                stamp(now),
            ],
        )

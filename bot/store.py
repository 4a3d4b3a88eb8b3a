"""The learners' memory in SQLite, through sqlite-utils: who they are, where they are, what they
answered. SQLite is the one source of truth; nothing about a learner lives only in memory.

A learner is a Telegram user in a chat (`user_id`, `chat_id`, both 64-bit), so one person can
study in a private chat and in groups. Each tap is saved in one transaction, with no await
inside, before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.content import Verdict
from bot.engine import AnswerRecord, History, Phase, Position, Turn

migrations = Migrations("tutor")


@migrations(name="0001_learners_positions_answers")
def _initial(db: sqlite_utils.Database) -> None:
    db["learners"].create(
        {
            "user_id": int,
            "first_name": str,
            "username": str,
            "created_at": str,
            "last_seen_at": str,
            "active": int,
        },
        pk="user_id",
    )
    db["positions"].create(
        {
            "user_id": int,
            "chat_id": int,
            "course_id": str,
            "step": int,
            "question": int,
            "phase": str,
            "seq": int,
            "chosen": str,
            "another_way_shown": int,
            "updated_at": str,
        },
        pk=("user_id", "chat_id"),
        not_null={"course_id", "step", "question", "phase", "seq"},
    )
    db["answers"].create(
        {
            "id": int,
            "user_id": int,
            "chat_id": int,
            "course_id": str,
            "step": int,
            "question_id": str,
            "option_id": str,
            "verdict": str,
            "answered_at": str,
        },
        pk="id",
    )
    db["answers"].create_index(["user_id", "chat_id", "course_id"])
    db["completions"].create(
        {"user_id": int, "chat_id": int, "course_id": str, "step": int, "finished_at": str},
        pk=("user_id", "chat_id", "course_id", "step"),
    )
    db["chats"].create({"chat_id": int, "active": int, "updated_at": str}, pk="chat_id")


@dataclass(frozen=True)
class Learner:
    user_id: int
    chat_id: int


class Store:
    """Small, explicit reads and writes; every write is one transaction."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    @classmethod
    def open(cls, path: Path | str) -> Store:
        """Open (creating if needed) the database, in WAL mode, with every migration applied."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(path)
        db.execute("PRAGMA busy_timeout = 5000")
        if str(path) != ":memory:":
            db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        migrations.apply(db)
        return cls(db)

    def close(self) -> None:
        self.db.close()

    def schema_version(self) -> list[str]:
        return [m.name for m in migrations.applied(self.db)]

    # --- reads ----------------------------------------------------------------------------

    def position(self, learner: Learner) -> Position | None:
        rows = list(
            self.db["positions"].rows_where(
                "user_id = ? and chat_id = ?", [learner.user_id, learner.chat_id]
            )
        )
        if not rows:
            return None
        row = rows[0]
        return Position(
            course_id=row["course_id"],
            step=row["step"],
            question=row["question"],
            phase=Phase(row["phase"]),
            seq=row["seq"],
            chosen=row["chosen"],
            another_way_shown=bool(row["another_way_shown"]),
        )

    def history(self, learner: Learner, course_id: str) -> History:
        where = "user_id = ? and chat_id = ? and course_id = ?"
        args = [learner.user_id, learner.chat_id, course_id]
        answers = tuple(
            AnswerRecord(
                course_id=row["course_id"],
                step=row["step"],
                question_id=row["question_id"],
                option_id=row["option_id"],
                verdict=Verdict(row["verdict"]),
                at=datetime.fromisoformat(row["answered_at"]),
            )
            for row in self.db["answers"].rows_where(where, args, order_by="id")
        )
        finished = frozenset(row["step"] for row in self.db["completions"].rows_where(where, args))
        return History(answers, finished)

    def is_active(self, chat_id: int) -> bool:
        rows = list(self.db["chats"].rows_where("chat_id = ?", [chat_id]))
        return not rows or bool(rows[0]["active"])

    # --- writes ---------------------------------------------------------------------------

    def seen(
        self, learner: Learner, first_name: str | None, username: str | None, now: datetime
    ) -> None:
        """Record that a learner wrote to us: they exist, and their chat accepts messages."""
        stamp = _stamp(now)
        with self.db.atomic():
            self.db.execute(
                """
                insert into learners
                    (user_id, first_name, username, created_at, last_seen_at, active)
                values (?, ?, ?, ?, ?, 1)
                on conflict (user_id) do update set
                    first_name = excluded.first_name, username = excluded.username,
                    last_seen_at = excluded.last_seen_at, active = 1
                """,
                [learner.user_id, first_name, username, stamp, stamp],
            )
            self._set_chat_active(learner.chat_id, True, stamp)

    def save_turn(self, learner: Learner, turn: Turn, now: datetime) -> None:
        """Everything one tap decided, all or nothing."""
        stamp = _stamp(now)
        p = turn.position
        with self.db.atomic():
            self._set_chat_active(learner.chat_id, True, stamp)
            self.db["positions"].upsert(
                {
                    "user_id": learner.user_id,
                    "chat_id": learner.chat_id,
                    "course_id": p.course_id,
                    "step": p.step,
                    "question": p.question,
                    "phase": p.phase.value,
                    "seq": p.seq,
                    "chosen": p.chosen,
                    "another_way_shown": int(p.another_way_shown),
                    "updated_at": stamp,
                },
                pk=("user_id", "chat_id"),
            )
            if turn.answer is not None:
                a = turn.answer
                self.db["answers"].insert(
                    {
                        "user_id": learner.user_id,
                        "chat_id": learner.chat_id,
                        "course_id": a.course_id,
                        "step": a.step,
                        "question_id": a.question_id,
                        "option_id": a.option_id,
                        "verdict": a.verdict.value,
                        "answered_at": _stamp(a.at),
                    }
                )
            if turn.completed_step is not None:
                self.db["completions"].upsert(
                    {
                        "user_id": learner.user_id,
                        "chat_id": learner.chat_id,
                        "course_id": p.course_id,
                        "step": turn.completed_step,
                        "finished_at": stamp,
                    },
                    pk=("user_id", "chat_id", "course_id", "step"),
                )

    def mark_chat_inactive(self, chat_id: int, now: datetime) -> None:
        """The learner blocked the bot: stop writing to them until they write to us."""
        with self.db.atomic():
            self._set_chat_active(chat_id, False, _stamp(now))

    def _set_chat_active(self, chat_id: int, active: bool, stamp: str) -> None:
        self.db["chats"].upsert(
            {"chat_id": chat_id, "active": int(active), "updated_at": stamp}, pk="chat_id"
        )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")

"""The learners' memory in SQLite, through sqlite-utils: who they are, where they are, what they
answered. SQLite is the one source of truth; nothing about a learner lives only in memory.

A learner is a Telegram user in a chat (`user_id`, `chat_id`, both 64-bit), so one person can
study in a private chat and in groups. Each tap is saved in one transaction, with no await
inside, before anything is sent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot import memory
from bot.content import Verdict
from bot.model import (
    AnswerRecord,
    CardInfo,
    CardKey,
    Grade,
    History,
    Phase,
    Position,
    Rating,
    Schedule,
    Target,
    Turn,
)

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


@migrations(name="0002_adaptive_tutor_and_review_cards")
def _adaptive(db: sqlite_utils.Database) -> None:
    """Second tries, check questions and spaced review: what each answer was, and the cards."""
    for table in ("positions", "answers"):
        db[table].add_column("target", str, not_null_default="question")
        db[table].add_column("attempt", int, not_null_default=1)
        db[table].add_column("reviewing", int, not_null_default=0)
    db["paused_lessons"].create(
        {column: kind for column, kind in db["positions"].columns_dict.items()},
        pk=("user_id", "chat_id"),
    )
    db["cards"].create(
        {
            "user_id": int,
            "chat_id": int,
            "card_id": str,
            "course_id": str,
            "step": int,
            "question_id": str,
            "target": str,
            "fsrs": str,
            "due": str,
            "last_grade": str,
            "reviewed_at": str,
        },
        pk=("user_id", "chat_id", "card_id"),
    )
    db["cards"].create_index(["user_id", "chat_id", "due"])


@migrations(name="0003_schedules")
def _schedules(db: sqlite_utils.Database) -> None:
    """Pace, deadline and reminders: the truth the reminder jobs are rebuilt from."""
    db["schedules"].create(
        {
            "user_id": int,
            "chat_id": int,
            "zone": str,
            "goal": str,
            "remind_at": str,
            "deadline": str,
            "course_id": str,
            "paused": int,
            "awaiting": str,
            "last_sent_on": str,
            "plan": str,
            "plan_made_on": str,
            "done_at_plan": int,
            "updated_at": str,
        },
        pk=("user_id", "chat_id"),
    )


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
        return self._position("positions", learner)

    def paused(self, learner: Learner) -> Position | None:
        """The lesson put aside while reviews run."""
        return self._position("paused_lessons", learner)

    def _position(self, table: str, learner: Learner) -> Position | None:
        rows = list(
            self.db[table].rows_where(
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
            target=Target(row["target"]),
            attempt=row["attempt"],
            reviewing=bool(row["reviewing"]),
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
                target=Target(row["target"]),
                attempt=row["attempt"],
                reviewing=bool(row["reviewing"]),
            )
            for row in self.db["answers"].rows_where(where, args, order_by="id")
        )
        finished = frozenset(row["step"] for row in self.db["completions"].rows_where(where, args))
        cards = tuple(self._card(row) for row in self.db["cards"].rows_where(where, args))
        return History(answers, finished, cards)

    def cards(self, learner: Learner) -> tuple[CardInfo, ...]:
        """Every card of this learner in this chat, soonest due first."""
        rows = self.db["cards"].rows_where(
            "user_id = ? and chat_id = ?", [learner.user_id, learner.chat_id], order_by="due"
        )
        return tuple(self._card(row) for row in rows)

    def due(self, learner: Learner, now: datetime) -> tuple[CardInfo, ...]:
        """Cards due for review now, the longest overdue first."""
        rows = self.db["cards"].rows_where(
            "user_id = ? and chat_id = ? and due <= ?",
            [learner.user_id, learner.chat_id, _stamp(now)],
            order_by="due",
        )
        return tuple(self._card(row) for row in rows)

    def next_due(self, learner: Learner, now: datetime) -> datetime | None:
        """When the next card not yet due comes due."""
        rows = list(
            self.db["cards"].rows_where(
                "user_id = ? and chat_id = ? and due > ?",
                [learner.user_id, learner.chat_id, _stamp(now)],
                order_by="due",
                limit=1,
            )
        )
        return datetime.fromisoformat(rows[0]["due"]) if rows else None

    @staticmethod
    def _card(row: dict) -> CardInfo:
        key = CardKey(row["course_id"], row["step"], row["question_id"], Target(row["target"]))
        return CardInfo(key, datetime.fromisoformat(row["due"]), Grade(row["last_grade"]))

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
            self._put_position("positions", learner, p, stamp)
            if turn.pause_lesson is not None:
                self._put_position("paused_lessons", learner, turn.pause_lesson, stamp)
            if not p.reviewing:  # a paused lesson exists only while reviews run
                self.db["paused_lessons"].delete_where(
                    "user_id = ? and chat_id = ?", [learner.user_id, learner.chat_id]
                )
            for rating in turn.ratings:
                self._rate(learner, rating, now)
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
                        "target": a.target.value,
                        "attempt": a.attempt,
                        "reviewing": int(a.reviewing),
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

    def _put_position(self, table: str, learner: Learner, p: Position, stamp: str) -> None:
        self.db[table].upsert(
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
                "target": p.target.value,
                "attempt": p.attempt,
                "reviewing": int(p.reviewing),
                "updated_at": stamp,
            },
            pk=("user_id", "chat_id"),
        )

    def _rate(self, learner: Learner, rating: Rating, now: datetime) -> None:
        """Reschedule one card with FSRS, from its stored state."""
        key = rating.card
        pk = (learner.user_id, learner.chat_id, key.id)
        rows = list(
            self.db["cards"].rows_where("user_id = ? and chat_id = ? and card_id = ?", list(pk))
        )
        scheduled = memory.review(rows[0]["fsrs"] if rows else None, rating.grade, now)
        self.db["cards"].upsert(
            {
                "user_id": learner.user_id,
                "chat_id": learner.chat_id,
                "card_id": key.id,
                "course_id": key.course_id,
                "step": key.step,
                "question_id": key.question_id,
                "target": key.target.value,
                "fsrs": scheduled.state,
                "due": _stamp(scheduled.due),
                "last_grade": rating.grade.value,
                "reviewed_at": _stamp(now),
            },
            pk=("user_id", "chat_id", "card_id"),
        )

    def schedule(self, learner: Learner) -> Schedule:
        rows = list(
            self.db["schedules"].rows_where(
                "user_id = ? and chat_id = ?", [learner.user_id, learner.chat_id]
            )
        )
        return _schedule(rows[0]) if rows else Schedule()

    def save_schedule(self, learner: Learner, schedule: Schedule, now: datetime) -> None:
        row = {
            "user_id": learner.user_id,
            "chat_id": learner.chat_id,
            **{k: _plain(v) for k, v in asdict(schedule).items()},
            "updated_at": _stamp(now),
        }
        with self.db.atomic():
            self.db["schedules"].upsert(row, pk=("user_id", "chat_id"))

    def reminder_schedules(self) -> list[tuple[Learner, Schedule]]:
        """Learners who asked for reminders, have not paused them, and have not blocked us."""
        rows = self.db.query(
            """
            select s.* from schedules s left join chats c on c.chat_id = s.chat_id
            where s.remind_at is not null and s.zone is not null and not s.paused
              and coalesce(c.active, 1)
            """
        )
        return [(Learner(r["user_id"], r["chat_id"]), _schedule(r)) for r in rows]

    def finished_steps(self, learner: Learner, course_id: str) -> frozenset[int]:
        return self.history(learner, course_id).finished_steps

    def activity(self, learner: Learner) -> list[datetime]:
        """When the learner finished a step or answered a review: what a streak counts."""
        args = [learner.user_id, learner.chat_id]
        finished = self.db.query(
            "select finished_at as at from completions where user_id = ? and chat_id = ?", args
        )
        reviewed = self.db.query(
            "select answered_at as at from answers where user_id = ? and chat_id = ? "
            "and reviewing = 1",
            args,
        )
        return [datetime.fromisoformat(r["at"]) for r in [*finished, *reviewed]]

    def mark_chat_inactive(self, chat_id: int, now: datetime) -> None:
        """The learner blocked the bot: stop writing to them until they write to us."""
        with self.db.atomic():
            self._set_chat_active(chat_id, False, _stamp(now))

    def _set_chat_active(self, chat_id: int, active: bool, stamp: str) -> None:
        self.db["chats"].upsert(
            {"chat_id": chat_id, "active": int(active), "updated_at": stamp}, pk="chat_id"
        )


def _plain(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _schedule(row: dict) -> Schedule:
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


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")

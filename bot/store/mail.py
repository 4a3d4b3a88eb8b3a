"""Updates in and messages out, kept in SQLite so that no tap is lost or handled twice.

`Inbox` (the `updates` table): every update Telegram sends is written here before its offset
is confirmed; it is marked handled in the same transaction as its effects, and one still
unhandled after a crash is handled again at start-up. An update_id seen before is not handled
again. `Outbox` (the `outbox` table): what a handled update must show, one row per Telegram call,
saved with its effects and deleted once Telegram has taken it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from bot.store.migrations import stamp


class Inbox:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def receive(self, update_id: int, chat_id: int | None, payload: str, now: datetime) -> bool:
        """Keep an update as it arrives; False if this update_id was received before."""
        cursor = self.db.execute(
            "insert or ignore into updates (update_id, chat_id, payload, received_at) "
            "values (?, ?, ?, ?)",
            [update_id, chat_id, payload, stamp(now)],
        )
        return cursor.rowcount == 1

    def handled(self, update_id: int, now: datetime) -> None:
        """Mark an update handled: inside the transaction that saves its effects. Only its id is
        kept from then on (to refuse a repeat), not what it said."""
        self.db.execute(
            "update updates set handled_at = ?, payload = '' "
            "where update_id = ? and handled_at is null",
            [stamp(now), update_id],
        )

    def received_at(self, update_id: int) -> datetime | None:
        row = self.db.execute(
            "select received_at from updates where update_id = ?", [update_id]
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def is_handled(self, update_id: int) -> bool:
        row = self.db.execute(
            "select handled_at from updates where update_id = ?", [update_id]
        ).fetchone()
        return row is not None and row[0] is not None

    def unhandled(self) -> list[tuple[int, str]]:
        """Updates received but not handled (the bot stopped first), oldest first."""
        rows = self.db.execute(
            "select update_id, payload from updates where handled_at is null order by update_id"
        )
        return [(update_id, payload) for update_id, payload in rows]

    def forget(self, handled_before: datetime) -> int:
        """Drop handled updates older than Telegram could send again (it keeps them 24 hours)."""
        cursor = self.db.execute(
            "delete from updates where handled_at is not null and handled_at < ?",
            [stamp(handled_before)],
        )
        return cursor.rowcount


@dataclass(frozen=True)
class Letter:
    """One Telegram call waiting to be made: `op` names it, `args` are its arguments."""

    id: int
    chat_id: int
    op: str
    args: dict[str, Any]
    attempts: int


class Outbox:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def add(
        self, chat_id: int, op: str, args: dict[str, Any], update_id: int | None, now: datetime
    ) -> None:
        self.db.execute(
            "insert into outbox (chat_id, op, payload, update_id, created_at, attempts) "
            "values (?, ?, ?, ?, ?, 0)",
            [chat_id, op, json.dumps(args, ensure_ascii=False), update_id, stamp(now)],
        )

    def waiting(self, chat_id: int) -> list[Letter]:
        """What one chat is still owed, in the order it was decided."""
        rows = self.db.execute(
            "select id, chat_id, op, payload, attempts from outbox where chat_id = ? order by id",
            [chat_id],
        )
        return [Letter(i, c, op, json.loads(payload), n) for i, c, op, payload, n in rows]

    def chats(self, limit: int = 1000) -> list[int]:
        """Chats owed something, the longest waiting first."""
        rows = self.db.execute(
            "select chat_id from outbox group by chat_id order by min(id) limit ?", [limit]
        )
        return [chat_id for (chat_id,) in rows]

    def done(self, letter_id: int) -> None:
        self.db.execute("delete from outbox where id = ?", [letter_id])

    def failed(self, letter_id: int) -> None:
        self.db.execute("update outbox set attempts = attempts + 1 where id = ?", [letter_id])

    def drop_chat(self, chat_id: int) -> int:
        """Nothing more can reach this chat (the learner blocked the bot)."""
        return self.db.execute("delete from outbox where chat_id = ?", [chat_id]).rowcount

    def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """A group became a supergroup: what the old chat was owed goes to the new one."""
        return self.db.execute(
            "update outbox set chat_id = ? where chat_id = ?", [new_chat_id, old_chat_id]
        ).rowcount

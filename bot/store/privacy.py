"""Everything the bot keeps about one person, found by their Telegram user id: to hand it over
(`python -m bot export`) or to delete it (`/forget`).

`MINE` lists every table that holds a user id or the person's private chat (whose id is their
user id); `tests/test_privacy.py` fails if a table with such a column is missing from it.

One table is kept on purpose: `updates`. The update being handled is marked handled in the
same transaction as its effects (`telegram/handlers.run`), and a handled update id is what
stops Telegram's repeat of it from being handled twice; once handled it holds no content (its
payload is emptied). So the rows stay, and only the chat id that links them to the person is
cleared; `Inbox.forget` drops them after two days.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

MINE: tuple[tuple[str, str, str], ...] = (
    ("learner", "learners", "user_id"),
    ("chat", "chats", "chat_id"),
    ("positions", "positions", "user_id"),
    ("paused_lessons", "paused_lessons", "user_id"),
    ("answers", "answers", "user_id"),
    ("finished_steps", "completions", "user_id"),
    ("review_cards", "cards", "user_id"),
    ("schedules", "schedules", "user_id"),
    ("group_answers", "group_answers", "user_id"),
    ("topics_asked", "topic_requests", "user_id"),
    ("lessons_being_written", "topic_jobs", "user_id"),
    ("messages_owed", "outbox", "chat_id"),
    ("updates", "updates", "chat_id"),
)
"""What an export calls each table, the table, and the column that names the person."""

KEPT = "updates"
"""Unlinked on /forget, not deleted: see the module's docstring."""

_JSON = {("cards", "fsrs"), ("outbox", "payload"), ("updates", "payload"), ("schedules", "plan")}
_FLAGS = {"active", "another_way_shown", "reviewing", "paused"}


class Privacy:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def last_seen(self, user_id: int) -> str | None:
        """When the person last wrote to the bot, as stored: what a /forget question is tied to."""
        row = self.db.execute(
            "select last_seen_at from learners where user_id = ?", [user_id]
        ).fetchone()
        return row[0] if row else None

    def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every row about the person, by what it is; JSON kept as text is decoded, flags are
        true or false, instants stay as stored (ISO 8601, UTC)."""
        return {
            name: [self._readable(table, row) for row in self._rows(table, column, user_id)]
            for name, table, column in MINE
        }

    def forget(self, user_id: int) -> dict[str, int]:
        """Delete every row about the person (inside the caller's transaction); how many rows
        each table lost (`updates`: how many were unlinked)."""
        counts = {}
        for _name, table, column in MINE:
            verb = "update updates set chat_id = null" if table == KEPT else f"delete from {table}"
            counts[table] = self.db.execute(f"{verb} where {column} = ?", [user_id]).rowcount
        return counts

    def _rows(self, table: str, column: str, user_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(f"select * from {table} where {column} = ? order by rowid", [user_id])
        )

    @staticmethod
    def _readable(table: str, row: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in row.items():
            if (table, key) in _JSON and value:
                value = json.loads(value)
            elif key in _FLAGS and value is not None:
                value = bool(value)
            out[key] = value
        return out

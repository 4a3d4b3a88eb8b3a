"""Who learners are and whether their chat accepts messages: the `learners` and `chats` tables.

A chat is inactive once Telegram says the learner blocked the bot, and active again as soon as
they write to it (or Telegram says they unblocked it): nothing is sent to an inactive chat.
"""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from bot.core.model import Learner
from bot.store.migrations import stamp


class People:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def seen(self, learner: Learner, now: datetime) -> None:
        """The learner wrote to us: they exist, and their chat accepts messages."""
        at = stamp(now)
        with self.db.atomic():
            self.db.execute(
                """
                insert into learners
                    (user_id, first_name, username, created_at, last_seen_at, active)
                values (?, ?, ?, ?, ?, 1)
                on conflict (user_id) do update set
                    first_name = coalesce(excluded.first_name, first_name),
                    username = coalesce(excluded.username, username),
                    last_seen_at = excluded.last_seen_at, active = 1
                """,
                [learner.user_id, learner.first_name, learner.username, at, at],
            )
            self.set_active(learner.chat_id, True, now)

    def is_active(self, chat_id: int) -> bool:
        row = self.db.execute("select active from chats where chat_id = ?", [chat_id]).fetchone()
        return row is None or bool(row[0])

    def set_active(self, chat_id: int, active: bool, now: datetime) -> None:
        """Active: we may write to the chat. Inactive: the learner blocked the bot. Every turn
        says active, so a chat already so is not written again: `updated_at` is when it last
        changed, and a tap's transaction writes one page fewer."""
        self.db.execute(
            """
            insert into chats (chat_id, active, updated_at) values (?, ?, ?)
            on conflict (chat_id) do update set
                active = excluded.active, updated_at = excluded.updated_at
                where active is not excluded.active
            """,
            [chat_id, int(active), stamp(now)],
        )

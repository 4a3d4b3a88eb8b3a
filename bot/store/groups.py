"""Group study in SQLite: each group's settings (`group_chats`), its open session
(`group_sessions`) and every answer given in it (`group_answers`). A restart reads the open
sessions back, answers and reveal times included; the members' own records live in `records`
like any private lesson's."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from bot.core.group import GroupAnswer, GroupPhase, Session, Settings
from bot.store.migrations import stamp

_SESSION = (
    "chat_id, course_id, step, question, phase, seq, started_at, active_at, reveal_at, "
    "message_id, shown_count"
)


class Groups:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    # --- settings ---------------------------------------------------------------------------

    def settings(self, chat_id: int) -> tuple[Settings, int]:
        """The group's settings and the last seq it used (buttons of older sessions are stale)."""
        row = self.db.execute(
            "select timer, anyone, names, last_seq from group_chats where chat_id = ?", [chat_id]
        ).fetchone()
        if row is None:
            return Settings(), 0
        timer, anyone, names, last_seq = row
        return Settings(timer, bool(anyone), bool(names)), last_seq

    def put_settings(self, chat_id: int, settings: Settings, last_seq: int, now: datetime) -> None:
        self.db.execute(
            """
            insert into group_chats (chat_id, timer, anyone, names, last_seq, updated_at)
            values (?, ?, ?, ?, ?, ?)
            on conflict (chat_id) do update set timer = excluded.timer,
                anyone = excluded.anyone, names = excluded.names,
                last_seq = max(last_seq, excluded.last_seq), updated_at = excluded.updated_at
            """,
            [
                chat_id,
                settings.timer,
                int(settings.anyone),
                int(settings.names),
                last_seq,
                stamp(now),
            ],
        )

    # --- the open session -------------------------------------------------------------------

    def session(self, chat_id: int) -> Session | None:
        row = self.db.execute(
            f"select {_SESSION} from group_sessions where chat_id = ?", [chat_id]
        ).fetchone()
        return self._session(row) if row else None

    def open_sessions(self) -> list[Session]:
        """Every open session: what start-up rebuilds the reveal timers from."""
        rows = self.db.execute(f"select {_SESSION} from group_sessions order by chat_id")
        return [self._session(row) for row in rows.fetchall()]

    def _session(self, row: tuple) -> Session:
        chat_id, course_id, step, question, phase, seq, started, active, reveal_at, mid, shown = row
        answers = tuple(
            GroupAnswer(q, user, option, name)
            for q, user, option, name in self.db.execute(
                "select question, user_id, option_id, first_name from group_answers "
                "where chat_id = ? order by answered_at, user_id",
                [chat_id],
            )
        )
        return Session(
            chat_id=chat_id,
            course_id=course_id,
            step=step,
            question=question,
            phase=GroupPhase(phase),
            seq=seq,
            started_at=datetime.fromisoformat(started),
            active_at=datetime.fromisoformat(active),
            reveal_at=datetime.fromisoformat(reveal_at) if reveal_at else None,
            message_id=mid,
            shown_count=shown or 0,
            answers=answers,
        )

    def put(self, session: Session, now: datetime) -> None:
        """Save the session as decided: its row and the answers that changed."""
        self.db.execute(
            f"insert or replace into group_sessions ({_SESSION}) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                session.chat_id,
                session.course_id,
                session.step,
                session.question,
                session.phase.value,
                session.seq,
                stamp(session.started_at),
                stamp(session.active_at),
                stamp(session.reveal_at) if session.reveal_at else None,
                session.message_id,
                session.shown_count,
            ],
        )
        saved = {
            (q, user): option
            for q, user, option in self.db.execute(
                "select question, user_id, option_id from group_answers where chat_id = ?",
                [session.chat_id],
            )
        }
        for a in session.answers:
            key = (a.question, a.user_id)
            if key not in saved:
                self.db.execute(
                    "insert into group_answers (chat_id, question, user_id, option_id, "
                    "first_name, answered_at) values (?, ?, ?, ?, ?, ?)",
                    [session.chat_id, a.question, a.user_id, a.option_id, a.first_name, stamp(now)],
                )
            elif saved[key] != a.option_id:  # changed: it keeps its place (answered_at)
                self.db.execute(
                    "update group_answers set option_id = ? "
                    "where chat_id = ? and question = ? and user_id = ?",
                    [a.option_id, session.chat_id, a.question, a.user_id],
                )
        self.db.execute(
            "update group_chats set last_seq = max(last_seq, ?) where chat_id = ?",
            [session.seq, session.chat_id],
        )

    def end(self, chat_id: int) -> None:
        self.db.execute("delete from group_answers where chat_id = ?", [chat_id])
        self.db.execute("delete from group_sessions where chat_id = ?", [chat_id])

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup (a new chat id): its settings and session go with it."""
        for table in ("group_chats", "group_sessions", "group_answers"):
            self.db.execute(
                f"update or replace {table} set chat_id = ? where chat_id = ?",
                [new_chat_id, old_chat_id],
            )

    def has_started(self, user_id: int) -> bool:
        """Has this member opened a private chat with the bot (so it may write to them)?"""
        row = self.db.execute("select active from chats where chat_id = ?", [user_id]).fetchone()
        return row is not None and bool(row[0])

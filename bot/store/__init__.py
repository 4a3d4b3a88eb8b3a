"""The learners' memory in SQLite (through sqlite-utils), split by what it holds: `people`
(who, and whether their chat accepts messages), `positions` (where they are), `records` (what
they did: answers, finished steps, review cards), `schedules` (pace, deadline, reminders),
`mail` (updates received and calls owed to Telegram, for exactly-once handling), `groups`
(group study: each group's settings, open session and its answers) and `topics` (what learners
asked to learn, and lessons a language model wrote for them); `stats` (the figures an
operator reads) and `privacy` (everything about one person: exported, or deleted on /forget).

SQLite is the one source of truth; nothing about a learner lives only in memory. The service
reads, decides and saves inside one `transaction()`, with no await inside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlite_utils

from bot.core.model import Learner
from bot.core.say import Turn
from bot.store.groups import Groups
from bot.store.mail import Inbox, Outbox
from bot.store.migrations import migrations
from bot.store.people import People
from bot.store.positions import Positions
from bot.store.privacy import Privacy
from bot.store.records import Records
from bot.store.schedules import Schedules
from bot.store.stats import Stats
from bot.store.topics import Topics

__all__ = ["Learner", "Store"]

SYNCHRONOUS = "FULL"
"""Every commit is on disk before it returns, so an answer the learner was shown survives a
power cut too (NORMAL in WAL mode can lose the last commits). bench/tap_latency.py measures
what it costs a tap (--synchronous NORMAL for the comparison)."""


class Store:
    """The database, opened once, with one object per concern over the same connection."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self.people = People(db)
        self.positions = Positions(db)
        self.records = Records(db)
        self.schedules = Schedules(db)
        self.inbox = Inbox(db)
        self.outbox = Outbox(db)
        self.groups = Groups(db)
        self.stats = Stats(db)
        self.privacy = Privacy(db)
        self.topics = Topics(db)

    @classmethod
    def open(cls, path: Path | str) -> Store:
        """Open (creating if needed) the database, in WAL mode, with every migration applied.
        A new database is readable by the bot's user only: see `private_file`."""
        memory = str(path) == ":memory:"
        if not memory:
            private_file(Path(path))
        db = sqlite_utils.Database(path)
        db.execute("PRAGMA busy_timeout = 5000")
        if not memory:
            db.enable_wal()
        db.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
        migrations.apply(db)
        return cls(db)

    def close(self) -> None:
        self.db.close()

    def schema_version(self) -> list[str]:
        return [m.name for m in migrations.applied(self.db)]

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All or nothing; nested blocks become savepoints."""
        with self.db.atomic():
            yield self

    def save_turn(self, learner: Learner, turn: Turn, now: datetime) -> None:
        """Everything one lesson turn decided: where the learner is now and what they did."""
        with self.transaction():
            self.people.set_active(learner.chat_id, True, now)
            self.positions.put(learner, turn.position, turn.pause_lesson, now)
            self.records.record(learner, turn, now)


def private_file(path: Path) -> bool:
    """Create `path` empty, readable and writable by this user only (0600), in a folder only
    this user may enter (0700) if the folder is new; False if the file was there already (it is
    left as it is). SQLite gives a database's -wal and -shm files the database file's own
    permissions, so they are private too: learners' answers are nobody else's business."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    return True

"""What learners asked to learn, and the lessons a language model wrote for them, in SQLite.

`topic_requests` keeps every `/topic` asked (operators read the most requested ones, and a
learner's written lessons today come from it); `written_lessons` keeps each written lesson by
its topic, as the data the validator passed, so the next learner asking gets it at once and a
restart loads it again; `topic_jobs` holds a write under way, so one a crash interrupted is
finished after the restart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from bot.store.migrations import stamp


@dataclass(frozen=True)
class Request:
    id: int
    user_id: int
    topic: str
    """The topic as a key: its words, casefolded, without filler (`core.topics.key`)."""
    text: str
    """As the learner typed it (cut to 200 characters)."""
    outcome: str


@dataclass(frozen=True)
class Written:
    course_id: str
    topic: str
    title: str
    model: str
    written_at: str
    body: dict[str, Any]
    """The course as data: {"info": course.yaml's fields, "steps": [each step's fields]}."""


@dataclass(frozen=True)
class Job:
    request_id: int
    user_id: int
    chat_id: int
    message_id: int
    """The message that says "Writing your lesson…", edited into the lesson when it is done."""
    topic: str
    text: str
    started_at: str


@dataclass(frozen=True)
class Asked:
    topic: str
    times: int
    learners: int
    outcome: str
    """How the last one went: matched, offered, written, noted, blocked, limited or failed."""


class Topics:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    # --- requests -------------------------------------------------------------------------

    def ask(self, user_id: int, topic: str, text: str, outcome: str, now: datetime) -> int:
        cursor = self.db.execute(
            "insert into topic_requests (user_id, topic, text, asked_at, outcome) "
            "values (?, ?, ?, ?, ?)",
            [user_id, topic, text[:200], stamp(now), outcome],
        )
        return int(cursor.lastrowid or 0)

    def request(self, request_id: int) -> Request | None:
        row = self.db.execute(
            "select id, user_id, topic, text, outcome from topic_requests where id = ?",
            [request_id],
        ).fetchone()
        return Request(*row) if row else None

    def settle(self, request_id: int, outcome: str) -> None:
        self.db.execute("update topic_requests set outcome = ? where id = ?", [outcome, request_id])

    def written_today(self, user_id: int, now: datetime) -> int:
        """Lessons written for this learner in the last 24 hours (failures cost nothing)."""
        since = stamp(now - timedelta(days=1))
        return self.db.execute(
            "select count(*) from topic_requests "
            "where user_id = ? and asked_at > ? and outcome in ('written', 'writing')",
            [user_id, since],
        ).fetchone()[0]

    def most_asked(self, now: datetime, days: int = 30, limit: int = 10) -> list[Asked]:
        """The topics asked most in the last `days`, most first: what to write next."""
        rows = self.db.execute(
            """
            select topic, count(*), count(distinct user_id),
                (select outcome from topic_requests last where last.topic = r.topic
                 order by last.id desc limit 1)
            from topic_requests r where asked_at > ?
            group by topic order by count(*) desc, max(asked_at) desc limit ?
            """,
            [stamp(now - timedelta(days=days)), limit],
        ).fetchall()
        return [Asked(*row) for row in rows]

    # --- written lessons --------------------------------------------------------------------

    def keep(
        self, course_id: str, topic: str, title: str, model: str, body: dict, now: datetime
    ) -> None:
        self.db.execute(
            "insert or replace into written_lessons "
            "(course_id, topic, title, model, written_at, body) values (?, ?, ?, ?, ?, ?)",
            [course_id, topic, title, model, stamp(now), json.dumps(body, ensure_ascii=False)],
        )

    def written(self, topic: str | None = None) -> list[Written]:
        """Every written lesson (newest first), or the one kept for `topic`."""
        where, args = ("where topic = ?", [topic]) if topic is not None else ("", [])
        rows = self.db.execute(
            "select course_id, topic, title, model, written_at, body from written_lessons "
            f"{where} order by written_at desc",
            args,
        ).fetchall()
        return [Written(*row[:5], json.loads(row[5])) for row in rows]

    def remove(self, course_id: str) -> bool:
        return (
            self.db.execute("delete from written_lessons where course_id = ?", [course_id]).rowcount
            > 0
        )

    # --- writes under way -------------------------------------------------------------------

    def start(self, job: Job) -> None:
        self.db.execute(
            "insert or replace into topic_jobs "
            "(request_id, user_id, chat_id, message_id, topic, text, started_at) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [job.request_id, job.user_id, job.chat_id, job.message_id, job.topic, job.text,
             job.started_at],
        )  # fmt: skip

    def job(self, request_id: int) -> Job | None:
        row = self.db.execute(
            "select request_id, user_id, chat_id, message_id, topic, text, started_at "
            "from topic_jobs where request_id = ?",
            [request_id],
        ).fetchone()
        return Job(*row) if row else None

    def jobs(self) -> list[Job]:
        """Writes a crash interrupted, oldest first: finished after a restart."""
        rows = self.db.execute(
            "select request_id, user_id, chat_id, message_id, topic, text, started_at "
            "from topic_jobs order by started_at"
        ).fetchall()
        return [Job(*row) for row in rows]

    def finish(self, request_id: int) -> bool:
        """The write is over: True for the one call that ends it (a second finds nothing)."""
        return (
            self.db.execute("delete from topic_jobs where request_id = ?", [request_id]).rowcount
            > 0
        )

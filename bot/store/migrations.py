"""The database's shape, as named migrations (sqlite-utils' `Migrations`), applied in order at
start-up. Never edit an applied one: add the next.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils
from sqlite_utils.migrations import Migrations

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


@migrations(name="0004_next_reminder_at")
def _next_reminder_at(db: sqlite_utils.Database) -> None:
    """When each learner's next reminder is due, indexed: one sweep a minute finds who is due,
    instead of one scheduler job per learner rebuilt at every start."""
    from bot.core.reminders import next_at
    from bot.store.schedules import row_schedule

    db["schedules"].add_column("next_remind_at", str)
    db.execute(
        "create index schedules_next_remind_at on schedules (next_remind_at) "
        "where next_remind_at is not null"
    )
    now = datetime.now(UTC)
    for row in list(db["schedules"].rows):
        moment = next_at(row_schedule(row), now)
        if moment is not None:
            db.execute(
                "update schedules set next_remind_at = ? where user_id = ? and chat_id = ?",
                [stamp(moment), row["user_id"], row["chat_id"]],
            )


@migrations(name="0005_updates_and_outbox")
def _updates_and_outbox(db: sqlite_utils.Database) -> None:
    """Exactly-once: every update received is kept until it is handled (its effects and the
    handled mark commit together), and what a handled update must show waits in the outbox
    until Telegram has taken it."""
    db["updates"].create(
        {
            "update_id": int,
            "chat_id": int,
            "payload": str,
            "received_at": str,
            "handled_at": str,
        },
        pk="update_id",
        not_null={"payload", "received_at"},
    )
    db.execute("create index updates_unhandled on updates (update_id) where handled_at is null")
    db["updates"].create_index(["handled_at"])
    db["outbox"].create(
        {
            "id": int,
            "chat_id": int,
            "op": str,
            "payload": str,
            "update_id": int,
            "created_at": str,
            "attempts": int,
        },
        pk="id",
        not_null={"chat_id", "op", "payload", "created_at"},
        defaults={"attempts": 0},
    )
    db["outbox"].create_index(["chat_id", "id"])


@migrations(name="0006_group_study")
def _group_study(db: sqlite_utils.Database) -> None:
    """Group study: each group's settings, its open session and the answers given in it, so a
    restart resumes the open question with its answers and its reveal timer."""
    db["group_chats"].create(
        {
            "chat_id": int,
            "timer": int,
            "anyone": int,
            "names": int,
            "last_seq": int,
            "updated_at": str,
        },
        pk="chat_id",
        not_null={"timer", "anyone", "names", "last_seq"},
    )
    db["group_sessions"].create(
        {
            "chat_id": int,
            "course_id": str,
            "step": int,
            "question": int,
            "phase": str,
            "seq": int,
            "started_at": str,
            "active_at": str,
            "reveal_at": str,
            "message_id": int,
            "shown_count": int,
        },
        pk="chat_id",
        not_null={"course_id", "step", "question", "phase", "seq", "started_at", "active_at"},
    )
    db["group_answers"].create(
        {
            "chat_id": int,
            "question": int,
            "user_id": int,
            "option_id": str,
            "first_name": str,
            "answered_at": str,
        },
        pk=("chat_id", "question", "user_id"),
        not_null={"option_id", "answered_at"},
    )


@migrations(name="0007_operator_indexes")
def _operator_indexes(db: sqlite_utils.Database) -> None:
    """What `/admin` and `python -m bot stats` count, without reading every row: first tries
    by question (a partial index, covering the figures on it), answers and visits by time, and
    cards by when they fall due. And the updates of one chat, which /forget unlinks from the
    learner: without it, a scan of two days of updates while every chat waits."""
    db.execute(
        "create index answers_first_tries on answers "
        "(course_id, step, question_id, option_id, verdict, user_id) "
        "where target = 'question' and attempt = 1 and reviewing = 0"
    )
    db.execute("create index answers_answered_at on answers (answered_at, user_id)")
    db.execute("create index learners_last_seen_at on learners (last_seen_at)")
    db.execute("create index cards_due on cards (due)")
    db.execute("create index updates_chat_id on updates (chat_id)")


@migrations(name="0008_topics")
def _topics(db: sqlite_utils.Database) -> None:
    """What learners asked to learn (`topic_requests`, which operators read as the most
    requested topics), lessons a language model wrote for them (`written_lessons`, kept by
    topic so the next learner asking gets one at once), and writes under way (`topic_jobs`, so
    a restart finishes what a crash interrupted)."""
    db["topic_requests"].create(
        {"id": int, "user_id": int, "topic": str, "text": str, "asked_at": str, "outcome": str},
        pk="id",
        not_null={"user_id", "topic", "text", "asked_at", "outcome"},
    )
    db["topic_requests"].create_index(["user_id", "asked_at"])
    db["topic_requests"].create_index(["asked_at", "topic"])
    db["written_lessons"].create(
        {
            "course_id": str,
            "topic": str,
            "title": str,
            "model": str,
            "written_at": str,
            "body": str,
        },
        pk="course_id",
        not_null={"topic", "title", "model", "written_at", "body"},
    )
    db["written_lessons"].create_index(["topic"], unique=True)
    db["topic_jobs"].create(
        {
            "request_id": int,
            "user_id": int,
            "chat_id": int,
            "message_id": int,
            "topic": str,
            "text": str,
            "started_at": str,
        },
        pk="request_id",
        not_null={"user_id", "chat_id", "message_id", "topic", "text", "started_at"},
    )


def stamp(moment: datetime) -> str:
    """How an instant is stored: UTC ISO 8601 to the millisecond, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")

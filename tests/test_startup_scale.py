"""Start-up does not grow with the number of learners: 2,000 scheduled learners start with the
same jobs as none (the heartbeat and the two sweeps: reminders, group study), and the first
sweep reminds the learners who are due, each once, and nobody else. No timings are asserted
here; the start-up time at 100,000 learners is measured by hand with `bench/startup.py`."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.content import Library
from bot.core.model import Learner, Schedule
from bot.store import Store
from bot.store.migrations import stamp
from bot.tutor import Tutor
from tests.fake_telegram import FakeTelegram
from tests.harness import running_bot

LEARNERS = 2_000
DUE = 30
FIRST_ID = 500_000
# Tuesday 24 Nov 2026: schedules saved at 15:30 in UTC+5:30, the bot started at 20:01 local.
SAVED_AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
STARTED_AT = datetime(2026, 11, 24, 14, 31, tzinfo=UTC)
EIGHT_PM_LOCAL = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)  # 20:00 in UTC+5:30
AT_EIGHT = Schedule(zone="UTC+05:30", goal="1-a-day", remind_at="20:00")  # due at 20:01
AT_TEN = Schedule(zone="UTC+05:30", goal="1-a-day", remind_at="22:00")  # not yet


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def learners() -> list[Learner]:
    return [Learner(FIRST_ID + i, FIRST_ID + i) for i in range(LEARNERS)]


def due_learners() -> list[Learner]:
    return learners()[:: LEARNERS // DUE][:DUE]  # spread through the table, not the first rows


def populate(db: Path, library: Library) -> None:
    """Learners and their chats, as the bot records them, and a schedule each, saved through
    the service (so `next_remind_at` is set) in one transaction."""
    store = Store.open(db)
    due = set(due_learners())
    at = stamp(SAVED_AT)
    try:
        pace = Tutor(library, store, lambda: SAVED_AT).pace
        with store.transaction():
            store.db.conn.executemany(
                "insert into learners (user_id, first_name, username, created_at, last_seen_at,"
                " active) values (?, ?, null, ?, ?, 1)",
                [(who.user_id, f"L{who.user_id}", at, at) for who in learners()],
            )
            store.db.conn.executemany(
                "insert into chats (chat_id, active, updated_at) values (?, 1, ?)",
                [(who.chat_id, at) for who in learners()],
            )
            for who in learners():
                pace.save(who, AT_EIGHT if who in due else AT_TEN, SAVED_AT)
    finally:
        store.close()


async def job_names(tg: FakeTelegram, db: Path, clock: Clock) -> list[str]:
    async with running_bot(tg, db, clock=clock) as bot:
        assert bot.application.job_queue is not None
        return sorted(job.name or "" for job in bot.application.job_queue.jobs())


async def test_start_up_jobs_do_not_grow_with_the_learners(
    tg: FakeTelegram, tmp_path: Path, library: Library
) -> None:
    populate(tmp_path / "full.db", library)
    clock = Clock(SAVED_AT)  # nobody due: these starts send nothing
    empty = await job_names(tg, tmp_path / "empty.db", clock)
    full = await job_names(tg, tmp_path / "full.db", clock)
    assert full == empty
    assert full == ["beat", "groups", "reminders"]  # the heartbeat and the two sweeps
    assert tg.calls_to("sendMessage") == []


async def test_the_first_sweep_reminds_each_due_learner_once_and_nobody_else(
    tg: FakeTelegram, tmp_path: Path, library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "tutor.db"
    populate(db, library)
    for who in learners():  # every chat exists, so a wrong reminder lands and is counted
        tg.add_user(who.user_id, f"L{who.user_id}")
    due = {who.chat_id for who in due_learners()}
    clock = Clock(STARTED_AT)
    check = Store.open(db)
    try:
        assert {who.chat_id for who in check.schedules.due(STARTED_AT, 10 * LEARNERS)} == due
    finally:
        check.close()

    caplog.set_level(logging.INFO, logger="bot.telegram.reminders")
    async with running_bot(tg, db, clock=clock) as bot:
        await tg.wait_for_async(lambda t: len(t.calls_to("sendMessage")) >= DUE, timeout=8)
        await tg.wait_for_async(lambda _: not bot.application.bot_data["reminders_sending"], 5)
        await asyncio.sleep(0.5)  # a few more sweeps (every 0.1 s in the harness)
        for who in due_learners():
            assert bot.store.schedules.next_remind_at(who) == EIGHT_PM_LOCAL + timedelta(days=1)
            assert bot.store.schedules.get(who).last_sent_on == date(2026, 11, 24)
        assert bot.store.schedules.due(clock(), 10 * LEARNERS) == []

    batches = [
        int(m.group(1))
        for r in caplog.records
        if (m := re.fullmatch(r"sending (\d+) reminder\(s\)", r.getMessage()))
    ]
    assert batches == [DUE]  # the first sweep found them all; no later sweep found anyone
    sent = Counter(call.params["chat_id"] for call in tg.calls_to("sendMessage"))
    assert set(sent) == due
    assert set(sent.values()) == {1}
    for chat_id in due:
        texts = [m.text for m in tg.chat_messages(chat_id)]
        assert len(texts) == 1 and "Today's plan" in texts[0], texts

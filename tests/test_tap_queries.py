"""What a tap asks SQLite: a scripted private lesson through the real service (`Tutor`) on a real
SQLite file, each tap wrapped as the Telegram shell wraps it (the update kept in the inbox, the
reply saved to the outbox and marked handled in the tap's transaction, then sent and deleted),
with sqlite3's trace callback on. Every statement must find its rows of the big tables through
an index or the primary key (no SCAN), none may look up the schema (sqlite-utils' table objects
do, with sqlite_master and PRAGMA table_info), and a tap reads the learner's history only when
the rules need it and counts the due reviews only at a step's end. The same plans at 100,000
learners: `python3 bench/scale.py`.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.content import Library
from bot.core.model import Learner
from bot.store import Store
from bot.telegram.delivery import Outbox
from bot.tutor import Reply, Tutor
from tests import scripted
from tests.conftest import NOW

ADA = Learner(1001, 1001, "Ada")
BIG_TABLES = frozenset(
    {"answers", "cards", "positions", "schedules", "updates", "outbox", "learners", "chats"}
)
CONTROL = ("begin", "commit", "rollback", "savepoint", "release")


class QuietBot:
    """Telegram taking every call (the outbox needs only that its calls succeed)."""

    username = "tutor_test_bot"

    async def answer_callback_query(self, *_args: object, **_kwargs: object) -> bool:
        return True

    async def send_message(self, *_args: object, **_kwargs: object) -> None:
        return None

    async def edit_message_text(self, *_args: object, **_kwargs: object) -> None:
        return None

    async def edit_message_reply_markup(self, *_args: object, **_kwargs: object) -> None:
        return None


class Shell:
    """A private chat's updates as `bot.telegram` handles them, statement by statement, with
    each update's statements kept apart."""

    def __init__(self, tutor: Tutor):
        self.tutor, self.store = tutor, tutor.store
        bot: Any = QuietBot()
        self.outbox = Outbox(bot, self.store, tutor.clock, on_blocked=lambda _chat: None)
        self.update_ids = itertools.count(1)
        self.traced: list[str] = []
        self.per_update: list[tuple[str, list[str]]] = []
        self.store.db.conn.set_trace_callback(self.traced.append)

    async def handle(self, what: str, act: Callable[[], Reply]) -> Reply:
        start = len(self.traced)
        update_id, now = next(self.update_ids), self.tutor.clock()
        inbox = self.store.inbox
        with self.store.transaction():  # JournaledQueue.put
            assert inbox.receive(update_id, ADA.chat_id, "{}", now)
        inbox.received_at(update_id)  # the tap's time, for a double tap
        with self.store.transaction():  # handlers.run
            reply = act()
            self.outbox.queue(ADA.chat_id, reply, None, update_id)
            inbox.handled(update_id, now)
        await self.outbox.flush(ADA.chat_id)
        inbox.received_at(update_id)  # the log line's latency
        with self.store.transaction():  # PerChatOrder's done: a no-op once handled
            inbox.handled(update_id, now)
        self.per_update.append((what, self.traced[start:]))
        return reply

    async def tap(self, data: str) -> Reply:
        return await self.handle(data, lambda: self.tutor.tap(ADA, data, self.tutor.clock()))

    async def tap_label(self, reply: Reply, label: str) -> Reply:
        return await self.handle(label, lambda: scripted.tap(self.tutor, ADA, reply, label))

    async def command(self, name: str) -> Reply:
        return await self.handle(f"/{name}", lambda: self.tutor.command(ADA, name))

    def stop(self) -> None:
        self.store.db.conn.set_trace_callback(None)


async def a_private_lesson(library: Library, path: Path) -> Shell:
    """Pace; step 4: a repair, its check missed then skipped, a right first answer tapped twice
    and its second angle, a stale tap, a miss, and a right answer ending the step (the course
    summary); three days on, the reviews; the map; the course menu."""
    clock = scripted.Clock(NOW)
    shell = Shell(Tutor(library, Store.open(path), clock))
    await shell.command("start")
    for data in ("p:z:7", "p:g:1-a-day", "p:t:3"):  # UTC+5:30, a step a day, 20:30
        await shell.tap(data)
    reply = await shell.tap(f"s:{scripted.COURSE}:4")
    # Question 1 missed twice (the repair and its check), the check missed (asked again), then
    # skipped: on to question 2.
    for label in ("not sure", "not sure", "not sure", "Skip for now"):
        reply = await shell.tap_label(reply, label)
    question = reply
    reply = await shell.tap_label(question, "=a")  # right first time: on to question 3
    await shell.tap_label(question, "=a")  # a double tap: already counted
    await shell.tap_label(reply, "Another way to see it")  # stateless: on question 2, answered
    await shell.tap("a:1:neural-networks:4:0:b")  # an old question's button: stale
    reply = await shell.tap_label(reply, "=b")  # a miss: question 3 again
    reply = await shell.tap_label(reply, "=a")  # right: the step's end, the course summary
    await shell.tap("x:forged")
    clock.now += timedelta(days=3)
    reply = await shell.command("review")
    for _ in range(20):  # the due cards, one at a time (a miss gets a second try), then done
        answer = [b for b in scripted.buttons(reply) if b.data.startswith("a:")]
        if answer:
            reply = await shell.tap(answer[0].data)
        elif [b for b in scripted.buttons(reply) if "➜" in b.label]:
            reply = await shell.tap_label(reply, "➜")
        else:
            break
    await shell.command("progress")
    await shell.command("continue")
    await shell.tap(f"c:{scripted.COURSE}")
    await shell.tap(f"s:{scripted.COURSE}:3")
    shell.stop()
    shell.store.close()
    return shell


@pytest.fixture(scope="module")
def lesson(library: Library, tmp_path_factory: pytest.TempPathFactory) -> tuple[Shell, Path]:
    import asyncio

    path = tmp_path_factory.mktemp("taps") / "tutor.db"
    return asyncio.run(a_private_lesson(library, path)), path


def tables_read(plan: list[str], sql: str) -> list[tuple[str, str]]:
    """(how, table) for each table a plan reads: SCAN or SEARCH, aliases resolved."""
    aliases = {
        alias: table
        for table, alias in re.findall(r"\b(?:from|join)\s+(\w+)\s+(?:as\s+)?(\w+)", sql, re.I)
    }
    found = []
    for line in plan:
        m = re.match(r"(SCAN|SEARCH) (\w+)", line)
        if m and m.group(2) != "CONSTANT":
            found.append((m.group(1), aliases.get(m.group(2), m.group(2))))
    return found


def test_the_lesson_ran_every_kind_of_tap(lesson: tuple[Shell, Path]) -> None:
    shell, _path = lesson
    said = [what for what, _ in shell.per_update]
    assert len(said) >= 25, said
    statements = " ".join(s for _, run in shell.per_update for s in run).lower()
    for table in BIG_TABLES:
        assert table in statements, table
    assert "paused_lessons" in statements and "completions" in statements


def test_every_statement_finds_its_rows_of_a_big_table_by_an_index(
    lesson: tuple[Shell, Path],
) -> None:
    shell, path = lesson
    examples = {}
    for _what, run in shell.per_update:
        for sql in run:
            if not sql.lower().lstrip().startswith(CONTROL):
                examples.setdefault(" ".join(sql.split()), sql)
    conn = sqlite3.connect(path)
    scans, searched = [], set()
    try:
        for sql in examples.values():
            plan = [row[3] for row in conn.execute("explain query plan " + sql)]
            for how, table in tables_read(plan, sql):
                if table in BIG_TABLES and how == "SCAN":
                    scans.append((sql, plan))
                elif table in BIG_TABLES:
                    searched.add(table)
    finally:
        conn.close()
    assert scans == []
    assert searched >= {"answers", "cards", "positions", "schedules", "updates", "outbox"}


def test_no_tap_looks_up_the_schema(lesson: tuple[Shell, Path]) -> None:
    shell, _path = lesson
    for what, run in shell.per_update:
        assert [s for s in run if re.search(r"sqlite_master|\bpragma\b", s, re.I)] == [], what


def reads(shell: Shell, what: str, pattern: str) -> list[bool]:
    """For each update labelled `what`, in order: did one of its statements match `pattern`?"""
    return [
        any(re.search(pattern, s, re.I | re.S) for s in run)
        for said, run in shell.per_update
        if said == what
    ]


ANSWERS_READ = r"^\s*select .* from answers "
DUE_COUNTED = r"^\s*select .* from cards .*\bdue <= "


def test_a_tap_reads_the_history_only_when_the_rules_need_it(lesson: tuple[Shell, Path]) -> None:
    shell, _path = lesson

    def reads_answers(what: str) -> list[bool]:
        return reads(shell, what, ANSWERS_READ)

    # Misses: the other angle, the repair and its check, the check again.
    assert reads_answers("not sure") == [False] * 3
    assert reads_answers("Skip for now") == [False]  # on to the next question
    # A right first answer (was the idea missed before?); a double tap on it; a right answer at
    # the second try that ends the course's last step (its summary).
    assert reads_answers("=a") == [True, False, True]
    assert reads_answers("=b") == [False]  # a miss
    assert reads_answers("Another way to see it") == [False]
    assert reads_answers("➜") == [False] * 4  # reviews


def test_a_tap_counts_the_due_reviews_only_when_a_step_ends(lesson: tuple[Shell, Path]) -> None:
    """The review nudge at a step's end counts the due cards; no answer before it does."""
    shell, _path = lesson
    assert reads(shell, "=a", DUE_COUNTED) == [False, False, True]
    for what in ("not sure", "Skip for now", "=b"):
        assert not any(reads(shell, what, DUE_COUNTED)), what


def test_the_second_angle_reads_and_writes_nothing_of_the_lesson(
    lesson: tuple[Shell, Path],
) -> None:
    """The second angle ("Another way to see it") after a right answer is stateless: only the
    tap's own update row and the outbox, as for any tap."""
    shell, _path = lesson
    [run] = [run for what, run in shell.per_update if what == "Another way to see it"]
    tables = {t for s in run for t in re.findall(r"\b(?:from|into|update)\s+(\w+)", s, re.I)}
    assert tables <= {"updates", "outbox"}, tables


def test_a_tap_runs_a_bounded_number_of_statements(lesson: tuple[Shell, Path]) -> None:
    shell, _path = lesson
    # Every tap, the answer that ends a step among them (it reads the history and counts the
    # due reviews, then saves the step's completion): about 30 statements, the inbox's and the
    # outbox's included.
    counts = [(what, len(run)) for what, run in shell.per_update if not what.startswith("/")]
    assert max(n for _, n in counts) <= 60, counts

"""Group study survives `kill -9`: `python -m bot` as a real subprocess against the fake Bot API
over HTTP, a real SQLite file. A question's answers and its reveal time live in SQLite, so a
restart reveals on time (or at once, when the time passed while the bot was down), counts every
answer taken before the kill, and saves each once in the member's own record."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from datetime import datetime
from pathlib import Path

from tests.fake_telegram import FakeTelegram, Message
from tests.test_e2e_process import bot_env, start_bot, stop_bot

GROUP = -1009876543210
ADA, BO, CY = 2001, 2002, 2003
"""Ada is the admin and has started the bot in private; Bo has too; Cy never opened it."""
COURSE = "How a neural network learns"
REVEAL = "Question 1 of 3 — the answer"


def study_group(tg: FakeTelegram) -> None:
    tg.add_user(ADA, "Ada")
    tg.add_user(BO, "Bo")
    tg.add_user(CY, "Cy", started=False)
    tg.add_group(GROUP, "Study hall", members=(ADA, BO, CY), admins=(ADA,))


def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "tutor.db"


def read_db(tmp_path: Path, sql: str) -> list[tuple]:
    """Read the bot's database, read-only (the bot may be running)."""
    with sqlite3.connect(f"file:{db_path(tmp_path)}?mode=ro", uri=True, timeout=5) as db:
        return db.execute(sql).fetchall()


def left_over(tmp_path: Path) -> tuple[int, int]:
    """Calls still owed (outbox rows) and updates received but not handled."""
    [(owed,)] = read_db(tmp_path, "select count(*) from outbox")
    [(unhandled,)] = read_db(tmp_path, "select count(*) from updates where handled_at is null")
    return owed, unhandled


def reveal_at(tmp_path: Path) -> float:
    """The open question's reveal time as saved, in seconds since the epoch."""
    [(stamp,)] = read_db(tmp_path, "select reveal_at from group_sessions")
    return datetime.fromisoformat(stamp).timestamp()


def settle(tg: FakeTelegram, tmp_path: Path) -> None:
    """Wait until the bot has recorded every call as made. Telegram takes a call before the bot
    deletes its outbox row, so a kill -9 in between makes the restarted bot repeat it (at least
    once is all a crash allows): an answered tap is answered again and Telegram refuses that."""
    tg.wait_for(lambda _: left_over(tmp_path) == (0, 0), 10)


def group_messages(tg: FakeTelegram) -> list[Message]:
    return tg.chat_messages(GROUP, include_deleted=False)


def message(tg: FakeTelegram, message_id: int) -> Message:
    return next(m for m in tg.chat_messages(GROUP) if m.message_id == message_id)


def answered(tg: FakeTelegram, query_id: str) -> bool:
    return any(a.callback_query_id == query_id for a in tg.callback_answers)


def sent_at(tg: FakeTelegram, starts: str) -> list[float]:
    """When each message to the group whose text starts with `starts` (HTML) was sent."""
    return [
        call.time
        for call in tg.calls_to("sendMessage")
        if call.status == 200
        and call.params.get("chat_id") == GROUP
        and call.params["text"].startswith(starts)
    ]


def open_step_4(tg: FakeTelegram, args: str) -> Message:
    """Bo opens the bot in private; Ada sends `/study <args>` in the group and picks step 4:
    the menu message is edited into the first question (the same message_id)."""
    tg.send_text(BO, "/start")
    tg.wait_for(lambda t: t.chat_messages(BO), 20)
    tg.send_text(ADA, f"/study {args}", chat_id=GROUP)
    menu = tg.wait_for_message(GROUP, "Pick a course for the group", 20)
    query = tg.tap_button(ADA, menu.message_id, COURSE, chat_id=GROUP)
    tg.wait_for(lambda t: "Which step" in message(t, menu.message_id).text, 10)
    assert answered(tg, query)
    tg.tap_button(ADA, menu.message_id, "Step 4", chat_id=GROUP)
    tg.wait_for(lambda t: "Question 1 of 3" in message(t, menu.message_id).text, 10)
    question = message(tg, menu.message_id)
    assert "👥 0 answered" in question.text, question.text
    assert question.buttons
    assert all(data and data.startswith("ga:") for row in question.buttons for _, data in row)
    return question


def pick(tg: FakeTelegram, user_id: int, question: Message, option_id: str) -> str:
    """Tap the option `option_id` (callback data `ga:<seq>:<option>`) on the question."""
    data = next(d for row in question.buttons for _, d in row if d and d.endswith(f":{option_id}"))
    return tg.tap(user_id, question.message_id, data, chat_id=GROUP)


def kill_9(bot: subprocess.Popen[str]) -> None:
    bot.kill()  # SIGKILL: no chance to clean up
    bot.wait(10)


def test_kill_9_mid_question_reveals_on_time_with_every_answer_taken(tmp_path: Path) -> None:
    """Two members answer; kill -9; restart: nobody does anything, yet the reveal comes when
    the 12 s run out, counts both answers, and saves each once under its member."""
    with FakeTelegram(group_limit=True) as tg:
        study_group(tg)
        env = bot_env(tg, tmp_path)
        first = start_bot(env)
        try:
            question = open_step_4(tg, "12")
            assert "0 answered · the answer in 12 s" in question.text, question.text
            taps = [pick(tg, BO, question, "b"), pick(tg, CY, question, "a")]
            tg.wait_for(lambda t: all(answered(t, q) for q in taps), 10)
            tg.wait_for(lambda t: any(m.text.startswith("👥") for m in t.chat_messages(BO)), 10)
            settle(tg, tmp_path)
            due = reveal_at(tmp_path)
        finally:
            kill_9(first)
        assert not sent_at(tg, f"<b>{REVEAL}"), tg.dump()
        assert read_db(tmp_path, "select count(*) from answers") == [(0,)]  # not before the reveal

        second = start_bot(env)
        try:
            reveal = tg.wait_for_message(GROUP, REVEAL, 30, after=question.message_id)
            tg.wait_for_message(GROUP, "Question 2 of 3", 10, after=reveal.message_id)
        finally:
            stop_bot(second)

        # On time: not before the 12 s were up, nor long after (the timer rebuilt at start-up,
        # not the sweep a minute on).
        [revealed] = sent_at(tg, f"<b>{REVEAL}")
        assert due <= revealed <= due + 3, (revealed - due, tg.dump())
        assert reveal.text.count("1 chose this") == 2, reveal.text
        assert reveal.text.count("nobody chose this") == 2, reveal.text
        assert "✅ Against the gradient (the opposite direction) · 1 chose this" in reveal.text
        assert "❌ Along the gradient (the same direction it points) · 1 chose this" in reveal.text
        assert sum(m.text.startswith(REVEAL) for m in group_messages(tg)) == 1
        closed = message(tg, question.message_id)
        assert closed.buttons == [] and "👥 2 answered · the answer is below" in closed.text
        assert tg.max_per_minute(GROUP) <= 20

        rows = read_db(
            tmp_path,
            "select user_id, chat_id, question_id, option_id from answers order by user_id",
        )
        assert rows == [(BO, BO, "which-way", "b"), (CY, CY, "which-way", "a")]
        assert left_over(tmp_path) == (0, 0)
        assert tg.refusals == [], tg.dump()


def test_a_reveal_due_while_the_bot_was_down_comes_once_at_start_up(tmp_path: Path) -> None:
    """kill -9 right after the question is asked (and answered once); the reveal time passes
    while the bot is down: the first sweep reveals it at start-up, once, and the next question
    follows (the timer is on)."""
    with FakeTelegram(group_limit=True) as tg:
        study_group(tg)
        env = bot_env(tg, tmp_path)
        first = start_bot(env)
        try:
            question = open_step_4(tg, "10")
            tap = pick(tg, BO, question, "b")  # someone is there: the timer moves on by itself
            tg.wait_for(lambda t: answered(t, tap), 10)
            settle(tg, tmp_path)
            due = reveal_at(tmp_path)
        finally:
            kill_9(first)
        assert not sent_at(tg, f"<b>{REVEAL}"), tg.dump()

        time.sleep(max(0.0, due - time.time()) + 1.0)  # the reveal time passes while it is down
        restarted = time.time()
        second = start_bot(env)
        try:
            reveal = tg.wait_for_message(GROUP, REVEAL, 15, after=question.message_id)
            following = tg.wait_for_message(GROUP, "Question 2 of 3", 10, after=reveal.message_id)
            time.sleep(1.5)  # room for a second reveal, were one coming
        finally:
            stop_bot(second)

        [revealed] = sent_at(tg, f"<b>{REVEAL}")  # once
        assert revealed - restarted < 5, revealed - restarted  # the first sweep, not a minute on
        assert len(sent_at(tg, "<b>Question 2 of 3</b>")) == 1, tg.dump()
        assert "1 chose this" in reveal.text and reveal.buttons == []  # no "Next question" wait
        assert following.buttons and "👥 0 answered · the answer in 10 s" in following.text
        closed = message(tg, question.message_id)
        assert closed.buttons == [] and "👥 1 answered · the answer is below" in closed.text

        assert read_db(tmp_path, "select user_id, chat_id, option_id from answers") == [
            (BO, BO, "b")
        ]
        assert left_over(tmp_path) == (0, 0)
        assert tg.refusals == [], tg.dump()


def test_a_count_owed_at_kill_9_is_shown_after_the_restart(tmp_path: Path) -> None:
    """Without a timer nothing else touches the question: the count line stays wrong until
    someone reveals or answers again."""
    with FakeTelegram(group_limit=True) as tg:
        study_group(tg)
        env = bot_env(tg, tmp_path)
        first = start_bot(env)
        try:
            question = open_step_4(tg, "off")
            taps = [pick(tg, BO, question, "b"), pick(tg, CY, question, "a")]
            tg.wait_for(lambda t: all(answered(t, q) for q in taps), 10)
            settle(tg, tmp_path)
            assert "👥 0 answered" in message(tg, question.message_id).text  # the edit is owed
        finally:
            kill_9(first)
        assert read_db(tmp_path, "select shown_count from group_sessions") == [(0,)]

        second = start_bot(env)
        try:
            tg.wait_for(lambda t: "👥 2 answered" in message(t, question.message_id).text, 10)
        finally:
            stop_bot(second)
        assert tg.refusals == [], tg.dump()

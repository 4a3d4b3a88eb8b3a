"""/forget deletes everything the bot keeps about a learner, after a confirmation that a double
tap, an old button or a made-up one cannot turn into a second or unwanted deletion; and
`python -m bot export USER_ID` hands the same data over as JSON.

Ada finishes step 4, starts step 3, comes back for her reviews three days later (step 3 waits,
paused), sets reminders, answers in an open group session and has a message still owed: a row
in every table that can name her. Bo, who does the same, must lose nothing when Ada goes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest

from bot.config import Config
from bot.core.model import Learner, Refusal
from bot.ops import data
from bot.store import Store
from bot.store.privacy import KEPT, MINE
from bot.store.topics import Job
from bot.tutor import Reply, Tutor
from bot.views import callbacks
from bot.views.lesson import REFUSAL_NOTICE
from bot.views.message import plain
from tests.conftest import NOW, ROOT
from tests.scripted import (
    FINISH_STEP_4,
    GROUP,
    Clock,
    buttons,
    group_answer,
    open_group_session,
    step_4,
    tap,
)

ADA, BO = Learner(1001, 1001, "Ada"), Learner(1002, 1002, "Bo")
ZELDA = Learner(1003, GROUP, "Zelda")
GROUP_TABLES = {"group_chats", "group_sessions"}
"""Tables whose chat_id is a group's: they hold nothing about a member."""


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def tutor(library, fresh_store: Store, clock: Clock) -> Tutor:
    tutor = Tutor(library, fresh_store, clock)
    for learner in (ADA, BO):
        clock.now = NOW
        step_4(tutor, learner, *FINISH_STEP_4)
        tap(tutor, learner, tutor.tap(learner, "s:neural-networks:3"), "=b")
        clock.now = NOW + timedelta(days=3)
        assert tutor.command(learner, "review").messages
        for data_ in ("p:z:7", "p:g:1-a-day", "p:t:3"):
            tutor.tap(learner, data_)
    seq = open_group_session(tutor, ZELDA)
    group_answer(tutor, Learner(ADA.user_id, GROUP, "Ada"), seq, "a")
    group_answer(tutor, Learner(BO.user_id, GROUP, "Bo"), seq, "b")
    with fresh_store.transaction():
        for learner in (ADA, BO):
            asked = fresh_store.topics.ask(
                learner.user_id, "sourdough", "sourdough", "offered", NOW
            )
            job = Job(asked, learner.user_id, learner.chat_id, 77, "sourdough", "sourdough", "x")
            fresh_store.topics.start(job)
        fresh_store.outbox.add(ADA.chat_id, "send", {"text": "owed"}, None, NOW)
        fresh_store.inbox.receive(9001, ADA.chat_id, "{}", NOW)
        fresh_store.inbox.handled(9001, NOW)
    clock.now += timedelta(minutes=1)
    return tutor


def rows_about(store: Store, user_id: int) -> dict[str, int]:
    """Rows in every table with a user_id or chat_id column that name this person."""
    found = {}
    for table in store.db.table_names():
        columns = {c.name for c in store.db[table].columns}
        names = [c for c in ("user_id", "chat_id") if c in columns]
        if names and table not in GROUP_TABLES:
            where = " or ".join(f"{c} = ?" for c in names)
            found[table] = store.db.execute(
                f"select count(*) from {table} where {where}", [user_id] * len(names)
            ).fetchone()[0]
    return found


def ask(tutor: Tutor, learner: Learner = ADA) -> Reply:
    reply = tutor.command(learner, "forget")
    assert [b.label for b in buttons(reply)] == ["Yes, delete", "Keep it"]
    return reply


def yes(reply: Reply) -> str:
    return next(b.data for b in buttons(reply) if b.label == "Yes, delete")


def texts(reply: Reply) -> list[str]:
    return [plain(m.text) for m in reply.messages]


def test_every_table_that_names_a_person_is_covered(fresh_store: Store) -> None:
    tables = set(rows_about(fresh_store, 0))
    assert tables == {table for _, table, _ in MINE}


def test_forget_asks_first_and_deletes_nothing_until_yes(tutor: Tutor) -> None:
    before = rows_about(tutor.store, ADA.user_id)
    reply = ask(tutor)
    assert texts(reply)[0].startswith("🗑 Delete everything I keep about you?")
    assert rows_about(tutor.store, ADA.user_id) == before
    assert all(before[table] for table in before), before  # the setup touched every table


def test_yes_deletes_everything_about_the_learner_and_says_what(tutor: Tutor) -> None:
    bo_before = rows_about(tutor.store, BO.user_id)
    reply = tutor.tap(ADA, yes(ask(tutor)))
    assert (reply.outcome, reply.toast, type(reply.tapped).__name__) == ("ok", None, "DropButtons")
    assert texts(reply)[0].splitlines() == [
        "🗑 Done. I deleted:",
        "• 4 answers",
        "• 1 finished step",
        "• 3 review cards",
        "• 1 schedule (pace, deadline, reminders)",
        "• 1 place in a lesson",
        "• 1 lesson paused for reviews",
        "• 1 answer in an open group session",
        "• 1 topic you asked to learn",
        "• 1 lesson being written for you",
        "• 1 message not yet delivered",
        "• 1 profile (your name and username)",
        "• 1 chat setting (whether I may write to you)",
        "",
        "Telegram's numbers for your last messages stay a day or two, linked to nobody, so "
        "none is handled twice. Send /start if you want to begin again.",
    ]
    assert set(rows_about(tutor.store, ADA.user_id).values()) == {0}
    assert rows_about(tutor.store, BO.user_id) == bo_before
    assert tutor.store.inbox.is_handled(9001)  # the update id stays, so no repeat is handled


def test_a_double_tap_on_yes_deletes_once_and_is_answered_as_counted(tutor: Tutor) -> None:
    data_ = yes(ask(tutor))
    tutor.tap(ADA, data_)
    again = tutor.tap(ADA, data_)
    assert (again.outcome, again.toast, again.messages) == (
        "refused",
        REFUSAL_NOTICE[Refusal.ALREADY_COUNTED],
        (),
    )
    assert set(rows_about(tutor.store, ADA.user_id).values()) == {0}


STALE = [
    pytest.param(lambda tutor, asked: callbacks.encode(callbacks.ForgetYes("0123abcd")),
                 id="made-up"),
    pytest.param(lambda tutor, asked: (tutor.command(ADA, "progress"), yes(asked))[1],
                 id="the-learner-wrote-since"),
    pytest.param(lambda tutor, asked: (ask(tutor), yes(asked))[1], id="an-earlier-forget"),
    pytest.param(lambda tutor, asked: (tutor.tap(ADA, "fn"), yes(asked))[1], id="after-keep-it"),
    pytest.param(lambda tutor, asked: yes(ask(tutor, BO)), id="bo-s-button"),
]  # fmt: skip


@pytest.mark.parametrize("button", STALE)
def test_a_yes_that_is_not_the_live_one_deletes_nothing(tutor: Tutor, clock, button) -> None:
    asked = ask(tutor)
    clock.now += timedelta(seconds=5)
    data_ = button(tutor, asked)
    before = rows_about(tutor.store, ADA.user_id)
    reply = tutor.tap(ADA, data_)
    assert (reply.outcome, reply.toast) == ("refused", REFUSAL_NOTICE[Refusal.OUTDATED])
    assert texts(reply) == [
        "Nothing deleted: that button belongs to an earlier /forget. "
        "Send /forget again if you want me to delete everything."
    ]
    assert rows_about(tutor.store, ADA.user_id) == before


@pytest.mark.parametrize(
    "data_",
    ["fy:", "fy:0123abc", "fy:0123ABCD", "fy:0123abcde", "fy:0123abcg", "fy:٠١٢٣abcd", "fn:x"],
)
def test_a_malformed_forget_button_is_no_button(data_: str) -> None:
    assert callbacks.decode(data_) is None


def test_the_forget_buttons_round_trip() -> None:
    for action in (callbacks.ForgetYes("0123abcd"), callbacks.ForgetNo()):
        assert callbacks.decode(callbacks.encode(action)) == action


def test_keep_it_deletes_nothing(tutor: Tutor) -> None:
    ask(tutor)
    before = rows_about(tutor.store, ADA.user_id)
    reply = tutor.tap(ADA, "fn")
    assert texts(reply) == ["👍 Nothing deleted: everything is as it was."]
    assert rows_about(tutor.store, ADA.user_id) == before


def test_forget_is_in_the_menu_and_the_help() -> None:
    from bot.views import menus

    assert ("forget", "Delete everything I keep about you") in menus.COMMANDS
    assert "/forget — Delete everything I keep about you" in menus.help_text().text


# --- python -m bot export ---------------------------------------------------------------------


def test_export_writes_every_table_about_the_learner_as_json(tutor: Tutor, tmp_path, capsys):
    config = Config(token="", db_path=tmp_path / "tutor.db")
    assert data.export(config, ADA.user_id) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["user_id", "exported_at", *(name for name, _, _ in MINE)]
    assert out["user_id"] == ADA.user_id
    counts = {name: len(out[name]) for name, _, _ in MINE}
    assert counts == {
        "learner": 1, "chat": 1, "positions": 1, "paused_lessons": 1, "answers": 4,
        "finished_steps": 1, "review_cards": 3, "schedules": 1, "group_answers": 1,
        "topics_asked": 1, "lessons_being_written": 1, "messages_owed": 1, "updates": 1,
    }  # fmt: skip
    first = out["answers"][0]
    assert (first["question_id"], first["option_id"]) == ("which-way", "b")
    assert first["verdict"] == "Exactly"
    assert first["answered_at"] == "2026-11-24T12:00:00.000+00:00"
    assert first["reviewing"] is False and out["learner"][0]["active"] is True
    assert isinstance(out["review_cards"][0]["fsrs"], dict)
    assert out["messages_owed"][0]["payload"] == {"text": "owed"}
    assert out["schedules"][0]["remind_at"] == "20:30"


def test_export_of_an_unknown_user_exits_1_with_one_line(tutor: Tutor, tmp_path) -> None:
    env = {"TUTOR_DB": str(tmp_path / "tutor.db")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", "4242"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"No learner with user id 4242 in {tmp_path / 'tutor.db'}.\n"


def test_export_after_forget_finds_nobody(tutor: Tutor, tmp_path, capsys) -> None:
    tutor.tap(ADA, yes(ask(tutor)))
    assert data.export(Config(token="", db_path=tmp_path / "tutor.db"), ADA.user_id) == 1
    assert KEPT == "updates"  # only unlinked update ids remain, and they name nobody
    assert capsys.readouterr().err.startswith("No learner with user id 1001")


def test_export_without_a_database_says_so_and_creates_none(tmp_path) -> None:
    config = Config(token="", db_path=tmp_path / "missing.db")
    assert data.export(config, ADA.user_id) == 1
    assert not (tmp_path / "missing.db").exists()

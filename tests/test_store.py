"""The learners' memory: positions, answers and completions survive a reopened database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.content import Library, Verdict
from bot.core import judge
from bot.core import lesson as engine
from bot.core.model import Learner, Phase, Position
from bot.core.say import Turn
from bot.store import Store
from tests.conftest import NOW

ADA = Learner(user_id=2**40 + 7, chat_id=2**40 + 7)


def test_a_fresh_database_has_its_schema_and_wal(fresh_store: Store) -> None:
    assert fresh_store.schema_version() == [
        "0001_learners_positions_answers",
        "0002_adaptive_tutor_and_review_cards",
        "0003_schedules",
        "0004_next_reminder_at",
        "0005_updates_and_outbox",
        "0006_group_study",
        "0007_operator_indexes",
        "0008_topics",
    ]
    assert fresh_store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert fresh_store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: on disk


def test_migrations_apply_once(tmp_path: Path) -> None:
    Store.open(tmp_path / "t.db").close()
    store = Store.open(tmp_path / "t.db")
    assert len(store.schema_version()) == 8
    store.close()


def test_a_new_learner_has_no_position(fresh_store: Store) -> None:
    assert fresh_store.positions.current(ADA) is None


def test_a_turn_is_saved_and_read_back_after_reopening(library: Library, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "t.db")
    opened = engine.open_step(library.course("neural-networks"), 4, None)
    assert isinstance(opened, Turn)
    store.save_turn(ADA, opened, NOW)
    p = opened.position
    answered = judge.answer(library, p, p.seq, p.course_id, p.step, 0, "c", NOW)
    assert isinstance(answered, Turn)
    store.save_turn(ADA, answered, NOW)
    store.close()

    again = Store.open(tmp_path / "t.db")
    assert again.positions.current(ADA) == answered.position
    history = again.records.history(ADA, "neural-networks")
    assert [(a.question_id, a.option_id, a.verdict) for a in history.answers] == [
        ("which-way", "c", Verdict.CLOSE)
    ]
    assert history.answers[0].at == NOW
    again.close()


def test_positions_are_kept_per_chat(library: Library, fresh_store: Store) -> None:
    opened = engine.open_step(library.course("neural-networks"), 4, None)
    fresh_store.save_turn(ADA, opened, NOW)
    in_a_group = Learner(ADA.user_id, -(10**12) - 5)
    assert fresh_store.positions.current(in_a_group) is None


def test_a_completed_step_is_remembered(fresh_store: Store, library: Library) -> None:
    opened = engine.open_step(library.course("neural-networks"), 4, None)
    done = Turn(Position("neural-networks", 4, 2, Phase.FINISHED, 9), (), completed_step=4)
    fresh_store.save_turn(ADA, opened, NOW)
    fresh_store.save_turn(ADA, done, NOW)
    assert fresh_store.records.history(ADA, "neural-networks").finished_steps == {4}


def test_a_blocked_chat_is_inactive_until_the_learner_writes_again(fresh_store: Store) -> None:
    people = fresh_store.people
    people.seen(ADA, NOW)
    assert people.is_active(ADA.chat_id)
    people.set_active(ADA.chat_id, False, NOW)
    assert not people.is_active(ADA.chat_id)
    people.seen(ADA, NOW)
    assert people.is_active(ADA.chat_id)


def test_a_failed_write_leaves_nothing_half_saved(fresh_store: Store, library: Library) -> None:
    opened = engine.open_step(library.course("neural-networks"), 4, None)
    fresh_store.db.execute(
        "create trigger full before insert on answers begin select raise(abort, 'disk full'); end"
    )
    p = opened.position
    answered = judge.answer(library, p, p.seq, p.course_id, 4, 0, "b", NOW)
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        fresh_store.save_turn(ADA, answered, NOW)
    assert fresh_store.positions.current(ADA) is None


def test_ratings_become_cards_due_when_fsrs_says(fresh_store: Store, library: Library) -> None:
    from datetime import timedelta

    opened = engine.open_step(library.course("neural-networks"), 4, None)
    p = opened.position
    right = judge.answer(library, p, p.seq, p.course_id, 4, 0, "b", NOW)
    fresh_store.save_turn(ADA, right, NOW)
    (card,) = fresh_store.records.cards(ADA)
    assert card.key.id == "neural-networks/4/which-way/question"
    assert card.due == NOW + timedelta(days=2)
    assert fresh_store.records.due(ADA, NOW) == ()
    assert fresh_store.records.due(ADA, NOW + timedelta(days=2)) == (card,)
    assert fresh_store.records.next_due(ADA, NOW) == card.due
    assert fresh_store.records.history(ADA, "neural-networks").cards == (card,)


def test_a_paused_lesson_lives_only_while_reviews_run(fresh_store: Store) -> None:
    lesson = Position("neural-networks", 4, 1, Phase.ASKING, 5)
    reviewing = Position("neural-networks", 4, 0, Phase.ASKING, 6, reviewing=True)
    fresh_store.save_turn(ADA, Turn(reviewing, (), pause_lesson=lesson), NOW)
    assert fresh_store.positions.paused(ADA) == lesson
    fresh_store.save_turn(ADA, Turn(lesson, ()), NOW)
    assert fresh_store.positions.paused(ADA) is None

"""/admin and `python -m bot stats`: the figures, checked against a database filled by learners
who took the seed lesson through the service, and who may see them.

Six learners open step 4 (right options b, a, a): Una finishes it, Bo misses the second
question, three pick `a` on the first (the gradient-points-downhill misconception) and one
picks `c`. Una paused her reminders; Bo set his. Two more learners only said /start, three and
ten days ago, and Zelda opened a group session. The admin's own /admin makes them a learner too.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from bot.config import Config
from bot.content import Course, Library
from bot.core.model import Learner
from bot.ops import data
from bot.store.stats import CommonMiss, Figures, QuestionRate, StepCount
from bot.tutor import COMMANDS, HIDDEN, Tutor
from bot.views import admin as views
from bot.views import menus
from bot.views.message import MAX_TEXT, plain, split, visible_length
from tests.conftest import CONTENT, NOW, ROOT
from tests.fake_telegram import HtmlParser
from tests.scripted import FINISH_STEP_4, Clock, open_group_session, step_4

ADMIN = 42
UNA, BO = Learner(101, 101, "Una"), Learner(102, 102, "Bo")
MISSED = [Learner(103 + i, 103 + i) for i in range(4)]  # a then b, a, a, c
EARLIER = [(Learner(201, 201), timedelta(days=3)), (Learner(202, 202), timedelta(days=10))]
ZELDA = Learner(301, -100777, "Zelda")


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def tutor(library: Library, fresh_store, clock: Clock) -> Tutor:
    """The scripted learners' database, and a tutor whose admin is ADMIN."""
    tutor = Tutor(library, fresh_store, clock, admins=frozenset({ADMIN}))
    for learner, ago in EARLIER:
        clock.now = NOW - ago
        tutor.command(learner, "start")
    clock.now = NOW
    step_4(tutor, UNA, *FINISH_STEP_4)
    tutor.command(UNA, "stop")
    step_4(tutor, BO, "=b", "=b")
    for tap in ("p:z:7", "p:g:1-a-day", "p:t:3"):
        tutor.tap(BO, tap)
    for learner, first in zip(MISSED, "aaac", strict=True):
        step_4(tutor, learner, f"={first}", *(["=b"] if learner == MISSED[0] else []))
    open_group_session(tutor, ZELDA)
    return tutor


def admin(tutor: Tutor, chat_id: int = ADMIN) -> str:
    reply = tutor.command(Learner(ADMIN, chat_id, "Ada"), "admin")
    return "\n".join(plain(m.text) for m in reply.messages)


def test_the_figures_count_what_the_learners_did(tutor: Tutor) -> None:
    tutor.command(Learner(ADMIN, ADMIN), "help")  # the admin is a learner like any other
    f = tutor.store.stats.figures(NOW)
    assert (f.learners, f.active_today, f.active_week) == (9, 7, 8)
    assert f.steps == (StepCount("neural-networks", 4, started=6, finished=1),)
    assert f.hardest == (QuestionRate("neural-networks", 4, "which-way", answered=6, right=2),)
    assert f.misses == {
        ("neural-networks", 4, "which-way"): CommonMiss(
            "neural-networks", 4, "which-way", "a", chosen=3, misses=4
        ),
        ("neural-networks", 4, "how-big"): CommonMiss(
            "neural-networks", 4, "how-big", "b", chosen=1, misses=1
        ),
    }
    assert (f.reviews_due, f.reminders_paused, f.groups_studying) == (0, 1, 1)


def test_reviews_fall_due_and_activity_leaves_today_and_the_week(tutor: Tutor) -> None:
    # A question becomes a card once it is settled: Una's three, Bo's first, and the one
    # missed then right (Hard: due a day later); the others wait for a right answer.
    assert tutor.store.db["cards"].count == 5
    later = [tutor.store.stats.figures(NOW + timedelta(days=d)) for d in (1, 60)]
    assert [(f.reviews_due, f.active_today, f.active_week) for f in later] == [(1, 0, 7), (5, 0, 0)]


def test_admin_shows_the_figures_with_content_words(tutor: Tutor) -> None:
    shown = admin(tutor)
    for line in [
        "👥 Learners: 9",
        "Active today (UTC): 7 · last 7 days: 8",
        "🔁 Reviews due now: 0",
        "🔕 Reminders paused: 1",
        "👥 Groups studying now: 1",
        "How a neural network learns · started · finished",
        "Step 4: 6 · 1",
        "Step 1: 0 · 0",
        "How compound interest grows · started · finished",
        "1. 33% of 6 · How a neural network learns, step 4",
        "Missed most: “Along the gradient (the same direction…” (3 of 4 misses)",
        "💡 The gradient points the way that lowers the loss, so you move weights along it.",
    ]:
        assert line in shown.splitlines(), (line, shown)


def test_python_m_bot_stats_prints_what_admin_shows(tutor: Tutor, tmp_path, capsys) -> None:
    config = Config(token="", db_path=tmp_path / "tutor.db", content_dir=CONTENT)
    shown = admin(tutor)  # first: the admin's /admin makes them a learner
    assert data.stats(config, now=NOW) == 0
    assert capsys.readouterr().out.strip() == shown


@pytest.mark.parametrize(
    ("who", "chat_id"),
    [(7, 7), (ADMIN, -100777)],
    ids=["not-an-admin", "an-admin-in-a-group"],
)
def test_admin_is_an_unknown_command_to_anyone_else(tutor: Tutor, who: int, chat_id: int) -> None:
    reply = tutor.command(Learner(who, chat_id), "admin")
    assert reply.messages == (menus.unknown_command("/admin"),)  # as for /frobnicate


def test_admin_is_in_no_menu() -> None:
    assert "admin" in HIDDEN and "admin" not in COMMANDS
    assert "admin" not in {name for name, _ in (*menus.COMMANDS, *menus.GROUP_COMMANDS)}


# --- Within Telegram's limits, escaped --------------------------------------------------------

NASTY = "<b>Tom & Jerry</b> </i>&amp;"


def crowded(library: Library) -> tuple[Library, Figures]:
    """Forty courses of four steps titled with markup, every question among the hardest."""
    real = library.course("neural-networks")
    courses = tuple(
        Course(f"c{n}", f"{NASTY} {n}", NASTY, real.steps, real.misconceptions) for n in range(40)
    )
    steps = tuple(StepCount(c.id, s.number, 10**6, 10**5) for c in courses for s in c.steps)
    hard = tuple(QuestionRate(c.id, 4, "which-way", 10**6, 1) for c in courses)
    misses = {(c.id, 4, "which-way"): CommonMiss(c.id, 4, "which-way", "a", 9, 10) for c in courses}
    gone = (StepCount("<gone>", 1, 3, 1),)
    return Library(courses), Figures(NOW, 10**6, 1, 2, steps + gone, hard[:5], misses, 3, 4, 5)


def test_the_figures_fit_telegram_in_parts_and_escape_every_word(library: Library) -> None:
    crowded_library, figures = crowded(library)
    message = views.figures(crowded_library, figures)
    parts = split(message)
    assert len(parts) > 1
    for part in parts:
        HtmlParser(part.text).parse()  # Telegram's HTML: balanced, escaped
        assert 0 < visible_length(part.text) <= MAX_TEXT
    text = plain(message.text)
    assert text.count(NASTY) == 40 + 5  # course headings, each hardest question's course
    assert "<gone> (not in the lessons now) · started · finished" in text.splitlines()


def test_admin_replies_in_parts_telegram_takes(library: Library, fresh_store, clock) -> None:
    crowded_library, figures = crowded(library)
    tutor = Tutor(crowded_library, fresh_store, clock, admins=frozenset({ADMIN}))
    tutor.store.stats.figures = lambda now: figures  # type: ignore[method-assign]
    reply = tutor.command(Learner(ADMIN, ADMIN), "admin")
    assert len(reply.messages) > 1
    assert all(visible_length(m.text) <= MAX_TEXT for m in reply.messages)


# --- python -m bot stats, for real --------------------------------------------------------------


def test_the_stats_command_runs_from_the_shell(tutor: Tutor, tmp_path) -> None:
    env = {"TUTOR_DB": str(tmp_path / "tutor.db"), "TUTOR_CONTENT": str(CONTENT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "stats"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "👥 Learners: 8" in done.stdout.splitlines()  # nobody sent /admin


def test_stats_without_a_database_says_so_and_creates_none(tmp_path) -> None:
    config = Config(token="", db_path=tmp_path / "nope" / "tutor.db", content_dir=CONTENT)
    assert data.stats(config) == 1
    assert not (tmp_path / "nope").exists()

"""The figures at 100,000 learners: filled in a few seconds with executemany, then every figure
is read and checked against the pattern it was filled with. No timing is asserted here; by
hand, `python -m bot stats` on such a database (eight answers and five cards a learner) takes
about 0.8 s in all, 0.35 s of it the SQL (1.4 s without migration 0007's indexes).

Learner i was last seen (and answered) i % 14 days before NOW, an hour earlier in the day; on
step 4 they answered which-way right when i % 4 == 0 (else a), how-big right when i is even
(else c) and full-loop right always; one in ten finished the step; of their two cards, both
are due when i % 5 == 0; one in three set a schedule, one in six paused it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.store import Store
from bot.store.migrations import stamp
from bot.store.stats import CommonMiss, QuestionRate, StepCount
from tests.conftest import NOW

N = 100_000
FIRST = 10**6
COURSE = "neural-networks"


SEEN = [stamp(NOW - timedelta(days=d, hours=1)) for d in range(14)]


def seen(i: int) -> str:
    return SEEN[i % 14]


def answers(i: int) -> list[tuple]:
    which = "b" if i % 4 == 0 else "a"
    how = "a" if i % 2 == 0 else "c"
    verdicts = {("which-way", "b"), ("how-big", "a"), ("full-loop", "a")}
    picks = (("which-way", which), ("how-big", how), ("full-loop", "a"))
    return [
        (FIRST + i, FIRST + i, COURSE, 4, q, o, "Exactly" if (q, o) in verdicts else "Not quite",
         seen(i), "question", 1, 0)
        for q, o in picks
    ]  # fmt: skip


def fill(path: Path) -> None:
    store = Store.open(path)
    run = store.db.conn.executemany
    learners = range(N)
    due = {True: stamp(NOW - timedelta(days=1)), False: stamp(NOW + timedelta(days=1))}
    with store.transaction():
        run(
            "insert into learners values (?, 'L', null, ?, ?, 1)",
            ((FIRST + i, seen(i), seen(i)) for i in learners),
        )
        run("insert into chats values (?, 1, ?)", ((FIRST + i, seen(i)) for i in learners))
        run(
            "insert into positions (user_id, chat_id, course_id, step, question, phase, seq) "
            "values (?, ?, ?, 4, 2, 'answered', 9)",
            ((FIRST + i, FIRST + i, COURSE) for i in learners),
        )
        run(
            "insert into answers (user_id, chat_id, course_id, step, question_id, option_id, "
            "verdict, answered_at, target, attempt, reviewing) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row for i in learners for row in answers(i)),
        )
        run(
            "insert into completions values (?, ?, ?, 4, ?)",
            ((FIRST + i, FIRST + i, COURSE, seen(i)) for i in learners if i % 10 == 0),
        )
        run(
            "insert into cards (user_id, chat_id, card_id, course_id, step, question_id, target, "
            "fsrs, due, last_grade) values (?, ?, ?, ?, 4, ?, 'question', '{}', ?, 'good')",
            (
                (FIRST + i, FIRST + i, f"{COURSE}/4/{q}/question", COURSE, q, due[i % 5 == 0])
                for i in learners
                for q in ("which-way", "how-big")
            ),
        )
        run(
            "insert into schedules (user_id, chat_id, paused) values (?, ?, ?)",
            ((FIRST + i, FIRST + i, int(i % 6 == 0)) for i in learners if i % 3 == 0),
        )
        run(
            "insert into group_sessions (chat_id, course_id, step, question, phase, seq, "
            "started_at, active_at) values (?, ?, 4, 0, 'asking', 1, ?, ?)",
            ((-100 - g, COURSE, stamp(NOW), stamp(NOW)) for g in range(12)),
        )
    store.close()


def count(test) -> int:
    return sum(1 for i in range(N) if test(i))


def test_the_figures_at_100_000_learners(tmp_path: Path) -> None:
    fill(tmp_path / "tutor.db")
    store = Store.open(tmp_path / "tutor.db")
    try:
        f = store.stats.figures(NOW)
    finally:
        store.close()
    assert (f.learners, f.groups_studying) == (N, 12)
    assert f.active_today == count(lambda i: i % 14 == 0)
    assert f.active_week == count(lambda i: i % 14 < 7)
    assert f.steps == (StepCount(COURSE, 4, N, count(lambda i: i % 10 == 0)),)
    assert f.hardest == (
        QuestionRate(COURSE, 4, "which-way", N, count(lambda i: i % 4 == 0)),
        QuestionRate(COURSE, 4, "how-big", N, N // 2),
        QuestionRate(COURSE, 4, "full-loop", N, N),
    )
    missed = count(lambda i: i % 4 != 0)
    assert f.misses == {
        (COURSE, 4, "which-way"): CommonMiss(COURSE, 4, "which-way", "a", missed, missed),
        (COURSE, 4, "how-big"): CommonMiss(COURSE, 4, "how-big", "c", N // 2, N // 2),
    }
    assert f.reviews_due == 2 * count(lambda i: i % 5 == 0)
    assert f.reminders_paused == count(lambda i: i % 6 == 0)

"""What a tap costs with 100 learners in the database and with 100,000 (1,000,000 answers, cards
and handled updates, a schedule, a position and three finished steps each): the same learners
tap through step 4 at both sizes, the sizes alternating, each run in a process of its own.

Run by hand from the project root, never as a timed test:

    python3 bench/scale.py                  # builds both databases in a temporary folder
    python3 bench/scale.py --db /tmp/scale  # keeps them there, and reuses them next time

Both databases are built in bulk with the real schema (`Store.open`, every migration): the
scheduled learners by `bench/startup.build`, then answers, cards, completions, positions and
handled updates with executemany, then ANALYZE. Every learner has the same record, so "the same
learners" means the same ids with the same history: the first --tappers ids, which the small
database holds alone. The big one also lets as many learners spread over its whole id range
tap (`spread`): key-adjacent tappers share B-tree pages, spread ones do not.

Each run (one process per size and group of tappers) first puts its tappers back at the end of
step 3 (their step-4 answers, cards and completion deleted), so every run starts from the same
records, then measures, in order:

- service CPU per tap: time.process_time over --cpu-passes passes of every tapper through the
  lesson (open step 4, answer, next, ... the takeaway: 7 taps), straight through `Tutor` on the
  SQLite file (synchronous=FULL, as the bot runs), after one pass to warm up;
- store time and statements per tap: one more pass with the connection wrapped, timing every
  call into SQLite (statements, fetches, BEGIN/COMMIT), and sqlite3's set_trace_callback
  counting the statements;
- tap latency and the bot's CPU: the real bot in-process (`tests.harness.running_bot`, the
  sweeps at their production interval) against the fake Bot API server on 127.0.0.1,
  --e2e-tappers learners one after another (no queueing), the bot settled after each tap. By the
  fake server's clock, from a tap queued to its answerCallbackQuery ("answered") and to the
  tap's last call ("done"); the CPU of the bot's thread (time.thread_time: PTB, the HTTP client,
  service and store; the fake server runs in a thread of its own) over the same window; and the
  statements the bot ran, inbox and outbox included, from a trace of that run;
- peak RSS (VmHWM) after the service passes and after the bot's run;
- EXPLAIN QUERY PLAN of every statement seen on both paths, on that database.

Figures are medians over --rounds runs; the section `## Scale: 100 against 100,000 learners` of
bench/RESULTS.md is rewritten with them (and only that section).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import io
import itertools
import json
import pstats
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.startup import FIRST_ID, Deadline, build, count, ids, size_mb
from bot.content import Library, Verdict
from bot.content.checks import load_checked
from bot.core import memory
from bot.core.model import CardKey, Grade, Learner, Target
from bot.store import Store
from bot.store.migrations import stamp
from bot.tutor import Reply, Tutor
from tests import harness, scripted
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Scale: 100 against 100,000 learners"

COURSE = "neural-networks"
DONE_STEPS = (1, 2, 3)
"""Every generated learner finished steps 1-3 (their answers and cards) and stands at the end
of step 3; the tappers then take step 4, whose answers and cards are new."""
EACH = 10
"""Answers, cards and handled updates per generated learner: 1,000,000 of each at 100,000."""
BIG_TABLES = ("answers", "cards", "positions", "schedules", "updates", "outbox", "learners",
              "chats")  # fmt: skip
CEILING = 30
"""Telegram's ceiling for one bot: about 30 messages a second."""
TAPS = ("s", *scripted.FINISH_STEP_4)


# ------------------------------------------------------------------ the databases


def right_option(library: Library, step: int, question: int) -> str:
    course = library.course(COURSE)
    assert course is not None
    options = course.steps[step - 1].questions[question].options
    return next(o.id for o in options if o.verdict is Verdict.EXACTLY)


def fill(path: Path, n: int, library: Library) -> None:
    """Everything but the learners, chats and schedules `bench.startup.build` made: the rest of
    each learner's answers (to EACH), a card per answered question, the finished steps, a
    position and EACH handled updates, all with executemany in one transaction."""
    now = datetime.now(UTC)
    answered = stamp(now - timedelta(days=3))
    course = library.course(COURSE)
    assert course is not None
    questions = [
        (step, q.id, right_option(library, step, i))
        for step in DONE_STEPS
        for i, q in enumerate(course.steps[step - 1].questions)
    ]
    # build() gave each learner three answers on step 1: two questions, one missed first.
    more = [q for q in questions if q[1] not in ("weighted-sum", "why-activation")]
    cards = [CardKey(COURSE, step, q) for step, q, _ in questions]
    cards.append(CardKey(COURSE, 1, "why-activation", Target.CHECK))
    assert len(more) == EACH - 3 and len(cards) == EACH
    card_rows = []
    for k, c in enumerate(cards):  # reviewed 1-3 days ago, due in a month or more
        state = memory.review(None, Grade.GOOD, now - timedelta(days=3 - k % 3))
        due = stamp(state.due + timedelta(days=30))
        row = (c.id, COURSE, c.step, c.question_id, c.target.value, state.state, due, answered)
        card_rows.append(row)
    store = Store.open(path)
    # A bulk load, not the bot's settings: no journal (the pages are written once, not to the
    # WAL and then again), no fsync, and a cache that holds every index being filled.
    for pragma in ("journal_mode = delete", "journal_mode = off", "synchronous = off",
                   "cache_size = -1000000"):  # fmt: skip
        store.db.execute(f"pragma {pragma}")
    run = store.db.conn.executemany
    try:
        with store.transaction():
            run(
                "insert into answers (user_id, chat_id, course_id, step, question_id, option_id,"
                " verdict, answered_at, target, attempt, reviewing)"
                " values (?, ?, ?, ?, ?, ?, 'Exactly', ?, 'question', 1, 0)",
                ((i, i, COURSE, s, q, o, answered) for i in ids(n) for s, q, o in more),
            )
            run(
                "insert into cards (user_id, chat_id, card_id, course_id, step, question_id,"
                " target, fsrs, due, last_grade, reviewed_at) values"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, 'good', ?)",
                ((i, i, *card) for i in ids(n) for card in card_rows),
            )
            run(
                "insert into completions (user_id, chat_id, course_id, step, finished_at)"
                " values (?, ?, ?, ?, ?)",
                ((i, i, COURSE, s, answered) for i in ids(n) for s in DONE_STEPS),
            )
            run(
                "insert into positions (user_id, chat_id, course_id, step, question, phase, seq,"
                " another_way_shown, target, attempt, reviewing, updated_at)"
                " values (?, ?, ?, 3, 2, 'finished', 30, 0, 'question', 1, 0, ?)",
                ((i, i, COURSE, answered) for i in ids(n)),
            )
            run(
                "insert into updates (update_id, chat_id, payload, received_at, handled_at)"
                " values (?, ?, '', ?, ?)",
                (
                    (1 + k * n + j, FIRST_ID + j, at, at)
                    for k in range(EACH)
                    for at in [stamp(now - timedelta(hours=20 - 2 * k))]
                    for j in range(n)
                ),
            )
        store.db.execute("analyze")
        store.db.execute("pragma journal_mode = wal")
    finally:
        store.close()


def make(path: Path, n: int, library: Library) -> float:
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    build(path, n)  # learners, chats, three answers and a schedule each
    fill(path, n, library)
    return time.monotonic() - started


def refresh(path: Path) -> None:
    """A database kept from an earlier day: its handled updates would all be forgotten by the
    first sweep, and reminders fall due for every learner; move both to now."""
    now = datetime.now(UTC)
    with sqlite3.connect(path) as conn:
        (oldest,) = conn.execute("select min(handled_at) from updates").fetchone()
        if oldest and oldest < stamp(now - timedelta(days=1)):
            conn.execute("update updates set received_at = ?, handled_at = ?", [stamp(now)] * 2)
        (soonest,) = conn.execute("select min(next_remind_at) from schedules").fetchone()
        if soonest and soonest < stamp(now + timedelta(hours=2)):
            later = stamp(now + timedelta(days=1))
            conn.execute("update schedules set next_remind_at = ?", [later])


# ------------------------------------------------------------------ instruments


class TimedCursor:
    def __init__(self, cursor: sqlite3.Cursor, clock: TimedConnection):
        self._cursor, self._clock = cursor, clock

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        started = time.perf_counter()
        try:
            return next(self._cursor)
        finally:
            self._clock.seconds += time.perf_counter() - started

    def fetchone(self) -> Any:
        started = time.perf_counter()
        try:
            return self._cursor.fetchone()
        finally:
            self._clock.seconds += time.perf_counter() - started

    def fetchall(self) -> list[Any]:
        started = time.perf_counter()
        try:
            return self._cursor.fetchall()
        finally:
            self._clock.seconds += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class TimedConnection:
    """The store's connection, timing every call into SQLite: statements, fetches, commits."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        self.seconds = 0.0

    def execute(self, sql: str, *args: Any) -> TimedCursor:
        started = time.perf_counter()
        try:
            return TimedCursor(self._conn.execute(sql, *args), self)
        finally:
            self.seconds += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


LITERAL = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b|sqlite_utils_[0-9a-f]{32}")


def shape(sql: str) -> str:
    """A statement without its values: what makes two traced statements the same query."""
    return " ".join(LITERAL.sub("?", sql).split())


def plans(conn: sqlite3.Connection, statements: dict[str, str]) -> dict[str, list[str]]:
    """EXPLAIN QUERY PLAN of each statement (a concrete one per shape), as indented lines."""
    out: dict[str, list[str]] = {}
    for key, sql in statements.items():
        if shape(sql).split()[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
                                             "RELEASE"):  # fmt: skip
            continue
        rows = conn.execute("explain query plan " + sql).fetchall()
        depth: dict[int, int] = {0: -1}
        lines = []
        for node, parent, _unused, detail in rows:
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + detail)
        out[key] = lines
    return out


def full_scans(lines: list[str]) -> list[str]:
    """Plan lines that read a whole big table or index."""
    return [
        line.strip()
        for line in lines
        if (m := re.match(r"\s*SCAN (\w+)", line)) and m.group(1) in BIG_TABLES
    ]


def vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ------------------------------------------------------------------ one run (its own process)


def play(tutor: Tutor, learner: Learner, each: Callable[[], None] | None = None) -> list[float]:
    """One pass through step 4, each tap on what the previous reply showed (found by
    `tests.scripted.tap`); the wall time of each tap, every one of which must count."""
    seconds: list[float] = []
    reply: Reply | None = None
    for label in TAPS:
        started = time.perf_counter()
        if reply is None:
            reply = tutor.tap(learner, f"s:{COURSE}:4")
        else:
            reply = scripted.tap(tutor, learner, reply, label)
        seconds.append(time.perf_counter() - started)
        assert reply.outcome == "ok", (learner, label, reply)
        if each is not None:
            each()
    return seconds


def reset(store: Store, tappers: list[Learner]) -> None:
    """The tappers as the database was built: at the end of step 3, nothing of step 4, so every
    run starts from the same records (each pass through step 4 adds three answers)."""
    with store.transaction():
        for learner in tappers:
            who = [learner.user_id, learner.chat_id]
            for table in ("answers", "cards", "completions"):
                store.db.execute(
                    f"delete from {table} where user_id = ? and chat_id = ? and step = 4", who
                )
            store.db.execute("delete from paused_lessons where user_id = ? and chat_id = ?", who)
            store.db.execute(
                "update positions set course_id = ?, step = 3, question = 2, phase = 'finished',"
                " seq = 30, chosen = null, another_way_shown = 0, target = 'question',"
                " attempt = 1, reviewing = 0 where user_id = ? and chat_id = ?",
                [COURSE, *who],
            )


def service(path: Path, tappers: list[Learner], passes: int, profile: bool) -> dict[str, Any]:
    store = Store.open(path)
    tutor = Tutor(load_checked(CONTENT), store, lambda: datetime.now(UTC))
    try:
        reset(store, tappers)
        for learner in tappers:  # warm up: pages in SQLite's cache, code paths run once
            play(tutor, learner)

        wall: list[float] = []
        cpu_started = time.process_time()
        for _ in range(passes):
            for learner in tappers:
                wall += play(tutor, learner)
        cpu = time.process_time() - cpu_started

        traced: list[str] = []
        per_tap: list[int] = []
        timed = TimedConnection(store.db.conn)
        store.db.conn = timed  # type: ignore[assignment]
        store.db.conn.set_trace_callback(traced.append)
        marks = [0]
        try:
            for learner in tappers:
                play(tutor, learner, lambda: marks.append(len(traced)))
        finally:
            timed.set_trace_callback(None)
            store.db.conn = timed._conn
        per_tap = [b - a for a, b in itertools.pairwise(marks)]
        introspection = [s for s in traced if re.search(r"sqlite_master|\bpragma\b", s, re.I)]

        profiler = cProfile.Profile()  # every run, so every tapper takes as many taps
        profiler.enable()
        for learner in tappers:
            play(tutor, learner)
        profiler.disable()
        profile_text = ""
        if profile:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime")
            stats.print_stats(16)
            profile_text = out.getvalue()

        examples = {shape(s): s for s in reversed(traced)}
        answers_each = store.db.execute(
            "select count(*) from answers where user_id = ? and chat_id = ?",
            [tappers[0].user_id, tappers[0].chat_id],
        ).fetchone()[0]
        return {
            "taps": len(wall),
            "cpu_ms": cpu / len(wall) * 1000,
            "wall_ms": [s * 1000 for s in wall],
            "store_ms": timed.seconds / len(per_tap) * 1000,
            "statements": per_tap,
            "introspection": introspection,
            "examples": examples,
            "profile": profile_text,
            "answers_each": answers_each,
            "rss_service": vm_hwm_mib(),
        }
    finally:
        store.close()


class NumberedFake(FakeTelegram):
    """The fake server, numbering updates after every update_id the database has seen, as
    Telegram's ids only grow (the fake would otherwise start again at 10,000)."""

    def __init__(self, first_update_id: int):
        super().__init__()
        self._update_ids = itertools.count(max(first_update_id, 10_000))


LABELS = ("Step 4", "B", "➜", "A", "➜", "A", "➜")
"""Step 4 through the bot: open it, the right option of each question (B, A, A on first
showing), the button on to the next question and at last the takeaway."""


async def through_the_bot(path: Path, tappers: list[Learner]) -> dict[str, Any]:
    """Each tapper in turn (no queueing): /start the course, then step 4 tap by tap, waiting
    for the bot to settle after each tap. Latencies from the fake server's own clock: a tap
    queued, to its answerCallbackQuery ("answered") and to the tap's last call ("done")."""
    with sqlite3.connect(path) as conn:
        (last,) = conn.execute("select max(update_id) from updates").fetchone()
    production = harness.config_for
    harness.config_for = lambda tg, db: dataclasses.replace(  # type: ignore[assignment]
        production(tg, db), reminder_sweep=60.0
    )  # the sweeps at their production interval, so what a tap's window traces is the tap's
    traced: list[str] = []
    answered: list[float] = []
    done: list[float] = []
    cpu: list[float] = []
    statements: list[int] = []
    try:
        with NumberedFake((last or 0) + 1) as tg:
            async with harness.running_bot(tg, path) as bot:
                bot.store.db.conn.set_trace_callback(traced.append)
                for who in tappers:
                    learner = harness.Learner(tg, bot, who.user_id, f"L{who.user_id}")
                    await learner.says(f"/start {COURSE}")
                    for label in LABELS:
                        message, before = learner.with_buttons(), len(traced)
                        cpu_started, started = time.thread_time(), time.time()
                        query = tg.tap_button(who.user_id, message.message_id, label)
                        await learner.settle(quiet=0.02)
                        cpu.append(time.thread_time() - cpu_started)
                        statements.append(len(traced) - before)
                        calls = [
                            c for c in tg.calls if c.time >= started and c.method != "getUpdates"
                        ]
                        answer = next(
                            c.time
                            for c in calls
                            if c.method == "answerCallbackQuery"
                            and c.params.get("callback_query_id") == query
                        )
                        answered.append((answer - started) * 1000)
                        done.append((max(c.time for c in calls) - started) * 1000)
                bot.store.db.conn.set_trace_callback(None)
                assert bot.errors == [] and tg.refusals == [], tg.dump()
    finally:
        harness.config_for = production
    return {
        "answered_ms": answered,
        "done_ms": done,
        "bot_cpu_ms": statistics.mean(cpu) * 1000,
        "bot_statements": statements,
        "bot_introspection": [s for s in traced if re.search(r"sqlite_master|\bpragma\b", s, re.I)],
        "bot_examples": {shape(s): s for s in reversed(traced)},
        "rss_bot": vm_hwm_mib(),
    }


def measure(args: argparse.Namespace) -> None:
    path = Path(args.measure)
    first, step, many = (int(x) for x in args.who.split(":"))
    tappers = [Learner(first + k * step, first + k * step) for k in range(many)]
    result = {"path": str(path), "first": first, "step": step}
    result |= service(path, tappers, args.cpu_passes, args.profile)
    result |= asyncio.run(through_the_bot(path, tappers[: args.e2e_tappers]))
    examples = result.pop("examples") | result.pop("bot_examples")
    with sqlite3.connect(path) as conn:
        result["plans"] = plans(conn, examples)
    print(json.dumps(result))


# ------------------------------------------------------------------ the parent: runs and report


@dataclasses.dataclass
class Case:
    name: str
    path: Path
    tappers: str
    """first:step:count"""
    runs: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def med(self, key: str) -> float:
        return statistics.median(r[key] for r in self.runs)

    def pooled(self, key: str) -> list[float]:
        return [x for r in self.runs for x in r[key]]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[round(p * (len(ordered) - 1))]


def run_case(case: Case, args: argparse.Namespace, deadline: Deadline, profile: bool) -> None:
    deadline.check(f"{case.name}, run {len(case.runs) + 1}")
    command = [sys.executable, __file__, "--measure", str(case.path), "--who", case.tappers]
    command += ["--cpu-passes", str(args.cpu_passes), "--e2e-tappers", str(args.e2e_tappers)]
    if profile:
        command.append("--profile")
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=max(deadline.left(), 1)
    )
    if done.returncode != 0:
        raise RuntimeError(f"{case.name}: exit {done.returncode}\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    case.runs.append(result)
    print(
        f"  {case.name:<16} service CPU {result['cpu_ms']:.3f} ms/tap,"
        f" store {result['store_ms']:.3f} ms, bot CPU {result['bot_cpu_ms']:.2f} ms,"
        f" answered p50 {statistics.median(result['answered_ms']):.1f} ms,"
        f" RSS {result['rss_bot']:.1f} MiB",
        flush=True,
    )


def verdict(ok: bool) -> str:
    return "holds" if ok else "**missed**"


@dataclasses.dataclass
class Row:
    label: str
    value: Callable[[Case], float]
    digits: int = 3
    ratio: bool = False


ROWS = [
    Row("service CPU (ms)", lambda c: c.med("cpu_ms"), ratio=True),
    Row("store time (ms)", lambda c: c.med("store_ms"), ratio=True),
    Row("service wall p50 (ms)", lambda c: pct(c.pooled("wall_ms"), 0.5), ratio=True),
    Row("service wall p95 (ms)", lambda c: pct(c.pooled("wall_ms"), 0.95)),
    Row("bot CPU, main thread (ms)", lambda c: c.med("bot_cpu_ms"), 2, ratio=True),
    Row("tap answered p50 (ms)", lambda c: pct(c.pooled("answered_ms"), 0.5), 1, ratio=True),
    Row("tap answered p95 (ms)", lambda c: pct(c.pooled("answered_ms"), 0.95), 1),
    Row("tap done p50 (ms)", lambda c: pct(c.pooled("done_ms"), 0.5), 1, ratio=True),
    Row("tap done p95 (ms)", lambda c: pct(c.pooled("done_ms"), 0.95), 1),
    Row("statements, service", lambda c: statistics.mean(c.pooled("statements")), 1),
    Row("statements, bot", lambda c: statistics.mean(c.pooled("bot_statements")), 1),
    Row("peak RSS, service (MiB)", lambda c: max(r["rss_service"] for r in c.runs), 1),
    Row("peak RSS, with the bot (MiB)", lambda c: max(r["rss_bot"] for r in c.runs), 1),
]


def report(cases: list[Case], built: dict[Path, tuple[int, float, float | None]]) -> list[str]:
    small, big, spread = cases
    out = [
        f"| per tap | {small.name} | {big.name} | {spread.name} | big / small |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in ROWS:
        cells = " | ".join(f"{row.value(c):.{row.digits}f}" for c in cases)
        ratios = ""
        if row.ratio:
            ratios = " · ".join(f"{row.value(c) / row.value(small):.2f}×" for c in (big, spread))
        out.append(f"| {row.label} | {cells} | {ratios} |")
    runs = len(small.runs)
    taps = sum(r["taps"] for c in cases for r in c.runs)
    e2e = sum(len(r["answered_ms"]) for c in cases for r in c.runs)
    out += [
        "",
        f"{runs} runs of each case, alternating; {taps:,} service taps and {e2e:,} taps through"
        f" the bot in all. Medians of the runs (CPU, store time), or of every tap pooled"
        f" (percentiles). Each run starts the tappers again at the end of step 3 (10 answers);"
        f" after its service passes each had {small.runs[-1]['answers_each']} at {small.name}"
        f" learners, {big.runs[-1]['answers_each']} at {big.name} and"
        f" {spread.runs[-1]['answers_each']} spread. Bot CPU is the bot's thread (PTB, HTTP"
        " client, service, store) from a tap queued to the bot settled, the fake server's"
        " thread left out and the scripted learner's polling left in.",
        "",
        "| database | learners | answers | cards | handled updates | MB | built in (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for path, (n, mb, seconds) in built.items():
        made = f"{seconds:.1f}" if seconds is not None else "reused"
        found = [count(path, f"select count(*) from {t}") for t in ("answers", "cards", "updates")]
        out.append(
            f"| {path.parent.name} | {n:,} | {found[0]:,} | {found[1]:,} | {found[2]:,} |"
            f" {mb:.0f} | {made} |"
        )

    worst = max(c.med("cpu_ms") / small.med("cpu_ms") for c in (big, spread))
    growth = {
        key: max(max(r[key] for r in c.runs) for c in (big, spread))
        - max(r[key] for r in small.runs)
        for key in ("rss_service", "rss_bot")
    }
    service_cpu = max(c.med("cpu_ms") for c in cases)
    bot_cpu = max(c.med("bot_cpu_ms") for c in cases)
    introspection = sorted(
        {s for c in cases for r in c.runs for s in r["introspection"] + r["bot_introspection"]}
    )
    scanning = {
        key for c in cases for r in c.runs for key, lines in r["plans"].items() if full_scans(lines)
    }
    out += [
        "",
        "Targets:",
        f"- per-tap CPU at {big.name} ≤ 1.1× at {small.name}: {worst:.2f}× (service CPU, the"
        f" worse group): {verdict(worst <= 1.1)}",
        f"- RSS growth ≤ 20 MB: {growth['rss_service']:+.1f} MiB (service),"
        f" {growth['rss_bot']:+.1f} MiB (with the bot): {verdict(max(growth.values()) <= 20)}",
        f"- {CEILING} taps a second on one core under 10 %: {service_cpu:.2f} ms of service CPU"
        f" a tap is {service_cpu * CEILING / 10:.1f} % of a core, {bot_cpu:.2f} ms of the"
        f" bot's is {bot_cpu * CEILING / 10:.1f} %: {verdict(bot_cpu * CEILING / 1000 < 0.10)}",
        f"- no schema introspection: {len(introspection)} sqlite_master/PRAGMA statements on"
        f" the tap path: {verdict(not introspection)}",
        f"- no full scan of a big table: {len(scanning)} statements scan one:"
        f" {verdict(not scanning)}",
        "",
        f"Query plans at {big.name} learners (ANALYZEd) of every statement a tap ran, service and"
        " bot (BEGIN, COMMIT and savepoints left out):",
        "",
        "```",
    ]
    seen = big.runs[-1]["plans"] | spread.runs[-1]["plans"]
    for key in sorted(seen):
        out.append(key)
        out += ["    " + line for line in seen[key]] or ["    (no table read)"]
    out.append("```")
    profile = big.runs[0].get("profile")
    if profile:
        out += [
            "",
            f"cProfile of one pass of the tappers through step 4 at {big.name} learners, by own"
            " time:",
            "",
            "```",
            *[line.rstrip() for line in profile.strip().splitlines() if line.strip()][:20],
            "```",
        ]
    return out


def write_section(lines: list[str], command: str) -> None:
    """Replace this bench's section of bench/RESULTS.md (others write theirs), keep the rest."""
    body = [HEADING, "", f"`{command}` ({datetime.now(UTC):%Y-%m-%d}, {machine()}).", "", *lines]
    text = RESULTS.read_text() if RESULTS.exists() else "# Bench results\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    section = "\n".join(body).rstrip() + "\n\n"
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.rstrip() + "\n")


def machine() -> str:
    import os
    import platform

    cpus = os.cpu_count()
    return f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {cpus} CPUs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="keep both databases in this folder, reuse them")
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--tappers", type=int, default=100, help="learners who tap, each size")
    parser.add_argument("--rounds", type=int, default=5, help="alternating runs of each case")
    parser.add_argument("--cpu-passes", type=int, default=3, help="passes through step 4 a run")
    parser.add_argument("--e2e-tappers", type=int, default=10, help="of them, through the bot")
    parser.add_argument("--budget", type=float, default=900, help="seconds for everything")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--who", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args)
        return 0
    deadline = Deadline(args.budget)
    tappers = min(args.tappers, args.small)
    library = load_checked(CONTENT)

    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        folder = args.db.resolve() if args.db else Path(tmp)
        built: dict[Path, tuple[int, float, float | None]] = {}
        for n in (args.small, args.learners):
            path = folder / f"learners-{n}" / "tutor.db"
            seconds = None
            if path.exists():
                refresh(path)
                print(f"reusing {path}", flush=True)
            else:
                print(f"building {n:,} learners in {path} ...", flush=True)
                seconds = make(path, n, library)
                print(f"  built in {seconds:.1f}s, {size_mb(path):.0f} MB", flush=True)
            built[path] = (count(path, "select count(*) from learners"), size_mb(path), seconds)
        small_path, big_path = built
        n_big = built[big_path][0]
        spread_step = n_big // tappers
        cases = [
            Case(f"{built[small_path][0]:,}", small_path, f"{FIRST_ID}:1:{tappers}"),
            Case(f"{n_big:,}", big_path, f"{FIRST_ID}:1:{tappers}"),
            Case(f"{n_big:,} spread", big_path,
                 f"{FIRST_ID + spread_step // 2}:{spread_step}:{tappers}"),
        ]  # fmt: skip
        try:
            for r in range(args.rounds):
                print(f"round {r + 1} of {args.rounds}", flush=True)
                for case in cases if r % 2 == 0 else cases[::-1]:
                    run_case(case, args, deadline, profile=r == 0 and case is cases[1])
        except (TimeoutError, RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"stopped: {exc}", file=sys.stderr)
            return 1
        lines = report(cases, built)
    print()
    print(HEADING)
    print("\n".join(lines))
    if not args.no_write:
        command = "python3 bench/scale.py " + " ".join(sys.argv[1:])
        write_section(lines, command.strip())
        print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

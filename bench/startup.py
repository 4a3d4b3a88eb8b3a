"""How long `python -m bot` takes to reach its first getUpdates with N scheduled learners in the
database, against the fake Bot API server on 127.0.0.1; and, once, how long migration 0004
(`next_remind_at`) takes to upgrade a database of N schedules made at migration 0003.

Run by hand from the project root, never as a timed test:

    python3 bench/startup.py --learners 100000

Each run starts the bot as a subprocess and measures from just before `Popen` to the moment the
fake server *receives* the first getUpdates (not when it answers: a long poll is answered only
after its timeout); peak RSS is the bot's VmHWM from /proc just before SIGTERM. Runs with N
learners alternate with runs on an empty database, the floor (interpreter, imports, content
checks, the Bot API handshake). The database is built in a temporary folder, or kept at --db
and reused when it already exists. Everything is bounded by --budget seconds.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.content.checks import load_checked
from bot.core.model import Learner, Schedule
from bot.store import Store
from bot.store.migrations import migrations, stamp
from bot.tutor import Tutor
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
SCHEDULE = Schedule(zone="UTC+05:30", goal="1-a-day", remind_at="20:00")
FIRST_ID = 1_000_000
ANSWERS_EACH = 3
BEFORE_0004 = "0004_next_reminder_at"


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self, what: str) -> None:
        if self.left() <= 0:
            raise TimeoutError(f"out of time budget before {what}")


class TimedFake(FakeTelegram):
    """The fake server, noting when the first getUpdates arrives (the fake records a call when
    it answers, which for a long poll is its timeout later)."""

    def __init__(self) -> None:
        super().__init__()
        self.first_poll_at: float | None = None

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.first_poll_at is None:
            self.first_poll_at = time.time()
        return await super()._get_updates(params)


# ------------------------------------------------------------------ building databases


def ids(n: int) -> range:
    return range(FIRST_ID, FIRST_ID + n)


def people_rows(conn: sqlite3.Connection, n: int, at: str) -> None:
    """A `learners` and a `chats` row per learner, and a few answers each."""
    conn.executemany(
        "insert into learners (user_id, first_name, username, created_at, last_seen_at, active)"
        " values (?, ?, ?, ?, ?, 1)",
        ((i, f"L{i}", f"learner{i}", at, at) for i in ids(n)),
    )
    conn.executemany(
        "insert into chats (chat_id, active, updated_at) values (?, 1, ?)",
        ((i, at) for i in ids(n)),
    )
    answers = [("weighted-sum", "c", "Exactly"), ("why-activation", "b", "Not quite")]
    answers.append(("why-activation", "a", "Exactly"))
    conn.executemany(
        "insert into answers (user_id, chat_id, course_id, step, question_id, option_id,"
        " verdict, answered_at) values (?, ?, 'neural-networks', 1, ?, ?, ?, ?)",
        ((i, i, q, o, v, at) for i in ids(n) for q, o, v in answers[:ANSWERS_EACH]),
    )


def build(path: Path, n: int) -> float:
    """N learners with a schedule each, saved through the service in one transaction."""
    started = time.monotonic()
    now = datetime.now(UTC)
    store = Store.open(path)
    try:
        pace = Tutor(load_checked(CONTENT), store, lambda: now).pace
        with store.transaction():
            people_rows(store.db.conn, n, stamp(now))
            for i in ids(n):
                pace.save(Learner(i, i), SCHEDULE, now)
        store.db.execute("analyze")
    finally:
        store.close()
    return time.monotonic() - started


def build_at_0003(path: Path, n: int) -> None:
    """The same learners as a database last migrated at 0003: schedules with no next moment."""
    import sqlite_utils

    db = sqlite_utils.Database(path)
    db.enable_wal()
    migrations.apply(db, stop_before=BEFORE_0004)
    assert [m.name for m in migrations.applied(db)][-1] == "0003_schedules"
    at = stamp(datetime.now(UTC))
    with db.atomic():
        people_rows(db.conn, n, at)
        db.conn.executemany(
            "insert into schedules (user_id, chat_id, zone, goal, remind_at, paused,"
            " done_at_plan, updated_at) values (?, ?, ?, ?, ?, 0, 0, ?)",
            ((i, i, SCHEDULE.zone, SCHEDULE.goal, SCHEDULE.remind_at, at) for i in ids(n)),
        )
    db.close()


def count(path: Path, sql: str, args: tuple = ()) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchone()[0]


def size_mb(path: Path) -> float:
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 1e6


# ------------------------------------------------------------------ one start of the bot


@dataclass
class Run:
    seconds: float
    rss_mib: float | None
    due: int
    exit_code: int | None


def peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def start_once(db: Path, log: Path, deadline: Deadline, limit: float) -> Run:
    due_now = count(
        db,
        "select count(*) from schedules where next_remind_at <= ?",
        (stamp(datetime.now(UTC)),),
    )
    tg = TimedFake().start()
    try:
        if due_now:  # a reused database past 20:00 local: any reminder sent lands
            for i in ids(count(db, "select count(*) from schedules")):
                tg.add_user(i, f"L{i}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TUTOR_"))}
        env |= {
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_URL": tg.api_url,
            "TUTOR_DB": str(db),
            "TUTOR_CONTENT": str(CONTENT),
            "TUTOR_POLL_TIMEOUT": "1",
            "LOG_LEVEL": "INFO",
        }
        with log.open("a") as out:
            out.write(f"\n--- {db} ---\n")
            out.flush()
            started = time.time()
            process = subprocess.Popen(
                [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=out, stderr=out
            )
            try:
                wait_until = time.monotonic() + min(limit, max(deadline.left(), 1))
                while tg.first_poll_at is None:
                    if process.poll() is not None:
                        raise RuntimeError(f"the bot exited with {process.returncode}; see {log}")
                    if time.monotonic() > wait_until:
                        raise TimeoutError(f"no getUpdates within {limit:.0f}s; see {log}")
                    time.sleep(0.002)
                seconds = tg.first_poll_at - started
                time.sleep(0.2)  # a moment past the first poll, then read the peak RSS
                rss = peak_rss_mib(process.pid)
            finally:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
        return Run(seconds, rss, due_now, process.returncode)
    finally:
        tg.stop()


# ------------------------------------------------------------------ the one-time upgrade


def time_migration(folder: Path, n: int) -> tuple[float, float, int]:
    path = folder / "at-0003.db"
    build_at_0003(path, n)
    mb = size_mb(path)
    started = time.monotonic()
    store = Store.open(path)
    seconds = time.monotonic() - started
    try:
        assert BEFORE_0004 in store.schema_version()
        stamped = count(path, "select count(*) from schedules where next_remind_at is not null")
    finally:
        store.close()
    return seconds, mb, stamped


# ------------------------------------------------------------------ main


def summary(label: int, db: Path, runs: list[Run]) -> tuple[str, float]:
    seconds = [r.seconds for r in runs]
    rss = [r.rss_mib for r in runs if r.rss_mib is not None]
    med = statistics.median(seconds)
    row = (
        f"{label:>9,} {size_mb(db):>8.1f} {max(r.due for r in runs):>7,} {med:>10.3f}"
        f" {max(seconds):>8.3f} {max(rss) if rss else float('nan'):>13.1f}"
        f"  {','.join(str(r.exit_code) for r in runs)}"
    )
    return row, med


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", type=Path, help="keep the N-learner database here and reuse it")
    parser.add_argument("--budget", type=float, default=300, help="seconds for everything")
    parser.add_argument("--start-limit", type=float, default=60, help="seconds per start")
    parser.add_argument("--no-migration", action="store_true", help="skip the 0004 upgrade")
    args = parser.parse_args()
    deadline = Deadline(args.budget)
    n = args.learners

    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        folder = Path(tmp)
        log = folder / "bot.log"
        full = args.db.resolve() if args.db else folder / "full" / "tutor.db"
        if full.exists():
            n = count(full, "select count(*) from schedules")
            print(f"reusing {full}: {n:,} schedules")
        else:
            print(f"building {n:,} scheduled learners in {full} ...", flush=True)
            print(f"  built in {build(full, n):.1f}s", flush=True)
        empty = folder / "empty" / "tutor.db"
        build(empty, 0)

        runs: dict[Path, list[Run]] = {empty: [], full: []}
        try:
            for i in range(args.runs):
                for db in (empty, full):  # alternate, so drift hits both alike
                    deadline.check(f"run {i + 1}")
                    run = start_once(db, log, deadline, args.start_limit)
                    runs[db].append(run)
                    label = "empty" if db == empty else f"{n:,}"
                    print(f"  run {i + 1} {label:>9}: {run.seconds:.3f}s", flush=True)

            upgrade = None
            if not args.no_migration:
                deadline.check("the migration")
                print("timing migration 0004 on a 0003 database ...", flush=True)
                upgrade = time_migration(folder, n)
        except (TimeoutError, RuntimeError) as exc:
            print(f"stopped: {exc}", file=sys.stderr)
            if log.exists():
                print(log.read_text()[-3000:], file=sys.stderr)
            return 1

        print()
        print("Seconds from process start to the first getUpdates received by the fake server")
        head = f"{'learners':>9} {'DB MB':>8} {'due':>7} {'median s':>10} {'max s':>8}"
        print(f"{head} {'peak RSS MiB':>13}  exit")
        floor_row, floor = summary(0, empty, runs[empty])
        full_row, med = summary(n, full, runs[full])
        print(floor_row)
        print(full_row)
        print(f"ratio {n:,} / empty (medians): {med / floor:.2f}x")
        verdict = "meets" if max(r.seconds for r in runs[full]) < 2 else "MISSES"
        print(f"requirement, first getUpdates under 2 s with {n:,} learners: {verdict}")
        if upgrade is not None:
            seconds, mb, stamped = upgrade
            print(
                f"migration 0004 on {n:,} schedules ({mb:.1f} MB at 0003): Store.open took "
                f"{seconds:.2f}s, {stamped:,} next_remind_at set"
            )
        print(f"(bench used {args.budget - deadline.left():.0f}s of its {args.budget:.0f}s budget)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

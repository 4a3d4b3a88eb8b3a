"""How long `python -m bot` takes to reach its first getUpdates with N scheduled learners in the
database, against the fake Bot API server on 127.0.0.1; and, once, how long migration 0004
(`next_remind_at`) takes to upgrade a database of N schedules made at migration 0003. With
--lesson-files, how long it takes with that many lesson files instead of the shipped ones, and
how long `python -m bot validate` takes on each.

Run by hand from the project root, never as a timed test:

    python3 bench/startup.py --learners 100000
    python3 bench/startup.py --lesson-files 100

Each run starts the bot as a subprocess and measures from just before `Popen` to the moment the
fake server *receives* the first getUpdates (not when it answers: a long poll is answered only
after its timeout); peak RSS is the bot's VmHWM from /proc just before SIGTERM. Runs with N
learners alternate with runs on an empty database, the floor (interpreter, imports, content
checks, the Bot API handshake). The database is built in a temporary folder, or kept at --db
and reused when it already exists. Everything is bounded by --budget seconds.

The lesson files are valid courses of the shipped size, made in a temporary folder by copying
the shipped courses under new ids (a neural-networks copy is 5 files, a compound-interest copy
3): all of them are checked at start-up, as the shipped ones are. Starts with them alternate
with starts on the shipped lessons, both on an empty database; so do the `validate` runs, timed
from just before `Popen` to the exit, with the peak RSS from `wait4`. Once, in this process,
the lessons are loaded again with every file's parse counted, to show each is parsed once and
by libyaml.

Each mode replaces its own part of the "## Start-up" section of bench/RESULTS.md (unless
--no-write) and leaves the rest of the file as it is.
"""

from __future__ import annotations

import argparse
import itertools
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


def memory_mib(pid: int, field: str = "VmHWM") -> float | None:
    """A process's memory from /proc, in MiB: its peak RSS (VmHWM) or its RSS now (VmRSS)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mib(pid: int) -> float | None:
    return memory_mib(pid, "VmHWM")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM as an operator's stop would send, then SIGKILL if it is not gone in 20 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def start_once(
    db: Path, log: Path, deadline: Deadline, limit: float, content: Path = CONTENT
) -> Run:
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
            "TUTOR_CONTENT": str(content),
            "TUTOR_POLL_TIMEOUT": "1",
            "LOG_LEVEL": "INFO",
        }
        with log.open("a") as out:
            out.write(f"\n--- {db} with {content} ---\n")
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
                stop(process)
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


# ------------------------------------------------------------------ lesson files


def lesson_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*.yaml"))


def copies_for(files: int, sizes: list[int]) -> list[int]:
    """How many copies of each of the two shipped courses make exactly `files` files, as evenly
    as can be (courses of 3 and 5 files: 100 files are 10 and 14 copies)."""
    assert len(sizes) == 2, "the shipped lessons are two courses"
    one, other = sizes
    ways = [(a, (files - a * one) // other) for a in range(files // one + 1)]
    ways = [(a, b) for a, b in ways if a * one + b * other == files]
    if not ways:
        raise SystemExit(f"--lesson-files {files}: no mix of {one}- and {other}-file courses")
    return list(min(ways, key=lambda way: abs(way[0] - way[1])))


def make_lessons(folder: Path, files: int) -> Path:
    """`files` lesson files in `folder`: copies of the shipped courses, each under its own id
    (the folder's name) and order, otherwise as shipped, so they are valid and of real size."""
    shipped = sorted(p for p in CONTENT.iterdir() if (p / "course.yaml").exists())
    sizes = [len(list(course.glob("*.yaml"))) for course in shipped]
    copies = [[course] * n for course, n in zip(shipped, copies_for(files, sizes), strict=True)]
    plan = [c for pair in itertools.zip_longest(*copies) for c in pair if c is not None]
    for order, source in enumerate(plan, start=1):
        course_id = f"{source.name}-{order}"
        target = folder / course_id
        target.mkdir(parents=True)
        for path in source.glob("*.yaml"):
            text = path.read_text(encoding="utf-8")
            if path.name == "course.yaml":
                text = text.replace(f"id: {source.name}\n", f"id: {course_id}\n", 1)
                text = re_order(text, order)
            (target / path.name).write_text(text, encoding="utf-8")
    made = len(lesson_files(folder))
    assert made == files, (made, files)
    return folder


def re_order(text: str, order: int) -> str:
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("order:"):
            lines[i] = f"order: {order}\n"
    return "".join(lines)


def validate_once(content: Path, log: Path) -> Run:
    """`python -m bot validate DIR`, from just before `Popen` to its exit. The peak RSS is its
    VmHWM read every 2 ms while it runs (`wait4`'s ru_maxrss would report this process's own
    size instead: a child starts with its parent's high-water mark)."""
    with log.open("a+") as out:
        out.write(f"\n--- validate {content} ---\n")
        out.flush()
        mark = out.tell()
        started = time.time()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "validate", str(content)],
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )
        rss = None
        while True:
            pid, status = os.waitpid(process.pid, os.WNOHANG)
            if pid:
                break
            rss = peak_rss_mib(process.pid) or rss
            time.sleep(0.002)
        seconds = time.time() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(mark)
        output = out.read()
    if process.returncode != 0 or "all valid" not in output:
        raise RuntimeError(f"validate {content} exited {process.returncode}: {output[-2000:]}")
    return Run(seconds, rss, 0, process.returncode)


def parse_count(content: Path) -> tuple[int, int, bool, float]:
    """Load `content` once more in this process with each file's parse counted: (files,
    parses, whether libyaml parses, seconds to load and check)."""
    import yaml

    from bot.content import yaml_file

    calls = 0
    real_parse = yaml.parse

    def counted(stream: Any, Loader: Any = yaml.Loader) -> Any:
        nonlocal calls
        calls += 1
        return real_parse(stream, Loader=Loader)

    yaml_file._parse_version.cache_clear()
    yaml.parse = counted
    try:
        started = time.perf_counter()
        load_checked(content)
        seconds = time.perf_counter() - started
    finally:
        yaml.parse = real_parse
    with_libyaml = yaml_file._PARSER is getattr(yaml, "CSafeLoader", None)
    return len(lesson_files(content)), calls, with_libyaml, seconds


def lessons_mode(args: argparse.Namespace, folder: Path, log: Path, deadline: Deadline) -> int:
    files = args.lesson_files
    generated = make_lessons(folder / "lessons", files)
    empty = folder / "empty" / "tutor.db"
    build(empty, 0)
    sets = {CONTENT: "shipped", generated: f"{files} files"}
    starts: dict[Path, list[Run]] = {content: [] for content in sets}
    checks: dict[Path, list[Run]] = {content: [] for content in sets}
    try:
        for i in range(args.runs):
            for content, label in sets.items():  # alternate, so drift hits both alike
                deadline.check(f"start {i + 1}")
                run = start_once(empty, log, deadline, args.start_limit, content)
                starts[content].append(run)
                print(f"  start {i + 1} {label:>9}: {run.seconds:.3f}s", flush=True)
        for i in range(args.runs):
            for content, label in sets.items():
                deadline.check(f"validate {i + 1}")
                run = validate_once(content, log)
                checks[content].append(run)
                print(f"  validate {i + 1} {label:>9}: {run.seconds:.3f}s", flush=True)
    except (TimeoutError, RuntimeError) as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        if log.exists():
            print(log.read_text()[-3000:], file=sys.stderr)
        return 1
    counted, parses, with_libyaml, load_s = parse_count(generated)

    lines = [
        "Seconds from process start to the first getUpdates (empty database), and for "
        "`python -m bot validate DIR`",
        "",
        "| run | lessons | files | KB | median s | max s | peak RSS MiB | exit |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    medians: dict[tuple[str, Path], float] = {}
    for what, table in (("start-up", starts), ("validate", checks)):
        for content, runs in table.items():
            seconds = [r.seconds for r in runs]
            rss = max(r.rss_mib or 0.0 for r in runs)
            medians[what, content] = statistics.median(seconds)
            kb = sum(p.stat().st_size for p in lesson_files(content)) / 1000
            lines.append(
                f"| {what} | {sets[content]} | {len(lesson_files(content))} | {kb:.0f} "
                f"| {medians[what, content]:.3f} | {max(seconds):.3f} | {rss:.1f} "
                f"| {','.join(str(r.exit_code) for r in runs)} |"
            )
    worst = max(r.seconds for r in starts[generated])
    verdict = "meets" if worst < 1 else "MISSES"
    lines += [
        "",
        f"- ratio {files} files / shipped (medians): start-up "
        f"{medians['start-up', generated] / medians['start-up', CONTENT]:.2f}x, validate "
        f"{medians['validate', generated] / medians['validate', CONTENT]:.2f}x",
        f"- target, first getUpdates under 1 s with {files} lesson files: {verdict} "
        f"(slowest of {args.runs}: {worst:.3f}s)",
        f"- in one process, loading and checking the {counted} files took {load_s:.3f}s with "
        f"{parses} YAML parses ({'libyaml' if with_libyaml else 'pure-Python'} parser): "
        f"{'each file parsed once' if parses == counted else 'NOT one parse per file'}",
    ]
    print()
    print("\n".join(lines))
    if not args.no_write:
        command = f"python3 bench/startup.py --lesson-files {files} --runs {args.runs}"
        write_results("Start-up", "Lesson files", with_header(command, lines))
    print(f"(bench used {args.budget - deadline.left():.0f}s of its {args.budget:.0f}s budget)")
    return 0


# ------------------------------------------------------------------ bench/RESULTS.md

RESULTS = ROOT / "bench" / "RESULTS.md"


def with_header(command: str, lines: list[str]) -> list[str]:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    cores = os.cpu_count()
    return [f"`{command}` ({when}, {cores} cores, Python {sys.version.split()[0]})", "", *lines]


def write_results(section: str, part: str | None, lines: list[str]) -> None:
    """Replace `## section` (or only its `### part`) in bench/RESULTS.md with `lines`, and
    nothing else: other benches write other sections of the same file. Read, changed and
    written back at once, through a temporary file renamed over it."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    doc = text.splitlines()
    body = [*([f"### {part}", ""] if part else []), *lines, ""]

    def end_of(start: int, prefixes: tuple[str, ...]) -> int:
        return next(
            (i for i in range(start + 1, len(doc)) if doc[i].startswith(prefixes)), len(doc)
        )

    head = f"## {section}"
    if head not in doc:
        doc += ["", head, "", *body]
    else:
        start = doc.index(head)
        end = end_of(start, ("## ", "# "))
        if part is None:
            doc[start + 1 : end] = ["", *body]
        else:
            sub = f"### {part}"
            inside = doc[start:end]
            if sub in inside:
                at = start + inside.index(sub)
                doc[at : end_of(at, ("### ", "## ", "# "))] = body
            else:
                doc[end:end] = body if not doc[end - 1].strip() else ["", *body]
    new = "\n".join(doc).rstrip("\n") + "\n"
    temporary = RESULTS.with_name(f".{RESULTS.name}.{os.getpid()}")
    temporary.write_text(new, encoding="utf-8")
    os.replace(temporary, RESULTS)
    print(f"wrote the '{head}{' / ' + part if part else ''}' part of {RESULTS}")


# ------------------------------------------------------------------ main


def summary(label: int, db: Path, runs: list[Run]) -> tuple[str, float]:
    seconds = [r.seconds for r in runs]
    rss = [r.rss_mib for r in runs if r.rss_mib is not None]
    med = statistics.median(seconds)
    row = (
        f"| {label:,} | {size_mb(db):.1f} | {max(r.due for r in runs):,} | {med:.3f}"
        f" | {max(seconds):.3f} | {max(rss) if rss else float('nan'):.1f}"
        f" | {','.join(str(r.exit_code) for r in runs)} |"
    )
    return row, med


def learners_mode(args: argparse.Namespace, folder: Path, log: Path, deadline: Deadline) -> int:
    n = args.learners
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

    floor_row, floor = summary(0, empty, runs[empty])
    full_row, med = summary(n, full, runs[full])
    worst = max(r.seconds for r in runs[full])
    verdict = "meets" if worst <= 2 else "MISSES"
    rss_empty = max(r.rss_mib or 0.0 for r in runs[empty])
    rss_full = max(r.rss_mib or 0.0 for r in runs[full])
    flat = "flat" if rss_full <= 1.1 * rss_empty else "NOT flat"
    lines = [
        "Seconds from process start to the first getUpdates received by the fake server "
        "(shipped lessons)",
        "",
        "| learners | DB MB | due | median s | max s | peak RSS MiB | exit |",
        "|---:|---:|---:|---:|---:|---:|---|",
        floor_row,
        full_row,
        "",
        f"- ratio {n:,} / empty (medians): {med / floor:.2f}x",
        f"- target, first getUpdates within 2 s with {n:,} learners: {verdict} "
        f"(slowest of {args.runs}: {worst:.3f}s)",
        f"- memory: peak RSS {rss_full:.1f} MiB with {n:,} learners, {rss_empty:.1f} MiB with "
        f"none ({rss_full / rss_empty:.2f}x): {flat}",
    ]
    if upgrade is not None:
        seconds, mb, stamped = upgrade
        lines.append(
            f"- once, migration 0004 on {n:,} schedules ({mb:.1f} MB at 0003): Store.open took "
            f"{seconds:.2f}s, {stamped:,} next_remind_at set"
        )
    print()
    print("\n".join(lines))
    if not args.no_write:
        command = f"python3 bench/startup.py --learners {n} --runs {args.runs}"
        write_results("Start-up", "Scheduled learners", with_header(command, lines))
    print(f"(bench used {args.budget - deadline.left():.0f}s of its {args.budget:.0f}s budget)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument(
        "--lesson-files", type=int, help="time start-up and validate with this many lesson files"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", type=Path, help="keep the N-learner database here and reuse it")
    parser.add_argument("--budget", type=float, default=300, help="seconds for everything")
    parser.add_argument("--start-limit", type=float, default=60, help="seconds per start")
    parser.add_argument("--no-migration", action="store_true", help="skip the 0004 upgrade")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args()
    deadline = Deadline(args.budget)
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        folder = Path(tmp)
        log = folder / "bot.log"
        if args.lesson_files:
            return lessons_mode(args, folder, log, deadline)
        return learners_mode(args, folder, log, deadline)


if __name__ == "__main__":
    sys.exit(main())

"""A burst of reminders: N learners due at the same minute, sent by the real bot (`python -m bot`,
its own sweep every 60 s and PTB's rate limiter) to the fake Bot API server on 127.0.0.1.

Run by hand from the project root, never as a timed test:

    python3 bench/reminders.py --learners 3000

The database holds N learners (a few answers each, as in bench/startup.py) whose schedules were
saved through the service ten minutes ago with the same reminder time, a minute or two ago: all
are due when the bot starts. The fake server answers each sendMessage after --latency seconds
(a round trip to Telegram) and notes when each one arrives. Measured there: the most sendMessage
calls arriving in any 1-second window (Telegram allows about 30 a second to different chats),
the time from the bot's start and from the first reminder to the last one, the reminders per
sweep (from the bot's log), and that each learner got exactly one; and the bot's RSS (VmRSS
sampled twice a second, VmHWM at the end). The run stops when every learner has a reminder or
after --time-limit seconds, whichever comes first.

The figures replace the "## Reminders at scale" section of bench/RESULTS.md (unless
--no-write); the rest of the file is left as it is.
"""

from __future__ import annotations

import argparse
import bisect
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup import (
    CONTENT,
    ROOT,
    ids,
    memory_mib,
    peak_rss_mib,
    people_rows,
    stop,
    with_header,
    write_results,
)

from bot.content.checks import load_checked
from bot.core.model import Learner, Schedule
from bot.store import Store
from bot.store.migrations import stamp
from bot.tutor import Tutor
from tests.fake_telegram import FakeTelegram

ZONE, OFFSET = "UTC+05:30", timedelta(hours=5, minutes=30)
TELEGRAM_PER_SECOND = 30
"""Telegram's limit for a bot's messages to different chats: about 30 a second."""


class ArrivalFake(FakeTelegram):
    """The fake server, noting when each sendMessage arrives, before its latency: the moment
    Telegram would count it (the fake records a call when it answers)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[float] = []

    async def _perform(self, method: str, params: dict[str, Any]) -> Any:
        if method == "sendMessage":
            self.arrivals.append(time.time())
        return await super()._perform(method, params)


def build(path: Path, n: int) -> datetime:
    """N learners due at the same minute (their reminder time, a minute or two ago), saved
    through the service ten minutes earlier; returns that minute (UTC)."""
    now = datetime.now(UTC)
    due = (now - timedelta(minutes=1)).replace(second=0, microsecond=0)
    schedule = Schedule(zone=ZONE, goal="1-a-day", remind_at=(due + OFFSET).strftime("%H:%M"))
    saved = now - timedelta(minutes=10)
    store = Store.open(path)
    try:
        pace = Tutor(load_checked(CONTENT), store, lambda: saved).pace
        with store.transaction():
            people_rows(store.db.conn, n, stamp(saved))
            for i in ids(n):
                pace.save(Learner(i, i), schedule, saved)
        store.db.execute("analyze")
        assert len(store.schedules.due(now, n + 1)) == n, "every learner due now"
    finally:
        store.close()
    return due


def busiest(times: list[float], window: float) -> tuple[int, float]:
    """The most calls in any `window` seconds (half-open), and when that window starts."""
    best, at = 0, times[0] if times else 0.0
    for i, start in enumerate(times):
        inside = bisect.bisect_left(times, start + window, lo=i) - i
        if inside > best:
            best, at = inside, start
    return best, at


def run(args: argparse.Namespace, folder: Path) -> list[str]:
    n = args.learners
    db = folder / "tutor.db"
    log = folder / "bot.log"
    print(f"building {n:,} learners due at the same minute in {db} ...", flush=True)
    built = time.monotonic()
    due_at = build(db, n)
    print(f"  built in {time.monotonic() - built:.1f}s", flush=True)

    tg = ArrivalFake().start()
    try:
        for i in ids(n):
            tg.add_user(i, f"L{i}")
        if args.latency:
            tg.delay("sendMessage", args.latency)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TUTOR_"))}
        env |= {
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_URL": tg.api_url,
            "TUTOR_DB": str(db),
            "TUTOR_CONTENT": str(CONTENT),
            "TUTOR_POLL_TIMEOUT": "10",
            "LOG_LEVEL": "INFO",
        }
        samples: list[tuple[float, float]] = []  # (seconds since start, VmRSS MiB)
        with log.open("w") as out:
            started = time.time()
            process = subprocess.Popen(
                [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=out, stderr=out
            )
            try:
                stop_at = time.monotonic() + args.time_limit
                shown = 0
                while time.monotonic() < stop_at:
                    if process.poll() is not None:
                        raise RuntimeError(f"the bot exited with {process.returncode}; see {log}")
                    rss = memory_mib(process.pid, "VmRSS")
                    if rss is not None:
                        samples.append((time.time() - started, rss))
                    sent = len(tg.calls_to("sendMessage"))
                    if sent // 500 > shown // 500:
                        print(f"  {time.time() - started:6.1f}s: {sent:,} sent", flush=True)
                    shown = sent
                    if sent >= n:
                        break
                    time.sleep(0.5)
                time.sleep(1.0)  # anything still on its way, and a sample after the last one
                peak = peak_rss_mib(process.pid)
            finally:
                stop(process)
        calls = tg.calls_to("sendMessage")
        arrived = sorted(tg.arrivals)
        refused = len(tg.refusals)
    finally:
        tg.stop()

    ok = sorted(call.time for call in calls if call.status == 200)
    per_chat = Counter(call.params.get("chat_id") for call in calls if call.status == 200)
    batches = [int(m[1]) for m in re.finditer(r"sending (\d+) reminder\(s\)", log.read_text())]
    if not ok:
        raise RuntimeError(f"no reminder was sent; see {log}")
    second, second_at = busiest(arrived, 1.0)
    minute, _ = busiest(arrived, 60.0)
    first, last = arrived[0] - started, arrived[-1] - started
    spread = arrived[-1] - arrived[0]
    idle = [rss for at, rss in samples if at < first] or [samples[0][1]]
    burst = [rss for at, rss in samples if first <= at <= last + 1] or [idle[-1]]
    verdict = "meets" if second <= TELEGRAM_PER_SECOND else "MISSES"
    return [
        f"{n:,} learners due at {due_at:%H:%M} UTC, the bot started at "
        f"{datetime.fromtimestamp(started, UTC):%H:%M:%S}; the fake answers each sendMessage after "
        f"{args.latency * 1000:.0f} ms",
        "",
        "| learners | reminders sent | learners reminded | twice | refused "
        "| most in any 1 s | most in any 60 s | first at s | last at s | first to last s "
        "| mean per s | per sweep |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {n:,} | {len(ok):,} | {len(per_chat):,} "
        f"| {sum(1 for c in per_chat.values() if c > 1)} | {refused} | {second} | {minute:,} "
        f"| {first:.1f} | {last:.1f} | {spread:.1f} | {len(ok) / max(spread, 1e-9):.1f} "
        f"| {', '.join(f'{b:,}' for b in batches)} |",
        "",
        f"- target, at most {TELEGRAM_PER_SECOND} messages in any 1-second window: {verdict} "
        f"({second}, in the second from {second_at - started:.2f}s after the start; "
        f"{second / TELEGRAM_PER_SECOND:.2f}x the limit)",
        f"- all {n:,} reminded, {first:.1f}s to {last:.1f}s after the process started "
        f"({spread:.1f}s from the first to the last)"
        if len(per_chat) == n
        else f"- only {len(per_chat):,} of {n:,} reminded within the {args.time_limit:.0f}s limit",
        f"- memory: VmRSS {idle[-1]:.1f} MiB before the first reminder, at most "
        f"{max(burst):.1f} MiB while sending, peak (VmHWM) {peak or float('nan'):.1f} MiB",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=3000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per call at the fake")
    parser.add_argument("--time-limit", type=float, default=400, help="seconds of sending at most")
    parser.add_argument("--keep", type=Path, help="keep the database and bot.log in this folder")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reminders-bench-") as tmp:
        folder = args.keep.resolve() if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            lines = run(args, folder)
        except RuntimeError as exc:
            print(f"stopped: {exc}", file=sys.stderr)
            log = folder / "bot.log"
            if log.exists():
                print(log.read_text()[-3000:], file=sys.stderr)
            return 1
    print()
    print("\n".join(lines))
    if not args.no_write:
        command = f"python3 bench/reminders.py --learners {args.learners} --latency {args.latency}"
        write_results("Reminders at scale", None, with_header(command, lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

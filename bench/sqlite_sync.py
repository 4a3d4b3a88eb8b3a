"""What SQLite's synchronous=FULL costs a tap, against NORMAL, in the same run.

Run by hand from the project root, never as a timed test:

    python3 bench/sqlite_sync.py --taps 600

Each tap is what the Telegram shell commits for a tap: the service decides and saves, the
reply's calls go into the outbox and the update is marked handled (one transaction), then each
outbox row is deleted once "sent" (one commit each, as after each Telegram call). No network:
this isolates the database. FULL and NORMAL alternate in rounds on their own files, so machine
noise hits both alike; the figure to quote is the ratio of medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bot.store as store_module
from bot.content.checks import load_checked
from bot.core.model import Learner
from bot.store import Store
from bot.tutor import Tutor

CONTENT = Path(__file__).resolve().parents[1] / "content"
SCRIPT = ["s:neural-networks:4", "a:1:neural-networks:4:0:b", "n:2",
          "a:3:neural-networks:4:1:a", "n:4", "a:5:neural-networks:4:2:a", "n:6"]  # fmt: skip


def one_round(path: Path, mode: str, learners: int, first_user: int) -> list[float]:
    store_module.SYNCHRONOUS = mode
    store = Store.open(path)
    tutor = Tutor(load_checked(CONTENT), store, lambda: datetime.now(UTC))
    seconds = []
    update_id = first_user * 100
    try:
        for n in range(learners):
            learner = Learner(first_user + n, first_user + n)
            for data in SCRIPT:
                update_id += 1
                started = time.perf_counter()
                with store.transaction():
                    store.inbox.receive(update_id, learner.chat_id, "{}", datetime.now(UTC))
                with store.transaction():
                    reply = tutor.tap(learner, data)
                    now = datetime.now(UTC)
                    for message in reply.messages:
                        store.outbox.add(learner.chat_id, "send", {"text": message.text}, None, now)
                    store.inbox.handled(update_id, now)
                for letter in store.outbox.waiting(learner.chat_id):
                    store.outbox.done(letter.id)
                seconds.append(time.perf_counter() - started)
    finally:
        store.close()
    return seconds


def main(taps: int) -> None:
    learners_per_round = 10
    rounds = max(taps // (learners_per_round * len(SCRIPT)), 1)
    figures: dict[str, list[float]] = {"FULL": [], "NORMAL": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for mode in ("FULL", "NORMAL") if r % 2 == 0 else ("NORMAL", "FULL"):
                path = Path(tmp) / f"{mode}.db"
                first = 1_000 + r * learners_per_round
                figures[mode] += one_round(path, mode, learners_per_round, first)
    print(f"{len(figures['FULL'])} taps each, {rounds} alternating rounds, WAL mode")
    for mode, seconds in figures.items():
        ms = sorted(s * 1000 for s in seconds)
        p95 = ms[int(0.95 * (len(ms) - 1))]
        print(f"  synchronous={mode:<6} median {statistics.median(ms):.3f} ms, p95 {p95:.3f} ms")
    ratio = statistics.median(figures["FULL"]) / statistics.median(figures["NORMAL"])
    print(f"  FULL / NORMAL (medians): {ratio:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=700)
    main(parser.parse_args().taps)

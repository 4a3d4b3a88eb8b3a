"""How long a tap takes to be answered: the real bot (composition root, SQLite file, PTB)
against the fake Bot API server on 127.0.0.1, with learners playing step 4 side by side.

Run by hand from the project root, never as a timed test:

    python3 bench/tap_latency.py --learners 20

"Answered" is measured from the tap being queued at the fake server to the bot's
answerCallbackQuery arriving there (long-poll pickup, decision, SQLite write, the answer);
"next shown" to the arrival of the message with the learner's next buttons (an answer's feedback
is edited into its question, then the next question, or the step's end, comes in one message).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fake_telegram import FakeTelegram, Message
from tests.harness import running_bot

OPTION_LETTERS = "ABCD"


class Player:
    def __init__(self, tg: FakeTelegram, user_id: int):
        self.tg, self.user_id = tg, user_id
        tg.add_user(user_id, f"L{user_id}")
        self.answered: list[float] = []
        self.shown: list[float] = []

    def newest_with(self, label: str, after: int) -> Message | None:
        for message in reversed(self.tg.chat_messages(self.user_id, include_deleted=False)):
            if message.message_id > after and any(
                label in text for row in message.buttons for text, _ in row
            ):
                return message
        return None

    async def until(self, label: str, after: int) -> Message:
        return await self.tg.wait_for_async(lambda _: self.newest_with(label, after), 30)

    async def tap(self, message: Message, label: str, expect: str) -> Message:
        started = time.monotonic()
        query = self.tg.tap_button(self.user_id, message.message_id, label)
        await self.tg.wait_for_async(lambda tg: query not in tg.unanswered_queries(), 30)
        self.answered.append(time.monotonic() - started)
        shown = await self.until(expect, message.message_id)
        self.shown.append(time.monotonic() - started)
        return shown

    async def play(self, choices: str) -> None:
        self.tg.send_text(self.user_id, "/start neural-networks")
        menu = await self.until("Step 4", 0)
        question = await self.tap(menu, "Step 4", "A")
        for number, choice in enumerate(choices, start=1):
            expect = "A" if number < len(choices) else "All courses"
            question = await self.tap(question, choice, expect)


def report(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    return f"{name}: median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, worst {ms[-1]:.1f} ms"


async def main(learners: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram() as tg:
        async with running_bot(tg, Path(tmp) / "tutor.db") as bot:
            players = [Player(tg, 10_000 + i) for i in range(learners)]
            started = time.monotonic()
            await asyncio.gather(*(p.play("BAA") for p in players))  # right first time
            elapsed = time.monotonic() - started
            assert bot.errors == [] and tg.refusals == [], tg.dump()
    answered = [s for p in players for s in p.answered]
    print(f"{learners} learners, {len(answered)} taps in {elapsed:.1f}s")
    print(report("tap answered", answered))
    print(report("next shown  ", [s for p in players for s in p.shown]))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20)
    asyncio.run(main(parser.parse_args().learners))

"""How many of a chat's message slots a learner spends per question: the real bot against the
fake Bot API server, step 4 played right first time and with every answer wrong.

Run by hand from the project root:

    python3 bench/calls.py

Telegram paces a private chat at about one message a second, so every sendMessage and edit
(editMessageText, editMessageReplyMarkup) is a slot the learner waits for; answerCallbackQuery
is free. For each path it prints the slots per answer tap (the worst one) and per question
answered (every tap from the question's first answer to the next question, checks included).
The script taps whatever the bot offers, so it runs on older versions of the bot too (where a
"Next question ➜" tap sat between questions).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.content.checks import load_checked
from tests.conftest import CONTENT
from tests.fake_telegram import FakeTelegram, Message
from tests.harness import running_bot

SLOTS = {"sendmessage", "editmessagetext", "editmessagereplymarkup"}
COURSE, STEP = "neural-networks", 4
LIBRARY = load_checked(CONTENT)


def verdict_of(message: Message, data: str) -> str | None:
    """The verdict behind an answer button (`a:seq:course:step:question:option`)."""
    kind, _seq, course, step, question, option = (data.split(":") + [""] * 6)[:6]
    if kind != "a":
        return None
    asked = LIBRARY.course(course).step(int(step)).questions[int(question)]
    if "Quick check" in message.text and asked.check is not None:
        options = asked.check.options
    else:
        options = asked.options
    return next(o.verdict.value for o in options if o.id == option)


class Learner:
    def __init__(self, tg: FakeTelegram, user_id: int, miss: bool):
        self.tg, self.user_id, self.miss = tg, user_id, miss
        tg.add_user(user_id, f"L{user_id}")
        self.per_tap: list[int] = []
        self.per_question: list[int] = []

    def slots(self) -> int:
        return sum(
            1
            for c in self.tg.calls
            if c.method.lower() in SLOTS
            and c.params.get("chat_id") in (self.user_id, str(self.user_id))
        )

    async def settle(self) -> None:
        """Until the bot has made every call this chat is owed (no new one for a while)."""
        last, since = -1, time.monotonic()
        while time.monotonic() - since < 0.3:
            now = len(self.tg.calls)
            if now != last:
                last, since = now, time.monotonic()
            await asyncio.sleep(0.02)

    def pick(self) -> tuple[Message, str] | None:
        """The button to tap next on the newest message with buttons: an answer with the
        wanted verdict, else the way forward ("➜" or "Skip"), None at the step's end."""
        for message in reversed(self.tg.chat_messages(self.user_id, include_deleted=False)):
            if not message.buttons:
                continue
            buttons = [(label, data) for row in message.buttons for label, data in row]
            answers = [(d, verdict_of(message, d)) for _, d in buttons]
            if any(v for _, v in answers):
                want = [d for d, v in answers if v and (v == "Not quite") == self.miss]
                return message, want[0]
            forward = [
                d
                for label, d in buttons
                if ("➜" in label and "step" not in label.lower()) or "Try the check" in label
            ]
            return (message, forward[0]) if forward else None
        return None

    async def play(self) -> None:
        self.tg.send_text(self.user_id, f"/start {COURSE}")
        await self.settle()
        menu = self.tg.last_message(self.user_id)
        self.tg.tap_button(self.user_id, menu.message_id, f"Step {STEP}")
        await self.settle()
        question, spent = 0, 0
        while (picked := self.pick()) is not None:
            message, data = picked
            before = self.slots()
            self.tg.tap(self.user_id, message.message_id, data)
            await self.settle()
            cost = self.slots() - before
            spent += cost
            if data.startswith("a:"):
                self.per_tap.append(cost)
            newest = self.tg.last_message(self.user_id)
            moved = f"Question {question + 2} of" in newest.text or "takeaway" in newest.text
            if moved:
                self.per_question.append(spent)
                question, spent = question + 1, 0
        if spent:  # the last question, where the step's ending came after a tap of its own
            self.per_question.append(spent)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram() as tg:
        async with running_bot(tg, Path(tmp) / "tutor.db") as bot:
            right, miss = Learner(tg, 501, miss=False), Learner(tg, 502, miss=True)
            for learner in (right, miss):
                await learner.play()
            assert bot.errors == [] and tg.refusals == [], tg.dump()
    for name, learner in (("right first time", right), ("miss everything", miss)):
        print(
            f"{name:17} answers {len(learner.per_tap):2}  slots per answer: worst "
            f"{max(learner.per_tap)}  per question answered: {learner.per_question}"
        )


if __name__ == "__main__":
    asyncio.run(main())

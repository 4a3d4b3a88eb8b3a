"""Update order and fairness, with the update processor alone: no network, no bot."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update, User

from bot.telegram.ordering import PerChatOrder


def update(update_id: int, chat_id: int) -> Update:
    user = User(chat_id, "L", is_bot=False)
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, datetime.now(UTC), chat, from_user=user, text="hi")
    return Update(update_id, message=message)


async def test_one_chats_updates_run_in_order_one_at_a_time() -> None:
    order, seen, running = PerChatOrder(), [], []

    async def work(n: int) -> None:
        running.append(n)
        assert len(running) == 1, "two updates of one chat ran at once"
        await asyncio.sleep(0.01 * (5 - n))  # the first is the slowest
        seen.append(n)
        running.remove(n)

    await asyncio.gather(*(order.process_update(update(n, 7), work(n)) for n in range(5)))
    assert seen == [0, 1, 2, 3, 4]


async def test_a_chat_that_taps_fast_does_not_hold_the_slots_others_need() -> None:
    order, done = PerChatOrder(2), []

    async def work(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        done.append(name)

    flood = [
        asyncio.create_task(order.process_update(update(n, 1), work(f"busy{n}", 0.05)))
        for n in range(20)
    ]
    await asyncio.sleep(0.01)  # the busy chat's twenty updates are all waiting now
    other = asyncio.create_task(order.process_update(update(99, 2), work("other", 0)))
    await asyncio.wait_for(other, timeout=0.5)  # 20 x 0.05 s if it had to wait behind them
    assert done.index("other") <= 1
    await asyncio.gather(*flood)
    assert order.in_flight == 0

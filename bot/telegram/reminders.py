"""Reminders, sent by one job (PTB's JobQueue) that sweeps every minute for who is due; the
same sweep sends what the outbox still owes (after a restart, or a call that failed for now).

Nothing lives in memory: each schedule in SQLite carries the moment its next reminder is due,
indexed, so start-up restores nothing (100,000 learners start as fast as one), a reminder due
while the bot was down is found by the first sweep, and /stop, /pace or an unblock take effect
with no job to cancel or recreate. Each reminder is decided and saved in the learner's turn
(`PerChatOrder.turn`), then sent; the next moment is already stored, so a failed send never
ends a learner's reminders. A sweep starts its reminders at most REMINDERS_PER_SECOND a second,
under Telegram's limit of about 30 messages a second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram.ext import Application, CallbackContext

from bot.core.model import Learner
from bot.telegram.delivery import Outbox
from bot.telegram.inbox import JournaledQueue
from bot.telegram.ordering import PerChatOrder
from bot.tutor import Reply, Tutor

log = logging.getLogger(__name__)

AT_ONCE = {"misfire_grace_time": None}
"""A job's first run is fixed when it is added, before the start-up handshake with Telegram:
a repeating job whose start has passed waits a whole interval, and a one-off job more than a
second late is skipped, unless it may run however late it is."""

SWEEP_BATCH = 1000
"""Reminders taken per sweep; more wait for the next sweep."""
REMINDERS_PER_SECOND = 25
"""Reminders started a second, one every 40 ms. Telegram takes about 30 messages a second from
a bot (to different chats), and PTB's limiter alone let 96 through in the first second of a
sweep of 1,000 (bench/reminders.py): it is a leaky bucket that lets a full bucket through at
once, and the sweep's learners, all started together, kept the loop busy while more leaked.
Started one at a time, evenly, each is sent as soon as it is decided, and a loop that was busy
for a while never makes up for it with a burst; the 5 a second left over are for the learners
who are tapping meanwhile."""


def start(application: Application, every: float) -> None:
    """Sweep now (a reminder missed while the bot was down goes out at once), then every
    `every` seconds."""
    every_so_often(application, sweep, every, "reminders")


def every_so_often(
    application: Application, callback: Callable[[CallbackContext], Awaitable[None]],
    every: float, name: str,
) -> None:  # fmt: skip
    """Run `callback` as soon as the bot runs, then every `every` seconds."""
    assert application.job_queue is not None
    application.job_queue.run_once(callback, when=0, name=name, job_kwargs=AT_ONCE)
    application.job_queue.run_repeating(callback, interval=every, first=every, name=name)


async def sweep(context: CallbackContext) -> None:
    application = context.application
    tutor: Tutor = application.bot_data["tutor"]
    inbox: JournaledQueue = application.bot_data["inbox"]
    inbox.forget_old()
    for chat_id in tutor.store.outbox.chats():
        application.create_task(flush_chat(application, chat_id), name="outbox")
    sending: set[Learner] = application.bot_data.setdefault("reminders_sending", set())
    due = [learner for learner in tutor.pace.due(SWEEP_BATCH) if learner not in sending]
    if due:
        log.info("sending %d reminder(s)", len(due))
        sending.update(due)
        application.create_task(_remind_all(application, due, sending), name="reminders")


async def _remind_all(application: Application, due: list[Learner], sending: set[Learner]) -> None:
    """Each learner's reminder in a task of its own, one every 1/REMINDERS_PER_SECOND s. A bot
    that is stopping starts no more: those left are still due, and the next start sends them
    (stopping waits only for the reminders already started)."""
    loop = asyncio.get_running_loop()
    every = 1 / REMINDERS_PER_SECOND
    next_at = loop.time()
    for i, learner in enumerate(due):
        if application.running and next_at > loop.time():
            await asyncio.sleep(next_at - loop.time())
        if not application.running:
            sending.difference_update(due[i:])
            return
        next_at = loop.time() + every
        application.create_task(_remind(application, learner, sending), name="reminder")


async def _remind(application: Application, learner: Learner, sending: set[Learner]) -> None:
    tutor: Tutor = application.bot_data["tutor"]
    try:
        await in_turn(application, learner.chat_id, lambda: tutor.pace.remind(learner))
    except Exception as exc:  # one learner's failure must not stop the sweep or their reminders
        log.error(
            "reminder for chat %s failed (%s); the next one is already scheduled",
            learner.chat_id,
            exc,
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
    finally:
        sending.discard(learner)


async def in_turn(
    application: Application, chat_id: int, act: Callable[[], Reply | None]
) -> Reply | None:
    """An update's path for work the clock starts (a reminder, a group's reveal): decided,
    saved and queued in one transaction in the chat's turn, then sent."""
    tutor: Tutor = application.bot_data["tutor"]
    outbox: Outbox = application.bot_data["outbox"]
    order = application.update_processor
    assert isinstance(order, PerChatOrder)
    async with order.turn(chat_id):
        with tutor.store.transaction():
            reply = act()
            if reply is not None:
                outbox.queue(chat_id, reply)
        await outbox.flush(chat_id)
    return reply


RETRY_STALLED = 3.0
"""Seconds before a chat whose flush stopped at a failing call is flushed again."""


def flush_soon(application: Application, chat_id: int) -> None:
    """A call failed for now: flush the chat again in a few seconds, not at the next sweep."""
    assert application.job_queue is not None

    async def again(_context: CallbackContext) -> None:
        await flush_chat(application, chat_id)

    application.job_queue.run_once(again, when=RETRY_STALLED, job_kwargs=AT_ONCE)


async def flush_chat(application: Application, chat_id: int) -> None:
    """What the outbox owes one chat, in its turn. A chat already being flushed is flushed
    once more when that flush ends, since what was just queued may have come after its read."""
    flushing: dict[int, bool] = application.bot_data.setdefault("outbox_flushing", {})
    if chat_id in flushing:
        flushing[chat_id] = True
        return
    outbox: Outbox = application.bot_data["outbox"]
    order = application.update_processor
    assert isinstance(order, PerChatOrder)
    try:
        again = True
        while again:
            flushing[chat_id] = False
            async with order.turn(chat_id):
                await outbox.flush(chat_id)
            again = flushing[chat_id]
    finally:
        del flushing[chat_id]

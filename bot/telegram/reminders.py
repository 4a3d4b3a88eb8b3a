"""Reminders, sent by one job (PTB's JobQueue) that sweeps every minute for who is due.

Nothing lives in memory: each schedule in SQLite carries the moment its next reminder is due,
indexed, so start-up restores nothing (100,000 learners start as fast as one), a reminder due
while the bot was down is found by the first sweep, and /stop, /pace or an unblock take effect
with no job to cancel or recreate. Each reminder is decided and saved in the learner's turn
(`PerChatOrder.turn`), then sent; the next moment is already stored, so a failed send never
ends a learner's reminders.
"""

from __future__ import annotations

import logging

from telegram.ext import Application, CallbackContext

from bot.core.model import Learner
from bot.telegram.delivery import Outbox
from bot.telegram.ordering import PerChatOrder
from bot.tutor import Tutor

log = logging.getLogger(__name__)

SWEEP_BATCH = 1000
"""Reminders taken per sweep; more wait for the next sweep (PTB's limiter paces the sends)."""


def start(application: Application, every: float) -> None:
    """Sweep now (a reminder missed while the bot was down goes out at once), then every
    `every` seconds."""
    assert application.job_queue is not None
    application.job_queue.run_repeating(sweep, interval=every, first=0.01, name="reminders")


async def sweep(context: CallbackContext) -> None:
    application = context.application
    tutor: Tutor = application.bot_data["tutor"]
    sending: set[Learner] = application.bot_data.setdefault("reminders_sending", set())
    due = [learner for learner in tutor.pace.due(SWEEP_BATCH) if learner not in sending]
    if due:
        log.info("sending %d reminder(s)", len(due))
    for learner in due:
        sending.add(learner)
        application.create_task(_remind(application, learner, sending), name="reminder")


async def _remind(application: Application, learner: Learner, sending: set[Learner]) -> None:
    tutor: Tutor = application.bot_data["tutor"]
    outbox: Outbox = application.bot_data["outbox"]
    order = application.update_processor
    assert isinstance(order, PerChatOrder)
    try:
        async with order.turn(learner.chat_id):
            reply = tutor.pace.remind(learner)
            if reply is not None:
                await outbox.deliver(learner.chat_id, reply)
    except Exception as exc:  # one learner's failure must not stop the sweep or their reminders
        log.error(
            "reminder for chat %s failed (%s); the next one is already scheduled",
            learner.chat_id,
            exc,
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
    finally:
        sending.discard(learner)

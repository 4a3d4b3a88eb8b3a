"""Where an update goes: parse it, call the service (`bot.tutor`), deliver its reply.

No decision is made here. `run` is the one path of every update: in one transaction the
service saves its effects, the outbox saves what the reply must show, and the update is marked
handled; only then is anything sent. A crash before the commit leaves the update unhandled (it
is handled again after the restart); a crash after it leaves the reply in the outbox (it is
sent after the restart). Nothing is lost and nothing is done twice.

Each update handled is one INFO line: what it was (`kind`), the chat, the outcome, and the
latency from its arrival (`inbox.received_at`) to its reply sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from telegram import CallbackQuery, ChatMemberUpdated, Update
from telegram.ext import CallbackContext, ExtBot

from bot.core.model import Learner
from bot.telegram import topics
from bot.telegram.delivery import Outbox
from bot.tutor import Reply, Tutor

log = logging.getLogger(__name__)


class TutorContext(CallbackContext[ExtBot, dict, dict, dict]):
    """PTB's context with the tutor's parts typed, instead of stringly `bot_data[...]`."""

    @property
    def tutor(self) -> Tutor:
        return self.application.bot_data["tutor"]

    @property
    def outbox(self) -> Outbox:
        return self.application.bot_data["outbox"]


Handler = Callable[[Update, TutorContext], Coroutine[Any, Any, None]]


async def run(
    update: Update,
    context: TutorContext,
    chat_id: int,
    act: Callable[[], Reply],
    query: CallbackQuery | None = None,
    received: datetime | None = None,
) -> Reply:
    """Decide and save, save the reply, mark the update handled: one transaction. Then send.
    `received`: when the update arrived, if the caller has read it already."""
    tutor, outbox = context.tutor, context.outbox
    with tutor.store.transaction():
        reply = act()
        outbox.queue(chat_id, reply, query, update.update_id)
        tutor.store.inbox.handled(update.update_id, tutor.clock())
    await outbox.flush(chat_id)
    handled(update, context, chat_id, reply.outcome, received)
    return reply


def handled(
    update: Update, context: TutorContext, chat_id: int, outcome: str,
    received: datetime | None = None,
) -> None:  # fmt: skip
    """The update's one line: `/start in chat 1001: ok, 12 ms` (and as fields, for JSON)."""
    tutor = context.tutor
    if received is None:
        received = tutor.store.inbox.received_at(update.update_id)
    ms = None
    if received is not None:
        ms = max(0, round((tutor.clock() - received).total_seconds() * 1000))
    kind = kind_of(update)
    fields = {"update_id": update.update_id, "kind": kind, "chat_id": chat_id}
    fields |= {"latency_ms": ms, "outcome": outcome}
    took = "" if ms is None else f", {ms} ms"
    log.info("%s in chat %s: %s%s", kind, chat_id, outcome, took, extra=fields)


def kind_of(update: Update) -> str:
    """What an update was, in a word: the command (`/start`), tap, text, member, migrated."""
    if update.callback_query is not None:
        return "tap"
    if update.my_chat_member is not None:
        return "member"
    message = update.effective_message
    if message is None:
        return "other"
    if message.migrate_from_chat_id or message.migrate_to_chat_id:
        return "migrated"
    text = message.text or ""
    if text.startswith("/"):
        return text.split()[0].split("@")[0].lower()[:33]  # a command is at most 32 characters
    return "text" if text else "other"


def learner_of(update: Update) -> Learner | None:
    """Who wrote or tapped, in which chat, with the name they go by."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    return Learner(user.id, chat.id, user.first_name, user.username)


def command(name: str) -> Handler:
    """The handler of one /command: the service gets the learner and the text after it."""

    async def handle(update: Update, context: TutorContext) -> None:
        learner = learner_of(update)
        if learner is not None:
            args = " ".join(context.args or [])
            await run(
                update, context, learner.chat_id, lambda: context.tutor.command(learner, name, args)
            )

    return handle


async def unknown_command(update: Update, context: TutorContext) -> None:
    """Answer a command we don't know with the ones we do."""
    learner, message = learner_of(update), update.effective_message
    if learner is not None and message is not None:
        name = (message.text or "/").split()[0].split("@")[0].removeprefix("/")
        await run(update, context, learner.chat_id, lambda: context.tutor.command(learner, name))


async def text(update: Update, context: TutorContext) -> None:
    """Typed text: an answer the schedule waits for, else a hint towards the buttons."""
    learner, message = learner_of(update), update.effective_message
    if learner is not None and message is not None and message.text is not None:
        text = message.text
        await run(update, context, learner.chat_id, lambda: context.tutor.text(learner, text))


async def tap(update: Update, context: TutorContext) -> None:
    """A button was tapped: the service decides and saves, then the tap is answered, the tapped
    message settled and what follows sent."""
    query, learner = update.callback_query, learner_of(update)
    if query is None or learner is None:
        return
    data, tutor = query.data, context.tutor
    tapped_at = tutor.store.inbox.received_at(update.update_id)
    message_id = query.message.message_id if query.message is not None else None
    act = lambda: tutor.tap(learner, data, tapped_at, message_id)  # noqa: E731
    reply = await run(update, context, learner.chat_id, act, query, tapped_at)
    topics.follow_up(context.application, reply)


async def membership(update: Update, context: TutorContext) -> None:
    """The learner blocked or unblocked the bot in their private chat."""
    changed: ChatMemberUpdated | None = update.my_chat_member
    learner = learner_of(update)
    if changed is None or learner is None:
        return
    active = changed.new_chat_member.status not in ("kicked", "left")
    context.tutor.chat_member(learner, active)
    handled(update, context, learner.chat_id, "ok" if active else "blocked")

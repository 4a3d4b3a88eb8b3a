"""The composition root: the one place the real parts are wired together.

`__main__` runs what `build_application` returns, and the end-to-end tests run the very same
wiring against a fake Bot API server, so what is tested is what runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import BotCommand, BotCommandScopeAllGroupChats, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import Config
from bot.content import Library
from bot.store import Store
from bot.telegram import groups, handlers, reminders
from bot.telegram.delivery import Outbox
from bot.telegram.handlers import TutorContext
from bot.telegram.inbox import JournaledQueue
from bot.telegram.limiter import RetryingRateLimiter
from bot.telegram.ordering import PerChatOrder
from bot.tutor import COMMANDS, Tutor
from bot.views import menus

log = logging.getLogger(__name__)

ErrorSink = Callable[[BaseException, object], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_application(
    config: Config,
    library: Library,
    store: Store,
    *,
    clock: Callable[[], datetime] = utc_now,
    error_sink: ErrorSink | None = None,
) -> Application:
    """The bot, ready to run: handlers registered in the order they are matched."""
    inbox = JournaledQueue(store, clock)
    application = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .context_types(ContextTypes(context=TutorContext))
        .update_queue(inbox)
        .concurrent_updates(PerChatOrder(done=inbox.mark_handled))
        .rate_limiter(RetryingRateLimiter(private_period=4 * config.chat_pace))
        .post_init(_start_up)
        .build()
    )
    tutor = Tutor(library, store, clock, admins=config.admins)
    application.bot_data["tutor"] = tutor
    application.bot_data["outbox"] = Outbox(
        application.bot,
        store,
        clock,
        on_blocked=tutor.chat_blocked,
        on_stalled=lambda chat_id: reminders.flush_soon(application, chat_id),
        on_migrated=lambda old, new: groups.moved(application, old, new),
    )
    application.bot_data["inbox"] = inbox
    application.bot_data["error_sink"] = error_sink

    private, in_groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    for name in COMMANDS:
        application.add_handler(CommandHandler(name, handlers.command(name), filters=private))
    for name, _about in menus.GROUP_COMMANDS:
        application.add_handler(CommandHandler(name, groups.command(name), filters=in_groups))
    application.add_handler(CallbackQueryHandler(_tap))
    application.add_handler(MessageHandler(private & filters.COMMAND, handlers.unknown_command))
    application.add_handler(MessageHandler(private & filters.TEXT, handlers.text))
    application.add_handler(MessageHandler(in_groups & filters.COMMAND, groups.addressed))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, groups.migrated))
    application.add_handler(ChatMemberHandler(_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)

    assert application.job_queue is not None
    beat = heartbeat_path(config)
    reminders.every_so_often(application, _heartbeat(beat), HEARTBEAT_EVERY, "beat")
    reminders.start(application, every=config.reminder_sweep)
    reminders.every_so_often(application, groups.sweep, config.reminder_sweep, "groups")
    return application


async def _tap(update: Update, context: TutorContext) -> None:
    """A button: group study's in a group, a lesson's in a private chat."""
    await (groups.tap if groups.in_group(update) else handlers.tap)(update, context)


async def _membership(update: Update, context: TutorContext) -> None:
    await (groups.membership if groups.in_group(update) else handlers.membership)(update, context)


ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
"""What the bot asks Telegram for: messages, taps, and being blocked or unblocked."""


HEARTBEAT_EVERY = 30
"""Seconds between heartbeats; `python -m bot health` calls the bot dead after four missed."""


def heartbeat_path(config: Config) -> Path:
    return config.db_path.parent / "heartbeat"


def _heartbeat(path: Path) -> Callable[[object], Coroutine[Any, Any, None]]:
    async def beat(_context: object) -> None:
        await asyncio.to_thread(path.touch)

    return beat


async def _start_up(application: Application) -> None:
    """The command menu Telegram shows next to the text box; the updates received before a
    restart but never handled go first in the queue (what they owed is sent by the sweep)."""
    await application.bot.set_my_commands([BotCommand(n, d) for n, d in menus.COMMANDS])
    await application.bot.set_my_commands(
        [BotCommand(n, d) for n, d in menus.GROUP_COMMANDS], scope=BotCommandScopeAllGroupChats()
    )
    inbox: JournaledQueue = application.bot_data["inbox"]
    await inbox.replay(application.bot)


async def on_error(update: object, context: TutorContext) -> None:
    """Log a surprise with its context and tell the learner something kind; never a traceback."""
    error = context.error
    sink: ErrorSink | None = context.application.bot_data.get("error_sink")
    if sink is not None and error is not None:
        sink(error, update)
    where = ""
    chat_id = None
    if isinstance(update, Update):
        chat_id = update.effective_chat.id if update.effective_chat else None
        where = f" (update {update.update_id}, chat {chat_id})"
    log.error("unexpected error%s", where, exc_info=error)
    if chat_id is None:
        return
    query = update.callback_query if isinstance(update, Update) else None
    try:
        if query is not None:  # stop the learner's spinner, in case the handler had not yet
            await context.outbox.answer(query.id, menus.OOPS_NOTICE)
        await context.outbox.send(chat_id, [menus.oops()])
    except Exception:
        log.exception("could not tell chat %s about the error", chat_id)

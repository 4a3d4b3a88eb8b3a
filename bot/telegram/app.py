"""The composition root: the one place the real parts are wired together.

`__main__` runs what `build_application` returns, and the end-to-end tests run the very same
wiring against a fake Bot API server, so what is tested is what runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from telegram import BotCommand, BotCommandScopeAllGroupChats, Update
from telegram.error import Conflict, TelegramError
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
from telegram.request import HTTPXRequest

from bot.config import Config
from bot.content import Library
from bot.ops.health import Heartbeat, heartbeat_path, stale_after
from bot.store import Store
from bot.telegram import groups, handlers, reminders
from bot.telegram import topics as topics_shell
from bot.telegram.delivery import Outbox
from bot.telegram.handlers import TutorContext
from bot.telegram.inbox import JournaledQueue
from bot.telegram.limiter import RetryingRateLimiter, transient
from bot.telegram.ordering import PerChatOrder
from bot.tutor import COMMANDS, Tutor
from bot.tutor.topics import TopicSettings
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
    heartbeat = Heartbeat(heartbeat_path(config))
    serving = WEBHOOK_SERVING if config.webhook_url else POLLING_SERVING

    def answered(method: str) -> None:
        if method in serving:
            heartbeat.beat()

    inbox = JournaledQueue(store, clock, on_receive=heartbeat.beat)
    application = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .request(TelegramRequest(answered, connection_pool_size=256))
        .get_updates_request(TelegramRequest(answered, connection_pool_size=1))
        .context_types(ContextTypes(context=TutorContext))
        .update_queue(inbox)
        .concurrent_updates(PerChatOrder(done=inbox.mark_handled))
        .rate_limiter(RetryingRateLimiter(private_period=3 * config.chat_pace))
        .post_init(_start_up)
        .build()
    )
    topics = TopicSettings(config.model, config.topic_daily, config.topic_blocklist)
    tutor = Tutor(library, store, clock, admins=config.admins, topics=topics)
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
    application.bot_data["heartbeat"] = heartbeat
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
    every = max(config.poll_timeout, 1)
    reminders.every_so_often(application, _beat(config, heartbeat), every, "beat")
    reminders.start(application, every=config.reminder_sweep)
    reminders.every_so_often(application, groups.sweep, config.reminder_sweep, "groups")
    application.job_queue.run_once(topics_shell.resume, when=0, name="topics")
    return application


async def _tap(update: Update, context: TutorContext) -> None:
    """A button: group study's in a group, a lesson's in a private chat."""
    await (groups.tap if groups.in_group(update) else handlers.tap)(update, context)


async def _membership(update: Update, context: TutorContext) -> None:
    await (groups.membership if groups.in_group(update) else handlers.membership)(update, context)


ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
"""What the bot asks Telegram for: messages, taps, and being blocked or unblocked."""


POLLING_SERVING = frozenset({"getMe", "getUpdates"})
WEBHOOK_SERVING = frozenset({"getMe", "setWebhook"})
"""The calls whose success proves the bot is serving, and writes the heartbeat. Any other call
can succeed while nothing reaches the bot (a 409 on every getUpdates, a webhook deleted)."""


class TelegramRequest(HTTPXRequest):
    """PTB's HTTP client, telling `answered` the method of each call Telegram answered with
    success: the heartbeat's one source, whatever part of PTB made the call."""

    def __init__(self, answered: Callable[[str], None], **kwargs: Any):
        super().__init__(**kwargs)
        self._answered = answered

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(url, *args, **kwargs)
        if 200 <= code < 300:
            self._answered(url.rsplit("/", 1)[-1])
        return code, payload


def _beat(config: Config, heartbeat: Heartbeat) -> Callable[[Any], Any]:
    """Every TUTOR_POLL_TIMEOUT seconds: in webhook mode, ask Telegram whether the webhook is
    still ours (nothing else proves it in a quiet hour) and pass on a delivery error it reports;
    in both modes, say when Telegram went silent."""
    limit = stale_after(config.poll_timeout)
    url, last_error = config.webhook_url, 0.0

    async def beat(context: TutorContext) -> None:
        nonlocal url, last_error
        if config.webhook_url is not None:
            try:
                info = await context.bot.get_webhook_info()
            except TelegramError as exc:
                log.warning("cannot check the webhook (%s)", _describe(exc))
            else:
                if info.url == config.webhook_url:
                    heartbeat.beat()
                elif info.url != url:
                    log.warning("the webhook is now %r, not TUTOR_WEBHOOK_URL", info.url)
                url = info.url
                failed = info.last_error_date.timestamp() if info.last_error_date else 0.0
                if failed > last_error:
                    last_error = failed
                    log.warning(
                        "Telegram could not deliver an update to %s: %s",
                        info.url,
                        info.last_error_message,
                    )
        heartbeat.watch(limit)

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
    """Log a surprise with its context and tell the learner something kind; never a traceback
    to the learner. Telegram failing for a while (polling, a job) is one WARNING line."""
    error = context.error
    if error is not None and transient(error) and not isinstance(update, Update):
        where = f"job {context.job.name}" if context.job else "getUpdates"
        log.warning("%s failed (%s); retrying", where, _describe(error))
        return
    sink: ErrorSink | None = context.application.bot_data.get("error_sink")
    if sink is not None and error is not None:
        sink(error, update)
    where = ""
    chat_id = None
    if isinstance(update, Update):
        chat_id = update.effective_chat.id if update.effective_chat else None
        where = f" (update {update.update_id}, chat {chat_id})"
    if error is not None and transient(error):
        log.warning("a call to Telegram failed%s: %s", where, _describe(error))
    else:
        log.error("unexpected error%s", where, exc_info=error)
    if chat_id is None:
        return
    query = update.callback_query if isinstance(update, Update) else None
    try:
        if query is not None:  # stop the learner's spinner, in case the handler had not yet
            await context.outbox.answer(query.id, menus.OOPS_NOTICE)
        await context.outbox.send(chat_id, [menus.oops()])
    except Exception as exc:
        if not transient(exc):
            log.exception("could not tell chat %s about the error", chat_id)
        else:
            log.warning("could not tell chat %s about the error (%s)", chat_id, _describe(exc))


def _describe(error: BaseException) -> str:
    """An error in a few words, with the likely cause where Telegram's own words are obscure."""
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, Conflict):
        text += "; is another bot running with this token?"
    return text

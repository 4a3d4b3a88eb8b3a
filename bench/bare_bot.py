"""The floor for `bench/floor.py`: the least a python-telegram-bot bot can do for the tutor's taps.

A bare PTB `Application` (updates handled concurrently, PTB's `AIORateLimiter`, no database, no
outbox, no per-chat order or pacing) that makes, for each tap, exactly the Telegram calls the real
bot made for that tap: answer it, settle the tapped message (`editMessageText`: an answer's feedback
added to its question, with the question's new buttons if any; or `editMessageReplyMarkup`), then
the same `sendMessage`s (one, for a lesson's tap), in the same order, with the same buttons. The
texts are canned: copied once from the real bot (`Shape`), never computed.

A learner takes a path: `/start <path>` gets the path's first message, and every button of the
message a tap leaves says which tap of the path comes next (`<path>:<n>`), so the floor keeps no
state at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)


@dataclass(frozen=True)
class Call:
    """One flood-limited call: "send", "edit" (the tapped message's text and buttons) or
    "drop_buttons"."""

    op: str
    text: str = ""
    buttons: tuple[tuple[str, ...], ...] = ()  # rows of labels


@dataclass(frozen=True)
class Shape:
    """What one tap makes Telegram show, after answering it."""

    toast: str | None
    alert: bool
    calls: tuple[Call, ...]


@dataclass(frozen=True)
class Script:
    """Per path: the message `/start <path>` sends, then the shape of each tap in turn."""

    start: dict[str, Call]
    taps: dict[str, tuple[Shape, ...]]


def keyboard(call: Call, data: str) -> InlineKeyboardMarkup | None:
    """The real bot's labels; every button leads to the path's next tap."""
    if not call.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label in row] for row in call.buttons]
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the path's first message (the course menu)."""
    script: Script = context.bot_data["script"]
    path = (context.args or [""])[0]
    if update.effective_chat is None or path not in script.start:
        return
    call = script.start[path]
    await context.bot.send_message(
        update.effective_chat.id,
        call.text,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(call, f"{path}:0"),
    )


async def tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the tap, settle the tapped message, send what follows: the real bot's calls."""
    query, script = update.callback_query, context.bot_data["script"]
    if query is None or query.data is None or update.effective_chat is None:
        return
    path, number = query.data.split(":")
    shape: Shape = script.taps[path][int(number)]
    chat_id, data = update.effective_chat.id, f"{path}:{int(number) + 1}"
    # CallbackQueries need to be answered, even if no notification to the user is needed.
    await query.answer(shape.toast, show_alert=shape.alert or None)
    tapped = query.message.message_id if query.message is not None else None
    for call in shape.calls:
        if call.op == "edit" and tapped is not None:
            await context.bot.edit_message_text(
                call.text,
                chat_id=chat_id,
                message_id=tapped,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(call, data),
            )
        elif call.op == "drop_buttons" and tapped is not None:
            await context.bot.edit_message_reply_markup(chat_id=chat_id, message_id=tapped)
        elif call.op == "send":
            await context.bot.send_message(
                chat_id, call.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(call, data)
            )


def build_floor(base_url: str, token: str, script: Script) -> Application:
    """The bare bot: concurrent updates and PTB's rate limiter, as a minimal bot would run."""
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .concurrent_updates(True)
        .rate_limiter(AIORateLimiter())
        .build()
    )
    application.bot_data["script"] = script
    application.bot_data["errors"] = []
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(tap))
    application.add_error_handler(record_error)
    return application


async def record_error(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """PTB logs and swallows a handler's exception: keep it, so the bench can fail on it."""
    if context.error is not None:
        context.bot_data["errors"].append(context.error)


@asynccontextmanager
async def running_floor(
    base_url: str, token: str, script: Script, poll_timeout: int
) -> AsyncIterator[Application]:
    """Start the bare bot polling on the caller's loop, as `run_polling` would, then stop it."""
    application = build_floor(base_url, token, script)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            timeout=poll_timeout, allowed_updates=["message", "callback_query"]
        )
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()

"""The bot as it runs in production, wired by the same composition root, against the fake
Bot API server over real HTTP, with a real SQLite file; plus a scripted learner to drive it."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.config import Config
from bot.content.checks import load_checked
from bot.store import Store
from bot.telegram.app import ALLOWED_UPDATES, build_application, utc_now
from bot.telegram.ordering import PerChatOrder
from bot.tutor import Tutor
from tests.conftest import CONTENT
from tests.fake_telegram import Call, FakeTelegram, Message

FLOOD_LIMITED = re.compile(r"(send|edit|copy|forward)[A-Z]")
"""Calls Telegram paces per chat (about one a second in a private chat): every send and edit.
answerCallbackQuery is free, and so are reads."""


def shown_calls(tg: FakeTelegram, chat_id: int, since: int = 0) -> list[Call]:
    """The flood-limited calls the bot made to one chat, from `tg.calls[since:]` on."""
    return [
        call
        for call in tg.calls[since:]
        if FLOOD_LIMITED.match(call.method) and str(call.params.get("chat_id")) == str(chat_id)
    ]


@dataclass
class RunningBot:
    application: Application
    store: Store
    errors: list[BaseException] = field(default_factory=list)

    @property
    def tutor(self) -> Tutor:
        return self.application.bot_data["tutor"]

    @property
    def processor(self) -> PerChatOrder:
        processor = self.application.update_processor
        assert isinstance(processor, PerChatOrder)
        return processor


def config_for(tg: FakeTelegram, db_path: Path) -> Config:
    return Config(
        token=tg.token,
        api_url=tg.api_url,
        db_path=db_path,
        content_dir=CONTENT,
        poll_timeout=1,
        chat_pace=0.01,  # scripted learners tap far faster than people; the pacing has its own test
        reminder_sweep=0.1,  # tests move the clock past a reminder and wait a moment, not a minute
    )


@asynccontextmanager
async def running_bot(
    tg: FakeTelegram, db_path: Path, clock: Callable[[], datetime] = utc_now, **settings: Any
) -> AsyncIterator[RunningBot]:
    """Start the bot as `python -m bot` does (post_init included), and stop it cleanly.
    `settings` are Config fields set as an operator would (a model, a day's allowance)."""
    config = replace(config_for(tg, db_path), **settings)
    store = Store.open(db_path)
    errors: list[BaseException] = []
    application = build_application(
        config,
        load_checked(CONTENT),
        store,
        clock=clock,
        error_sink=lambda error, _update: errors.append(error),
    )
    bot = RunningBot(application, store, errors)
    async with application:
        assert application.post_init is not None
        await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            timeout=config.poll_timeout,
            allowed_updates=ALLOWED_UPDATES,
            # As run_polling does: a failed getUpdates goes to the error handler.
            error_callback=lambda exc: application.create_task(
                application.process_error(update=None, error=exc)
            ),
        )
        try:
            yield bot
        finally:
            await application.updater.stop()
            await application.stop()
    store.close()
    assert errors == [], errors  # a test that causes one on purpose clears it


class Learner:
    """A scripted person in a private chat: types, taps, and waits for the bot to settle."""

    def __init__(self, tg: FakeTelegram, bot: RunningBot | None, user_id: int, name: str = "Ada"):
        self.tg, self.bot, self.user_id = tg, bot, user_id
        tg.add_user(user_id, name)
        self.tap_latencies: list[float] = []

    @property
    def chat_id(self) -> int:
        return self.user_id

    async def says(self, text: str) -> None:
        self.tg.send_text(self.user_id, text)
        await self.settle()

    async def taps(self, label: str, message: Message | None = None) -> str:
        """Tap the button containing `label` on `message` (default: the newest with buttons)."""
        target = message or self.with_buttons()
        started = time.monotonic()
        query = self.tg.tap_button(self.user_id, target.message_id, label)
        await self.tg.wait_for_async(lambda tg: query not in tg.unanswered_queries(), 5)
        self.tap_latencies.append(time.monotonic() - started)
        await self.settle()
        return query

    async def taps_data(self, message: Message, data: str, *, forge: bool = False) -> str:
        query = self.tg.tap(self.user_id, message.message_id, data, forge=forge)
        await self.settle()
        return query

    def with_buttons(self) -> Message:
        for message in reversed(self.messages()):
            if message.buttons:
                return message
        raise AssertionError(f"no message with buttons\n{self.tg.transcript(self.chat_id)}")

    def messages(self) -> list[Message]:
        return self.tg.chat_messages(self.chat_id, include_deleted=False)

    def last(self) -> Message:
        return self.messages()[-1]

    def now(self, message: Message) -> Message:
        """`message` as it reads now, after any edits since it was looked at."""
        return next(
            m for m in self.tg.chat_messages(self.chat_id) if m.message_id == message.message_id
        )

    def calls_since(self, since: int) -> list[Call]:
        """The flood-limited calls the bot made to this chat from `tg.calls[since:]` on."""
        return shown_calls(self.tg, self.chat_id, since)

    def texts(self) -> list[str]:
        return [m.text for m in self.messages()]

    def buttons(self, message: Message | None = None) -> list[str]:
        target = message or self.last()
        return [label for row in target.buttons for label, _ in row]

    async def settle(self, quiet: float = 0.05, limit: float = 10.0) -> None:
        """Wait until the bot has fetched and fully handled everything sent so far."""
        deadline = time.monotonic() + limit
        calm_since: float | None = None
        while time.monotonic() < deadline:
            busy = self.tg.pending_updates() or (
                self.bot is not None
                and (self.bot.processor.in_flight or not self.bot.application.update_queue.empty())
            )
            if busy:
                calm_since = None
            elif calm_since is None:
                calm_since = time.monotonic()
            elif time.monotonic() - calm_since >= quiet:
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"the bot did not settle\n{self.tg.dump()}")


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]

"""Update order: different chats concurrently, one chat's updates strictly one after another.

PTB processes all updates one at a time by default, and `concurrent_updates=True` loses order.
A lock per chat gives both: a learner's taps are handled in the order they were made, and a
slow Telegram call for one learner never delays another. Reminders take the same turn.

Fairness: PTB's base class takes one of its global slots *before* `do_process_update`, so a
chat that taps fast would hold slots while its updates only wait for their own chat's lock, and
could starve every other chat. Here the base class gets no real limit; an update first waits
for its chat's turn, and only then takes one of the global slots it needs to run.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

UNLIMITED = 2**31 - 1
"""What the base class is told, so its semaphore never makes an update wait."""


class PerChatOrder(BaseUpdateProcessor):
    def __init__(
        self, max_running: int = 256, done: Callable[[object], None] | None = None
    ) -> None:
        super().__init__(UNLIMITED)
        self._done = done
        """Told of each update once it has been processed (not when cancelled by a stop)."""
        self._running = asyncio.BoundedSemaphore(max_running)
        # Weak values: a chat's lock lives only while one of its updates holds or awaits it.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self.in_flight = 0
        """Updates being handled or waiting for their chat's turn (for tests and metrics)."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        self.in_flight += 1
        try:
            key = _chat_key(update)
            if key is None:
                async with self._running:
                    await coroutine
            else:
                async with self.turn(key), self._running:
                    await coroutine
            if self._done is not None:
                self._done(update)
        finally:
            self.in_flight -= 1

    @asynccontextmanager
    async def turn(self, chat_id: int) -> AsyncIterator[None]:
        """The chat's turn: work outside an update (a reminder) waits for it like an update, so
        it is decided, saved and sent between two of the learner's updates, never across one."""
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[chat_id] = lock
        async with lock:
            yield

    async def initialize(self) -> None:
        """Nothing to set up: locks are made on demand."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else None

"""Update order: different chats concurrently, one chat's updates strictly one after another.

PTB processes all updates one at a time by default, and `concurrent_updates=True` loses order.
A lock per chat gives both: a learner's taps are handled in the order they were made, and a
slow Telegram call for one learner never delays another. Reminders take the same turn.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerChatOrder(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256):
        super().__init__(max_concurrent_updates)
        # Weak values: a chat's lock lives only while one of its updates holds or awaits it.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self.in_flight = 0
        """Updates being handled or waiting for their chat's turn (for tests and metrics)."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        self.in_flight += 1
        try:
            key = _chat_key(update)
            if key is None:
                await coroutine
                return
            async with self.turn(key):
                await coroutine
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

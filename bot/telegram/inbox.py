"""Every update is kept in SQLite before Telegram forgets it, and handled exactly once.

PTB's polling puts each update it fetches into the application's update queue, then confirms it
to Telegram with the next `getUpdates` offset, before any handler has run; a crash in between
used to lose the tap. The queue here writes each update to the `updates` table as it is put
(so before it is confirmed), refuses an update_id it has seen before (Telegram sends an
unconfirmed update again after a restart), and at start-up puts back the updates that were
received but never handled. Webhook mode goes through the same queue, and PTB answers the
webhook's POST only after `put` returns, that is, after the update is stored (a failure to
store it answers 500, and Telegram sends the update again). A POST whose secret token is missing
or wrong is refused with 403 before it comes here, so it stores nothing.

An update is marked handled in the transaction that saves its effects (`handlers.run`); one
that no handler acts on is marked once the processor is done with it (`mark_handled`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram import Bot, Update

from bot.store import Store

log = logging.getLogger(__name__)

KEEP_HANDLED = timedelta(days=2)
"""Handled update ids are kept this long to refuse a repeat: Telegram keeps updates 24 hours."""


class JournaledQueue(asyncio.Queue):
    """The application's update queue, backed by the `updates` table."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        on_receive: Callable[[], None] | None = None,
    ):
        super().__init__()
        self.store, self.clock = store, clock
        self.on_receive = on_receive
        """Told of each update Telegram delivers: the heartbeat (in webhook mode, a POST is
        Telegram reaching the bot)."""

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            fresh = self._receive(item)
            if self.on_receive is not None:
                self.on_receive()
            if not fresh:
                log.info("update %s was received before; not handled again", item.update_id)
                return
        await super().put(item)

    def _receive(self, update: Update) -> bool:
        chat = update.effective_chat
        with self.store.transaction():
            return self.store.inbox.receive(
                update.update_id, chat.id if chat else None, update.to_json(), self.clock()
            )

    async def replay(self, bot: Bot) -> int:
        """At start-up: put back every update received but not handled before the stop."""
        waiting = self.store.inbox.unhandled()
        for _update_id, payload in waiting:
            await super().put(Update.de_json(json.loads(payload), bot))
        if waiting:
            log.info("handling %d update(s) received before the restart", len(waiting))
        return len(waiting)

    def mark_handled(self, update: object) -> None:
        """The processor is done with an update: marked handled if no handler did it."""
        if isinstance(update, Update):
            with self.store.transaction():
                self.store.inbox.handled(update.update_id, self.clock())

    def forget_old(self) -> None:
        with self.store.transaction():
            self.store.inbox.forget(self.clock() - KEEP_HANDLED)

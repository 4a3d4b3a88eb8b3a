"""Talking to Telegram: sending, editing and answering, with its limits and errors handled.

Everything the bot says goes through `Outbox`, so Telegram's rules live in one place: HTML
parse mode, messages split under 4096 characters, callback answers under 200, a learner who
blocked the bot marked inactive rather than treated as a failure, and transient failures
(429, timeouts, 5xx) retried by `RetryingRateLimiter`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter

from bot.tutor import DropButtons, Reply, ShowChoice
from bot.views import lesson as lesson_views
from bot.views import message as views

log = logging.getLogger(__name__)

MAX_CALLBACK_ANSWER = 200


class RetryingRateLimiter(AIORateLimiter):
    """PTB's limiter (30/s overall, 20/min per group, waits out 429s), plus what it leaves
    out: about one message a second in a private chat (a tap's short burst of feedback goes
    at once), and retries of transient failures — timeouts and 5xx.

    A 4xx other than 429 is the bot's own mistake and is never retried.
    """

    MAX_TRACKED_CHATS = 10_000

    def __init__(
        self,
        *,
        max_retries: int = 3,
        backoff: float = 0.5,
        private_burst: int = 4,
        private_period: float = 4.0,
        # A tap's whole reply (edit, feedback, another way) fits in one burst.
    ):
        super().__init__(max_retries=max_retries)
        self._transient_retries = max_retries
        self._backoff = backoff
        self._private_burst, self._private_period = private_burst, private_period
        self._private: dict[int, AsyncLimiter] = {}

    def _private_limiter(self, chat_id: object) -> AsyncLimiter | None:
        """A leaky bucket per private chat (positive ids); groups are PTB's business."""
        if not isinstance(chat_id, int) or chat_id <= 0:
            return None
        limiter = self._private.pop(chat_id, None)
        if limiter is None:
            limiter = AsyncLimiter(self._private_burst, self._private_period)
            if len(self._private) >= self.MAX_TRACKED_CHATS:
                del self._private[next(iter(self._private))]  # the least recently used
        self._private[chat_id] = limiter
        return limiter

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        private = self._private_limiter(data.get("chat_id"))
        if private is not None:
            await private.acquire()
        for attempt in range(self._transient_retries + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except (BadRequest, RetryAfter):
                raise
            except NetworkError as exc:
                if attempt == self._transient_retries:
                    raise
                delay = self._backoff * 2**attempt
                log.warning("%s failed (%s); retry %d in %.1fs", endpoint, exc, attempt + 1, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


def keyboard(message: views.Message) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in message.buttons
        ]
    )


class Outbox:
    REMEMBERED_ANSWERS = 1_000
    """Taps in flight at once are far fewer; older ones cannot be answered anyway."""

    def __init__(self, bot: Bot, on_blocked: Callable[[int], None]):
        self.bot = bot
        self.on_blocked = on_blocked
        self._answered: OrderedDict[str, None] = OrderedDict()

    async def deliver(self, chat_id: int, reply: Reply, query: CallbackQuery | None = None) -> None:
        """Show a reply: answer the tap first (the spinner stops), settle the tapped message,
        then send what follows, in order."""
        if query is not None:
            await self.answer(query.id, reply.toast)
            await self._settle(chat_id, query, reply)
        if reply.messages:
            await self.send(chat_id, reply.messages)

    async def _settle(self, chat_id: int, query: CallbackQuery, reply: Reply) -> None:
        message = query.message
        if message is None or not message.is_accessible or not hasattr(message, "text_html"):
            return
        match reply.tapped:
            case ShowChoice(chosen) if message.text:
                answered = lesson_views.answered(message.text_html, chosen)
                await self.replace(chat_id, message.message_id, answered)
            case ShowChoice() | DropButtons():
                await self.drop_buttons(chat_id, message.message_id)

    async def send(self, chat_id: int, messages: Sequence[views.Message]) -> list[Message]:
        """Send in order; stops quietly if the learner has blocked the bot."""
        sent: list[Message] = []
        try:
            for message in messages:
                for part in views.split(message):
                    sent.append(
                        await self.bot.send_message(
                            chat_id,
                            part.text,
                            parse_mode=ParseMode.HTML,
                            reply_markup=keyboard(part),
                        )
                    )
        except Forbidden as exc:
            self._blocked(chat_id, exc)
        return sent

    async def replace(self, chat_id: int, message_id: int, message: views.Message) -> None:
        """Rewrite a message we sent (a question once answered); a vanished one is no loss."""
        part = views.split(message)[0]
        try:
            await self.bot.edit_message_text(
                part.text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(part),
            )
        except Forbidden as exc:
            self._blocked(chat_id, exc)
        except BadRequest as exc:
            _tolerate_edit_failure(exc, chat_id, message_id)

    async def drop_buttons(self, chat_id: int, message_id: int) -> None:
        try:
            await self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
        except Forbidden as exc:
            self._blocked(chat_id, exc)
        except BadRequest as exc:
            _tolerate_edit_failure(exc, chat_id, message_id)

    async def answer(self, query_id: str, text: str | None = None) -> None:
        """Every tap is answered once, so the learner's spinner stops; an expired query is no
        loss. Answering twice is refused by Telegram, so a second answer is skipped."""
        if query_id in self._answered:
            return
        if text and len(text) > MAX_CALLBACK_ANSWER:
            text = text[: MAX_CALLBACK_ANSWER - 1] + "…"
        self._answered[query_id] = None
        if len(self._answered) > self.REMEMBERED_ANSWERS:
            self._answered.popitem(last=False)
        try:
            await self.bot.answer_callback_query(query_id, text=text)
        except BadRequest as exc:
            if "query is too old" not in str(exc).lower():
                raise
            log.info("callback %s expired before we answered it", query_id)

    def _blocked(self, chat_id: int, exc: Forbidden) -> None:
        log.info("chat %s refuses messages: %s", chat_id, exc.message)
        self.on_blocked(chat_id)


def _tolerate_edit_failure(exc: BadRequest, chat_id: int, message_id: int) -> None:
    text = str(exc).lower()
    if "message is not modified" in text:
        log.debug("message %s in %s already shows that", message_id, chat_id)
    elif "message to edit not found" in text or "message can't be edited" in text:
        log.info("message %s in %s can no longer be edited", message_id, chat_id)
    else:
        raise exc

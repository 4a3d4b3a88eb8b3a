"""Telegram's rate limits, and retries that never make a learner see a message twice.

The bot stays under 30 messages a second overall and 20 in any minute per group
(`SlidingWindow`), about one a second per private chat after a short burst, and PTB's
`AIORateLimiter` waits out a 429 (`retry_after`). Transient failures are retried, but only where
a retry cannot repeat what the learner sees:

- a call that cannot have reached Telegram (no connection, the pool was full) or that Telegram
  refused with a 5xx is retried;
- a call that is safe to repeat (answering a tap, editing a message) is retried on any
  transient failure;
- a `sendMessage` whose response was lost (a read timeout, a dropped connection) may have taken
  effect, so it is retried once at most, and counted in `doubtful`: that is the only way a
  learner can see a message twice.

A 4xx other than 429 is the bot's own mistake and is never retried.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

IDEMPOTENT = frozenset(
    {
        "answerCallbackQuery",
        "editMessageText",
        "editMessageReplyMarkup",
        "getMe",
        "getUpdates",
        "setMyCommands",
        "deleteWebhook",
        "getWebhookInfo",
    }
)
"""Calls that do the same thing however often they are made: always safe to retry."""

SHOWN = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})
"""What a group's limit counts: what its members see (asking for its admins is not counted)."""

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures that mean the request never reached Telegram."""


def never_took_effect(exc: NetworkError) -> bool:
    """True when Telegram cannot have acted on the request: it never got there, or it answered
    with a 5xx (a transport error carries its httpx cause; an HTTP status does not). A timeout
    is doubtful unless it happened before sending."""
    cause = exc.__cause__
    if isinstance(cause, NOT_SENT):
        return True
    # A transport error after sending (a timeout, a dropped connection) is doubtful; anything
    # else came with an HTTP status (a proxy's HTML 5xx page carries a parse error as cause).
    return not isinstance(exc, TimedOut) and not isinstance(cause, httpx.HTTPError)


def transient(exc: BaseException) -> bool:
    """True for a Telegram error that passes by itself, so one WARNING line says enough: no
    connection, a timeout, a 5xx, a 429, or a 409 Conflict (another poller, until it stops).
    A 400 (`BadRequest`, a `NetworkError` too) is the bot's own mistake."""
    if isinstance(exc, RetryAfter | Conflict):
        return True
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


OVERALL_LIMIT = 30
"""Messages and edits a second, all chats together: Telegram's limit for one bot."""

GROUP_LIMIT, GROUP_WINDOW = 20, 61.0
"""Calls (messages and edits) to one group in any window: Telegram allows 20 a minute. A
second of margin, since a call is counted here when it leaves and by Telegram when it lands.
PTB's own group limiter is a leaky bucket (a burst of 20, then one every 3 s), which lets up
to 40 through in some minute; this window lets through exactly 20, all at once if need be."""


class SlidingWindow:
    """At most `limit` calls in any `period` seconds: a call waits until the one `limit`
    places before it is `period` old."""

    def __init__(self, limit: int, period: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.period, self.clock = limit, period, clock
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while len(self._times) >= self.limit:
                wait = self._times[0] + self.period - self.clock()
                if wait <= 0:
                    self._times.popleft()
                else:
                    await asyncio.sleep(wait)
            self._times.append(self.clock())


class RetryingRateLimiter(AIORateLimiter):
    """PTB's limiter, plus a pace per private chat and the retry rules above."""

    MAX_TRACKED_CHATS = 10_000

    def __init__(
        self,
        *,
        max_retries: int = 3,
        backoff: float = 0.5,
        private_burst: int = 3,
        private_period: float = 3.0,
        # A tap's whole reply fits in one burst (an answer costs 2 calls at most: bench/calls.py;
        # a welcome 3), then one a second on average, as Telegram asks of a private chat.
    ):
        # Overall and per group: `SlidingWindow`s, which never let more than the limit through
        # in any window (PTB's leaky buckets let a full burst through on top of the rate).
        super().__init__(max_retries=max_retries, overall_max_rate=0, group_max_rate=0)
        self._overall = SlidingWindow(OVERALL_LIMIT, 1.0)
        self._transient_retries = max_retries
        self._backoff = backoff
        self._private_burst, self._private_period = private_burst, private_period
        self._chats: dict[int, AsyncLimiter | SlidingWindow] = {}
        self.doubtful: Counter[str] = Counter()
        """Calls retried after a lost response, by method: each may have been made twice."""

    def _chat_limiter(self, chat_id: object) -> AsyncLimiter | SlidingWindow | None:
        """A leaky bucket per private chat (positive ids), a sliding window per group."""
        if not isinstance(chat_id, int) or chat_id == 0:
            return None
        limiter = self._chats.pop(chat_id, None)
        if limiter is None:
            if chat_id > 0:
                limiter = AsyncLimiter(self._private_burst, self._private_period)
            else:
                limiter = SlidingWindow(GROUP_LIMIT, GROUP_WINDOW)
            if len(self._chats) >= self.MAX_TRACKED_CHATS:
                del self._chats[next(iter(self._chats))]  # the least recently used
        self._chats[chat_id] = limiter
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
        chat = self._chat_limiter(data.get("chat_id"))
        if chat is not None and (endpoint in SHOWN or isinstance(chat, AsyncLimiter)):
            await chat.acquire()  # the chat's turn first: waiting for it holds no global slot
        if chat is not None and endpoint in SHOWN:
            await self._overall.acquire()
        doubtful_retries = 0
        for attempt in range(self._transient_retries + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except (BadRequest, RetryAfter):
                raise
            except NetworkError as exc:
                safe = endpoint in IDEMPOTENT or never_took_effect(exc)
                if attempt == self._transient_retries or not (safe or doubtful_retries == 0):
                    raise
                if not safe:
                    doubtful_retries += 1
                    self.doubtful[endpoint] += 1
                delay = self._backoff * 2**attempt
                log.warning("%s failed (%s); retry %d in %.1fs", endpoint, exc, attempt + 1, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

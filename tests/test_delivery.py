"""Transient Telegram failures are retried; the bot's own mistakes are not."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.delivery import RetryingRateLimiter


class Flaky:
    """A request that fails with the given errors, then succeeds."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> dict[str, bool]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


async def send(limiter: RetryingRateLimiter, request: Flaky) -> Any:
    await limiter.initialize()
    try:
        return await limiter.process_request(request, (), {}, "sendMessage", {"chat_id": 1}, None)
    finally:
        await limiter.shutdown()


async def test_a_timeout_and_a_bad_gateway_are_retried() -> None:
    request = Flaky(TimedOut(), NetworkError("Bad Gateway"))
    assert await send(RetryingRateLimiter(backoff=0.01), request) == {"ok": True}
    assert request.calls == 3


async def test_a_bad_request_is_not_retried() -> None:
    request = Flaky(BadRequest("Message text is empty"))
    with pytest.raises(BadRequest):
        await send(RetryingRateLimiter(backoff=0.01), request)
    assert request.calls == 1


async def test_retries_give_up_after_the_limit() -> None:
    request = Flaky(*[TimedOut()] * 5)
    with pytest.raises(TimedOut):
        await send(RetryingRateLimiter(max_retries=2, backoff=0.01), request)
    assert request.calls == 3

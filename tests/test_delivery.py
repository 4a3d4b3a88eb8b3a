"""Transient Telegram failures are retried; the bot's own mistakes are not."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.telegram.limiter import RetryingRateLimiter, SlidingWindow


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


async def send(limiter: RetryingRateLimiter, request: Flaky, endpoint: str = "sendMessage") -> Any:
    await limiter.initialize()
    try:
        return await limiter.process_request(request, (), {}, endpoint, {"chat_id": 1}, None)
    finally:
        await limiter.shutdown()


def caused(error: NetworkError, cause: Exception) -> NetworkError:
    """An error as PTB raises it from httpx: `raise TimedOut from httpx.ReadTimeout(...)`."""
    error.__cause__ = cause
    return error


READ_TIMEOUT = caused(TimedOut(), httpx.ReadTimeout("lost"))
DROPPED = caused(NetworkError("httpx.RemoteProtocolError"), httpx.RemoteProtocolError("gone"))
NO_CONNECTION = caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused"))


async def test_a_lost_response_and_a_bad_gateway_are_retried() -> None:
    request = Flaky(READ_TIMEOUT, NetworkError("Bad Gateway"))
    assert await send(RetryingRateLimiter(backoff=0.01), request) == {"ok": True}
    assert request.calls == 3


async def test_a_message_whose_response_was_lost_is_sent_again_once_at_most_and_counted() -> None:
    limiter = RetryingRateLimiter(backoff=0.01)
    request = Flaky(READ_TIMEOUT, DROPPED, READ_TIMEOUT)
    with pytest.raises(NetworkError):
        await send(limiter, request)
    assert request.calls == 2
    assert limiter.doubtful == {"sendMessage": 1}


async def test_a_message_that_never_left_is_retried_to_the_limit() -> None:
    limiter = RetryingRateLimiter(backoff=0.01)
    request = Flaky(NO_CONNECTION, NO_CONNECTION, NetworkError("Bad Gateway"))
    assert await send(limiter, request) == {"ok": True}
    assert request.calls == 4 and not limiter.doubtful


async def test_answering_a_tap_or_editing_is_safe_to_retry_after_a_lost_response() -> None:
    for endpoint in ("answerCallbackQuery", "editMessageText", "editMessageReplyMarkup"):
        limiter = RetryingRateLimiter(backoff=0.01)
        request = Flaky(READ_TIMEOUT, DROPPED, READ_TIMEOUT)
        assert await send(limiter, request, endpoint) == {"ok": True}
        assert request.calls == 4 and not limiter.doubtful


async def test_a_bad_request_is_not_retried() -> None:
    request = Flaky(BadRequest("Message text is empty"))
    with pytest.raises(BadRequest):
        await send(RetryingRateLimiter(backoff=0.01), request)
    assert request.calls == 1


async def test_retries_give_up_after_the_limit() -> None:
    request = Flaky(*[NO_CONNECTION] * 5)
    with pytest.raises(NetworkError):
        await send(RetryingRateLimiter(max_retries=2, backoff=0.01), request)
    assert request.calls == 3


async def test_a_private_chat_gets_a_burst_then_about_one_message_a_period() -> None:
    limiter = RetryingRateLimiter(private_burst=2, private_period=0.4)
    await limiter.initialize()
    sent_at: list[float] = []

    async def request(*args: Any, **kwargs: Any) -> bool:
        sent_at.append(time.monotonic())
        return True

    started = time.monotonic()
    for chat_id in (7, 7, 7, 8):
        await limiter.process_request(request, (), {}, "sendMessage", {"chat_id": chat_id}, None)
    await limiter.shutdown()
    offsets = [t - started for t in sent_at]
    assert offsets[1] < 0.05, "the burst goes at once"
    assert offsets[2] >= 0.15, "the third message in the same chat waits"
    assert offsets[3] - offsets[2] < 0.05, "another chat does not wait for chat 7"


async def test_a_proxys_html_error_page_is_a_status_and_retried_to_the_limit() -> None:
    # PTB raises NetworkError("Bad Gateway (502). Parsing the server response ... failed") with
    # the JSON parse error as its cause: Telegram did not act on it, so it is safe to retry.
    page = caused(NetworkError("Bad Gateway (502)"), ValueError("not JSON"))
    limiter = RetryingRateLimiter(backoff=0.01)
    request = Flaky(page, page, page)
    assert await send(limiter, request) == {"ok": True}
    assert request.calls == 4 and not limiter.doubtful


async def test_a_group_never_gets_more_than_its_limit_in_any_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sliding window: the whole limit at once, then each call waits until the call `limit`
    places before it is a window old (a leaky bucket would let twice the limit through)."""
    now = [0.0]
    sent: list[float] = []
    window = SlidingWindow(3, 10.0, clock=lambda: now[0])

    async def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    monkeypatch.setattr("bot.telegram.limiter.asyncio.sleep", fake_sleep)
    for _ in range(7):
        await window.acquire()
        sent.append(now[0])
        now[0] += 0.5
    assert sent[:3] == [0.0, 0.5, 1.0]  # the whole limit at once
    assert all(later - earlier >= 10.0 for earlier, later in zip(sent, sent[3:], strict=False))


async def test_asking_a_group_for_its_admins_is_not_counted_against_its_messages() -> None:
    limiter = RetryingRateLimiter()
    calls: list[str] = []

    async def call(*_args: Any, **_kwargs: Any) -> bool:
        return True

    for endpoint in ["getChatAdministrators"] * 30 + ["sendMessage"] * 20:
        await limiter.process_request(call, (), {}, endpoint, {"chat_id": -100}, None)
        calls.append(endpoint)
    assert len(calls) == 50  # 20 messages: within the window, and nothing waited


async def test_all_chats_together_never_get_more_than_the_overall_limit_in_a_window() -> None:
    limiter = RetryingRateLimiter()
    limiter._overall = SlidingWindow(3, 0.3)  # Telegram's 30 a second, scaled down
    sent_at: list[float] = []

    async def request(*_args: Any, **_kwargs: Any) -> bool:
        sent_at.append(time.monotonic())
        return True

    for chat_id in range(1, 8):  # seven chats, one message each: only the overall limit applies
        await limiter.process_request(request, (), {}, "sendMessage", {"chat_id": chat_id}, None)
    await limiter.process_request(request, (), {}, "answerCallbackQuery", {}, None)  # not counted
    pairs = zip(sent_at, sent_at[3:], strict=False)
    assert all(later - earlier >= 0.29 for earlier, later in pairs)
    assert sent_at[2] - sent_at[0] < 0.05  # the whole limit at once

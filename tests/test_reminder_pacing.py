"""A sweep's reminders start evenly, not all at once: a thousand due in the same minute must not
reach Telegram as a burst (it takes about 30 messages a second from one bot)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from bot.core.model import Learner
from bot.telegram import reminders


class FakeApplication:
    """Just what `_remind_all` uses: whether the bot runs, and a way to start tasks."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.started: list[tuple[float, int]] = []
        self.stop_after = stop_after

    @property
    def running(self) -> bool:
        return self.stop_after is None or len(self.started) < self.stop_after

    def create_task(self, coroutine: Any, name: str = "") -> None:
        learner = coroutine.cr_frame.f_locals["learner"]  # read before the coroutine is closed
        coroutine.close()  # the reminder itself is not what this test is about
        self.started.append((asyncio.get_running_loop().time(), learner.user_id))


async def test_reminders_start_evenly_at_the_configured_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reminders, "REMINDERS_PER_SECOND", 50)  # 20 ms apart, for a quick test
    app = FakeApplication()
    due = [Learner(i, i) for i in range(1, 11)]
    sending = set(due)
    await reminders._remind_all(app, due, sending)  # type: ignore[arg-type]
    times = [t for t, _ in app.started]
    assert len(times) == 10
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.018, gaps  # never two at once
    assert times[-1] - times[0] >= 9 * 0.018


async def test_a_stopping_bot_starts_no_more_and_leaves_them_due(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reminders, "REMINDERS_PER_SECOND", 200)
    app = FakeApplication(stop_after=3)
    due = [Learner(i, i) for i in range(1, 11)]
    sending = set(due)
    await reminders._remind_all(app, due, sending)  # type: ignore[arg-type]
    assert len(app.started) == 3
    assert sending == set(due[:3])  # the rest are no longer "being sent": still due next time

"""Shared fixtures: the real content, the seed it must match, a fresh database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import Library
from bot.content.checks import load_checked
from bot.store import Store
from tests.seed import Seed, read_seed

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def library() -> Library:
    return load_checked(CONTENT)


@pytest.fixture(scope="session")
def seed() -> Seed:
    return read_seed()


@pytest.fixture
def fresh_store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "tutor.db")
    yield store
    store.close()


@pytest.fixture
def tg():
    """The fake Bot API server; every test ends with nothing refused that Telegram would refuse."""
    from tests.fake_telegram import FakeTelegram

    server = FakeTelegram().start()
    yield server
    server.stop()
    assert server.refusals == [], server.dump()


@pytest.fixture
async def bot(tg, tmp_path: Path):
    """The bot, running in-process against `tg`; every test ends with no error recorded."""
    from tests.harness import running_bot

    async with running_bot(tg, tmp_path / "tutor.db") as running:
        yield running
    assert running.errors == []

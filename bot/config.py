"""Configuration from the environment: the one place an operator's settings are read."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TOKEN_HELP = (
    "TELEGRAM_BOT_TOKEN is not set. Talk to @BotFather in Telegram, send /newbot, and put the "
    "token it gives you in the environment: TELEGRAM_BOT_TOKEN=123456:ABC... python -m bot"
)


class ConfigError(Exception):
    """A setting is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class Config:
    token: str
    api_url: str = "https://api.telegram.org"
    db_path: Path = Path("data/tutor.db")
    content_dir: Path = Path("content")
    log_level: str = "INFO"
    poll_timeout: int = 30
    """Seconds a getUpdates long poll waits for news; Telegram allows up to 50."""
    chat_pace: float = 1.0
    """Seconds per message in one private chat, after a short burst (Telegram: about 1/s)."""
    reminder_sweep: float = 60.0
    """Seconds between sweeps for due reminders: reminders come within this of their time."""

    @property
    def base_url(self) -> str:
        """PTB appends the token and method: `{api_url}/bot{token}/{method}`."""
        return f"{self.api_url.rstrip('/')}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/file/bot"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, *, need_token: bool = True) -> Config:
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if need_token and not token:
            raise ConfigError(TOKEN_HELP)
        api_url = env.get("TELEGRAM_API_URL", "").strip() or cls.api_url
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"TELEGRAM_API_URL must start with http:// or https://, got {api_url!r}"
            )
        level = (env.get("LOG_LEVEL", "").strip() or cls.log_level).upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
        poll = env.get("TUTOR_POLL_TIMEOUT", "").strip() or str(cls.poll_timeout)
        if not poll.isdigit() or not 0 <= int(poll) <= 50:
            raise ConfigError(f"TUTOR_POLL_TIMEOUT must be 0 to 50 seconds, got {poll!r}")
        return cls(
            token=token,
            api_url=api_url,
            db_path=Path(env.get("TUTOR_DB", "").strip() or cls.db_path),
            content_dir=Path(env.get("TUTOR_CONTENT", "").strip() or cls.content_dir),
            log_level=level,
            poll_timeout=int(poll),
        )

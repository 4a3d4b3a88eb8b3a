"""Configuration from the environment: the one place an operator's settings are read."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.llm import ModelSettings

TOKEN_HELP = (
    "TELEGRAM_BOT_TOKEN is not set. Talk to @BotFather in Telegram, send /newbot, and put the "
    "token it gives you in the environment: TELEGRAM_BOT_TOKEN=123456:ABC... python -m bot"
)


class ConfigError(Exception):
    """A setting is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class Config:
    token: str = field(repr=False)  # never in a log line, whatever is printed
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
    log_format: str = "text"
    """"text" (one readable line per event) or "json" (one JSON object per line)."""
    webhook_url: str | None = None
    """Public https URL Telegram posts updates to; None: long polling (the default)."""
    webhook_secret: str | None = None
    """Required with a webhook: Telegram sends it in X-Telegram-Bot-Api-Secret-Token."""
    port: int = 8443
    """Where the webhook server listens (behind the operator's reverse proxy)."""
    listen: str = "0.0.0.0"
    """The address the webhook server binds: every interface (a container's), or 127.0.0.1."""
    connect_timeout: int = 60
    """Seconds start-up keeps trying to reach the Bot API before it gives up (exit code 1)."""
    admins: frozenset[int] = frozenset()
    """Telegram user ids allowed /admin (the learners' figures)."""
    model: ModelSettings | None = None
    """The language model that writes lessons on learners' topics; None: none is run."""
    topic_daily: int = 3
    """Lessons a learner may have written in a day."""
    topic_blocklist: frozenset[str] = frozenset()
    """Words and phrases no lesson is written about (TUTOR_TOPIC_BLOCKLIST's file)."""

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
        log_format = (env.get("LOG_FORMAT", "").strip() or cls.log_format).lower()
        if log_format not in ("text", "json"):
            raise ConfigError(f"LOG_FORMAT must be text or json, got {log_format!r}")
        webhook_url, secret = _webhook(env)
        return cls(
            token=token,
            api_url=api_url,
            db_path=Path(env.get("TUTOR_DB", "").strip() or cls.db_path),
            content_dir=Path(env.get("TUTOR_CONTENT", "").strip() or cls.content_dir),
            log_level=level,
            poll_timeout=int(poll),
            log_format=log_format,
            webhook_url=webhook_url,
            webhook_secret=secret,
            port=_port(env.get("TUTOR_PORT", "").strip()),
            listen=env.get("TUTOR_LISTEN", "").strip() or cls.listen,
            connect_timeout=_seconds(env, "TUTOR_CONNECT_TIMEOUT", cls.connect_timeout),
            admins=_admins(env.get("TUTOR_ADMINS", "")),
            model=_model(env),
            topic_daily=_whole(env, "TUTOR_TOPIC_DAILY", cls.topic_daily, 1000, "a whole number"),
            topic_blocklist=_blocklist(env.get("TUTOR_TOPIC_BLOCKLIST", "").strip()),
        )


def _webhook(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    url = env.get("TUTOR_WEBHOOK_URL", "").strip() or None
    secret = env.get("TUTOR_WEBHOOK_SECRET", "").strip() or None
    if url is None:
        return None, secret
    if not url.startswith("https://"):
        raise ConfigError(f"TUTOR_WEBHOOK_URL must be a public https:// URL, got {url!r}")
    if secret is None:
        raise ConfigError(
            "TUTOR_WEBHOOK_SECRET is required with TUTOR_WEBHOOK_URL: 1-256 characters of "
            "A-Z, a-z, 0-9, _ and -, e.g. from: python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'"
        )
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError(
            "TUTOR_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (1-256 characters)"
        )
    return url, secret


def _port(text: str) -> int:
    if not text:
        return Config.port
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ConfigError(f"TUTOR_PORT must be a port number (1-65535), got {text!r}")
    return int(text)


def _seconds(env: Mapping[str, str], name: str, default: int) -> int:
    return _whole(env, name, default, 3600, "a number of seconds")


def _whole(env: Mapping[str, str], name: str, default: int, most: int, what: str) -> int:
    """A whole number from 0 to `most` (`default` when unset), or one line naming the fix."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) > most:
        raise ConfigError(f"{name} must be {what} (0-{most}), got {text!r}")
    return int(text)


def _model(env: Mapping[str, str]) -> ModelSettings | None:
    """The model that writes lessons, if the operator set TUTOR_LLM_URL (then all of it is
    checked, each variable with a one-line fix)."""
    if not env.get("TUTOR_LLM_URL", "").strip():
        return None
    from bot.llm import ModelSettings  # here: bot.llm's settings raise this module's errors

    return ModelSettings.from_env(env)


def _blocklist(path: str) -> frozenset[str]:
    """One word or phrase a line; `#` starts a comment. Matched as whole words, any case."""
    if not path:
        return frozenset()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"TUTOR_TOPIC_BLOCKLIST: cannot read {path!r} ({exc.__class__.__name__}): give a "
            "UTF-8 text file with one word or phrase a line"
        ) from None
    phrases = (" ".join(re.findall(r"\w+", line.split("#")[0].casefold())) for line in lines)
    return frozenset(p for p in phrases if p)


def _admins(text: str) -> frozenset[int]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    bad = [part for part in ids if not part.isdigit()]
    if bad:
        raise ConfigError(
            f"TUTOR_ADMINS must be Telegram user ids separated by commas, got {bad[0]!r} "
            "(a user can see their id with @userinfobot)"
        )
    return frozenset(int(part) for part in ids)


ENVIRONMENT = {
    "TELEGRAM_BOT_TOKEN": "the bot's token from @BotFather (required to run)",
    "TELEGRAM_API_URL": "the Bot API server (default https://api.telegram.org)",
    "TUTOR_DB": "the SQLite database file (default data/tutor.db)",
    "TUTOR_CONTENT": "the lessons folder (default content)",
    "LOG_LEVEL": "DEBUG, INFO (default), WARNING or ERROR",
    "LOG_FORMAT": "text (default) or json: one JSON object per line",
    "TUTOR_POLL_TIMEOUT": "seconds a long poll waits (0-50, default 30)",
    "TUTOR_WEBHOOK_URL": "public https URL for webhook mode (default: long polling)",
    "TUTOR_WEBHOOK_SECRET": "required with TUTOR_WEBHOOK_URL; checked on every request",
    "TUTOR_PORT": "the port the webhook server listens on (default 8443)",
    "TUTOR_LISTEN": "the address the webhook server binds (default 0.0.0.0: every interface)",
    "TUTOR_CONNECT_TIMEOUT": "seconds start-up retries an unreachable Bot API (default 60)",
    "TUTOR_ADMINS": "Telegram user ids allowed /admin, separated by commas",
    "TUTOR_LLM_URL": "an OpenAI-compatible server's base URL, e.g. http://127.0.0.1:11434/v1: "
    "its model writes lessons on learners' topics (/topic) and drafts (default: none)",
    "TUTOR_LLM_MODEL": "the model's name on that server, e.g. llama3.1:8b",
    "TUTOR_LLM_KEY": "the server's API key, if it needs one (never shown)",
    "TUTOR_LLM_TIMEOUT": "seconds one request to the model may take (default 60)",
    "TUTOR_TOPIC_DAILY": "lessons one learner may have written in a day (default 3)",
    "TUTOR_TOPIC_BLOCKLIST": "a file of words and phrases, one a line, no lesson is written about",
}
"""Every variable the bot reads, with what it means: `--help` and `.env.example` list these."""

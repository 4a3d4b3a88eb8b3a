"""How the bot logs: one line per event, as text or JSON, and never the token.

`setup` is called once at start-up. Every line goes through one handler on stderr (Docker keeps
it), with three filters an operator would otherwise have to trust every library for:

- `Redact` hides the bot token (and the webhook secret) wherever it appears: in a message, its
  arguments, an exception or an extra field. httpx logs each request's URL, which holds the
  token; PTB puts the token in the message of `InvalidToken`.
- `Calm` turns a transient Telegram error that a library logs with a traceback (PTB's polling
  loop, its retry loops) into one WARNING line, unless LOG_LEVEL=DEBUG: the call is retried,
  so the traceback says nothing an operator can act on.
- `Throttle` lets through at most a few forged-button warnings a minute per logger, then says
  how many it held back: a flood of forged taps must not fill a disk.

`LOG_FORMAT=json` writes one JSON object per line: time, level, logger, message, and the extra
fields a line carries (`handlers.run` adds update_id, kind, chat_id, latency_ms, outcome).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.config import Config
from bot.telegram.limiter import transient

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_PLAIN = logging.LogRecord("", 0, "", 0, "", None, None)
STANDARD_FIELDS = frozenset(vars(_PLAIN)) | {"message", "asctime", "taskName"}
"""What every LogRecord has; anything else on a record is an extra field for the JSON line."""

HANDLER = "tutor"
"""The name of the handler `setup` adds to the root logger."""

FORGED = "names nothing live"
"""What `bot.tutor` and `bot.tutor.groups` say of a tap whose data names nothing that exists."""


def setup(config: Config, stream: TextIO | None = None) -> logging.Handler:
    """Log to stderr (or `stream`) at LOG_LEVEL in LOG_FORMAT; returns the one handler."""
    debug = config.log_level == "DEBUG"
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if config.log_format == "json" else TextFormatter())
    if not debug:
        handler.addFilter(Calm())
    handler.addFilter(Redact([config.token, config.webhook_secret]))  # last: sees every change
    handler.set_name(HANDLER)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER]:
        root.removeHandler(old)  # set up again (tests): replaced, never doubled
    root.addHandler(handler)
    root.setLevel(config.log_level)
    logging.captureWarnings(True)  # a library's warning is a line like any other

    quiet = logging.NOTSET if debug else logging.WARNING
    logging.getLogger("httpx").setLevel(quiet)  # a line per request
    logging.getLogger("apscheduler").setLevel(quiet)  # a line per job run
    # PTB logs a proxy's HTML error page as an ERROR with a traceback before raising it; the
    # limiter retries the call and logs one WARNING line, so the traceback is only noise.
    logging.getLogger("telegram.request.BaseRequest").addFilter(_not_an_html_page)
    for name in ("bot.tutor", "bot.tutor.groups"):
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, Throttle)]:
            logger.removeFilter(old)
        logger.addFilter(Throttle(matching=FORGED))
    return handler


def _not_an_html_page(record: logging.LogRecord) -> bool:
    return "invalid JSON data" not in record.getMessage()


class TextFormatter(logging.Formatter):
    """`2026-12-03 09:15:00,123 INFO bot.telegram.handlers: /start in chat 1001: ok, 12 ms`."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, any extras, and
    the exception as text when there is one (its newlines escaped: still one line)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= extras(record)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a caller added with `extra=`."""
    return {
        key: value
        for key, value in vars(record).items()
        if key not in STANDARD_FIELDS and not key.startswith("_")
    }


def masked(token: str) -> str:
    """What is shown instead of the token: its bot id, never the secret part."""
    bot_id, colon, _secret = token.partition(":")
    return f"{bot_id}:…" if colon else "…"


class Redact(logging.Filter):
    """Replace each secret (the token, the webhook secret) by its mask, in the whole record."""

    def __init__(self, secrets: Iterable[str | None]):
        super().__init__()
        self._pairs = [(s, masked(s)) for s in secrets if s and len(s) >= 4]
        self._pairs += [(s.replace(":", "%3A"), m) for s, m in self._pairs if ":" in s]

    def scrub(self, text: str) -> str:
        for secret, mask in self._pairs:
            text = text.replace(secret, mask)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._pairs:
            return True
        message = record.getMessage()
        record.msg, record.args = self.scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        for key, value in extras(record).items():
            if isinstance(value, str):
                setattr(record, key, self.scrub(value))
        return True


class Calm(logging.Filter):
    """A library's line about a transient Telegram error, traceback and all, becomes one
    WARNING line naming the error (the call is retried; LOG_LEVEL=DEBUG keeps the traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None or not record.name.startswith("telegram") or not transient(error):
            return True
        record.msg, record.args = f"{record.getMessage()} ({type(error).__name__}: {error})", None
        record.exc_info, record.exc_text = None, None
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class Throttle(logging.Filter):
    """At most `limit` matching records per `period` seconds on the logger it is attached to;
    the first matching record after a period in which some were held back is preceded by one
    line saying how many."""

    def __init__(
        self,
        matching: str,
        limit: int = 20,
        period: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__()
        self.matching, self.limit, self.period, self.clock = matching, limit, period, clock
        self._started = -period
        self._passed = 0
        self.held = 0
        """Records held back in the current period."""

    def filter(self, record: logging.LogRecord) -> bool:
        if self.matching not in record.getMessage():
            return True
        now = self.clock()
        if now - self._started >= self.period:
            held, self.held = self.held, 0
            self._started, self._passed = now, 0
            if held:
                self._summary(record, held)
        if self._passed >= self.limit:
            self.held += 1
            return False
        self._passed += 1
        return True

    def _summary(self, record: logging.LogRecord, held: int) -> None:
        logger = logging.getLogger(record.name)
        message = (
            f"{held} more lines like {self.matching!r} were not logged "
            f"(at most {self.limit} every {self.period:g} s)"
        )
        summary = logger.makeRecord(
            record.name, logging.WARNING, record.pathname, record.lineno, message, None, None
        )
        summary.held = held
        logger.handle(summary)  # the summary does not match: it passes this filter

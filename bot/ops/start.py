"""`python -m bot run`: start the bot, or say in one line why it cannot start.

Start-up checks what the bot needs in the order an operator would fix it: the lessons, the
database, then Telegram (the way there, and the token) before anything else needs it. The first
problem stops it with one ERROR line naming the fix, and no traceback unless LOG_LEVEL=DEBUG:
exit code 2 when a setting or a file must change, 1 when the Bot API could not be reached for
TUTOR_CONNECT_TIMEOUT seconds (a restart may do). Then it runs: long polling, or a webhook
server when TUTOR_WEBHOOK_URL is set, until SIGTERM.
"""

from __future__ import annotations

import asyncio
import errno
import importlib.util
import logging
import os
import sqlite3
import time
import warnings
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from telegram import Bot, User
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.config import Config
from bot.content import ContentError, Library
from bot.content.checks import load_checked
from bot.ops import logs
from bot.store import Store
from bot.telegram.limiter import transient

log = logging.getLogger("bot")

FIRST_RETRY, LONGEST_RETRY = 1.0, 15.0
"""Seconds before the second try to reach the Bot API, doubling up to the longest."""


class StartupError(Exception):
    """The bot cannot start; the message says why and what to do, `code` is the exit code."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def run(config: Config) -> int:
    logs.setup(config)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # PTB's run_polling and run_webhook take the current loop
    store: Store | None = None
    try:
        webhook_support(config)
        library = lessons(config.content_dir)
        store = database(config.db_path)
        me = loop.run_until_complete(reach_telegram(config))
        serve(config, library, store, me)
    except StartupError as exc:
        debug = config.log_level == "DEBUG"
        log.error("%s", exc, exc_info=exc.__cause__ if debug and exc.__cause__ else None)
        return exc.code
    except Exception:  # a bug: its traceback, through the log (so never the token)
        log.critical("stopped by an unexpected error", exc_info=True)
        return 1
    finally:
        if store is not None:
            store.close()
        loop.close()
    log.info("stopped cleanly")
    return 0


def webhook_support(config: Config) -> None:
    if config.webhook_url and importlib.util.find_spec("tornado") is None:
        raise StartupError(
            "Webhook mode needs tornado: pip install 'python-telegram-bot[webhooks]', or unset "
            "TUTOR_WEBHOOK_URL to poll"
        )


def lessons(content: Path) -> Library:
    if not content.is_dir():
        setting = os.environ.get("TUTOR_CONTENT")
        where = f"TUTOR_CONTENT={setting}" if setting else "TUTOR_CONTENT is not set"
        raise StartupError(
            f"No lessons folder at {content.resolve()} ({where}): set TUTOR_CONTENT to the "
            "folder that holds the courses"
        )
    try:
        return load_checked(content)
    except ContentError as exc:
        for problem in exc.problems:
            log.error("%s", problem)
        raise StartupError(f"{len(exc.problems)} problem(s) in the lessons: fix them") from None


def database(path: Path) -> Store:
    """The store, or one line on why the file cannot be used and what to do about it."""
    shown = path.resolve()
    try:
        return Store.open(path)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise StartupError(
                f"The database {shown} is locked ({exc}): is another bot running on it? Stop "
                "it, or give this one its own TUTOR_DB"
            ) from exc
        raise _unwritable(shown, str(exc)) from exc
    except sqlite3.DatabaseError as exc:  # "file is not a database", "disk image is malformed"
        raise StartupError(
            f"The database {shown} is not a usable SQLite database ({exc}): restore it from a "
            "backup, or move it aside to start with an empty one"
        ) from exc
    except OSError as exc:  # its folder could not be made
        raise _unwritable(shown, exc.strerror or str(exc)) from exc


def _unwritable(path: Path, reason: str) -> StartupError:
    return StartupError(
        f"Cannot open or create the database {path} ({reason}): the bot runs as {_user()}, "
        f"which must be able to write the folder {path.parent} and the files in it (e.g. "
        f"chown -R {os.getuid()} {path.parent}), or set TUTOR_DB to a file in such a folder"
    )


def _user() -> str:
    uid = os.getuid()
    try:
        import pwd

        return f"uid {uid} ({pwd.getpwuid(uid).pw_name})"
    except (ImportError, KeyError):
        return f"uid {uid}"


async def reach_telegram(config: Config) -> User:
    """Ask Telegram who the bot is (`getMe`): the token is checked before anything needs it.
    An unreachable Bot API is tried again, longer and longer apart, for TUTOR_CONNECT_TIMEOUT
    seconds, with one WARNING line a try; a refused token is not worth a second try."""
    started = time.monotonic()
    wait, attempt = FIRST_RETRY, 0
    bot = Bot(
        config.token,
        base_url=config.base_url,
        base_file_url=config.base_file_url,
        request=HTTPXRequest(connection_pool_size=1),
    )
    try:
        while True:
            attempt += 1
            try:
                await bot.initialize()  # getMe
                return bot.bot
            except InvalidToken as exc:
                raise _refused(config, exc) from exc
            except TelegramError as exc:
                if not transient(exc):
                    raise StartupError(
                        f"The Bot API at {config.api_url} refused getMe ({exc}): check "
                        "TELEGRAM_API_URL"
                    ) from exc
                error = exc
            pause = _retry_after(error) if isinstance(error, RetryAfter) else wait
            spent = time.monotonic() - started
            if spent + pause > config.connect_timeout:
                raise StartupError(
                    f"Cannot reach the Bot API at {config.api_url} ({error}); gave up after "
                    f"{attempt} tries in {spent:.0f} s: check the network and TELEGRAM_API_URL",
                    code=1,
                ) from error
            log.warning(
                "cannot reach the Bot API at %s (%s); try %d, next in %.0f s",
                config.api_url,
                error,
                attempt,
                pause,
            )
            await asyncio.sleep(pause)
            wait = min(wait * 2, LONGEST_RETRY)
    finally:
        await bot.shutdown()


def _retry_after(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that the number becomes a timedelta
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _refused(config: Config, exc: InvalidToken) -> StartupError:
    said = exc.__cause__ or "refused"  # exc's own message holds the whole token
    other = config.api_url != Config.api_url
    hint = " (or TELEGRAM_API_URL is not a Bot API server)" if other else ""
    return StartupError(
        f"Telegram refused the token {logs.masked(config.token)} ({said}): copy it again from "
        f"@BotFather (/mybots, API Token) into TELEGRAM_BOT_TOKEN{hint}"
    )


def serve(config: Config, library: Library, store: Store, me: User) -> None:
    from bot.telegram.app import ALLOWED_UPDATES, build_application

    application = build_application(config, library, store)
    courses = ", ".join(c.id for c in library.courses)
    mode = f"webhook {config.webhook_url}" if config.webhook_url else "long polling"
    where = config.db_path.resolve()
    log.info("starting @%s: courses %s, database %s, %s", me.username, courses, where, mode)
    try:
        if config.webhook_url is None:
            application.run_polling(
                timeout=config.poll_timeout, allowed_updates=ALLOWED_UPDATES, close_loop=False
            )
            return
        application.run_webhook(
            listen=config.listen,
            port=config.port,
            url_path=urlsplit(config.webhook_url).path or "/",
            webhook_url=config.webhook_url,
            secret_token=config.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=3,
            close_loop=False,
        )
    except InvalidToken as exc:
        raise _refused(config, exc) from exc
    except OSError as exc:
        listening = (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)
        if config.webhook_url is None or exc.errno not in listening:
            raise
        raise StartupError(
            f"Cannot listen on {config.listen}:{config.port} ({exc.strerror or exc}): set "
            "TUTOR_PORT to a free port, and TUTOR_LISTEN to an address of this machine"
        ) from exc
    except TelegramError as exc:
        code = 1 if transient(exc) else 2
        raise StartupError(f"Telegram refused to start the bot ({exc})", code) from exc

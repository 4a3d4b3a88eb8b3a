"""`python -m bot run`: start the bot, or say in one line why it cannot start."""

from __future__ import annotations

import logging
import sys

from telegram.error import InvalidToken, NetworkError

from bot.config import Config
from bot.content import ContentError
from bot.content.checks import load_checked

log = logging.getLogger("bot")


def run(config: Config) -> int:
    logging.basicConfig(
        level=config.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per heartbeat is noise
    # PTB logs a proxy's HTML error page as an ERROR with a traceback before raising it; the
    # limiter retries it and logs one WARNING line, so the traceback is only noise.
    logging.getLogger("telegram.request.BaseRequest").addFilter(
        lambda record: "invalid JSON data" not in record.getMessage()
    )
    try:
        library = load_checked(config.content_dir)
    except ContentError as exc:
        print("The lessons have problems; fix them and start again:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2

    from bot.store import Store
    from bot.telegram.app import ALLOWED_UPDATES, build_application  # Telegram only to run

    store = Store.open(config.db_path)
    application = build_application(config, library, store)
    courses = ", ".join(c.id for c in library.courses)
    log.info("starting: courses %s, database %s, api %s", courses, config.db_path, config.api_url)
    try:
        application.run_polling(
            timeout=config.poll_timeout,
            allowed_updates=ALLOWED_UPDATES,
            close_loop=False,
        )
    except InvalidToken:
        print(
            "Telegram refused the token: check TELEGRAM_BOT_TOKEN with @BotFather.", file=sys.stderr
        )
        return 2
    except NetworkError as exc:
        print(f"Cannot reach the Bot API at {config.api_url}: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    log.info("stopped cleanly")
    return 0

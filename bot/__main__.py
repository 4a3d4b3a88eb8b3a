"""`python -m bot`: run the tutor. `python -m bot validate [DIR]` checks lessons;
`python -m bot health` is the container's health check."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from telegram.error import InvalidToken, NetworkError

from bot.config import Config, ConfigError
from bot.content import ContentError
from bot.content.checks import load_checked

log = logging.getLogger("bot")

HEARTBEAT_STALE = 120


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot with long polling (the default)")
    check = sub.add_parser("validate", help="check every lesson file and report problems")
    check.add_argument("dir", nargs="?", type=Path, help="content folder (default TUTOR_CONTENT)")
    sub.add_parser("health", help="exit 0 if the running bot's heartbeat is fresh")
    play = sub.add_parser(
        "play",
        help="play a course in the terminal with the same engine",
        description="Play a course in the terminal: each prompt lists numbered choices; type a "
        "number. Input can be piped from a file. Progress goes to a throwaway database unless "
        "--db is given.",
    )
    play.add_argument("course", help="course id, e.g. neural-networks")
    play.add_argument("--step", type=int, help="play only this step (default: the whole course)")
    play.add_argument("--db", type=Path, help="SQLite file to keep progress in")
    play.add_argument("--content", type=Path, help="content folder (default TUTOR_CONTENT)")
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            return validate(args.dir or Config.from_env(need_token=False).content_dir)
        if args.command == "health":
            return health(Config.from_env(need_token=False))
        if args.command == "play":
            content = args.content or Config.from_env(need_token=False).content_dir
            return play_course(content, args.course, args.step, args.db)
        return run(Config.from_env())
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2


def validate(root: Path) -> int:
    try:
        library = load_checked(root)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found.", file=sys.stderr)
        return 1
    steps = sum(len(c.steps) for c in library.courses)
    print(f"{root}: {len(library.courses)} course(s), {steps} step(s), all valid.")
    return 0


def health(config: Config) -> int:
    from bot.telegram.app import heartbeat_path

    path = heartbeat_path(config)
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        print(f"unhealthy: no heartbeat at {path}", file=sys.stderr)
        return 1
    if age > HEARTBEAT_STALE:
        print(f"unhealthy: last heartbeat {age:.0f}s ago", file=sys.stderr)
        return 1
    print(f"healthy: heartbeat {age:.0f}s ago")
    return 0


def play_course(content: Path, course: str, step: int | None, db: Path | None) -> int:
    from bot import terminal

    try:
        library = load_checked(content)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    return terminal.run(library, course, step, db, sys.stdin, sys.stdout)


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


if __name__ == "__main__":
    sys.exit(main())

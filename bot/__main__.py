"""`python -m bot`: run the tutor, and the operator's and lesson author's tools."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import ENVIRONMENT, Config, ConfigError

# Each command imports what it needs when it runs: the health check, run by Docker every few
# seconds, starts in half the time without the lessons' schema (pydantic) loaded.

SETTINGS = {
    "run": list(ENVIRONMENT),
    "validate": ["TUTOR_CONTENT"],
    "health": ["TUTOR_DB", "TUTOR_POLL_TIMEOUT"],
    "play": ["TUTOR_CONTENT"],
    "stats": ["TUTOR_DB", "TUTOR_CONTENT"],
    "export": ["TUTOR_DB"],
    "backup": ["TUTOR_DB"],
    "draft": ["TUTOR_LLM_URL", "TUTOR_LLM_MODEL", "TUTOR_LLM_KEY", "TUTOR_LLM_TIMEOUT"],
}
"""The environment variables that matter to each command, as its --help lists them."""


def _settings(command: str) -> str:
    lines = [f"  {name:<22} {ENVIRONMENT[name]}" for name in SETTINGS[command]]
    return "environment:\n" + "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m bot",
        description="Tutor, a Telegram tutor bot. With no command, runs the bot.",
        epilog=_settings("run"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = top.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, about: str, description: str | None = None) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=about,
            description=description or about,
            epilog=_settings(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    command("run", "run the bot (long polling, or a webhook when TUTOR_WEBHOOK_URL is set)")
    check = command("validate", "check every lesson file and report problems as path:line")
    check.add_argument("dir", nargs="?", type=Path, help="content folder (default TUTOR_CONTENT)")
    command("health", "exit 0 if the running bot has reached Telegram lately (for Docker)")
    play = command(
        "play",
        "play a course in the terminal with the same engine",
        "Play a course in the terminal: each prompt lists numbered choices; type a number. "
        "Input can be piped from a file. Progress goes to a throwaway database unless --db is "
        "given.",
    )
    play.add_argument("course", help="course id, e.g. neural-networks")
    play.add_argument("--step", type=int, help="play only this step (default: the whole course)")
    play.add_argument("--db", type=Path, help="SQLite file to keep progress in")
    play.add_argument("--content", type=Path, help="content folder (default TUTOR_CONTENT)")
    command("stats", "how learners are doing: the figures /admin shows")
    export = command("export", "write everything kept about one learner as JSON to stdout")
    export.add_argument("user_id", type=int, help="the learner's Telegram user id")
    backup = command("backup", "copy the live database consistently (safe while the bot runs)")
    backup.add_argument("path", type=Path, help="the copy to write")
    written = command(
        "draft",
        "have a language model write a lesson on a topic, as files to review",
        "Have a language model write a lesson on a topic, through any OpenAI-compatible "
        "server (hosted, Ollama, vLLM, llama.cpp), checked by the same rules as the lessons. "
        "It writes DIR/course.yaml and DIR/step-N.yaml; DIR's name is the course id. Read it "
        "and run validate before it goes into the lessons folder.",
    )
    written.add_argument("topic", help='what the lesson teaches, e.g. "sourdough starters"')
    written.add_argument("--steps", type=int, default=1, help="how many steps (default 1)")
    written.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="the folder to write"
    )
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        match args.command:
            case "validate":
                return validate(args.dir or Config.from_env(need_token=False).content_dir)
            case "health":
                from bot.ops.health import health

                return health(Config.from_env(need_token=False))
            case "play":
                content = args.content or Config.from_env(need_token=False).content_dir
                return play_course(content, args.course, args.step, args.db)
            case "stats":
                from bot.ops import data

                return data.stats(Config.from_env(need_token=False))
            case "export":
                from bot.ops import data

                return data.export(Config.from_env(need_token=False), args.user_id)
            case "backup":
                from bot.ops import data

                return data.backup(Config.from_env(need_token=False), args.path)
            case "draft":
                from bot.llm.draft import draft

                return draft(args.topic, args.steps, args.out)
        from bot.ops.start import run

        return run(Config.from_env())
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2


def validate(root: Path) -> int:
    from bot.content import ContentError
    from bot.content.checks import load_checked

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


def play_course(content: Path, course: str, step: int | None, db: Path | None) -> int:
    from bot import terminal
    from bot.content import ContentError
    from bot.content.checks import load_checked

    try:
        library = load_checked(content)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    return terminal.run(library, course, step, db, sys.stdin, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())

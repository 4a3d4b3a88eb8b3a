"""The log an operator reads: one line per event, as text or JSON, with the token nowhere, a
transient Telegram error as one WARNING line, and a flood of forged taps held to a few lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from telegram.error import BadRequest, NetworkError

from bot.config import Config
from bot.ops import logs
from tests.fake_telegram import FakeTelegram
from tests.test_e2e_process import ADA, bot_env, run_bot, say, start_bot, stop_bot, tap

TOKEN = "123456:AAH-secret_part"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """`logs.setup` changes the root logger and two of the bot's: put them back after."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    watched = {
        name: list(logging.getLogger(name).filters) for name in ("bot.tutor", "bot.tutor.groups")
    }
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    for name, filters in watched.items():
        logging.getLogger(name).filters[:] = filters
    logging.captureWarnings(False)


def configured(**settings: str) -> tuple[io.StringIO, logging.Logger]:
    """`logs.setup` writing to a string; a logger of the bot's to write with."""
    stream = io.StringIO()
    logs.setup(Config(token=TOKEN, webhook_secret="hook-secret-42", **settings), stream)
    return stream, logging.getLogger("bot.test")


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_json_lines_carry_time_level_logger_message_and_the_extras(restore_logging: None) -> None:
    stream, log = configured(log_format="json")
    log.info("%s in chat %s: %s", "/start", 1001, "ok", extra={"chat_id": 1001, "latency_ms": 12})
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        log.exception("surprise")
    first, second = (json.loads(line) for line in lines(stream))
    assert first["message"] == "/start in chat 1001: ok" and first["level"] == "INFO"
    assert (first["logger"], first["chat_id"], first["latency_ms"]) == ("bot.test", 1001, 12)
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exception"]


def test_text_lines_are_time_level_logger_and_message(restore_logging: None) -> None:
    stream, log = configured()
    log.warning("careful")
    [line] = lines(stream)
    assert line.endswith(" WARNING bot.test: careful")


def test_the_token_and_the_webhook_secret_never_appear_wherever_they_hide(
    restore_logging: None,
) -> None:
    stream, log = configured(log_format="json", log_level="DEBUG")
    url = httpx.URL(f"https://api.telegram.org/bot{TOKEN}/getMe")
    logging.getLogger("httpx").info("HTTP Request: POST %s", url)
    log.info("encoded %s", TOKEN.replace(":", "%3A"), extra={"header": "hook-secret-42"})
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        log.debug("refused", exc_info=True, stack_info=True)
    text = stream.getvalue()
    assert "secret_part" not in text and "hook-secret-42" not in text
    assert "bot123456:…/getMe" in text and "encoded 123456:…" in text
    assert json.loads(lines(stream)[1])["header"] == "…"
    assert "The token `123456:…` was rejected" in json.loads(lines(stream)[2])["exception"]


def test_a_transient_telegram_error_a_library_logs_with_a_traceback_is_one_warning_line(
    restore_logging: None,
) -> None:
    stream, _ = configured()
    ptb = logging.getLogger("telegram.ext.Updater")
    for error in (NetworkError("httpx.ReadError: "), BadRequest("Chat not found")):
        try:
            raise error
        except NetworkError:
            ptb.exception("Exception happened while polling for updates.")
    calm, loud, *traceback = lines(stream)
    assert calm.endswith(
        " WARNING telegram.ext.Updater: Exception happened while polling for updates. "
        "(NetworkError: httpx.ReadError: )"
    )
    assert " ERROR " in loud and "Traceback" in traceback[0]  # a 400 is the bot's own mistake


def test_at_debug_a_transient_error_keeps_its_traceback(restore_logging: None) -> None:
    stream, _ = configured(log_level="DEBUG")
    try:
        raise NetworkError("httpx.ConnectError: refused")
    except NetworkError:
        logging.getLogger("telegram.ext.Updater").exception("polling failed")
    assert "Traceback" in stream.getvalue()


def test_a_flood_of_forged_taps_is_held_to_a_few_lines_a_minute_then_counted() -> None:
    now = [0.0]
    throttle = logs.Throttle(matching=logs.FORGED, limit=3, period=60, clock=lambda: now[0])
    log = logging.getLogger("tests.forged")
    log.propagate = False
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log.addHandler(handler)
    log.addFilter(throttle)
    try:
        for n in range(10):
            log.warning("tap %r from user %s names nothing live", f"x{n}", 7)
        log.warning("something else")  # other lines are never held
        now[0] = 61
        log.warning("tap 'y' from user 7 names nothing live")
    finally:
        log.removeHandler(handler)
        log.removeFilter(throttle)
    said = lines(stream)
    assert said[:4] == [
        "tap 'x0' from user 7 names nothing live",
        "tap 'x1' from user 7 names nothing live",
        "tap 'x2' from user 7 names nothing live",
        "something else",
    ]
    assert said[4:] == [
        f"7 more lines like {logs.FORGED!r} were not logged (at most 3 every 60 s)",
        "tap 'y' from user 7 names nothing live",
    ]


def test_set_up_holds_back_forged_taps_on_both_loggers_that_report_them(
    restore_logging: None,
) -> None:
    stream, _ = configured()
    for name in ("bot.tutor", "bot.tutor.groups"):
        for n in range(30):
            logging.getLogger(name).warning("tap %r from user 1 names nothing live", n)
    assert len(lines(stream)) == 40  # 20 a minute for each


def test_set_up_twice_still_writes_each_line_once(restore_logging: None) -> None:
    configured()
    stream, log = configured()
    log.warning("once")
    assert lines(stream) == [lines(stream)[0]] and lines(stream)[0].endswith("once")


# ------------------------------------------------------------------ the bot as a process


def test_each_update_handled_is_one_json_line_with_kind_chat_latency_and_outcome(
    tmp_path: Path,
) -> None:
    with FakeTelegram() as tg:
        tg.add_user(ADA, "Ada")
        bot = start_bot(bot_env(tg, tmp_path, LOG_FORMAT="json"))
        try:
            say(tg, "/start neural-networks", "How a neural network learns")
            tap(tg, "Step 4", "How a neural network learns · Step 4")  # intro and question 1
            say(tg, "hello", "")
            tg.tap(ADA, tg.last_message(ADA).message_id, "made-up", forge=True)
            tg.wait_for(lambda t: not t.unanswered_queries())
        finally:
            output = stop_bot(bot)
    lines = [json.loads(line) for line in output.splitlines()]  # every line is JSON
    handled = [line for line in lines if line["logger"] == "bot.telegram.handlers"]
    assert [(h["kind"], h["chat_id"], h["outcome"]) for h in handled] == [
        ("/start", ADA, "ok"),
        ("tap", ADA, "ok"),
        ("text", ADA, "ok"),
        ("tap", ADA, "forged"),
    ]
    assert all(isinstance(h["latency_ms"], int) and 0 <= h["latency_ms"] < 5000 for h in handled)
    assert handled[0]["message"] == f"/start in chat {ADA}: ok, {handled[0]['latency_ms']} ms"
    assert {"time", "level", "logger", "message"} <= lines[0].keys()


def test_the_token_appears_in_no_line_at_debug_even_when_telegram_refuses_it(
    tmp_path: Path,
) -> None:
    with FakeTelegram() as tg:
        tg.add_user(ADA, "Ada")
        bot = start_bot(bot_env(tg, tmp_path, LOG_LEVEL="DEBUG"))
        try:
            say(tg, "/help", "What I can do")
        finally:
            output = stop_bot(bot)
        refused = run_bot(bot_env(tg, tmp_path, LOG_LEVEL="DEBUG", TELEGRAM_BOT_TOKEN=TOKEN))
    secret = tg.token.split(":")[1]
    assert secret not in output
    assert f"/bot{tg.token.split(':')[0]}:…/getUpdates" in output  # httpx's request lines
    assert refused.returncode == 2 and "Traceback" in refused.stderr  # DEBUG shows it
    assert "secret_part" not in refused.stdout + refused.stderr
    assert "The token `123456:…` was rejected" in refused.stderr

"""Webhook mode, with the bot as a real process: Telegram (the fake) POSTs each update to
TUTOR_WEBHOOK_URL with the secret token; the bot stores it before answering 200 and handles it
as in polling mode. A request without the secret, or with a wrong one, gets 403 and changes
nothing. Health in webhook mode follows the check that the webhook is still set."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

from bot.telegram.app import ALLOWED_UPDATES
from tests.fake_telegram import FakeTelegram
from tests.test_e2e_process import bot_env, run_bot, start_bot, stop_bot
from tests.test_health import LIMIT, healthy, within

ADA = 1001
PUBLIC = "https://bot.example/tg"
SECRET = "s3cret-Token_42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webhook_env(tg: FakeTelegram, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The bot listening on 127.0.0.1:<free port>; the fake told that the public URL is it."""
    port = free_port()
    tg.route_webhook(PUBLIC, f"http://127.0.0.1:{port}/tg")
    env = bot_env(tg, tmp_path, TUTOR_WEBHOOK_URL=PUBLIC, TUTOR_WEBHOOK_SECRET=SECRET)
    return env | {"TUTOR_LISTEN": "127.0.0.1", "TUTOR_PORT": str(port)} | extra


def rows(tmp_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "data" / "tutor.db") as db:
        return db.execute(sql).fetchall()


def a_start_from(user_id: int, update_id: int) -> dict:
    """An update as Telegram would send it: Ada's /start."""
    user = {"id": user_id, "is_bot": False, "first_name": "Eve"}
    message = {"message_id": 1, "date": 0, "chat": {"id": user_id, "type": "private"}}
    message |= {"from": user, "text": "/start"}
    message["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]
    return {"update_id": update_id, "message": message}


def test_updates_posted_to_the_webhook_are_handled(tmp_path: Path) -> None:
    with FakeTelegram() as tg:
        tg.add_user(ADA, "Ada")
        env = webhook_env(tg, tmp_path)
        bot = start_bot(env)
        try:
            tg.wait_for(lambda t: t.webhook, 15)
            tg.send_text(ADA, "/start")
            tg.wait_for_message(ADA, "Hi Ada!", timeout=10)
            tg.send_text(ADA, "/help")
            tg.wait_for_message(ADA, "What I can do", timeout=10)
            assert healthy(env)
        finally:
            output = stop_bot(bot)
        assert tg.webhook == {
            "url": PUBLIC,
            "secret_token": SECRET,
            "max_connections": 40,
            "allowed_updates": ALLOWED_UPDATES,
        }
        assert [status for _, status in tg.webhook_deliveries] == [200, 200]
        assert tg.calls_to("getUpdates") == [] and tg.refusals == [], tg.dump()
    assert f"webhook {PUBLIC}" in output
    assert rows(tmp_path, "select count(*) from updates where handled_at is null") == [(0,)]


def test_a_post_without_the_secret_or_with_a_wrong_one_gets_403_and_changes_nothing(
    tmp_path: Path,
) -> None:
    with FakeTelegram() as tg:
        tg.add_user(666, "Eve")
        tg.add_user(667, "Eve")
        env = webhook_env(tg, tmp_path)
        bot = start_bot(env)
        try:
            tg.wait_for(lambda t: t.webhook, 15)
            within(10, lambda: healthy(env))
            forged = a_start_from(666, 900_001)
            assert tg.post_webhook(forged, secret=None) == 403
            assert tg.post_webhook(forged, secret="s3cret-token_42") == 403  # one letter off
            assert tg.post_webhook(forged, secret=SECRET[:-1]) == 403
            assert rows(tmp_path, "select count(*) from updates") == [(0,)]
            assert rows(tmp_path, "select count(*) from learners") == [(0,)]
            assert tg.chat_messages(666) == []
            assert tg.post_webhook(a_start_from(667, 900_002)) == 200  # the secret: let in
            # Stored before the 200, not after: Telegram forgets an update once answered.
            assert rows(tmp_path, "select update_id from updates") == [(900_002,)]
            tg.wait_for_message(667, "Hi Eve!", timeout=10)
        finally:
            stop_bot(bot)
        assert tg.refusals == [], tg.dump()


def test_health_in_webhook_mode_follows_the_webhook_check(tmp_path: Path) -> None:
    """No update may come for hours: every TUTOR_POLL_TIMEOUT seconds the bot asks Telegram
    whether the webhook is still set (getWebhookInfo), and only a yes keeps it healthy."""
    with FakeTelegram() as tg:
        env = webhook_env(tg, tmp_path)
        bot = start_bot(env)
        try:
            within(10, lambda: healthy(env))
            tg.reset_next("getWebhookInfo", times=100_000)
            within(LIMIT + 10, lambda: not healthy(env))
            tg.clear_faults()
            within(20, lambda: healthy(env))
        finally:
            output = stop_bot(bot)
    assert "cannot check the webhook" in output


def test_a_webhook_port_already_taken_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    with FakeTelegram() as tg, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_bot(webhook_env(tg, tmp_path, TUTOR_PORT=str(port)))
    output = result.stdout + result.stderr
    assert result.returncode == 2 and "Traceback" not in output, output
    [line] = [line for line in output.splitlines() if " ERROR " in line]
    assert f"Cannot listen on 127.0.0.1:{port} (Address already in use)" in line
    assert "TUTOR_PORT" in line

"""`python -m bot health` means "serving": the bot running now heard from Telegram within three
long polls. A fresh start is healthy within seconds; a bot whose getUpdates keeps failing is not,
until Telegram answers again; a heartbeat file left by an earlier process never counts."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.ops.health import Heartbeat, stale_after
from tests.conftest import ROOT
from tests.fake_telegram import FakeTelegram
from tests.test_e2e_process import bot_env, run_bot, start_bot, stop_bot

LIMIT = stale_after(1)  # the tests poll every second: TUTOR_POLL_TIMEOUT=1


def healthy(env: dict[str, str]) -> bool:
    return run_bot(env, "health").returncode == 0


def within(seconds: float, condition: Callable[[], bool]) -> float:
    """Wait until `condition()` holds; how long it took."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.2)
    return time.monotonic() - started


def test_a_fresh_start_is_healthy_within_seconds(tmp_path: Path) -> None:
    with FakeTelegram() as tg:
        env = bot_env(tg, tmp_path)
        bot = start_bot(env)
        try:
            within(10, lambda: healthy(env))  # the first heartbeat does not wait for a job
        finally:
            stop_bot(bot)


def test_no_heartbeat_or_one_an_older_version_left_is_unhealthy(tmp_path: Path) -> None:
    env = bot_env(None, tmp_path)
    result = run_bot(env, "health")
    assert result.returncode == 1 and "no heartbeat" in result.stderr
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "heartbeat").touch()  # what the bot touched before it named itself
    result = run_bot(env, "health")
    assert result.returncode == 1 and "unhealthy" in result.stderr


def test_a_heartbeat_left_by_a_process_that_stopped_is_unhealthy(tmp_path: Path) -> None:
    """Written a moment ago, by a process gone since: a crash, or an old container's bot (pid 1
    too) on the same volume."""
    beat = tmp_path / "data" / "heartbeat"
    beat.parent.mkdir()
    write = "import sys; from pathlib import Path; from bot.ops.health import Heartbeat; "
    write += "Heartbeat(Path(sys.argv[1])).beat()"
    subprocess.run([sys.executable, "-c", write, str(beat)], cwd=ROOT, check=True, timeout=30)
    result = run_bot(bot_env(None, tmp_path), "health")
    assert result.returncode == 1 and "which has stopped" in result.stderr, result.stderr


def test_a_live_processs_heartbeat_is_healthy_until_three_polls_old(tmp_path: Path) -> None:
    beat = tmp_path / "data" / "heartbeat"
    beat.parent.mkdir()
    env = bot_env(None, tmp_path)
    Heartbeat(beat, clock=lambda: time.time() - (LIMIT - 3)).beat()  # this process is alive
    assert healthy(env)
    Heartbeat(beat, clock=lambda: time.time() - (LIMIT + 1)).beat()
    result = run_bot(env, "health")
    assert result.returncode == 1 and "no word from Telegram for" in result.stderr


def test_a_bot_stopped_is_unhealthy_at_once(tmp_path: Path) -> None:
    with FakeTelegram() as tg:
        env = bot_env(tg, tmp_path)
        bot = start_bot(env)
        try:
            within(10, lambda: healthy(env))
        finally:
            stop_bot(bot)
        assert not healthy(env)  # the file is a second old, but its writer is gone


def test_health_fails_while_get_updates_fails_and_comes_back_with_it(tmp_path: Path) -> None:
    """Every other call still succeeds: only getUpdates proves the bot is being reached. Each
    failure is one WARNING line, never a traceback."""
    with FakeTelegram() as tg:
        tg.add_user(1001, "Ada")
        env = bot_env(tg, tmp_path)
        bot = start_bot(env)
        try:
            within(10, lambda: healthy(env))
            tg.reset_next("getUpdates", times=100_000)
            failing = within(LIMIT + 8, lambda: not healthy(env))
            assert failing > LIMIT - 3, failing  # not before the limit: a lost poll is normal
            time.sleep(1.5)  # the bot looks every second (TUTOR_POLL_TIMEOUT): it says so too
            tg.clear_faults()
            within(20, lambda: healthy(env))
            time.sleep(1.5)
            tg.send_text(1001, "/help")
            tg.wait_for_message(1001, "What I can do", timeout=10)
        finally:
            output = stop_bot(bot)
    failed = [line for line in output.splitlines() if "getUpdates failed" in line]
    assert failed and all(" WARNING " in line for line in failed), output
    assert "no word from Telegram for" in output and "Telegram answers again" in output

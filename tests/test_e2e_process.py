"""`python -m bot` as an operator runs it: start-up errors are one clear line, SIGTERM stops it
cleanly, and `kill -9` in the middle of a lesson loses nothing the learner was told."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import CONTENT, ROOT
from tests.fake_telegram import FakeTelegram

ADA = 1001


def bot_env(tg: FakeTelegram | None, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TUTOR_"))}
    env |= {"TUTOR_DB": str(tmp_path / "data" / "tutor.db"), "TUTOR_CONTENT": str(CONTENT)}
    env |= {"TUTOR_POLL_TIMEOUT": "1", "LOG_LEVEL": "INFO"}
    if tg is not None:
        env |= {"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.api_url}
    return env | extra


def start_bot(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_bot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def settled(tg: FakeTelegram) -> None:
    """Wait until the bot process has taken every update and gone quiet."""
    tg.wait_for(lambda t: t.pending_updates() == 0 and not t.unanswered_queries(), 15)
    quiet_since, count = time.monotonic(), len(tg.calls)
    while time.monotonic() - quiet_since < 0.3:
        time.sleep(0.02)
        if len([c for c in tg.calls if c.method != "getUpdates"]) != count:
            count = len([c for c in tg.calls if c.method != "getUpdates"])
            quiet_since = time.monotonic()


def tap(tg: FakeTelegram, label: str) -> None:
    tg.tap_button(ADA, None, label)
    settled(tg)


def test_a_missing_token_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    result = run_bot(bot_env(None, tmp_path))
    assert result.returncode == 2
    assert "@BotFather" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_malformed_lesson_stops_start_up_with_path_line_and_field(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    step4 = content / "neural-networks" / "step-4.yaml"
    step4.write_text(step4.read_text().replace("verdict: Close", "verdict: Maybe", 1))
    env = bot_env(None, tmp_path, TELEGRAM_BOT_TOKEN="1:x", TUTOR_CONTENT=str(content))
    result = run_bot(env)
    assert result.returncode == 2
    assert f"{step4}:" in result.stderr and "questions[0].options[2].verdict" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_kill_9_mid_lesson_loses_nothing_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    with FakeTelegram() as tg:
        tg.add_user(ADA, "Ada")
        env = bot_env(tg, tmp_path)
        first = start_bot(env)
        try:
            tg.send_text(ADA, "/start neural-networks")
            tg.wait_for_message(ADA, "Step 4", timeout=20)
            tap(tg, "Step 4")
            tap(tg, "A")  # Not quite, with another way to see it
            told = [m.text for m in tg.chat_messages(ADA)]
            assert told[-1].startswith("Another way to see it")
        finally:
            first.kill()  # SIGKILL: no chance to clean up
            first.wait(10)

        second = start_bot(env)
        try:
            tg.send_text(ADA, "/continue")
            settled(tg)
            resumed = tg.last_message(ADA)
            assert resumed.text.startswith("❌ Not quite"), tg.transcript(ADA)
            tap(tg, "Next question")
            assert tg.last_message(ADA).text.startswith("Question 2 of 3")
            tap(tg, "A")
            assert tg.last_message(ADA).text.startswith("✅ Exactly")
        finally:
            started = time.monotonic()
            second.send_signal(signal.SIGTERM)
            output, _ = second.communicate(timeout=20)
            stop_seconds = time.monotonic() - started
        assert second.returncode == 0, output
        assert stop_seconds < 5, stop_seconds
        assert "Traceback" not in output and "ERROR" not in output, output
        assert tg.refusals == [], tg.dump()


def test_health_reflects_the_heartbeat(tmp_path: Path) -> None:
    env = bot_env(None, tmp_path)
    assert run_bot(env, "health").returncode == 1
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "heartbeat").touch()
    assert run_bot(env, "health").returncode == 0

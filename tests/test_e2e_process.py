"""`python -m bot` as an operator runs it: start-up errors are one clear line, SIGTERM stops it
cleanly, and `kill -9` in the middle of a lesson loses nothing the learner was told."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
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


def stop_bot(bot: subprocess.Popen[str], *, clean: bool = True) -> str:
    """SIGTERM, as `docker stop`; the bot's output. A clean stop is exit code 0 with no
    traceback and no ERROR line, in text or JSON."""
    bot.send_signal(signal.SIGTERM)
    output, _ = bot.communicate(timeout=20)
    if clean:
        assert bot.returncode == 0, output
        assert "Traceback" not in output, output
        assert " ERROR " not in output and '"level": "ERROR"' not in output, output
    return output


def run_bot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def step(tg: FakeTelegram, act, expect: str) -> None:
    """Do something as Ada, then wait for the bot's reply that starts with `expect`."""
    newest = max((m.message_id for m in tg.chat_messages(ADA)), default=0)
    act()
    tg.wait_for(
        lambda t: any(
            m.message_id > newest and m.text.startswith(expect)
            for m in t.chat_messages(ADA, include_deleted=False)
        ),
        20,
    )


def tap(tg: FakeTelegram, label: str, expect: str) -> None:
    step(tg, lambda: tg.tap_button(ADA, None, label), expect)


def say(tg: FakeTelegram, text: str, expect: str) -> None:
    step(tg, lambda: tg.send_text(ADA, text), expect)


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
            say(tg, "/start neural-networks", "How a neural network learns")
            tap(tg, "Step 4", "How a neural network learns · Step 4 of 4")  # with question 1
            tap(tg, "A", "Another way to see it")  # Not quite: the other angle, a second try
            second_try = tg.last_message(ADA)
            assert "\n\nQuestion 1 of 3\n\n" in second_try.text
        finally:
            first.kill()  # SIGKILL: no chance to clean up
            first.wait(10)

        second = start_bot(env)
        try:
            say(tg, "/continue", "Question 1 of 3")  # exactly where Ada was
            resumed = tg.last_message(ADA)
            question = second_try.text[second_try.text.index("Question 1 of 3") :]
            assert (resumed.text, resumed.buttons) == (question, second_try.buttons)
            right = next(
                line.split("  ", 1)[0]
                for line in resumed.text.splitlines()
                if line.endswith("Against the gradient (the opposite direction)")
            )
            tap(tg, right, "That's it — the second angle did it.")
            assert "\n\nQuestion 2 of 3\n\n" in tg.last_message(ADA).text  # and on, at once
            answered = next(m for m in tg.chat_messages(ADA) if m.message_id == resumed.message_id)
            assert "You said: Against the gradient" in answered.text
        finally:
            started = time.monotonic()
            second.send_signal(signal.SIGTERM)
            output, _ = second.communicate(timeout=20)
            stop_seconds = time.monotonic() - started
        assert second.returncode == 0, output
        assert stop_seconds < 5, stop_seconds
        assert "Traceback" not in output and "ERROR" not in output, output
        assert tg.refusals == [], tg.dump()


def test_kill_9_loses_no_tap_and_repeats_none(tmp_path: Path) -> None:
    """The answer is saved and its feedback (the edit of the question) is stuck in a hanging
    editMessageText, the next question queued behind it; a /continue is received and confirmed
    to Telegram, waiting its turn. kill -9. After the restart the feedback and the next
    question arrive (from the outbox), once each, and /continue is handled (from the inbox);
    the answer is saved once. Before the outbox and inbox, all of it was lost."""
    with FakeTelegram() as tg:
        tg.add_user(ADA, "Ada")
        env = bot_env(tg, tmp_path)
        first = start_bot(env)
        try:
            say(tg, "/start neural-networks", "How a neural network learns")
            tap(tg, "Step 4", "How a neural network learns · Step 4 of 4")
            question = tg.last_message(ADA)
            tg.hang_next("editMessageText", 60, times=5)  # the feedback never gets through
            tg.tap_button(ADA, question.message_id, "B")
            tg.wait_for(lambda t: t.injected["hang"] >= 1)  # answered, its edit under way
            tg.send_text(ADA, "/continue")
            tg.wait_for(lambda t: t.pending_updates() == 0)  # confirmed to Telegram
        finally:
            first.kill()
            first.wait(10)
        assert not any("✅ Exactly" in t for t in tg.sent_texts(ADA))
        assert not any("Question 2 of 3" in t for t in tg.sent_texts(ADA))
        tg.clear_faults()

        second = start_bot(env)
        try:
            tg.wait_for(lambda t: sum("Question 2 of 3" in s for s in t.sent_texts(ADA)) == 2, 20)
            tap(tg, "A", "Now put the whole loop together")  # question 2, on the /continue copy
        finally:
            second.send_signal(signal.SIGTERM)
            output, _ = second.communicate(timeout=20)
        assert "Traceback" not in output and "ERROR" not in output, output
        texts = tg.sent_texts(ADA)
        answered = next(m for m in tg.chat_messages(ADA) if m.message_id == question.message_id)
        assert answered.edited == 1 and "You said: Against the gradient" in answered.text
        assert sum("✅ Exactly" in t for t in texts) == 2  # question 1 answered, then question 2
        bridge = "So the step is a subtraction."
        assert sum(t.startswith(bridge) for t in texts) == 1  # the next question, sent once
        assert sum(t.startswith("Question 2 of 3") for t in texts) == 1  # /continue's
        with sqlite3.connect(tmp_path / "data" / "tutor.db") as db:
            assert db.execute("select count(*) from answers").fetchone() == (2,)
            assert db.execute("select count(*) from outbox").fetchone() == (0,)
            unhandled = db.execute("select count(*) from updates where handled_at is null")
            assert unhandled.fetchone() == (0,)
        assert tg.refusals == [], tg.dump()


def test_a_proxys_html_error_page_is_one_warning_line_not_a_traceback(tmp_path: Path) -> None:
    with FakeTelegram() as tg:
        tg.add_user(ADA, "Ada")
        bot = start_bot(bot_env(tg, tmp_path))
        try:
            say(tg, "/help", "What I can do")
            tg.fail_next("sendMessage", 502, html=True)
            say(tg, "/courses", "Courses")
        finally:
            bot.send_signal(signal.SIGTERM)
            output, _ = bot.communicate(timeout=20)
        assert "Traceback" not in output and "invalid JSON" not in output, output
        assert "sendMessage failed (Bad Gateway" in output

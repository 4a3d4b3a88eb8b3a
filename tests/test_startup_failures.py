"""Every start-up failure is one clear line with its fix, as an operator sees it from
`python -m bot`: exit code 2 for what a setting or a file must fix, 1 for a Bot API that could
not be reached in TUTOR_CONNECT_TIMEOUT seconds. No traceback, and never the token."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fake_telegram import FakeTelegram
from tests.test_e2e_process import bot_env, run_bot, start_bot, stop_bot

SECRET_PART = "TEST-TOKEN"
"""The secret half of the fake's token (123456:TEST-TOKEN): it must appear nowhere."""


def errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if " ERROR " in line]


def one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The run failed with `code` and said why in exactly one ERROR line, which is returned."""
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output and SECRET_PART not in output, output
    [line] = errors(output)
    return line


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_token_telegram_refuses_is_one_line_with_the_bot_id_only(tmp_path: Path) -> None:
    with FakeTelegram() as tg:
        env = bot_env(tg, tmp_path, TELEGRAM_BOT_TOKEN="123456:NOT-THE-TOKEN")
        line = one_line(run_bot(env), 2)
    assert "Telegram refused the token 123456:… (Unauthorized)" in line
    assert "@BotFather" in line and "NOT-THE-TOKEN" not in line


def test_an_unreachable_bot_api_is_retried_a_warning_a_try_then_exit_code_1(
    tmp_path: Path,
) -> None:
    api = f"http://127.0.0.1:{closed_port()}"
    env = bot_env(None, tmp_path, TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN")
    env |= {"TELEGRAM_API_URL": api, "TUTOR_CONNECT_TIMEOUT": "4"}  # tries at 0, 1 and 3 s
    started = time.monotonic()
    result = run_bot(env)
    took = time.monotonic() - started
    line = one_line(result, 1)
    assert f"Cannot reach the Bot API at {api}" in line and "gave up after 3 tries" in line
    warnings = [line for line in result.stderr.splitlines() if " WARNING " in line]
    assert len(warnings) == 2, result.stderr
    assert "cannot reach the Bot API" in warnings[0] and "try 1, next in 1 s" in warnings[0]
    assert "try 2, next in 2 s" in warnings[1]
    assert 3 <= took < 10, took


def test_a_bot_api_that_answers_during_the_retries_is_used(tmp_path: Path) -> None:
    with FakeTelegram() as tg:
        tg.fail_next("getMe", 502, times=2)  # a proxy in front of Telegram, for a moment
        bot = start_bot(bot_env(tg, tmp_path, TUTOR_CONNECT_TIMEOUT="30"))
        try:
            tg.wait_for(lambda t: t.calls_to("getUpdates"), 15)
        finally:
            output = stop_bot(bot)
    assert output.count("cannot reach the Bot API") == 2, output


def test_a_database_folder_that_is_a_file_names_the_path_and_the_user(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    line = one_line(run_bot(bot_env(None, tmp_path, TELEGRAM_BOT_TOKEN="1:x")), 2)
    assert f"Cannot open or create the database {tmp_path / 'data' / 'tutor.db'}" in line
    assert f"uid {os.getuid()}" in line and f"write the folder {tmp_path / 'data'}" in line


def test_a_database_folder_the_bot_cannot_write_names_the_user_and_the_fix(
    tmp_path: Path,
) -> None:
    """As the container's uid 10001 on a volume root owns. Root writes anywhere, so as root the
    bot runs without the capability that lets it ignore a folder's permissions."""
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o555)
    command = [sys.executable, "-m", "bot"]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("as root, this needs setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    env = bot_env(None, tmp_path, TELEGRAM_BOT_TOKEN="1:x")
    try:
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
        )
    finally:
        data.chmod(0o755)
    line = one_line(result, 2)
    assert f"{data / 'tutor.db'} (Permission denied)" in line, line
    assert f"the bot runs as uid {os.getuid()}" in line and f"chown -R {os.getuid()} {data}" in line


def test_a_database_that_is_not_sqlite_is_one_line_and_kept(tmp_path: Path) -> None:
    db = tmp_path / "data" / "tutor.db"
    db.parent.mkdir()
    db.write_text("these are someone's notes, not a database\n" * 100)
    line = one_line(run_bot(bot_env(None, tmp_path, TELEGRAM_BOT_TOKEN="1:x")), 2)
    assert f"The database {db} is not a usable SQLite database (file is not a database)" in line
    assert "restore it from a backup" in line
    assert db.read_text().startswith("these are someone's notes")  # nothing was overwritten


def test_a_database_another_process_holds_locked_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "data" / "tutor.db"
    db.parent.mkdir()
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("begin exclusive")
        env = bot_env(None, tmp_path, TELEGRAM_BOT_TOKEN="1:x")
        line = one_line(run_bot(env), 2)
    finally:
        holder.close()
    assert f"The database {db} is locked" in line and "another bot" in line


def test_a_missing_content_folder_names_the_resolved_path_and_tutor_content(
    tmp_path: Path,
) -> None:
    env = bot_env(None, tmp_path, TELEGRAM_BOT_TOKEN="1:x", TUTOR_CONTENT="lessons-typo")
    line = one_line(run_bot(env), 2)
    assert f"No lessons folder at {ROOT / 'lessons-typo'} (TUTOR_CONTENT=lessons-typo)" in line
    assert not (tmp_path / "data").exists()  # checked before the database is made

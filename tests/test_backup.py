"""`python -m bot backup PATH` copies the live database while learners tap, and the database is
nobody else's to read: its folder is created 0700, the file and its -wal and -shm 0600, and a
backup 0600 too."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.config import Config
from bot.content import Library
from bot.core.model import Learner
from bot.ops import data
from bot.store import Store
from bot.tutor import Tutor
from tests.conftest import NOW, ROOT
from tests.scripted import Clock, step_4


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def umask(value: int) -> Iterator[None]:
    """The usual server umask (0022: files world-readable by default) while the test runs."""
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def answer_ids(path: Path) -> set[int]:
    store = Store.open(path)
    try:
        return {row[0] for row in store.db.execute("select id from answers")}
    finally:
        store.close()


class Tapping:
    """Learners tapping in a thread of their own, with its own connection, as the running bot
    would while an operator takes a backup: each round, eight new learners open step 4 and
    answer its first question."""

    def __init__(self, library: Library, path: Path):
        self.library, self.path = library, path
        self.stop, self.rounds, self.errors = threading.Event(), 0, []
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        store = Store.open(self.path)
        tutor = Tutor(self.library, store, Clock(NOW))
        try:
            while not self.stop.is_set():
                for i in range(8):
                    who = 7000 + 8 * self.rounds + i
                    step_4(tutor, Learner(who, who), "=a")
                self.rounds += 1
        except Exception as exc:  # a failure in the thread must fail the test
            self.errors.append(exc)
        finally:
            store.close()


def earlier(path: Path, answers: int) -> None:
    """Answers from before, so that the copy takes a while (tens of milliseconds)."""
    store = Store.open(path)
    row = (1, 1, "neural-networks", 4, "which-way", "b", "Exactly", "2026-11-01T00:00:00.000+00:00")
    with store.transaction():
        store.db.conn.executemany(
            "insert into answers (user_id, chat_id, course_id, step, question_id, option_id, "
            "verdict, answered_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [row] * answers,
        )
    store.close()


def test_a_backup_taken_while_learners_tap_holds_every_answer_committed_before_it(
    library: Library, tmp_path: Path
) -> None:
    live, copy = tmp_path / "tutor.db", tmp_path / "backup.db"
    earlier(live, 100_000)
    tapping = Tapping(library, live)
    tapping.thread.start()
    try:
        while tapping.rounds < 3 and tapping.thread.is_alive():
            threading.Event().wait(0.01)
        committed = answer_ids(live)
        rounds_at_backup = tapping.rounds
        assert data.backup(Config(token="", db_path=live), copy) == 0
        while tapping.rounds < rounds_at_backup + 2 and tapping.thread.is_alive():
            threading.Event().wait(0.01)  # the tapping went on after the backup
    finally:
        tapping.stop.set()
        tapping.thread.join()
    assert tapping.errors == []
    restored = Store.open(copy)
    try:
        assert restored.db.execute("pragma integrity_check").fetchone()[0] == "ok"
        in_copy = {row[0] for row in restored.db.execute("select id from answers")}
    finally:
        restored.close()
    assert committed <= in_copy, "an answer committed before the backup is missing"
    assert in_copy < answer_ids(live), "the backup began after the tapping had stopped"


def test_backup_says_where_and_how_big(fresh_store: Store, tmp_path: Path, capsys) -> None:
    copy = tmp_path / "copies" / "one.db"
    assert data.backup(Config(token="", db_path=tmp_path / "tutor.db"), copy) == 0
    size = copy.stat().st_size
    line = (
        f"Backed up {tmp_path / 'tutor.db'} to {copy}: {size:,} bytes ({size / 2**20:.1f} MiB).\n"
    )
    assert capsys.readouterr().out == line
    assert mode(copy) == 0o600 and mode(copy.parent) == 0o700


def test_backup_never_overwrites_a_file(fresh_store: Store, tmp_path: Path) -> None:
    there = tmp_path / "there.db"
    there.write_text("precious")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "backup", str(there)],
        cwd=ROOT, env={"TUTOR_DB": str(tmp_path / "tutor.db")}, capture_output=True, text=True,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"{there} exists; not overwriting it. Choose a new name.\n"
    assert there.read_text() == "precious"


def test_backup_without_a_database_says_so(tmp_path: Path, capsys) -> None:
    config = Config(token="", db_path=tmp_path / "nothing.db")
    assert data.backup(config, tmp_path / "copy.db") == 1
    assert capsys.readouterr().err == f"No database at {tmp_path / 'nothing.db'} (TUTOR_DB).\n"
    assert not (tmp_path / "copy.db").exists() and not (tmp_path / "nothing.db").exists()


def test_a_new_database_is_readable_by_the_bot_s_user_only(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    with umask(0o022):
        store = Store.open(folder / "tutor.db")
        try:
            with store.transaction():  # a write, so the -wal and -shm files exist
                store.people.set_active(1, True, NOW)
            files = sorted(p.name for p in folder.iterdir())
            assert files == ["tutor.db", "tutor.db-shm", "tutor.db-wal"]
            assert {name: mode(folder / name) for name in files} == dict.fromkeys(files, 0o600)
            assert mode(folder) == 0o700
        finally:
            store.close()


@pytest.mark.parametrize("existing", [0o755, 0o750])
def test_an_existing_folder_keeps_its_permissions(tmp_path: Path, existing: int) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=existing)
    folder.chmod(existing)  # whatever the umask made of it
    with umask(0o022):
        Store.open(folder / "tutor.db").close()
    assert mode(folder) == existing  # the operator's choice (a volume, a shared group)
    assert mode(folder / "tutor.db") == 0o600

"""`python -m bot stats`, `export USER_ID` and `backup PATH`: the operator's view of the data,
safe to run while the bot runs (SQLite in WAL mode lets them read while it writes).

Each returns an exit code and says what went wrong in one line on stderr; none creates a
database where there was none (a mistyped TUTOR_DB would otherwise look like an empty bot).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config
from bot.content import ContentError
from bot.content.checks import load_checked
from bot.store import Store, private_file
from bot.store.migrations import stamp
from bot.views import admin as views
from bot.views.message import plain


def stats(config: Config, now: datetime | None = None) -> int:
    """The figures /admin shows, as plain text (at `now`, the present if not given)."""
    try:
        library = load_checked(config.content_dir)
    except ContentError as exc:
        problems = len(exc.problems)
        print(f"The lessons have {problems} problem(s): python -m bot validate", file=sys.stderr)
        return 2
    store = _existing(config.db_path)
    if store is None:
        return 1
    try:
        figures = store.stats.figures(now or datetime.now(UTC))
    finally:
        store.close()
    print(plain(views.figures(library, figures).text))
    return 0


def export(config: Config, user_id: int) -> int:
    """Everything kept about one learner, as JSON: what /forget would delete."""
    store = _existing(config.db_path)
    if store is None:
        return 1
    try:
        with store.transaction():
            tables = store.privacy.export(user_id)
    finally:
        store.close()
    if not any(tables.values()):
        print(f"No learner with user id {user_id} in {config.db_path}.", file=sys.stderr)
        return 1
    data = {"user_id": user_id, "exported_at": stamp(datetime.now(UTC)), **tables}
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


def backup(config: Config, path: Path) -> int:
    """A consistent copy of the live database, made with SQLite's online backup API in one
    step: it reads one snapshot while the bot goes on writing (WAL), so the copy holds every
    transaction committed before it began and none half-done. The copy is created readable by
    this user only (0600), and an existing file is never overwritten."""
    if not config.db_path.is_file():
        print(f"No database at {config.db_path} (TUTOR_DB).", file=sys.stderr)
        return 1
    try:
        if not private_file(path):
            print(f"{path} exists; not overwriting it. Choose a new name.", file=sys.stderr)
            return 1
    except OSError as exc:
        print(f"Cannot create {path}: {exc.strerror}.", file=sys.stderr)
        return 1
    source = sqlite3.connect(config.db_path)
    copy = sqlite3.connect(path)
    try:
        source.execute("PRAGMA busy_timeout = 5000")
        source.backup(copy)
    except sqlite3.Error as exc:
        copy.close()
        path.unlink(missing_ok=True)
        print(f"Backup failed: {exc}.", file=sys.stderr)
        return 1
    finally:
        source.close()
        copy.close()
    size = path.stat().st_size
    print(f"Backed up {config.db_path} to {path}: {size:,} bytes ({size / 2**20:.1f} MiB).")
    return 0


def _existing(db_path: Path) -> Store | None:
    if not db_path.is_file():
        print(f"No database at {db_path} (TUTOR_DB).", file=sys.stderr)
        return None
    return Store.open(db_path)

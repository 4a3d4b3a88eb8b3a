"""`python -m bot health`: the container's health check, and the heartbeat file it reads.

Healthy means serving: the bot that runs now has heard from Telegram lately. The bot writes the
heartbeat (`Heartbeat.beat`) when Telegram answers what proves it is serving: `getMe` at
start-up, every `getUpdates` in polling mode; in webhook mode, `setWebhook`, every update
Telegram posts, and the check every TUTOR_POLL_TIMEOUT seconds that the webhook is still set.
The file names the process that wrote it (pid, boot, when the process started), so a file left
by an earlier process (a crash, an old container on the same volume) is never taken for a live
bot's. This module imports nothing of Telegram: the check must start fast.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Config

log = logging.getLogger(__name__)

HEARTBEAT = "heartbeat"
"""The file's name, next to the database."""


def heartbeat_path(config: Config) -> Path:
    return config.db_path.parent / HEARTBEAT


def stale_after(poll_timeout: int) -> float:
    """Seconds without a word from Telegram before the bot is unhealthy: three long polls (each
    answers within TUTOR_POLL_TIMEOUT), and five seconds for the network."""
    return 3 * poll_timeout + 5


def process_identity(pid: int) -> str | None:
    """What tells a process from a later one with the same pid (pid 1 in every container): the
    boot and the moment it started, from Linux's /proc. None without /proc, or no such process."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 2, the command name, may hold spaces and parentheses: count from the last ")".
    # The fields after it start at field 3; field 22 is the start time, in ticks since boot.
    return f"{boot}/{stat.rsplit(')', 1)[1].split()[19]}"


def same_process(pid: int, identity: str | None) -> bool:
    """Whether the process that wrote a heartbeat is the one running with its pid now."""
    now = process_identity(pid)
    if now is not None or identity is not None:
        return now == identity
    try:  # no /proc: a live pid is the best we can tell
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Heartbeat:
    """The bot's side: the moment Telegram last answered, written to the file at most once a
    second (`every`), atomically, so the check never reads half a file."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time, every: float = 1.0):
        self.path, self.clock, self.every = path, clock, every
        self.pid = os.getpid()
        self.identity = process_identity(self.pid)
        self.started = clock()
        self.last_contact: float | None = None
        self._written = float("-inf")
        self._failing = False
        self._silent = False

    def beat(self) -> None:
        """Telegram answered: remember when, and write it down unless written a moment ago."""
        now = self.clock()
        self.last_contact = now
        if now - self._written < self.every:
            return
        self._written = now
        body = json.dumps({"pid": self.pid, "process": self.identity, "contact": now})
        fresh = self.path.with_name(f".{self.path.name}.{self.pid}")
        try:
            fresh.write_text(body)
            os.replace(fresh, self.path)
        except OSError as exc:
            if not self._failing:
                log.warning("cannot write the heartbeat %s (%s): health fails", self.path, exc)
            self._failing = True
        else:
            self._failing = False

    def watch(self, limit: float) -> None:
        """One line when Telegram has been silent longer than `limit` (the health check fails
        from then on), and one when it answers again."""
        silent = self.clock() - (self.last_contact or self.started)
        if silent > limit and not self._silent:
            log.warning(
                "no word from Telegram for %.0f s: python -m bot health fails until it answers",
                silent,
            )
        elif silent <= limit and self._silent:
            log.info("Telegram answers again")
        self._silent = silent > limit


def check(path: Path, limit: float, now: float) -> tuple[bool, str]:
    """Whether the heartbeat at `path` is a live bot's and at most `limit` seconds old, and
    the line that says so."""
    try:
        beat: Any = json.loads(path.read_text())
    except FileNotFoundError:
        return False, f"unhealthy: no heartbeat at {path}: the bot has not reached Telegram yet"
    except (OSError, ValueError) as exc:
        return False, f"unhealthy: cannot read the heartbeat {path} ({exc})"
    if not (
        isinstance(beat, dict)
        and isinstance(beat.get("pid"), int)
        and isinstance(beat.get("contact"), int | float)
    ):
        return False, f"unhealthy: {path} is not a heartbeat this version writes"
    pid = beat["pid"]
    if not same_process(pid, beat.get("process")):
        return False, f"unhealthy: the heartbeat {path} is from process {pid}, which has stopped"
    age = now - beat["contact"]
    if age > limit:
        return False, f"unhealthy: no word from Telegram for {age:.0f} s (more than {limit:.0f} s)"
    return True, f"healthy: Telegram answered {max(age, 0):.0f} s ago (pid {pid})"


def health(config: Config) -> int:
    """Exit 0 while the running bot is serving; 1, with the reason, otherwise."""
    ok, line = check(heartbeat_path(config), stale_after(config.poll_timeout), time.time())
    print(line, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1

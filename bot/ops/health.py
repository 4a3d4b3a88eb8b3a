"""`python -m bot health`: the container's health check."""

from __future__ import annotations

import sys
import time

from bot.config import Config

HEARTBEAT_STALE = 120


def health(config: Config) -> int:
    from bot.telegram.app import heartbeat_path

    path = heartbeat_path(config)
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        print(f"unhealthy: no heartbeat at {path}", file=sys.stderr)
        return 1
    if age > HEARTBEAT_STALE:
        print(f"unhealthy: last heartbeat {age:.0f}s ago", file=sys.stderr)
        return 1
    print(f"healthy: heartbeat {age:.0f}s ago")
    return 0

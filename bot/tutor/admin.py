"""The operator's figures (`/admin`) and a learner's right to be forgotten (`/forget`), as use
cases like any other: read once, decide, save in one transaction, return a `Reply`.

Who may see `/admin` is decided by `Tutor.command` (the ids in TUTOR_ADMINS, in their private
chat); here the figures are only read and said.

`/forget` asks first. Its "Yes, delete" button carries a token made from the moment the learner
last wrote to the bot (`learners.last_seen_at`, which /forget itself has just set), so it is
live only until the learner writes again or taps "Keep it": a button from an earlier /forget,
or made up, deletes nothing. The tap's own user is the one forgotten, so nobody can delete
someone else's data; after the deletion there is no `last_seen_at` left, so a double tap finds
nothing to match and is answered as counted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime

from bot.content import Library
from bot.core.model import Learner, Refusal
from bot.store import Store
from bot.tutor.reply import DropButtons, Reply
from bot.tutor.topics import Topics
from bot.views import admin as views
from bot.views.callbacks import TOKEN_LENGTH
from bot.views.lesson import REFUSAL_NOTICE
from bot.views.message import split

log = logging.getLogger(__name__)


def token(user_id: int, last_seen_at: str) -> str:
    """What a "Yes, delete" button must carry: short, and different for every /forget."""
    return hashlib.sha256(f"{user_id}:{last_seen_at}".encode()).hexdigest()[:TOKEN_LENGTH]


class Admin:
    def __init__(
        self, library: Library, store: Store, clock: Callable[[], datetime], topics: Topics
    ):
        self.library, self.store, self.clock, self.topics = library, store, clock, topics

    def figures(self) -> Reply:
        """/admin: how learners are doing, in parts within Telegram's limit."""
        figures = self.store.stats.figures(self.clock())
        return Reply(tuple(split(views.figures(self.library, figures))))

    def remove_written(self, course_id: str) -> Reply:
        """An admin's "Remove" under a written lesson in /admin: no longer offered or found."""
        if not self.topics.remove(course_id):
            return Reply(toast="That lesson was removed already.")
        return Reply(toast="Removed: it is no longer offered.", tapped=DropButtons())

    def ask_forget(self, learner: Learner) -> Reply:
        """/forget: ask before deleting anything."""
        with self.store.transaction():
            seen = self.store.privacy.last_seen(learner.user_id)
        if seen is None:  # not through Tutor.command, which records the learner first
            return Reply((views.forget_kept(),))
        return Reply((views.forget_ask(token(learner.user_id, seen)),))

    def forget(self, learner: Learner, tapped: str) -> Reply:
        """The "Yes, delete" tap: everything about the learner goes, if the button is live."""
        with self.store.transaction():
            seen = self.store.privacy.last_seen(learner.user_id)
            if seen is None:
                return Reply(toast=REFUSAL_NOTICE[Refusal.ALREADY_COUNTED], outcome="refused")
            if token(learner.user_id, seen) != tapped:
                return Reply(
                    (views.forget_expired(),),
                    toast=REFUSAL_NOTICE[Refusal.OUTDATED],
                    tapped=DropButtons(),
                    outcome="refused",
                )
            counts = self.store.privacy.forget(learner.user_id)
        log.info("a learner's data was deleted on /forget: %s", counts)
        return Reply((views.forgotten(counts),), tapped=DropButtons())

    def keep(self, learner: Learner) -> Reply:
        """The "Keep it" tap: nothing deleted, and the question's "Yes" button is no longer live."""
        with self.store.transaction():
            if self.store.privacy.last_seen(learner.user_id) is not None:
                self.store.people.seen(learner, self.clock())
        return Reply((views.forget_kept(),), tapped=DropButtons())

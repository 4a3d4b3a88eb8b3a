"""What the service returns for every action: what to show, as plain data any shell delivers.

Telegram sends the messages, answers the tap with the toast and settles the tapped message; the
terminal prints the messages and numbers their buttons. Neither decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.views.message import Message


@dataclass(frozen=True)
class Extend:
    """The tapped message keeps what it said and gains `added` below it, whose buttons replace
    its own: an answered question gains the choice, the verdict and the feedback, in place."""

    added: Message


@dataclass(frozen=True)
class DropButtons:
    """The tapped message keeps its text and loses its buttons: they have been used."""


@dataclass(frozen=True)
class Rewrite:
    """The tapped message says something else now (an offer becomes "Writing your lesson…")."""

    message: Message


Tapped = Extend | DropButtons | Rewrite


@dataclass(frozen=True)
class Edit:
    """A message the bot sent earlier, rewritten (a group question's count of answers)."""

    message_id: int
    message: Message
    or_send: bool = False
    """If the message can no longer be edited, send this as a new one: it is news (a lesson
    that was being written), not a count that the next edit brings up to date."""


@dataclass(frozen=True)
class Reply:
    messages: tuple[Message, ...] = ()
    toast: str | None = None
    """The short answer to a tap (at most 200 characters); None stops the spinner silently."""
    tapped: Tapped | None = None
    """What becomes of the tapped message; None leaves it as it is."""
    completed: int | None = None
    """The step this action finished, if any (the terminal moves on to the next)."""
    outcome: str = "ok"
    """One word for the log: ok, refused, forged."""

    # Group study only:
    alert: bool = False
    """The toast is an alert the member dismisses (their own verdict, private in a group)."""
    link: bool = False
    """The toast opens the bot's private chat (the member has not started it yet)."""
    edit: Edit | None = None
    private: tuple[tuple[int, tuple[Message, ...]], ...] = ()
    """Messages for members' private chats, by user id."""
    wake_at: datetime | None = None
    """When the shell should look at the group again (the open question's reveal timer)."""
    recount: bool = False
    """The answers changed: the shell updates the question's count line soon (debounced)."""

    # A learner's own topic only:
    write: int | None = None
    """A lesson to have written (the request's id): the shell runs the model, then finishes."""

"""A message as the views produce it: HTML text and rows of buttons, with Telegram's rules for
both in one place (escaping, the 4096-character limit and how to split under it), and the
plain text a terminal shows instead.

Pure, no Telegram import: a `Message` is data, so the service can return it and any shell can
deliver it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime

MAX_TEXT = 4096
"""Telegram's limit on a message, counted in UTF-16 units after entity parsing."""


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class Message:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default=())


def extended(shown_html: str, added: Message) -> Message:
    """A message we sent, as it reads with `added` below it: its text (the HTML Telegram gives
    back for it), then the addition, whose buttons replace the old ones."""
    return Message(f"{shown_html}\n\n{added.text}", added.buttons)


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def when(moment: datetime, now: datetime | None) -> str:
    """A due date as a person says it: "now", "in 5 hours", "tomorrow", "in 3 days"."""
    if now is None:
        return moment.strftime("on %d %b")
    seconds = (moment - now).total_seconds()
    if seconds <= 60:
        return "now"
    if seconds < 3600:
        return f"in {int(seconds // 60)} minutes"
    if seconds < 20 * 3600:
        hours = round(seconds / 3600)
        return "in 1 hour" if hours == 1 else f"in {hours} hours"
    days = round(seconds / 86400)
    return "tomorrow" if days <= 1 else f"in {days} days"


_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """Our HTML as plain text (tags dropped, entities decoded): what a terminal shows."""
    return html.unescape(_TAG.sub("", text))


def visible_length(text: str) -> int:
    """Length as Telegram counts it: tags removed, entities decoded, in UTF-16 units."""
    return len(plain(text).encode("utf-16-le")) // 2


def split(message: Message, limit: int = MAX_TEXT) -> list[Message]:
    """Messages within the limit, split at paragraphs; the buttons go with the last part.

    Our markup only wraps whole lines, so cutting between paragraphs or lines keeps tags
    balanced. A single line over the limit (never in valid content) is cut between words.
    """
    if visible_length(message.text) <= limit:
        return [message]
    parts: list[str] = []
    for piece in _pieces(message.text, limit):
        if not piece.strip():
            continue
        if parts and visible_length(parts[-1] + "\n\n" + piece) <= limit:
            parts[-1] += "\n\n" + piece
        else:
            parts.append(piece)
    if not parts:  # nothing visible at all: nothing Telegram would take
        return []
    return [Message(p) for p in parts[:-1]] + [Message(parts[-1], message.buttons)]


def _pieces(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        if visible_length(paragraph) <= limit:
            pieces.append(paragraph)
            continue
        for line in paragraph.split("\n"):
            pieces.extend(_cut_words(line, limit) if visible_length(line) > limit else [line])
    return pieces


_TOKEN = re.compile(r"<[^>]+>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|.", re.DOTALL)
"""A tag, an entity, or one character: what a too-long word may be cut between."""


def _cut_words(line: str, limit: int) -> list[str]:
    """A line over the limit, cut between words; a word over the limit, between characters but
    never inside an entity or a tag. Nothing is dropped and no part is empty."""
    parts: list[str] = []
    current, size = "", 0

    def close() -> None:
        nonlocal current, size
        if current.strip():
            parts.append(current.strip(" "))
        current, size = "", 0

    for word in re.split(r"( )", line):
        width = visible_length(word)
        if size + width <= limit:
            current, size = current + word, size + width
            continue
        close()
        if word == " ":
            continue
        for token in [word] if width <= limit else _TOKEN.findall(word):
            width = visible_length(token)
            if size + width > limit:
                close()
            current, size = current + token, size + width
    close()
    return parts

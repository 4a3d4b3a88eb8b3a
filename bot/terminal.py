"""`python -m bot play COURSE`: a lesson in the terminal, through the same service as Telegram.

The second shell over the tutor service (Telegram is the first): an author tries a step without
Telegram. It prints the very messages Telegram would show, as plain text, and numbers their
buttons; a number (or a button's label, like `B`) taps it. Input may be piped.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.content import Course, Library
from bot.core.model import Learner
from bot.store import Store
from bot.tutor import Extend, Reply, Tutor
from bot.views.message import plain

PLAYER = Learner(user_id=0, chat_id=0, first_name="Author")


class Player:
    """Plays replies in a terminal: shows each one, reads a choice, taps it."""

    def __init__(self, tutor: Tutor, read: Callable[[], str | None], out: TextIO):
        self.tutor, self.read, self.out = tutor, read, out
        self.choices: list[tuple[str, str]] = []
        """The buttons of the reply on screen, as (label, callback data), numbered from 1."""
        self.picked: str | None = None
        """The callback data of the last button picked."""

    def play(self, course: Course, step: int) -> bool:
        """Play one step to its end; False if the input ran out first."""
        reply = self.tutor.lessons.open_step(PLAYER, course.id, step)
        while True:
            self.show(reply, numbered=reply.completed is None)
            if reply.completed is not None:
                return True
            data = self.choose()
            if data is None:
                return False
            reply = self.tutor.tap(PLAYER, data)

    def show(self, reply: Reply, numbered: bool = True) -> None:
        """Print what the learner would read; number the buttons that follow it. A reply that
        only adds to a message (a second angle asked for) leaves the other buttons live."""
        if reply.toast:
            self.out.write(f"({reply.toast})\n\n")
        added = (reply.tapped.added,) if isinstance(reply.tapped, Extend) else ()
        kept = [c for c in self.choices if c[1] != self.picked] if not reply.messages else []
        self.choices = []
        for message in (*added, *reply.messages):
            self.out.write(f"{plain(message.text)}\n\n")
            self.choices += [(b.label, b.data) for row in message.buttons for b in row]
        self.choices += kept
        for number, (label, _) in enumerate(self.choices if numbered else [], start=1):
            self.out.write(f"  {number}) {label}\n")

    def choose(self) -> str | None:
        """The callback data of the button picked, by number or by label; None at end of input."""
        while True:
            self.out.write("> ")
            self.out.flush()
            line = self.read()
            if line is None:
                self.out.write("\n")
                return None
            text = line.strip()
            picked = self._pick(text)
            if picked is not None:
                self.out.write("\n")
                self.picked = picked
                return picked
            self.out.write(f"Type a number from 1 to {len(self.choices)}.\n")

    def _pick(self, text: str) -> str | None:
        if text.isascii() and text.isdigit() and 1 <= int(text) <= len(self.choices):
            return self.choices[int(text) - 1][1]
        labels = [data for label, data in self.choices if label.casefold() == text.casefold()]
        return labels[0] if text and len(labels) == 1 else None


def lines(stream: TextIO) -> Callable[[], str | None]:
    iterator: Iterator[str] = iter(stream)
    return lambda: next(iterator, None)


def run(
    library: Library, course_id: str, step: int | None, db: Path | None, stream: TextIO,
    out: TextIO,
) -> int:  # fmt: skip
    """Play from `step` (default: the first) to the course's end or the input's."""
    course = library.course(course_id)
    if course is None:
        known = ", ".join(c.id for c in library.courses)
        out.write(f"No course '{course_id}'. Courses: {known}\n")
        return 2
    numbers = [s.number for s in course.steps]
    first = step or numbers[0]
    if first not in numbers:
        out.write(f"'{course_id}' has steps {numbers[0]} to {numbers[-1]}, not {first}.\n")
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        store = Store.open(db or Path(scratch) / "play.db")
        try:
            player = Player(Tutor(library, store, lambda: datetime.now(UTC)), lines(stream), out)
            for number in numbers[numbers.index(first) :]:
                if not player.play(course, number):
                    out.write("(input ended; progress is saved)\n" if db else "(input ended)\n")
                    return 0
                if step is not None:
                    return 0
        finally:
            store.close()
    return 0

"""`python -m bot play COURSE`: a lesson in the terminal, through the same engine and store.

The second shell over the engine (Telegram is the first): an author tries a step without
Telegram. Each prompt lists numbered choices and reads a number; input may be piped.
"""

from __future__ import annotations

import html
import re
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot import callbacks, engine, render
from bot.content import Course, Library
from bot.model import Ask, CheckMissed, MoveOn, Refusal, Turn
from bot.store import Learner, Store

PLAYER = Learner(user_id=0, chat_id=0)
_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """The HTML we send to Telegram, as a terminal shows it."""
    return html.unescape(_TAG.sub("", text))


class Player:
    def __init__(
        self, library: Library, store: Store, course: Course, read: Callable[[], str | None],
        out: TextIO,
    ):  # fmt: skip
        self.library, self.store, self.course = library, store, course
        self.read, self.out = read, out

    def play(self, step_number: int) -> bool:
        """Play one step to its end; False if the input ran out first."""
        turn = engine.open_step(self.course, step_number, self.store.position(PLAYER))
        if isinstance(turn, Refusal):
            raise ValueError(f"step {step_number} does not exist in {self.course.id}")
        while True:
            self._save(turn)
            choices = self._show(turn)
            if turn.position.phase is engine.Phase.FINISHED:
                return True
            action = self._choose(choices)
            if action is None:
                return False
            decision = self._decide(action)
            assert isinstance(decision, Turn), decision  # our own buttons are always live
            turn = decision

    def _save(self, turn: Turn) -> None:
        self.store.save_turn(PLAYER, turn, datetime.now(UTC))

    def _show(self, turn: Turn) -> list[tuple[str, callbacks.Action]]:
        """Print what the learner would read; return the numbered choices that follow it."""
        choices: list[tuple[str, callbacks.Action]] = []
        for item in turn.say:
            if isinstance(item, Ask):
                self._print(plain(render.question_text(item, listed=False)))
                for option in render.ordered_options(item):
                    answer = callbacks.Answer(
                        item.seq, item.course.id, item.step.number, item.index, option.id
                    )
                    choices.append((option.text, answer))
                if item.can_skip:
                    choices.append(("Skip for now", callbacks.Skip(item.seq)))
            elif isinstance(item, MoveOn | CheckMissed):
                rows = (
                    render.move_on_buttons(item)
                    if isinstance(item, MoveOn)
                    else render.check_buttons(item)
                )
                choices += [(b.label, _action(b.data)) for row in rows for b in row]
            else:
                self._print(plain(render.say(item).text))
        for number, (label, _) in enumerate(choices, start=1):
            self.out.write(f"  {number}) {label}\n")
        return choices

    def _choose(self, choices: list[tuple[str, callbacks.Action]]) -> callbacks.Action | None:
        while True:
            self.out.write("> ")
            self.out.flush()
            line = self.read()
            if line is None:
                self.out.write("\n")
                return None
            text = line.strip()
            if text.isdigit() and 1 <= int(text) <= len(choices):
                self.out.write("\n")
                return choices[int(text) - 1][1]
            self.out.write(f"Type a number from 1 to {len(choices)}.\n")

    def _decide(self, action: callbacks.Action) -> Turn | Refusal:
        position = self.store.position(PLAYER)
        history = self.store.history(PLAYER, self.course.id)
        now = datetime.now(UTC)
        match action:
            case callbacks.Answer(seq, course_id, step, question, option_id):
                return engine.answer(
                    self.library, position, seq, course_id, step, question, option_id, now, history
                )
            case callbacks.AnotherWay(seq):
                return engine.show_another_way(self.library, position, seq)
            case callbacks.Next(seq):
                return engine.move_on(self.library, position, seq, history, now)
            case callbacks.TryAgain(seq):
                return engine.retry_check(self.library, position, seq)
            case callbacks.Skip(seq):
                return engine.skip_check(self.library, position, seq)
        raise ValueError(f"not a lesson action: {action!r}")

    def _print(self, text: str) -> None:
        self.out.write(f"{text}\n\n")


def _action(data: str) -> callbacks.Action:
    action = callbacks.decode(data)
    assert action is not None, data  # our own buttons always decode
    return action


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
            player = Player(library, store, course, lines(stream), out)
            for number in numbers[numbers.index(first) :]:
                if not player.play(number):
                    out.write("(input ended; progress is saved)\n" if db else "(input ended)\n")
                    return 0
                if step is not None:
                    return 0
        finally:
            store.close()
    return 0

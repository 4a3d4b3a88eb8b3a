"""One script of taps, played through both shells over the tutor service, must read the same.

The terminal player (`bot.terminal.Player`, driven in-process) and Telegram (the bot against
the fake Bot API server) are two thin shells over one `Tutor`. The script below is written
over callback data, not over either shell's way of showing buttons, so the very same taps go
through both; the verdicts, the step's landmarks and every message sent must then agree.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from bot.content import Library, Verdict
from bot.store import Store
from bot.terminal import Player
from bot.tutor import Tutor
from bot.views import callbacks
from bot.views.lesson import VERDICT_MARK
from bot.views.message import plain
from tests.fake_telegram import FakeTelegram
from tests.harness import Learner, RunningBot

COURSE, STEP = "neural-networks", 4
ADA = 1001

Buttons = list[tuple[str, str]]
"""The buttons of the reply on screen, in order: (label, callback data)."""
Pick = Callable[[Buttons], str]
"""A shell-neutral tap: given the buttons on screen, the callback data to tap."""


def _only(buttons: Buttons, wanted: Callable[[str, str], bool], what: str) -> str:
    found = [data for label, data in buttons if wanted(label, data)]
    assert len(found) == 1, f"expected one button for {what}, got {found} in {buttons}"
    return found[0]


def answer(option_id: str) -> Pick:
    """The answer button of an option (of the question or of its check), by option id."""
    return lambda buttons: _only(
        buttons,
        lambda _label, data: data.startswith("a:") and data.endswith(f":{option_id}"),
        f"option {option_id!r}",
    )


def button(label: str) -> Pick:
    """The button whose label contains `label`."""
    return lambda buttons: _only(buttons, lambda text, _data: label in text, repr(label))


forward = button("➜")  # "Next question ➜" or "See the takeaway ➜"
another_way = button("Another way to see it")
try_again = button("Try the check again")

# Step 4 (questions: which-way, how-big, full-loop; each with a check question).
SCRIPT: list[Pick] = [
    # Q1: right first time, then the other angle on it, then on.
    answer("b"),  # ✅ Exactly
    another_way,
    forward,
    # Q2: a miss (another angle and a second try, options shuffled), then right.
    answer("b"),  # ❌ Not quite
    answer("a"),  # ✅ Exactly — "the second angle did it"
    forward,
    # Q3: not sure twice → repair → the check, missed → try it again → right → the takeaway.
    answer("d"),  # 🤝 No worries
    answer("d"),  # 🤝 No worries → no shame, repair, the check
    answer("a"),  # the check: ❌ Not quite → "Try the check again" / "Skip for now"
    try_again,
    answer("c"),  # the check: ✅ Exactly
    forward,  # "See the takeaway ➜": the step (and the course) ends
]

_VERDICT_LINE = re.compile(
    "^(?:{}) (?:{})$".format(
        "|".join(map(re.escape, VERDICT_MARK.values())), "|".join(re.escape(v) for v in Verdict)
    )
)
_LANDMARK = re.compile(
    r"^(?:.+ · Step \d+ of \d+|Question \d+ of \d+|🔎 Quick check|The takeaway|The pattern)$"
)


def events(text: str) -> list[str]:
    """The verdicts and the step's landmarks, in the order they were shown."""
    return [
        line for line in text.splitlines() if _VERDICT_LINE.match(line) or _LANDMARK.match(line)
    ]


def verdicts(found: list[str]) -> list[str]:
    return [line for line in found if _VERDICT_LINE.match(line)]


# What the script shows, in order: the step header, each question (again on a second try),
# each verdict, the check (again when tried again), the takeaway and the pattern.
EXPECTED_EVENTS = [
    "How a neural network learns · Step 4 of 4",
    "Question 1 of 3",
    "✅ Exactly",
    "Question 2 of 3",
    "❌ Not quite",
    "Question 2 of 3",
    "✅ Exactly",
    "Question 3 of 3",
    "🤝 No worries",
    "Question 3 of 3",
    "🤝 No worries",
    "🔎 Quick check",
    "❌ Not quite",
    "🔎 Quick check",
    "✅ Exactly",
    "The takeaway",
    "The pattern",
]


# --- The two shells ---------------------------------------------------------------------------


def play_in_terminal(library: Library, store: Store) -> tuple[str, list[Buttons]]:
    """The script through the terminal player: what it printed, and the buttons at each tap."""
    out = io.StringIO()
    script: Iterator[Pick] = iter(SCRIPT)
    shown: list[Buttons] = []

    def read() -> str | None:
        pick = next(script, None)
        if pick is None:
            return None
        buttons = list(player.choices)
        shown.append(buttons)
        return str([data for _, data in buttons].index(pick(buttons)) + 1)

    player = Player(Tutor(library, store, lambda: datetime.now(UTC)), read, out)
    finished = player.play(library.course(COURSE), STEP)
    assert finished, f"the step did not finish\n{out.getvalue()}"
    assert next(script, None) is None, "the step finished before the script did"
    return out.getvalue(), shown


def terminal_messages(output: str) -> str:
    """The terminal's output without its numbered choices and `> ` prompts: the messages, each
    followed by a blank line (and any toast, in parentheses)."""
    without_choices = re.sub(r"(?m)^  \d+\) .*\n", "", output)
    return without_choices.replace("> \n", "")


async def play_in_telegram(tg: FakeTelegram, bot: RunningBot) -> tuple[list[str], list[Buttons]]:
    """The script through Telegram: the texts the bot sent once the step opened (as plain text;
    the later edits of answered questions left out), and the buttons at each tap."""
    ada = Learner(tg, bot, ADA)
    await ada.says(f"/start {COURSE}")
    before = len(tg.calls_to("sendMessage"))
    await ada.taps_data(ada.with_buttons(), callbacks.encode(callbacks.OpenStep(COURSE, STEP)))
    shown: list[Buttons] = []
    for pick in SCRIPT:
        message = ada.with_buttons()
        buttons = [(label, data or "") for row in message.buttons for label, data in row]
        assert all(data for _, data in buttons), buttons  # callback buttons only
        shown.append(buttons)
        await ada.taps_data(message, pick(buttons))
    sent = [
        call
        for call in tg.calls_to("sendMessage")[before:]
        if call.params["chat_id"] == ADA and call.status == 200
    ]
    return [plain(call.params["text"]) for call in sent], shown


# --- The test ---------------------------------------------------------------------------------


async def test_the_terminal_and_telegram_show_the_same_lesson_for_the_same_taps(
    tg: FakeTelegram, bot: RunningBot, library: Library, fresh_store: Store
) -> None:
    terminal_output, terminal_buttons = play_in_terminal(library, fresh_store)
    telegram_texts, telegram_buttons = await play_in_telegram(tg, bot)
    telegram_output = "".join(f"{text}\n\n" for text in telegram_texts)

    in_terminal, in_telegram = events(terminal_output), events(telegram_output)
    assert in_terminal == in_telegram
    assert len(verdicts(in_telegram)) >= 6, in_telegram
    assert in_telegram == EXPECTED_EVENTS

    # The same buttons were on screen at every tap (labels and callback data)...
    assert terminal_buttons == telegram_buttons
    # ...and the terminal printed exactly what Telegram sent, HTML stripped. Telegram also edits
    # each answered question in place ("You said: …"), which the terminal has no screen to do:
    # only the messages sent are compared, not those edits.
    assert terminal_messages(terminal_output) == telegram_output

"""One script of taps, played through both shells over the tutor service, must read the same.

The terminal player (`bot.terminal.Player`, driven in-process) and Telegram (the bot against
the fake Bot API server) are two thin shells over one `Tutor`. The script below is written
over callback data, not over either shell's way of showing buttons, so the very same taps go
through both; the verdicts, the step's landmarks and everything shown must then agree. Telegram
adds an answer's verdict to the question in place (an edit) where the terminal prints it next.
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
from tests.fake_telegram import Call, FakeTelegram
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


another_way = button("Another way to see it")

# Step 4 (questions: which-way, how-big, full-loop; each with a check question). An answer
# goes straight on: there is no "Next question ➜" to tap between questions.
SCRIPT: list[Pick] = [
    # Q1: right first time (question 2 follows at once), then the other angle on it.
    answer("b"),  # ✅ Exactly
    another_way,
    # Q2: a miss (another angle and a second try, options shuffled), then right.
    answer("b"),  # ❌ Not quite
    answer("a"),  # ✅ Exactly — "the second angle did it", and question 3
    # Q3: not sure twice → repair → the check, missed → the check again → right → the end.
    answer("d"),  # 🤝 No worries
    answer("d"),  # 🤝 No worries → no shame, repair, the check
    answer("a"),  # the check: ❌ Not quite → the same check again, options in a new order
    answer("c"),  # the check: ✅ Exactly → the takeaway, the pattern: the step (and course) ends
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
    """The script through Telegram: what the learner saw appear once the step opened, in order
    (as plain text): each message sent, and what each edit added to a message (an answer's
    verdict, the other angle). And the buttons on screen at each tap: every live button on the
    step's messages, oldest message first."""
    ada = Learner(tg, bot, ADA)
    await ada.says(f"/start {COURSE}")
    before = len(tg.calls)
    await ada.taps_data(ada.with_buttons(), callbacks.encode(callbacks.OpenStep(COURSE, STEP)))
    first = ada.last().message_id
    shown: list[Buttons] = []
    for pick in SCRIPT:
        on_screen = [m for m in ada.messages() if m.message_id >= first]
        buttons = [
            (label, data or "") for m in on_screen for row in m.buttons for label, data in row
        ]
        assert all(data for _, data in buttons), buttons  # callback buttons only
        shown.append(buttons)
        data = pick(buttons)
        tapped = next(m for m in on_screen if data in (d for row in m.buttons for _, d in row))
        await ada.taps_data(tapped, data)
    return appeared(ada.calls_since(before)), shown


def appeared(calls: list[Call]) -> list[str]:
    """What a chat's sends and edits showed, in order: a message sent, whole; an edit, what it
    added to the message (which it keeps, as the learner read it, at its start)."""
    texts: dict[int, str] = {}
    out: list[str] = []
    for call in calls:
        if call.status != 200 or "text" not in call.params:
            continue
        text = plain(call.params["text"])
        if call.method == "sendMessage":
            texts[call.result["message_id"]] = text
            out.append(text)
        elif call.method == "editMessageText":
            kept = texts[call.params["message_id"]]
            assert text.startswith(f"{kept}\n\n"), (kept, text)
            texts[call.params["message_id"]] = text
            out.append(text[len(kept) + 2 :])
    return out


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

    # The same buttons were on screen at every tap (labels and callback data), never a way on
    # ("➜") between questions...
    assert terminal_buttons == telegram_buttons
    assert not [label for screen in telegram_buttons for label, _ in screen if "➜" in label]
    # ...and the terminal printed exactly what Telegram showed, HTML stripped: what Telegram
    # adds to a message by editing it in place ("You said: …" and the verdict under a question,
    # the other angle under its feedback), the terminal prints where it comes.
    assert terminal_messages(terminal_output) == telegram_output
    assert "You said: Against the gradient (the opposite direction)" in telegram_output

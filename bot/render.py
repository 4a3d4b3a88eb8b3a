"""What a learner reads: the engine's decisions as Telegram HTML messages with buttons.

Pure functions, no Telegram import: a message is text plus rows of (label, callback data).
All lesson text is escaped here, once; the only markup is the tags this module adds.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot import callbacks
from bot.content import Course, Library, Option, Step, Verdict
from bot.engine import (
    AnotherWay,
    Ask,
    Bridge,
    CourseSummary,
    Feedback,
    MoveOn,
    NextStepOffer,
    Pattern,
    Position,
    Refusal,
    Say,
    StepEntry,
    StepIntro,
    StepStatus,
    SummaryRow,
    Takeaway,
)

MAX_TEXT = 4096
"""Telegram's limit on a message, counted in UTF-16 units after entity parsing."""
BUTTON_FITS = 30
"""Option texts up to this length are readable on a phone's button; longer ones are listed."""
LETTERS = "ABCDEFGH"

VERDICT_MARK = {
    Verdict.EXACTLY: "✅",
    Verdict.CLOSE: "🟡",
    Verdict.NOT_QUITE: "❌",
    Verdict.NO_WORRIES: "🤝",
}
STATUS_MARK = {StepStatus.DONE: "✅", StepStatus.IN_PROGRESS: "▶️", StepStatus.NEW: "🆕"}

COMMANDS = (
    ("start", "Welcome and the course menu"),
    ("continue", "Pick up exactly where you left off"),
    ("courses", "All courses and your progress in each"),
    ("help", "What I can do"),
)

REFUSAL_NOTICE = {
    Refusal.ALREADY_COUNTED: "That one's done — already counted.",
    Refusal.OUTDATED: "That one's done — here's where you are.",
    Refusal.UNKNOWN: "That button doesn't lead anywhere now — here's where you are.",
}


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class Message:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default=())


def esc(text: str) -> str:
    return html.escape(text, quote=False)


# --- The lesson -------------------------------------------------------------------------------


def lesson(items: Iterable[Say]) -> list[Message]:
    """One message per idea; `MoveOn` puts its buttons under the message before it."""
    out: list[Message] = []
    for item in items:
        if isinstance(item, MoveOn):
            keyboard = move_on_buttons(item)
            if out and not out[-1].buttons:
                out[-1] = Message(out[-1].text, keyboard)
            else:
                out.append(Message("What next?", keyboard))
            continue
        out.append(say(item))
    return out


def say(item: Say) -> Message:
    match item:
        case StepIntro(course, step):
            return Message(
                f"<b>{esc(course.header(step))}</b>\n<b>{esc(step.title)}</b>\n\n{esc(step.intro)}"
            )
        case Ask(course, step, index, seq):
            return question(course, step, index, seq)
        case Feedback(_, option):
            return Message(feedback(option))
        case AnotherWay(question_):
            return Message(f"<b>Another way to see it</b>\n{esc(question_.another_way or '')}")
        case Bridge(text):
            return Message(f"<i>{esc(text)}</i>")
        case Takeaway(step):
            return Message(f"<b>The takeaway</b>\n{esc(step.takeaway)}")
        case Pattern(step):
            return Message(f"<b>The pattern</b>\n{esc(step.pattern)}")
        case NextStepOffer(course, step):
            return next_step_offer(course, step)
        case CourseSummary():
            return course_summary(item)
    raise TypeError(f"nothing renders {item!r}")


def question(course: Course, step: Step, index: int, seq: int) -> Message:
    q = step.questions[index]
    text = question_text(step, index, listed=_listed(q.options))
    rows = _option_buttons(course, step, index, seq, q.options)
    return Message(text, rows)


def answered_question(step: Step, index: int, chosen: Option) -> Message:
    """The question as it stays in the chat once answered: no buttons, the choice visible."""
    q = step.questions[index]
    text = question_text(step, index, listed=_listed(q.options))
    return Message(f"{text}\n\nYou said: <i>{esc(chosen.text)}</i>")


def question_text(step: Step, index: int, listed: bool) -> str:
    q = step.questions[index]
    text = f"<b>Question {index + 1} of {len(step.questions)}</b>\n\n{esc(q.prompt)}"
    if listed:
        lines = [f"<b>{LETTERS[i]}</b>  {esc(o.text)}" for i, o in enumerate(q.options)]
        text += "\n\n" + "\n".join(lines)
    return text


def _listed(options: Sequence[Option]) -> bool:
    return any(len(o.text) > BUTTON_FITS for o in options)


def _option_buttons(
    course: Course, step: Step, index: int, seq: int, options: Sequence[Option]
) -> tuple[tuple[Button, ...], ...]:
    listed = _listed(options)
    letters: list[Button] = []
    rows: list[tuple[Button, ...]] = []
    for i, option in enumerate(options):
        data = callbacks.encode(callbacks.Answer(seq, course.id, step.number, index, option.id))
        if not listed:
            rows.append((Button(option.text, data),))
        elif len(option.text) <= BUTTON_FITS // 2:
            rows.append((Button(f"{LETTERS[i]} · {option.text}", data),))
        else:
            letters.append(Button(LETTERS[i], data))
    return (tuple(letters), *rows) if letters else tuple(rows)


def feedback(option: Option) -> str:
    return f"{VERDICT_MARK[option.verdict]} <b>{option.verdict.value}</b>\n{esc(option.feedback)}"


def move_on_buttons(item: MoveOn) -> tuple[tuple[Button, ...], ...]:
    forward = "See the takeaway ➜" if item.to_takeaway else "Next question ➜"
    rows = [(Button(forward, callbacks.encode(callbacks.Next(item.seq))),)]
    if item.offer_another_way:
        another = Button("Another way to see it", callbacks.encode(callbacks.AnotherWay(item.seq)))
        rows.insert(0, (another,))
    return tuple(rows)


def next_step_offer(course: Course, step: Step) -> Message:
    text = f"Next up in <b>{esc(course.title)}</b>:\nStep {step.number} · {esc(step.title)}"
    start = Button(
        f"Start step {step.number} ➜", callbacks.encode(callbacks.OpenStep(course.id, step.number))
    )
    steps = Button("All steps", callbacks.encode(callbacks.OpenCourse(course.id)))
    return Message(text, ((start,), (steps,)))


def course_summary(summary: CourseSummary) -> Message:
    """How each question went, step by step; steps not taken yet get one line and a button."""
    course = summary.course
    lines = [f"🎓 <b>You've finished “{esc(course.title)}”</b>", "", "How each question went:"]
    untaken: list[int] = []
    for step in course.steps:
        rows = [r for r in summary.rows if r.step == step.number]
        lines += ["", f"<b>Step {step.number}</b> · {esc(step.title)}"]
        if all(r.first_verdict is None for r in rows):
            untaken.append(step.number)
            lines.append("⬜ not taken yet")
        else:
            lines += [_summary_line(r) for r in rows]
    answered = [r for r in summary.rows if r.first_verdict is not None]
    connected = sum(r.first_verdict is Verdict.EXACTLY for r in answered)
    lines += ["", f"Connected first time: {connected} of the {len(answered)} you answered."]
    buttons: list[tuple[Button, ...]] = []
    if untaken:
        start = callbacks.encode(callbacks.OpenStep(course.id, untaken[0]))
        buttons.append((Button(f"Take step {untaken[0]} ➜", start),))
    buttons.append((Button("All courses", callbacks.encode(callbacks.Courses())),))
    return Message("\n".join(lines), tuple(buttons))


def _summary_line(row: SummaryRow) -> str:
    label = f"Q{row.question_number}"
    if row.first_verdict is None:
        return f"⬜ {label} — not answered yet"
    if row.first_verdict is Verdict.EXACTLY:
        return f"✅ {label} — connected first time"
    first = f"first answer: {row.first_verdict.value.lower()}"
    if row.connected_later:
        return f"🔁 {label} — {first}, connected later"
    return f"{VERDICT_MARK[row.first_verdict]} {label} — {first}; worth another look"


# --- Menus and small talk -----------------------------------------------------------------------


def welcome(library: Library, first_name: str | None) -> Message:
    hello = f"Hi {esc(first_name)}! " if first_name else "Hi! "
    text = (
        f"{hello}I'm <b>Tutor</b>. I teach one idea at a time in a few short questions. "
        "Tap an answer and you'll get its own explanation, right or wrong — and another way "
        "to see it when something doesn't click.\n\n"
        "I remember where you are, so you can stop any time and /continue later.\n\n"
        "Pick a course:"
    )
    return Message(text, course_buttons(library))


def course_buttons(library: Library) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        (Button(c.title, callbacks.encode(callbacks.OpenCourse(c.id))),) for c in library.courses
    )


def courses(library: Library) -> Message:
    return Message("<b>Courses</b>\nPick one to see its steps:", course_buttons(library))


def course_menu(course: Course, entries: Sequence[StepEntry]) -> Message:
    lines = [f"<b>{esc(course.title)}</b>", esc(course.description), ""]
    rows = []
    for entry in entries:
        n = entry.step.number
        marker = "  👈 next" if entry.is_next else ""
        lines.append(f"{STATUS_MARK[entry.status]} Step {n} · {esc(entry.step.title)}{marker}")
        label = f"{STATUS_MARK[entry.status]} Step {n} · {entry.status.value}{marker}"
        rows.append((Button(label, callbacks.encode(callbacks.OpenStep(course.id, n))),))
    rows.append((Button("All courses", callbacks.encode(callbacks.Courses())),))
    return Message("\n".join(lines), tuple(rows))


def help_text() -> Message:
    lines = ["<b>What I can do</b>", ""]
    lines += [f"/{name} — {esc(about)}" for name, about in COMMANDS]
    lines += ["", "In a lesson, just tap the buttons. Every answer gets its own explanation."]
    return Message("\n".join(lines))


def unknown_command(command: str) -> Message:
    body = help_text().text
    return Message(f"I don't know {esc(command)}.\n\n{body}")


def text_hint() -> Message:
    return Message(
        "I teach with buttons: tap one of the answers above. "
        "/continue shows where you are, /help lists everything."
    )


def welcome_back(position: Position) -> Message:
    where = f"Step {position.step}, question {position.question + 1}"
    return Message(f"Welcome back! You were on {where}. /continue picks it up.")


def nothing_to_continue(library: Library) -> Message:
    return Message("You haven't started a lesson yet. Pick a course:", course_buttons(library))


OOPS_NOTICE = "Sorry — something went wrong on my side."


def oops() -> Message:
    return Message(
        "Sorry — something went wrong on my side. Your progress is saved; "
        "/continue picks up where you were."
    )


# --- Telegram's size limit ----------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")


def visible_length(text: str) -> int:
    """Length as Telegram counts it: tags removed, entities decoded, in UTF-16 units."""
    plain = html.unescape(_TAG.sub("", text))
    return len(plain.encode("utf-16-le")) // 2


def split(message: Message, limit: int = MAX_TEXT) -> list[Message]:
    """Messages within the limit, split at paragraphs; the buttons go with the last part.

    Our markup only wraps whole lines, so cutting between paragraphs or lines keeps tags
    balanced. A single line over the limit (never in valid content) is cut between words.
    """
    if visible_length(message.text) <= limit:
        return [message]
    parts: list[str] = []
    for piece in _pieces(message.text, limit):
        if parts and visible_length(parts[-1] + "\n\n" + piece) <= limit:
            parts[-1] += "\n\n" + piece
        else:
            parts.append(piece)
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


def _cut_words(line: str, limit: int) -> list[str]:
    out = [""]
    for word in line.split(" "):
        candidate = f"{out[-1]} {word}" if out[-1] else word
        if visible_length(candidate) <= limit:
            out[-1] = candidate
        else:
            out.append(word[:limit])
    return out

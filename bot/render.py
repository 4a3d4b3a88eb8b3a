"""What a learner reads: the engine's decisions as Telegram HTML messages with buttons.

Pure functions, no Telegram import: a message is text plus rows of (label, callback data).
All lesson text is escaped here, once; the only markup is the tags this module adds.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot import callbacks
from bot.content import Course, Library, Option, Step, Verdict
from bot.engine import StepEntry, StepStatus
from bot.model import (
    AnotherWay,
    Ask,
    Bridge,
    CheckMissed,
    CourseSummary,
    Feedback,
    MoveOn,
    NextStepOffer,
    Note,
    Pattern,
    Position,
    Refusal,
    Repair,
    ReviewNudge,
    ReviewsDone,
    Say,
    StepIntro,
    SummaryRow,
    Takeaway,
    Target,
)
from bot.progress import LearnerMap

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
    ("progress", "Your map: what connected, what's shaky, what's due"),
    ("review", "Run the reviews that are due"),
    ("pace", "Your daily goal and reminder time"),
    ("deadline", "A target date and a plan to get there"),
    ("stop", "Pause reminders"),
    ("courses", "All courses"),
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
        if isinstance(item, MoveOn | CheckMissed):
            keyboard = move_on_buttons(item) if isinstance(item, MoveOn) else check_buttons(item)
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
        case Ask():
            return question(item)
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
        case Note(kind, text):
            return Message(NOTES[kind].format(text=esc(text)))
        case Repair():
            return repair(item)
        case ReviewNudge(due):
            return review_nudge(due)
        case ReviewsDone():
            return reviews_done(item)
        case CourseSummary():
            return course_summary(item)
    raise TypeError(f"nothing renders {item!r}")


def question(item: Ask) -> Message:
    """The prompt, the options (listed in full when a button can't hold them), the buttons."""
    options = ordered_options(item)
    listed = _listed(options)
    return Message(question_text(item, listed), _option_buttons(item, options, listed))


def ordered_options(item: Ask) -> list[Option]:
    by_id = {o.id: o for o in item.question.options}
    return [by_id[i] for i in item.order]


def answered(shown_html: str, chosen: Option) -> Message:
    """The question as it stays in the chat once answered: no buttons, the choice visible."""
    return Message(f"{shown_html}\n\nYou said: <i>{esc(chosen.text)}</i>")


def question_text(item: Ask, listed: bool) -> str:
    if item.reviewing:
        header = f"🔁 <b>Review</b> · {esc(item.course.title)}, step {item.step.number}"
    elif item.target is Target.CHECK:
        header = "🔎 <b>Quick check</b>"
    else:
        header = f"<b>Question {item.index + 1} of {len(item.step.questions)}</b>"
    text = f"{header}\n\n{esc(item.question.prompt)}"
    if listed:
        options = ordered_options(item)
        lines = [f"<b>{LETTERS[i]}</b>  {esc(o.text)}" for i, o in enumerate(options)]
        text += "\n\n" + "\n".join(lines)
    return text


def _listed(options: Sequence[Option]) -> bool:
    return any(len(o.text) > BUTTON_FITS for o in options)


def _option_buttons(
    item: Ask, options: Sequence[Option], listed: bool
) -> tuple[tuple[Button, ...], ...]:
    letters: list[Button] = []
    rows: list[tuple[Button, ...]] = []
    for i, option in enumerate(options):
        answer = callbacks.Answer(item.seq, item.course.id, item.step.number, item.index, option.id)
        data = callbacks.encode(answer)
        if not listed:
            rows.append((Button(option.text, data),))
        elif len(option.text) <= BUTTON_FITS // 2:
            rows.append((Button(f"{LETTERS[i]} · {option.text}", data),))
        else:
            letters.append(Button(LETTERS[i], data))
    if item.can_skip:
        rows.append((Button("Skip for now", callbacks.encode(callbacks.Skip(item.seq))),))
    return (tuple(letters), *rows) if letters else tuple(rows)


def feedback(option: Option) -> str:
    return f"{VERDICT_MARK[option.verdict]} <b>{option.verdict.value}</b>\n{esc(option.feedback)}"


NOTES = {
    "confirm": "You missed this idea before, so here's one quick check to make sure it has stuck.",
    "second_try": "That's it — the second angle did it.",
    "try_again": "Have another go: same question, options in a new order.",
    "no_shame": "<b>No shame in this</b>\nStill fuzzy after two angles? That's the moment to go "
    "back to what the idea rests on.",
    "check_intro": "Now a quick check: the same idea from a different side.",
    "got_it": "Got it — that's the idea. On we go.",
    "marked": "Let's not grind on it now. I've marked this idea for review, and we'll come back "
    "to it.",
    "skipped": "Skipped for now — this idea is marked for review.",
    "see_again": "No problem — this one will come back in a review soon.",
    "review_intro": "🔁 Review time: {text} due. One at a time, options shuffled.",
    "all_reviewed": "✅ You're all caught up on reviews. /courses to go on learning.",
}


def repair(item: Repair) -> Message:
    """What seems to trip the learner, then the idea again from the step it rests on."""
    parts = []
    if item.misconception:
        parts.append(
            "🧭 <b>What might be tripping you</b>\nThe answer you chose fits a common idea:\n"
            f"<i>“{esc(item.misconception)}”</i>\nIt doesn't hold — here's the piece it misses."
        )
    if item.step is not None:
        parts.append(f"<b>From step {item.step.number} · {esc(item.step.title)}</b>")
        parts.append(esc(item.step.takeaway))
    if item.another_way:
        parts.append(f"<b>Another way to see it</b>\n{esc(item.another_way)}")
    if not parts:
        parts.append("Let's look at it from one more side.")
    return Message("\n\n".join(parts))


def check_buttons(item: CheckMissed) -> tuple[tuple[Button, ...], ...]:
    again = Button("Try the check again", callbacks.encode(callbacks.TryAgain(item.seq)))
    skip = Button("Skip for now", callbacks.encode(callbacks.Skip(item.seq)))
    return ((again,), (skip,))


def review_nudge(due: int) -> Message:
    ideas = "1 idea is" if due == 1 else f"{due} ideas are"
    start = Button("Review now", callbacks.encode(callbacks.Review()))
    return Message(f"🔁 {ideas} due for review — /review", ((start,),))


def reviews_done(item: ReviewsDone) -> Message:
    text = "✅ <b>All caught up on reviews.</b>"
    if item.next_due is not None:
        text += f" The next one is due {when(item.next_due, item.now)}."
    if item.lesson_waiting:
        text += "\nBack to your lesson, right where you were:"
    return Message(text)


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


def move_on_buttons(item: MoveOn) -> tuple[tuple[Button, ...], ...]:
    forward = "See the takeaway ➜" if item.to_takeaway else "Next question ➜"
    if item.reviewing:
        forward = "Next review ➜"
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
    shaky = sum(r.first_verdict is not Verdict.EXACTLY and not r.connected_later for r in answered)
    if shaky:
        lines.append(f"Still shaky: {shaky}. They'll come back in your reviews.")
    if summary.first_review is not None:
        lines.append(
            f"Your first review is due {when(summary.first_review, summary.now)} — /review."
        )
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


GRIP_MARK = {"connected": "✅", "shaky": "🟡", "not yet": "⬜"}


def progress(learner_map: LearnerMap, library: Library) -> Message:
    """The map at a glance on a phone: short lines, one mark per status."""
    if not learner_map.courses:
        return Message(
            "🗺 Nothing on your map yet. Pick a course and answer a few questions:",
            course_buttons(library),
        )
    lines = ["🗺 <b>Your map</b>"]
    if learner_map.streak:
        lines.append(f"🔥 {learner_map.streak}-day streak")
    for course_map in learner_map.courses:
        lines += ["", f"<b>{esc(course_map.course.title)}</b>"]
        lines.append(
            "  ".join(f"{STATUS_MARK[e.status]} {e.step.number}" for e in course_map.steps)
        )
        for idea in course_map.ideas:
            star = " · first time ✨" if idea.first_time else ""
            name = esc(course_map.course.concept_title(idea.concept))
            lines.append(f"{GRIP_MARK[idea.grip.value]} {name}{star}")
    lines += ["", "✅ connected  🟡 shaky  ⬜ not yet"]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if learner_map.due_now:
        ideas = "1 idea is" if learner_map.due_now == 1 else f"{learner_map.due_now} ideas are"
        lines += ["", f"🔁 {ideas} due for review now — /review"]
        buttons = ((Button("Review now", callbacks.encode(callbacks.Review())),),)
    for name, due in learner_map.upcoming:
        lines.append(f"🗓 {esc(name)}: {when(due, learner_map.now)}")
    return Message("\n".join(lines), buttons)


def nothing_due(next_due: datetime | None, now: datetime) -> Message:
    if next_due is None:
        return Message("Nothing to review yet. Finish a few questions and I'll schedule reviews.")
    return Message(
        f"Nothing is due for review right now. The next one is due {when(next_due, now)}."
    )


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

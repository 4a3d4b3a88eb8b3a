"""What a learner reads outside a lesson: the welcome, course menus, the map, help and the
short answers to commands. Pure, like the lesson views.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.content import Course, Library
from bot.core.model import Position
from bot.core.progress import LearnerMap, StepEntry, StepStatus
from bot.views import callbacks
from bot.views.message import Button, Message, esc, when

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
    ("topic", "Learn about your own topic: /topic rule of 72"),
    ("forget", "Delete everything I keep about you"),
    ("help", "What I can do"),
)

GROUP_COMMANDS = (
    ("study", "Study a lesson together: /study 90 sets the timer, /study anyone"),
    ("reveal", "Show the answer to the open question now"),
    ("endstudy", "End the study session"),
)
"""The menu Telegram shows in group chats (group study)."""
GROUP_ONLY = frozenset(name for name, _ in GROUP_COMMANDS)

GROUP_LINK = "group"
"""The /start payload of the link a group tap opens: the member's private chat with the bot."""


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
    lines += ["", "Add me to a group and send /study there to take a lesson together."]
    return Message("\n".join(lines))


def group_only(name: str) -> Message:
    return Message(
        f"/{esc(name)} is for study groups: add me to a group and send /study there. Here, "
        "/courses has every lesson for you alone."
    )


def group_linked() -> Message:
    return Message(
        "👥 You're set: your answers in group study now get their full explanation here, "
        "and they count in your own /progress and reviews."
    )


def unknown_command(command: str) -> Message:
    """Whatever was typed is echoed, escaped and cut to a command's length (32 characters)."""
    shown = command if len(command) <= 33 else command[:32] + "…"
    return Message(f"I don't know {esc(shown)}.\n\n{help_text().text}")


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

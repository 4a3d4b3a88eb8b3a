"""What a learner reads about their own topic (`/topic`): what we have on it, the offer to have a
lesson written, the lesson being written, and an honest "not yet". Pure, like every view."""

from __future__ import annotations

from collections.abc import Sequence

from bot.content import Course, Library
from bot.views import callbacks, menus
from bot.views.lesson import WRITTEN_NOTE
from bot.views.message import Button, Message, esc

EXAMPLES = "“gradient descent”, “rule of 72” or “sourdough starter”"
BUTTON_TEXT = 60
"""A button shows about this much of its label on a phone before Telegram cuts it."""


def ask() -> Message:
    return Message(
        f"💡 <b>What would you like to learn?</b>\nType a few words, like {EXAMPLES}, and I'll "
        "find the lesson for it."
    )


def _all_courses() -> tuple[Button, ...]:
    return (Button("All courses", callbacks.encode(callbacks.Courses())),)


def _label(text: str) -> str:
    return text if len(text) <= BUTTON_TEXT else text[: BUTTON_TEXT - 1].rstrip() + "…"


def matches(text: str, found: Sequence[tuple[Course, int]]) -> Message:
    """The authored steps that fit, best first, each a button that opens the step."""
    rows = []
    for course, number in found:
        step = course.step(number)
        title = step.title if step else ""
        label = _label(f"Step {number} of {course.title}: {title}")
        rows.append((Button(label, callbacks.encode(callbacks.OpenStep(course.id, number))),))
    lead = "This is" if len(found) == 1 else "These are"
    return Message(f"💡 {lead} what I have on <b>{esc(text)}</b>:", (*rows, _all_courses()))


def cached(text: str, course: Course) -> Message:
    start = Button("Start it ➜", callbacks.encode(callbacks.OpenStep(course.id, 1)))
    return Message(
        f"💡 A lesson on <b>{esc(text)}</b> was written for a learner who asked before you: "
        f"<b>{esc(course.title)}</b>.\n{WRITTEN_NOTE}",
        ((start,), _all_courses()),
    )


def offer(text: str, request_id: int) -> Message:
    write = Button("✍️ Write my lesson", callbacks.encode(callbacks.Write(request_id)))
    return Message(
        f"💡 I don't have a lesson on <b>{esc(text)}</b> yet. I can write you one now: an "
        "intro, three questions with every answer explained, the takeaway and the pattern. "
        "It takes a few seconds.\n" + WRITTEN_NOTE,
        ((write,), _all_courses()),
    )


def noted(text: str, library: Library) -> Message:
    return Message(
        f"💡 I don't have a lesson on <b>{esc(text)}</b> yet, and I can't write new ones here. "
        "I've noted that you asked: it helps decide what gets written next. This is what I can "
        "teach now:",
        menus.course_buttons(library),
    )


def blocked(text: str) -> Message:
    return Message(
        f"💡 <b>{esc(text)}</b> is a topic I can't write a lesson about. Try another, or pick "
        "one of the courses.",
        (_all_courses(),),
    )


def limited(daily: int) -> Message:
    lessons = "1 new lesson" if daily == 1 else f"{daily} new lessons"
    return Message(
        f"💡 You've had {lessons} written in the last day, which is as many as there are. "
        "Ask again tomorrow, or pick one of the courses.",
        (_all_courses(),),
    )


def writing(text: str, seconds: int = 0) -> Message:
    """Edited in place while the model writes, so the learner sees it is still at work."""
    waited = f" {seconds} s" if seconds else ""
    return Message(f"✍️ Writing your lesson on <b>{esc(text)}</b>… ⏳{waited}")


NOT_WRITTEN = {
    "refused": "The model wouldn't write a lesson on that. Try another topic, or pick a course.",
    "invalid": "The model's lesson didn't pass my checks after three tries, so I won't show it "
    "to you.",
    "timeout": "The model took too long to answer.",
    "unavailable": "I couldn't reach the model just now.",
}


def not_written(text: str, reason: str, request_id: int) -> Message:
    """A write that failed: said plainly, with nothing counted against the learner's day."""
    why = NOT_WRITTEN.get(reason, NOT_WRITTEN["unavailable"])
    rows: list[tuple[Button, ...]] = []
    if reason != "refused":
        why += " It didn't count against your lessons for the day."
        rows.append((Button("Try again", callbacks.encode(callbacks.Write(request_id))),))
    rows.append(_all_courses())
    return Message(f"💡 No lesson on <b>{esc(text)}</b> this time. {why}", tuple(rows))

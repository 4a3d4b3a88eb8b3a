"""What an operator reads (`/admin`; `python -m bot stats` prints the same as plain text) and
what a learner reads about deleting their data (`/forget`). Pure, like every view: figures and
counts in, escaped HTML out. Lesson text comes from content authors, so it is escaped too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.content import Course, Library, Question
from bot.views import callbacks
from bot.views.message import Button, Message, esc

if TYPE_CHECKING:  # plain data read by the store; the view needs only its shape
    from bot.store.stats import CommonMiss, Figures, QuestionRate, StepCount

PROMPT_SHOWN = 70
"""Characters of a question's prompt in the hardest-questions list: enough to recognise it."""
OPTION_SHOWN = 40


def figures(library: Library, f: Figures) -> Message:
    """Every figure, short lines for a phone; one paragraph per course, so `split` can cut
    between them if the lessons ever grow past Telegram's limit."""
    lines = [
        f"📊 <b>Tutor figures</b> · {f.at:%a %d %b %Y, %H:%M} UTC",
        "",
        f"👥 Learners: {f.learners:,}",
        f"Active today (UTC): {f.active_today:,} · last 7 days: {f.active_week:,}",
        f"🔁 Reviews due now: {f.reviews_due:,}",
        f"🔕 Reminders paused: {f.reminders_paused:,}",
        f"👥 Groups studying now: {f.groups_studying:,}",
    ]
    for title, counts in _by_course(library, f.steps):
        lines += ["", f"<b>{esc(title)}</b> · started · finished"]
        lines += [f"Step {step}: {started:,} · {finished:,}" for step, started, finished in counts]
    least = f.min_answers
    lines += ["", f"<b>Hardest questions</b> · right first time, of {least}+ first tries"]
    if not f.hardest:
        lines.append(f"No question has {least} first tries yet.")
    for rank, rate in enumerate(f.hardest, 1):
        lines += ["", *_hardest(library, rank, rate, f.misses.get(_key(rate)))]
    lines += ["", "<b>Most requested topics</b> · last 30 days (/topic)"]
    if not f.topics:
        lines.append("Nobody has asked for a topic yet.")
    for asked in f.topics:
        people = "1 learner" if asked.learners == 1 else f"{asked.learners:,} learners"
        lines.append(f"“{esc(_short(asked.topic, OPTION_SHOWN))}” ×{asked.times:,} · {people} · "
                     f"{TOPIC_OUTCOME.get(asked.outcome, asked.outcome)}")  # fmt: skip
    buttons: list[tuple[Button, ...]] = []
    if f.written:
        lines += ["", f"<b>Lessons written by a model</b> · {len(f.written):,}"]
    for written in f.written[:WRITTEN_SHOWN]:
        lines.append(f"✍️ {esc(written.title)} · “{esc(_short(written.topic, OPTION_SHOWN))}” · "
                     f"{esc(written.model)}, {written.written_at[:10]}")  # fmt: skip
        remove = callbacks.encode(callbacks.Unwrite(written.course_id))
        buttons.append((Button(_short(f"Remove “{written.title}”", 60), remove),))
    return Message("\n".join(lines), tuple(buttons))


WRITTEN_SHOWN = 10
"""Written lessons listed (newest first), each with its "Remove" button."""
TOPIC_OUTCOME = {
    "matched": "found in our lessons",
    "cached": "a written lesson",
    "offered": "offered a written one",
    "writing": "being written",
    "written": "written",
    "failed": "writing failed",
    "noted": "nothing yet",
    "blocked": "blocked",
    "limited": "over the day's limit",
}
"""How a topic's last request went, as the operator reads it."""


Counts = list[tuple[int, int, int]]
"""Step, started, finished."""


def _by_course(library: Library, steps: tuple[StepCount, ...]) -> list[tuple[str, Counts]]:
    """Every step of every course in menu order, zeros included; a course the lessons no
    longer have (its records remain) comes last, under its id."""
    counted = {(c.course_id, c.step): (c.step, c.started, c.finished) for c in steps}
    shown = [
        (course.title, [counted.pop((course.id, s.number), (s.number, 0, 0)) for s in course.steps])
        for course in library.courses
    ]
    gone: dict[str, Counts] = {}
    for (course_id, _step), counts in counted.items():
        gone.setdefault(course_id, []).append(counts)
    return shown + [(f"{course_id} (not in the lessons now)", c) for course_id, c in gone.items()]


def _key(rate: QuestionRate) -> tuple[str, int, str]:
    return rate.course_id, rate.step, rate.question_id


def _hardest(library: Library, rank: int, rate: QuestionRate, miss: CommonMiss | None) -> list[str]:
    course = library.course(rate.course_id)
    question = _question(course, rate.step, rate.question_id)
    where = f"{course.title if course else rate.course_id}, step {rate.step}"
    what = _short(question.prompt, PROMPT_SHOWN) if question else rate.question_id
    lines = [
        f"{rank}. <b>{rate.rate:.0%}</b> of {rate.answered:,} · {esc(where)}",
        f"“{esc(what)}”",
    ]
    if miss is None:
        return lines
    option = question.option(miss.option_id) if question else None
    chose = _short(option.text, OPTION_SHOWN) if option else miss.option_id
    lines.append(f"Missed most: “{esc(chose)}” ({miss.chosen:,} of {miss.misses:,} misses)")
    belief = _misconception(course, option.misconception if option else None)
    if belief:
        lines.append(f"💡 {esc(belief)}")
    return lines


def _question(course: Course | None, step: int, question_id: str) -> Question | None:
    found = course.step(step) if course else None
    return next((q for q in found.questions if q.id == question_id), None) if found else None


def _misconception(course: Course | None, slug: str | None) -> str | None:
    if course is None or slug is None:
        return None
    return next((m.summary for m in course.misconceptions if m.id == slug), slug)


def _short(text: str, limit: int) -> str:
    """One line of at most `limit` characters, cut on a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—-") + "…"


# --- /forget ----------------------------------------------------------------------------------


def forget_ask(token: str) -> Message:
    return Message(
        "🗑 <b>Delete everything I keep about you?</b>\n\n"
        "Your answers, finished steps and review cards, your pace, deadline and reminders, "
        "where you are in each lesson, and your answers in group sessions still open. "
        "It can't be undone: you would start afresh.",
        (
            (
                Button("Yes, delete", callbacks.encode(callbacks.ForgetYes(token))),
                Button("Keep it", callbacks.encode(callbacks.ForgetNo())),
            ),
        ),
    )


def forget_kept() -> Message:
    return Message("👍 Nothing deleted: everything is as it was.")


def forget_expired() -> Message:
    return Message(
        "Nothing deleted: that button belongs to an earlier /forget. "
        "Send /forget again if you want me to delete everything."
    )


KINDS = (
    ("answers", "answer", "answers"),
    ("completions", "finished step", "finished steps"),
    ("cards", "review card", "review cards"),
    ("schedules", "schedule (pace, deadline, reminders)", "schedules"),
    ("positions", "place in a lesson", "places in lessons"),
    ("paused_lessons", "lesson paused for reviews", "lessons paused for reviews"),
    ("group_answers", "answer in an open group session", "answers in open group sessions"),
    ("topic_requests", "topic you asked to learn", "topics you asked to learn"),
    ("topic_jobs", "lesson being written for you", "lessons being written for you"),
    ("outbox", "message not yet delivered", "messages not yet delivered"),
    ("learners", "profile (your name and username)", "profiles"),
    ("chats", "chat setting (whether I may write to you)", "chat settings"),
)
"""What each table holds, as a learner would name it: table, one, many."""


def forgotten(counts: Mapping[str, int]) -> Message:
    """What was deleted, kind by kind (kinds with nothing to delete are left out)."""
    lines = ["🗑 <b>Done. I deleted:</b>"]
    for table, one, many in KINDS:
        n = counts.get(table, 0)
        if n:
            lines.append(f"• {n} {one if n == 1 else many}")
    lines += [
        "",
        "Telegram's numbers for your last messages stay a day or two, linked to nobody, so "
        "none is handled twice. Send /start if you want to begin again.",
    ]
    return Message("\n".join(lines))

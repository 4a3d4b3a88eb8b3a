"""Content checks that need the renderer: every message and button within Telegram's limits.

The schema (`content.py`) knows what a lesson is; only rendering knows how long its messages
and buttons become, so these checks run over every message a step can produce.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.content import (
    ContentError,
    Course,
    Library,
    Problem,
    Step,
    Verdict,
    field_line,
    load_library,
)
from bot.core.model import Phase, Position, Target
from bot.core.prompt import ask, find_repair
from bot.core.say import (
    AnotherWay,
    Bridge,
    CourseSummary,
    Feedback,
    MoveOn,
    NextStepOffer,
    Note,
    Pattern,
    ReviewNudge,
    Say,
    StepIntro,
    SummaryRow,
    Takeaway,
)
from bot.views import callbacks
from bot.views import lesson as render
from bot.views.message import MAX_TEXT, Message, extended, visible_length


def load_checked(root: Path) -> Library:
    """Load every course and check it renders within Telegram's limits, or raise ContentError."""
    library = load_library(root)
    problems = [p for course in library.courses for p in message_problems(root, course)]
    if problems:
        raise ContentError(problems)
    return library


def message_problems(root: Path, course: Course) -> Iterator[Problem]:
    """Every message and button of `course` within Telegram's limits (files under `root`)."""
    for step in course.steps:
        path = root / course.id / f"step-{step.number}.yaml"
        for field, message in _everything_said(course, step):
            length = visible_length(message.text)
            if length > MAX_TEXT:
                message_ = f"message is {length} characters, over {MAX_TEXT}"
                yield Problem(path, field_line(path, field), field, message_)
            for row in message.buttons:
                for button in row:
                    if not callbacks.fits(button.data):
                        too_long = f"button data {button.data!r} is over 64 bytes"
                        yield Problem(path, field_line(path, field), field, too_long)


def _everything_said(course: Course, step: Step) -> Iterator[tuple[str, Message]]:
    """Every message a step can produce, as it is sent (what follows an answer goes out as
    one message), each with the field it comes from. The longest of each kind is checked:
    the question answered with its longest option, the repair with the check that follows."""
    seq = callbacks.LONGEST_SEQ
    opening = Position(course.id, step.number, 0, Phase.ASKING, seq)
    yield "intro", render.lesson([StepIntro(course, step), ask(course, step, opening)])[0]
    for i, question in enumerate(step.questions):
        at = Position(course.id, step.number, i, Phase.ASKING, seq)
        field = f"questions[{i}]"
        for place in (at, replace(at, attempt=2), replace(at, reviewing=True)):
            asked = render.lesson([ask(course, step, place)])[0]
            yield field, asked
            for j, option in enumerate(question.options):
                where = (course.id, step.number, i)
                added = render.answered(option.text, Feedback(question, option, where))
                yield f"{field}.options[{j}].feedback", extended(asked.text, added)
        if question.another_way:
            again = [
                AnotherWay(question),
                Note("try_again"),
                ask(course, step, replace(at, attempt=2)),
            ]
            yield f"{field}.another_way", render.lesson(again)[0]
        following = replace(at, question=i + 1)
        if question.bridge and i + 1 < len(step.questions):
            ahead = [Note("second_try"), Bridge(question.bridge), ask(course, step, following)]
            yield f"{field}.bridge", render.lesson(ahead)[0]
        check = question.as_check()
        checking = replace(at, target=Target.CHECK)
        if check is not None:
            asked = render.lesson([ask(course, step, checking)])[0]
            yield f"{field}.check", asked
            for j, option in enumerate(check.options):
                added = render.answered(option.text, Feedback(check, option))
                yield f"{field}.check.options[{j}].feedback", extended(asked.text, added)
        for j, option in enumerate(question.options):
            repair = find_repair(course, step, replace(at, chosen=option.id))
            then: list[Say] = [Note("no_shame"), repair]
            if check is not None:
                then += [Note("check_intro"), ask(course, step, checking)]
            yield f"{field}.options[{j}].misconception", render.lesson(then)[0]
    following = course.step(step.number + 1)
    hand_off = NextStepOffer(course, following) if following else _longest_summary(course)
    ending = [Takeaway(step), Pattern(step), hand_off, ReviewNudge(999)]
    longer = "takeaway" if len(step.takeaway) > len(step.pattern) else "pattern"
    yield longer, render.lesson(ending)[0]  # one message: named for its likelier culprit
    yield "buttons", render.lesson([MoveOn(seq, offer_another_way=True)])[0]


def _longest_summary(course: Course) -> CourseSummary:
    """The course's end at its longest: every question first missed, none connected since."""
    rows = tuple(
        SummaryRow(step.number, i + 1, q.prompt, Verdict.NOT_QUITE, connected_later=False)
        for step in course.steps
        for i, q in enumerate(step.questions)
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return CourseSummary(course, rows, first_review=now + timedelta(days=3), now=now)

"""Content checks that need the renderer: every message and button within Telegram's limits.

The schema (`content.py`) knows what a lesson is; only rendering knows how long its messages
and buttons become, so these checks run over every message a step can produce.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bot import callbacks, render
from bot.content import (
    ContentError,
    Course,
    Library,
    Problem,
    Step,
    field_line,
    load_library,
)
from bot.engine import AnotherWay, Ask, Bridge, Feedback, MoveOn, Pattern, Say, StepIntro, Takeaway


def load_checked(root: Path) -> Library:
    """Load every course and check it renders within Telegram's limits, or raise ContentError."""
    library = load_library(root)
    problems = [p for course in library.courses for p in _course_problems(root, course)]
    if problems:
        raise ContentError(problems)
    return library


def _course_problems(root: Path, course: Course) -> Iterator[Problem]:
    for step in course.steps:
        path = root / course.id / f"step-{step.number}.yaml"
        for field, item in _everything_said(course, step):
            message = render.lesson([item])[0]
            length = render.visible_length(message.text)
            if length > render.MAX_TEXT:
                message_ = f"message is {length} characters, over {render.MAX_TEXT}"
                yield Problem(path, field_line(path, field), field, message_)
            for row in message.buttons:
                for button in row:
                    if not callbacks.fits(button.data):
                        too_long = f"button data {button.data!r} is over 64 bytes"
                        yield Problem(path, field_line(path, field), field, too_long)


def _everything_said(course: Course, step: Step) -> Iterator[tuple[str, Say]]:
    seq = callbacks.LONGEST_SEQ
    yield "intro", StepIntro(course, step)
    for i, question in enumerate(step.questions):
        yield f"questions[{i}]", Ask(course, step, i, seq)
        for j, option in enumerate(question.options):
            yield f"questions[{i}].options[{j}].feedback", Feedback(question, option)
        if question.another_way:
            yield f"questions[{i}].another_way", AnotherWay(question)
        if question.bridge:
            yield f"questions[{i}].bridge", Bridge(question.bridge)
        as_question = question.as_check()
        if as_question is not None:
            checking = step.model_copy(update={"questions": [as_question]})
            yield f"questions[{i}].check", Ask(course, checking, 0, seq)
            for j, option in enumerate(question.check.options):
                field = f"questions[{i}].check.options[{j}].feedback"
                yield field, Feedback(as_question, option)
    yield "takeaway", Takeaway(step)
    yield "pattern", Pattern(step)
    yield "buttons", MoveOn(seq, offer_another_way=True, to_takeaway=False)

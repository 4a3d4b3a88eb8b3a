"""Content checks that need the renderer: every message and button within Telegram's limits.

The schema (`content.py`) knows what a lesson is; only rendering knows how long its messages
and buttons become, so these checks run over every message a step can produce.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from bot.content import (
    ContentError,
    Course,
    Library,
    Problem,
    Step,
    field_line,
    load_library,
)
from bot.core.model import Phase, Position, Target
from bot.core.prompt import ask, find_repair
from bot.core.say import (
    AnotherWay,
    Bridge,
    Feedback,
    MoveOn,
    Pattern,
    Say,
    StepIntro,
    Takeaway,
)
from bot.views import callbacks
from bot.views import lesson as render
from bot.views.message import MAX_TEXT, visible_length


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
            length = visible_length(message.text)
            if length > MAX_TEXT:
                message_ = f"message is {length} characters, over {MAX_TEXT}"
                yield Problem(path, field_line(path, field), field, message_)
            for row in message.buttons:
                for button in row:
                    if not callbacks.fits(button.data):
                        too_long = f"button data {button.data!r} is over 64 bytes"
                        yield Problem(path, field_line(path, field), field, too_long)


def _everything_said(course: Course, step: Step) -> Iterator[tuple[str, Say]]:
    """Every message a step can produce, each with the field it comes from."""
    seq = callbacks.LONGEST_SEQ
    yield "intro", StepIntro(course, step)
    for i, question in enumerate(step.questions):
        at = Position(course.id, step.number, i, Phase.ASKING, seq)
        for place in (at, replace(at, attempt=2), replace(at, reviewing=True)):
            yield f"questions[{i}]", ask(course, step, place)
        for j, option in enumerate(question.options):
            yield f"questions[{i}].options[{j}].feedback", Feedback(question, option)
        if question.another_way:
            yield f"questions[{i}].another_way", AnotherWay(question)
        if question.bridge:
            yield f"questions[{i}].bridge", Bridge(question.bridge)
        check = question.as_check()
        if check is not None:
            yield f"questions[{i}].check", ask(course, step, replace(at, target=Target.CHECK))
            for j, option in enumerate(check.options):
                yield f"questions[{i}].check.options[{j}].feedback", Feedback(check, option)
        for option in question.options:
            chosen = replace(at, chosen=option.id)
            yield f"questions[{i}].options", find_repair(course, step, chosen)
    yield "takeaway", Takeaway(step)
    yield "pattern", Pattern(step)
    yield "buttons", MoveOn(seq, offer_another_way=True, to_takeaway=False)

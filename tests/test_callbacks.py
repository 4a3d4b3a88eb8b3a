"""The callback-data protocol: round trips, the 64-byte limit, and anything else refused."""

from __future__ import annotations

import pytest

from bot.content import Library
from bot.views import callbacks
from bot.views.callbacks import AnotherWay, Answer, Courses, Next, OpenCourse, OpenStep


@pytest.mark.parametrize(
    "action",
    [
        Courses(),
        OpenCourse("neural-networks"),
        OpenStep("neural-networks", 4),
        Answer(17, "neural-networks", 4, 2, "d"),
        Next(3),
        AnotherWay(12),
    ],
)
def test_every_action_survives_a_round_trip(action: callbacks.Action) -> None:
    assert callbacks.decode(callbacks.encode(action)) == action


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "x",
        "a:1:c:4:0",
        "a:-1:c:4:0:b",
        "a:1::4:0:b",
        "n: 1",
        "n:+1",
        "n:1_0",
        "n:١",
        "s:c:4:extra",
        "m:1",
        "w:" + "9" * 13,
        "a:" + "1" * 70,
    ],
)
def test_anything_that_is_not_ours_decodes_to_none(data: str | None) -> None:
    assert callbacks.decode(data) is None


def test_the_longest_button_of_every_lesson_fits_64_bytes(library: Library) -> None:
    for course in library.courses:
        assert callbacks.fits(callbacks.encode(OpenCourse(course.id)))
        for step in course.steps:
            for q, question in enumerate(step.questions):
                for option in question.options:
                    answer = Answer(callbacks.LONGEST_SEQ, course.id, step.number, q, option.id)
                    assert callbacks.fits(callbacks.encode(answer))

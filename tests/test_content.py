"""Lessons on disk: every course loads, and the seed is held word for word.

How each kind of broken lesson is reported is in test_validate.py."""

from __future__ import annotations

import pytest

from bot.__main__ import main
from bot.content import Library
from bot.core.say import CourseSummary
from bot.views import lesson as lesson_views
from bot.views.message import plain
from tests.conftest import CONTENT
from tests.seed import Seed


def test_every_course_under_content_validates(library: Library) -> None:
    assert library.course("neural-networks") is not None
    assert [s.number for s in library.course("neural-networks").steps] == [1, 2, 3, 4]


def test_step_4_is_the_seed_word_for_word(library: Library, seed: Seed) -> None:
    course = library.course("neural-networks")
    step = course.step(4)
    assert course.header(step) == seed.header
    assert (step.title, step.intro) == (seed.title, seed.intro)
    assert len(step.questions) == len(seed.questions)
    for question, expected in zip(step.questions, seed.questions, strict=True):
        assert question.prompt == expected.prompt
        got = [(o.text, o.verdict.value, o.feedback) for o in question.options]
        assert got == [(o.text, o.label, o.feedback) for o in expected.options]
    assert step.questions[0].another_way == seed.another_way
    assert (step.questions[0].bridge, step.questions[1].bridge) == seed.bridges
    assert (step.takeaway, step.pattern) == (seed.takeaway, seed.pattern)


def test_the_seeds_no_shame_passage_is_said_in_full(seed: Seed) -> None:
    """Word for word up to its last two sentences, which spoke of the preview the seed was."""
    said = plain(lesson_views.NOTES["no_shame"])
    kept, preview = seed.no_shame.split(" This preview")
    assert said.startswith("No shame in this\n" + kept + " ")
    assert "preview" not in said and preview.startswith(" can't adapt to you.")


def test_a_course_ends_with_the_seeds_closing_lines_and_their_offers_as_buttons(
    library: Library, seed: Seed
) -> None:
    course = library.course("neural-networks")
    message = lesson_views.course_summary(CourseSummary(course, ()))
    assert plain(message.text).endswith(seed.closing.replace("\n", "\n\n"))
    offers = [b.data for row in message.buttons for b in row]
    assert {"o:pace", "o:deadline", "o:topic"} <= set(offers)


def test_validate_command_accepts_the_real_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(CONTENT)]) == 0
    assert "all valid" in capsys.readouterr().out

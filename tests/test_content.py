"""Lessons on disk: every course loads, and the seed is held word for word.

How each kind of broken lesson is reported is in test_validate.py."""

from __future__ import annotations

import pytest

from bot.__main__ import main
from bot.content import Library
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


def test_validate_command_accepts_the_real_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(CONTENT)]) == 0
    assert "all valid" in capsys.readouterr().out

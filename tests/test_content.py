"""Lessons on disk: the seed is held word for word, and a broken file is named precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.content import ContentError, Library, load_library
from bot.validate import load_checked
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


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the real content to break one way per test."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    return root


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_two_right_options_are_named_with_file_line_and_field(broken: Path) -> None:
    step4 = broken / "neural-networks" / "step-4.yaml"
    replace_in(step4, "verdict: Not quite", "verdict: Exactly")
    with pytest.raises(ContentError) as caught:
        load_library(broken)
    (problem,) = caught.value.problems
    assert str(problem).startswith(f"{step4}:{line_of(step4, '- id: which-way')}: questions[0]:")
    assert "exactly one option must be 'Exactly'" in str(problem)


def test_an_unknown_verdict_is_named(broken: Path) -> None:
    step4 = broken / "neural-networks" / "step-4.yaml"
    replace_in(step4, "verdict: Close", "verdict: Nearly")
    with pytest.raises(ContentError) as caught:
        load_library(broken)
    (problem,) = caught.value.problems
    assert problem.line == line_of(step4, "verdict: Nearly")
    assert problem.field == "questions[0].options[2].verdict"


def test_a_missing_field_is_named(broken: Path) -> None:
    step4 = broken / "neural-networks" / "step-4.yaml"
    text = step4.read_text(encoding="utf-8")
    step4.write_text(text.replace("takeaway:", "takeaways:", 1), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_library(broken)
    fields = {p.field for p in caught.value.problems}
    assert fields == {"takeaway", "takeaways"}


def test_a_yaml_syntax_error_gives_its_line(broken: Path) -> None:
    step4 = broken / "neural-networks" / "step-4.yaml"
    replace_in(step4, "- id: how-big", "- id: [how-big")
    with pytest.raises(ContentError) as caught:
        load_library(broken)
    (problem,) = caught.value.problems
    assert "YAML syntax" in problem.message
    assert problem.line is not None and problem.line >= line_of(step4, "- id: [how-big")


def test_a_message_over_4096_characters_is_refused(broken: Path) -> None:
    step4 = broken / "neural-networks" / "step-4.yaml"
    replace_in(step4, "title: 'Gradient descent:", "title: '" + "long " * 900 + "Gradient descent:")
    with pytest.raises(ContentError) as caught:
        load_checked(broken)
    problems = caught.value.problems
    assert problems[0].field == "intro"  # and every other message that shows the title
    assert all("over 4096" in p.message for p in problems)


def test_validate_command_reports_problems_and_exits_non_zero(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    step4 = broken / "neural-networks" / "step-4.yaml"
    replace_in(step4, "verdict: Close", "verdict: Nearly")
    assert main(["validate", str(broken)]) == 1
    err = capsys.readouterr().err
    assert f"{step4}:{line_of(step4, 'verdict: Nearly')}: questions[0].options[2].verdict:" in err
    assert "Traceback" not in err


def test_validate_command_accepts_the_real_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(CONTENT)]) == 0
    assert "all valid" in capsys.readouterr().out

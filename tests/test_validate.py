"""`python -m bot validate`: every class of authoring error is named as `path:line: field:
message`, with a non-zero exit and never a traceback; and the real course has every part."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.content import Library, Verdict
from tests.conftest import CONTENT

NN = "neural-networks"


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


# (file, old text, new text, line needle in the broken file, field, words of the message)
CASES = [
    ("step-1.yaml", "verdict: Close", "verdict: Kinda", "verdict: Kinda",
     "questions[0].options[0].verdict", "Input should be"),
    ("step-1.yaml", "  - id: b\n", "  - id: a\n", "- id: weighted-sum",
     "questions[0]", "duplicate option id 'a'"),
    ("step-1.yaml", "- id: why-activation", "- id: weighted-sum", "questions:",
     "questions", "duplicate question id 'weighted-sum'"),
    ("step-1.yaml", "verdict: Not quite", "verdict: Exactly", "- id: weighted-sum",
     "questions[0]", "exactly one option must be 'Exactly', found 2"),
    ("step-2.yaml", "  another_way:", "  anther_way:", "anther_way:",
     "questions[0].anther_way", "Extra inputs are not permitted"),
    ("step-1.yaml", "    feedback: >-", "    feedbak: >-", "  - id: a",
     "questions[0].options[0].feedback", "Field required"),
    ("step-1.yaml", "    prompt: >-\n      An ice-cream", "    promt: >-\n      An ice-cream",
     "  check:", "questions[0].check.prompt", "Field required"),
    ("step-1.yaml", "misconception: activation-is-learned", "misconception: nonsense",
     "misconception: nonsense", "questions[1].options[2].misconception",
     "'nonsense' is not in course.yaml misconceptions"),
    ("step-1.yaml", "questions:\n- id: weighted-sum", "questions: [\n- id: weighted-sum",
     "- id: weighted-sum", "", "YAML syntax"),
    ("course.yaml", "repaired_by_step: 1", "repaired_by_step: 9", "",
     "misconceptions[0].repaired_by_step", "step 9 does not exist"),
    ("step-2.yaml", "concept: squared-error", "concept: squared-errors",
     "concept: squared-errors", "questions[1].concept",
     "'squared-errors' is not in course.yaml concepts"),
    ("course.yaml", "id: neural-networks", "id: neural-nets", "id: neural-nets",
     "id", "must match the folder name 'neural-networks'"),
    ("step-3.yaml", "number: 3", "number: 5", "", "number",
     "steps must be numbered 1..N in order, found [1, 2, 5, 4]"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "old", "new", "needle", "field", "words"), CASES)
def test_each_authoring_error_is_named_with_path_line_and_field(
    broken: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    old: str,
    new: str,
    needle: str,
    field: str,
    words: str,
) -> None:
    path = broken / NN / name
    edit(path, old, new)
    assert main(["validate", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    problems = [line for line in err.splitlines() if words in line]
    assert problems, err
    where = path if name != "step-3.yaml" else broken / NN
    line = f":{line_of(path, needle)}" if needle else ""
    prefix = f"{where}{line}: {field}: " if field else f"{where}{line}: "
    assert problems[0].startswith(prefix), (problems[0], prefix)


def test_a_message_over_4096_characters_is_named_with_its_line(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = broken / NN / "step-2.yaml"
    edit(path, "takeaway: >-\n", "takeaway: >-\n  " + "very " * 900 + "\n  ")
    assert main(["validate", str(broken)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:{line_of(path, 'takeaway:')}: takeaway: message is" in err
    assert "over 4096" in err


def test_a_missing_folder_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path / "nowhere")]) == 1
    assert "content folder not found" in capsys.readouterr().err


# --- The real course has every part a learner needs ----------------------------------------


def test_the_course_has_four_steps_in_order_each_complete(library: Library) -> None:
    course = library.course(NN)
    assert [s.number for s in course.steps] == [1, 2, 3, 4]
    for step in course.steps:
        assert course.header(step) == f"How a neural network learns · Step {step.number} of 4"
        assert step.title and step.intro and step.takeaway and step.pattern
        assert len(step.questions) == 3
        assert step.questions[0].bridge and step.questions[1].bridge
        for question in step.questions:
            assert question.concept, question.id
            assert question.check is not None, question.id
            for options in (question.options, question.check.options):
                assert sorted(o.verdict for o in options) == sorted(Verdict)
                assert options[-1].text == "I'm not sure"
                assert options[-1].verdict is Verdict.NO_WORRIES
            if step.number < 4:  # the seed step has one other angle, on question 1
                assert question.another_way, question.id


def test_a_second_course_proves_the_format_is_general(library: Library) -> None:
    others = [c for c in library.courses if c.id != NN]
    assert others and all(len(c.steps) >= 2 for c in others)
    assert library.courses[0].id == NN  # the flagship comes first in the menu

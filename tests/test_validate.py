"""`python -m bot validate`: every class of authoring error is named as `path:line: field:
message`, with a non-zero exit and never a traceback; and the real course has every part."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from bot.content import ContentError, Library, Verdict, load_library
from bot.content.schema import CONCEPT_TITLE_MAX, COURSE_TITLE_MAX, STEP_TITLE_MAX
from tests.conftest import CONTENT, ROOT

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
    ("course.yaml", "repaired_by_step: 1", "repaired_by_step: 9", "repaired_by_step: 9",
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


# --- Input that could hang, crash or silently mislead the loader ----------------------------


def alias_bomb(levels: int = 9, width: int = 10) -> str:
    """A "billion laughs": each anchored list holds the one before it `width` times, so
    expanding it would build width**levels (a billion) strings: minutes and gigabytes."""
    names = "abcdefghijklmnopqrstuvwxyz"[:levels]
    rows = [f"{names[0]}: &{names[0]} [{', '.join(['lol'] * width)}]"]
    for before, name in itertools.pairwise(names):
        rows.append(f"{name}: &{name} [{', '.join([f'*{before}'] * width)}]")
    return "\n".join(rows) + "\n"


def within(seconds: float, work: Callable[[], Any]) -> Any:
    """`work()` in a daemon thread: a regression that expands the bomb fails here after
    `seconds` (Future.result times out) instead of hanging the run, even at exit."""
    future: Future[Any] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to the test through the future
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True).start()
    return future.result(timeout=seconds)


def problems_in(broken: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The problem lines `validate` prints (the last line is the count)."""
    assert main(["validate", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    *problems, count = err.splitlines()
    assert count == f"{len(problems)} problem(s) found."
    return problems


def test_an_alias_bomb_is_refused_at_its_first_anchor_without_being_expanded(
    broken: Path,
) -> None:
    path = broken / NN / "step-2.yaml"
    path.write_text("# step 2, replaced by a bomb\nnumber: 2\n" + alias_bomb(), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        within(10, lambda: load_library(broken))
    (problem,) = [p for p in caught.value.problems if p.path == path]
    assert (problem.line, problem.field) == (line_of(path, "a: &a"), "")
    assert problem.message.startswith("YAML anchor '&a' is not allowed")


def test_validate_prints_one_line_per_problem_for_an_alias_bomb_and_exits_1(
    broken: Path,
) -> None:
    bomb = broken / NN / "step-2.yaml"
    bomb.write_text("number: 2\n" + alias_bomb(), encoding="utf-8")
    course = broken / "compound-interest" / "course.yaml"
    edit(course, "description:", "title: A second title\ndescription:")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "validate", str(broken)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,  # a regression that expands the bomb is killed, not left to hang
    )
    assert run.returncode == 1
    first_title = line_of(course, "title:")
    assert run.stderr.splitlines() == [
        f"{course}:{line_of(course, 'A second title')}: title: "
        f"duplicate key 'title' (first at line {first_title})",
        f"{bomb}:2: YAML anchor '&a' is not allowed: lessons never need anchors (&name) or "
        "aliases (*name); write the text out in full",
        "2 problem(s) found.",
    ]


def test_a_plain_anchor_is_refused_even_with_no_alias(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = broken / NN / "step-1.yaml"
    edit(path, "takeaway: >-", "takeaway: &rule >-")
    (problem,) = problems_in(broken, capsys)
    assert problem.startswith(f"{path}:{line_of(path, '&rule')}: YAML anchor '&rule' is not")


@pytest.mark.parametrize(
    ("old", "new", "needle", "first", "field"),
    [
        ("takeaway: >-", "title: Again\ntakeaway: >-", "title: Again", "title: 'The", "title"),
        (
            "    verdict: Close\n",
            "    verdict: Close\n    text: Twice\n",
            "text: Twice",
            'text: "−2"',
            "questions[0].options[0].text",
        ),
    ],
    ids=["at-the-top", "inside-an-option"],
)
def test_a_duplicate_key_is_refused_at_the_second_ones_line(
    broken: Path,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    needle: str,
    first: str,
    field: str,
) -> None:
    path = broken / NN / "step-1.yaml"
    edit(path, old, new)
    key = field.rsplit(".", 1)[-1]
    (problem,) = problems_in(broken, capsys)
    line, first_line = line_of(path, needle), line_of(path, first)
    assert first_line < line
    assert problem == f"{path}:{line}: {field}: duplicate key '{key}' (first at line {first_line})"


TITLES = [  # (file, the title's line, its field, the limit, what the message says)
    ("course.yaml", "title: How a neural network learns", "title", COURSE_TITLE_MAX,
     "title is {n} characters; a button shows at most 60"),
    ("step-1.yaml", "title: 'The forward pass: from inputs to a prediction, one layer at a time'",
     "title", STEP_TITLE_MAX, "title is {n} characters; a step title has at most 120"),
    ("course.yaml", "weighted-sum: the weighted sum", "concepts.weighted-sum", CONCEPT_TITLE_MAX,
     "concept title is {n} characters; /progress shows at most 80"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "old", "field", "limit", "words", "n"),
    [
        (*TITLES[0], 3000),
        (*TITLES[1], STEP_TITLE_MAX + 1),
        (*TITLES[2], CONCEPT_TITLE_MAX + 1),
    ],
    ids=["a-3000-character-course-title", "a-121-character-step-title", "an-81-character-concept"],
)
def test_a_title_too_long_for_where_it_is_shown_is_refused_at_its_line(
    broken: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    old: str,
    field: str,
    limit: int,
    words: str,
    n: int,
) -> None:
    path = broken / NN / name
    edit(path, old, old.split(": ", 1)[0] + ": " + "x" * n)
    (problem,) = problems_in(broken, capsys)
    line = line_of(path, "x" * n)
    assert problem == f"{path}:{line}: {field}: Value error, {words.format(n=n)}"


def test_titles_exactly_at_their_limits_are_accepted(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, old, _field, limit, _words in TITLES:
        edit(broken / NN / name, old, old.split(": ", 1)[0] + ": " + "x" * limit)
    assert main(["validate", str(broken)]) == 0, capsys.readouterr().err


NOT_A_MAPPING = "expected a mapping of fields at the top level, found"
BAD_FILES = [  # (what step-2.yaml holds, the problem's line, what it says)
    (b"number: 2\ntitle: caf\xe9\n", 2, "not valid UTF-8 (byte 0xe9); save the file as UTF-8"),
    (b"", 1, "the file is empty; expected a mapping of fields"),
    (b"# nothing here yet\n", 1, "the file is empty; expected a mapping of fields"),
    (b"just a sentence\n", 1, f"{NOT_A_MAPPING} a single value"),
    (b"- number: 2\n", 1, f"{NOT_A_MAPPING} a list"),
    (b"number: 2\ntitle: a\x07b\n", 2, "character U+0007 is not allowed in YAML; remove it"),
    (b"number: 2\ntitle: 2024-02-30\n", 2,
     "YAML value: cannot read this value: day is out of range for month"),
    (b"number: 2\n---\nnumber: 3\n", 2,
     "YAML: expected a single document in the stream, but found another document"),
    (b"number: 2\nx: " + b"[" * 100 + b"]" * 100 + b"\n", 2,
     "nested more than 20 levels deep; a lesson needs about 6"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "line", "message"),
    BAD_FILES,
    ids=["not-utf8", "empty", "only-a-comment", "a-scalar", "a-list", "a-control-character",
         "an-impossible-date", "two-documents", "nested-100-deep"],
)  # fmt: skip
def test_a_file_that_is_not_a_lesson_at_all_is_one_clean_line(
    broken: Path, capsys: pytest.CaptureFixture[str], raw: bytes, line: int, message: str
) -> None:
    path = broken / NN / "step-2.yaml"
    path.write_bytes(raw)
    assert problems_in(broken, capsys) == [f"{path}:{line}: {message}"]


def test_nesting_deep_enough_to_crash_a_yaml_parser_is_one_clean_line(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = broken / NN / "step-2.yaml"
    path.write_bytes(b"number: 2\nx: " + b"[" * 100_000 + b"]" * 100_000 + b"\n")
    (problem,) = problems_in(broken, capsys)
    # Our limit, or PyYAML's own (6.0.4 and later stop at their maximum nesting depth first).
    assert problem.startswith(f"{path}:2: ") and "nest" in problem, problem


def test_the_real_content_loads_with_every_title_within_its_limit(library: Library) -> None:
    for course in library.courses:
        assert len(course.title) <= COURSE_TITLE_MAX, course.id
        assert all(len(title) <= CONCEPT_TITLE_MAX for _, title in course.concepts), course.id
        assert all(len(step.title) <= STEP_TITLE_MAX for step in course.steps), course.id
    assert main(["validate", str(CONTENT)]) == 0


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


# --- The teaching rules (bot/content/teaching.py) ---------------------------------------------


def cut_block(path: Path, key: str, after: str = "") -> None:
    """Remove the first folded block `key: >-` (and its indented lines) after `after`."""
    text = path.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    match = re.compile(rf"^( *){key}: >-\n(?:\1  .*\n)+", re.M).search(text, start)
    assert match, key
    path.write_text(text[: match.start()] + text[match.end() :], encoding="utf-8")


def problems_of(broken: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["validate", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.splitlines()[:-1]  # the last line counts them


def test_a_wrong_option_without_a_misconception_is_named_at_its_line(broken, capsys) -> None:
    path = broken / NN / "step-4.yaml"
    edit(path, "    misconception: gradient-points-downhill\n", "")
    [problem] = problems_of(broken, capsys)
    line = line_of(path, "    text: Along the gradient") - 1  # the option's `- id: a`
    assert problem == (
        f"{path}:{line}: questions[0].options[0]: a 'Not quite' option needs a misconception: "
        "its repair is what a learner reads after a second miss"
    )


def test_i_am_not_sure_needs_a_misconception_too(broken, capsys) -> None:
    path = broken / NN / "step-4.yaml"
    text = path.read_text(encoding="utf-8")
    unsure = text.index("    text: I'm not sure")
    tagged = text.index("    misconception:", unsure)
    end = text.index("\n", tagged) + 1
    path.write_text(text[:tagged] + text[end:], encoding="utf-8")
    [problem] = problems_of(broken, capsys)
    assert problem.startswith(f"{path}:{line_of(path, 'text: I') - 1}: questions[0].options[3]: ")
    assert "a 'No worries' option needs a misconception" in problem


def test_a_question_without_another_way_is_named_at_its_line(broken, capsys) -> None:
    path = broken / NN / "step-4.yaml"
    cut_block(path, "another_way", after="- id: how-big")
    [problem] = problems_of(broken, capsys)
    assert problem == (
        f"{path}:{line_of(path, '- id: how-big')}: questions[1]: another_way is missing: every "
        "question needs a second angle, shown after a first miss"
    )


def test_a_repair_that_repeats_the_questions_other_angle_is_named(
    broken, capsys, library: Library
) -> None:
    path = broken / NN / "course.yaml"
    angle = library.course(NN).step(4).questions[0].another_way
    text = path.read_text(encoding="utf-8")
    start = text.index("- id: gradient-points-downhill")
    match = re.compile(r"^  repair: >-\n(?:    .*\n)+", re.M).search(text, start)
    assert match
    quoted = angle.replace("'", "''")
    path.write_text(text[: match.start()] + f"  repair: '{quoted}'\n" + text[match.end() :])
    found = [p for p in problems_of(broken, capsys) if "step-4.yaml questions[0].another_way" in p]
    line = line_of(path, "  repair: 'Picture standing")
    index = [m.id for m in library.course(NN).misconceptions].index("gradient-points-downhill")
    assert found == [
        f"{path}:{line}: misconceptions[{index}].repair: repeats step-4.yaml "
        "questions[0].another_way: a second miss must show the learner something new"
    ]


def test_i_am_not_sure_anywhere_but_last_is_named(broken, capsys) -> None:
    path = broken / NN / "step-4.yaml"
    edit(path, "    verdict: Close\n", "    verdict: No worries\n")
    problems = problems_of(broken, capsys)
    assert (
        f"{path}:{line_of(path, 'verdict: No worries')}: questions[0].options[2].verdict: "
        in (problems[0])
    )
    assert "it must be the last one" in problems[0]


def test_every_question_of_every_course_meets_the_teaching_rules(library: Library) -> None:
    """The shipped courses, as the rules see them (the validator would refuse them otherwise)."""
    for course in library.courses:
        for step in course.steps:
            for question in step.questions:
                assert question.another_way, (course.id, step.number, question.id)
                for option in question.options:
                    assert option.verdict.is_right or option.misconception, (question.id, option)
                assert question.options[-1].verdict is Verdict.NO_WORRIES

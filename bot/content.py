"""Lessons as typed data: the YAML under `content/`, validated once at start-up.

A course is a folder holding `course.yaml` and one `step-N.yaml` per step. Everything the
engine reads is here and nothing else: content is data, with no templates and no code.
Problems are reported as `path:line: field: message`, so an author can act on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=24)]
OptionId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,4}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Verdict(StrEnum):
    """How an option stands; the value is the label the learner sees, word for word."""

    EXACTLY = "Exactly"
    CLOSE = "Close"
    NOT_QUITE = "Not quite"
    NO_WORRIES = "No worries"

    @property
    def is_right(self) -> bool:
        return self is Verdict.EXACTLY


class _Model(BaseModel):
    """Strict base: an unknown field in a lesson is an author's typo, not something to ignore."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Model):
    id: OptionId
    text: Text
    verdict: Verdict
    feedback: Text
    misconception: Slug | None = None
    """The wrong idea this option reveals, named in the course's `misconceptions`."""


class CheckQuestion(_Model):
    """The same idea from a different surface, used to confirm a learner has really got it."""

    prompt: Text
    options: list[Option] = Field(min_length=2, max_length=8)

    @model_validator(mode="after")
    def _one_right_option(self) -> CheckQuestion:
        _check_options(self.options)
        return self


class Question(_Model):
    id: Slug
    prompt: Text
    options: list[Option] = Field(min_length=2, max_length=8)
    another_way: Text | None = None
    """A second angle on the idea: shown after a miss, offered after a right answer."""
    bridge: Text | None = None
    """The short link from this question to the next one, shown before it."""
    concept: Slug | None = None
    check: CheckQuestion | None = None

    @model_validator(mode="after")
    def _one_right_option(self) -> Question:
        _check_options(self.options)
        return self

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)

    def as_check(self) -> Question | None:
        """The check question, shaped as a question of its own (it was validated as part of
        this one), so the engine and renderer treat both alike."""
        if self.check is None:
            return None
        return Question.model_construct(
            id=f"{self.id}.check",
            prompt=self.check.prompt,
            options=self.check.options,
            another_way=None,
            bridge=None,
            concept=self.concept,
            check=None,
        )


class Step(_Model):
    number: int = Field(ge=1, le=99)
    title: Text
    intro: Text
    questions: list[Question] = Field(min_length=1, max_length=20)
    takeaway: Text
    pattern: Text

    @field_validator("questions")
    @classmethod
    def _unique_question_ids(cls, questions: list[Question]) -> list[Question]:
        _check_unique([q.id for q in questions], "question id")
        return questions


class Misconception(_Model):
    id: Slug
    summary: Text
    repaired_by_step: int = Field(ge=1)


class CourseInfo(_Model):
    """`course.yaml`: what a course is called and how it introduces itself."""

    id: Slug
    title: Text
    description: Text
    misconceptions: list[Misconception] = []
    order: int = 100
    """Where the course stands in the menu: lower first, then by id."""
    concepts: dict[Slug, Text] = {}
    """How each concept is named to a learner (in /progress); a slug reads as words otherwise."""


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    description: str
    steps: tuple[Step, ...]
    misconceptions: tuple[Misconception, ...] = ()
    order: int = 100
    concepts: tuple[tuple[str, str], ...] = ()

    def concept_title(self, concept: str) -> str:
        return dict(self.concepts).get(concept) or concept.replace("-", " ")

    @property
    def total_steps(self) -> int:
        return len(self.steps)

    def step(self, number: int) -> Step | None:
        return next((s for s in self.steps if s.number == number), None)

    def header(self, step: Step) -> str:
        return f"{self.title} · Step {step.number} of {self.total_steps}"


@dataclass(frozen=True)
class Library:
    """Every course the bot can teach, in menu order."""

    courses: tuple[Course, ...]

    def course(self, course_id: str) -> Course | None:
        return next((c for c in self.courses if c.id == course_id), None)


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ContentError(Exception):
    """The lessons on disk are not valid; every problem found is listed."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _check_options(options: list[Option]) -> None:
    _check_unique([o.id for o in options], "option id")
    right = sum(o.verdict.is_right for o in options)
    if right != 1:
        raise ValueError(f"exactly one option must be '{Verdict.EXACTLY}', found {right}")


def _check_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} '{value}'")
        seen.add(value)


M = TypeVar("M", bound=BaseModel)

STEP_FILE = re.compile(r"^step-(\d+)\.ya?ml$")


def load_library(root: Path) -> Library:
    """Load and validate every course under `root`, or raise ContentError listing all problems."""
    problems: list[Problem] = []
    courses: list[Course] = []
    if not root.is_dir():
        raise ContentError([Problem(root, None, "", "content folder not found")])
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        course = _load_course(folder, problems)
        if course is not None:
            courses.append(course)
    if not courses and not problems:
        problems.append(Problem(root, None, "", "no course found (expected <course>/course.yaml)"))
    ids = [c.id for c in courses]
    for dup in {i for i in ids if ids.count(i) > 1}:
        problems.append(Problem(root, None, "id", f"duplicate course id '{dup}'"))
    if problems:
        raise ContentError(problems)
    return Library(tuple(sorted(courses, key=lambda c: (c.order, c.id))))


def _load_course(folder: Path, problems: list[Problem]) -> Course | None:
    info_path = folder / "course.yaml"
    if not info_path.exists():
        problems.append(Problem(info_path, None, "", "missing course.yaml"))
        return None
    info = _load_model(info_path, CourseInfo, problems)
    step_files = sorted(
        (p for p in folder.iterdir() if STEP_FILE.match(p.name)), key=_step_sort_key
    )
    loaded = [(path, _load_model(path, Step, problems)) for path in step_files]
    if info is None or any(step is None for _, step in loaded):
        return None  # course-wide checks would only repeat the problems already found
    if info.id != folder.name:
        message = f"must match the folder name '{folder.name}'"
        problems.append(Problem(info_path, _line_of(info_path, "id:"), "id", message))
        return None
    steps = [step for _, step in loaded if step is not None]
    if not steps:
        problems.append(Problem(folder, None, "", "a course needs at least one step-N.yaml"))
        return None
    numbers = [s.number for s in steps]
    if numbers != list(range(1, len(steps) + 1)):
        message = f"steps must be numbered 1..N in order, found {numbers}"
        problems.append(Problem(folder, None, "number", message))
        return None
    problems.extend(_reference_problems(info_path, info, loaded))
    return Course(
        info.id,
        info.title,
        info.description,
        tuple(steps),
        tuple(info.misconceptions),
        info.order,
        tuple(info.concepts.items()),
    )


def _reference_problems(
    info_path: Path, info: CourseInfo, loaded: list[tuple[Path, Step | None]]
) -> Iterator[Problem]:
    """Misconceptions named on options exist, and each names a step that exists."""
    numbers = {step.number for _, step in loaded if step is not None}
    known = {m.id for m in info.misconceptions}
    for path, step in loaded:
        assert step is not None
        for q, question in enumerate(step.questions):
            if info.concepts and question.concept and question.concept not in info.concepts:
                line = _line_of(path, f"concept: {question.concept}")
                message = f"'{question.concept}' is not in course.yaml concepts"
                yield Problem(path, line, f"questions[{q}].concept", message)
    for i, m in enumerate(info.misconceptions):
        if m.repaired_by_step not in numbers:
            field = f"misconceptions[{i}].repaired_by_step"
            yield Problem(info_path, None, field, f"step {m.repaired_by_step} does not exist")
    for path, step in loaded:
        assert step is not None
        for q, question in enumerate(step.questions):
            groups = [("options", question.options)]
            if question.check is not None:
                groups.append(("check.options", question.check.options))
            for name, options in groups:
                for o, option in enumerate(options):
                    if option.misconception and option.misconception not in known:
                        field = f"questions[{q}].{name}[{o}].misconception"
                        message = f"'{option.misconception}' is not in course.yaml misconceptions"
                        yield Problem(
                            path,
                            _line_of(path, f"misconception: {option.misconception}"),
                            field,
                            message,
                        )


def _line_of(path: Path, needle: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    return None


def _step_sort_key(path: Path) -> tuple[int, str]:
    match = STEP_FILE.match(path.name)
    return (int(match.group(1)) if match else 0, path.name)


def _load_model(path: Path, model: type[M], problems: list[Problem]) -> M | None:
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problems.append(Problem(path, line, "", f"YAML syntax: {exc.problem}"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, None, "", f"cannot read: {exc}"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(path, 1, "", "expected a mapping at the top level"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = dict(_node_lines(node))
        for error in exc.errors():
            loc = tuple(error["loc"])
            problems.append(Problem(path, _nearest_line(lines, loc), _field(loc), error["msg"]))
        return None


def field_line(path: Path, field: str) -> int | None:
    """The line of a field such as `questions[1].options[0].feedback` in a lesson file."""
    loc: list[str | int] = []
    for name, index in re.findall(r"([A-Za-z_]+)|\[(\d+)\]", field):
        loc.append(name if name else int(index))
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    return _nearest_line(dict(_node_lines(node)), tuple(loc))


def _node_lines(node: yaml.Node | None) -> Iterator[tuple[tuple, int]]:
    """Every path in the YAML tree with its line (a mapping entry's is its key's line)."""
    if node is not None:
        yield (), node.start_mark.line + 1
        yield from _child_lines(node, ())


def _child_lines(node: yaml.Node, loc: tuple[Any, ...]) -> Iterator[tuple[tuple, int]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield (*loc, key.value), key.start_mark.line + 1
            yield from _child_lines(value, (*loc, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield (*loc, index), item.start_mark.line + 1
            yield from _child_lines(item, (*loc, index))


def _nearest_line(lines: dict[tuple, int], loc: tuple) -> int | None:
    """The line of the deepest part of `loc` that exists in the file (a missing field has none)."""
    for end in range(len(loc), -1, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if key in lines:
            return lines[key]
    return None


def _field(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out

"""What a lesson is: the typed model the YAML under `content/` is validated into (pydantic).

Everything the tutor reads about a lesson is here and nothing else: content is data, with no
templates and no code. Loading and the `path:line` reports live in `load`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=24)]
OptionId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,4}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

COURSE_TITLE_MAX = 60
"""A course title is the label of its button in the course menu: a phone in portrait shows
roughly 50-60 characters on one full-width button before Telegram cuts the label with "…"."""
STEP_TITLE_MAX = 120
"""A step title heads the step's first message and appears in reminders and the course map."""
CONCEPT_TITLE_MAX = 80
"""A concept title (a `concepts:` value in course.yaml) is one line of /progress."""


def _capped(limit: int, what: str, shown: str) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"{what} is {len(value)} characters; {shown} at most {limit}")
        return value

    return AfterValidator(check)


CourseTitle = Annotated[Text, _capped(COURSE_TITLE_MAX, "title", "a button shows")]
StepTitle = Annotated[Text, _capped(STEP_TITLE_MAX, "title", "a step title has")]
ConceptTitle = Annotated[Text, _capped(CONCEPT_TITLE_MAX, "concept title", "/progress shows")]


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
    title: StepTitle
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
    """The wrong idea, as a learner holding it would say it."""
    repaired_by_step: int = Field(ge=1)
    repair: Text
    """What a learner reads after a second miss: the idea again from a new angle, one they have
    not read in the question (its feedback and its other angle come before)."""


class CourseInfo(_Model):
    """`course.yaml`: what a course is called and how it introduces itself."""

    id: Slug
    title: CourseTitle
    description: Text
    misconceptions: list[Misconception] = []
    order: int = 100
    """Where the course stands in the menu: lower first, then by id."""
    concepts: dict[Slug, ConceptTitle] = {}
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
    written_by: str | None = None
    """The language model that wrote this course for a learner's topic; None when authored."""

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
    """Every course the bot can teach: the authored ones in menu order, and those a language
    model wrote for learners' topics (found by id, never listed in the menus)."""

    courses: tuple[Course, ...]
    written: dict[str, Course] = field(default_factory=dict, compare=False, repr=False)

    def course(self, course_id: str) -> Course | None:
        found = next((c for c in self.courses if c.id == course_id), None)
        return found or self.written.get(course_id)

    def add_written(self, course: Course) -> None:
        self.written[course.id] = course

    def remove_written(self, course_id: str) -> None:
        self.written.pop(course_id, None)


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

"""The shape of a lesson a model writes: the JSON it is asked for, and the form we promise.

An authored course may have any number of questions and options; a written one always has the
same form, so a learner meets the same rhythm whatever the topic and a reviewer can check it at
a glance: each step exactly three questions, each question exactly four options (one `Exactly`,
one `Close`, one `Not quite`, then "I'm not sure"), each with its other angle and its check, and
the first two leading on with a bridge. The validator (`bot.content.load`, `checks`) decides
whether a lesson is valid at all; `problems` here adds only what that form asks beyond it.

Problems are reported against the JSON the model wrote (`steps[0].questions[1].options[2]`),
through `located`, so a model can find and fix each one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.content.schema import (
    COURSE_TITLE_MAX,
    ConceptTitle,
    Course,
    Misconception,
    Problem,
    Slug,
    Step,
    Verdict,
)

QUESTIONS = 3
OPTIONS = 4
OPTION_TEXT_MAX = 90
"""content/README.md: an option is read on a phone; 90 characters is about two lines."""
UNSURE = "I'm not sure"
ONE_OF_EACH = [Verdict.EXACTLY, Verdict.CLOSE, Verdict.NOT_QUITE]


class Draft(BaseModel):
    """What the model returns: a course and its steps, in the lessons' own schema (`Step`,
    `Misconception`), or only a refusal. The refusal comes first, so a server that makes the
    model follow the schema token by token lets it decide before it writes anything else."""

    model_config = ConfigDict(extra="forbid", title="lesson")

    refusal: str | None = Field(
        None,
        description="Only when you will not write on this topic: one plain sentence saying so. "
        "Otherwise leave it out.",
    )
    title: str = Field(max_length=COURSE_TITLE_MAX, description="The course's name: a button.")
    description: str = Field(description="One or two sentences that introduce the course.")
    misconceptions: list[Misconception] = Field(
        description="Every wrong idea an option names, each with its own new-angle repair."
    )
    concepts: dict[Slug, ConceptTitle] = Field(
        default_factory=dict, description="Each question's concept slug, as a learner reads it."
    )
    steps: list[Step]


def json_schema() -> dict[str, Any]:
    """The JSON schema sent as the response format: the lesson schema itself, so what the model
    is told and what the validator checks cannot drift apart."""
    return Draft.model_json_schema()


def valid_id(course_id: str) -> bool:
    """Whether `course_id` can name a course (and its folder): a slug, as course.yaml's `id`."""
    try:
        TypeAdapter(Slug).validate_python(course_id)
    except ValidationError:
        return False
    return True


def problems(folder: Path, course: Course, steps: int) -> list[Problem]:
    """What the written form asks beyond a valid lesson: the counts, the order of verdicts, an
    "I'm not sure" last, another angle, a check and a bridge where a learner needs them."""
    found: list[Problem] = []
    if len(course.steps) != steps:
        message = f"the lesson has {len(course.steps)} step(s); write exactly {steps}"
        found.append(Problem(folder, None, "steps", message))
    for step in course.steps:
        path = folder / f"step-{step.number}.yaml"
        found.extend(Problem(path, None, field, message) for field, message in _step(step))
    return found


def _step(step: Step) -> Iterator[tuple[str, str]]:
    if len(step.questions) != QUESTIONS:
        yield "questions", f"has {len(step.questions)} questions; write exactly {QUESTIONS}"
    for q, question in enumerate(step.questions):
        where = f"questions[{q}]"
        options = question.options
        if len(options) != OPTIONS:
            yield f"{where}.options", f"has {len(options)} options; write exactly {OPTIONS}"
        else:
            if sorted(o.verdict for o in options[:-1]) != sorted(ONE_OF_EACH):
                yield (
                    f"{where}.options",
                    "the first three options must be one 'Exactly', one 'Close' and one "
                    "'Not quite', in any order",
                )
            last = options[-1]
            if last.verdict is not Verdict.NO_WORRIES or _plain(last.text) != _plain(UNSURE):
                yield (
                    f"{where}.options[{OPTIONS - 1}]",
                    f"the last option must be \"{UNSURE}\" with the verdict 'No worries'",
                )
        for o, option in enumerate(options):
            if len(option.text) > OPTION_TEXT_MAX:
                yield (
                    f"{where}.options[{o}].text",
                    f"is {len(option.text)} characters; an option is read on a phone: "
                    f"{OPTION_TEXT_MAX} at most",
                )
        if question.check is None:
            yield f"{where}.check", "is missing: the same idea in a new situation"
        if question.bridge is None and q < QUESTIONS - 1:
            yield f"{where}.bridge", "is missing: one or two sentences into the next question"


def located(problem: Problem) -> str:
    """A problem as `field: message`, the field a path in the model's JSON (`steps[0]...`),
    since the model wrote one JSON object, not our files."""
    name = problem.path.name
    number = re.fullmatch(r"step-(\d+)\.yaml", name)
    if number:
        field = f"steps[{int(number[1]) - 1}]" + (f".{problem.field}" if problem.field else "")
    elif name == "course.yaml":
        field = problem.field or "(the course)"
    else:
        field = problem.field or "(the lesson)"
        field = "steps" if field == "number" else field
    message = re.sub(r"step-(\d+)\.yaml ", lambda m: f"steps[{int(m[1]) - 1}].", problem.message)
    return f"{field}: {message}"


def unique(lines: Iterable[str]) -> list[str]:
    """Each problem once, in the order found (a message can be checked in several places)."""
    return list(dict.fromkeys(lines))


def _plain(text: str) -> str:
    return text.replace("\u2019", "'").strip().casefold()

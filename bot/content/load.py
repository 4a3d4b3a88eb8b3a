"""Loading lessons: every YAML file under `content/` read and validated once, at start-up.

A course is a folder holding `course.yaml` and one `step-N.yaml` per step. Problems are
reported as `path:line: field: message`, so an author can act on them, and all of them are
reported at once rather than the first.

Each file is read once and safely (`yaml_file`); pydantic then validates what it holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.content import teaching
from bot.content.schema import ContentError, Course, CourseInfo, Library, Problem, Step
from bot.content.yaml_file import field_name, nearest_line, read

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
        problems.append(Problem(info_path, field_line(info_path, "id"), "id", message))
        return None
    return assemble(folder, info, [(p, s) for p, s in loaded if s is not None], problems)


def course_from_data(
    folder: Path, info: dict[str, Any], steps: list[dict[str, Any]], **more: Any
) -> tuple[Course | None, list[Problem]]:
    """A course held as data rather than files (one a language model wrote): the same models
    and the same rules as a course on disk. Problems name `folder/step-N.yaml` and the field,
    with no line. `more` sets the course's own extras (`written_by`)."""
    problems: list[Problem] = []
    info_path = folder / "course.yaml"
    parsed = _validate(info_path, CourseInfo, info, {}, problems)
    loaded = [
        (folder / f"step-{n}.yaml", _validate(folder / f"step-{n}.yaml", Step, data, {}, problems))
        for n, data in enumerate(steps, start=1)
    ]
    if parsed is None or any(step is None for _, step in loaded):
        return None, problems
    course = assemble(folder, parsed, [(p, s) for p, s in loaded if s is not None], problems)
    return (replace(course, **more) if course and more else course), problems


def course_data(course: Course) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A course as the data `course_from_data` takes back: what to keep of a written one."""
    info = CourseInfo(
        id=course.id,
        title=course.title,
        description=course.description,
        misconceptions=list(course.misconceptions),
        order=course.order,
        concepts=dict(course.concepts),
    )
    steps = [step.model_dump(mode="json", exclude_none=True) for step in course.steps]
    return info.model_dump(mode="json", exclude_none=True, exclude_defaults=True), steps


def assemble(
    folder: Path, info: CourseInfo, loaded: list[tuple[Path, Step]], problems: list[Problem]
) -> Course | None:
    """A course from its validated parts, once its steps and references hold together."""
    info_path = folder / "course.yaml"
    steps = [step for _, step in loaded]
    if not steps:
        problems.append(Problem(folder, None, "", "a course needs at least one step-N.yaml"))
        return None
    numbers = [s.number for s in steps]
    if numbers != list(range(1, len(steps) + 1)):
        message = f"steps must be numbered 1..N in order, found {numbers}"
        problems.append(Problem(folder, None, "number", message))
        return None
    problems.extend(_reference_problems(info_path, info, loaded))
    for found in teaching.findings(info_path, info, loaded):
        line = field_line(found.path, found.field)
        problems.append(Problem(found.path, line, found.field, found.message))
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
    info_path: Path, info: CourseInfo, loaded: list[tuple[Path, Step]]
) -> Iterator[Problem]:
    """Misconceptions named on options exist, and each names a step that exists."""
    numbers = {step.number for _, step in loaded}
    known = {m.id for m in info.misconceptions}
    for path, step in loaded:
        for q, question in enumerate(step.questions):
            if info.concepts and question.concept and question.concept not in info.concepts:
                field = f"questions[{q}].concept"
                message = f"'{question.concept}' is not in course.yaml concepts"
                yield Problem(path, field_line(path, field), field, message)
    for i, m in enumerate(info.misconceptions):
        if m.repaired_by_step not in numbers:
            field = f"misconceptions[{i}].repaired_by_step"
            message = f"step {m.repaired_by_step} does not exist"
            yield Problem(info_path, field_line(info_path, field), field, message)
    for path, step in loaded:
        for q, question in enumerate(step.questions):
            groups = [("options", question.options)]
            if question.check is not None:
                groups.append(("check.options", question.check.options))
            for name, options in groups:
                for o, option in enumerate(options):
                    if option.misconception and option.misconception not in known:
                        field = f"questions[{q}].{name}[{o}].misconception"
                        message = f"'{option.misconception}' is not in course.yaml misconceptions"
                        yield Problem(path, field_line(path, field), field, message)


def _step_sort_key(path: Path) -> tuple[int, str]:
    match = STEP_FILE.match(path.name)
    return (int(match.group(1)) if match else 0, path.name)


def _load_model(path: Path, model: type[M], problems: list[Problem]) -> M | None:
    parsed = read(path)
    if parsed.problems or parsed.data is None:
        problems.extend(parsed.problems)
        return None
    return _validate(path, model, parsed.data, parsed.lines, problems)


def _validate(
    path: Path, model: type[M], data: Any, lines: dict[tuple, int], problems: list[Problem]
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            problems.append(Problem(path, nearest_line(lines, loc), field_name(loc), error["msg"]))
        return None


def field_line(path: Path, field: str) -> int | None:
    """The line of a field such as `questions[1].options[0].feedback` in a lesson file."""
    loc: list[str | int] = []
    for name, index in re.findall(r"([A-Za-z_]+)|\[(\d+)\]", field):
        loc.append(name if name else int(index))
    return nearest_line(read(path).lines, tuple(loc))

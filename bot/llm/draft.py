"""`python -m bot draft`: a model writes a lesson, saved as YAML files for an author to review.

A written lesson is a draft, not a course: it lands in the folder the author names, in the same
files and format as the authored ones (content/README.md), and goes into `content/` only after
someone has read it and `validate` has passed. So this command never writes into the lessons
folder by itself and never overwrites a lesson.

Every failure is one line on stderr and exit code 1 (the remaining problems of a lesson that
stayed invalid follow, one a line); the key is never printed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.config import ConfigError
from bot.content.load import course_data
from bot.content.schema import Course
from bot.llm import ModelSettings, shape
from bot.llm.write import ATTEMPTS, MAX_STEPS, MAX_TOPIC, NotWritten, write_course


def draft(topic: str, steps: int, out: Path, err: TextIO = sys.stderr) -> int:
    """Write `out/course.yaml` and `out/step-N.yaml` for `topic`; the course id is `out`'s name."""
    topic = " ".join(topic.split())
    refused = _refused_arguments(topic, steps, out)
    if refused:
        print(refused, file=err)
        return 1
    try:
        settings = ModelSettings.from_env()
    except ConfigError as exc:
        print(exc, file=err)
        return 1
    outcome = asyncio.run(write_course(settings, topic, out.name, steps))
    if isinstance(outcome, NotWritten):
        print(_failure(outcome, settings), file=err)
        for problem in outcome.problems:
            print(f"  {problem}", file=err)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    for name, text in course_files(outcome.course, topic).items():
        (out / name).write_text(text, encoding="utf-8")
    count = len(outcome.course.steps)
    print(f"wrote {out}: {count} step(s); run `python -m bot validate {out}/..` before publishing")
    return 0


def course_files(course: Course, topic: str) -> dict[str, str]:
    """The course as the files an author writes: course.yaml, then step-1.yaml onwards."""
    info, steps = course_data(course)
    about = " ".join(f"{topic!r}".split())
    header = (
        f"# Written by the model {course.written_by} on the topic {about}.\n"
        "# A draft: check every fact and every number before it goes into content/.\n"
    )
    files = {"course.yaml": header + _dump(info)}
    for step in steps:
        files[f"step-{step['number']}.yaml"] = _dump(step)
    return files


def _refused_arguments(topic: str, steps: int, out: Path) -> str | None:
    """What is wrong with the command line, checked before the model is asked anything."""
    if not topic or len(topic) > MAX_TOPIC:
        return f"the topic must be 1 to {MAX_TOPIC} characters"
    if not 1 <= steps <= MAX_STEPS:
        return f"--steps must be 1 to {MAX_STEPS}, got {steps}"
    if not shape.valid_id(out.name):
        return (
            f"--out {out}: the folder's name is the course id, so it must be lowercase letters, "
            "digits and hyphens, 24 characters at most (e.g. --out drafts/sourdough)"
        )
    if out.exists() and not out.is_dir():
        return f"--out {out} is a file, not a folder"
    if (out / "course.yaml").exists() or any(out.glob("step-*.yaml")):
        return f"--out {out} already holds a lesson; choose another folder or remove it first"
    return None


def _failure(outcome: NotWritten, settings: ModelSettings) -> str:
    match outcome.reason:
        case "refused":
            return f"the model declined to write on this topic: {outcome.detail}"
        case "invalid":
            return (
                f"the model's lesson still broke {len(outcome.problems)} rule(s) after "
                f"{ATTEMPTS} attempts; nothing written:"
            )
        case "timeout":
            return f"{outcome.detail}; a slow model may need a larger TUTOR_LLM_TIMEOUT"
        case _:
            return f"{outcome.detail}; check TUTOR_LLM_URL, TUTOR_LLM_MODEL and TUTOR_LLM_KEY"


FOLD_OVER = 80
"""Characters beyond which a text is folded over several lines rather than left on one."""


class _Dumper(yaml.SafeDumper):
    """Long text folded (`>-`), as authors write it: no quotes to escape, easy to edit."""


def _folded(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = ">" if len(text) > FOLD_OVER and "\n" not in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _folded)


def _dump(data: dict[str, Any]) -> str:
    """The YAML of `data`, folded where that reads back the same (else PyYAML's own style)."""
    options: dict[str, Any] = {"allow_unicode": True, "sort_keys": False, "width": 96}
    text = yaml.dump(data, Dumper=_Dumper, **options)
    return text if yaml.safe_load(text) == data else yaml.safe_dump(data, **options)

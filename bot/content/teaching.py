"""The teaching rules a lesson must meet beyond its shape: what makes the adaptive flow teach.

The schema (`schema`) says what a lesson is; these rules say what the tutor needs from it to
keep its promises to a learner who misses:
- every question has its own second angle, shown after a first miss;
- every wrong option and every "I'm not sure" names a misconception, whose repair is what a
  second miss shows;
- that repair is new to the learner: not the question's other angle, not an option's feedback;
- "I'm not sure" is the last option, so a reshuffle can keep it last.

Pure over the loaded models; `load` reports what they find as `path:line` problems, and a lesson
written by a model (later) must pass the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.content.schema import CourseInfo, Option, Step, Verdict


@dataclass(frozen=True)
class Finding:
    """One broken rule: in which file, at which field, and why it matters to a learner."""

    path: Path
    field: str
    message: str


def findings(
    info_path: Path, info: CourseInfo, steps: list[tuple[Path, Step]]
) -> Iterator[Finding]:
    for path, step in steps:
        for q, question in enumerate(step.questions):
            where = f"questions[{q}]"
            if question.another_way is None:
                yield Finding(
                    path,
                    where,
                    "another_way is missing: every question needs a second angle, shown after a "
                    "first miss",
                )
            yield from _unsure_last(path, f"{where}.options", question.options)
            if question.check is not None:
                yield from _unsure_last(path, f"{where}.check.options", question.check.options)
            for o, option in enumerate(question.options):
                if option.verdict is not Verdict.EXACTLY and option.misconception is None:
                    yield Finding(
                        path,
                        f"{where}.options[{o}]",
                        f"a '{option.verdict}' option needs a misconception: its repair is what a "
                        "learner reads after a second miss",
                    )
    yield from _repairs_are_new(info_path, info, steps)


def _unsure_last(path: Path, field: str, options: list[Option]) -> Iterator[Finding]:
    for o, option in enumerate(options):
        if option.verdict is Verdict.NO_WORRIES and o != len(options) - 1:
            yield Finding(
                path,
                f"{field}[{o}].verdict",
                "'No worries' is the \"I'm not sure\" option: it must be the last one",
            )


def _repairs_are_new(
    info_path: Path, info: CourseInfo, steps: list[tuple[Path, Step]]
) -> Iterator[Finding]:
    """A repair must not repeat what the learner read in a question that leads to it."""
    for m, misconception in enumerate(info.misconceptions):
        repair = _words(misconception.repair)
        for path, step in steps:
            for q, question in enumerate(step.questions):
                if not any(o.misconception == misconception.id for o in question.options):
                    continue
                seen = [("another_way", question.another_way)]
                seen += [
                    (f"options[{o}].feedback", x.feedback) for o, x in enumerate(question.options)
                ]
                for field, text in seen:
                    if text and _overlaps(repair, _words(text)):
                        yield Finding(
                            info_path,
                            f"misconceptions[{m}].repair",
                            f"repeats {path.name} questions[{q}].{field}: a second miss must "
                            "show the learner something new",
                        )


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _overlaps(repair: str, seen: str) -> bool:
    """The same text, or one holding the other whole: what a learner would read as a repeat."""
    return bool(repair and seen) and (repair in seen or seen in repair)

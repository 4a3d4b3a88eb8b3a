"""Lessons as data: the typed model (`schema`), loading it from YAML (`load`), and the checks
that need rendering (`checks`, imported from there to keep this package free of the views)."""

from bot.content.load import field_line, load_library
from bot.content.schema import (
    CheckQuestion,
    ContentError,
    Course,
    Library,
    Misconception,
    Option,
    Problem,
    Question,
    Step,
    Verdict,
)

__all__ = [
    "CheckQuestion",
    "ContentError",
    "Course",
    "Library",
    "Misconception",
    "Option",
    "Problem",
    "Question",
    "Step",
    "Verdict",
    "field_line",
    "load_library",
]

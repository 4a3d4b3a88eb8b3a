"""The seed lesson, read independently of our YAML, to hold it word for word.

The seed is the user's own text, kept in the project (tests/fixtures/seed-gradient-descent.txt)
so the word-for-word check runs without ../shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SEED_FILE = Path(__file__).resolve().parent / "fixtures" / "seed-gradient-descent.txt"
LABELS = ("Not quite", "Exactly", "Close", "No worries")


@dataclass(frozen=True)
class SeedOption:
    text: str
    label: str
    feedback: str


@dataclass(frozen=True)
class SeedQuestion:
    prompt: str
    options: tuple[SeedOption, ...]


@dataclass(frozen=True)
class Seed:
    header: str
    title: str
    intro: str
    questions: tuple[SeedQuestion, ...]
    another_way: str
    bridges: tuple[str, ...]
    takeaway: str
    pattern: str
    no_shame: str
    """The seed's "No shame in this" passage, after its heading."""
    closing: str
    """What follows the pattern: the seed's closing lines, up to "Or make it about your topic:"."""


def read_seed() -> Seed:
    lines = SEED_FILE.read_text(encoding="utf-8").splitlines()
    questions = []
    for i, line in enumerate(lines):
        if line.startswith("Question ") and " of " in line:
            options = []
            j = i + 2
            while j < len(lines) and lines[j].startswith("You said: "):
                glued = lines[j + 1]
                label = next(lab for lab in LABELS if glued.startswith(lab))
                options.append(
                    SeedOption(lines[j][len("You said: ") :], label, glued[len(label) :])
                )
                j += 2
            questions.append(SeedQuestion(lines[i + 1], tuple(options)))
    another = lines[lines.index("Another way to see it") + 1]
    bridges = (
        lines[lines.index("Another way to see it") + 2],
        lines[lines.index("Question 3 of 3") - 1],
    )
    return Seed(
        header=lines[0],
        title=lines[1],
        intro=lines[2],
        questions=tuple(questions),
        another_way=another,
        bridges=bridges,
        takeaway=lines[lines.index("The takeaway") + 1],
        pattern=lines[lines.index("The pattern") + 1],
        no_shame=lines[lines.index("No shame in this") + 1],
        closing="\n".join(lines[lines.index("The pattern") + 2 : lines.index("The pattern") + 4]),
    )

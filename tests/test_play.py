"""`python -m bot play`: an author plays a lesson in the terminal, input piped from a file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.content import Library, Verdict
from tests.conftest import ROOT
from tests.seed import Seed


def play(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "play", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_whole_step_plays_from_piped_input(seed: Seed, library: Library) -> None:
    step = library.course("neural-networks").step(4)
    check_right = next(
        i for i, o in enumerate(step.questions[1].check.options, 1) if o.verdict.is_right
    )
    # Right on question 1: its other angle (1) is offered above question 2's options (2-5).
    q1 = "2\n1\n"  # right; "Another way to see it" (question 2's options stay on offer)
    q2 = f"3\n4\n{check_right}\n"  # Close; unsure on the second try; the check, right
    q3 = "4\n4\n5\n"  # unsure twice; "Skip for now" on the check: the step ends
    result = play("neural-networks", "--step", "4", stdin=q1 + q2 + q3)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(
        f"{seed.header}\n{seed.title}\n\n{seed.intro}\n\nQuestion 1 of 3\n\n"
        f"{seed.questions[0].prompt}"
    )
    assert "  1) Another way to see it\n  2) A\n" in out
    right = seed.questions[0].options[1]
    assert f"You said: {right.text}\n\n✅ Exactly\n{right.feedback}" in out
    assert f"Another way to see it\n{seed.another_way}" in out
    assert f"🟡 Close\n{seed.questions[1].options[2].feedback}" in out
    assert "Have another go: same question, options in a new order." in out
    assert "No shame in this" in out and "🔎 Quick check" in out
    assert "Got it — that's the idea. On we go." in out
    assert f"🤝 No worries\n{seed.questions[2].options[3].feedback}" in out
    assert "Skipped for now — this idea is marked for review." in out
    assert f"The takeaway\n{seed.takeaway}" in out
    assert f"The pattern\n{seed.pattern}" in out
    assert "➜" not in out.split("You've finished")[0]  # no "Next question ➜" on the way
    assert "(input ended)" not in out
    assert "Traceback" not in result.stderr


def test_a_wrong_entry_asks_again_and_a_label_can_be_typed(seed: Seed) -> None:
    result = play("neural-networks", "--step", "4", stdin="9\nZ\na\n")
    assert result.stdout.count("Type a number from 1 to 4.") == 2
    assert f"❌ Not quite\n{seed.questions[0].options[0].feedback}" in result.stdout
    assert result.stdout.rstrip().endswith("(input ended)")


def test_progress_is_kept_with_db(tmp_path: Path, library: Library) -> None:
    db = tmp_path / "author.db"
    play("compound-interest", "--step", "1", "--db", str(db), stdin="1\n")
    resumed = play("compound-interest", "--step", "1", "--db", str(db), stdin="")
    step = library.course("compound-interest").step(1)
    assert step.intro not in resumed.stdout  # not started afresh: the second try is waiting
    assert resumed.stdout.startswith("Question 1 of 3")
    listed = [line.split(") ", 1)[1] for line in resumed.stdout.splitlines() if ") " in line]
    assert listed != [o.text for o in step.questions[0].options]


def test_a_whole_course_plays_step_after_step(library: Library) -> None:
    course = library.course("compound-interest")
    answers = []
    for step in course.steps:
        for question in step.questions:
            right = next(
                i for i, o in enumerate(question.options, 1) if o.verdict is Verdict.EXACTLY
            )
            answers.append(str(right))  # the next question follows at once
            if question.another_way and question is not step.questions[-1]:
                answers.append("1")  # its other angle, above the next question's options
    result = play("compound-interest", stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    assert all(f"The takeaway\n{s.takeaway}" in result.stdout for s in course.steps)
    assert "You've finished “How compound interest grows”" in result.stdout
    assert "Another way to see it\n" in result.stdout
    assert "(input ended)" not in result.stdout


def test_help_and_unknown_names_are_clear() -> None:
    helped = subprocess.run(
        [sys.executable, "-m", "bot", "play", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert helped.returncode == 0 and "--db" in helped.stdout and "piped" in helped.stdout
    unknown = play("no-such-course", stdin="")
    assert unknown.returncode == 2 and "Courses: neural-networks" in unknown.stdout
    no_step = play("neural-networks", "--step", "7", stdin="")
    assert no_step.returncode == 2 and "has steps 1 to 4, not 7" in no_step.stdout

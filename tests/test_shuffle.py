"""A question asked again shows its options in a new order, every time, with "I'm not sure"
still last: "options in a new order" must be true, or a learner can answer by position."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content import Course, Question, Step, Verdict
from bot.core.model import Phase, Position, Target
from bot.core.prompt import ask


def _question(size: int, unsure: bool, right: int) -> Question:
    verdicts = [Verdict.NOT_QUITE] * size
    verdicts[right % size] = Verdict.EXACTLY
    if unsure:
        verdicts.append(Verdict.NO_WORRIES)
    options = [
        {"id": f"o{i}", "text": f"option {i}", "verdict": v.value, "feedback": "why"}
        for i, v in enumerate(verdicts)
    ]
    check = {"prompt": "again?", "options": options}
    return Question.model_validate(
        {"id": "q", "prompt": "which?", "options": options, "another_way": "so", "check": check}
    )


def _course(question: Question) -> tuple[Course, Step]:
    step = Step(number=1, title="t", intro="i", questions=[question], takeaway="k", pattern="p")
    return Course("c", "C", "d", (step,)), step


@settings(max_examples=1000, deadline=None)
@given(
    size=st.integers(min_value=2, max_value=7),
    unsure=st.booleans(),
    right=st.integers(min_value=0, max_value=6),
    seq=st.integers(min_value=1, max_value=10**12 - 1),
    target=st.sampled_from(Target),
    again=st.sampled_from(["second try", "review"]),
)
def test_a_question_asked_again_never_shows_the_same_order(
    size: int, unsure: bool, right: int, seq: int, target: Target, again: str
) -> None:
    question = _question(size, unsure, right)
    course, step = _course(question)
    first = Position("c", 1, 0, Phase.ASKING, seq, target=target)
    before = ask(course, step, first).order
    later = (
        Position("c", 1, 0, Phase.ASKING, seq + 1, target=target, attempt=2)
        if again == "second try"
        else Position("c", 1, 0, Phase.ASKING, seq, target=target, reviewing=True)
    )
    after = ask(course, step, later).order
    assert after != before
    assert sorted(after) == sorted(before)
    if unsure:
        assert after[-1] == before[-1] == question.options[-1].id


def test_the_same_prompt_keeps_its_order_after_a_restart() -> None:
    """The order depends on the question and the seq only, so a resumed prompt looks the same."""
    course, step = _course(_question(4, True, 1))
    p = Position("c", 1, 0, Phase.ASKING, 42, attempt=2)
    assert {ask(course, step, p).order for _ in range(20)} == {ask(course, step, p).order}

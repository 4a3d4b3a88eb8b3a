"""The tutor's rules, played over the real seed lesson with plain values: no Telegram, no I/O."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.content import Library, Verdict
from bot.core import judge
from bot.core import lesson as engine
from bot.core.model import History, Phase, Refusal, Target
from bot.core.progress import StepStatus, step_menu
from bot.core.say import (
    AnotherWay,
    Ask,
    Bridge,
    CourseSummary,
    Feedback,
    MoveOn,
    NextStepOffer,
    Note,
    Pattern,
    StepIntro,
    Takeaway,
    Turn,
)
from tests.conftest import NOW
from tests.seed import Seed

COURSE = "neural-networks"
SEED_STEP = 4


def start(library: Library, step: int = SEED_STEP) -> Turn:
    turn = engine.open_step(library.course(COURSE), step, None)
    assert isinstance(turn, Turn)
    return turn


def answer_current(
    library: Library, turn: Turn, option_id: str, history: History | None = None
) -> Turn | Refusal:
    p = turn.position
    return judge.answer(library, p, p.seq, p.course_id, p.step, p.question, option_id, NOW, history)


def test_opening_a_step_shows_its_intro_then_the_first_question(library: Library) -> None:
    turn = start(library)
    assert [type(s) for s in turn.say] == [StepIntro, Ask]
    assert turn.position.phase is Phase.ASKING
    assert turn.position.question == 0


@pytest.mark.parametrize("q", range(3))
@pytest.mark.parametrize("o", range(4))
def test_every_option_gives_its_seed_label_and_feedback(
    library: Library, seed: Seed, q: int, o: int
) -> None:
    turn = start(library)
    turn = replace(turn, position=replace(turn.position, question=q))
    option = library.course(COURSE).step(SEED_STEP).questions[q].options[o]
    result = answer_current(library, turn, option.id)
    assert isinstance(result, Turn)
    feedback = result.feedback
    assert isinstance(feedback, Feedback)
    expected = seed.questions[q].options[o]
    assert feedback.option.text == expected.text
    assert feedback.option.verdict.value == expected.label
    assert feedback.option.feedback == expected.feedback
    assert result.answer is not None and result.answer.verdict.value == expected.label


def test_a_miss_shows_another_way_then_the_same_question_shuffled(
    library: Library, seed: Seed
) -> None:
    result = answer_current(library, start(library), "a")  # "Along the gradient": Not quite
    assert isinstance(result, Turn)
    assert result.feedback is not None and result.feedback.option.id == "a"
    assert [type(s) for s in result.say] == [AnotherWay, Note, Ask]
    assert result.say[0].question.another_way == seed.another_way
    again = result.say[2]
    assert again.question.id == "which-way" and again.target is Target.QUESTION
    assert again.order != ("a", "b", "c", "d") and again.order[-1] == "d"
    assert result.position.attempt == 2 and result.position.phase is Phase.ASKING
    assert result.ratings == ()  # rated once the question is settled


def test_not_sure_also_shows_another_way_and_a_second_try(library: Library) -> None:
    result = answer_current(library, start(library), "d")
    assert isinstance(result, Turn)
    assert result.feedback.option.verdict is Verdict.NO_WORRIES
    assert isinstance(result.say[0], AnotherWay)
    assert isinstance(result.say[-1], Ask) and result.position.attempt == 2


def test_a_right_answer_offers_another_way_on_its_feedback(library: Library) -> None:
    result = answer_current(library, start(library), "b")
    assert isinstance(result, Turn)
    assert result.feedback.angle_of == (COURSE, SEED_STEP, 0)
    angle = engine.angle(library, *result.feedback.angle_of)
    assert isinstance(angle, AnotherWay) and angle.question.id == "which-way"
    missed = answer_current(library, start(library), "a")
    assert missed.feedback.angle_of is None  # a miss shows it anyway


@pytest.mark.parametrize("where", [("nope", 4, 0), (COURSE, 9, 0), (COURSE, 4, 3), (COURSE, 4, -1)])
def test_an_angle_for_nothing_that_exists_is_none(library: Library, where: tuple) -> None:
    assert engine.angle(library, *where) is None


def test_a_right_answer_goes_straight_on_bridge_then_next_question(
    library: Library, seed: Seed
) -> None:
    moved = answer_current(library, start(library), "b")
    assert isinstance(moved, Turn)
    assert [type(s) for s in moved.say] == [Bridge, Ask]
    assert moved.say[0].text == seed.bridges[0]
    assert moved.position.question == 1 and moved.position.phase is Phase.ASKING


def settle(
    library: Library, turn: Turn, choices: list[str], history: History
) -> tuple[Turn, History]:
    """Answer the question on screen with `choices` in turn, skipping a check if one comes;
    the turn returned has moved on past the question."""
    asked = turn.position.question
    for choice in choices:
        turn = answer_current(library, turn, choice, history)
        assert isinstance(turn, Turn), turn
        history = replace(history, answers=(*history.answers, turn.answer))
        if turn.position.question != asked or turn.position.phase is Phase.FINISHED:
            return turn, history
    skipped = judge.skip_check(library, turn.position, turn.position.seq, history, NOW)
    assert isinstance(skipped, Turn), skipped
    return skipped, history


def play_step(library: Library, choices: list[str], step: int = SEED_STEP) -> list[Turn]:
    """Each choice settles a question: a right one first time, a wrong one twice then skip."""
    turns = [start(library, step)]
    history = History()
    for choice in choices:
        settled, history = settle(library, turns[-1], [choice, choice], history)
        turns.append(settled)
    return turns


def test_the_step_ends_with_the_takeaway_and_the_pattern(library: Library, seed: Seed) -> None:
    last = play_step(library, ["b", "a", "a"])[-1]
    *_, takeaway, pattern, hand_off = last.say
    assert isinstance(takeaway, Takeaway) and takeaway.step.takeaway == seed.takeaway
    assert isinstance(pattern, Pattern) and pattern.step.pattern == seed.pattern
    assert last.position.phase is Phase.FINISHED
    assert last.completed_step == SEED_STEP
    assert isinstance(hand_off, CourseSummary)


def test_the_course_summary_says_what_connected_first_time(library: Library) -> None:
    turn = start(library)
    history = History()
    for choices in (["b"], ["b", "a"], ["c", "c"]):
        turn, history = settle(library, turn, choices, history)
    summary = turn.say[-1]
    assert isinstance(summary, CourseSummary)
    step4 = [r for r in summary.rows if r.step == SEED_STEP]
    assert [r.first_verdict for r in step4] == [Verdict.EXACTLY, Verdict.NOT_QUITE, Verdict.CLOSE]
    assert [r.connected_later for r in step4] == [False, True, False]
    assert all(r.first_verdict is None for r in summary.rows if r.step != SEED_STEP)


def test_an_earlier_step_hands_off_to_the_next_one(library: Library) -> None:
    course = library.course(COURSE)
    first = course.steps[0]
    rights = [next(o.id for o in q.options if o.verdict.is_right) for q in first.questions]
    last = play_step(library, rights, step=first.number)[-1]
    assert isinstance(last.say[-1], NextStepOffer)
    assert last.say[-1].step.number == first.number + 1


def test_a_second_tap_on_the_same_question_counts_once(library: Library) -> None:
    turn = start(library)
    first = answer_current(library, turn, "b")
    assert isinstance(first, Turn)
    p = turn.position
    again = judge.answer(library, first.position, p.seq, COURSE, SEED_STEP, 0, "a", NOW)
    assert again is Refusal.ALREADY_COUNTED


def test_a_tap_on_an_older_question_changes_nothing(library: Library) -> None:
    turns = play_step(library, ["b", "a"])
    now_at = turns[-1].position
    old = judge.answer(library, now_at, turns[0].position.seq, COURSE, SEED_STEP, 0, "b", NOW)
    assert old is Refusal.OUTDATED
    old_skip = judge.skip_check(library, now_at, turns[0].position.seq)
    assert old_skip is Refusal.OUTDATED


@pytest.mark.parametrize(
    ("course", "step", "question", "option"),
    [("nope", 4, 0, "b"), (COURSE, 9, 0, "b"), (COURSE, 4, 7, "b"), (COURSE, 4, 0, "zz")],
)
def test_a_tap_naming_something_that_does_not_exist_is_unknown(
    library: Library, course: str, step: int, question: int, option: str
) -> None:
    p = start(library).position
    assert judge.answer(library, p, p.seq, course, step, question, option, NOW) is Refusal.UNKNOWN


def test_a_tap_from_the_future_is_unknown(library: Library) -> None:
    p = start(library).position
    result = judge.answer(library, p, p.seq + 5, COURSE, SEED_STEP, 0, "b", NOW)
    assert result is Refusal.UNKNOWN


def test_a_live_seq_on_the_wrong_question_is_unknown(library: Library) -> None:
    p = start(library).position
    assert judge.answer(library, p, p.seq, COURSE, SEED_STEP, 2, "b", NOW) is Refusal.UNKNOWN


def test_resume_shows_the_open_question_with_live_buttons(library: Library) -> None:
    turn = start(library)
    again = engine.resume(library.course(COURSE), turn.position, History())
    assert again.position == turn.position
    assert again.say == (turn.say[1],)


def test_resume_after_feedback_shows_it_again_with_the_way_on(library: Library) -> None:
    """A position resting after its feedback: saved before answers went straight on."""
    asked = start(library).position
    answered = replace(asked, phase=Phase.ANSWERED, chosen="b", seq=asked.seq + 1)
    again = engine.resume(library.course(COURSE), answered, History())
    assert [type(s) for s in again.say] == [Feedback, MoveOn]
    assert again.say[0].option.id == "b"
    assert again.say[1].seq == answered.seq and again.say[1].offer_another_way
    moved = engine.move_on(library, answered, answered.seq, History())
    assert [type(s) for s in moved.say] == [Bridge, Ask]
    shown = engine.show_another_way(library, answered, answered.seq)
    assert [type(s) for s in shown.say] == [AnotherWay, MoveOn]


def test_resume_on_a_second_try_shows_the_same_shuffled_question(library: Library) -> None:
    missed = answer_current(library, start(library), "c")
    again = engine.resume(library.course(COURSE), missed.position, History())
    assert again.say == (missed.say[-1],)


def test_reopening_a_step_in_progress_resumes_it(library: Library) -> None:
    answered = answer_current(library, start(library), "a")
    reopened = engine.open_step(library.course(COURSE), SEED_STEP, answered.position)
    assert isinstance(reopened, Turn)
    assert reopened.position == answered.position


def test_the_step_menu_marks_done_in_progress_new_and_next(library: Library) -> None:
    course = library.course(COURSE)
    history = History(finished_steps=frozenset({1}))
    menu = step_menu(course, None, history)
    assert [e.status for e in menu] == [StepStatus.DONE] + [StepStatus.NEW] * 3
    assert [e.is_next for e in menu] == [False, True, False, False]
    at_four = start(library).position
    menu = step_menu(course, at_four, history)
    assert menu[3].status is StepStatus.IN_PROGRESS and menu[3].is_next

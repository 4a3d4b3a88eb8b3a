"""The real tutor's rules, as plain values: second tries, repairs, check questions, skipping,
confirming a concept missed before, and spaced review with FSRS on a controlled clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.content import Library, Verdict
from bot.core import judge, memory, review
from bot.core import lesson as engine
from bot.core.model import CardInfo, CardKey, Grade, History, Phase, Rating, Target
from bot.core.say import (
    Ask,
    CourseSummary,
    Feedback,
    MoveOn,
    Note,
    Repair,
    ReviewNudge,
    ReviewsDone,
    Turn,
)
from tests.conftest import NOW

COURSE, STEP = "neural-networks", 4
WHICH_WAY = CardKey(COURSE, STEP, "which-way")
WHICH_WAY_CHECK = CardKey(COURSE, STEP, "which-way", Target.CHECK)


def start(library: Library) -> Turn:
    turn = engine.open_step(library.course(COURSE), STEP, None)
    assert isinstance(turn, Turn)
    return turn


def tap(library: Library, turn: Turn, option: str, history: History | None = None) -> Turn:
    p = turn.position
    result = judge.answer(library, p, p.seq, p.course_id, p.step, p.question, option, NOW, history)
    assert isinstance(result, Turn), result
    return result


def kinds(turn: Turn) -> list[str]:
    """What follows the answer, by kind (the feedback itself goes on the question)."""
    return [type(s).__name__ + (f":{s.kind}" if isinstance(s, Note) else "") for s in turn.say]


def right_option(turn: Turn) -> str:
    ask = next(s for s in turn.say if isinstance(s, Ask))
    return next(o.id for o in ask.question.options if o.verdict is Verdict.EXACTLY)


def wrong_option(turn: Turn) -> str:
    ask = next(s for s in turn.say if isinstance(s, Ask))
    return next(o.id for o in ask.question.options if o.verdict is Verdict.NOT_QUITE)


def test_right_first_time_moves_straight_on_rated_good(library: Library) -> None:
    turn = tap(library, start(library), "b")
    assert turn.feedback.option.id == "b"
    assert kinds(turn) == ["Bridge", "Ask"] and turn.position.question == 1
    assert turn.ratings == (Rating(WHICH_WAY, Grade.GOOD),)


def test_miss_then_right_acknowledges_and_moves_on_rated_hard(library: Library) -> None:
    missed = tap(library, start(library), "c")
    assert kinds(missed) == ["AnotherWay", "Note:try_again", "Ask"]
    right = tap(library, missed, "b")
    assert kinds(right) == ["Note:second_try", "Bridge", "Ask"]
    assert right.position.question == 1 and right.position.phase is Phase.ASKING
    assert right.ratings == (Rating(WHICH_WAY, Grade.HARD),)


def test_missed_twice_is_repaired_from_the_misconception_then_checked(library: Library) -> None:
    missed = tap(library, start(library), "c")
    twice = tap(library, missed, "a")  # "Along the gradient": gradient-points-downhill
    assert kinds(twice) == ["Note:no_shame", "Repair", "Note:check_intro", "Ask"]
    repair = twice.say[1]
    assert isinstance(repair, Repair) and not repair.unsure
    misconception = library.course(COURSE).misconceptions
    assert repair.misconception in misconception
    assert repair.misconception.id == "gradient-points-downhill"
    assert repair.built_in is not None and repair.built_in.number == 3
    check = twice.say[-1]
    assert check.target is Target.CHECK and check.can_skip
    assert twice.ratings == (Rating(WHICH_WAY, Grade.AGAIN),)
    confirmed = tap(library, twice, right_option(twice))
    assert kinds(confirmed) == ["Note:got_it", "Bridge", "Ask"]
    assert confirmed.ratings == (Rating(WHICH_WAY_CHECK, Grade.GOOD),)
    assert confirmed.position.question == 1


def test_i_am_not_sure_twice_is_repaired_from_the_questions_usual_trap(library: Library) -> None:
    missed = tap(library, start(library), "d")
    twice = tap(library, missed, "d")
    repair = twice.say[1]
    assert isinstance(repair, Repair) and repair.unsure
    unsure = library.course(COURSE).step(STEP).questions[0].option("d")
    assert repair.misconception is not None and repair.misconception.id == unsure.misconception


def test_every_second_miss_in_every_question_gets_a_repair_it_has_not_read(
    library: Library,
) -> None:
    """Whatever the two misses, the repair names a misconception and its text is new: neither
    the question's other angle nor any option's feedback."""
    for course in library.courses:
        for step in course.steps:
            for index, question in enumerate(step.questions):
                wrong = [o.id for o in question.options if not o.verdict.is_right]
                for first in wrong:
                    for second in wrong:
                        turn = engine.open_step(course, step.number, None)
                        p = replace(turn.position, question=index)
                        turn = replace(turn, position=p)
                        for choice in (first, second):
                            p = turn.position
                            turn = judge.answer(
                                library, p, p.seq, course.id, step.number, index, choice, NOW
                            )
                        repair = next(s for s in turn.say if isinstance(s, Repair))
                        assert repair.misconception is not None, (course.id, step.number, index)
                        read = [question.another_way] + [o.feedback for o in question.options]
                        assert repair.misconception.repair not in read


def test_a_missed_check_is_asked_again_in_a_new_order_then_marked(library: Library) -> None:
    twice = tap(library, tap(library, start(library), "c"), "c")
    missed_check = tap(library, twice, wrong_option(twice))
    assert kinds(missed_check) == ["Note:check_again", "Ask"]
    again = missed_check.say[-1]
    assert again.target is Target.CHECK and again.can_skip
    assert again.order != twice.say[-1].order  # a new order for the second try
    assert missed_check.ratings == ()
    missed_again = tap(library, missed_check, wrong_option(missed_check))
    assert kinds(missed_again) == ["Note:marked", "Bridge", "Ask"]
    assert missed_again.ratings == (Rating(WHICH_WAY_CHECK, Grade.AGAIN),)
    p = missed_check.position
    skipped = judge.skip_check(library, p, p.seq)
    assert isinstance(skipped, Turn) and kinds(skipped) == ["Note:skipped", "Bridge", "Ask"]
    assert skipped.ratings == (Rating(WHICH_WAY_CHECK, Grade.AGAIN),)


def test_a_check_missed_before_answers_went_straight_on_can_still_be_retried(
    library: Library,
) -> None:
    """A position saved in the old "missed check" phase still has live buttons."""
    twice = tap(library, tap(library, start(library), "c"), "c")
    p = replace(twice.position, phase=Phase.CHECK_MISSED, seq=twice.position.seq + 1)
    again = judge.retry_check(library, p, p.seq)
    assert isinstance(again, Turn) and kinds(again) == ["Ask"]
    skipped = judge.skip_check(library, p, p.seq)
    assert isinstance(skipped, Turn) and skipped.position.question == 1


def test_a_check_can_be_skipped_straight_away(library: Library) -> None:
    twice = tap(library, tap(library, start(library), "d"), "d")
    skipped = judge.skip_check(library, twice.position, twice.position.seq)
    assert isinstance(skipped, Turn) and skipped.position.question == 1


def test_skip_is_refused_on_an_ordinary_question(library: Library) -> None:
    turn = start(library)
    assert judge.skip_check(library, turn.position, turn.position.seq) is engine.Refusal.UNKNOWN


def test_a_right_answer_on_a_concept_missed_before_is_confirmed_by_the_check(
    library: Library,
) -> None:
    missed = tap(library, start(library), "a")
    history = History(answers=(missed.answer,))
    again = engine.open_step(library.course(COURSE), STEP, None)
    right = tap(library, again, "b", history)
    assert kinds(right) == ["Note:confirm", "Ask"]
    assert right.say[-1].target is Target.CHECK
    assert right.ratings == (Rating(WHICH_WAY, Grade.GOOD),)


def test_a_strong_learner_is_never_slowed_down(library: Library) -> None:
    turn = start(library)
    for _question in range(3):
        turn = tap(library, turn, right_option(turn))
        assert isinstance(turn.feedback, Feedback)
        assert not any(isinstance(s, MoveOn) for s in turn.say)  # no "Next" to tap
    assert turn.position.phase is Phase.FINISHED


# --- Spaced review ---------------------------------------------------------------------------


def test_fsrs_due_dates_move_as_the_ratings_say() -> None:
    good = memory.review(None, Grade.GOOD, NOW)
    hard = memory.review(None, Grade.HARD, NOW)
    again = memory.review(None, Grade.AGAIN, NOW)
    assert again.due - NOW == timedelta(days=1) and hard.due - NOW == timedelta(days=1)
    assert good.due - NOW == timedelta(days=2)
    twice_good = memory.review(good.state, Grade.GOOD, good.due)
    assert twice_good.due - good.due > timedelta(days=7)
    lapsed = memory.review(good.state, Grade.AGAIN, good.due)
    assert lapsed.due - good.due <= timedelta(days=1)


def due(*keys: CardKey) -> tuple[CardInfo, ...]:
    return tuple(CardInfo(k, NOW - timedelta(hours=1), Grade.AGAIN) for k in keys)


def test_a_review_pauses_the_lesson_and_gives_it_back_at_the_end(library: Library) -> None:
    lesson = tap(library, start(library), "c")
    started = review.start(library, lesson.position, due(WHICH_WAY), None)
    assert isinstance(started, Turn)
    assert started.pause_lesson == lesson.position
    card = started.say[-1]
    assert isinstance(card, Ask) and card.reviewing and card.question.id == "which-way"
    answered = tap(library, started, "b")
    assert answered.ratings == (Rating(WHICH_WAY, Grade.GOOD),)
    upcoming = NOW + timedelta(days=2)
    p = answered.position
    done = review.next_card(library, p, p.seq, (), upcoming, lesson.position, NOW)
    assert isinstance(done, Turn)
    assert isinstance(done.say[0], ReviewsDone) and done.say[0].lesson_waiting
    assert done.position == replace(lesson.position, seq=p.seq + 1)
    assert [type(s) for s in done.say[1:]] == [Ask]  # the question's second try, as it was


def test_a_review_shows_the_check_question_for_a_check_card(library: Library) -> None:
    started = review.start(library, None, due(WHICH_WAY_CHECK, WHICH_WAY), None)
    assert isinstance(started, Turn)
    card = started.say[-1]
    assert card.target is Target.CHECK and not card.can_skip
    missed = tap(library, started, wrong_option(started))
    assert kinds(missed) == ["Note:check_again", "Ask"] and not missed.say[-1].can_skip
    again = tap(library, missed, wrong_option(missed))
    assert kinds(again) == ["Note:see_again", "MoveOn"]


def test_nothing_due_says_when_the_next_one_is(library: Library) -> None:
    upcoming = NOW + timedelta(days=3)
    assert review.start(library, None, (), upcoming) == review.NothingDue(upcoming)


def test_a_stale_tap_in_a_review_changes_nothing(library: Library) -> None:
    started = review.start(library, None, due(WHICH_WAY), None)
    answered = tap(library, started, "b")
    p = answered.position
    assert (
        review.next_card(library, p, p.seq - 1, (), None, None, NOW)
        is engine.Refusal.ALREADY_COUNTED
    )
    assert review.next_card(library, p, p.seq - 5, (), None, None, NOW) is engine.Refusal.OUTDATED


def test_the_end_of_a_step_nudges_when_reviews_are_due(library: Library) -> None:
    turn = start(library)
    for _question in range(3):
        p = turn.position
        turn = judge.answer(
            library, p, p.seq, COURSE, STEP, p.question, right_option(turn), NOW, None, 3
        )
    assert turn.say[-1] == ReviewNudge(3)


def test_the_whole_map_fits_one_message(library: Library) -> None:
    from bot.core import progress
    from bot.core.model import AnswerRecord
    from bot.views import menus as render
    from bot.views.message import MAX_TEXT, visible_length

    maps = []
    cards = []
    for course in library.courses:
        answers = tuple(
            AnswerRecord(course.id, s.number, q.id, "a", Verdict.CLOSE, NOW)
            for s in course.steps
            for q in s.questions
        )
        maps.append(progress.course_map(course, None, History(answers=answers)))
        cards += [
            CardInfo(CardKey(course.id, s.number, q.id), NOW + timedelta(days=i), Grade.AGAIN)
            for i, s in enumerate(course.steps)
            for q in s.questions
        ]
    overview = progress.learner_map(maps, tuple(cards), NOW)
    message = render.progress(overview, library)
    assert len(overview.courses) == len(library.courses)
    assert visible_length(message.text) <= MAX_TEXT
    assert "🟡 stepping against the gradient" in message.text
    assert "🔁 " in message.text and message.buttons[0][0].label == "Review now"


def test_continue_after_the_last_review_says_all_caught_up(library: Library) -> None:
    started = review.start(library, None, due(WHICH_WAY), None)
    answered = tap(library, started, "b")
    p = answered.position
    done = review.next_card(library, p, p.seq, (), None, None, NOW)
    assert isinstance(done, Turn) and done.position.phase is Phase.FINISHED
    again = engine.resume(library.course(COURSE), done.position, History())
    assert again.say == (Note("all_reviewed"),)


def test_a_reviewed_card_offers_no_seq_bound_second_angle(library: Library) -> None:
    """In a review, the feedback offers the stateless angle; the position resting after it
    has only "Next review", so no tap on it can move the seq from under that button."""
    started = review.start(library, None, due(WHICH_WAY), None)
    answered = tap(library, started, "b")
    assert answered.feedback.angle_of == (COURSE, STEP, 0)
    p = answered.position
    again = engine.resume(library.course(COURSE), p, History())
    moving_on = [s for s in again.say if isinstance(s, MoveOn)]
    assert moving_on and not moving_on[0].offer_another_way
    assert engine.show_another_way(library, p, p.seq) is engine.Refusal.UNKNOWN


def test_the_answer_that_ends_a_course_counts_in_its_summary(library: Library) -> None:
    turn, history = start(library), History()
    for option in ("b", "a", "c"):  # right, right, then a miss on the last question
        turn = tap(library, turn, option, history)
        history = replace(history, answers=(*history.answers, turn.answer))
    turn = tap(library, turn, "a", history)  # right on the second try: the course ends
    summary = turn.say[-1]
    assert isinstance(summary, CourseSummary)
    last = [r for r in summary.rows if r.step == STEP][-1]
    assert (last.first_verdict, last.connected_later) == (Verdict.CLOSE, True)

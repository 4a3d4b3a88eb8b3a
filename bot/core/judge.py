"""The lesson rules for an answer: judge the option tapped and decide what follows it.

The adaptive flow for one question: the verdict and feedback go on the question itself; a miss
gets the other angle and a second try with the options in a new order; a second miss gets a
repair (the misconception the chosen option reveals, with a repair text the learner has not
read yet) and the question's check question, a new situation needing the same idea. A check
can be tried twice or skipped for now, so the learner is never stuck. Whatever follows an
answer is one message (`lesson.advance` when the question is done), so an answer costs a
learner two of Telegram's message slots at most. Pure, like `lesson`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.content import Course, Library, Question, Step, Verdict
from bot.core.lesson import Due, Known, advance, known, move_on_buttons, right_first_time
from bot.core.model import AnswerRecord, Grade, History, Phase, Position, Rating, Refusal, Target
from bot.core.prompt import ask, card_key, find_repair, live, missed_before, stale, target_question
from bot.core.say import AnotherWay, Feedback, Note, Say, Turn


def answer(
    library: Library,
    current: Position | None,
    tap_seq: int,
    course_id: str,
    step_number: int,
    question_index: int,
    option_id: str,
    now: datetime,
    history: Known | None = None,
    due_reviews: Due = 0,
) -> Turn | Refusal:
    """The learner picked an option: judge it, explain it, and go straight on to what follows
    (the next question, the question again, or a repair and its check), so an answer costs
    the learner one edit of the question and one new message."""
    course = library.course(course_id)
    step = course.step(step_number) if course else None
    if course is None or step is None or not 0 <= question_index < len(step.questions):
        return Refusal.UNKNOWN
    refused = stale(current, tap_seq)
    if refused is Refusal.ALREADY_COUNTED and (current is None or current.chosen is None):
        refused = Refusal.OUTDATED  # the prompt before was not answered (skipped, or left)
    if refused is not None or current is None:
        return refused or Refusal.OUTDATED
    here = (current.course_id, current.step, current.question)
    if current.phase is not Phase.ASKING or here != (course_id, step_number, question_index):
        return Refusal.UNKNOWN
    question = target_question(step, current)
    option = question.option(option_id) if question else None
    if question is None or option is None:
        return Refusal.UNKNOWN
    record = AnswerRecord(
        course_id,
        step_number,
        step.questions[question_index].id,
        option.id,
        option.verdict,
        now,
        current.target,
        current.attempt,
        current.reviewing,
    )
    chose = replace(current, chosen=option.id)
    where = (course_id, step_number, question_index)
    ahead = _Ahead(_and(history, record), now, due_reviews)
    if current.target is Target.CHECK:
        turn = _judge_check(course, step, chose, option.verdict, ahead)
    else:
        turn = _judge_question(course, step, chose, question, option.verdict, ahead)
    return replace(
        turn,
        position=replace(turn.position, chosen=option.id),
        feedback=Feedback(question, option, where if right_first_time(step, chose) else None),
        answer=record,
        chosen=option,
    )


def _and(history: Known | None, record: AnswerRecord) -> Callable[[], History]:
    """The history as it will be once this answer is saved: a step's ending summarises it."""

    def read() -> History:
        before = known(history)
        return replace(before, answers=(*before.answers, record))

    return read


@dataclass(frozen=True)
class _Ahead:
    """What going on past this question may need: read only if the step ends here."""

    history: Known | None
    now: datetime | None
    due_reviews: Due


def _judge_question(
    course: Course, step: Step, p: Position, q: Question, verdict: Verdict, ahead: _Ahead
) -> Turn:
    seq = p.seq + 1
    card = card_key(course, step, p, Target.QUESTION)
    if verdict.is_right and p.attempt == 1:
        if (
            not p.reviewing
            and q.check is not None
            and missed_before(course, step, q, known(ahead.history))
        ):
            check = replace(p, seq=seq, target=Target.CHECK, attempt=1)
            say = (Note("confirm"), ask(course, step, check))
            return Turn(check, say, ratings=(Rating(card, Grade.GOOD),))
        return _on(course, step, p, (), ahead, Rating(card, Grade.GOOD))
    if verdict.is_right:
        return _on(course, step, p, (Note("second_try"),), ahead, Rating(card, Grade.HARD))
    if p.attempt == 1:
        again = replace(p, seq=seq, attempt=2, another_way_shown=q.another_way is not None)
        angle: tuple[Say, ...] = (AnotherWay(q),) if q.another_way else ()
        return Turn(again, (*angle, Note("try_again"), ask(course, step, again)))
    return _repair(course, step, p, q, ahead)


def _repair(course: Course, step: Step, p: Position, q: Question, ahead: _Ahead) -> Turn:
    """Missed twice: name what seems to trip the learner, re-explain from a new side, then
    check with a new situation."""
    rating = Rating(card_key(course, step, p, Target.QUESTION), Grade.AGAIN)
    if p.reviewing:
        return _on(course, step, p, (Note("see_again"),), ahead, rating)
    repair = find_repair(course, step, p)
    if q.check is None:
        return _on(course, step, p, (Note("no_shame"), repair, Note("marked")), ahead, rating)
    check = replace(p, seq=p.seq + 1, target=Target.CHECK, attempt=1)
    say = (Note("no_shame"), repair, Note("check_intro"), ask(course, step, check))
    return Turn(check, say, ratings=(rating,))


def _judge_check(course: Course, step: Step, p: Position, verdict: Verdict, ahead: _Ahead) -> Turn:
    card = card_key(course, step, p, Target.CHECK)
    if verdict.is_right:
        grade = Grade.GOOD if p.attempt == 1 else Grade.HARD
        return _on(course, step, p, (Note("got_it"),), ahead, Rating(card, grade))
    if p.attempt == 1:
        again = replace(p, seq=p.seq + 1, attempt=2)
        return Turn(again, (Note("check_again"), ask(course, step, again)))
    note = Note("see_again" if p.reviewing else "marked")
    return _on(course, step, p, (note,), ahead, Rating(card, Grade.AGAIN))


def _on(
    course: Course,
    step: Step,
    p: Position,
    before: tuple[Say, ...],
    ahead: _Ahead,
    rating: Rating,
) -> Turn:
    """Done with this question: what was said, then what follows it, in one message. A review
    waits for "Next review" instead (the next card depends on what else is due)."""
    if p.reviewing:
        answered = replace(p, phase=Phase.ANSWERED, seq=p.seq + 1)
        return Turn(answered, (*before, move_on_buttons(step, answered)), ratings=(rating,))
    turn = advance(course, step, p, ahead.history, ahead.now, ahead.due_reviews)
    return replace(turn, say=(*before, *turn.say), ratings=(rating,))


def retry_check(library: Library, current: Position | None, tap_seq: int) -> Turn | Refusal:
    """A missed check, tried again with its options in a new order."""
    found = live(library, current, tap_seq, Phase.CHECK_MISSED)
    if isinstance(found, Refusal):
        return found
    course, step, p = found
    again = replace(p, phase=Phase.ASKING, seq=p.seq + 1, attempt=2, chosen=None)
    return Turn(again, (ask(course, step, again),))


def skip_check(
    library: Library,
    current: Position | None,
    tap_seq: int,
    history: Known | None = None,
    now: datetime | None = None,
    due_reviews: Due = 0,
) -> Turn | Refusal:
    """The learner would rather move on: the idea is marked for review, never a dead end."""
    found = live(library, current, tap_seq, Phase.CHECK_MISSED, Phase.ASKING)
    if isinstance(found, Refusal):
        return found
    course, step, p = found
    if p.target is not Target.CHECK:
        return Refusal.UNKNOWN
    # Nothing was chosen on the check: what `chosen` held belonged to the question before it.
    rating = Rating(card_key(course, step, p, Target.CHECK), Grade.AGAIN)
    skipped = replace(p, chosen=None)
    return _on(course, step, skipped, (Note("skipped"),), _Ahead(history, now, due_reviews), rating)

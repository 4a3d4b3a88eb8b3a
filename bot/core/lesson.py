"""The lesson rules: given where a learner is and what they tapped, decide what happens next.

Pure functions over plain data (`model`, `say`). No Telegram, no SQLite, and the clock is
passed in, so every path through a lesson is a plain, fast test. The service (`bot.tutor`)
reads the learner's state, calls one function here, saves the `Turn` it returns, then shows it.

The adaptive flow for one question: the verdict and feedback go on the question itself; a miss
gets the other angle and a second try with the options in a new order; a second miss gets a
repair (the misconception the chosen option reveals, with a repair text the learner has not
read yet) and the question's check question, a new situation needing the same idea. A check
can be tried twice or skipped for now, so the learner is never stuck. Whatever follows an
answer is one message, so an answer costs a learner two of Telegram's message slots at most.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.content import Course, Library, Question, Step, Verdict
from bot.core.model import (
    AnswerRecord,
    Grade,
    History,
    Phase,
    Position,
    Rating,
    Refusal,
    Target,
)
from bot.core.progress import course_summary
from bot.core.prompt import (
    ask,
    card_key,
    find_repair,
    live,
    missed_before,
    next_seq,
    stale,
    target_question,
)
from bot.core.say import (
    AnotherWay,
    Bridge,
    CheckMissed,
    Feedback,
    MoveOn,
    NextStepOffer,
    Note,
    Pattern,
    ReviewNudge,
    Say,
    StepIntro,
    Takeaway,
    Turn,
)

Known = History | Callable[[], History]
"""A learner's history of the course, or how to read it. Most taps never look at it (only a
right first answer to a question with a check question, and the summary after a course's last
step, do), so the service passes a reader and a tap reads the history only when it needs it."""


def known(history: Known | None) -> History:
    if history is None:
        return History()
    return history() if callable(history) else history


# --- Opening and resuming ---------------------------------------------------------------------


def open_step(course: Course, step_number: int, current: Position | None) -> Turn | Refusal:
    """Start a step from its intro, or pick it up where the learner left it."""
    step = course.step(step_number)
    if step is None:
        return Refusal.UNKNOWN
    if (
        current is not None
        and not current.reviewing
        and current.course_id == course.id
        and current.step == step_number
        and current.phase is not Phase.FINISHED
    ):
        return resume(course, current, History())
    return _start(course, step, current)


def _start(course: Course, step: Step, current: Position | None) -> Turn:
    seq = next_seq(current)
    position = Position(course.id, step.number, 0, Phase.ASKING, seq)
    return Turn(position, (StepIntro(course, step), ask(course, step, position)))


def resume(course: Course, current: Position, history: Known) -> Turn:
    """Show the learner exactly where they are, with live buttons, changing nothing."""
    step = course.step(current.step)
    if step is None or current.question >= len(step.questions):
        # The lesson changed under the learner (a step was shortened): start it afresh.
        return _start(course, course.steps[0], current)
    if current.phase is Phase.ASKING:
        return Turn(current, (ask(course, step, current),))
    if current.phase is Phase.FINISHED and current.reviewing:
        return Turn(current, (Note("all_reviewed"),))
    if current.phase is Phase.FINISHED:
        return Turn(current, (_hand_off(course, step, history),))
    question = target_question(step, current)
    option = question.option(current.chosen or "") if question else None
    say: list[Say] = [Feedback(question, option)] if question and option else []
    if current.phase is Phase.CHECK_MISSED:
        say.append(CheckMissed(current.seq))
    else:
        say.append(_move_on(step, current, offer=_offers_another_way(step, current)))
    return Turn(current, tuple(say))


# --- Answering --------------------------------------------------------------------------------


Due = int | Callable[[], int]
"""How many reviews are due, or how to count them: read only when a step ends."""


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
        feedback=Feedback(question, option, where if _right_first_time(step, chose) else None),
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
        return Turn(answered, (*before, _move_on(step, answered)), ratings=(rating,))
    turn = _advance(course, step, p, ahead.history, ahead.now, ahead.due_reviews)
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


# --- Moving on --------------------------------------------------------------------------------


def angle(library: Library, course_id: str, step_number: int, index: int) -> AnotherWay | None:
    """A question's second angle, asked for after a right answer. It changes nothing, so any
    question's angle may be read at any time; None for a question that doesn't exist."""
    course = library.course(course_id)
    step = course.step(step_number) if course else None
    if step is None or not 0 <= index < len(step.questions):
        return None
    question = step.questions[index]
    return AnotherWay(question) if question.another_way else None


def show_another_way(library: Library, current: Position | None, tap_seq: int) -> Turn | Refusal:
    """The second angle from a position resting after its feedback (a "Next" button saved
    before answers went straight on)."""
    found = live(library, current, tap_seq, Phase.ANSWERED)
    if isinstance(found, Refusal):
        return found
    _, step, p = found
    if not _offers_another_way(step, p):  # only where the button was offered
        return Refusal.UNKNOWN
    question = step.questions[p.question]
    shown = replace(p, seq=p.seq + 1, another_way_shown=True)
    return Turn(shown, (AnotherWay(question), _move_on(step, shown)))


def move_on(
    library: Library,
    current: Position | None,
    tap_seq: int,
    history: Known,
    now: datetime | None = None,
    due_reviews: Due = 0,
) -> Turn | Refusal:
    """A "Next" button, from a position resting after its feedback (a review card, or a
    lesson saved before answers went straight on): the next question or the step's ending."""
    found = live(library, current, tap_seq, Phase.ANSWERED)
    if isinstance(found, Refusal):
        return found
    course, step, p = found
    if p.reviewing:
        return Refusal.UNKNOWN  # reviews move on in `review.next_card`
    return _advance(course, step, p, history, now, due_reviews)


def _advance(
    course: Course,
    step: Step,
    p: Position,
    history: Known | None,
    now: datetime | None,
    due_reviews: Due,
) -> Turn:
    """From an answered question to the next one (after its bridge), or to the step's ending.
    The history and the reviews due are read at the ending only."""
    seq = p.seq + 1
    answered = step.questions[p.question]
    if p.question + 1 < len(step.questions):
        position = Position(course.id, step.number, p.question + 1, Phase.ASKING, seq)
        bridge: tuple[Say, ...] = (Bridge(answered.bridge),) if answered.bridge else ()
        return Turn(position, (*bridge, ask(course, step, position)))
    position = Position(course.id, step.number, p.question, Phase.FINISHED, seq)
    before = known(history)
    finished = replace(before, finished_steps=before.finished_steps | {step.number})
    ending: tuple[Say, ...] = (
        Takeaway(step),
        Pattern(step),
        _hand_off(course, step, finished, now),
    )
    due = due_reviews() if callable(due_reviews) else due_reviews
    nudge: tuple[Say, ...] = (ReviewNudge(due),) if due else ()
    return Turn(position, (*ending, *nudge), completed_step=step.number)


def _hand_off(course: Course, step: Step, history: Known, now: datetime | None = None) -> Say:
    following = course.step(step.number + 1)
    if following is not None:
        return NextStepOffer(course, following)
    return course_summary(course, known(history), now)


def _move_on(step: Step, p: Position, offer: bool = False) -> MoveOn:
    last = p.question == len(step.questions) - 1
    return MoveOn(p.seq, offer_another_way=offer, to_takeaway=last, reviewing=p.reviewing)


def _right_first_time(step: Step, p: Position) -> bool:
    """A lesson question with a second angle, answered right at the first attempt: its angle
    is one tap away, for those who want it."""
    question = step.questions[p.question]
    chosen = question.option(p.chosen or "")
    return (
        p.target is Target.QUESTION
        and question.another_way is not None
        and chosen is not None
        and chosen.verdict.is_right
        and p.attempt == 1
    )


def _offers_another_way(step: Step, p: Position) -> bool:
    """The seq-bound "Another way" button of a lesson position resting after its feedback
    (saved before answers went straight on): offered once, never in a review."""
    return _right_first_time(step, p) and not p.reviewing and not p.another_way_shown

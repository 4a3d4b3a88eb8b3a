"""The lesson rules for where a learner is in a step: opening it, showing it again as it was,
and the way on from an answered question (the bridge and the next question, or the step's
ending). Answers themselves are judged in `judge`, which goes on through `advance`.

Pure functions over plain data (`model`, `say`). No Telegram, no SQLite, and the clock is
passed in, so every path through a lesson is a plain, fast test. The service (`bot.tutor`)
reads the learner's state, calls one function here, saves the `Turn` it returns, then shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.content import Course, Library, Step
from bot.core.model import (
    History,
    Phase,
    Position,
    Refusal,
    Target,
)
from bot.core.progress import course_summary
from bot.core.prompt import (
    ask,
    live,
    next_seq,
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


Due = int | Callable[[], int]
"""How many reviews are due, or how to count them: read only when a step ends."""


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
        say.append(move_on_buttons(step, current, offer=_offers_another_way(step, current)))
    return Turn(current, tuple(say))


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
    return Turn(shown, (AnotherWay(question), move_on_buttons(step, shown)))


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
    return advance(course, step, p, history, now, due_reviews)


def advance(
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


def move_on_buttons(step: Step, p: Position, offer: bool = False) -> MoveOn:
    last = p.question == len(step.questions) - 1
    return MoveOn(p.seq, offer_another_way=offer, to_takeaway=last, reviewing=p.reviewing)


def right_first_time(step: Step, p: Position) -> bool:
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
    return right_first_time(step, p) and not p.reviewing and not p.another_way_shown

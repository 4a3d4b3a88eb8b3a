"""The tutor's rules: given where a learner is and what they did, decide what happens next.

Pure functions over plain data. No Telegram, no SQLite, and the clock is passed in, so every
path through a lesson is a plain, fast test. The shells (Telegram, the terminal player) gather
inputs, call one function here, save the `Turn` it returns, then show its `say` items.

Every prompt with buttons carries the learner's `seq`; a tap is live only while its seq is the
current one, which makes stale, double and replayed taps harmless by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from bot.content import Course, Library, Option, Question, Step, Verdict


class Phase(StrEnum):
    ASKING = "asking"
    """A question is on screen, waiting for an answer."""
    ANSWERED = "answered"
    """Feedback is on screen, waiting for the learner to move on."""
    FINISHED = "finished"
    """The step is over: takeaway and pattern shown."""


@dataclass(frozen=True)
class Position:
    """Where one learner is in one chat. Saved after every turn; the one source of truth."""

    course_id: str
    step: int
    question: int
    phase: Phase
    seq: int
    chosen: str | None = None
    """The option picked for the current question, while its feedback is on screen."""
    another_way_shown: bool = False


@dataclass(frozen=True)
class AnswerRecord:
    course_id: str
    step: int
    question_id: str
    option_id: str
    verdict: Verdict
    at: datetime


# --- What to show: the shells turn these into messages -------------------------------------


@dataclass(frozen=True)
class StepIntro:
    course: Course
    step: Step


@dataclass(frozen=True)
class Ask:
    course: Course
    step: Step
    index: int
    seq: int


@dataclass(frozen=True)
class Feedback:
    question: Question
    option: Option


@dataclass(frozen=True)
class AnotherWay:
    question: Question


@dataclass(frozen=True)
class Bridge:
    text: str


@dataclass(frozen=True)
class Takeaway:
    step: Step


@dataclass(frozen=True)
class Pattern:
    step: Step


@dataclass(frozen=True)
class MoveOn:
    """Buttons under the last message: always a way forward, sometimes the second angle."""

    seq: int
    offer_another_way: bool
    to_takeaway: bool


@dataclass(frozen=True)
class NextStepOffer:
    course: Course
    step: Step


@dataclass(frozen=True)
class SummaryRow:
    step: int
    question_number: int
    prompt: str
    first_verdict: Verdict | None
    connected_later: bool


@dataclass(frozen=True)
class CourseSummary:
    course: Course
    rows: tuple[SummaryRow, ...]


Say = (
    StepIntro
    | Ask
    | Feedback
    | AnotherWay
    | Bridge
    | Takeaway
    | Pattern
    | MoveOn
    | NextStepOffer
    | CourseSummary
)


@dataclass(frozen=True)
class Turn:
    """The decision for one input: what to save and what to show, in order."""

    position: Position
    say: tuple[Say, ...]
    answer: AnswerRecord | None = None
    completed_step: int | None = None
    chosen: Option | None = None
    """The option the learner tapped, so the shell can show their choice on the question."""


class Refusal(StrEnum):
    """Why a tap changes nothing. Expected situations, reported as values."""

    ALREADY_COUNTED = "already_counted"
    """A second tap on the prompt that was just answered (a double tap)."""
    OUTDATED = "outdated"
    """A tap on an older prompt: the learner has moved on since."""
    UNKNOWN = "unknown"
    """The tap names a course, step, question or option that does not exist."""


@dataclass(frozen=True)
class History:
    """What a learner has done in a course, for summaries and the step menu."""

    answers: tuple[AnswerRecord, ...] = ()
    finished_steps: frozenset[int] = field(default_factory=frozenset)


# --- Decisions ---------------------------------------------------------------------------------


def open_step(course: Course, step_number: int, current: Position | None) -> Turn | Refusal:
    """Start a step from its intro, or pick it up where the learner left it."""
    step = course.step(step_number)
    if step is None:
        return Refusal.UNKNOWN
    if (
        current is not None
        and current.course_id == course.id
        and current.step == step_number
        and current.phase is not Phase.FINISHED
    ):
        return resume(course, current, History())
    return _start(course, step, current)


def answer(
    library: Library,
    current: Position | None,
    tap_seq: int,
    course_id: str,
    step_number: int,
    question_index: int,
    option_id: str,
    now: datetime,
) -> Turn | Refusal:
    """The learner picked an option: judge it, explain it, and offer the way on."""
    course = library.course(course_id)
    step = course.step(step_number) if course else None
    if course is None or step is None or not 0 <= question_index < len(step.questions):
        return Refusal.UNKNOWN
    question = step.questions[question_index]
    option = question.option(option_id)
    if option is None:
        return Refusal.UNKNOWN
    stale = _stale(current, tap_seq)
    if stale is not None or current is None:
        return stale or Refusal.OUTDATED
    same_place = (current.course_id, current.step, current.question) == (
        course_id,
        step_number,
        question_index,
    )
    if current.phase is not Phase.ASKING or not same_place:
        return Refusal.UNKNOWN
    seq = current.seq + 1
    last = question_index == len(step.questions) - 1
    say: list[Say] = [Feedback(question, option)]
    missed = not option.verdict.is_right
    if missed and question.another_way:
        say.append(AnotherWay(question))
    offer = not missed and question.another_way is not None
    say.append(MoveOn(seq, offer_another_way=offer, to_takeaway=last))
    position = replace(
        current, phase=Phase.ANSWERED, seq=seq, chosen=option.id, another_way_shown=missed
    )
    record = AnswerRecord(course_id, step_number, question.id, option.id, option.verdict, now)
    return Turn(position, tuple(say), answer=record, chosen=option)


def show_another_way(library: Library, current: Position | None, tap_seq: int) -> Turn | Refusal:
    """The learner got it right and asked for the second angle anyway."""
    stale = _stale(current, tap_seq)
    if stale is not None or current is None:
        return stale or Refusal.OUTDATED
    step = _current_step(library, current)
    if step is None or current.phase is not Phase.ANSWERED:
        return Refusal.UNKNOWN
    question = step.questions[current.question]
    if question.another_way is None:
        return Refusal.UNKNOWN
    seq = current.seq + 1
    last = current.question == len(step.questions) - 1
    position = replace(current, seq=seq, another_way_shown=True)
    say = (AnotherWay(question), MoveOn(seq, offer_another_way=False, to_takeaway=last))
    return Turn(position, say)


def move_on(
    library: Library, current: Position | None, tap_seq: int, history: History
) -> Turn | Refusal:
    """From feedback to the next question (after its bridge), or to the step's ending."""
    stale = _stale(current, tap_seq)
    if stale is not None or current is None:
        return stale or Refusal.OUTDATED
    course = library.course(current.course_id)
    step = _current_step(library, current)
    if course is None or step is None or current.phase is not Phase.ANSWERED:
        return Refusal.UNKNOWN
    seq = current.seq + 1
    answered = step.questions[current.question]
    if current.question + 1 < len(step.questions):
        index = current.question + 1
        position = Position(course.id, step.number, index, Phase.ASKING, seq)
        say: tuple[Say, ...] = (Ask(course, step, index, seq),)
        if answered.bridge:
            say = (Bridge(answered.bridge), *say)
        return Turn(position, say)
    position = Position(course.id, step.number, current.question, Phase.FINISHED, seq)
    finished = history.finished_steps | {step.number}
    hand_off = _hand_off(course, step, replace(history, finished_steps=finished))
    ending = (Takeaway(step), Pattern(step), hand_off)
    return Turn(position, ending, completed_step=step.number)


def resume(course: Course, current: Position, history: History) -> Turn:
    """Show the learner exactly where they are, with live buttons, changing nothing."""
    step = course.step(current.step)
    if step is None or current.question >= len(step.questions):
        # The lesson changed under the learner (a step was shortened): start it afresh.
        return _start(course, course.steps[0], current)
    last = current.question == len(step.questions) - 1
    question = step.questions[current.question]
    if current.phase is Phase.ASKING:
        return Turn(current, (Ask(course, step, current.question, current.seq),))
    if current.phase is Phase.ANSWERED:
        option = question.option(current.chosen or "")
        say: list[Say] = [Feedback(question, option)] if option else []
        offer = question.another_way is not None and not current.another_way_shown
        say.append(MoveOn(current.seq, offer_another_way=offer, to_takeaway=last))
        return Turn(current, tuple(say))
    return Turn(current, (_hand_off(course, step, history),))


def _start(course: Course, step: Step, current: Position | None) -> Turn:
    seq = _next_seq(current)
    position = Position(course.id, step.number, 0, Phase.ASKING, seq)
    return Turn(position, (StepIntro(course, step), Ask(course, step, 0, seq)))


def course_summary(course: Course, history: History) -> CourseSummary:
    """Per question: how the first answer went, and whether it connected later."""
    rows = []
    for step in course.steps:
        for number, question in enumerate(step.questions, start=1):
            answers = [
                a for a in history.answers if a.step == step.number and a.question_id == question.id
            ]
            first = answers[0].verdict if answers else None
            later = any(a.verdict.is_right for a in answers[1:])
            rows.append(SummaryRow(step.number, number, question.prompt, first, later))
    return CourseSummary(course, tuple(rows))


class StepStatus(StrEnum):
    DONE = "done"
    IN_PROGRESS = "in progress"
    NEW = "new"


@dataclass(frozen=True)
class StepEntry:
    step: Step
    status: StepStatus
    is_next: bool


def step_menu(course: Course, current: Position | None, history: History) -> tuple[StepEntry, ...]:
    """Each step with the learner's status, the natural next one marked."""
    in_progress = (
        current.step
        if current and current.course_id == course.id and current.phase is not Phase.FINISHED
        else None
    )

    def status(step: Step) -> StepStatus:
        if step.number == in_progress:
            return StepStatus.IN_PROGRESS
        if step.number in history.finished_steps:
            return StepStatus.DONE
        return StepStatus.NEW

    statuses = [status(s) for s in course.steps]
    next_number = in_progress or next(
        (s.number for s, st in zip(course.steps, statuses, strict=True) if st is StepStatus.NEW),
        None,
    )
    return tuple(
        StepEntry(s, st, s.number == next_number)
        for s, st in zip(course.steps, statuses, strict=True)
    )


def _hand_off(course: Course, step: Step, history: History) -> Say:
    following = course.step(step.number + 1)
    if following is not None:
        return NextStepOffer(course, following)
    return course_summary(course, history)


def _current_step(library: Library, current: Position) -> Step | None:
    course = library.course(current.course_id)
    step = course.step(current.step) if course else None
    if step is None or current.question >= len(step.questions):
        return None
    return step


def _stale(current: Position | None, tap_seq: int) -> Refusal | None:
    if current is None:
        return Refusal.OUTDATED
    if tap_seq == current.seq:
        return None
    if tap_seq == current.seq - 1:
        return Refusal.ALREADY_COUNTED
    if tap_seq > current.seq:
        return Refusal.UNKNOWN
    return Refusal.OUTDATED


def _next_seq(current: Position | None) -> int:
    return current.seq + 1 if current else 1

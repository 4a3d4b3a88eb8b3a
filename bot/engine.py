"""The tutor's rules: given where a learner is and what they did, decide what happens next.

Pure functions over plain data (`bot.model`). No Telegram, no SQLite, and the clock is passed
in, so every path through a lesson is a plain, fast test. The shells (Telegram, the terminal
player) gather inputs, call one function here, save the `Turn` it returns, then show it.

Every prompt with buttons carries the learner's `seq`; a tap is live only while its seq is the
current one, which makes stale, double and replayed taps harmless by construction.

The adaptive flow for one question: a miss gets its feedback, the other angle and a second
try with the options shuffled; a second miss gets a repair (the misconception the chosen
option reveals, or the earlier step the idea rests on) and the question's check question. A
check can be tried twice or skipped for now, so the learner is never stuck.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.content import Course, Library, Question, Step, Verdict
from bot.model import (
    AnotherWay,
    AnswerRecord,
    Ask,
    Bridge,
    CardKey,
    CheckMissed,
    CourseSummary,
    Feedback,
    Grade,
    History,
    MoveOn,
    NextStepOffer,
    Note,
    Pattern,
    Phase,
    Position,
    Rating,
    Refusal,
    Repair,
    ReviewNudge,
    Say,
    StepIntro,
    SummaryRow,
    Takeaway,
    Target,
    Turn,
)

# The names the shells and tests use come from here, the one module a reader opens first.
__all__ = [
    "AnotherWay",
    "AnswerRecord",
    "Ask",
    "Bridge",
    "CardKey",
    "CheckMissed",
    "CourseSummary",
    "Feedback",
    "Grade",
    "History",
    "MoveOn",
    "NextStepOffer",
    "Note",
    "Pattern",
    "Phase",
    "Position",
    "Rating",
    "Refusal",
    "Repair",
    "ReviewNudge",
    "Say",
    "StepIntro",
    "SummaryRow",
    "Takeaway",
    "Target",
    "Turn",
]


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


def resume(course: Course, current: Position, history: History) -> Turn:
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


def answer(
    library: Library,
    current: Position | None,
    tap_seq: int,
    course_id: str,
    step_number: int,
    question_index: int,
    option_id: str,
    now: datetime,
    history: History | None = None,
) -> Turn | Refusal:
    """The learner picked an option: judge it, explain it, and decide the way on."""
    course = library.course(course_id)
    step = course.step(step_number) if course else None
    if course is None or step is None or not 0 <= question_index < len(step.questions):
        return Refusal.UNKNOWN
    stale = _stale(current, tap_seq)
    if stale is not None or current is None:
        return stale or Refusal.OUTDATED
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
    decide = _judge_check if current.target is Target.CHECK else _judge_question
    chose = replace(current, chosen=option.id)
    turn = decide(course, step, chose, question, option.verdict, history or History())
    turn = replace(turn, say=(Feedback(question, option), *turn.say), answer=record, chosen=option)
    return replace(turn, position=replace(turn.position, chosen=option.id))


def _judge_question(
    course: Course, step: Step, p: Position, q: Question, verdict: Verdict, history: History
) -> Turn:
    seq = p.seq + 1
    card = _card(course, step, p, Target.QUESTION)
    if verdict.is_right and p.attempt == 1:
        if not p.reviewing and q.check is not None and _missed_before(course, step, q, history):
            check = replace(p, seq=seq, target=Target.CHECK, attempt=1)
            say = (Note("confirm"), ask(course, step, check))
            return Turn(check, say, ratings=(Rating(card, Grade.GOOD),))
        answered = replace(p, phase=Phase.ANSWERED, seq=seq)
        return Turn(
            answered,
            (_move_on(step, answered, offer=q.another_way is not None),),
            ratings=(Rating(card, Grade.GOOD),),
        )
    if verdict.is_right:
        answered = replace(p, phase=Phase.ANSWERED, seq=seq)
        return Turn(
            answered,
            (Note("second_try"), _move_on(step, answered)),
            ratings=(Rating(card, Grade.HARD),),
        )
    if p.attempt == 1:
        again = replace(p, seq=seq, attempt=2, another_way_shown=q.another_way is not None)
        angle: tuple[Say, ...] = (AnotherWay(q),) if q.another_way else ()
        return Turn(again, (*angle, Note("try_again"), ask(course, step, again)))
    return _repair(course, step, p, q)


def _repair(course: Course, step: Step, p: Position, q: Question) -> Turn:
    """Missed twice: name what seems to trip the learner, re-explain, then check."""
    seq = p.seq + 1
    rating = Rating(_card(course, step, p, Target.QUESTION), Grade.AGAIN)
    if p.reviewing:
        answered = replace(p, phase=Phase.ANSWERED, seq=seq)
        return Turn(answered, (Note("see_again"), _move_on(step, answered)), ratings=(rating,))
    repair = find_repair(course, step, p)
    if q.check is None:
        answered = replace(p, phase=Phase.ANSWERED, seq=seq)
        say = (Note("no_shame"), repair, Note("marked"), _move_on(step, answered))
        return Turn(answered, say, ratings=(rating,))
    check = replace(p, seq=seq, target=Target.CHECK, attempt=1)
    say = (Note("no_shame"), repair, Note("check_intro"), ask(course, step, check))
    return Turn(check, say, ratings=(rating,))


def find_repair(course: Course, step: Step, p: Position) -> Repair:
    question = step.questions[p.question]
    chosen = question.option(p.chosen or "")
    misconception = next(
        (m for m in course.misconceptions if chosen and m.id == chosen.misconception), None
    )
    if misconception is not None:
        number = misconception.repaired_by_step
    else:
        number = step.number - 1 if step.number > 1 else None
    repair_step = course.step(number) if number else None
    return Repair(
        misconception.summary if misconception else None,
        repair_step,
        _other_angle(repair_step, question.concept) if repair_step else None,
    )


def _other_angle(step: Step, concept: str | None) -> str | None:
    """The repair step's own second angle: on the same concept if it has one."""
    angles = [q for q in step.questions if q.another_way]
    same = [q for q in angles if concept and q.concept == concept]
    chosen = (same or angles or [None])[0]
    return chosen.another_way if chosen else None


def _judge_check(
    course: Course, step: Step, p: Position, q: Question, verdict: Verdict, history: History
) -> Turn:
    del q, history  # the same shape as _judge_question, so `answer` can pick either
    seq = p.seq + 1
    card = _card(course, step, p, Target.CHECK)
    if verdict.is_right:
        grade = Grade.GOOD if p.attempt == 1 else Grade.HARD
        answered = replace(p, phase=Phase.ANSWERED, seq=seq)
        return Turn(
            answered, (Note("got_it"), _move_on(step, answered)), ratings=(Rating(card, grade),)
        )
    if p.attempt == 1:
        missed = replace(p, phase=Phase.CHECK_MISSED, seq=seq)
        return Turn(missed, (CheckMissed(seq),))
    answered = replace(p, phase=Phase.ANSWERED, seq=seq)
    say = (Note("marked"), _move_on(step, answered))
    return Turn(answered, say, ratings=(Rating(card, Grade.AGAIN),))


def retry_check(library: Library, current: Position | None, tap_seq: int) -> Turn | Refusal:
    """A missed check, tried again with its options in a new order."""
    found = _live(library, current, tap_seq, Phase.CHECK_MISSED)
    if isinstance(found, Refusal):
        return found
    course, step, p = found
    again = replace(p, phase=Phase.ASKING, seq=p.seq + 1, attempt=2, chosen=None)
    return Turn(again, (ask(course, step, again),))


def skip_check(library: Library, current: Position | None, tap_seq: int) -> Turn | Refusal:
    """The learner would rather move on: the idea is marked for review, never a dead end."""
    found = _live(library, current, tap_seq, Phase.CHECK_MISSED, Phase.ASKING)
    if isinstance(found, Refusal):
        return found
    course, step, p = found
    if p.target is not Target.CHECK:
        return Refusal.UNKNOWN
    answered = replace(p, phase=Phase.ANSWERED, seq=p.seq + 1)
    rating = Rating(_card(course, step, p, Target.CHECK), Grade.AGAIN)
    return Turn(answered, (Note("skipped"), _move_on(step, answered)), ratings=(rating,))


# --- Moving on --------------------------------------------------------------------------------


def show_another_way(library: Library, current: Position | None, tap_seq: int) -> Turn | Refusal:
    """The learner got it right and asked for the second angle anyway."""
    found = _live(library, current, tap_seq, Phase.ANSWERED)
    if isinstance(found, Refusal):
        return found
    _, step, p = found
    question = step.questions[p.question]
    if question.another_way is None:
        return Refusal.UNKNOWN
    shown = replace(p, seq=p.seq + 1, another_way_shown=True)
    return Turn(shown, (AnotherWay(question), _move_on(step, shown)))


def move_on(
    library: Library,
    current: Position | None,
    tap_seq: int,
    history: History,
    now: datetime | None = None,
    due_reviews: int = 0,
) -> Turn | Refusal:
    """From feedback to the next question (after its bridge), or to the step's ending."""
    found = _live(library, current, tap_seq, Phase.ANSWERED)
    if isinstance(found, Refusal):
        return found
    course, step, p = found
    if p.reviewing:
        return Refusal.UNKNOWN  # reviews move on in `review.next_card`
    seq = p.seq + 1
    answered = step.questions[p.question]
    if p.question + 1 < len(step.questions):
        position = Position(course.id, step.number, p.question + 1, Phase.ASKING, seq)
        bridge: tuple[Say, ...] = (Bridge(answered.bridge),) if answered.bridge else ()
        return Turn(position, (*bridge, ask(course, step, position)))
    position = Position(course.id, step.number, p.question, Phase.FINISHED, seq)
    finished = replace(history, finished_steps=history.finished_steps | {step.number})
    ending: tuple[Say, ...] = (
        Takeaway(step),
        Pattern(step),
        _hand_off(course, step, finished, now),
    )
    nudge: tuple[Say, ...] = (ReviewNudge(due_reviews),) if due_reviews else ()
    return Turn(position, (*ending, *nudge), completed_step=step.number)


def _hand_off(course: Course, step: Step, history: History, now: datetime | None = None) -> Say:
    following = course.step(step.number + 1)
    if following is not None:
        return NextStepOffer(course, following)
    return course_summary(course, history, now)


def _move_on(step: Step, p: Position, offer: bool = False) -> MoveOn:
    last = p.question == len(step.questions) - 1
    return MoveOn(p.seq, offer_another_way=offer, to_takeaway=last, reviewing=p.reviewing)


def _offers_another_way(step: Step, p: Position) -> bool:
    question = step.questions[p.question]
    return (
        p.target is Target.QUESTION
        and not p.another_way_shown
        and question.another_way is not None
        and question.option(p.chosen or "") is not None
        and question.option(p.chosen or "").verdict.is_right
        and p.attempt == 1
    )


# --- Summaries --------------------------------------------------------------------------------


def course_summary(course: Course, history: History, now: datetime | None = None) -> CourseSummary:
    """Per question: how the first answer went, whether it connected later, and when the
    first review comes."""
    rows = []
    for step in course.steps:
        for number, question in enumerate(step.questions, start=1):
            answers = [
                a
                for a in history.answers
                if a.step == step.number
                and a.question_id == question.id
                and a.target is Target.QUESTION
            ]
            first = answers[0].verdict if answers else None
            later = any(a.verdict.is_right for a in answers[1:])
            rows.append(SummaryRow(step.number, number, question.prompt, first, later))
    first_review = min((c.due for c in history.cards), default=None)
    return CourseSummary(course, tuple(rows), first_review, now)


# --- Helpers ----------------------------------------------------------------------------------


def ask(course: Course, step: Step, p: Position) -> Ask:
    """The prompt for where `p` is; a second try and a review shuffle the options."""
    question = target_question(step, p)
    assert question is not None
    ids = [o.id for o in question.options]
    if p.attempt > 1 or p.reviewing:
        unsure = [o.id for o in question.options if o.verdict is Verdict.NO_WORRIES]
        others = [i for i in ids if i not in unsure]
        random.Random(zlib.crc32(f"{question.id}:{p.seq}".encode())).shuffle(others)
        ids = others + unsure
    return Ask(
        course,
        step,
        p.question,
        p.seq,
        question,
        tuple(ids),
        p.target,
        p.reviewing,
        can_skip=p.target is Target.CHECK and not p.reviewing,
    )


def target_question(step: Step, p: Position) -> Question | None:
    if not 0 <= p.question < len(step.questions):
        return None
    question = step.questions[p.question]
    return question.as_check() if p.target is Target.CHECK else question


def _card(course: Course, step: Step, p: Position, target: Target) -> CardKey:
    return CardKey(course.id, step.number, step.questions[p.question].id, target)


def _missed_before(course: Course, step: Step, question: Question, history: History) -> bool:
    """Has this learner missed this concept (or this very question) before?"""
    concept_of = {(s.number, q.id): q.concept for s in course.steps for q in s.questions}

    def same_idea(answer: AnswerRecord) -> bool:
        where = (answer.step, answer.question_id)
        if where == (step.number, question.id):
            return True
        return question.concept is not None and concept_of.get(where) == question.concept

    return any(not a.verdict.is_right and same_idea(a) for a in history.answers)


def _live(
    library: Library, current: Position | None, tap_seq: int, *phases: Phase
) -> tuple[Course, Step, Position] | Refusal:
    """The course, step and position a tap acts on, if the tap is live and fits the phase."""
    stale = _stale(current, tap_seq)
    if stale is not None or current is None:
        return stale or Refusal.OUTDATED
    course = library.course(current.course_id)
    step = course.step(current.step) if course else None
    if course is None or step is None or not 0 <= current.question < len(step.questions):
        return Refusal.UNKNOWN
    if current.phase not in phases:
        return Refusal.UNKNOWN
    return course, step, current


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


def next_seq(current: Position | None) -> int:
    return current.seq + 1 if current else 1


# --- The step menu ----------------------------------------------------------------------------


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
        if current
        and current.course_id == course.id
        and current.phase is not Phase.FINISHED
        and not current.reviewing
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

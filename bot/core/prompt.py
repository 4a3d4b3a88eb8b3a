"""The prompt for where a learner is, and whether a tap on an earlier prompt is still live.

Every prompt with buttons carries the learner's `seq`; a tap is live only while its seq is the
current one, which makes stale, double and replayed taps harmless by construction. Lessons
(`lesson`) and reviews (`review`) both judge taps here, so the rule is written once.
"""

from __future__ import annotations

import random
import zlib
from datetime import datetime, timedelta

from bot.content import Course, Library, Question, Step, Verdict
from bot.core.model import AnswerRecord, CardKey, History, Phase, Position, Refusal, Target
from bot.core.say import Ask, Repair


def ask(course: Course, step: Step, p: Position) -> Ask:
    """The prompt for where `p` is; a second try and a review shuffle the options.

    The shuffle is seeded by the question and the seq, so the same prompt shows the same order
    after a restart. A shuffle that lands on the authored order is rotated by one, so "options in
    a new order" is always true; "I'm not sure" stays last.
    """
    question = target_question(step, p)
    assert question is not None
    ids = [o.id for o in question.options]
    if p.attempt > 1 or p.reviewing:
        unsure = [o.id for o in question.options if o.verdict is Verdict.NO_WORRIES]
        others = [i for i in ids if i not in unsure]
        authored = list(others)
        random.Random(zlib.crc32(f"{question.id}:{p.seq}".encode())).shuffle(others)
        if others == authored and len(others) > 1:
            others = others[1:] + others[:1]
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
    """The question on screen: the step's question, or its check question."""
    if not 0 <= p.question < len(step.questions):
        return None
    question = step.questions[p.question]
    return question.as_check() if p.target is Target.CHECK else question


def card_key(course: Course, step: Step, p: Position, target: Target) -> CardKey:
    return CardKey(course.id, step.number, step.questions[p.question].id, target)


def missed_before(course: Course, step: Step, question: Question, history: History) -> bool:
    """Has this learner missed this concept (or this very question) before?"""
    concept_of = {(s.number, q.id): q.concept for s in course.steps for q in s.questions}

    def same_idea(answer: AnswerRecord) -> bool:
        where = (answer.step, answer.question_id)
        if where == (step.number, question.id):
            return True
        return question.concept is not None and concept_of.get(where) == question.concept

    return any(not a.verdict.is_right and same_idea(a) for a in history.answers)


def find_repair(course: Course, step: Step, p: Position) -> Repair:
    """What seems to trip the learner: the misconception their option reveals (for "I'm not
    sure", the question's usual trap), with its repair, and the earlier step it is built in."""
    question = step.questions[p.question]
    chosen = question.option(p.chosen or "")
    misconception = next(
        (m for m in course.misconceptions if chosen and m.id == chosen.misconception), None
    )
    number = misconception.repaired_by_step if misconception else None
    built_in = course.step(number) if number and number < step.number else None
    unsure = chosen is not None and chosen.verdict is Verdict.NO_WORRIES
    return Repair(misconception, unsure, built_in)


def live(
    library: Library, current: Position | None, tap_seq: int, *phases: Phase
) -> tuple[Course, Step, Position] | Refusal:
    """The course, step and position a tap acts on, if the tap is live and fits the phase."""
    refused = stale(current, tap_seq)
    if refused is not None or current is None:
        return refused or Refusal.OUTDATED
    course = library.course(current.course_id)
    step = course.step(current.step) if course else None
    if course is None or step is None or not 0 <= current.question < len(step.questions):
        return Refusal.UNKNOWN
    if current.phase not in phases:
        return Refusal.UNKNOWN
    return course, step, current


def stale(current: Position | None, tap_seq: int) -> Refusal | None:
    """Why a tap with `tap_seq` is not live (None when it is): the prompt just answered, an older
    one, or a seq the bot never sent."""
    if current is None:
        return Refusal.OUTDATED
    if tap_seq == current.seq:
        return None
    if tap_seq == current.seq - 1:
        return Refusal.ALREADY_COUNTED
    if tap_seq > current.seq:
        return Refusal.UNKNOWN
    return Refusal.OUTDATED


DOUBLE_TAP = timedelta(seconds=5)
"""Two taps on one button closer than this are one impatient tap, not two."""


def show_again(saved_at: datetime | None, tapped_at: datetime) -> bool:
    """A tap on the prompt just answered: a double tap gets only "already counted"; a later one
    shows the learner where they are again (the feedback may never have reached them). A tap
    that arrived before the answer was even saved is a double tap however late it is handled."""
    return saved_at is None or tapped_at - saved_at >= DOUBLE_TAP


def next_seq(current: Position | None) -> int:
    return current.seq + 1 if current else 1

"""/pace, /deadline and /stop, their buttons, and the typed answers they ask for.

No ConversationHandler: what the bot waits for (a typed zone, time or date) is a column of the
learner's schedule in SQLite, so a restart in the middle of setting up changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, timedelta

from telegram import Update

from bot import callbacks, pace_render, plan, reminders, render
from bot.content import Course
from bot.handlers import Tutor, TutorContext, learner_of, who
from bot.model import Refusal, Schedule
from bot.store import Learner

log = logging.getLogger(__name__)


async def pace(update: Update, context: TutorContext) -> None:
    """Choose a pace and a reminder time (the time zone first, once); also resumes reminders."""
    tutor = context.tutor
    learner = learner_of(update, tutor)
    if learner is None:
        return
    schedule = tutor.store.schedule(learner)
    if schedule.zone is None:
        _save(tutor, learner, replace(schedule, awaiting="zone", paused=False))
        await tutor.outbox.send(learner.chat_id, [pace_render.ask_zone()])
        return
    _save(tutor, learner, replace(schedule, awaiting=None, paused=False))
    await tutor.outbox.send(learner.chat_id, [pace_render.ask_goal(schedule.zone)])


async def deadline(update: Update, context: TutorContext) -> None:
    """Set a target date (`/deadline off` removes it) and show the plan."""
    tutor = context.tutor
    learner = learner_of(update, tutor)
    if learner is None:
        return
    schedule = tutor.store.schedule(learner)
    if context.args and context.args[0].lower() == "off":
        cleared = replace(schedule, deadline=None, plan=None, plan_made_on=None, awaiting=None)
        _save(tutor, learner, cleared)
        reminders.reschedule(context.application, learner)
        await tutor.outbox.send(learner.chat_id, [pace_render.deadline_off()])
        return
    if context.args:
        await _deadline_typed(tutor, context, learner, schedule, " ".join(context.args))
        return
    _save(tutor, learner, replace(schedule, awaiting="deadline"))
    await tutor.outbox.send(learner.chat_id, [pace_render.ask_deadline()])


async def stop(update: Update, context: TutorContext) -> None:
    """Pause every reminder."""
    tutor = context.tutor
    learner = learner_of(update, tutor)
    if learner is None:
        return
    _save(tutor, learner, replace(tutor.store.schedule(learner), paused=True, awaiting=None))
    reminders.cancel(context.application, learner)
    await tutor.outbox.send(learner.chat_id, [pace_render.stopped()])


async def choice(context: TutorContext, learner: Learner, kind: str, value: str) -> bool:
    """A tap on a pace button; False if it names nothing we offered."""
    tutor = context.tutor
    schedule = tutor.store.schedule(learner)
    if kind == "z" and value.isdigit() and int(value) < len(pace_render.ZONE_CHOICES):
        zone = plan.parse_zone(pace_render.ZONE_CHOICES[int(value)])
        assert zone is not None  # every offered zone parses (tested)
        await _zone_chosen(tutor, learner, schedule, plan.zone_name(zone))
    elif kind == "g" and value in {g.value for g in plan.Goal}:
        _save(tutor, learner, replace(schedule, goal=value, awaiting=None))
        await tutor.outbox.send(learner.chat_id, [pace_render.ask_time(plan.Goal(value))])
    elif kind == "t" and value.isdigit() and int(value) < len(pace_render.TIME_CHOICES):
        await _time_chosen(context, learner, schedule, pace_render.TIME_CHOICES[int(value)])
    elif kind == "d" and value.isdigit():
        await _deadline_chosen(context, learner, schedule, _deadline_value(tutor, schedule, value))
    elif kind == "k" and value in {"zone", "time", "deadline"}:
        _save(tutor, learner, replace(schedule, awaiting=value))
        prompt = {
            "zone": pace_render.ask_zone(),
            "time": pace_render.ask_typed_time(),
            "deadline": pace_render.ask_typed_date(),
        }[value]
        await tutor.outbox.send(learner.chat_id, [prompt])
    else:
        return False
    return True


async def typed(context: TutorContext, learner: Learner, text: str) -> bool:
    """Typed text the schedule is waiting for; False if it waits for nothing."""
    tutor = context.tutor
    schedule = tutor.store.schedule(learner)
    if schedule.awaiting == "zone":
        zone = plan.parse_zone(text)
        if zone is None:
            await tutor.outbox.send(learner.chat_id, [pace_render.bad_zone()])
        else:
            await _zone_chosen(tutor, learner, schedule, plan.zone_name(zone))
        return True
    if schedule.awaiting == "time":
        at = plan.parse_time(text)
        if at is None:
            await tutor.outbox.send(learner.chat_id, [pace_render.bad_time()])
        else:
            await _time_chosen(context, learner, schedule, at.strftime("%H:%M"))
        return True
    if schedule.awaiting == "deadline":
        await _deadline_typed(tutor, context, learner, schedule, text)
        return True
    return False


async def _zone_chosen(tutor: Tutor, learner: Learner, schedule: Schedule, zone: str) -> None:
    _save(tutor, learner, replace(schedule, zone=zone, awaiting=None))
    await tutor.outbox.send(learner.chat_id, [pace_render.ask_goal(zone)])


async def _time_chosen(
    context: TutorContext, learner: Learner, schedule: Schedule, at: str
) -> None:
    tutor = context.tutor
    goal = plan.Goal(schedule.goal or plan.Goal.ONE_A_DAY)
    updated = replace(schedule, remind_at=at, goal=goal.value, awaiting=None, paused=False)
    _save(tutor, learner, updated)
    reminders.reschedule(context.application, learner)
    await tutor.outbox.send(
        learner.chat_id, [pace_render.pace_set(goal, at, updated.zone or "UTC")]
    )


async def _deadline_typed(
    tutor: Tutor, context: TutorContext, learner: Learner, schedule: Schedule, text: str
) -> None:
    when = plan.parse_date(text, _today(tutor, schedule))
    if when is None:
        _save(tutor, learner, replace(schedule, awaiting="deadline"))
        await tutor.outbox.send(learner.chat_id, [pace_render.bad_date()])
        return
    await _deadline_chosen(context, learner, schedule, when)


async def _deadline_chosen(
    context: TutorContext, learner: Learner, schedule: Schedule, when: date | None
) -> None:
    tutor = context.tutor
    if when is None:
        await tutor.outbox.send(learner.chat_id, [pace_render.bad_date()])
        return
    today = _today(tutor, schedule)
    course = _course(tutor, learner, schedule)
    planned, done = _plan(tutor, learner, schedule, course, today, when)
    updated = replace(
        schedule,
        deadline=when,
        course_id=course.id,
        awaiting=None,
        plan=plan.to_json(planned),
        plan_made_on=today,
        done_at_plan=done,
    )
    _save(tutor, learner, updated)
    reminders.reschedule(context.application, learner)
    messages = [pace_render.plan_message(course, planned, today)]
    if updated.remind_at is None or updated.paused:
        messages.append(pace_render.offer_reminders())
    await tutor.outbox.send(learner.chat_id, messages)


def _deadline_value(tutor: Tutor, schedule: Schedule, value: str) -> date | None:
    today = _today(tutor, schedule)
    if len(value) == 8:
        try:
            chosen = datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            return None
        return chosen if chosen >= today else None
    return today + timedelta(days=int(value)) if int(value) <= 365 else None


def _plan(
    tutor: Tutor, learner: Learner, schedule: Schedule, course: Course, today: date,
    deadline: date | None,
) -> tuple[plan.Plan, int]:  # fmt: skip
    """The plan for what is left of the course, and how many steps are done already."""
    finished = tutor.store.history(learner, course.id).finished_steps
    remaining = [s.number for s in course.steps if s.number not in finished]
    reviews = len(tutor.store.due(learner, tutor.clock()))
    goal = plan.Goal(schedule.goal or plan.Goal.ONE_A_DAY)
    return plan.plan(remaining, reviews, today, goal, deadline), len(finished)


def _course(tutor: Tutor, learner: Learner, schedule: Schedule) -> Course:
    """The course the plan is for: the one in progress, else the one planned, else the first."""
    position = tutor.store.position(learner)
    for course_id in (position.course_id if position else None, schedule.course_id):
        course = tutor.library.course(course_id) if course_id else None
        if course is not None:
            return course
    return tutor.library.courses[0]


def _today(tutor: Tutor, schedule: Schedule) -> date:
    zone = plan.parse_zone(schedule.zone or "UTC") or plan.parse_zone("UTC")
    assert zone is not None
    return plan.local_date(tutor.clock(), zone)


def _save(tutor: Tutor, learner: Learner, schedule: Schedule) -> None:
    tutor.store.save_schedule(learner, schedule, tutor.clock())


async def tap(update: Update, context: TutorContext) -> None:
    """A tap on a pace, time-zone, reminder-time or deadline button."""
    query = update.callback_query
    tutor = context.tutor
    learner = who(update)
    if query is None or learner is None:
        return
    action = callbacks.decode(query.data)
    if not isinstance(action, callbacks.Pace):
        log.warning("unreadable pace button %r from user %s", query.data, learner.user_id)
        await tutor.outbox.answer(query.id, render.REFUSAL_NOTICE[Refusal.UNKNOWN])
        return
    await tutor.outbox.answer(query.id)
    if not await choice(context, learner, action.kind, action.value):
        log.warning("pace button %r names nothing we offered", query.data)
        await tutor.outbox.send(learner.chat_id, [render.text_hint()])


async def text(update: Update, context: TutorContext) -> None:
    """Typed text: an answer the schedule waits for, else a hint towards the buttons."""
    tutor = context.tutor
    learner = learner_of(update, tutor)
    message = update.effective_message
    if learner is None or message is None or message.text is None:
        return
    if not await typed(context, learner, message.text.strip()):
        await tutor.outbox.send(learner.chat_id, [render.text_hint()])

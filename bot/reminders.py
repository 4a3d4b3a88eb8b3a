"""Reminders at the learner's local time, with PTB's JobQueue.

Jobs live in memory, so SQLite holds the schedule and the jobs are rebuilt from it at
start-up. A reminder missed while the bot was down is sent once at start-up, if today still
has planned work; never as a burst (start-up sends are spread out, and PTB's limiter keeps the
whole bot under Telegram's 30 messages a second).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, time, tzinfo

from telegram.ext import Application, CallbackContext

from bot import pace_render, plan
from bot.content import Course
from bot.handlers import Tutor
from bot.model import Schedule
from bot.store import Learner

log = logging.getLogger(__name__)

STARTUP_SPACING = 0.05
"""Seconds between missed reminders sent at start-up: 20 a second, under Telegram's 30."""


def job_name(learner: Learner) -> str:
    return f"remind:{learner.user_id}:{learner.chat_id}"


def cancel(application: Application, learner: Learner) -> None:
    assert application.job_queue is not None
    for job in application.job_queue.get_jobs_by_name(job_name(learner)):
        job.schedule_removal()


def reschedule(application: Application, learner: Learner, after: float = 0.0) -> None:
    """Replace the learner's job with one at their next reminder, if they have one."""
    cancel(application, learner)
    tutor = application.bot_data["tutor"]
    schedule = tutor.store.schedule(learner)
    moment = next_moment(schedule, tutor.clock())
    if moment is None or not tutor.store.is_active(learner.chat_id):
        return
    delay = max((moment - tutor.clock()).total_seconds(), after)
    assert application.job_queue is not None
    application.job_queue.run_once(
        _fire, when=delay, data=learner, name=job_name(learner), chat_id=learner.chat_id
    )


def next_moment(schedule: Schedule, now: datetime) -> datetime | None:
    parts = _parts(schedule)
    if parts is None:
        return None
    zone, at, goal = parts
    planned = _planned(schedule)
    return plan.next_reminder(now, zone, at, goal, schedule.last_sent_on, planned)


async def restore(application: Application) -> None:
    """At start-up: one job per learner with reminders; a missed one is sent once, now."""
    tutor = application.bot_data["tutor"]
    now = tutor.clock()
    missed = 0
    for learner, schedule in tutor.store.reminder_schedules():
        parts = _parts(schedule)
        if parts is None:
            continue
        zone, at, goal = parts
        if plan.missed_reminder(now, zone, at, goal, schedule.last_sent_on, _planned(schedule)):
            assert application.job_queue is not None
            application.job_queue.run_once(
                _fire, when=missed * STARTUP_SPACING, data=learner, name=job_name(learner)
            )
            missed += 1
        else:
            reschedule(application, learner)
    if missed:
        log.info("sending %d reminder(s) missed while the bot was down", missed)


async def _fire(context: CallbackContext) -> None:
    learner = context.job.data if context.job else None
    if not isinstance(learner, Learner):
        return
    await send_reminder(context.application, learner)
    reschedule(context.application, learner, after=1.0)


async def send_reminder(application: Application, learner: Learner) -> None:
    """Today's planned work, or a wrap-up when there is no more to plan."""
    tutor = application.bot_data["tutor"]
    store, library = tutor.store, tutor.library
    schedule = store.schedule(learner)
    parts = _parts(schedule)
    if parts is None or schedule.paused or not store.is_active(learner.chat_id):
        return
    zone, _at, goal = parts
    now = tutor.clock()
    today = plan.local_date(now, zone)
    if schedule.last_sent_on == today:
        return
    course = library.course(schedule.course_id or "") or _current_course(tutor, learner)
    finished = store.history(learner, course.id).finished_steps
    remaining = [s for s in course.steps if s.number not in finished]
    reviews = len(store.due(learner, now))
    past_deadline = schedule.deadline is not None and today > schedule.deadline
    if past_deadline or (not remaining and not reviews):
        await tutor.outbox.send(learner.chat_id, [pace_render.wrap_up(course, past_deadline)])
        store.save_schedule(learner, replace(schedule, paused=True, last_sent_on=today), now)
        return
    planned = _planned(schedule)
    if planned is not None:
        day = next((d for d in planned.days if d.day == today), None)
        done_since = len(finished) - schedule.done_at_plan
        made_on = schedule.plan_made_on or today
        behind = plan.behind(planned, made_on, done_since, today)
        # Today's share of the plan, always from the next unfinished step on.
        steps = remaining[: max(len(day.steps) if day else 0, 1 if behind else 0)]
    else:
        steps = remaining[: goal.steps_on(today)]
        behind = 0
    if not steps and not reviews:
        return
    active = {plan.local_date(moment, zone) for moment in store.activity(learner)}
    message = pace_render.reminder(
        [(s.number, s.title) for s in steps], reviews, behind, plan.streak(active, today), course
    )
    await tutor.outbox.send(learner.chat_id, [message])
    store.save_schedule(learner, replace(schedule, last_sent_on=today), now)


def _parts(schedule: Schedule) -> tuple[tzinfo, time, plan.Goal] | None:
    if schedule.zone is None or schedule.remind_at is None or schedule.paused:
        return None
    zone = plan.parse_zone(schedule.zone)
    at = plan.parse_time(schedule.remind_at)
    if zone is None or at is None:
        log.warning(
            "schedule with unreadable zone %r or time %r", schedule.zone, schedule.remind_at
        )
        return None
    return zone, at, plan.Goal(schedule.goal or plan.Goal.ONE_A_DAY)


def _planned(schedule: Schedule) -> plan.Plan | None:
    return plan.from_json(schedule.plan)


def _current_course(tutor: Tutor, learner: Learner) -> Course:
    position = tutor.store.position(learner)
    library = tutor.library
    return (library.course(position.course_id) if position else None) or library.courses[0]

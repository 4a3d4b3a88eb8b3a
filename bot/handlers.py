"""Where a tap or a command goes: gather the inputs, let the engine decide, save, then show.

Each handler is the imperative shell around one engine call. No decision is made while talking
to Telegram, and the learner's state is saved before anything is sent, so a crash between the
two loses nothing: the next tap or /continue picks up from the saved position.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import CallbackQuery, Update
from telegram.ext import CallbackContext, ExtBot

from bot import callbacks, engine, plan, render, review
from bot.content import Library
from bot.delivery import Outbox
from bot.engine import Refusal, Turn
from bot.progress import course_map, learner_map
from bot.store import Learner, Store

log = logging.getLogger(__name__)


@dataclass
class Tutor:
    """What every handler needs, built once by the composition root."""

    library: Library
    store: Store
    outbox: Outbox
    clock: Callable[[], datetime]


class TutorContext(CallbackContext[ExtBot, dict, dict, dict]):
    """PTB's context with the tutor's services typed, instead of stringly `bot_data[...]`."""

    @property
    def tutor(self) -> Tutor:
        return self.application.bot_data["tutor"]


def who(update: Update) -> Learner | None:
    user, chat = update.effective_user, update.effective_chat
    return Learner(user.id, chat.id) if user is not None and chat is not None else None


def learner_of(update: Update, tutor: Tutor) -> Learner | None:
    """Identify who wrote and remember them (writing to us also means they unblocked us)."""
    learner = who(update)
    user = update.effective_user
    if learner is not None and user is not None:
        tutor.store.seen(learner, user.first_name, user.username, tutor.clock())
    return learner


# --- Commands ---------------------------------------------------------------------------------


async def start(update: Update, context: TutorContext) -> None:
    """Greet the learner and show the courses; `/start <course-id>` opens that course."""
    tutor = context.tutor
    learner = learner_of(update, tutor)
    if learner is None:
        return
    if context.args:
        course = tutor.library.course(context.args[0])
        if course is not None:
            await _show_course(tutor, learner, course.id)
            return
        log.info("deep link to unknown course %r", context.args[0])
    user = update.effective_user
    messages = [render.welcome(tutor.library, user.first_name if user else None)]
    position = tutor.store.position(learner)
    if position and position.phase is not engine.Phase.FINISHED and not position.reviewing:
        messages.append(render.welcome_back(position))
    due = len(tutor.store.due(learner, tutor.clock()))
    if due:
        messages.append(render.review_nudge(due))
    await tutor.outbox.send(learner.chat_id, messages)


async def resume(update: Update, context: TutorContext) -> None:
    """Pick up exactly where the learner is."""
    tutor = context.tutor
    learner = learner_of(update, tutor)
    if learner is not None:
        await _show_where_you_are(tutor, learner)


async def list_courses(update: Update, context: TutorContext) -> None:
    """Show every course."""
    tutor = context.tutor
    learner = learner_of(update, tutor)
    if learner is not None:
        await tutor.outbox.send(learner.chat_id, [render.courses(tutor.library)])


async def show_help(update: Update, context: TutorContext) -> None:
    """List the commands."""
    tutor = context.tutor
    learner = learner_of(update, tutor)
    if learner is not None:
        await tutor.outbox.send(learner.chat_id, [render.help_text()])


async def unknown_command(update: Update, context: TutorContext) -> None:
    """Answer a command we don't know with the ones we do."""
    tutor = context.tutor
    learner = learner_of(update, tutor)
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "/").split()[0].split("@")[0]
    if learner is not None:
        await tutor.outbox.send(learner.chat_id, [render.unknown_command(command)])


# --- Taps -------------------------------------------------------------------------------------


async def tap(update: Update, context: TutorContext) -> None:
    """A button was tapped: decide, save, answer the tap at once, then show what follows."""
    query = update.callback_query
    tutor = context.tutor
    learner = who(update)  # the tap saves in one transaction; no separate write
    if query is None or learner is None:
        return
    action = callbacks.decode(query.data)
    match action:
        case None:
            log.warning("unreadable callback data %r from user %s", query.data, learner.user_id)
            await _refuse(tutor, learner, query, Refusal.UNKNOWN)
        case callbacks.Courses():
            await tutor.outbox.answer(query.id)
            await tutor.outbox.send(learner.chat_id, [render.courses(tutor.library)])
        case callbacks.OpenCourse(course_id):
            if tutor.library.course(course_id) is None:
                log.warning("tap names unknown course %r", course_id)
                await _refuse(tutor, learner, query, Refusal.UNKNOWN)
                return
            await tutor.outbox.answer(query.id)
            await _show_course(tutor, learner, course_id)
        case callbacks.Review():
            await tutor.outbox.answer(query.id)
            await _start_review(tutor, learner)
        case _:
            decision = _decide(tutor, learner, action)
            await _carry_out(tutor, learner, query, decision, action)


def _decide(tutor: Tutor, learner: Learner, action: callbacks.Action) -> Turn | Refusal:
    """Gather what the engine needs for a lesson tap, and let it decide."""
    library, store, now = tutor.library, tutor.store, tutor.clock()
    position = store.position(learner)

    def history() -> engine.History:
        """Read only for the taps that need it: it is every answer in the course."""
        return store.history(learner, position.course_id) if position else engine.History()

    match action:
        case callbacks.OpenStep(course_id, step):
            course = library.course(course_id)
            return engine.open_step(course, step, position) if course else Refusal.UNKNOWN
        case callbacks.Answer(seq, course_id, step, question, option_id):
            return engine.answer(
                library, position, seq, course_id, step, question, option_id, now, history()
            )
        case callbacks.Next(seq) if position is not None and position.reviewing:
            due = store.due(learner, now)
            upcoming = store.next_due(learner, now)
            return review.next_card(
                library, position, seq, due, upcoming, store.paused(learner), now
            )
        case callbacks.Next(seq):
            due = len(store.due(learner, now))
            return engine.move_on(library, position, seq, history(), now, due)
        case callbacks.AnotherWay(seq):
            return engine.show_another_way(library, position, seq)
        case callbacks.TryAgain(seq):
            return engine.retry_check(library, position, seq)
        case callbacks.Skip(seq):
            return engine.skip_check(library, position, seq)
    return Refusal.UNKNOWN


async def _carry_out(
    tutor: Tutor,
    learner: Learner,
    query: CallbackQuery,
    decision: Turn | Refusal,
    action: callbacks.Action,
) -> None:
    if isinstance(decision, Refusal):
        if decision is Refusal.UNKNOWN:
            log.warning("tap %r from user %s names nothing live", query.data, learner.user_id)
        await _refuse(tutor, learner, query, decision)
        return
    tutor.store.save_turn(learner, decision, tutor.clock())  # before anything is sent
    await tutor.outbox.answer(query.id)
    await _settle_tapped_message(tutor, learner, query, decision, action)
    await tutor.outbox.send(learner.chat_id, render.lesson(decision.say))


async def _settle_tapped_message(
    tutor: Tutor, learner: Learner, query: CallbackQuery, turn: Turn, action: callbacks.Action
) -> None:
    """Take the buttons off what was tapped; an answered question keeps the learner's choice."""
    message = query.message
    if message is None or not hasattr(message, "message_id") or not message.is_accessible:
        return
    if isinstance(action, callbacks.Answer) and turn.chosen is not None and message.text:
        answered = render.answered(message.text_html, turn.chosen)
        await tutor.outbox.replace(learner.chat_id, message.message_id, answered)
        return
    if isinstance(
        action, callbacks.Next | callbacks.AnotherWay | callbacks.TryAgain | callbacks.Skip
    ):
        await tutor.outbox.drop_buttons(learner.chat_id, message.message_id)


async def _refuse(tutor: Tutor, learner: Learner, query: CallbackQuery, why: Refusal) -> None:
    """A tap that changes nothing: say so briefly, and show where the learner really is."""
    await tutor.outbox.answer(query.id, render.REFUSAL_NOTICE[why])
    if why is not Refusal.ALREADY_COUNTED:
        await _show_where_you_are(tutor, learner)


async def _show_where_you_are(tutor: Tutor, learner: Learner) -> None:
    position = tutor.store.position(learner)
    course = tutor.library.course(position.course_id) if position else None
    if position is None or course is None:
        await tutor.outbox.send(learner.chat_id, [render.nothing_to_continue(tutor.library)])
        return
    turn = engine.resume(course, position, tutor.store.history(learner, course.id))
    if turn.position != position:
        tutor.store.save_turn(learner, turn, tutor.clock())
    await tutor.outbox.send(learner.chat_id, render.lesson(turn.say))


async def progress(update: Update, context: TutorContext) -> None:
    """Show the learner's map: steps, ideas, and what is due for review."""
    tutor = context.tutor
    learner = learner_of(update, tutor)
    if learner is None:
        return
    position = tutor.store.position(learner)
    maps = [
        course_map(course, position, tutor.store.history(learner, course.id))
        for course in tutor.library.courses
    ]
    now = tutor.clock()
    zone = plan.parse_zone(tutor.store.schedule(learner).zone or "UTC") or UTC
    active = {plan.local_date(moment, zone) for moment in tutor.store.activity(learner)}
    streak = plan.streak(active, plan.local_date(now, zone))
    overview = learner_map(maps, tutor.store.cards(learner), now, streak=streak)
    await tutor.outbox.send(learner.chat_id, [render.progress(overview, tutor.library)])


async def review_command(update: Update, context: TutorContext) -> None:
    """Run the reviews that are due."""
    tutor = context.tutor
    learner = learner_of(update, tutor)
    if learner is not None:
        await _start_review(tutor, learner)


async def _start_review(tutor: Tutor, learner: Learner) -> None:
    now = tutor.clock()
    position = tutor.store.position(learner)
    due, upcoming = tutor.store.due(learner, now), tutor.store.next_due(learner, now)
    decision = review.start(tutor.library, position, due, upcoming)
    if isinstance(decision, review.NothingDue):
        await tutor.outbox.send(learner.chat_id, [render.nothing_due(decision.next_due, now)])
        return
    if decision.position != position:
        tutor.store.save_turn(learner, decision, now)
    await tutor.outbox.send(learner.chat_id, render.lesson(decision.say))


async def _show_course(tutor: Tutor, learner: Learner, course_id: str) -> None:
    course = tutor.library.course(course_id)
    if course is None:
        return
    entries = engine.step_menu(
        course, tutor.store.position(learner), tutor.store.history(learner, course.id)
    )
    await tutor.outbox.send(learner.chat_id, [render.course_menu(course, entries)])

"""Group study's Telegram shell: commands and taps in group chats, the reveal timers and the
debounced count line, over the same service path as private chats (`handlers.run`).

Nothing is decided here. The shell finds out what only Telegram knows (is this member an
admin? `getChatAdministrators`, cached a few minutes) and hands it to `Tutor.groups`; after each
reply it sets what the reply asks for: a timer to look again at the reveal time, a count-line
update a few seconds later (one edit however many answers arrive meanwhile), and the flush of
members' private chats. Timers are only a convenience: the open sessions live in SQLite, and
the sweep (at start-up, then every minute) reveals whatever is due and rebuilds the timers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CallbackContext

from bot.core.group import due
from bot.telegram import reminders
from bot.telegram.handlers import TutorContext, handled, learner_of, run
from bot.tutor import Reply, Tutor
from bot.views import callbacks

log = logging.getLogger(__name__)

GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)
ADMINS_FOR = 300.0
"""Seconds a group's admin list is trusted before asking Telegram again."""
RECOUNT_AFTER = 5.0
"""Seconds from an answer to the count-line edit that shows it (and every answer since)."""


class Admins:
    """Who administers each group, as Telegram last said, for a few minutes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._known: dict[int, tuple[float, frozenset[int]]] = {}

    async def check(self, context: CallbackContext, chat_id: int, user_id: int) -> bool:
        known = self._known.get(chat_id)
        if known is None or self.clock() - known[0] > ADMINS_FOR:
            try:
                admins = await context.bot.get_chat_administrators(chat_id)
            except TelegramError as exc:
                log.warning("group %s: admins not known (%s); asking again next time", chat_id, exc)
                return known is not None and user_id in known[1]
            known = (self.clock(), frozenset(a.user.id for a in admins))
            self._known[chat_id] = known
        return user_id in known[1]

    def forget(self, chat_id: int) -> None:
        self._known.pop(chat_id, None)


def in_group(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type in GROUPS


def _admins(context: CallbackContext) -> Admins:
    return context.application.bot_data.setdefault("group_admins", Admins())


async def _is_admin(update: Update, context: TutorContext) -> bool:
    assert update.effective_chat is not None and update.effective_user is not None
    return await _admins(context).check(context, update.effective_chat.id, update.effective_user.id)


def command(name: str) -> Callable:
    """/study, /reveal and /endstudy in a group."""

    async def handle(update: Update, context: TutorContext) -> None:
        member, message = learner_of(update), update.effective_message
        if member is None or message is None:
            return
        groups, chat_id = context.tutor.groups, member.chat_id
        if message.sender_chat is not None:  # an anonymous admin, or a channel: nobody to ask
            await run(update, context, chat_id, groups.who)
            return
        is_admin = await _is_admin(update, context)
        args = " ".join(context.args or [])
        acts: dict[str, Callable[[], Reply]] = {
            "study": lambda: groups.study(chat_id, member, args, is_admin),
            "reveal": lambda: groups.reveal(chat_id, is_admin),
            "endstudy": lambda: groups.end(chat_id, is_admin),
        }
        reply = await run(update, context, chat_id, acts[name])
        follow_up(context.application, chat_id, reply)

    return handle


async def addressed(update: Update, context: TutorContext) -> None:
    """Another command addressed to this bot by name in a group: /start and /help introduce
    group study; a private one points to the private chat. Bare commands may be another bot's."""
    member, message = learner_of(update), update.effective_message
    if member is None or message is None or not message.text:
        return
    word = message.text.split()[0]
    name, _, bot_name = word.removeprefix("/").partition("@")
    if bot_name.lower() != (context.bot.username or "").lower():
        return  # not ours: the processor marks the update handled
    groups = context.tutor.groups
    act = groups.hello if name.lower() in ("start", "help") else lambda: groups.private_only(name)
    await run(update, context, member.chat_id, act)


async def tap(update: Update, context: TutorContext) -> None:
    """A button in a group: a member's answer needs no admin check; the rest may."""
    query, member = update.callback_query, learner_of(update)
    if query is None or member is None:
        return
    data = query.data
    answer = isinstance(callbacks.decode(data), callbacks.GroupAnswer)
    is_admin = False if answer else await _is_admin(update, context)
    message_id = query.message.message_id if query.message is not None else None
    groups = context.tutor.groups
    reply = await run(
        update,
        context,
        member.chat_id,
        lambda: groups.tap(member.chat_id, member, data, message_id, is_admin),
        query,
    )
    follow_up(context.application, member.chat_id, reply)


async def migrated(update: Update, context: TutorContext) -> None:
    """The group became a supergroup: Telegram says so in both chats; the first one moves it."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    context.tutor.groups.migrate(old, new)
    _admins(context).forget(old)
    handled(update, context, message.chat_id, "ok")


def moved(application: Application, old: int, new: int) -> None:
    """Telegram refused a call to a group that became a supergroup: move it, flush there."""
    tutor: Tutor = application.bot_data["tutor"]
    tutor.groups.migrate(old, new)
    application.create_task(reminders.flush_chat(application, new), name="outbox")


async def membership(update: Update, context: TutorContext) -> None:
    """The bot was added to a group (a hello), or removed from it (the session ends quietly)."""
    changed, chat = update.my_chat_member, update.effective_chat
    if changed is None or chat is None:
        return
    _admins(context).forget(chat.id)
    groups = context.tutor.groups
    if changed.new_chat_member.status in ("kicked", "left"):
        groups.removed(chat.id)
        handled(update, context, chat.id, "removed")
    elif changed.old_chat_member.status in ("kicked", "left"):
        await run(update, context, chat.id, lambda: groups.added(chat.id))


# --- After a reply: timers, the count line, members' private chats -----------------------------


def follow_up(application: Application, chat_id: int, reply: Reply | None) -> None:
    if reply is None:
        return
    for member_chat, _messages in reply.private:
        application.create_task(reminders.flush_chat(application, member_chat), name="private")
    if reply.wake_at is not None:
        wake_at(application, chat_id, reply.wake_at)
    if reply.recount:
        pending: set[int] = application.bot_data.setdefault("group_recount", set())
        if chat_id not in pending:
            pending.add(chat_id)
            _once(application, _recount(chat_id), RECOUNT_AFTER)


def wake_at(application: Application, chat_id: int, moment: datetime) -> None:
    """Look at the group again at `moment` (the reveal time)."""
    _once(application, _wake(chat_id), moment)


def _once(application: Application, callback: Callable, when: float | datetime) -> None:
    assert application.job_queue is not None
    application.job_queue.run_once(callback, when=when, job_kwargs=reminders.AT_ONCE)


def _wake(chat_id: int) -> Callable:
    async def job(context: CallbackContext) -> None:
        await look_again(context.application, chat_id)

    return job


def _recount(chat_id: int) -> Callable:
    async def job(context: CallbackContext) -> None:
        context.application.bot_data.setdefault("group_recount", set()).discard(chat_id)
        await look_again(context.application, chat_id, recount=True)

    return job


async def look_again(application: Application, chat_id: int, recount: bool = False) -> None:
    """The clock's turn at a group: reveal what is due (or update the count line), in the
    group's turn like an update (`reminders.in_turn`), then set what the reply asks for."""
    groups = application.bot_data["tutor"].groups
    act = groups.recount if recount else groups.wake
    try:
        reply = await reminders.in_turn(application, chat_id, lambda: act(chat_id))
        follow_up(application, chat_id, reply)
    except Exception as exc:  # one group's failure must not stop the others' timers
        what = "recount" if recount else "wake"
        log.error("group %s: %s failed (%s); the sweep tries again", chat_id, what, exc,
                  exc_info=log.isEnabledFor(logging.DEBUG))  # fmt: skip


async def sweep(context: CallbackContext) -> None:
    """At start-up and every minute: reveal what is due and end what is idle. The first sweep
    also sets a timer for every open question and updates a count owed (a restart loses
    timers, never sessions)."""
    application = context.application
    tutor: Tutor = application.bot_data["tutor"]
    first = not application.bot_data.get("group_timers_set")
    application.bot_data["group_timers_set"] = True
    now = tutor.clock()
    for session in tutor.groups.open_sessions():
        if due(session, now) or session.idle(now):
            application.create_task(look_again(application, session.chat_id))
            continue
        if first and session.reveal_at is not None:
            wake_at(application, session.chat_id, session.reveal_at)
        if first and len(session.current) != session.shown_count:  # a count owed at the stop
            follow_up(application, session.chat_id, Reply(recount=True))

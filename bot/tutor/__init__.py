"""The tutor service: one method per thing a learner can do, and nothing about Telegram.

Each use case reads the learner's state once, lets the pure rules (`bot.core`) decide with
`now` passed in, saves the result in one transaction (`bot.store`), and returns a `Reply`: the
messages to show (`bot.views`), a short toast for a tap, and what becomes of the tapped
message. The Telegram handlers (private chats and groups) and the terminal player are thin
shells over it; `groups` holds group study's use cases, `admin` the operator's figures and
/forget.

    tutor = Tutor(library, store, clock)
    reply = tutor.tap(learner, "a:3:neural-networks:4:0:b")
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.content import Library
from bot.core.model import Learner, Refusal
from bot.store import Store
from bot.tutor.admin import Admin
from bot.tutor.groups import Groups
from bot.tutor.lessons import Lessons
from bot.tutor.pace import Pace
from bot.tutor.reply import DropButtons, Extend, Reply, Rewrite, Tapped
from bot.tutor.topics import Topics, TopicSettings
from bot.views import callbacks, menus

__all__ = ["COMMANDS", "DropButtons", "Extend", "Reply", "Rewrite", "Tapped", "Tutor"]

log = logging.getLogger(__name__)


class Tutor:
    """The service, built once by the composition root with the real or a test clock."""

    def __init__(
        self,
        library: Library,
        store: Store,
        clock: Callable[[], datetime],
        admins: frozenset[int] = frozenset(),
        topics: TopicSettings | None = None,
    ):
        self.library, self.store, self.clock = library, store, clock
        self.admins = admins
        """Telegram user ids allowed /admin (`TUTOR_ADMINS`)."""
        self.lessons = Lessons(library, store, clock)
        self.pace = Pace(library, store, clock)
        self.groups = Groups(library, store, clock)
        self.topics = Topics(library, store, clock, topics or TopicSettings(), self.pace.save)
        self.admin = Admin(library, store, clock, self.topics)

    def tap(
        self,
        learner: Learner,
        data: str | None,
        tapped_at: datetime | None = None,
        message_id: int | None = None,
    ) -> Reply:
        """A button was tapped: whatever its data says, decoded once and routed to its use case.
        Anything that does not decode, or names nothing that exists, changes nothing.

        `tapped_at` is when the tap reached the bot (now, if not given): a double tap is judged
        by it, since the second tap may wait seconds for the first one's reply to be sent.
        `message_id` is the message tapped, for a use case that changes it later."""
        reply = self._route(learner, callbacks.decode(data), tapped_at, message_id)
        if reply.outcome == "forged":
            log.warning("tap %r from user %s names nothing live", data, learner.user_id)
        return reply

    def _route(
        self,
        learner: Learner,
        action: callbacks.Action | None,
        at: datetime | None,
        message_id: int | None,
    ) -> Reply:
        lessons = self.lessons
        match action:
            case callbacks.Courses():
                return lessons.courses(learner)
            case callbacks.OpenCourse(course_id):
                return lessons.open_course(learner, course_id)
            case callbacks.OpenStep(course_id, step):
                return lessons.open_step(learner, course_id, step)
            case callbacks.Answer(seq, course_id, step, question, option_id):
                return lessons.answer(learner, seq, course_id, step, question, option_id, at)
            case callbacks.Next(seq):
                return lessons.move_on(learner, seq, at)
            case callbacks.AnotherWay(seq):
                return lessons.another_way(learner, seq, at)
            case callbacks.Angle(course_id, step, question):
                return lessons.angle(learner, course_id, step, question)
            case callbacks.Run(name):
                return self.command(learner, name)
            case callbacks.Write(request_id):
                return self.topics.write(learner, request_id, message_id)
            case callbacks.Unwrite(course_id) if self.is_admin(learner):
                return self.admin.remove_written(course_id)
            case callbacks.TryAgain(seq):
                return lessons.retry_check(learner, seq, at)
            case callbacks.Skip(seq):
                return lessons.skip(learner, seq, at)
            case callbacks.Review():
                return lessons.review(learner)
            case callbacks.Pace(kind, value):
                reply = self.pace.choose(learner, kind, value)
                if reply.outcome == "forged":
                    return lessons.refuse(learner, Refusal.UNKNOWN)
                return reply
            case callbacks.ForgetYes(token):
                return self.admin.forget(learner, token)
            case callbacks.ForgetNo():
                return self.admin.keep(learner)
        return lessons.refuse(learner, Refusal.UNKNOWN)

    def command(self, learner: Learner, name: str, args: str = "") -> Reply:
        """A /command with the text after it. Writing to the bot also means the learner is there
        and accepts messages again (they may have blocked it before)."""
        self._hello(learner)
        run = COMMANDS.get(name)
        if run is None and self.is_admin(learner):
            run = HIDDEN.get(name)
        if run is None and name in menus.GROUP_ONLY:
            return Reply((menus.group_only(name),))
        if run is None:
            return self.lessons.unknown_command(learner, f"/{name}")
        return run(self, learner, args)

    def is_admin(self, learner: Learner) -> bool:
        """One of TUTOR_ADMINS, in their private chat (whose id is their user id): the figures
        are never shown where others read."""
        return learner.user_id in self.admins and learner.chat_id == learner.user_id

    def text(self, learner: Learner, text: str) -> Reply:
        """Typed text: the answer the schedule waits for, else a hint towards the buttons."""
        self._hello(learner)
        return (
            self.topics.typed(learner, text)
            or self.pace.typed(learner, text)
            or Reply((menus.text_hint(),))
        )

    def _hello(self, learner: Learner) -> None:
        with self.store.transaction():
            self.store.people.seen(learner, self.clock())

    def chat_blocked(self, chat_id: int) -> None:
        """Telegram refused a message because the learner blocked the bot: write no more."""
        with self.store.transaction():
            self.store.people.set_active(chat_id, False, self.clock())

    def chat_member(self, learner: Learner, active: bool) -> None:
        """The learner blocked (False) or unblocked (True) the bot; reminders follow by
        themselves, since the sweep skips inactive chats."""
        with self.store.transaction():
            if active:
                self.store.people.seen(learner, self.clock())
            else:
                self.store.people.set_active(learner.chat_id, False, self.clock())


Command = Callable[[Tutor, Learner, str], Reply]

COMMANDS: dict[str, Command] = {
    "start": lambda tutor, learner, args: tutor.lessons.start(learner, args or None),
    "continue": lambda tutor, learner, _args: tutor.lessons.resume(learner),
    "progress": lambda tutor, learner, _args: tutor.lessons.progress(learner),
    "review": lambda tutor, learner, _args: tutor.lessons.review(learner),
    "pace": lambda tutor, learner, _args: tutor.pace.pace(learner),
    "deadline": lambda tutor, learner, args: tutor.pace.deadline(learner, args),
    "stop": lambda tutor, learner, _args: tutor.pace.stop(learner),
    "courses": lambda tutor, learner, _args: tutor.lessons.courses(learner),
    "topic": lambda tutor, learner, args: tutor.topics.ask(learner, args),
    "forget": lambda tutor, learner, _args: tutor.admin.ask_forget(learner),
    "help": lambda tutor, learner, _args: tutor.lessons.help(learner),
}
"""Every command, as the menu lists them (`views.menus.COMMANDS` describes each)."""

HIDDEN: dict[str, Command] = {
    "admin": lambda tutor, _learner, _args: tutor.admin.figures(),
}
"""Commands for TUTOR_ADMINS only: in no menu, and to anyone else exactly like a command that
does not exist (the same answer as /frobnicate)."""

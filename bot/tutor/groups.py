"""Group study as use cases: the same read-decide-save-return as private lessons, for a group.

Each method reads the group's session once, lets the rules (`bot.core.group`) decide with
`now`, saves the session, the members' own records and settings in one transaction, and returns
a `Reply`: what the group sees, the tapping member's private verdict (the tap's alert), what
goes to members' private chats, and when to look again (the reveal timer). Who may drive a
session is the shell's to find out (Telegram knows the admins); it passes `is_admin` in.

A member's answers count in their own record exactly as in a private lesson: at the reveal,
their final answer is saved under their private chat (`Learner(user_id, user_id)`), rated for
spaced review, and the step is marked finished for everyone who took part when it ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.content import Course, Library, Step
from bot.core import group
from bot.core.group import GroupPhase, Session, Settings, Tap
from bot.core.model import AnswerRecord, CardKey, Grade, Learner, Phase, Position, Rating
from bot.core.prompt import find_repair
from bot.store import Store
from bot.tutor.reply import DropButtons, Edit, Reply
from bot.views import callbacks
from bot.views import group as views
from bot.views.message import Message

log = logging.getLogger(__name__)


def own(user_id: int) -> Learner:
    """Where a member's own record lives: their private chat with the bot."""
    return Learner(user_id, user_id)


class Groups:
    def __init__(self, library: Library, store: Store, clock: Callable[[], datetime]):
        self.library, self.store, self.clock = library, store, clock

    # --- Commands ----------------------------------------------------------------------------

    def study(self, chat_id: int, member: Learner, args: str, is_admin: bool) -> Reply:
        """/study and its settings: open the course menu, or show the session that is on."""
        now = self.clock()
        command = group.parse_study(args)
        with self.store.transaction():
            settings, last_seq = self.store.groups.settings(chat_id)
            drives = is_admin or settings.anyone
            match command:
                case group.BadArgs(text):
                    return _say(views.notice("bad_args", text), "refused")
                case group.SetAnyone(anyone):
                    if not is_admin:
                        return _say(views.notice("admins_only_setting"), "refused")
                    self._keep(chat_id, replace(settings, anyone=anyone), last_seq, now)
                    return _say(views.notice("anyone_on" if anyone else "anyone_off"))
                case group.SetNames(names) if drives:
                    self._keep(chat_id, replace(settings, names=names), last_seq, now)
                    return _say(views.notice("names_on" if names else "names_off"))
                case group.Study(timer) if drives:
                    notes: list[Message] = []
                    if timer is not None:
                        settings = replace(settings, timer=timer)
                        self._keep(chat_id, settings, last_seq, now)
                        kind = "timer_set" if timer else "timer_off"
                        notes.append(views.notice(kind, str(timer)))
                    session = self.store.groups.session(chat_id)
                    if session is None:
                        return Reply((*notes, views.course_menu(self.library)))
                    return Reply((*notes, *self._where(session, settings)))
            return _say(views.notice("admins_only"), "refused")

    def reveal(self, chat_id: int, is_admin: bool) -> Reply:
        """/reveal: show the answer to the open question now."""
        now = self.clock()
        with self.store.transaction():
            settings, _ = self.store.groups.settings(chat_id)
            if not (is_admin or settings.anyone):
                return _say(views.notice("admins_only"), "refused")
            session = self.store.groups.session(chat_id)
            found = self._resolve(session)
            if session is None or found is None or session.phase is not GroupPhase.ASKING:
                return _say(views.notice("none_open"), "refused")
            return self._reveal(session, *found, settings, now)

    def end(self, chat_id: int, is_admin: bool) -> Reply:
        """/endstudy: the session ends; every answer already counted stays in each record."""
        with self.store.transaction():
            settings, _ = self.store.groups.settings(chat_id)
            if not (is_admin or settings.anyone):
                return _say(views.notice("admins_only"), "refused")
            session = self.store.groups.session(chat_id)
            if session is None:
                return _say(views.notice("not_running"), "refused")
            self._close(session, self.clock())
        return _say(views.notice("ended"))

    # --- Taps --------------------------------------------------------------------------------

    def tap(
        self, chat_id: int, member: Learner, data: str | None, message_id: int | None,
        is_admin: bool,
    ) -> Reply:  # fmt: skip
        """A button in the group: a member's answer, or one that drives the session."""
        action = callbacks.decode(data)
        if isinstance(action, callbacks.GroupAnswer):
            return self._answer(chat_id, member, action, message_id)
        if not isinstance(action, callbacks.GroupAction):
            log.warning("group tap %r from user %s names nothing live", data, member.user_id)
            return Reply(toast=views.NOTICES["unknown"], outcome="forged")
        now = self.clock()
        with self.store.transaction():
            settings, last_seq = self.store.groups.settings(chat_id)
            if not (is_admin or settings.anyone):
                return Reply(toast=views.NOTICES["admins_only"], outcome="refused")
            session = self.store.groups.session(chat_id)
            match action:
                case callbacks.GroupCourses() if message_id:
                    return Reply(edit=Edit(message_id, views.course_menu(self.library)))
                case callbacks.GroupCourse(course_id) if message_id:
                    course = self.library.course(course_id)
                    if course is not None:
                        return Reply(edit=Edit(message_id, views.step_menu(course)))
                case callbacks.GroupStep(course_id, number, fresh):
                    course = self.library.course(course_id)
                    step = course.step(number) if course else None
                    if session is not None:
                        return Reply(toast=views.NOTICES["running"], outcome="refused")
                    if course is not None and step is not None:
                        menu = None if fresh else message_id
                        return self._start(chat_id, course, step, settings, last_seq, now, menu)
                case callbacks.GroupNext(seq):
                    found = self._resolve(session)
                    if session is None or found is None:
                        return Reply(toast=views.NOTICES["session_over"], outcome="refused")
                    if seq != session.seq or session.phase is not GroupPhase.REVEALED:
                        return Reply(toast=views.alert(Tap.CLOSED, None, True), outcome="refused")
                    return replace(self._next(session, *found, settings, now), tapped=DropButtons())
        return Reply(toast=views.NOTICES["unknown"], outcome="forged")

    def _answer(
        self, chat_id: int, member: Learner, action: callbacks.GroupAnswer, message_id: int | None
    ) -> Reply:
        now = self.clock()
        with self.store.transaction():
            session = self.store.groups.session(chat_id)
            found = self._resolve(session)
            if session is None or found is None:
                return Reply(toast=views.NOTICES["session_over"], outcome="refused")
            course, step = found
            question = step.questions[session.question]
            after, tap, option = group.answer(
                session, question, member.user_id, member.first_name, action.seq,
                action.option_id, now,
            )  # fmt: skip
            started = self.store.groups.has_started(member.user_id)
            toast = views.alert(tap, option, started)
            if tap in (Tap.CLOSED, Tap.UNKNOWN, Tap.ALREADY) or option is None:
                return Reply(toast=toast, outcome="ok" if tap is Tap.ALREADY else "refused")
            if message_id is not None:
                after = replace(after, message_id=message_id)
            private: tuple[tuple[int, tuple[Message, ...]], ...] = ()
            if started:
                feedback = views.private_feedback(course, step, session.question, option)
                private = ((member.user_id, (feedback,)),)
            mine = Reply(toast=toast, alert=True, link=not started, private=private)
            settings, _ = self.store.groups.settings(chat_id)
            if group.due(after, now):
                shown = self._reveal(after, course, step, settings, now)
                return replace(shown, toast=mine.toast, alert=True, link=mine.link,
                               private=(*private, *shown.private))  # fmt: skip
            self.store.groups.put(after, now)
            return replace(mine, recount=True)

    # --- Time ------------------------------------------------------------------------------

    def wake(self, chat_id: int) -> Reply | None:
        """The reveal timer fired, or the sweep came by: reveal a question whose time is up;
        end a session idle for a day. Nothing to do is None."""
        now = self.clock()
        with self.store.transaction():
            session = self.store.groups.session(chat_id)
            if session is None:
                return None
            found = self._resolve(session)
            if found is None or session.idle(now):
                self._close(session, now)
                return Reply((views.notice("idle_end"),)) if found else None
            if not group.due(session, now):
                return None
            settings, _ = self.store.groups.settings(chat_id)
            return self._reveal(session, *found, settings, now)

    def recount(self, chat_id: int) -> Reply | None:
        """The open question's count line, brought up to date (debounced by the shell)."""
        with self.store.transaction():
            session = self.store.groups.session(chat_id)
            found = self._resolve(session)
            if session is None or found is None or session.message_id is None:
                return None
            count = len(session.current)
            if session.phase is not GroupPhase.ASKING or count == session.shown_count:
                return None
            settings, _ = self.store.groups.settings(chat_id)
            shown = views.question(*found, session, settings)[-1]
            self.store.groups.put(replace(session, shown_count=count), self.clock())
            return Reply(edit=Edit(session.message_id, shown))

    def open_sessions(self) -> list[Session]:
        with self.store.transaction():
            return self.store.groups.open_sessions()

    # --- The group itself ------------------------------------------------------------------

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """The group became a supergroup: the session and what it is owed move with it."""
        with self.store.transaction():
            self.store.groups.migrate(old_chat_id, new_chat_id)
            self.store.outbox.move_chat(old_chat_id, new_chat_id)
        log.info("group %s is now supergroup %s; its session moved", old_chat_id, new_chat_id)

    def removed(self, chat_id: int) -> None:
        """The bot was removed from the group: the session ends quietly."""
        with self.store.transaction():
            session = self.store.groups.session(chat_id)
            if session is not None:
                self._close(session, self.clock())
            self.store.outbox.drop_chat(chat_id)
            self.store.people.set_active(chat_id, False, self.clock())

    def added(self, chat_id: int) -> Reply:
        with self.store.transaction():
            self.store.people.set_active(chat_id, True, self.clock())
        return _say(views.notice("hello"))

    def who(self) -> Reply:
        """A command posted as the group or a channel: there is no member to act for."""
        return _say(views.notice("who"), "refused")

    def hello(self) -> Reply:
        return _say(views.notice("hello"))

    def private_only(self, command: str) -> Reply:
        return _say(views.notice("private_only", f"/{command}"))

    # --- Steps of a session ----------------------------------------------------------------

    def _start(
        self, chat_id: int, course: Course, step: Step, settings: Settings, last_seq: int,
        now: datetime, menu_id: int | None,
    ) -> Reply:  # fmt: skip
        """The step menu that was tapped becomes the first question (one edit, not a new
        message: a group's messages are counted), unless intro and question need two."""
        session = group.start(chat_id, course, step, settings, last_seq, now)
        self._keep(chat_id, settings, last_seq, now)
        shown = views.question(course, step, session, settings)
        if menu_id is not None and len(shown) == 1:
            self.store.groups.put(replace(session, message_id=menu_id), now)
            return Reply(edit=Edit(menu_id, shown[0]), wake_at=session.reveal_at)
        self.store.groups.put(session, now)
        return Reply(tuple(shown), wake_at=session.reveal_at)

    def _reveal(
        self, session: Session, course: Course, step: Step, settings: Settings, now: datetime
    ) -> Reply:
        closed, revealed = self._count(session, course, step, now)
        private: list[tuple[int, tuple[Message, ...]]] = []
        for outcome in revealed.outcomes:
            missed = not outcome.option.verdict.is_right
            if missed and self.store.groups.has_started(outcome.user_id):
                where = Position(course.id, step.number, session.question, Phase.ANSWERED, 0,
                                 chosen=outcome.option.id)  # fmt: skip
                repair = views.private_repair(
                    course, step, session.question, find_repair(course, step, where)
                )
                private.append((outcome.user_id, (repair,)))
        edit = None
        if session.message_id is not None:
            closing = views.question(course, step, session, settings, closed=True)[-1]
            edit = Edit(session.message_id, closing)
        if not settings.timer or revealed.answered == 0:  # nobody there: wait for a driver
            self.store.groups.put(closed, now)
            shown = views.reveal(step, session.question, revealed, closed.seq)
            return Reply((shown,), edit=edit, private=tuple(private))
        after = self._next(closed, course, step, settings, now)
        shown = views.reveal(step, session.question, revealed, None)
        return replace(after, messages=(shown, *after.messages), edit=edit,
                       private=tuple(private))  # fmt: skip

    def _count(
        self, session: Session, course: Course, step: Step, now: datetime
    ) -> tuple[Session, group.Revealed]:
        """Close the open question and keep each member's final answer in their own record,
        rated for review, as a private lesson would."""
        closed, revealed = group.reveal(session, step, now)
        question = step.questions[session.question]
        for outcome in revealed.outcomes:
            member, option = own(outcome.user_id), outcome.option
            self.store.records.add_answer(
                member,
                AnswerRecord(course.id, step.number, question.id, option.id, option.verdict, now),
            )
            grade = Grade.GOOD if option.verdict.is_right else Grade.AGAIN
            key = CardKey(course.id, step.number, question.id)
            self.store.records.rate(member, Rating(key, grade), now)
        return closed, revealed

    def _close(self, session: Session, now: datetime) -> None:
        """End a session early: answers to the open question were seen by those who gave them
        (their verdict came privately), so they count too."""
        found = self._resolve(session)
        if found is not None and session.phase is GroupPhase.ASKING:
            self._count(session, *found, now)
        self.store.groups.end(session.chat_id)

    def _next(
        self, session: Session, course: Course, step: Step, settings: Settings, now: datetime
    ) -> Reply:
        if group.is_last(session, step):
            board = group.board(session, step, settings)
            for user_id in sorted(session.members):
                self.store.records.finish(own(user_id), course.id, step.number, now)
            self.store.groups.end(session.chat_id)
            return Reply((views.ending(course, step, board),))
        following = group.next_question(session, settings, now)
        self.store.groups.put(following, now)
        shown = views.question(course, step, following, settings)
        return Reply(tuple(shown), wake_at=following.reveal_at)

    def _where(self, session: Session, settings: Settings) -> list[Message]:
        found = self._resolve(session)
        if found is None:
            return [views.notice("not_running")]
        course, step = found
        if session.phase is GroupPhase.ASKING:
            return views.question(course, step, session, settings)
        revealed = group.reveal(session, step, session.active_at)[1]
        return [views.reveal(step, session.question, revealed, session.seq)]

    def _resolve(self, session: Session | None) -> tuple[Course, Step] | None:
        """The session's course and step, if the lessons still have its question."""
        if session is None:
            return None
        course = self.library.course(session.course_id)
        step = course.step(session.step) if course else None
        if course is None or step is None or session.question >= len(step.questions):
            return None
        return course, step

    def _keep(self, chat_id: int, settings: Settings, last_seq: int, now: datetime) -> None:
        self.store.groups.put_settings(chat_id, settings, last_seq, now)


def _say(message: Message, outcome: str = "ok") -> Reply:
    return Reply((message,), outcome=outcome)

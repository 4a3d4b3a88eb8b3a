"""Lessons, reviews and menus as use cases: read the learner's state, let the rules decide, save
the result in one transaction, and return what to show.

Every method here is one thing a learner can do. None of them knows Telegram: the Telegram
handlers, the terminal player and (next) group study all call the same methods.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import cache

from bot.content import Course, Library
from bot.core import judge, lesson, review
from bot.core.dates import zone_or_utc
from bot.core.model import History, Learner, Phase, Position, Refusal
from bot.core.plan import active_streak
from bot.core.progress import course_map, learner_map, step_menu
from bot.core.prompt import show_again
from bot.core.say import Turn
from bot.store import Store
from bot.tutor.reply import DropButtons, Extend, Reply, Tapped
from bot.views import lesson as lesson_views
from bot.views import menus
from bot.views.message import Message

log = logging.getLogger(__name__)

Decide = Callable[[Position | None, datetime], Turn | Refusal]


class Lessons:
    def __init__(self, library: Library, store: Store, clock: Callable[[], datetime]):
        self.library, self.store, self.clock = library, store, clock

    # --- Commands -----------------------------------------------------------------------------

    def start(self, learner: Learner, arg: str | None = None) -> Reply:
        """/start: greet and show the courses; `/start <course-id>` (a deep link) opens one."""
        course = self.library.course(arg) if arg else None
        if arg and course is None and arg != menus.GROUP_LINK:
            log.info("deep link to unknown course %r", arg)
        now = self.clock()
        with self.store.transaction():
            if course is not None:
                return Reply((self._course_menu(learner, course),))
            position = self.store.positions.current(learner)
            due = len(self.store.records.due(learner, now))
        messages = [menus.welcome(self.library, learner.first_name)]
        if arg == menus.GROUP_LINK:
            messages.append(menus.group_linked())
        if position and position.phase is not Phase.FINISHED and not position.reviewing:
            messages.append(menus.welcome_back(position))
        if due:
            messages.append(lesson_views.review_nudge(due))
        return Reply(tuple(messages))

    def courses(self, learner: Learner) -> Reply:
        """/courses and the "All courses" button: every course."""
        return Reply((menus.courses(self.library),))

    def help(self, learner: Learner) -> Reply:
        return Reply((menus.help_text(),))

    def unknown_command(self, learner: Learner, command: str) -> Reply:
        return Reply((menus.unknown_command(command),))

    def resume(self, learner: Learner) -> Reply:
        """/continue: exactly where the learner is, with live buttons."""
        with self.store.transaction():
            return Reply(tuple(self._where_you_are(learner, self.clock())))

    def progress(self, learner: Learner) -> Reply:
        """/progress: the learner's map of steps and ideas, what is due, and their streak."""
        now = self.clock()
        with self.store.transaction():
            position = self.store.positions.current(learner)
            maps = [
                course_map(course, position, self.store.records.history(learner, course.id))
                for course in self.library.courses
            ]
            cards = self.store.records.cards(learner)
            zone = zone_or_utc(self.store.schedules.get(learner).zone)
            streak = active_streak(self.store.records.activity(learner), zone, now)
        return Reply((menus.progress(learner_map(maps, cards, now, streak=streak), self.library),))

    def review(self, learner: Learner) -> Reply:
        """/review and the "Review now" button: the due reviews, one at a time."""
        now = self.clock()
        with self.store.transaction():
            position = self.store.positions.current(learner)
            due = self.store.records.due(learner, now)
            upcoming = self.store.records.next_due(learner, now)
            decision = review.start(self.library, position, due, upcoming)
            if isinstance(decision, review.NothingDue):
                return Reply((menus.nothing_due(decision.next_due, now),))
            if decision.position != position:
                self.store.save_turn(learner, decision, now)
        return Reply(tuple(lesson_views.lesson(decision.say)))

    # --- Taps in a lesson ---------------------------------------------------------------------

    def open_course(self, learner: Learner, course_id: str) -> Reply:
        """A course's steps, each with the learner's status, the natural next one marked."""
        course = self.library.course(course_id)
        if course is None:
            return self.refuse(learner, Refusal.UNKNOWN)
        with self.store.transaction():
            return Reply((self._course_menu(learner, course),))

    def open_step(self, learner: Learner, course_id: str, step: int) -> Reply:
        course = self.library.course(course_id)
        if course is None:
            return self.refuse(learner, Refusal.UNKNOWN)
        return self._turn(learner, lambda p, _now: lesson.open_step(course, step, p), None)

    def answer(
        self,
        learner: Learner,
        seq: int,
        course_id: str,
        step: int,
        question: int,
        option: str,
        tapped_at: datetime | None = None,
    ) -> Reply:
        def decide(p: Position | None, now: datetime) -> Turn | Refusal:
            history, due = self._reader(learner, p), self._due_count(learner, now)
            return judge.answer(
                self.library, p, seq, course_id, step, question, option, now, history, due
            )

        return self._turn(learner, decide, tapped_at)

    def move_on(self, learner: Learner, seq: int, tapped_at: datetime | None = None) -> Reply:
        """From feedback to the next question or the step's end; in a review, the next card."""

        def decide(p: Position | None, now: datetime) -> Turn | Refusal:
            records = self.store.records
            if p is not None and p.reviewing:
                paused = self.store.positions.paused(learner)
                due, upcoming = records.due(learner, now), records.next_due(learner, now)
                return review.next_card(self.library, p, seq, due, upcoming, paused, now)
            history, due = self._reader(learner, p), self._due_count(learner, now)
            return lesson.move_on(self.library, p, seq, history, now, due)

        return self._turn(learner, decide, tapped_at, drop_buttons=True)

    def angle(self, learner: Learner, course_id: str, step: int, question: int) -> Reply:
        """A question's second angle, asked for after a right answer: added to the message it
        was asked from. Nothing is read or saved; a question that doesn't exist is refused."""
        found = lesson.angle(self.library, course_id, step, question)
        if found is None:
            return self.refuse(learner, Refusal.UNKNOWN)
        return Reply(tapped=Extend(lesson_views.say(found)))

    def another_way(self, learner: Learner, seq: int, tapped_at: datetime | None = None) -> Reply:
        decide: Decide = lambda p, _: lesson.show_another_way(self.library, p, seq)  # noqa: E731
        return self._turn(learner, decide, tapped_at, drop_buttons=True)

    def retry_check(self, learner: Learner, seq: int, tapped_at: datetime | None = None) -> Reply:
        decide: Decide = lambda p, _: judge.retry_check(self.library, p, seq)  # noqa: E731
        return self._turn(learner, decide, tapped_at, drop_buttons=True)

    def skip(self, learner: Learner, seq: int, tapped_at: datetime | None = None) -> Reply:
        def decide(p: Position | None, now: datetime) -> Turn | Refusal:
            history, due = self._reader(learner, p), self._due_count(learner, now)
            return judge.skip_check(self.library, p, seq, history, now, due)

        return self._turn(learner, decide, tapped_at, drop_buttons=True)

    def refuse(self, learner: Learner, why: Refusal, tapped_at: datetime | None = None) -> Reply:
        """A tap that changes nothing: say so briefly, and show where the learner really is.

        The outcome is "forged" when the tap names nothing that exists (the caller logs it),
        "refused" when it is merely stale or a double tap. `tapped_at` is when the tap reached
        the bot (now if not given): a double tap is judged by it, since the second tap may wait
        seconds for the first one's reply to be sent.
        """
        toast = lesson_views.REFUSAL_NOTICE[why]
        outcome = "forged" if why is Refusal.UNKNOWN else "refused"
        now = self.clock()
        with self.store.transaction():
            saved_at = self.store.positions.saved_at(learner)
            if why is Refusal.ALREADY_COUNTED and not show_again(saved_at, tapped_at or now):
                return Reply(toast=toast, outcome=outcome)
            shown = self._where_you_are(learner, now)
        return Reply(tuple(shown), toast=toast, outcome=outcome)

    # --- The one path of a lesson tap ---------------------------------------------------------

    def _turn(
        self,
        learner: Learner,
        decide: Decide,
        tapped_at: datetime | None,
        *,
        drop_buttons: bool = False,
    ) -> Reply:
        """Read the position, decide, save the turn: one transaction. Then say what to show."""
        now = self.clock()
        with self.store.transaction():
            position = self.store.positions.current(learner)
            decision = decide(position, now)
            if not isinstance(decision, Refusal):
                self.store.save_turn(learner, decision, now)
        if isinstance(decision, Refusal):
            return self.refuse(learner, decision, tapped_at)
        tapped: Tapped | None = DropButtons() if drop_buttons else None
        if decision.feedback is not None and decision.chosen is not None:
            added, messages = lesson_views.after_answer(
                decision.chosen.text, decision.feedback, decision.say
            )
            tapped = Extend(added)
        else:
            messages = lesson_views.lesson(decision.say)
        return Reply(tuple(messages), tapped=tapped, completed=decision.completed_step)

    def _where_you_are(self, learner: Learner, now: datetime) -> list[Message]:
        """Inside the caller's transaction: the current prompt again, with live buttons."""
        position = self.store.positions.current(learner)
        course = self.library.course(position.course_id) if position else None
        if position is None or course is None:
            return [menus.nothing_to_continue(self.library)]
        turn = lesson.resume(course, position, self._reader(learner, position))
        if turn.position != position:
            self.store.save_turn(learner, turn, now)
        return lesson_views.lesson(turn.say)

    def _course_menu(self, learner: Learner, course: Course) -> Message:
        """The step menu needs only the steps finished, not every answer and card."""
        position = self.store.positions.current(learner)
        finished = History(finished_steps=self.store.records.finished(learner, course.id))
        return menus.course_menu(course, step_menu(course, position, finished))

    def _due_count(self, learner: Learner, now: datetime) -> Callable[[], int]:
        """How to count the learner's due reviews, if a step ends (inside the transaction)."""
        return lambda: len(self.store.records.due(learner, now))

    def _reader(self, learner: Learner, position: Position | None) -> Callable[[], History]:
        """How to read the learner's history of the course they are in, once, if the rules ask
        for it (inside the caller's transaction, as the rules run there): most taps don't."""

        @cache
        def read() -> History:
            if position is None:
                return History()
            return self.store.records.history(learner, position.course_id)

        return read

"""/pace, /deadline, /stop and their buttons and typed answers, as use cases; and the reminder
falling due. Each reads the schedule and what a plan needs, lets the pure rules (`core.pace`,
`core.reminders`) decide, and saves the schedule with its next reminder moment, all in one
transaction. Saving that moment with every schedule is what keeps reminders right: /stop clears
it, /pace brings it back, and a learner who unblocks the bot is found by the next sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.content import Library
from bot.core import pace, reminders
from bot.core.dates import local_date, zone_or_utc
from bot.core.model import Learner, Refusal, Schedule
from bot.store import Store
from bot.tutor.reply import Reply
from bot.views import lesson as lesson_views
from bot.views import pace as pace_views

PaceDecide = Callable[[Schedule, pace.PaceFacts], pace.PaceTurn | Refusal | None]


class Pace:
    def __init__(self, library: Library, store: Store, clock: Callable[[], datetime]):
        self.library, self.store, self.clock = library, store, clock

    def pace(self, learner: Learner) -> Reply:
        """/pace: daily goal and reminder time (the time zone is asked once)."""
        return self._run(learner, lambda s, _facts: pace.start_pace(s)) or Reply()

    def deadline(self, learner: Learner, args: str) -> Reply:
        """/deadline, /deadline off, /deadline <date>."""
        return self._run(learner, lambda s, facts: pace.deadline(s, args, facts)) or Reply()

    def stop(self, learner: Learner) -> Reply:
        """/stop: pause reminders."""
        return self._run(learner, lambda s, _facts: pace.stop(s)) or Reply()

    def choose(self, learner: Learner, kind: str, value: str) -> Reply:
        """A tap on a pace, zone, time or deadline button."""
        return self._run(learner, lambda s, facts: pace.choose(s, kind, value, facts)) or Reply()

    def typed(self, learner: Learner, text: str) -> Reply | None:
        """Typed text the schedule waits for (a zone, a time, a date); None if it waits for none.
        Most typed text waits for nothing: then no plan facts (the course history) are read."""
        if self.store.schedules.get(learner).awaiting is None:
            return None
        return self._run(learner, lambda s, facts: pace.typed(s, text.strip(), facts))

    def _run(self, learner: Learner, decide: PaceDecide) -> Reply | None:
        now = self.clock()
        with self.store.transaction():
            schedule = self.store.schedules.get(learner)
            turn = decide(schedule, self._facts(learner, schedule, now))
            if isinstance(turn, pace.PaceTurn) and turn.schedule != schedule:
                self.save(learner, turn.schedule, now)
        if turn is None:
            return None
        if isinstance(turn, Refusal):
            return Reply(toast=lesson_views.REFUSAL_NOTICE[turn], outcome="forged")
        return Reply(tuple(pace_views.pace_messages(turn.say)))

    def _facts(self, learner: Learner, schedule: Schedule, now: datetime) -> pace.PaceFacts:
        position = self.store.positions.current(learner)
        course = pace.course_to_plan(self.library, position, schedule)
        return pace.PaceFacts(
            today=local_date(now, zone_or_utc(schedule.zone)),
            course=course,
            finished=self.store.records.history(learner, course.id).finished_steps,
            reviews_due=len(self.store.records.due(learner, now)),
        )

    def save(self, learner: Learner, schedule: Schedule, now: datetime) -> None:
        """A schedule is always saved with the moment of its next reminder (None: none)."""
        next_at = reminders.next_at(schedule, now)
        self.store.schedules.save(learner, schedule, next_at, now)

    # --- Reminders ----------------------------------------------------------------------------

    def due(self, limit: int = 1000) -> list[Learner]:
        """Who has a reminder due now: what one sweep sends."""
        return self.store.schedules.due(self.clock(), limit)

    def remind(self, learner: Learner) -> Reply | None:
        """A reminder falling due: decide and save first (the day is recorded, the next moment
        stored), then the caller sends. Re-reads everything, so a /stop or a block that came in
        since the sweep found this learner wins."""
        now = self.clock()
        with self.store.transaction():
            due_at = self.store.schedules.next_remind_at(learner)
            if due_at is None or due_at > now or not self.store.people.is_active(learner.chat_id):
                return None
            schedule = self.store.schedules.get(learner)
            position = self.store.positions.current(learner)
            course = pace.planned_course(self.library, position, schedule)
            turn = reminders.remind(
                schedule,
                now,
                course,
                self.store.records.history(learner, course.id).finished_steps,
                len(self.store.records.due(learner, now)),
                self.store.records.activity(learner),
            )
            self.save(learner, turn.schedule, now)
        if turn.say is None:
            return None
        return Reply((pace_views.reminder_message(turn.say),))

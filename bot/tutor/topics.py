"""A learner's own topic as use cases: find the lesson for what they typed, offer to have one
written, and play a written lesson like any other. Read once, decide (`core.topics`), save in
one transaction, return what to show.

Writing takes seconds, longer than a tap may hold the chat, so it is split in three: the tap
that asks for it saves a job and shows "Writing your lesson…" (`write`); the shell runs the
model outside the chat's turn and shows the seconds go by (`progress`); and the result comes
back as a use case of its own (`finish`), which keeps the lesson and opens it in place of the
"Writing…" message. A job a crash interrupted is still saved, so the shell starts it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.content import Course, Library
from bot.content.load import course_data, course_from_data
from bot.content.search import Index
from bot.core import lesson
from bot.core import topics as rules
from bot.core.model import Learner, Refusal, Schedule
from bot.core.say import Turn
from bot.llm import ModelSettings
from bot.llm.write import NotWritten, Written
from bot.store import Store
from bot.store.migrations import stamp
from bot.store.topics import Job
from bot.tutor.reply import DropButtons, Edit, Reply, Rewrite
from bot.views import lesson as lesson_views
from bot.views import topics as views

log = logging.getLogger(__name__)

FOUND = 3
"""Authored steps offered for one topic, at most."""


@dataclass(frozen=True)
class TopicSettings:
    """What the operator allows: a model to write lessons (None: none), how many a learner may
    have written a day, and the words no lesson is written about."""

    model: ModelSettings | None = None
    daily: int = 3
    blocklist: frozenset[str] = field(default_factory=frozenset)


class Topics:
    def __init__(
        self,
        library: Library,
        store: Store,
        clock: Callable[[], datetime],
        settings: TopicSettings,
        save_schedule: Callable[[Learner, Schedule, datetime], None],
    ):
        self.library, self.store, self.clock, self.settings = library, store, clock, settings
        self.save_schedule = save_schedule
        """How a schedule is saved (with its next reminder): "what to learn?" waits in it."""
        with store.transaction():
            kept = store.topics.written()
        for written in kept:  # lessons written before this start: found and playable again
            course = self._course(written.course_id, written.body, written.model)
            if course is not None:
                library.add_written(course)
        self.index = Index(library)

    # --- Asking -----------------------------------------------------------------------------

    def ask(self, learner: Learner, text: str) -> Reply:
        """/topic: with words, what there is on them; alone, the question what to learn (the
        next text the learner types is the answer)."""
        if not rules.key(text):
            with self.store.transaction():
                schedule = self.store.schedules.get(learner)
                self.save_schedule(learner, replace(schedule, awaiting="topic"), self.clock())
            return Reply((views.ask(),))
        return self.search(learner, text)

    def typed(self, learner: Learner, text: str) -> Reply | None:
        """Typed text, if it answers "what would you like to learn?"; None otherwise."""
        with self.store.transaction():
            schedule = self.store.schedules.get(learner)
            if schedule.awaiting != "topic":
                return None
            self.save_schedule(learner, replace(schedule, awaiting=None), self.clock())
        return self.search(learner, text)

    def search(self, learner: Learner, text: str) -> Reply:
        text = " ".join(text.split())[: rules.MAX_TEXT]
        topic = rules.key(text)
        if not topic:  # only filler ("what is it?"): nothing to look for, so ask again
            return self.ask(learner, "")
        found = [
            (course, m.step)
            for m in self.index.search(text, FOUND)
            if (course := self.library.course(m.course_id)) is not None
        ]
        authored = [(c, n) for c, n in found if c.written_by is None]
        now = self.clock()
        with self.store.transaction():
            cached = self._cached(topic)
            situation = self._situation(learner, text, len(authored), cached, now)
            outcome = rules.decide(situation)
            request = self.store.topics.ask(learner.user_id, topic, text, outcome, now)
        log.info("topic %r from user %s: %s", topic, learner.user_id, outcome)
        match outcome:
            case rules.Outcome.MATCHED:
                return Reply((views.matches(text, authored),))
            case rules.Outcome.CACHED:
                assert cached is not None
                return Reply((views.cached(text, cached),))
            case rules.Outcome.OFFERED:
                return Reply((views.offer(text, request),))
            case rules.Outcome.BLOCKED:
                return Reply((views.blocked(text),))
            case rules.Outcome.LIMITED:
                return Reply((views.limited(self.settings.daily),))
        return Reply((views.noted(text, self.library),))

    # --- Writing ----------------------------------------------------------------------------

    def write(self, learner: Learner, request_id: int, message_id: int | None) -> Reply:
        """The "Write my lesson" tap: a job saved, "Writing your lesson…" shown in place of
        the offer; the shell runs the model (`Reply.write`)."""
        now = self.clock()
        with self.store.transaction():
            request = self.store.topics.request(request_id)
            if request is None or request.user_id != learner.user_id or message_id is None:
                return self._refuse()
            if self.store.topics.job(request_id) is not None:
                return Reply(toast="Already writing it…")
            cached = self._cached(request.topic)
            situation = self._situation(learner, request.text, 0, cached, now)
            outcome = rules.may_write(situation)
            if outcome is rules.Outcome.WRITING:
                job = Job(request_id, learner.user_id, learner.chat_id, message_id,
                          request.topic, request.text, stamp(now))  # fmt: skip
                self.store.topics.start(job)
            self.store.topics.settle(request_id, outcome)
        match outcome:
            case rules.Outcome.WRITING:
                shown = Rewrite(views.writing(request.text))
                return Reply(tapped=shown, write=request_id)
            case rules.Outcome.CACHED:
                assert cached is not None
                return Reply((views.cached(request.text, cached),), tapped=DropButtons())
            case rules.Outcome.LIMITED:
                return Reply((views.limited(self.settings.daily),), tapped=DropButtons())
            case rules.Outcome.BLOCKED:
                return Reply((views.blocked(request.text),), tapped=DropButtons())
        return Reply((views.noted(request.text, self.library),), tapped=DropButtons())

    def progress(self, request_id: int, seconds: int) -> Reply | None:
        """The seconds so far, on the "Writing…" message: the learner sees it is at work."""
        with self.store.transaction():
            job = self.store.topics.job(request_id)
        if job is None:
            return None
        return Reply(edit=Edit(job.message_id, views.writing(job.text, seconds)))

    def finish(self, request_id: int, result: Written | NotWritten) -> Reply | None:
        """The model is done: keep the lesson and open it in place of "Writing…", or say
        plainly why not. None when the job was finished already (a second finish)."""
        now = self.clock()
        with self.store.transaction():
            job = self.store.topics.job(request_id)
            if job is None:
                return None
            learner = Learner(job.user_id, job.chat_id, "")
            if isinstance(result, NotWritten):
                log.warning("lesson on %r not written (%s): %s", job.topic, result.reason,
                            result.detail)  # fmt: skip
                self.store.topics.finish(request_id)
                self.store.topics.settle(request_id, rules.Outcome.FAILED)
                failed = views.not_written(job.text, result.reason, request_id)
                return Reply(edit=Edit(job.message_id, failed, or_send=True))
            course = self._cached(job.topic) or self._keep(job.topic, result, now)
            self.store.topics.finish(request_id)
            self.store.topics.settle(request_id, rules.Outcome.WRITTEN)
            position = self.store.positions.current(learner)
            turn = lesson.open_step(course, 1, position)
            assert isinstance(turn, Turn)  # a written course has step 1
            self.store.save_turn(learner, turn, now)
        log.info("lesson %s on %r written by %s", course.id, job.topic, course.written_by)
        (first,) = lesson_views.lesson(turn.say)
        return Reply(edit=Edit(job.message_id, first, or_send=True))

    def pending(self) -> list[int]:
        """Writes a crash interrupted: the shell starts them again."""
        with self.store.transaction():
            return [job.request_id for job in self.store.topics.jobs()]

    def job(self, request_id: int) -> Job | None:
        with self.store.transaction():
            return self.store.topics.job(request_id)

    # --- Operators --------------------------------------------------------------------------

    def remove(self, course_id: str) -> bool:
        """An admin removes a written lesson: it is no longer offered or found. Learners in it
        are shown where they can go on, as for any course that is gone."""
        with self.store.transaction():
            removed = self.store.topics.remove(course_id)
        if removed:
            self.library.remove_written(course_id)
            self.index.remove(course_id)
            log.info("written lesson %s removed by an admin", course_id)
        return removed

    # --- Helpers ----------------------------------------------------------------------------

    def _situation(
        self, learner: Learner, text: str, matches: int, cached: Course | None, now: datetime
    ) -> rules.Situation:
        return rules.Situation(
            topic=rules.key(text),
            matches=matches,
            cached=cached is not None,
            model=self.settings.model is not None,
            blocked=rules.blocked(text, self.settings.blocklist),
            written_today=self.store.topics.written_today(learner.user_id, now),
            daily=self.settings.daily,
        )

    def _cached(self, topic: str) -> Course | None:
        kept = self.store.topics.written(topic)
        return self.library.course(kept[0].course_id) if kept else None

    def _keep(self, topic: str, result: Written, now: datetime) -> Course:
        course = result.course
        info, steps = course_data(course)
        body = {"info": info, "steps": steps}
        self.store.topics.keep(course.id, topic, course.title, result.model, body, now)
        self.library.add_written(course)
        self.index.add(course)
        return course

    def _course(self, course_id: str, body: dict, model: str) -> Course | None:
        """A kept lesson, validated again as it is loaded (the rules may have grown since)."""
        course, problems = course_from_data(
            rules.WRITTEN / course_id, body["info"], body["steps"], written_by=model
        )
        if course is None or problems:
            log.warning("written lesson %s no longer passes the checks; not offered (%s)",
                        course_id, problems[0] if problems else "?")  # fmt: skip
            return None
        return course

    def _refuse(self) -> Reply:
        return Reply(toast=lesson_views.REFUSAL_NOTICE[Refusal.UNKNOWN], outcome="forged")

"""A learner's own topic, through the service on a real SQLite file with a controlled clock:
what is offered for what they type, the write as a saved job, the written lesson played like any
other and kept for the next learner, the day's allowance, the blocklist, restarts, the
operator's view. The model's answer is handed in as `write_course` returns it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.content import Library, Verdict
from bot.content.load import course_from_data
from bot.core import topics as rules
from bot.core.model import Learner
from bot.llm import ModelSettings
from bot.llm.write import NotWritten, Written
from bot.store import Store
from bot.tutor import Extend, Reply, Rewrite, Tutor
from bot.tutor.topics import TopicSettings
from bot.views.message import plain
from tests.conftest import NOW
from tests.fake_llm import sourdough
from tests.scripted import Clock, buttons

ADA, BO = Learner(2001, 2001, "Ada"), Learner(2002, 2002, "Bo")
ADMIN = Learner(2999, 2999, "Op")
MODEL = ModelSettings("http://127.0.0.1:9/v1", "tiny-model")
OFFER_MESSAGE = 501


def written(topic: str = "sourdough") -> Written:
    """What `write_course` returns for `topic`: the fixture lesson, under the topic's id."""
    data = sourdough()
    steps = data.pop("steps")
    data.pop("refusal", None)
    info = {"id": rules.course_id(rules.key(topic)), **data}
    course, problems = course_from_data(Path("written"), info, steps, written_by=MODEL.model)
    assert course is not None and not problems, problems
    return Written(course, MODEL.model, 1)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def make(library: Library, store: Store, clock: Clock, **settings) -> Tutor:
    topics = TopicSettings(**({"model": MODEL} | settings))
    fresh = Library(library.courses)  # written lessons are added to it: one per test
    return Tutor(fresh, store, clock, admins=frozenset({ADMIN.user_id}), topics=topics)


@pytest.fixture
def tutor(library: Library, fresh_store: Store, clock: Clock) -> Tutor:
    return make(library, fresh_store, clock)


def text(reply: Reply) -> str:
    return "\n".join(plain(m.text) for m in reply.messages)


def labels(reply: Reply) -> list[str]:
    return [b.label for b in buttons(reply)]


def data_of(reply: Reply, label: str) -> str:
    return next(b.data for b in buttons(reply) if label in b.label)


def write(tutor: Tutor, learner: Learner, topic: str = "sourdough") -> Reply:
    """Ask for `topic` and tap "Write my lesson": the reply to the tap."""
    offer = tutor.command(learner, "topic", topic)
    return tutor.tap(learner, data_of(offer, "Write my lesson"), message_id=OFFER_MESSAGE)


# --- The rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("sourdough", "sourdough"),
        ("How does Sourdough rise?", "sourdough rise"),
        ("I want to learn about the rule of 72", "rule 72"),
        ("", ""),
        ("the a of", ""),
    ],
)
def test_a_topic_is_its_words_without_filler(typed: str, key: str) -> None:
    assert rules.key(typed) == key


def test_a_written_course_id_is_a_stable_slug_per_topic() -> None:
    assert rules.course_id("sourdough") == rules.course_id("sourdough")
    assert rules.course_id("sourdough") != rules.course_id("rye")
    assert len(rules.course_id("x" * 500)) <= 24


@pytest.mark.parametrize(
    ("typed", "blocked"),
    [("gun safety", True), ("Gun!", True), ("begun", False), ("how to make a bomb", True)],
)
def test_the_blocklist_matches_whole_words_any_case(typed: str, blocked: bool) -> None:
    assert rules.blocked(typed, frozenset({"gun", "make a bomb"})) is blocked


def situation(**changes) -> rules.Situation:
    base = dict(topic="x", matches=0, cached=False, model=True, blocked=False,
                written_today=0, daily=3)  # fmt: skip
    return rules.Situation(**(base | changes))


@pytest.mark.parametrize(
    ("changes", "offer", "on_tap"),
    [
        ({}, rules.Outcome.OFFERED, rules.Outcome.WRITING),
        ({"matches": 2}, rules.Outcome.MATCHED, rules.Outcome.WRITING),
        ({"matches": 2, "blocked": True}, rules.Outcome.MATCHED, rules.Outcome.BLOCKED),
        ({"cached": True}, rules.Outcome.CACHED, rules.Outcome.CACHED),
        ({"cached": True, "blocked": True}, rules.Outcome.BLOCKED, rules.Outcome.BLOCKED),
        ({"model": False}, rules.Outcome.NOTED, rules.Outcome.NOTED),
        ({"written_today": 3}, rules.Outcome.LIMITED, rules.Outcome.LIMITED),
        ({"written_today": 3, "cached": True}, rules.Outcome.CACHED, rules.Outcome.CACHED),
    ],
)
def test_what_is_offered_and_whether_a_tap_may_write(changes, offer, on_tap) -> None:
    s = situation(**changes)
    assert rules.decide(s) is offer
    assert rules.may_write(s) is on_tap


# --- Finding what we have ----------------------------------------------------------------------


def test_a_topic_we_teach_offers_its_steps_and_no_writing(tutor: Tutor) -> None:
    reply = tutor.command(ADA, "topic", "gradient")
    assert "These are what I have on gradient" in text(reply)
    assert any(label.startswith("Step 4 of How a neural network learns") for label in labels(reply))
    assert not any("Write" in label for label in labels(reply))
    opened = tutor.tap(ADA, data_of(reply, "Step 4 of"))
    assert "Question 1 of 3" in text(opened)


def test_topic_alone_asks_and_the_next_text_is_the_answer(tutor: Tutor) -> None:
    assert "What would you like to learn?" in text(tutor.command(ADA, "topic"))
    assert "What would you like to learn?" in text(tutor.text(ADA, "what is it?"))  # no topic
    assert "what I have on rule of 72" in text(tutor.text(ADA, "rule of 72"))
    assert "I teach with buttons" in text(tutor.text(ADA, "rule of 72"))  # asked once, answered


def test_without_a_model_the_request_is_noted_and_the_courses_offered(
    library: Library, fresh_store: Store, clock: Clock
) -> None:
    tutor = make(library, fresh_store, clock, model=None)
    reply = tutor.command(ADA, "topic", "Sourdough starters")
    assert "I don't have a lesson on Sourdough starters yet" in text(reply)
    assert "I've noted that you asked" in text(reply)
    assert labels(reply) == [c.title for c in library.courses]
    [asked] = fresh_store.topics.most_asked(NOW)
    assert (asked.topic, asked.times, asked.outcome) == ("sourdough starters", 1, "noted")


# --- Writing -----------------------------------------------------------------------------------


def test_writing_is_a_saved_job_shown_in_place_of_the_offer(tutor: Tutor) -> None:
    offer = tutor.command(ADA, "topic", "sourdough")
    assert "I can write you one now" in text(offer) and "not read by a person" in text(offer)
    reply = tutor.tap(ADA, data_of(offer, "Write my lesson"), message_id=OFFER_MESSAGE)
    assert isinstance(reply.tapped, Rewrite) and reply.messages == ()
    assert plain(reply.tapped.message.text) == "✍️ Writing your lesson on sourdough… ⏳"
    assert reply.write is not None and tutor.topics.pending() == [reply.write]
    job = tutor.topics.job(reply.write)
    assert (job.chat_id, job.message_id, job.topic) == (ADA.chat_id, OFFER_MESSAGE, "sourdough")
    again = tutor.tap(ADA, data_of(offer, "Write my lesson"), message_id=OFFER_MESSAGE)
    assert (again.toast, again.write) == ("Already writing it…", None)
    shown = tutor.topics.progress(reply.write, 10)
    assert shown.edit.message_id == OFFER_MESSAGE
    assert plain(shown.edit.message.text).endswith("⏳ 10 s")


def test_a_written_lesson_opens_in_place_and_plays_like_any_other(tutor: Tutor) -> None:
    request = write(tutor, ADA).write
    done = tutor.topics.finish(request, written())
    assert done.edit.message_id == OFFER_MESSAGE and done.edit.or_send
    first = plain(done.edit.message.text)
    assert "Written by a language model" in first and "Question 1 of 3" in first
    assert tutor.topics.pending() == [] and tutor.topics.finish(request, written()) is None
    course = tutor.library.course(rules.course_id("sourdough"))
    assert course is not None and course.written_by == MODEL.model
    reply: Reply = Reply((done.edit.message,))
    for index, question in enumerate(course.steps[0].questions):
        right = next(o.id for o in question.options if o.verdict is Verdict.EXACTLY)
        reply = tutor.tap(
            ADA, next(b.data for b in buttons(reply) if b.data.endswith(f":{index}:{right}"))
        )
        assert isinstance(reply.tapped, Extend) and "Exactly" in plain(reply.tapped.added.text)
    assert reply.completed == 1 and "The pattern" in text(reply)
    history = tutor.store.records.history(ADA, course.id)
    assert len(history.answers) == 3 and history.finished_steps == {1}
    assert len(tutor.store.records.cards(ADA)) == 3  # reviewed like any other lesson


def test_the_next_learner_asking_gets_the_kept_lesson_at_once(tutor: Tutor) -> None:
    tutor.topics.finish(write(tutor, ADA).write, written())
    reply = tutor.command(BO, "topic", "Sourdough")
    assert "was written for a learner who asked before you" in text(reply)
    opened = tutor.tap(BO, data_of(reply, "Start it"))
    assert "Question 1 of 3" in text(opened)


def test_a_failed_write_says_so_and_costs_nothing(tutor: Tutor) -> None:
    request = write(tutor, ADA).write
    failed = tutor.topics.finish(request, NotWritten("timeout", "no answer in 60 s"))
    shown = plain(failed.edit.message.text)
    assert "The model took too long to answer" in shown
    assert "didn't count against your lessons for the day" in shown
    retry = tutor.tap(ADA, next(b.data for row in failed.edit.message.buttons for b in row
                                if b.label == "Try again"), message_id=OFFER_MESSAGE)  # fmt: skip
    assert retry.write == request and tutor.store.topics.written_today(ADA.user_id, NOW) == 1


def test_a_refusal_offers_no_retry(tutor: Tutor) -> None:
    failed = tutor.topics.finish(write(tutor, ADA).write, NotWritten("refused", "no"))
    assert "wouldn't write a lesson on that" in plain(failed.edit.message.text)
    assert [b.label for row in failed.edit.message.buttons for b in row] == ["All courses"]


def test_a_learner_has_so_many_written_lessons_a_day(
    library: Library, fresh_store: Store, clock: Clock
) -> None:
    tutor = make(library, fresh_store, clock, daily=2)
    for topic in ("sourdough", "rye bread"):
        tutor.topics.finish(write(tutor, ADA, topic).write, written(topic))
    limited = tutor.command(ADA, "topic", "kombucha")
    assert "You've had 2 new lessons written in the last day" in text(limited)
    assert "✍️ Writing" not in text(tutor.command(BO, "topic", "kombucha"))  # Bo has his own
    clock.now += timedelta(days=1, minutes=1)
    assert "I can write you one now" in text(tutor.command(ADA, "topic", "kombucha"))


def test_a_blocked_topic_is_never_written(
    library: Library, fresh_store: Store, clock: Clock
) -> None:
    tutor = make(library, fresh_store, clock, blocklist=frozenset({"explosives"}))
    reply = tutor.command(ADA, "topic", "Homemade explosives")
    assert "is a topic I can't write a lesson about" in text(reply)
    assert not any("Write" in label for label in labels(reply))


@pytest.mark.parametrize("whose", ["another learner's", "made up"])
def test_a_write_tap_that_is_not_the_learners_writes_nothing(tutor: Tutor, whose: str) -> None:
    offer = tutor.command(ADA, "topic", "sourdough")
    data = data_of(offer, "Write my lesson") if whose != "made up" else "tw:424242"
    reply = tutor.tap(BO, data, message_id=OFFER_MESSAGE)
    assert reply.outcome == "forged" and reply.write is None
    assert tutor.topics.pending() == []


# --- Restarts and operators --------------------------------------------------------------------


def test_a_restart_keeps_written_lessons_and_the_writes_under_way(
    library: Library, fresh_store: Store, clock: Clock
) -> None:
    first = make(library, fresh_store, clock)
    first.topics.finish(write(first, ADA).write, written())
    under_way = write(first, BO, "rye bread").write
    again = make(library, fresh_store, clock)  # a new process on the same database
    assert again.library.course(rules.course_id("sourdough")) is not None
    assert again.topics.pending() == [under_way]
    assert "was written for a learner" in text(again.command(BO, "topic", "sourdough"))


def test_admin_sees_the_most_asked_topics_and_can_remove_a_written_lesson(tutor: Tutor) -> None:
    tutor.topics.finish(write(tutor, ADA).write, written())
    tutor.command(BO, "topic", "sourdough")
    tutor.command(BO, "topic", "gradient")
    figures = tutor.command(ADMIN, "admin")
    shown = text(figures)
    assert "Most requested topics" in shown and "“sourdough” ×2 · 2 learners" in shown
    assert "Lessons written by a model" in shown and "tiny-model" in shown
    remove = data_of(figures, "Remove")
    assert tutor.tap(BO, remove).outcome == "forged"  # only an admin may
    assert tutor.tap(ADMIN, remove).toast == "Removed: it is no longer offered."
    assert tutor.library.course(rules.course_id("sourdough")) is None
    assert "I can write you one now" in text(tutor.command(BO, "topic", "sourdough"))

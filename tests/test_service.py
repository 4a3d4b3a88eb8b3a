"""The tutor service without Telegram or a network: every action a learner can take, on a real
SQLite file with a controlled clock. Every reply is checked for what a shell relies on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.model import Learner, Refusal
from bot.tutor import COMMANDS, DropButtons, Extend, Reply, Tutor
from bot.views import callbacks
from bot.views.lesson import REFUSAL_NOTICE
from bot.views.message import plain
from tests import scripted
from tests.conftest import NOW
from tests.scripted import buttons

ADA = Learner(1001, 1001, "Ada")
UNKNOWN = REFUSAL_NOTICE[Refusal.UNKNOWN]
OUTDATED = REFUSAL_NOTICE[Refusal.OUTDATED]
COUNTED = REFUSAL_NOTICE[Refusal.ALREADY_COUNTED]
EVENING = ("p:z:7", "p:g:1-a-day", "p:t:3")  # UTC+5:30, 1 step a day, reminders at 20:30
REMIND_AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 20:30 in UTC+5:30, after NOW


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def shell_safe(reply: Reply | None) -> Reply | None:
    """What every shell relies on: buttons Telegram takes and we decode, a short toast, and no
    empty message, whether for the chat, an edit or a member's private chat."""
    if reply is None:
        return None
    assert reply.outcome in ("ok", "refused", "forged")
    assert reply.toast is None or 0 < len(reply.toast) <= 200, reply.toast
    assert not reply.alert or reply.toast
    shown = [*reply.messages, *(m for _, ms in reply.private for m in ms)]
    if reply.edit is not None:
        shown.append(reply.edit.message)
    for message in shown:
        assert plain(message.text).strip(), message
        for button in (b for row in message.buttons for b in row):
            assert button.label.strip(), button
            assert len(button.data.encode()) <= callbacks.MAX_BYTES, button
            assert callbacks.decode(button.data) is not None, button
    return reply


class CheckedTutor(Tutor):
    """The real service; every reply it gives goes through `shell_safe`."""

    def tap(self, learner: Learner, data: str | None) -> Reply:
        return shell_safe(super().tap(learner, data))

    def command(self, learner: Learner, name: str, args: str = "") -> Reply:
        return shell_safe(super().command(learner, name, args))

    def text(self, learner: Learner, text: str) -> Reply:
        return shell_safe(super().text(learner, text))

    def remind(self, learner: Learner = ADA) -> Reply | None:
        return shell_safe(self.pace.remind(learner))


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def tutor(library, fresh_store, clock) -> CheckedTutor:
    return CheckedTutor(library, fresh_store, clock)


def texts(reply: Reply) -> list[str]:
    return [plain(m.text) for m in reply.messages]


def said(reply: Reply, text: str) -> bool:
    return any(text in t for t in texts(reply))


def tap_label(tutor: Tutor, reply: Reply, label: str) -> Reply:
    """Tap the button whose label contains `label`; `=b` taps the answer with option id b."""
    return scripted.tap(tutor, ADA, reply, label)


def step_4(tutor: Tutor, *labels: str) -> Reply:
    """Open step 4 of the seed course, then tap `labels` in turn."""
    reply = tutor.tap(ADA, "s:neural-networks:4")
    for label in labels:
        reply = tap_label(tutor, reply, label)
    return reply


def right(tutor: Tutor, question: int) -> str:
    options = tutor.library.course("neural-networks").step(4).questions[question].options
    return "=" + next(o.id for o in options if o.verdict.is_right)


def saved(tutor: Tutor) -> tuple:
    """Everything a tap could change for Ada: position, schedule, next reminder, answers."""
    store, schedules = tutor.store, tutor.store.schedules
    at = schedules.next_remind_at(ADA)
    return store.positions.current(ADA), schedules.get(ADA), at, store.db["answers"].count


# --- Commands ---------------------------------------------------------------------------------

COURSE = "How a neural network learns"
COMMAND_CASES = [
    pytest.param("start", "", "I'm Tutor", COURSE, id="start-greets-with-the-courses"),
    pytest.param("start", "neural-networks", COURSE, "Step 1 · new  👈 next", id="start-deep-link"),
    pytest.param("start", "no-such-course", "I'm Tutor", COURSE, id="start-unknown-id-just-greets"),
    pytest.param("continue", "", "You haven't started", COURSE, id="continue-nothing-started"),
    pytest.param("courses", "", "Courses", "How compound interest grows", id="courses"),
    pytest.param("help", "", "What I can do", None, id="help"),
    pytest.param("frobnicate", "", "I don't know /frobnicate.", None, id="unknown-command"),
    pytest.param("study", "", "/study is for study groups", None, id="group-command-in-private"),
    pytest.param("start", "group", "I'm Tutor", COURSE, id="start-from-a-group-link"),
    pytest.param("progress", "", "🗺 Nothing on your map yet", COURSE, id="progress-empty"),
    pytest.param("review", "", "Nothing to review yet", None, id="review-nothing-due"),
    pytest.param("pace", "", "🌍 First, your time zone", "UTC+5:30", id="pace-asks-the-zone"),
    pytest.param("deadline", "", "📅 When do you want to be done?", "Type a date…", id="deadline"),
    pytest.param("stop", "", "🔕 Reminders paused.", None, id="stop"),
    pytest.param("forget", "", "🗑 Delete everything I keep about you?", "Keep it", id="forget"),
    pytest.param("topic", "", "What would you like to learn?", None, id="topic-asks-what"),
    pytest.param(
        "topic",
        "rule of 72",
        "what I have on rule of 72",
        "Step 2 of How compound",
        id="topic-finds-the-lesson",
    ),
    pytest.param(
        "topic",
        "sourdough",
        "I don't have a lesson on sourdough yet",
        COURSE,
        id="topic-without-a-model-says-what-it-has",
    ),
]


@pytest.mark.parametrize(("name", "args", "says", "button"), COMMAND_CASES)
def test_each_command_says_what_it_should(tutor, name, args, says, button) -> None:
    reply = tutor.command(ADA, name, args)
    assert (reply.outcome, reply.toast, reply.tapped) == ("ok", None, None)
    assert said(reply, says), texts(reply)
    assert button is None or any(button in b.label for b in buttons(reply))


def test_every_command_in_the_menu_is_in_the_table() -> None:
    assert set(COMMANDS) <= {case.values[0] for case in COMMAND_CASES}


def test_continue_start_and_progress_mid_question_know_where_ada_is(tutor) -> None:
    asked = step_4(tutor)
    shown = tutor.command(ADA, "continue")
    assert texts(asked)[-1].endswith(texts(shown)[0]) and buttons(shown) == buttons(asked)
    assert said(tutor.command(ADA, "start"), "Welcome back! You were on")
    answered = tap_label(tutor, shown, "=b")
    assert "✅ Exactly" in plain(answered.tapped.added.text) and said(answered, "Question 2 of 3")
    assert said(tutor.command(ADA, "progress"), "🗺 Your map")


DEADLINES = [
    pytest.param("2026-12-20", "📅 Your plan to finish", date(2026, 12, 20), None, id="a-date"),
    pytest.param("off", "Deadline removed.", None, None, id="off"),
    pytest.param("2028-01-01", "That's more than a year away", date(2026, 12, 1), "deadline",
                 id="over-a-year-away"),
    pytest.param("someday", "I couldn't read that as a date", date(2026, 12, 1), "deadline",
                 id="unreadable"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "says", "deadline", "awaiting"), DEADLINES)
def test_deadline_with_an_argument(tutor, args, says, deadline, awaiting) -> None:
    tutor.command(ADA, "deadline", "2026-12-01")
    reply = tutor.command(ADA, "deadline", args)
    assert texts(reply)[0].startswith(says), texts(reply)
    schedule = tutor.store.schedules.get(ADA)
    assert (schedule.deadline, schedule.awaiting) == (deadline, awaiting)


# --- Taps -------------------------------------------------------------------------------------

MENU_TAPS = [
    pytest.param("m", "Courses", COURSE, id="all-courses"),
    pytest.param("c:neural-networks", COURSE, "Step 4 · new", id="open-a-course"),
    pytest.param("s:neural-networks:4", "Question 1 of 3", "I'm not sure", id="open-a-step"),
    pytest.param("v", "Nothing to review yet", None, id="review-now-nothing-due"),
]


@pytest.mark.parametrize(("data", "says", "button"), MENU_TAPS)
def test_a_menu_tap_shows_what_it_names(tutor, data, says, button) -> None:
    reply = tutor.tap(ADA, data)
    assert reply.outcome == "ok" and said(reply, says), texts(reply)
    assert button is None or any(button in b.label for b in buttons(reply))


MISSED_CHECK = ("not sure",) * 3  # unsure twice, then the quick check missed too
LESSON_TAPS = [
    pytest.param(["=b"], "✅ Exactly", "Question 2 of 3", Extend, id="right-answer"),
    pytest.param(["=a"], "❌ Not quite", "Have another go: same question, options in a new order.",
                 Extend, id="wrong-answer"),
    pytest.param(["not sure"], "🤝 No worries", "Another way to see it", Extend, id="unsure"),
    pytest.param(["=b", "Another way"], "Another way to see it", None, Extend, id="another-way"),
    pytest.param(["not sure"] * 2, "🤝 No worries", "🔎 Quick check", Extend,
                 id="unsure-twice-gets-a-check"),
    pytest.param(MISSED_CHECK, "🟡 Close|❌ Not quite|🤝 No worries", "🔎 Quick check", Extend,
                 id="a-missed-check-is-asked-again"),
    pytest.param([*MISSED_CHECK, "Skip for now"], None, "Skipped for now", DropButtons,
                 id="skip-the-check"),
]  # fmt: skip


@pytest.mark.parametrize(("labels", "on_it", "then", "tapped"), LESSON_TAPS)
def test_a_lesson_tap_shows_what_comes_next(tutor, labels, on_it, then, tapped) -> None:
    """What a tap adds to the message tapped (an answer's verdict and feedback, in place), and
    the one message, if any, with what comes next."""
    reply = step_4(tutor, *labels)
    assert reply.outcome == "ok" and reply.toast is None and reply.completed is None
    assert isinstance(reply.tapped, tapped)
    if on_it is not None:
        added = plain(reply.tapped.added.text)
        assert any(mark in added for mark in on_it.split("|")), added
    if then is None:
        assert reply.messages == ()
    else:
        assert len(reply.messages) == 1 and then in texts(reply)[0], texts(reply)


def test_the_last_question_leads_to_the_takeaway_and_completes_step_4(tutor) -> None:
    reply = step_4(tutor, right(tutor, 0), right(tutor, 1), right(tutor, 2))
    assert isinstance(reply.tapped, Extend) and "✅ Exactly" in plain(reply.tapped.added.text)
    (ending,) = texts(reply)
    assert ending.startswith("The takeaway") and "\n\nThe pattern\n" in ending
    assert reply.completed == 4
    assert 4 in tutor.store.records.history(ADA, "neural-networks").finished_steps


@pytest.mark.parametrize("how", ["/review", "Review now"], ids=["command", "welcome-button"])
def test_a_skipped_idea_is_due_for_review_three_days_later(tutor, clock, how) -> None:
    step_4(tutor, *MISSED_CHECK, "Skip for now")
    assert said(tutor.command(ADA, "review"), "Nothing is due for review right now")
    clock.now += timedelta(days=3)
    reply = tutor.command(ADA, "review" if how == "/review" else "start")
    if how == "Review now":
        reply = tap_label(tutor, reply, how)
    assert said(reply, "🔁 Review ·") and tutor.store.positions.current(ADA).reviewing


PACE_TAPS = [
    pytest.param("p:z:7", "Time zone: UTC+05:30. What pace", "zone", "UTC+05:30", id="zone"),
    pytest.param("p:g:2-a-day", "2 steps a day it is.", "goal", "2-a-day", id="goal"),
    pytest.param("p:t:3", "✅ Done: 1 step a day, reminders at 20:30", "remind_at", "20:30",
                 id="time"),
    pytest.param("p:d:7", "📅 Your plan to finish How a neural network learns by Tue 1 Dec",
                 "deadline", date(2026, 12, 1), id="deadline"),
    pytest.param("p:k:zone", "🌍 First, your time zone", "awaiting", "zone", id="type-a-zone"),
    pytest.param("p:k:time", "Type a time", "awaiting", "time", id="type-a-time"),
    pytest.param("p:k:deadline", "Type a date", "awaiting", "deadline", id="type-a-date"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "says", "field", "value"), PACE_TAPS)
def test_a_pace_tap_is_saved_and_answered(tutor, data, says, field, value) -> None:
    tutor.tap(ADA, "p:z:3")  # UTC
    reply = tutor.tap(ADA, data)
    assert reply.outcome == "ok" and texts(reply)[0].startswith(says), texts(reply)
    assert getattr(tutor.store.schedules.get(ADA), field) == value


TYPED = [
    pytest.param((), "hello?", "I teach with buttons", ("awaiting", None), id="nothing-awaited"),
    pytest.param(("p:k:zone",), "Europe/Berlin", "Time zone: Europe/Berlin.",
                 ("zone", "Europe/Berlin"), id="a-zone"),
    pytest.param(("p:k:zone",), "Mars/Olympus", "I couldn't read that as a time zone.",
                 ("awaiting", "zone"), id="not-a-zone"),
    pytest.param(("p:z:3", "p:k:time"), "21:00", "✅ Done: 1 step a day, reminders at 21:00",
                 ("remind_at", "21:00"), id="a-time"),
    pytest.param(("p:k:deadline",), "2026-12-15", "📅 Your plan to finish",
                 ("deadline", date(2026, 12, 15)), id="a-date"),
]  # fmt: skip


@pytest.mark.parametrize(("before", "typed", "says", "saved_as"), TYPED)
def test_typed_text_answers_what_is_awaited(tutor, before, typed, says, saved_as) -> None:
    for data in before:
        tutor.tap(ADA, data)
    reply = tutor.text(ADA, typed)
    assert texts(reply)[0].startswith(says), texts(reply)
    field, value = saved_as
    assert getattr(tutor.store.schedules.get(ADA), field) == value


# --- Reminders --------------------------------------------------------------------------------


def set_evening(tutor: Tutor) -> None:
    for data in EVENING:
        tutor.tap(ADA, data)
    assert tutor.store.schedules.next_remind_at(ADA) == REMIND_AT


def test_a_reminder_falls_due_at_the_local_time_and_comes_once(tutor, clock) -> None:
    set_evening(tutor)
    assert tutor.pace.due() == [] and tutor.remind() is None
    clock.now = REMIND_AT + timedelta(seconds=1)
    assert tutor.pace.due() == [ADA]
    reply = tutor.remind()
    assert texts(reply)[0].startswith("⏰ Today's plan")
    assert [b.label for b in buttons(reply)] == ["Start step 1 ➜"]
    assert tutor.remind() is None and tutor.pace.due() == []
    assert tutor.store.schedules.next_remind_at(ADA) == REMIND_AT + timedelta(days=1)


NO_REMINDER = [
    pytest.param(lambda tutor: None, REMIND_AT - timedelta(seconds=1), REMIND_AT, id="not-yet"),
    pytest.param(lambda tutor: tutor.command(ADA, "stop"), REMIND_AT, None, id="after-stop"),
    pytest.param(lambda tutor: tutor.chat_blocked(ADA.chat_id), REMIND_AT, REMIND_AT,
                 id="chat-blocked"),
    pytest.param(lambda tutor: tutor.chat_member(ADA, False), REMIND_AT, REMIND_AT,
                 id="bot-blocked-by-the-learner"),
    pytest.param(lambda tutor: None, REMIND_AT + timedelta(hours=21),
                 REMIND_AT + timedelta(days=1), id="missed-on-an-earlier-day"),
]  # fmt: skip


@pytest.mark.parametrize(("before", "at", "next_at"), NO_REMINDER)
def test_no_reminder_is_sent(tutor, clock, before, at, next_at) -> None:
    set_evening(tutor)
    before(tutor)
    clock.now = at
    assert tutor.remind() is None
    assert tutor.pace.due() == []
    assert tutor.store.schedules.next_remind_at(ADA) == next_at


def test_a_learner_who_unblocks_the_bot_gets_the_reminder_again(tutor, clock) -> None:
    set_evening(tutor)
    tutor.chat_member(ADA, False)
    clock.now = REMIND_AT + timedelta(minutes=5)
    assert tutor.remind() is None
    tutor.chat_member(ADA, True)
    assert tutor.store.people.is_active(ADA.chat_id) and tutor.pace.due() == [ADA]
    assert said(tutor.remind(), "Today's plan")


# --- Stale, double and forged taps ------------------------------------------------------------

OPEN, RIGHT, RIGHT_2 = (
    "s:neural-networks:4",
    "a:1:neural-networks:4:0:b",
    "a:2:neural-networks:4:1:a",
)
UNSURE, UNSURE_AGAIN = "a:1:neural-networks:4:0:d", "a:2:neural-networks:4:0:d"
STALE = [
    pytest.param((OPEN, RIGHT), RIGHT, COUNTED, None, id="second-tap-on-the-same-answer"),
    pytest.param((OPEN, RIGHT), "a:1:neural-networks:4:0:a", COUNTED, None,
                 id="second-tap-on-another-option"),
    pytest.param((OPEN, RIGHT, RIGHT_2), RIGHT, OUTDATED, "Question 3 of 3", id="older-question"),
    pytest.param((OPEN, UNSURE, UNSURE_AGAIN, "k:3"), "k:3", COUNTED, None,
                 id="second-tap-on-skip"),
    pytest.param((OPEN, UNSURE, UNSURE_AGAIN, "k:3"), UNSURE_AGAIN, OUTDATED, "Question 2 of 3",
                 id="an-answer-before-a-skip"),
    pytest.param((OPEN, "s:neural-networks:3"), RIGHT, OUTDATED, "Question 1 of 3",
                 id="question-left-unanswered-for-another-step"),
]  # fmt: skip


@pytest.mark.parametrize(("before", "data", "toast", "shown"), STALE)
def test_a_stale_or_double_tap_changes_nothing(tutor, before, data, toast, shown) -> None:
    for earlier in before:
        assert tutor.tap(ADA, earlier).outcome == "ok", earlier
    state = saved(tutor)
    assert state[-1] == sum(d.startswith("a:") for d in before)  # each answer saved once
    reply = tutor.tap(ADA, data)
    assert (reply.outcome, reply.toast, reply.tapped) == ("refused", toast, None)
    assert said(reply, shown) if shown else reply.messages == ()
    assert saved(tutor) == state


FORGED = [
    "garbage", "", None, "x" * 65, "c:no-such-course", "s:no-such-course:1", "s:neural-networks:99",
    "a:1:neural-networks:4:9:b", "a:1:neural-networks:4:0:zz", "a:1:no-such-course:4:0:b",
    "a:1:neural-networks:3:0:b", "a:99:neural-networks:4:0:b", "n:999", "n:²", "n:٣", "n:-1",
    "w:99", "t:99", "k:99", "w:no-such-course:4:0", "w:neural-networks:4:9",
    "w:neural-networks:9:0", "w:neural-networks:4:-1", "o:nope", "o:", "p:d:99991231", "p:d:²",
    "p:d:20200101", "p:z:99", "p:z:²", "p:z:٣", "p:t:9", "p:g:daily", "p:k:nope", "p:x:1",
]  # fmt: skip


@pytest.mark.parametrize("data", FORGED, ids=repr)
def test_a_forged_tap_is_refused_and_changes_nothing(tutor, data) -> None:
    set_evening(tutor)
    step_4(tutor)
    state = saved(tutor)
    reply = tutor.tap(ADA, data)
    assert (reply.outcome, reply.toast, reply.tapped) == ("forged", UNKNOWN, None)
    assert said(reply, "Question 1 of 3")  # where Ada really is, with live buttons
    assert saved(tutor) == state


def test_a_later_tap_on_a_counted_answer_shows_its_feedback_again(tutor, clock) -> None:
    for data in (OPEN, RIGHT):
        tutor.tap(ADA, data)
    clock.now += timedelta(minutes=1)  # not a double tap: maybe the feedback never arrived
    reply = tutor.tap(ADA, RIGHT)
    assert (reply.outcome, reply.toast) == ("refused", COUNTED)
    assert said(reply, "Question 2 of 3")  # where Ada is now, with live buttons
    assert [b.label for m in reply.messages for row in m.buttons for b in row] == [
        "A",
        "B",
        "C",
        "D · I'm not sure",
    ]
    assert tutor.store.db["answers"].count == 1


def test_a_reminder_time_without_a_zone_is_kept_in_utc_and_comes(tutor, clock) -> None:
    reply = tutor.tap(ADA, "p:t:0")  # 07:30, before any zone was chosen
    assert said(reply, "reminders at 07:30 (UTC)")
    assert tutor.store.schedules.get(ADA).zone == "UTC"
    assert tutor.store.schedules.next_remind_at(ADA) == datetime(2026, 11, 25, 7, 30, tzinfo=UTC)


def test_the_link_from_a_group_tap_says_what_the_private_chat_is_for(tutor) -> None:
    reply = tutor.command(ADA, "start", "group")
    assert "I'm <b>Tutor</b>" in reply.messages[0].text
    assert "group study now get their full explanation here" in reply.messages[1].text

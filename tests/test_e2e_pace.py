"""At your pace or against your deadline, in Telegram: /pace and /deadline with buttons and typed
input, and reminders at the learner's local time from the sweep over `next_remind_at`, with a
controlled clock. Every test ends with no error recorded (`running_bot` checks)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.core import plan
from bot.core.model import Learner as StoreLearner
from bot.core.model import Refusal, Schedule
from bot.views import lesson as lesson_views
from tests.fake_telegram import FakeTelegram
from tests.harness import Learner, RunningBot, running_bot

ADA = 1001
ME = StoreLearner(ADA, ADA)
# Tuesday 24 Nov 2026, 10:00 UTC = 15:30 in UTC+5:30
MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
EIGHT_PM_LOCAL = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)  # 20:00 in UTC+5:30
EVENING = Schedule(zone="UTC+05:30", goal="1-a-day", remind_at="20:00")


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def next_reminder(bot: RunningBot, learner: StoreLearner = ME) -> datetime | None:
    return bot.store.schedules.next_remind_at(learner)


def set_schedule(
    bot: RunningBot, schedule: Schedule, now: datetime, who: StoreLearner = ME
) -> None:
    """As the service saves a schedule: with the moment of its next reminder."""
    bot.tutor.pace.save(who, schedule, now)


async def sweeps(learner: Learner, seconds: float = 0.4) -> None:
    """Let the reminder sweep (every 0.1 s in tests) run a few times, then settle."""
    await asyncio.sleep(seconds)
    await learner.settle(quiet=0.2)


@asynccontextmanager
async def evening(
    tg: FakeTelegram, tmp_path: Path
) -> AsyncIterator[tuple[RunningBot, Learner, Clock]]:
    """Ada in the morning, with reminders at 20:00 her time (UTC+5:30) set."""
    clock = Clock(MORNING)
    async with running_bot(tg, tmp_path / "t.db", clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/start")
        set_schedule(bot, EVENING, clock())
        yield bot, ada, clock


def reminders_in(learner: Learner) -> int:
    return sum("Today's plan" in t for t in learner.texts())


async def test_pace_asks_the_zone_once_then_goal_and_time(tg: FakeTelegram, tmp_path: Path) -> None:
    clock = Clock(MORNING)
    async with running_bot(tg, tmp_path / "t.db", clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/pace")
        assert ada.last().text.startswith("🌍 First, your time zone")
        await ada.says("Mars/Olympus")
        assert ada.last().text.startswith("I couldn't read that as a time zone.")
        await ada.taps("UTC+5:30")
        assert ada.last().text.startswith("Time zone: UTC+05:30. What pace suits you?")
        await ada.taps("1 step a day")
        await ada.taps("Another time…")
        await ada.says("25:99")
        assert ada.last().text.startswith("I couldn't read that as a time.")
        await ada.says("20:00")
        assert ada.last().text.startswith("✅ Done: 1 step a day, reminders at 20:00 (UTC+05:30)")
        saved = bot.store.schedules.get(ME)
        assert (saved.zone, saved.goal, saved.remind_at) == ("UTC+05:30", "1-a-day", "20:00")
        assert next_reminder(bot) == EIGHT_PM_LOCAL
        await ada.says("/pace")  # the zone is not asked again
        assert ada.last().text.startswith("Time zone: UTC+05:30.")


async def test_a_zone_can_be_typed_by_name(tg: FakeTelegram, bot: RunningBot) -> None:
    ada = Learner(tg, bot, ADA)
    await ada.says("/pace")
    await ada.says("europe/berlin")
    assert ada.last().text.startswith("Time zone: Europe/Berlin.")


async def test_a_deadline_gives_a_plan_day_by_day(tg: FakeTelegram, tmp_path: Path) -> None:
    clock = Clock(MORNING)
    async with running_bot(tg, tmp_path / "t.db", clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/deadline")
        await ada.taps("In a week")
        text = ada.messages()[-2].text
        assert text.startswith("📅 Your plan to finish How a neural network learns by Tue 1 Dec:")
        assert "• Today — Step 1" in text and "Step 4" in text
        assert ada.last().text == "Want a reminder on the planned days? /pace sets the time."
        assert bot.store.schedules.get(ME).deadline == date(2026, 12, 1)
        await ada.says("/deadline")
        await ada.taps("Type a date…")
        await ada.says("the day after never")
        assert ada.last().text.startswith("I couldn't read that as a date")
        await ada.says("/deadline off")
        assert ada.last().text.startswith("Deadline removed.")
        assert bot.store.schedules.get(ME).deadline is None


async def test_a_deadline_too_close_gets_an_honest_realistic_plan(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    clock = Clock(MORNING)
    async with running_bot(tg, tmp_path / "t.db", clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/deadline today")
        plan_message = ada.messages()[-2]
        assert plan_message.text.startswith("⚠️ Tue 24 Nov is too close for what's left.")
        assert ada.buttons(plan_message) == ["Use Wed 25 Nov instead"]
        await ada.taps("Use Wed 25 Nov instead", plan_message)
        assert ada.messages()[-2].text.startswith("📅 Your plan to finish")
        assert bot.store.schedules.get(ME).deadline == date(2026, 11, 25)


async def test_a_far_deadline_is_refused_typed_or_forged(tg: FakeTelegram, tmp_path: Path) -> None:
    clock = Clock(MORNING)
    async with running_bot(tg, tmp_path / "t.db", clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/deadline 9999-12-31")
        assert ada.last().text.startswith("That's more than a year away")
        await ada.says("in 9999 weeks")  # still waiting for a date
        assert ada.last().text.startswith("That's more than a year away")
        before = bot.store.schedules.get(ME)
        assert before.deadline is None
        unknown = lesson_views.REFUSAL_NOTICE[Refusal.UNKNOWN]
        for forged in ("p:d:99991231", "p:d:²", "p:d:9999", "p:z:²", "p:t:99", "p:k:nope"):
            await ada.taps_data(ada.last(), forged, forge=True)
            assert tg.callback_answers[-1].text == unknown, forged
        assert bot.store.schedules.get(ME) == before
        await ada.says("in 3 weeks")  # a date within the year is planned as usual
        assert ada.messages()[-2].text.startswith("📅 Your plan to finish")


async def test_a_reminder_arrives_at_the_local_time_with_todays_work(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    clock = Clock(EIGHT_PM_LOCAL - timedelta(seconds=2))
    async with running_bot(tg, tmp_path / "t.db", clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/start")
        set_schedule(bot, EVENING, clock())
        await sweeps(ada)
        assert reminders_in(ada) == 0  # not yet: two seconds early
        clock.now = EIGHT_PM_LOCAL + timedelta(seconds=1)
        message = await tg.wait_for_message_async(ADA, "Today's plan", timeout=5)
        assert "Step 1 · The forward pass" in message.text
        assert message.buttons[0][0][0] == "Start step 1 ➜"
        await sweeps(ada)
        assert reminders_in(ada) == 1
        assert bot.store.schedules.get(ME).last_sent_on == date(2026, 11, 24)
        assert next_reminder(bot) == EIGHT_PM_LOCAL + timedelta(days=1)


async def test_a_reminder_missed_while_down_is_sent_once_after_a_restart(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    db = tmp_path / "t.db"
    clock = Clock(MORNING)  # 15:30 in UTC+5:30
    async with running_bot(tg, db, clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/start")
        set_schedule(bot, EVENING, clock())
    async with running_bot(tg, db, clock=clock) as bot:  # before reminder time: nothing sent
        ada.bot = bot
        await sweeps(ada)
        assert reminders_in(ada) == 0
        assert next_reminder(bot) == EIGHT_PM_LOCAL
    clock.now = MORNING + timedelta(hours=6)  # 21:30 local: the bot was down at 20:00
    async with running_bot(tg, db, clock=clock) as bot:
        ada.bot = bot
        await tg.wait_for_message_async(ADA, "Today's plan", timeout=5)
        await sweeps(ada)
    async with running_bot(tg, db, clock=clock) as bot:
        ada.bot = bot
        await sweeps(ada)
        assert reminders_in(ada) == 1  # once, not at every start
        assert next_reminder(bot) == EIGHT_PM_LOCAL + timedelta(days=1)


async def test_a_reminder_missed_on_an_earlier_day_is_not_sent_late(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    db = tmp_path / "t.db"
    clock = Clock(MORNING)
    async with running_bot(tg, db, clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/start")
        set_schedule(bot, EVENING, clock())
    clock.now = MORNING + timedelta(days=1)  # the bot was down over yesterday's 20:00
    async with running_bot(tg, db, clock=clock) as bot:
        ada.bot = bot
        await sweeps(ada)
        assert reminders_in(ada) == 0
        assert next_reminder(bot) == EIGHT_PM_LOCAL + timedelta(days=1)  # today's, still to come


async def test_stopped_and_blocked_learners_get_no_reminders(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    clock = Clock(MORNING)
    bob = StoreLearner(1002, 1002)
    async with running_bot(tg, tmp_path / "t.db", clock=clock) as bot:
        ada, bobby = Learner(tg, bot, ADA), Learner(tg, bot, 1002, "Bob")
        await ada.says("/start")
        await bobby.says("/start")
        for learner in (ME, bob):
            set_schedule(bot, EVENING, clock(), learner)
        await ada.says("/stop")
        assert ada.last().text.startswith("🔕 Reminders paused.")
        assert next_reminder(bot) is None
        bot.tutor.chat_blocked(bob.chat_id)
        clock.now = EIGHT_PM_LOCAL + timedelta(minutes=5)
        await sweeps(ada)
        assert reminders_in(ada) == reminders_in(bobby) == 0


async def test_a_reminder_says_how_far_behind_plan_and_the_streak(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    clock = Clock(MORNING + timedelta(hours=6))  # 21:30 local, after a missed 20:00
    made_on = date(2026, 11, 22)
    planned = plan.plan([1, 2, 3, 4], 0, made_on, plan.Goal.ONE_A_DAY, date(2026, 11, 25))
    schedule = Schedule(
        "UTC+05:30",
        "1-a-day",
        "20:00",
        deadline=date(2026, 11, 25),
        course_id="neural-networks",
        plan=plan.to_json(planned),
        plan_made_on=made_on,
    )
    db = tmp_path / "t.db"
    async with running_bot(tg, db, clock=Clock(MORNING)) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/start")
        set_schedule(bot, schedule, MORNING)
    async with running_bot(tg, db, clock=clock) as bot:
        ada.bot = bot
        message = await tg.wait_for_message_async(ADA, "Today's plan", timeout=5)
        assert "You're 2 steps behind plan" in message.text
        assert "Step 1 · The forward pass" in message.text


async def test_reminders_stop_with_a_wrap_up_after_the_deadline(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    async with evening(tg, tmp_path) as (bot, ada, clock):
        passed = Schedule("UTC+05:30", "1-a-day", "20:00", deadline=date(2026, 11, 23))
        bot.store.schedules.save(ME, passed, EIGHT_PM_LOCAL, clock())
        clock.now = MORNING + timedelta(hours=6)
        message = await tg.wait_for_message_async(ADA, "has passed", timeout=5)
        assert message.text.startswith("🏁 Your deadline for How a neural network learns")
        await sweeps(ada)
        assert bot.store.schedules.get(ME).paused
        assert next_reminder(bot) is None


async def test_pace_after_stop_brings_reminders_back(tg: FakeTelegram, tmp_path: Path) -> None:
    async with evening(tg, tmp_path) as (bot, ada, clock):
        await ada.says("/stop")
        assert next_reminder(bot) is None
        await ada.says("/pace")  # reminders are on again, at the time they had
        assert next_reminder(bot) == EIGHT_PM_LOCAL
        await ada.taps("2 steps a day")
        await ada.taps("18:00")
        assert ada.last().text.startswith("✅ Done: 2 steps a day, reminders at 18:00")
        assert not bot.store.schedules.get(ME).paused
        assert next_reminder(bot) == EIGHT_PM_LOCAL - timedelta(hours=2)
        clock.now = EIGHT_PM_LOCAL
        await tg.wait_for_message_async(ADA, "Today's plan", timeout=5)


async def test_stop_while_a_reminder_is_being_sent_leaves_reminders_stopped(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    async with evening(tg, tmp_path) as (bot, ada, clock):
        tg.delay("sendMessage", 1.0, chat_id=ADA)  # Telegram is slow to take the reminder
        clock.now = EIGHT_PM_LOCAL + timedelta(minutes=1)
        await tg.wait_for_async(lambda t: t.calls_to("sendMessage") and reminders_in(ada) == 0, 2)
        await asyncio.sleep(0.3)  # the sweep has taken the reminder; its send is in flight
        tg.send_text(ADA, "/stop")
        await tg.wait_for_message_async(ADA, "Reminders paused", timeout=8)
        await ada.settle(quiet=0.3)
        assert reminders_in(ada) == 1
        assert bot.store.schedules.get(ME).paused, "the reminder in flight undid /stop"
        assert next_reminder(bot) is None
        clock.now = EIGHT_PM_LOCAL + timedelta(days=1, minutes=1)
        await sweeps(ada)
        assert reminders_in(ada) == 1


async def test_a_send_that_fails_does_not_end_reminders(tg: FakeTelegram, tmp_path: Path) -> None:
    async with evening(tg, tmp_path) as (bot, ada, clock):
        tg.fail_next("sendMessage", 400, "Bad Request: chat not found")
        clock.now = EIGHT_PM_LOCAL + timedelta(minutes=1)
        await sweeps(ada)
        assert reminders_in(ada) == 0  # today's was lost with the failed call
        assert next_reminder(bot) == EIGHT_PM_LOCAL + timedelta(days=1)
        clock.now = EIGHT_PM_LOCAL + timedelta(days=1, minutes=1)
        await tg.wait_for_message_async(ADA, "Today's plan", timeout=5)


async def test_a_learner_who_unblocks_the_bot_gets_reminders_again(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    async with evening(tg, tmp_path) as (bot, ada, clock):
        tg.block(ADA)  # Telegram tells the bot (my_chat_member: kicked)
        await ada.settle()
        assert not bot.store.people.is_active(ADA)
        clock.now = EIGHT_PM_LOCAL + timedelta(minutes=1)
        await sweeps(ada)
        assert reminders_in(ada) == 0
        assert not [c for c in tg.calls_to("sendMessage") if c.status == 403]  # none attempted
        tg.unblock(ADA)  # my_chat_member: member again
        message = await tg.wait_for_message_async(ADA, "Today's plan", timeout=5)
        assert "Step 1 · The forward pass" in message.text
        assert bot.store.people.is_active(ADA)


async def test_a_reminder_telegram_cannot_take_now_comes_at_the_next_sweep(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    async with evening(tg, tmp_path) as (bot, ada, clock):
        tg.fail_next("sendMessage", 502, times=4)  # more than the retries of one send
        clock.now = EIGHT_PM_LOCAL + timedelta(minutes=1)
        await tg.wait_for_message_async(ADA, "Today's plan", timeout=8)
        await sweeps(ada)
        assert reminders_in(ada) == 1
        assert bot.store.db["outbox"].count == 0

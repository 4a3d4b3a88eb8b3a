"""At your pace or against your deadline, in Telegram: /pace and /deadline with buttons and typed
input, reminders from the JobQueue at the learner's local time, rebuilt after a restart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot import reminders
from bot.model import Schedule
from bot.store import Learner as StoreLearner
from tests.fake_telegram import FakeTelegram
from tests.harness import Learner, RunningBot, running_bot

ADA = 1001
ME = StoreLearner(ADA, ADA)
# Tuesday 24 Nov 2026, 10:00 UTC = 15:30 in UTC+5:30
MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def jobs(bot: RunningBot) -> list:
    assert bot.application.job_queue is not None
    return bot.application.job_queue.get_jobs_by_name(reminders.job_name(ME))


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
        saved = bot.store.schedule(ME)
        assert (saved.zone, saved.goal, saved.remind_at) == ("UTC+05:30", "1-a-day", "20:00")
        (job,) = jobs(bot)
        # 20:00 in UTC+5:30 is 14:30 UTC: 4.5 hours after the controlled clock's 10:00 UTC
        due_in = (job.next_t - datetime.now(UTC)).total_seconds()
        assert abs(due_in - 4.5 * 3600) < 5
        await ada.says("/pace")  # the zone is not asked again
        assert ada.last().text.startswith("Time zone: UTC+05:30.")
        assert bot.errors == []


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
        assert bot.store.schedule(ME).deadline == date(2026, 12, 1)
        await ada.says("/deadline")
        await ada.taps("Type a date…")
        await ada.says("the day after never")
        assert ada.last().text.startswith("I couldn't read that as a date")
        await ada.says("/deadline off")
        assert ada.last().text.startswith("Deadline removed.")
        assert bot.store.schedule(ME).deadline is None
        assert bot.errors == []


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
        assert bot.store.schedule(ME).deadline == date(2026, 11, 25)


async def test_a_reminder_arrives_at_the_local_time_with_todays_work(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    # 20:00 in UTC+5:30 is 14:30 UTC; the clock stands two seconds before it.
    clock = Clock(datetime(2026, 11, 24, 14, 29, 58, tzinfo=UTC))
    async with running_bot(tg, tmp_path / "t.db", clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/start")
        schedule = Schedule(zone="UTC+05:30", goal="1-a-day", remind_at="20:00")
        bot.store.save_schedule(ME, schedule, clock())
        reminders.reschedule(bot.application, ME)
        message = await tg.wait_for_message_async(ADA, "Today's plan", timeout=8)
        assert "Step 1 · The forward pass" in message.text
        assert message.buttons[0][0][0] == "Start step 1 ➜"
        assert bot.store.schedule(ME).last_sent_on == date(2026, 11, 24)
        (job,) = jobs(bot)  # the next one, tomorrow
        assert (job.next_t - datetime.now(UTC)).total_seconds() > 20 * 3600
        assert bot.errors == []


async def test_jobs_are_rebuilt_after_a_restart_and_a_missed_reminder_is_sent_once(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    db = tmp_path / "t.db"
    clock = Clock(MORNING)  # 15:30 in UTC+5:30
    async with running_bot(tg, db, clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/start")
        bot.store.save_schedule(ME, Schedule("UTC+05:30", "1-a-day", "20:00"), clock())
    async with running_bot(tg, db, clock=clock) as bot:  # before reminder time: a job, no message
        ada.bot = bot
        assert len(jobs(bot)) == 1
        assert not any("Today's plan" in t for t in ada.texts())
    clock.now = MORNING + timedelta(hours=6)  # 21:30 local: the bot was down at 20:00
    async with running_bot(tg, db, clock=clock) as bot:
        ada.bot = bot
        await tg.wait_for_message_async(ADA, "Today's plan", timeout=5)
        await ada.settle(quiet=0.3)
    async with running_bot(tg, db, clock=clock) as bot:
        ada.bot = bot
        await ada.settle(quiet=0.3)
        assert sum("Today's plan" in t for t in ada.texts()) == 1  # once, not at every start
        assert len(jobs(bot)) == 1  # tomorrow's


async def test_stopped_and_blocked_learners_get_no_reminders(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    db = tmp_path / "t.db"
    clock = Clock(MORNING + timedelta(hours=6))
    bob = StoreLearner(1002, 1002)
    async with running_bot(tg, db, clock=clock) as bot:
        ada, bobby = Learner(tg, bot, ADA), Learner(tg, bot, 1002, "Bob")
        await ada.says("/start")
        await bobby.says("/start")
        for learner in (ME, bob):
            bot.store.save_schedule(learner, Schedule("UTC+05:30", "1-a-day", "20:00"), clock())
        await ada.says("/stop")
        assert ada.last().text.startswith("🔕 Reminders paused.")
        bot.store.mark_chat_inactive(bob.chat_id, clock())
    async with running_bot(tg, db, clock=clock) as bot:
        ada.bot = bot
        await ada.settle(quiet=0.3)
        assert not any("Today's plan" in t for t in ada.texts() + bobby.texts())
        queued = [j.name for j in bot.application.job_queue.jobs()]
        assert not [name for name in queued if name.startswith("remind:")]


async def test_a_reminder_says_how_far_behind_plan_and_the_streak(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    from bot import plan

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
    async with running_bot(tg, db, clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/start")
        bot.store.save_schedule(ME, schedule, clock())
    async with running_bot(tg, db, clock=clock) as bot:
        ada.bot = bot
        message = await tg.wait_for_message_async(ADA, "Today's plan", timeout=5)
        assert "You're 2 steps behind plan" in message.text
        assert "Step 1 · The forward pass" in message.text


async def test_reminders_stop_with_a_wrap_up_after_the_deadline(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    clock = Clock(MORNING + timedelta(hours=6))
    db = tmp_path / "t.db"
    async with running_bot(tg, db, clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/start")
        passed = Schedule("UTC+05:30", "1-a-day", "20:00", deadline=date(2026, 11, 23))
        bot.store.save_schedule(ME, passed, clock())
    async with running_bot(tg, db, clock=clock) as bot:
        ada.bot = bot
        message = await tg.wait_for_message_async(ADA, "has passed", timeout=5)
        assert message.text.startswith("🏁 Your deadline for How a neural network learns")
        await ada.settle(quiet=0.3)
        assert bot.store.schedule(ME).paused
        assert not jobs(bot)


async def test_pace_turns_stopped_reminders_back_on(tg: FakeTelegram, tmp_path: Path) -> None:
    clock = Clock(MORNING)
    async with running_bot(tg, tmp_path / "t.db", clock=clock) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/start")
        bot.store.save_schedule(ME, Schedule("UTC+05:30", "1-a-day", "20:00"), clock())
        await ada.says("/stop")
        assert jobs(bot) == [] or all(j.removed for j in jobs(bot))
        await ada.says("/pace")
        await ada.taps("2 steps a day")
        await ada.taps("18:00")
        assert ada.last().text.startswith("✅ Done: 2 steps a day, reminders at 18:00")
        assert not bot.store.schedule(ME).paused
        assert [j for j in jobs(bot) if not j.removed]

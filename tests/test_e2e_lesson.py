"""A learner takes the seed lesson in Telegram, tap by tap, over real HTTP to a fake Bot API."""

from __future__ import annotations

from bot.content import Library
from tests.fake_telegram import FakeTelegram
from tests.harness import Learner, RunningBot
from tests.seed import Seed

ADA = 1001


async def open_step_4(ada: Learner) -> None:
    await ada.says("/start")
    await ada.taps("How a neural network learns")
    await ada.taps("Step 4")


async def test_start_greets_and_offers_the_courses(tg: FakeTelegram, bot: RunningBot) -> None:
    ada = Learner(tg, bot, ADA)
    await ada.says("/start")
    welcome = ada.last()
    assert "I'm Tutor" in welcome.text
    assert "How a neural network learns" in ada.buttons(welcome)
    private_menu = [c for c in tg.calls_to("setMyCommands") if "scope" not in c.params]
    commands = private_menu[-1].params["commands"]
    assert [c["command"] for c in commands] == [
        "start",
        "continue",
        "progress",
        "review",
        "pace",
        "deadline",
        "stop",
        "courses",
        "forget",
        "help",
    ]


async def test_a_course_lists_its_steps_with_status_and_the_next_marked(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    ada = Learner(tg, bot, ADA)
    await ada.says("/start neural-networks")
    labels = ada.buttons()
    assert labels[:4] == [
        "🆕 Step 1 · new  👈 next",
        "🆕 Step 2 · new",
        "🆕 Step 3 · new",
        "🆕 Step 4 · new",
    ]
    await ada.taps("Step 4")
    await ada.says("/courses")
    await ada.taps("How a neural network learns")
    assert "▶️ Step 4 · in progress  👈 next" in ada.buttons()


async def test_the_right_path_through_step_4_word_for_word(
    tg: FakeTelegram, bot: RunningBot, seed: Seed
) -> None:
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    intro, q1 = ada.messages()[-2:]
    assert intro.text == f"{seed.header}\n{seed.title}\n\n{seed.intro}"
    assert q1.text.startswith(f"Question 1 of 3\n\n{seed.questions[0].prompt}")
    for option in seed.questions[0].options:
        assert option.text in q1.text

    await ada.taps("B", q1)
    answered = next(m for m in tg.chat_messages(ADA) if m.message_id == q1.message_id)
    assert answered.buttons == []
    assert answered.text.endswith(f"You said: {seed.questions[0].options[1].text}")
    feedback = ada.last()
    assert feedback.text == f"✅ Exactly\n{seed.questions[0].options[1].feedback}"
    assert ada.buttons(feedback) == ["Another way to see it", "Next question ➜"]

    await ada.taps("Another way to see it")
    assert ada.last().text == f"Another way to see it\n{seed.another_way}"
    await ada.taps("Next question ➜")
    bridge, q2 = ada.messages()[-2:]
    assert bridge.text == seed.bridges[0]
    assert q2.text.startswith(f"Question 2 of 3\n\n{seed.questions[1].prompt}")

    await ada.taps("A", q2)
    assert ada.last().text == f"✅ Exactly\n{seed.questions[1].options[0].feedback}"
    await ada.taps("Next question ➜")
    assert ada.messages()[-2].text == seed.bridges[1]
    await ada.taps("A")
    assert ada.last().text == f"✅ Exactly\n{seed.questions[2].options[0].feedback}"
    assert ada.buttons() == ["See the takeaway ➜"]

    await ada.taps("See the takeaway")
    takeaway, pattern, summary = ada.messages()[-3:]
    assert takeaway.text == f"The takeaway\n{seed.takeaway}"
    assert pattern.text == f"The pattern\n{seed.pattern}"
    assert "You've finished “How a neural network learns”" in summary.text
    assert summary.text.count("connected first time") == 3
    assert "Connected first time: 3 of the 3 you answered." in summary.text
    assert summary.text.count("not taken yet") == 3
    assert ada.buttons(summary) == ["Take step 1 ➜", "All courses"]
    assert ada.tap_latencies and max(ada.tap_latencies) < 2


async def test_a_miss_gets_another_angle_and_a_second_try_with_shuffled_options(
    tg: FakeTelegram, bot: RunningBot, seed: Seed
) -> None:
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    await choose(ada, "a")  # Q1: "Along the gradient" — Not quite
    feedback, another, nudge, again = ada.messages()[-4:]
    assert feedback.text == f"❌ Not quite\n{seed.questions[0].options[0].feedback}"
    assert another.text == f"Another way to see it\n{seed.another_way}"
    assert nudge.text == "Have another go: same question, options in a new order."
    assert again.text.startswith(f"Question 1 of 3\n\n{seed.questions[0].prompt}")
    first_listing = [o.text for o in seed.questions[0].options]
    listing = [line.split("  ", 1)[1] for line in again.text.splitlines() if "  " in line]
    assert sorted(listing) == sorted(first_listing) and listing != first_listing
    await choose(ada, "b")
    assert ada.messages()[-2].text == f"✅ Exactly\n{seed.questions[0].options[1].feedback}"
    assert ada.last().text == "That's it — the second angle did it."
    assert ada.buttons() == ["Next question ➜"]


async def test_still_fuzzy_after_two_angles_is_repaired_checked_and_moves_on(
    tg: FakeTelegram, bot: RunningBot, seed: Seed
) -> None:
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    await choose(ada, "c")  # Close
    await choose(ada, "a")  # Not quite: the gradient-points-downhill misconception
    no_shame, repair, intro, check = ada.messages()[-4:]
    assert no_shame.text.startswith("No shame in this")
    assert "What might be tripping you" in repair.text
    assert "From step 3 · " in repair.text
    assert intro.text.startswith("Now a quick check")
    assert check.text.startswith("🔎 Quick check")
    assert ada.buttons(check)[-1] == "Skip for now"
    question = bot.tutor.library.course("neural-networks").step(4)
    right = next(o for o in question.questions[0].check.options if o.verdict.is_right)
    await choose(ada, right.id)
    assert ada.last().text == "Got it — that's the idea. On we go."
    await ada.taps("Next question")
    assert ada.last().text.startswith("Question 2 of 3")


async def test_a_missed_check_can_be_skipped_and_the_summary_says_what_was_shaky(
    tg: FakeTelegram, bot: RunningBot, seed: Seed
) -> None:
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    for _question in range(3):
        await ada.taps("I'm not sure")
        assert any(t.startswith("🤝 No worries") for t in ada.texts()[-4:])
        await ada.taps("I'm not sure")
        assert ada.last().text.startswith("🔎 Quick check")
        await ada.taps("I'm not sure")  # the check, missed: try again, or skip
        assert ada.buttons() == ["Try the check again", "Skip for now"]
        await ada.taps("Skip for now")
        assert ada.messages()[-1].text.startswith("Skipped for now")
        await ada.taps("➜")
    takeaway, _pattern, summary = ada.messages()[-3:]
    assert takeaway.text == f"The takeaway\n{seed.takeaway}"
    assert "Still shaky: 3. They'll come back in your reviews." in summary.text
    assert "Your first review is due tomorrow — /review." in summary.text


async def test_all_twelve_feedback_texts_are_reachable(
    tg: FakeTelegram, bot: RunningBot, seed: Seed, library: Library
) -> None:
    step = library.course("neural-networks").step(4)
    learners = [Learner(tg, bot, 2000 + k, f"L{k}") for k in range(4)]
    for k, learner in enumerate(learners):
        await open_step_4(learner)
        for q, question in enumerate(step.questions):
            await choose(learner, question.options[k].id)
            expected = seed.questions[q].options[k]
            assert any(expected.feedback in t for t in learner.texts()[-4:]), learner.texts()[-4:]
            if not question.options[k].verdict.is_right:
                await choose(learner, next(o.id for o in question.options if o.verdict.is_right))
            await learner.taps("➜")
    assert bot.store.db["answers"].count == 12 + 9


async def test_plain_text_gets_a_hint_and_an_unknown_command_gets_help(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    ada = Learner(tg, bot, ADA)
    await ada.says("hello?")
    assert "tap one of the answers" in ada.last().text
    await ada.says("/frobnicate")
    assert ada.last().text.startswith("I don't know /frobnicate.")
    assert "/continue" in ada.last().text
    await ada.says("/help")
    assert ada.last().text.startswith("What I can do")


async def test_continue_with_nothing_started_offers_the_courses(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    ada = Learner(tg, bot, ADA)
    await ada.says("/continue")
    assert "haven't started" in ada.last().text
    assert ada.buttons() == ["How a neural network learns", *ada.buttons()[1:]]


async def choose(learner: Learner, option_id: str) -> None:
    """Tap the button of one option, whatever its label (a letter or the option's text)."""
    question = learner.with_buttons()
    data = next(
        d
        for row in question.buttons
        for _, d in row
        if d.startswith("a:") and d.endswith(f":{option_id}")
    )
    await learner.taps_data(question, data)


async def test_a_learner_takes_steps_1_to_4_in_order_and_gets_the_summary(
    tg: FakeTelegram, bot: RunningBot, library: Library
) -> None:
    course = library.course("neural-networks")
    ada = Learner(tg, bot, ADA)
    await ada.says("/start")
    await ada.taps("How a neural network learns")
    await ada.taps("Step 1")
    for step in course.steps:
        assert any(t.startswith(course.header(step)) for t in ada.texts()[-2:]), step.number
        for question in step.questions:
            right = next(o for o in question.options if o.verdict.is_right)
            await choose(ada, right.id)
            assert ada.last().text.startswith("✅ Exactly")
            await ada.taps("➜")
        if step.number < 4:
            assert ada.last().text.startswith("Next up in How a neural network learns")
            await ada.taps(f"Start step {step.number + 1}")
    summary = ada.last().text
    assert "You've finished “How a neural network learns”" in summary
    assert "Connected first time: 12 of the 12 you answered." in summary
    await ada.says("/courses")
    await ada.taps("How a neural network learns")
    assert ada.buttons()[:4] == [f"✅ Step {n} · done" for n in range(1, 5)]

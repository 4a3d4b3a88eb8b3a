"""A learner's own topic end to end: the bot's composition root against the fake Bot API and a
fake OpenAI-compatible server, both on 127.0.0.1 over real HTTP, with a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.llm import ModelSettings
from bot.telegram import topics as topics_shell
from tests.fake_llm import FakeLLM, delay, error
from tests.fake_telegram import FakeTelegram, Message
from tests.harness import Learner, RunningBot, running_bot

ADA, BO = 3101, 3102


@pytest.fixture
def llm():
    with FakeLLM() as server:
        yield server


@asynccontextmanager
async def bot_with_model(
    tg: FakeTelegram, llm: FakeLLM, tmp_path: Path, wait: float = 5, **settings
) -> AsyncIterator[RunningBot]:
    model = ModelSettings(llm.url, "tiny-model", "sk-test-key", timeout=wait)
    async with running_bot(tg, tmp_path / "tutor.db", model=model, **settings) as bot:
        yield bot


async def until(learner: Learner, message: Message, words: str, limit: float = 10) -> Message:
    """`message` once an edit makes it say `words`."""
    await learner.tg.wait_for_async(lambda _: words in learner.now(message).text, limit)
    return learner.now(message)


async def ask_to_write(learner: Learner, topic: str = "sourdough") -> Message:
    """/topic on something we have no lesson on, and "Write my lesson": the offer's message,
    which becomes "Writing…" and then the lesson or why not."""
    await learner.says(f"/topic {topic}")
    offer = learner.last()
    assert "I can write you one now" in offer.text
    await learner.taps("Write my lesson", offer)
    return offer


async def play_to_the_pattern(learner: Learner, lesson: Message) -> Message:
    """Answer each question of a written step with its right option: the last message."""
    course_id = next(data for _, data in lesson.buttons[0]).split(":")[2]
    course = learner.bot.tutor.library.course(course_id)
    shown = lesson
    for question in course.steps[0].questions:
        right = next(o for o in question.options if o.verdict.is_right)
        letter = "ABCD"[[o.id for o in question.options].index(right.id)]
        await learner.taps(letter, shown)
        shown = learner.last()
    return shown


async def test_topic_gradient_offers_the_gradient_steps(tg: FakeTelegram, bot: RunningBot) -> None:
    ada = Learner(tg, bot, ADA)
    await ada.says("/topic gradient")
    offer = ada.last()
    assert "what I have on gradient" in offer.text
    assert any(label.startswith("Step 4 of How a neural network learns") for label in ada.buttons())
    await ada.taps("Step 4 of", offer)
    assert "Gradient descent" in ada.last().text and "Question 1 of 3" in ada.last().text


async def test_without_a_model_sourdough_is_noted_honestly(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    ada = Learner(tg, bot, ADA)
    await ada.says("/topic")
    assert "What would you like to learn?" in ada.last().text
    await ada.says("sourdough starters")
    assert "I don't have a lesson on sourdough starters yet" in ada.last().text
    assert "How a neural network learns" in ada.buttons()


async def test_sourdough_is_written_in_place_and_played_to_its_pattern(
    tg: FakeTelegram, llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(topics_shell, "PROGRESS_EVERY", 0.3)
    llm.script(delay(1.0))  # long enough for the learner to see the seconds go by
    async with bot_with_model(tg, llm, tmp_path) as bot:
        ada = Learner(tg, bot, ADA)
        await ada.says("/topic sourdough")
        offer = ada.last()
        assert "I can write you one now" in offer.text
        await ada.taps("Write my lesson", offer)
        assert ada.now(offer).text.startswith("✍️ Writing your lesson on sourdough… ⏳")
        lesson = await until(ada, offer, "Question 1 of 3")
        edits = [c for c in tg.calls_to("editMessageText")
                 if c.params.get("message_id") == offer.message_id]  # fmt: skip
        assert any("⏳ " in str(c.params.get("text")) for c in edits)  # seconds shown
        assert "Written by a language model" in lesson.text
        assert len(llm.requests) == 1 and llm.requests[0].model == "tiny-model"
        ending = await play_to_the_pattern(ada, lesson)
        assert "The pattern" in ending.text and "The takeaway" in ending.text
        assert "That's one thread." in ending.text
        assert tg.refusals == [] and "sk-test-key" not in tg.dump()


async def test_the_next_learner_gets_the_kept_lesson_without_asking_the_model(
    tg: FakeTelegram, llm: FakeLLM, tmp_path: Path
) -> None:
    async with bot_with_model(tg, llm, tmp_path) as bot:
        ada, bo = Learner(tg, bot, ADA), Learner(tg, bot, BO)
        offer = await ask_to_write(ada)
        await until(ada, offer, "Question 1 of 3")
        await bo.says("/topic Sourdough")
        await bo.taps("Start it", bo.last())
        assert "Question 1 of 3" in bo.last().text
        assert len(llm.requests) == 1


async def test_a_model_that_fails_is_said_plainly_and_a_retry_writes_it(
    tg: FakeTelegram, llm: FakeLLM, tmp_path: Path
) -> None:
    llm.script(error(500), error(500))  # the client's one retry fails too
    async with bot_with_model(tg, llm, tmp_path) as bot:
        ada = Learner(tg, bot, ADA)
        offer = await ask_to_write(ada)
        failed = await until(ada, offer, "No lesson on")
        assert "I couldn't reach the model just now" in failed.text
        assert "didn't count against your lessons" in failed.text
        bot.errors.clear()  # the failure was logged, as it should be; nothing raised
        await ada.taps("Try again", failed)
        await until(ada, offer, "Question 1 of 3")


async def test_the_days_allowance_holds(tg: FakeTelegram, llm: FakeLLM, tmp_path: Path) -> None:
    async with bot_with_model(tg, llm, tmp_path, topic_daily=1) as bot:
        ada = Learner(tg, bot, ADA)
        offer = await ask_to_write(ada)
        await until(ada, offer, "Question 1 of 3")
        await ada.says("/topic kombucha")
        assert "You've had 1 new lesson written in the last day" in ada.last().text
        assert len(llm.requests) == 1


async def test_a_write_cut_short_by_a_stop_is_finished_after_the_restart(
    tg: FakeTelegram, llm: FakeLLM, tmp_path: Path
) -> None:
    llm.script(delay(30))  # the model is still writing when the bot stops
    async with bot_with_model(tg, llm, tmp_path) as bot:
        ada = Learner(tg, bot, ADA)
        offer = await ask_to_write(ada)
        await tg.wait_for_async(lambda _: len(llm.requests) == 1, 5)
        bot.errors.clear()
    async with bot_with_model(tg, llm, tmp_path) as bot:
        ada = Learner(tg, bot, ADA)
        await until(ada, offer, "Question 1 of 3")
        assert len(llm.requests) == 2


async def test_a_model_that_takes_too_long_is_said_plainly(
    tg: FakeTelegram, llm: FakeLLM, tmp_path: Path
) -> None:
    llm.script(delay(5), delay(5))  # each request, and the client's one retry, time out
    async with bot_with_model(tg, llm, tmp_path, wait=0.4) as bot:
        ada = Learner(tg, bot, ADA)
        offer = await ask_to_write(ada)
        failed = await until(ada, offer, "No lesson on")
        assert "The model took too long to answer" in failed.text
        assert "Try again" in ada.buttons(ada.now(offer))

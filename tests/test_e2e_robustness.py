"""Bad input and a bad network are harmless: stale, double and forged taps, Telegram errors,
restarts, and learners who tap at the same time."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.content import Library
from bot.core.model import Learner as StoreLearner
from bot.core.model import Phase, Position, Refusal, Target
from bot.views import lesson as render
from bot.views.message import plain
from tests.conftest import NOW
from tests.fake_telegram import FakeTelegram
from tests.harness import Learner, RunningBot, running_bot
from tests.seed import read_seed
from tests.test_e2e_lesson import open_step_4

ADA, BOB = 1001, 1002
BRIDGE = read_seed().bridges[0]  # from question 1 of step 4 to question 2


def answer_texts(tg: FakeTelegram) -> list[str | None]:
    return [a.text for a in tg.callback_answers]


@pytest.mark.parametrize(
    ("button", "verdict", "then", "at"),
    [
        (1, "✅ Exactly", f"{BRIDGE}\n\nQuestion 2 of 3", (1, 1)),  # "B": right, question 2
        (0, "❌ Not quite", "Another way to see it", (0, 2)),  # "A": missed, a second try
    ],
    ids=["right", "missed"],
)
async def test_a_second_tap_on_the_same_question_counts_once(
    tg: FakeTelegram, bot: RunningBot, button: int, verdict: str, then: str, at: tuple
) -> None:
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    question = ada.with_buttons()
    data = question.buttons[0][button][1]
    since = len(tg.calls)
    tg.tap(ADA, question.message_id, data)
    tg.tap(ADA, question.message_id, data)
    await ada.settle()
    assert bot.store.db["answers"].count == 1
    assert answer_texts(tg)[-1] == render.REFUSAL_NOTICE[Refusal.ALREADY_COUNTED]
    assert sum(verdict in t for t in ada.texts()) == 1
    assert sum(t.startswith(then) for t in ada.texts()) == 1
    # The second tap costs nothing but its notice, though the lesson had moved on.
    assert [c.method for c in ada.calls_since(since)] == ["editMessageText", "sendMessage"]
    current = bot.store.positions.current(ada_learner())
    assert current is not None and (current.question, current.attempt) == at  # untouched since


async def test_a_tap_on_an_older_question_changes_nothing_and_shows_where_you_are(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    old_copy = ada.with_buttons()
    await ada.says("/continue")  # the same question again, as a new message
    await ada.taps("B")  # answered there: question 2 follows at once
    await ada.taps("C", old_copy)  # the question just answered, from its older copy
    assert answer_texts(tg)[-1] == render.REFUSAL_NOTICE[Refusal.ALREADY_COUNTED]
    assert bot.store.db["answers"].count == 1
    await ada.taps("A")  # question 2, right: question 3 follows
    answers_before = bot.store.db["answers"].count
    await ada.taps("C", old_copy)  # two questions back now
    assert answer_texts(tg)[-1] == render.REFUSAL_NOTICE[Refusal.OUTDATED]
    assert bot.store.db["answers"].count == answers_before
    assert ada.now(old_copy).text == old_copy.text  # nothing was added to it
    shown = ada.last()
    assert shown.text.startswith("Question 3 of 3")
    await ada.taps("A", shown)  # the re-shown question is live
    assert "✅ Exactly" in ada.now(shown).text


@pytest.mark.parametrize(
    "data",
    ["a:1:no-such-course:4:0:b", "a:3:neural-networks:4:9:b", "s:neural-networks:99", "garbage"],
)
async def test_a_forged_tap_gets_a_short_answer_and_a_log_line(
    tg: FakeTelegram, bot: RunningBot, caplog: pytest.LogCaptureFixture, data: str
) -> None:
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    position = bot.store.positions.current(ada_learner())
    with caplog.at_level(logging.WARNING, logger="bot"):
        await ada.taps_data(ada.with_buttons(), data, forge=True)
    assert answer_texts(tg)[-1] == render.REFUSAL_NOTICE[Refusal.UNKNOWN]
    assert data in caplog.text
    assert bot.store.positions.current(ada_learner()) == position
    assert tg.unanswered_queries() == []


def ada_learner() -> StoreLearner:
    return StoreLearner(ADA, ADA)


async def test_a_429_and_a_502_from_telegram_are_survived(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    ada = Learner(tg, bot, ADA)
    tg.fail_next("sendMessage", 429, retry_after=1)
    await ada.says("/start")
    assert "I'm Tutor" in ada.last().text
    tg.fail_next("sendMessage", 502, times=2)
    await ada.taps("How a neural network learns")
    assert ada.last().text.startswith("How a neural network learns")
    failures = [c.status for c in tg.calls_to("sendMessage") if c.status != 200]
    assert failures == [429, 502, 502]


async def test_an_expired_callback_query_does_not_stop_the_lesson(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    tg.fail_next(
        "answerCallbackQuery",
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    question = ada.last()
    tg.tap_button(ADA, None, "B")
    await ada.settle()
    assert "✅ Exactly" in ada.now(question).text
    assert ada.last().text.startswith(f"{BRIDGE}\n\nQuestion 2 of 3")


async def test_a_learner_who_blocked_the_bot_is_marked_inactive_not_an_error(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    ada = Learner(tg, bot, ADA)
    tg.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await ada.says("/start")
    assert not bot.store.people.is_active(ADA)
    await ada.says("/help")  # writing again means they unblocked us
    assert bot.store.people.is_active(ADA)
    assert ada.last().text.startswith("What I can do")


async def test_two_learners_tapping_at_once_are_both_served_in_order(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    ada, bob = Learner(tg, bot, ADA, "Ada"), Learner(tg, bot, BOB, "Bob")
    await open_step_4(ada)
    await open_step_4(bob)
    for method in ("editMessageText", "sendMessage"):  # Telegram is slow for Ada only
        tg.delay(method, 1.0, chat_id=ADA)
    tg.tap_button(ADA, None, "B")
    tg.send_text(ADA, "/help")  # queued behind the tap: must come after its feedback
    tg.tap_button(BOB, None, "C")
    bob_feedback = await tg.wait_for_message_async(BOB, "🟡 Close", timeout=0.9)
    assert not any("✅ Exactly" in t for t in ada.texts()), "Bob waited for Ada"
    assert bob_feedback
    await ada.settle()
    to_ada = [plain(call.params["text"]) for call in ada.calls_since(0)]  # in the order made
    exactly = next(i for i, text in enumerate(to_ada) if "✅ Exactly" in text)
    helped = next(i for i, text in enumerate(to_ada) if text.startswith("What I can do"))
    assert exactly < helped


async def test_a_restart_changes_nothing_for_the_learner(tg: FakeTelegram, tmp_path: Path) -> None:
    db = tmp_path / "tutor.db"
    async with running_bot(tg, db) as first:
        ada = Learner(tg, first, ADA)
        await open_step_4(ada)
        await ada.taps("A")  # Not quite: another angle, and the question again, shuffled
        before = first.store.positions.current(ada_learner())
        shown = ada.last()
        assert shown.text.startswith("Another way to see it")
        assert first.errors == []
    async with running_bot(tg, db) as second:
        ada.bot = second
        await ada.says("/continue")
        assert second.store.positions.current(ada_learner()) == before
        resumed = ada.last()  # the same second try, in the same order
        assert resumed.text == shown.text[shown.text.index("Question 1 of 3") :]
        assert resumed.buttons == shown.buttons
        await ada.taps(letter_of(resumed, "Against the gradient (the opposite direction)"))
        assert "✅ Exactly" in ada.now(resumed).text
        assert ada.last().text.startswith(
            f"That's it — the second angle did it.\n\n{BRIDGE}\n\nQuestion 2 of 3"
        )
        assert second.errors == []


async def test_reviews_and_the_map_survive_a_restart(tg: FakeTelegram, tmp_path: Path) -> None:
    db = tmp_path / "tutor.db"
    clock = [NOW]
    async with running_bot(tg, db, clock=lambda: clock[0]) as first:
        ada = Learner(tg, first, ADA)
        await open_step_4(ada)
        await ada.taps("B")
        await ada.says("/progress")
        before = ada.last().text
        assert "✅ stepping against the gradient · first time ✨" in before
        assert "🗓 stepping against the gradient: in 2 days" in before
    async with running_bot(tg, db, clock=lambda: clock[0]) as second:
        ada.bot = second
        await ada.says("/progress")
        assert ada.last().text == before  # the same map after a restart
        await ada.says("/review")
        assert (
            ada.last().text == "Nothing is due for review right now. The next one is due in 2 days."
        )
        clock[0] = NOW + timedelta(days=2, hours=1)
        await ada.says("/start")
        assert ada.last().text == "🔁 1 idea is due for review — /review"
        await ada.says("/review")
        card = ada.last()  # the reviews' intro and the first card: one message
        assert card.text.startswith(
            "🔁 Review time: 1 due. One at a time, options shuffled.\n\n"
            "🔁 Review · How a neural network learns, step 4"
        )
        await ada.taps(letter_of(card, "Against the gradient (the opposite direction)"))
        assert "✅ Exactly" in ada.now(card).text
        assert ada.buttons(ada.now(card))[-1] == "Next review ➜"
        await ada.taps("Next review", ada.now(card))
        done = ada.last()  # all caught up, and the lesson where it was: question 2
        assert done.text.startswith("✅ All caught up on reviews. The next one is due in ")
        assert "Back to your lesson, right where you were:\n\nQuestion 2 of 3" in done.text
        await ada.taps("A", done)  # its buttons are live
        assert "✅ Exactly" in ada.now(done).text
        assert ada.last().text.startswith("Now put the whole loop together")
        assert second.errors == []


def letter_of(message, option_text: str) -> str:
    """The button label of an option in a listed question (its letter)."""
    for line in message.text.splitlines():
        if line.endswith(option_text) and "  " in line:
            return line.split("  ", 1)[0]
    raise AssertionError(option_text)


async def test_many_learners_at_once_are_all_served(tg: FakeTelegram, bot: RunningBot) -> None:
    crowd = [Learner(tg, bot, 5000 + i, f"L{i}") for i in range(20)]
    for learner in crowd:
        tg.send_text(learner.user_id, "/start neural-networks")
    await crowd[0].settle()
    for learner in crowd:
        tg.tap_button(learner.user_id, None, "Step 4")
    await crowd[0].settle()
    questions = [learner.with_buttons() for learner in crowd]
    await asyncio.gather(*(learner.taps("B") for learner in crowd))
    for learner, question in zip(crowd, questions, strict=True):
        assert "✅ Exactly" in learner.now(question).text
        assert learner.last().text.startswith(f"{BRIDGE}\n\nQuestion 2 of 3")
    assert bot.store.db["answers"].count == 20


async def test_a_surprise_is_logged_and_the_learner_gets_a_kind_word(
    tg: FakeTelegram, bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)

    def broken(*_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.store.positions, "current", broken)
    await ada.taps("B")
    assert ada.last().text.startswith("Sorry — something went wrong on my side.")
    assert "Traceback" not in "".join(ada.texts())
    assert [str(e) for e in bot.errors] == ["disk on fire"]
    bot.errors.clear()  # the one error this test caused on purpose
    monkeypatch.undo()
    await ada.says("/continue")
    assert ada.last().text.startswith("Question 1 of 3")


async def test_a_returning_learner_is_welcomed_back_to_where_they_were(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    await ada.taps("B")  # question 2 follows at once
    await ada.says("/start")
    assert ada.last().text == "Welcome back! You were on Step 4, question 2. /continue picks it up."


async def test_a_surprise_after_the_tap_was_answered_does_not_answer_it_twice(
    tg: FakeTelegram, bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    outbox = bot.application.bot_data["outbox"]

    async def broken(*_: object) -> None:
        raise RuntimeError("edit failed oddly")

    monkeypatch.setattr(outbox, "replace", broken)
    await ada.taps("B")
    assert ada.last().text.startswith("Sorry — something went wrong on my side.")
    assert [str(e) for e in bot.errors] == ["edit failed oddly"]
    bot.errors.clear()  # caused on purpose; the tg fixture still checks nothing was refused


async def test_feedback_whose_edit_is_refused_comes_as_a_message_of_its_own(
    tg: FakeTelegram, bot: RunningBot, library: Library
) -> None:
    """The question can no longer be edited (deleted, say): the question with the choice,
    the verdict and the other angle's button comes as a message of its own instead, so the
    feedback is never lost."""
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    question = ada.last()
    tg.fail_next("editMessageText", 400, "Bad Request: message to edit not found")
    await ada.taps("B", question)
    right = library.course("neural-networks").step(4).questions[0].option("b")
    feedback, following = ada.messages()[-2:]
    added = f"You said: {right.text}\n\n✅ Exactly\n{right.feedback}"
    assert feedback.text == f"{question.text}\n\n{added}"
    assert ada.now(question).text == question.text
    assert ada.buttons(feedback) == ["Another way to see it"]
    assert following.text.startswith(f"{BRIDGE}\n\nQuestion 2 of 3")
    await ada.taps("Another way to see it", feedback)
    assert ada.now(feedback).text.endswith(f"Another way to see it\n{read_seed().another_way}")


async def test_next_question_saved_before_answers_went_straight_on_still_works(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    """A learner who stopped at an answer's feedback before the change (their position rests
    there, with "Next question ➜" under it) finds it as they left it, and its buttons work."""
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    asking = bot.store.positions.current(ada_learner())
    assert asking is not None
    resting = replace(asking, phase=Phase.ANSWERED, seq=asking.seq + 1, chosen="b")
    save(bot, resting)
    await ada.says("/continue")
    assert ada.last().text.startswith("✅ Exactly")
    assert ada.buttons() == ["Another way to see it", "Next question ➜"]
    await ada.taps("Another way to see it")
    assert ada.last().text == f"Another way to see it\n{read_seed().another_way}"
    assert ada.buttons() == ["Next question ➜"]
    await ada.taps("Next question")
    assert ada.last().text.startswith(f"{BRIDGE}\n\nQuestion 2 of 3")
    await ada.taps("A")  # and on in the new way: the answer goes on to question 3 at once
    assert ada.last().text.startswith("Now put the whole loop together")


async def test_try_the_check_again_saved_before_the_change_still_works(
    tg: FakeTelegram, bot: RunningBot, library: Library
) -> None:
    check = library.course("neural-networks").step(4).questions[0].check
    right = next(o for o in check.options if o.verdict.is_right)
    wrong = next(o for o in check.options if not o.verdict.is_right)
    ada = Learner(tg, bot, ADA)
    await open_step_4(ada)
    asking = bot.store.positions.current(ada_learner())
    assert asking is not None
    missed = replace(
        asking, phase=Phase.CHECK_MISSED, seq=asking.seq + 3, target=Target.CHECK,
        attempt=1, chosen=wrong.id,
    )  # fmt: skip
    save(bot, missed)
    await ada.says("/continue")
    assert ada.buttons() == ["Try the check again", "Skip for now"]
    await ada.taps("Try the check again")
    assert ada.last().text.startswith("🔎 Quick check")
    await ada.taps(right.text)
    assert ada.last().text.startswith(f"Got it — that's the idea. On we go.\n\n{BRIDGE}")


def save(bot: RunningBot, position: Position) -> None:
    """Put the learner where a bot from before the change left them."""
    with bot.store.transaction():
        bot.store.positions.put(ada_learner(), position, None, NOW)

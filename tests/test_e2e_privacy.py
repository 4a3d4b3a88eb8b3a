"""/forget and /admin in Telegram, over real HTTP to the fake Bot API: the shell marks the "Yes,
delete" update handled in the same transaction that deletes the learner, so its id survives the
deletion (a repeat is refused) and nothing names the learner afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.fake_telegram import FakeTelegram
from tests.harness import Learner, RunningBot

ADA = 1001


def rows_naming(bot: RunningBot, user_id: int) -> dict[str, int]:
    db, found = bot.store.db, {}
    for table in db.table_names():
        columns = {c.name for c in db[table].columns}
        for column in ("user_id", "chat_id"):
            if column in columns:
                sql = f"select count(*) from {table} where {column} = ?"
                found[f"{table}.{column}"] = db.execute(sql, [user_id]).fetchone()[0]
    return {name: n for name, n in found.items() if n}


async def test_forget_in_telegram_deletes_the_learner_and_keeps_exactly_once(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    ada = Learner(tg, bot, ADA)
    await ada.says("/start")
    await ada.taps("How a neural network learns")
    await ada.taps("Step 4")
    await ada.taps("B")
    assert "answers.user_id" in rows_naming(bot, ADA)

    await ada.says("/forget")
    question = ada.last()
    assert ada.buttons(question) == ["Yes, delete", "Keep it"]
    yes = next(data for row in question.buttons for label, data in row if label == "Yes, delete")
    await ada.taps("Yes, delete", question)

    assert ada.last().text.startswith("🗑 Done. I deleted:\n• 1 answer\n")
    assert ada.messages()[-2].buttons == []  # the question's buttons are gone
    assert rows_naming(bot, ADA) == {}
    (last_update,) = bot.store.db.execute("select max(update_id) from updates").fetchone()
    assert bot.store.inbox.is_handled(last_update)
    assert not bot.store.inbox.receive(last_update, ADA, "{}", datetime.now(UTC))  # a repeat

    await ada.taps_data(question, yes, forge=True)  # a second tap, from an old screen
    answer = tg.calls_to("answerCallbackQuery")[-1].params
    assert answer.get("text") == "That one's done — already counted."
    assert rows_naming(bot, ADA) == {"updates.chat_id": 1}  # that tap's own id: a new visit


async def test_admin_in_telegram_answers_admins_only(tg: FakeTelegram, bot: RunningBot) -> None:
    bot.tutor.admins = frozenset({ADA})
    ada, eve = Learner(tg, bot, ADA), Learner(tg, bot, 1002, "Eve")
    await ada.says("/admin")
    assert ada.last().text.startswith("📊 Tutor figures")
    assert "👥 Learners: 1" in ada.last().text.splitlines()
    await eve.says("/admin")
    assert eve.last().text.startswith("I don't know /admin.")

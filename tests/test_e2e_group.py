"""Group study end to end: the bot in-process against the fake Bot API (privacy mode: it sees
only commands and taps in the group), a real SQLite file. A group takes a whole step; every
member's verdict comes to them alone; the group sees counts and reveals; each member's own
/progress shows the step; nothing Telegram would refuse is sent (the `tg` fixture), nothing
fails (the `bot` fixture), and the group never gets more than 20 calls in a minute."""

from __future__ import annotations

import pytest

from tests.conftest import CONTENT
from tests.fake_telegram import FakeTelegram, Message
from tests.harness import RunningBot, running_bot

GROUP, OTHER = -1001234567, -1007654321
ANN, BOB, CY, DEE = 501, 502, 503, 504
"""Ann is the admin and has started the bot; Bob has too; Cy and Dee have not."""


@pytest.fixture
def tg():
    server = FakeTelegram(group_limit=True).start()  # a 21st call in a minute would be refused
    server.add_user(ANN, "Ann")
    server.add_user(BOB, "Bob")
    server.add_user(CY, "Cy", started=False)
    server.add_user(DEE, "Dee", started=False)
    server.add_group(GROUP, "Study hall", members=(ANN, BOB, CY, DEE), admins=(ANN,))
    yield server
    server.stop()
    assert server.refusals == [], server.dump()


class Group:
    """The group as its members use it: commands, taps, and waiting for the bot to settle."""

    def __init__(self, tg: FakeTelegram, bot: RunningBot, chat_id: int = GROUP):
        self.tg, self.bot, self.chat_id = tg, bot, chat_id

    async def settle(self) -> None:
        from tests.harness import Learner

        await Learner.settle(self)  # type: ignore[arg-type] - needs only .tg and .bot

    async def says(self, user_id: int, text: str) -> None:
        self.tg.send_text(user_id, text, chat_id=self.chat_id)
        await self.settle()

    async def taps(self, user_id: int, label: str, message: Message | None = None) -> str:
        target = message or self.with_buttons()
        query = self.tg.tap_button(user_id, target.message_id, label, chat_id=self.chat_id)
        await self.tg.wait_for_async(lambda tg: query not in tg.unanswered_queries(), 5)
        await self.settle()
        return query

    async def answers(self, user_id: int, option_id: str) -> tuple[str, str | None]:
        """Tap the option `option_id` on the open question: the alert's text and link (a
        verdict is an alert the member dismisses; "already counted" is a passing toast)."""
        question = self.with_buttons()
        data = next(d for row in question.buttons for _, d in row if d and d.endswith(option_id))
        query = self.tg.tap(user_id, question.message_id, data, chat_id=self.chat_id)
        await self.tg.wait_for_async(lambda tg: query not in tg.unanswered_queries(), 5)
        await self.settle()
        answer = next(a for a in self.tg.callback_answers if a.callback_query_id == query)
        assert answer.text is not None
        assert answer.show_alert == (not answer.text.startswith("Already counted")), answer
        return answer.text, answer.url

    def messages(self) -> list[Message]:
        return [m for m in self.tg.chat_messages(self.chat_id) if m.from_bot and not m.deleted]

    def texts(self) -> list[str]:
        return [m.text for m in self.messages()]

    def with_buttons(self) -> Message:
        return next(m for m in reversed(self.messages()) if m.buttons)

    def private(self, user_id: int) -> list[str]:
        return [m.text for m in self.tg.chat_messages(user_id) if m.from_bot]


async def start_step_4(group: Group, args: str = "off") -> Message:
    for user in (ANN, BOB):  # they have started the bot in private
        group.tg.send_text(user, "/start")
    await group.says(ANN, f"/study {args}".strip())
    await group.taps(ANN, "How a neural network learns")
    await group.taps(ANN, "Step 4")
    return group.with_buttons()


async def test_a_group_takes_a_whole_step_together(tg: FakeTelegram, bot: RunningBot) -> None:
    group = Group(tg, bot)
    question = await start_step_4(group)
    assert "Gradient descent" in question.text and "Question 1 of 3" in question.text
    assert "0 answered" in question.text

    ann_alert, ann_link = await group.answers(ANN, "b")
    assert ann_alert.startswith("✅ Exactly") and ann_link is None
    bob_alert, _ = await group.answers(BOB, "a")
    assert bob_alert.startswith("❌ Not quite")
    cy_alert, cy_link = await group.answers(CY, "c")
    assert cy_alert.startswith("🟡 Close") and len(cy_alert) <= 200
    assert cy_alert.endswith("Open me in private for the full explanation.")
    assert cy_link == "https://t.me/tutor_test_bot?start=group"
    again, _ = await group.answers(CY, "c")
    assert again.startswith("Already counted")

    # The full feedback reaches those who started the bot, privately; another way on a miss.
    assert any(t.startswith("👥") and "✅ Exactly" in t for t in group.private(ANN))
    bob = [t for t in group.private(BOB) if t.startswith("👥")]
    assert "❌ Not quite" in bob[0] and "Another way to see it" in bob[0]
    assert group.private(CY) == []  # never started: nothing can be sent there
    # Nobody's choice or name shows in the group before the reveal.
    assert not any(name in t for t in group.texts() for name in ("Ann", "Bob", "Cy"))

    await tg.wait_for_async(lambda _: "3 answered" in group.with_buttons().text, 10)
    await group.says(ANN, "/reveal")
    reveal = group.texts()[-1]
    assert reveal.startswith("Question 1 of 3 — the answer")
    assert reveal.count("1 chose this") == 3 and "nobody chose this" in reveal
    closed = next(m for m in group.messages() if m.message_id == question.message_id)
    assert closed.buttons == [] and "3 answered" in closed.text
    # Bob missed: privately, what seems to trip him and the way back one step.
    assert any("Still fuzzy? Let's go back one step" in t for t in group.private(BOB))

    await group.taps(ANN, "Next question")
    for user, option in ((ANN, "a"), (BOB, "a")):
        await group.answers(user, option)
    assert not group.texts()[-1].startswith("Question 2 of 3 — the answer")  # Cy joined too
    await group.answers(CY, "a")  # everyone who joined has answered: the reveal comes at once
    assert group.texts()[-1].startswith("Question 2 of 3 — the answer")

    await group.taps(ANN, "Next question")
    for user in (ANN, BOB, CY):
        await group.answers(user, "a")
    await group.taps(ANN, "See the takeaway")
    ending = group.texts()[-1]
    step = _step_4_texts()
    assert "The takeaway" in ending and step["takeaway"][:60] in ending
    assert "The pattern" in ending and step["pattern"][:60] in ending
    assert "How the group did" in ending and "3 members studied together" in ending

    # Each member's own record, in private.
    tg.send_text(BOB, "/progress")
    await group.settle()
    assert "✅ 4" in group.private(BOB)[-1] or "✅ Step 4" in group.private(BOB)[-1]
    assert len(tg.calls_to("getChatAdministrators")) == 1  # cached
    assert tg.max_per_minute(GROUP) <= 20


def _step_4_texts() -> dict[str, str]:
    import yaml

    data = yaml.safe_load((CONTENT / "neural-networks" / "step-4.yaml").read_text())
    return {"takeaway": data["takeaway"], "pattern": data["pattern"]}


async def test_a_non_admin_cannot_start_and_nothing_changes(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    group = Group(tg, bot)
    await group.says(DEE, "/study")
    assert group.texts()[-1].startswith("Only the group's admins")
    assert bot.store.groups.session(GROUP) is None
    await group.says(DEE, "/study anyone")
    assert group.texts()[-1].startswith("Only the group's admins can change")
    await group.says(ANN, "/study anyone")
    await group.says(DEE, "/study")
    assert group.with_buttons().text.startswith("📚 Study together")


async def test_a_non_admin_tapping_the_menu_gets_a_short_answer(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    group = Group(tg, bot)
    await group.says(ANN, "/study")
    menu = group.with_buttons()
    query = await group.taps(DEE, "How a neural network learns", menu)
    answer = next(a for a in tg.callback_answers if a.callback_query_id == query)
    assert answer.text.startswith("Only the group's admins")
    assert group.with_buttons().text == menu.text  # unchanged


async def test_stale_and_forged_group_taps_change_nothing(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    group = Group(tg, bot)
    question = await start_step_4(group)
    await group.answers(BOB, "a")
    await group.says(ANN, "/reveal")
    stale = tg.tap(BOB, question.message_id, "ga:1:b", chat_id=GROUP, forge=True)
    forged = tg.tap(BOB, question.message_id, "ga:999:b", chat_id=GROUP, forge=True)
    private_button = tg.tap(BOB, question.message_id, "a:1:neural-networks:4:0:b",
                            chat_id=GROUP, forge=True)  # fmt: skip
    await group.settle()
    answers = {a.callback_query_id: a.text for a in tg.callback_answers}
    assert answers[stale].startswith("That question is closed")
    assert answers[forged].startswith("That question is closed")
    assert answers[private_button] == "That button doesn't lead anywhere now."
    rows = bot.store.db.execute("select option_id from group_answers").fetchall()
    assert rows == [("a",)]


async def test_two_groups_and_a_private_lesson_never_mix(tg: FakeTelegram, bot: RunningBot) -> None:
    tg.add_group(OTHER, "Night owls", members=(ANN, BOB), admins=(BOB,))
    first, second = Group(tg, bot), Group(tg, bot, OTHER)
    await start_step_4(first)
    await second.says(BOB, "/study off")
    await second.taps(BOB, "How a neural network learns")
    await second.taps(BOB, "Step 1")
    tg.send_text(ANN, "/start neural-networks")  # Ann studies privately at the same time
    await first.settle()
    await first.answers(ANN, "b")
    await second.answers(ANN, "a")
    one, two = bot.store.groups.session(GROUP), bot.store.groups.session(OTHER)
    assert (one.step, two.step) == (4, 1)
    assert [a.option_id for a in one.answers] == ["b"] and [a.option_id for a in two.answers] == [
        "a"
    ]
    assert bot.store.positions.current(bot_learner(ANN)) is None  # private lesson untouched


def bot_learner(user_id: int):
    from bot.core.model import Learner

    return Learner(user_id, user_id)


async def test_a_group_upgraded_to_a_supergroup_keeps_its_session(tmp_path) -> None:
    old, new = -4001, -1004001
    with FakeTelegram() as tg:
        tg.add_user(ANN, "Ann")
        tg.add_user(BOB, "Bob")
        tg.add_group(old, "Small group", members=(ANN, BOB), admins=(ANN,), kind="group")
        async with running_bot(tg, tmp_path / "tutor.db") as bot:
            group = Group(tg, bot, old)
            await start_step_4(group)
            await group.answers(BOB, "a")
            tg.migrate_group(old, new)
            await group.settle()
            moved = Group(tg, bot, new)
            await moved.answers(ANN, "b")  # the old question, tapped in the supergroup
            await moved.says(ANN, "/reveal")
            assert moved.texts()[-1].startswith("Question 1 of 3 — the answer")
            assert moved.texts()[-1].count("1 chose this") == 2
            assert bot.store.groups.session(old) is None
        assert tg.refusals == [], tg.dump()


async def test_the_bot_removed_ends_the_session_quietly(tg: FakeTelegram, bot: RunningBot) -> None:
    group = Group(tg, bot)
    await start_step_4(group)
    sent = len(tg.calls_to("sendMessage"))
    tg.remove_bot(GROUP)
    await group.settle()
    assert bot.store.groups.session(GROUP) is None
    assert len(tg.calls_to("sendMessage")) == sent
    tg.add_bot(GROUP)
    await group.settle()
    assert group.texts()[-1].startswith("👋 Hi! I run study sessions")


async def test_posts_as_the_group_or_a_channel_get_a_short_answer(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    group = Group(tg, bot)
    tg.send_anonymous(GROUP, "/study")
    await group.settle()
    assert group.texts()[-1].startswith("I can't tell who's asking")
    assert bot.store.groups.session(GROUP) is None


async def test_a_thirty_member_group_answering_at_once_stays_within_the_limit(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    members = tuple(range(7000, 7030))
    for user in members:
        tg.add_user(user, f"M{user}", started=user % 2 == 0)
        tg.add_member(GROUP, user)
    group = Group(tg, bot)
    question = await start_step_4(group, "")
    queries = [
        tg.tap(user, question.message_id, f"ga:1:{'ab'[user % 2]}", chat_id=GROUP)
        for user in members
    ]
    await tg.wait_for_async(lambda t: not set(queries) & set(t.unanswered_queries()), 20)
    await group.says(ANN, "/reveal")
    assert group.texts()[-2].startswith("Question 1 of 3 — the answer")  # then question 2
    assert "15 chose this" in group.texts()[-2]
    assert group.texts()[-1].startswith("Question 2 of 3")  # the timer is on: it moves on
    assert tg.max_per_minute(GROUP) <= 20
    assert len([m for m in tg.calls_to("sendMessage") if m.params["chat_id"] == GROUP]) <= 4

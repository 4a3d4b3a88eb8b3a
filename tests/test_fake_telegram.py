"""The fake Telegram server, driven by python-telegram-bot's own Bot over real HTTP.

Each test proves that a refusal arrives as the exception PTB raises in production, or that a
behaviour the bot relies on (long polling, offsets, keyboards, edits) is modelled.
"""

from __future__ import annotations

import asyncio
import html
import json
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import ApplicationBuilder
from telegram.warnings import PTBUserWarning

from tests.fake_telegram import FakeTelegram

pytestmark = [
    pytest.mark.filterwarnings("error::telegram.warnings.PTBUserWarning"),
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]
ADA, BOB, GROUP = 42, 43, -1001234567890


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        fake.add_user(ADA, "Ada", "ada")
        fake.add_user(BOB, "Bob")
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url) as client:
        yield client


def post_raw(tg: FakeTelegram, path: str, body: bytes = b"", json_body: bool = False) -> dict:
    """Bypass PTB to see the wire format itself."""
    headers = {"Content-Type": "application/json"} if json_body else {}
    request = urllib.request.Request(f"{tg.api_url}{path}", data=body or None, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


# ------------------------------------------------------------------ happy paths


async def test_send_message_is_returned_parsed_and_recorded(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(
        ADA, "<b>Step 1</b> &lt;intro&gt;", parse_mode="HTML", reply_markup=keyboard([("Go", "g")])
    )
    assert sent.text == "Step 1 <intro>" and sent.text_html == "<b>Step 1</b> &lt;intro&gt;"
    assert sent.from_user.username == "tutor_test_bot" and sent.chat.id == ADA
    [msg] = tg.chat_messages(ADA)
    assert (msg.message_id, msg.text, msg.html) == (
        sent.message_id,
        "Step 1 <intro>",
        sent.text_html,
    )
    assert msg.buttons == [[("Go", "g")]] and not msg.edited and not msg.deleted
    [call] = tg.calls_to("sendMessage")
    assert call.params["chat_id"] == ADA and call.params["reply_markup"]["inline_keyboard"]
    assert tg.refusals == []


async def test_message_ids_grow_per_chat_and_include_the_users_messages(
    tg: FakeTelegram, bot: Bot
) -> None:
    assert tg.send_text(ADA, "hi") == 1
    assert (await bot.send_message(ADA, "one")).message_id == 2
    assert (await bot.send_message(BOB, "one")).message_id == 1
    assert tg.last_message(ADA).text == "one"


async def test_application_start_up_and_polling_use_only_accepted_calls(tg: FakeTelegram) -> None:
    app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()
    async with app:
        await app.updater.start_polling(timeout=5)
        tg.send_text(ADA, "/start")
        update = await asyncio.wait_for(app.update_queue.get(), 2)
        assert update.message.text == "/start" and update.message.entities[0].type == "bot_command"
        await app.updater.stop()
    await asyncio.sleep(0.2)  # let the server finish the poll that stop() cut short
    assert [c.method for c in tg.calls[:3]] == ["getMe", "deleteWebhook", "getUpdates"]
    assert tg.calls_to("getUpdates")[-1].params == {"offset": update.update_id + 1, "timeout": 0}
    assert tg.refusals == []  # the poll cut short at shutdown is excused, not a refusal


async def test_bot_settings_round_trip(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("courses", "All courses")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "courses"]
    assert await bot.set_my_description("Learn a concept") and await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Begin")])
    assert await bot.send_chat_action(ADA, "typing") and tg.chat_actions == [(ADA, "typing")]
    assert await bot.set_my_name("Tutor")  # a real method the fake does not model: recorded
    assert [c.method for c in tg.unimplemented] == ["setMyName"]


# ------------------------------------------------------------------ protocol refusals


async def test_wrong_token_is_unauthorized(tg: FakeTelegram) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with Bot("999:WRONG", base_url=tg.base_url):
            pass  # Bot.initialize() calls getMe, which is refused
    assert tg.refusals[0].description == "Unauthorized"


async def test_unknown_method_is_404(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")
    body = post_raw(tg, f"/bot{tg.token}/sendTelepathy")
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_unknown_and_missing_parameters_are_refused(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)unknown parameter parse_mod$"):
        await bot.send_message(ADA, "x", api_kwargs={"parse_mod": "HTML"})
    with (
        pytest.raises(BadRequest, match=r"(?i)message text is empty"),
        pytest.warns(PTBUserWarning),
    ):
        await bot.do_api_request("sendMessage", api_kwargs={"chat_id": ADA})
    assert [c.status for c in tg.refusals] == [400, 400] and tg.chat_messages(ADA) == []


async def test_json_and_query_string_requests_are_understood(tg: FakeTelegram) -> None:
    payload = {"chat_id": ADA, "text": "json", "reply_markup": {"inline_keyboard": []}}
    body = post_raw(tg, f"/bot{tg.token}/sendMessage", json.dumps(payload).encode(), True)
    assert body["ok"] and body["result"]["text"] == "json" and "reply_markup" not in body["result"]
    assert post_raw(tg, f"/bot{tg.token}/getme?")["result"]["is_bot"]  # names ignore case


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(777, "hello")


async def test_replying_to_a_missing_message_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(ADA, "re", reply_to_message_id=99)
    await bot.send_message(ADA, "re", reply_to_message_id=99, allow_sending_without_reply=True)


# ------------------------------------------------------------------ text and HTML


@pytest.mark.parametrize(
    "bad_html",
    [
        "line<br>break",
        "<b>unclosed",
        "<b><i>crossed</b></i>",
        "stray </b>",
        "a < b",
        "Q&A",
        "x > y",
        "<span>plain span</span>",
        '<a name="x">no href</a>',
        "<code><b>no tags in code</b></code>",
        "<p>paragraph</p>",
    ],
)
async def test_bad_html_is_refused(tg: FakeTelegram, bot: Bot, bad_html: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ADA, bad_html, parse_mode="HTML")
    assert tg.chat_messages(ADA) == [] and len(tg.refusals) == 1


async def test_escaped_and_allowed_html_is_accepted(tg: FakeTelegram, bot: Bot) -> None:
    risky = 'if a < b && c > "d": <script>'
    await bot.send_message(ADA, html.escape(risky), parse_mode="HTML")
    rich = (
        '<b>b <i>bi</i></b> <tg-spoiler>s</tg-spoiler> <span class="tg-spoiler">s</span> '
        '<a href="https://example.com/?a=1&amp;b=2">link</a> <code>x&lt;y</code> '
        '<pre><code class="language-python">print(1)</code></pre> '
        "<blockquote expandable>quote</blockquote> &#8212; &#x2014;"
    )
    sent = await bot.send_message(ADA, rich, parse_mode="HTML")
    assert tg.chat_messages(ADA)[0].text == risky
    assert sent.text.endswith("quote — —")
    types = {e.type: e for e in sent.entities}
    assert types["text_link"].url == "https://example.com/?a=1&b=2"
    assert types["pre"].language == "python" and "expandable_blockquote" in types
    assert tg.refusals == []


@pytest.mark.parametrize(
    ("text", "parse_mode", "error"),
    [
        ("x" * 4097, None, "message is too long"),
        ("😀" * 2049, None, "message is too long"),  # 4098 UTF-16 units
        ("<b>" + "é" * 4097 + "</b>", "HTML", "message is too long"),
        (" \n ", None, "message text is empty"),
        ("<b> </b>", "HTML", "message text is empty"),
    ],
)
async def test_text_length_is_counted_after_parsing_in_utf16(
    bot: Bot, text: str, parse_mode: str | None, error: str
) -> None:
    with pytest.raises(BadRequest, match=rf"(?i){error}"):
        await bot.send_message(ADA, text, parse_mode=parse_mode)


async def test_text_at_the_limit_is_accepted_and_trimmed(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(ADA, "😀" * 2048)
    await bot.send_message(ADA, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert (await bot.send_message(ADA, "\n  padded \n")).text == "padded"
    assert tg.refusals == []


# ------------------------------------------------------------------ keyboards


async def test_callback_data_is_limited_to_64_bytes(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(ADA, "ok", reply_markup=keyboard([("64", "x" * 64)]))
    for data in ("x" * 65, "é" * 33):  # 65 and 66 bytes
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(ADA, "no", reply_markup=keyboard([("big", data)]))
    assert len(tg.chat_messages(ADA)) == 1


async def test_oversized_keyboards_are_refused(bot: Bot) -> None:
    wide = [[(str(i), str(i)) for i in range(9)]]
    tall = [[(str(r * 5 + i), "d") for i in range(5)] for r in range(21)]  # 105 buttons
    for rows in (wide, tall):
        with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
            await bot.send_message(ADA, "menu", reply_markup=keyboard(*rows))


async def test_buttons_without_an_action_are_refused(bot: Bot) -> None:
    markup = {"inline_keyboard": [[{"text": "lonely"}]]}
    with (
        pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"),
        pytest.warns(PTBUserWarning),
    ):
        await bot.do_api_request(
            "sendMessage", api_kwargs={"chat_id": ADA, "text": "x", "reply_markup": markup}
        )


# ------------------------------------------------------------------ edits and deletes


async def test_edits_follow_telegram_rules(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(ADA, "Question", reply_markup=keyboard([("A", "a")]))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "Question", ADA, sent.message_id, reply_markup=keyboard([("A", "a")])
        )
    await bot.edit_message_text("<b>Question</b>", ADA, sent.message_id, parse_mode="HTML")
    msg = tg.last_message(ADA)
    assert msg.edited == 1 and msg.buttons == []  # no reply_markup on an edit drops the keyboard
    await bot.edit_message_reply_markup(ADA, sent.message_id, reply_markup=keyboard([("B", "b")]))
    assert tg.last_message(ADA).buttons == [[("B", "b")]]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", ADA, 999)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", ADA, tg.send_text(ADA, "mine"))


async def test_deleted_messages_cannot_be_edited_or_deleted_again(
    tg: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(ADA, "bye")
    assert await bot.delete_message(ADA, sent.message_id)
    assert tg.chat_messages(ADA)[0].deleted and tg.last_message(ADA) is None
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ADA, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("again", ADA, sent.message_id)


# ------------------------------------------------------------------ taps and callback answers


async def test_taps_arrive_by_long_polling_and_offset_confirms(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(
        ADA, "Pick", reply_markup=keyboard([("Yes ✅", "y"), ("No", "n")])
    )
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    query_id = tg.tap_button(ADA, sent.message_id, "Yes")
    [update] = await poll
    assert time.monotonic() - started < 1  # woken by the tap, not by the timeout
    query = update.callback_query
    assert (query.id, query.data, query.from_user.id) == (query_id, "y", ADA)
    assert query.message.text == "Pick" and query.message.reply_markup == sent.reply_markup
    assert len(await bot.get_updates()) == 1 == tg.pending_updates()  # not confirmed: again
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert tg.pending_updates() == 0


async def test_get_updates_honours_limit_and_allowed_updates(tg: FakeTelegram, bot: Bot) -> None:
    for text in ("one", "two", "three"):
        tg.send_text(ADA, text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["one", "two"]
    tg.block(ADA)  # queues a my_chat_member update
    rest = await bot.get_updates(offset=first[-1].update_id + 1, allowed_updates=["message"])
    assert [u.message.text for u in rest] == ["three"]


async def test_a_second_poller_terminates_the_first_with_conflict(
    tg: FakeTelegram, bot: Bot
) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with Bot(tg.token, base_url=tg.base_url) as second:
        await second.get_updates(timeout=0)
    with pytest.raises(Conflict, match="only one bot instance"):
        await waiting


async def test_callback_answers_are_single_and_short(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(ADA, "Pick", reply_markup=keyboard([("A", "a")]))
    first, second = tg.tap(ADA, sent.message_id, "a"), tg.tap(ADA, sent.message_id, "a")
    assert await bot.answer_callback_query(first, "Correct!")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(first)
    with pytest.raises(BadRequest):
        await bot.answer_callback_query(second, "x" * 201)
    assert [(a.text, a.show_alert) for a in tg.callback_answers] == [("Correct!", False)]
    assert tg.unanswered_queries() == [second]
    with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
        await bot.answer_callback_query("12345")


async def test_taps_on_missing_buttons_need_forge(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(ADA, "Pick", reply_markup=keyboard([("A", "a")]))
    with pytest.raises(AssertionError, match="no button"):
        tg.tap(ADA, sent.message_id, "a:evil")
    tg.tap(ADA, sent.message_id, "a:evil", forge=True)
    await bot.delete_message(ADA, sent.message_id)
    tg.tap(ADA, sent.message_id, "a", forge=True)
    stale, deleted = [u.callback_query for u in await bot.get_updates()]
    assert stale.data == "a:evil" and deleted.message.date.timestamp() == 0  # inaccessible


async def test_groups_deliver_only_commands_in_privacy_mode(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_group(GROUP, "Study group", members=(ADA, BOB))
    tg.send_text(BOB, "chatting", chat_id=GROUP)
    tg.send_text(ADA, "/start@tutor_test_bot", chat_id=GROUP)
    [update] = await bot.get_updates()
    assert update.message.chat.type == "supergroup" and update.message.from_user.id == ADA
    await bot.send_message(GROUP, "Hello group")
    assert tg.last_message(GROUP).message_id == 3


# ------------------------------------------------------------------ blocked users and faults


async def test_blocked_user_refuses_until_unblocked(tg: FakeTelegram, bot: Bot) -> None:
    tg.block(ADA)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(ADA, "still there?")
    tg.unblock(ADA)
    await bot.send_message(ADA, "welcome back")
    kinds = [u.my_chat_member.new_chat_member.status for u in await bot.get_updates()]
    assert kinds == ["kicked", "member"]


async def test_injected_faults_fail_without_effect_and_are_not_refusals(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter, match="3 seconds"):
        await bot.send_message(ADA, "flood")
    tg.fail_next("sendMessage", 502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway") as caught:
            await bot.send_message(ADA, "gateway")
        assert not isinstance(caught.value, BadRequest)
    await bot.send_message(ADA, "through")
    assert [m.text for m in tg.chat_messages(ADA)] == ["through"]
    assert tg.refusals == [] and sum(c.excused for c in tg.calls) == 3


async def test_close_is_refused_in_the_first_ten_minutes(bot: Bot) -> None:
    with pytest.raises(RetryAfter):
        await bot.close()


async def test_a_slow_chat_does_not_delay_another(tg: FakeTelegram, bot: Bot) -> None:
    tg.delay("sendMessage", 0.6, chat_id=ADA)
    slow = asyncio.create_task(bot.send_message(ADA, "slow"))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await bot.send_message(BOB, "fast")
    assert time.monotonic() - started < 0.3 and not slow.done()
    await slow
    assert tg.last_message(ADA).text == "slow"


# ------------------------------------------------------------------ waiting helpers


async def test_wait_helpers_see_messages_from_other_threads(tg: FakeTelegram, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(ADA, "Lesson 1: neurons")

    task = asyncio.create_task(later())
    msg = await tg.wait_for_message_async(ADA, "neurons", timeout=2)
    await task
    found: list[int] = []
    thread = threading.Thread(
        target=lambda: found.append(tg.wait_for_message(ADA, "Lesson", 2).message_id)
    )
    thread.start()
    thread.join()
    assert found == [msg.message_id]


def test_wait_for_times_out_with_a_transcript() -> None:
    with FakeTelegram() as fake:
        fake.add_user(ADA)
        fake.send_text(ADA, "/start")
        with pytest.raises(AssertionError, match=r"(?s)timed out.*user: '/start'"):
            fake.wait_for(lambda t: t.last_message(ADA), timeout=0.1)

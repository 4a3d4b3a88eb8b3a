"""The fake Telegram server, driven by python-telegram-bot's own Bot over real HTTP.

Each test proves that a refusal arrives as the exception PTB raises in production, or that a
behaviour the bot relies on (long polling, offsets, keyboards, edits) is modelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import random
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ApplicationBuilder
from telegram.warnings import PTBUserWarning

from tests import fake_telegram
from tests.fake_telegram import CallbackAnswer, FakeTelegram

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


# ------------------------------------------------------------------ faults for the fault suite


def send_url(tg: FakeTelegram) -> str:
    return f"{tg.base_url}{tg.token}/sendMessage"


async def test_a_proxy_error_page_is_html_and_takes_no_effect(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", 502, html=True)
    tg.fail_next_html("sendMessage", 500)
    async with httpx.AsyncClient() as client:
        response = await client.post(send_url(tg), data={"chat_id": ADA, "text": "x"})
    assert response.status_code == 502 and response.headers["content-type"].startswith("text/html")
    assert response.text == "<html><body>502 Bad Gateway</body></html>"
    with pytest.raises(NetworkError, match=r"Internal Server Error \(500\)\. Parsing the server"):
        await bot.send_message(ADA, "x")
    assert tg.chat_messages(ADA) == [] and tg.refusals == []
    calls = [(c.status, c.excused, c.fault) for c in tg.calls_to("sendMessage")]
    assert calls == [(502, True, "502_html"), (500, True, "500_html")]
    assert tg.injected == Counter({"502_html": 1, "500_html": 1})


async def test_a_reset_is_a_transport_error_and_takes_no_effect(tg: FakeTelegram, bot: Bot) -> None:
    tg.reset_next("sendMessage", times=2)
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.TransportError):  # no HTTP status at all
            await client.post(send_url(tg), data={"chat_id": ADA, "text": "x"})
    with pytest.raises(NetworkError, match=r"httpx\.ReadError") as caught:
        await bot.send_message(ADA, "x")
    assert not isinstance(caught.value, TimedOut)
    await bot.send_message(ADA, "through")
    assert tg.sent_texts(ADA) == ["through"] and tg.lost_responses == []
    assert [(c.status, c.fault) for c in tg.calls_to("sendMessage")] == [
        (0, "reset"),
        (0, "reset"),
        (200, ""),
    ]
    assert tg.refusals == [] and tg.injected == Counter(reset=2)


async def test_a_response_lost_after_effect_leaves_the_effect(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(ADA, "Q", reply_markup=keyboard([("A", "a")]))
    query = tg.tap(ADA, sent.message_id, "a")
    for method in ("sendMessage", "editMessageText", "answerCallbackQuery"):
        tg.reset_next(method, after_effect=True)
    with pytest.raises(NetworkError):
        await bot.send_message(ADA, "once")
    with pytest.raises(NetworkError):
        await bot.edit_message_text("Q, answered", ADA, sent.message_id)
    with pytest.raises(NetworkError):
        await bot.answer_callback_query(query, "Right")
    assert tg.sent_texts(ADA) == ["Q, answered", "once"]
    assert tg.callback_answers == [CallbackAnswer(query, "Right", False)]
    lost = tg.lost_responses
    assert [c.method for c in lost] == ["sendMessage", "editMessageText", "answerCallbackQuery"]
    assert lost[0].status == 200 and lost[0].result["message_id"] == 2
    await bot.send_message(ADA, "once")  # a retry: a duplicate the lost response forced
    assert tg.duplicates(ADA) == 1
    assert tg.injected == Counter(lost_response=3) and tg.refusals == []
    tg.reset_next("editMessageText", after_effect=True)  # a refused call is answered as usual
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("Q, answered", ADA, sent.message_id)
    assert len(tg.refusals) == 1 and tg.injected.total() == 3 and len(tg.lost_responses) == 3


async def test_a_hang_times_the_client_out_without_blocking_others(
    tg: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(ADA, "Q")
    tg.hang_next("sendMessage", 3)
    tg.hang_next("editMessageText", 3, after_effect=True)
    stuck = asyncio.create_task(bot.send_message(ADA, "stuck", read_timeout=1))
    edit = asyncio.create_task(bot.edit_message_text("Q2", ADA, sent.message_id, read_timeout=1))
    await asyncio.sleep(0.1)
    await bot.send_message(BOB, "meanwhile")  # served while the two calls hang
    assert not stuck.done() and not edit.done()
    for task in (stuck, edit):
        with pytest.raises(TimedOut):
            await task
    assert tg.sent_texts(ADA) == ["Q2"] and tg.sent_texts(BOB) == ["meanwhile"]
    assert [c.fault for c in tg.lost_responses] == ["hang_after_effect"]
    assert tg.injected == Counter(hang=1, hang_after_effect=1) and tg.refusals == []


async def test_a_hang_ends_when_the_server_stops() -> None:
    fake = FakeTelegram().start()
    fake.add_user(ADA)
    fake.hang_next("sendMessage", 60)
    async with httpx.AsyncClient(timeout=30) as client:
        sending = client.post(send_url(fake), data={"chat_id": ADA, "text": "x"})
        request = asyncio.create_task(sending)
        await fake.wait_for_async(lambda t: t.calls_to("sendMessage"))
        started = time.monotonic()
        await asyncio.to_thread(fake.stop)
        with pytest.raises(httpx.TransportError):
            await request
    assert time.monotonic() - started < 2


async def chaos_run(seed: int, chats: list[int]) -> tuple[dict[int, list[str]], Counter[str]]:
    """Send one message per entry of ``chats``; return each chat's faults in order."""
    with FakeTelegram() as fake:
        fake.add_user(ADA)
        fake.add_user(BOB)
        fake.chaos(seed, rate=0.5, hang_seconds=0.5)
        async with Bot(fake.token, base_url=fake.base_url) as client:
            for chat in chats:
                with contextlib.suppress(TelegramError):
                    await client.send_message(chat, "hi", read_timeout=0.2)
        faults = {chat: [c.fault for c in fake.calls_to("sendMessage")
                         if c.params["chat_id"] == chat] for chat in (ADA, BOB)}  # fmt: skip
        assert fake.refusals == []
        return faults, fake.injected


async def test_chaos_with_a_seed_is_reproducible_per_chat() -> None:
    in_turn, interleaved = [ADA] * 12 + [BOB] * 12, [ADA, BOB] * 12
    faults, injected = await chaos_run(3, in_turn)
    assert (faults, injected) == await chaos_run(3, interleaved)  # whatever the interleaving
    assert set(injected) == {"429", "502_html", "reset", "lost_response", "hang"}
    assert all("" in kinds for kinds in faults.values())  # some calls went through
    assert faults != (await chaos_run(4, in_turn))[0]


async def test_chaos_picks_only_given_methods_and_stops(tg: FakeTelegram, bot: Bot) -> None:
    tg.chaos("seed", rate=1, kinds=("429",), methods=("editMessageText",))
    sent = await bot.send_message(ADA, "Q")
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("Q2", ADA, sent.message_id)
    tg.chaos_off()
    await bot.edit_message_text("Q2", ADA, sent.message_id)
    assert tg.sent_texts(ADA) == ["Q2"] and tg.injected == Counter({"429": 1})
    with pytest.raises(ValueError, match="unknown fault kind"):
        tg.chaos(1, kinds=("meteor",))


async def test_duplicated_updates_arrive_twice_and_are_confirmed_once(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.duplicate_next_updates(1)
    tg.send_text(ADA, "one")
    tg.send_text(ADA, "two")
    first = await bot.get_updates()
    ids = [u.update_id for u in first]
    assert [u.message.text for u in first] == ["one", "one", "two"] and ids[0] == ids[1] < ids[2]
    assert tg.pending_updates() == 3
    assert [u.message.text for u in await bot.get_updates(offset=ids[0] + 1)] == ["two"]
    assert await bot.get_updates(offset=ids[2] + 1) == () and tg.pending_updates() == 0


async def test_a_raw_update_is_redelivered_unless_confirmed_past(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.send_text(ADA, "hello")
    [update] = await bot.get_updates()
    raw, old = update.to_dict(), update.update_id
    assert await bot.get_updates(offset=old + 1) == () and tg.push_raw_update(raw) == old
    assert await bot.get_updates(offset=old + 1) == ()  # confirmed past it: dropped
    tg.push_raw_update(raw)
    [again] = await bot.get_updates()  # a restarted bot polls without an offset
    assert (again.update_id, again.message.text) == (old, "hello")
    tg.push_raw_update(raw | {"update_id": old + 50})
    assert tg.push_update({"message": raw["message"]}) == old + 51  # ids stay unique


async def test_reordered_updates_arrive_out_of_order(tg: FakeTelegram, bot: Bot) -> None:
    for i in range(6):
        tg.send_text(ADA, str(i))
    order = tg.reorder_updates(seed=7)
    expected = sorted(order)
    random.Random(7).shuffle(expected)
    assert order == expected != sorted(order)
    got = await bot.get_updates()
    assert [u.update_id for u in got] == order
    assert [int(u.message.text) for u in got] == [i - min(order) for i in order]
    rest = await bot.get_updates(offset=order[-1] + 1)  # PTB confirms "last + 1"
    assert [u.update_id for u in rest] == [i for i in order if i > order[-1]]
    assert await bot.get_updates(offset=max(order) + 1) == () and tg.pending_updates() == 0


async def test_sent_texts_and_duplicates_count_what_the_learner_sees_twice(
    tg: FakeTelegram, bot: Bot
) -> None:
    await bot.send_message(ADA, "Card 1", reply_markup=keyboard([("Next", "n:1")]))
    await bot.send_message(ADA, "Card 1", reply_markup=keyboard([("Next", "n:2")]))  # counts
    await bot.send_message(ADA, "Card 1")  # other buttons (none): not a duplicate
    tg.send_text(ADA, "again?")
    await bot.send_message(ADA, "Card 1")  # after the learner's message: not a duplicate
    gone = await bot.send_message(ADA, "Oops")
    await bot.delete_message(ADA, gone.message_id)  # no longer seen: skipped
    draft = await bot.send_message(ADA, "draft")
    await bot.edit_message_text("Card 1", ADA, draft.message_id)  # its final text: counts
    assert tg.sent_texts(ADA) == ["Card 1"] * 4 + ["Oops", "Card 1"]
    assert tg.duplicates(ADA) == 2 and tg.duplicates(BOB) == 0


# ------------------------------------------------------------------ group study

CAROL, BASIC, SUPER, CHANNEL = 44, -4001234567, -1009876543210, -1005555555555
REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "telegram" / "api.json"


@pytest.fixture
def study(tg: FakeTelegram) -> FakeTelegram:
    tg.add_user(CAROL, "Carol")
    tg.add_group(GROUP, "Study group", members=(ADA, BOB, CAROL), admins=(ADA, BOB))
    return tg


async def test_chat_administrators_and_members_parse_in_ptb(study: FakeTelegram, bot: Bot) -> None:
    owner, admin = await bot.get_chat_administrators(GROUP)
    assert isinstance(owner, ChatMemberOwner) and owner.user.id == ADA and not owner.is_anonymous
    assert isinstance(admin, ChatMemberAdministrator) and admin.user.first_name == "Bob"
    statuses = [(await bot.get_chat_member(GROUP, who)).status for who in (ADA, BOB, CAROL)]
    assert statuses == ["creator", "administrator", "member"]
    assert (await bot.get_chat_member(GROUP, bot.id)).status == "member"
    study.remove_member(GROUP, CAROL)
    assert isinstance(await bot.get_chat_member(GROUP, CAROL), ChatMemberLeft)
    study.add_member(GROUP, CAROL)
    study.set_admins(GROUP, (CAROL, ADA, bot.id))  # the bot can be an administrator
    admins = await bot.get_chat_administrators(GROUP)
    assert [(a.status, a.user.id) for a in admins] == [
        ("creator", CAROL),
        ("administrator", ADA),
        ("administrator", bot.id),
    ]
    assert (await bot.get_chat_member(GROUP, BOB)).status == "member"
    assert len(study.calls_to("getChatAdministrators")) == 2  # a bot that caches asks once
    study.add_group(BASIC, "Old style", members=(ADA,), kind="group")  # no admins given
    assert await bot.get_chat_administrators(BASIC) == ()
    with pytest.raises(BadRequest, match=r"(?i)^there are no administrators in the private chat$"):
        await bot.get_chat_administrators(ADA)
    with pytest.raises(BadRequest, match=r"(?i)^chat not found$"):
        await bot.get_chat_administrators(-100777)
    with pytest.raises(BadRequest, match=r"(?i)^user not found$"):
        await bot.get_chat_member(GROUP, 999)
    with pytest.raises(AssertionError, match="not a member"):
        study.set_admins(GROUP, (999,))
    assert len(study.refusals) == 3


@pytest.mark.skipif(not REFERENCE.is_file(), reason=f"no {REFERENCE} to compare with")
async def test_chat_members_carry_every_field_the_reference_requires(
    study: FakeTelegram, bot: Bot
) -> None:
    types = json.loads(REFERENCE.read_text(encoding="utf-8"))["types"]
    study.set_admins(GROUP, (ADA, BOB, bot.id))
    study.remove_member(GROUP, CAROL)
    path = f"/bot{study.token}"

    def member(user_id: int) -> dict:
        return post_raw(study, f"{path}/getChatMember?chat_id={GROUP}&user_id={user_id}")["result"]

    members = post_raw(study, f"{path}/getChatAdministrators?chat_id={GROUP}")["result"]
    members.append(member(CAROL))  # left
    study.add_member(GROUP, CAROL)
    members.append(member(CAROL))
    study.remove_bot(GROUP, kicked=True)
    [update] = post_raw(study, f"{path}/getUpdates")["result"]
    change = update["my_chat_member"]
    members += [change["old_chat_member"], change["new_chat_member"]]
    kinds = {
        "creator": "ChatMemberOwner",
        "administrator": "ChatMemberAdministrator",
        "member": "ChatMemberMember",
        "left": "ChatMemberLeft",
        "kicked": "ChatMemberBanned",
    }
    assert {m["status"] for m in members} == set(kinds)
    for member in members:
        fields = types[kinds[member["status"]]]["fields"]
        missing = {f["name"] for f in fields if f["required"]} - member.keys()
        assert not missing, f"{member['status']} lacks {missing}"
        assert member.keys() <= {f["name"] for f in fields}, f"{member['status']} has extra fields"


async def test_a_user_who_never_started_the_bot_cannot_be_messaged_first(
    study: FakeTelegram, bot: Bot
) -> None:
    dan = study.add_user(45, "Dan", started=False)
    study.add_member(GROUP, dan["id"])
    for attempt in (bot.send_message(45, "Welcome!"), bot.send_chat_action(45, "typing")):
        with pytest.raises(Forbidden, match=r"^Forbidden: bot can't initiate conversation with"):
            await attempt
    sent = await bot.send_message(GROUP, "Quiz", reply_markup=keyboard([("A", "a")]))
    study.send_text(45, "/join", chat_id=GROUP)  # a group member all the same
    study.tap(45, sent.message_id, "a", chat_id=GROUP)
    study.send_text(45, "hello")  # writing to the bot privately starts it
    await bot.send_message(45, "Welcome!")
    kinds = [(u.effective_chat.id, u.effective_user.id) for u in await bot.get_updates()]
    assert kinds == [(GROUP, 45), (GROUP, 45), (45, 45)]
    assert [c.status for c in study.refusals] == [403, 403]


async def test_taps_and_posts_in_a_group_do_not_unblock_the_private_chat(
    study: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(GROUP, "Quiz", reply_markup=keyboard([("A", "a")]))
    study.block(BOB)
    study.tap(BOB, sent.message_id, "a", chat_id=GROUP)
    study.send_text(BOB, "/next", chat_id=GROUP)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(BOB, "psst")
    study.send_text(BOB, "/start")
    await bot.send_message(BOB, "welcome back")


async def test_callback_answers_accept_only_start_links_of_this_bot(
    study: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(GROUP, "Quiz", reply_markup=keyboard([("A", "a")]))
    queries = [study.tap(who, sent.message_id, "a", chat_id=GROUP) for who in (ADA, BOB, CAROL)]
    link = f"https://t.me/{bot.username}?start=g{-GROUP}_q-1"
    assert await bot.answer_callback_query(queries[0], "Open the chat", url=link)
    bad_urls = [
        "https://example.com/",
        "https://t.me/other_bot?start=x",
        f"https://t.me/{bot.username}",
        f"https://t.me/{bot.username}?start=",
        f"https://t.me/{bot.username}?start={'x' * 65}",
        f"https://t.me/{bot.username}?start=a b",
        f"https://t.me/{bot.username}?start=x&y=1",
        f"tg://resolve?domain={bot.username}&start=x",
    ]
    for url in bad_urls:
        with pytest.raises(BadRequest, match=r"(?i)^url_invalid$"):
            await bot.answer_callback_query(queries[1], url=url)
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await bot.answer_callback_query(queries[1], "x" * 201, url=link)
    await bot.answer_callback_query(queries[1], "x" * 200, show_alert=True)
    await bot.answer_callback_query(queries[2], url=f"https://t.me/{bot.username}?start={'x' * 64}")
    assert study.callback_answers == [
        CallbackAnswer(queries[0], "Open the chat", False, link),
        CallbackAnswer(queries[1], "x" * 200, True),  # url defaults to None
        CallbackAnswer(queries[2], None, False, f"https://t.me/{bot.username}?start={'x' * 64}"),
    ]
    assert study.unanswered_queries() == [] and len(study.refusals) == len(bad_urls) + 1


async def test_a_group_upgraded_to_a_supergroup_moves_to_its_new_id(
    study: FakeTelegram, bot: Bot
) -> None:
    study.add_group(BASIC, "Basic", members=(BOB, ADA), admins=(ADA,), kind="group")
    sent = await bot.send_message(BASIC, "Quiz", reply_markup=keyboard([("A", "a")]))
    with pytest.raises(AssertionError, match="not a group"):
        study.migrate_group(GROUP, SUPER)
    new = study.migrate_group(BASIC, SUPER)
    assert new == {"id": SUPER, "type": "supergroup", "title": "Basic"}
    old_side, new_side = [u.message for u in await bot.get_updates()]
    assert (old_side.chat.id, old_side.migrate_to_chat_id, old_side.from_user.id) == (
        BASIC,
        SUPER,
        ADA,
    )
    assert (new_side.chat.type, new_side.migrate_from_chat_id) == ("supergroup", BASIC)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(BASIC, "still here?")
    assert caught.value.new_chat_id == SUPER
    with pytest.raises(ChatMigrated):
        await bot.edit_message_text("Quiz, closed", BASIC, sent.message_id)
    body = post_raw(study, f"/bot{study.token}/sendMessage?chat_id={BASIC}&text=x")
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": SUPER},
    }
    with pytest.raises(AssertionError, match="upgraded"):
        study.send_text(ADA, "/start", chat_id=BASIC)
    query = study.tap(BOB, sent.message_id, "a", chat_id=SUPER)  # old buttons still work
    [tapped] = [u for u in await bot.get_updates() if u.callback_query]
    assert tapped.callback_query.id == query and tapped.callback_query.message.chat.id == SUPER
    await bot.edit_message_text("Quiz, closed", SUPER, sent.message_id)
    assert [a.status for a in await bot.get_chat_administrators(SUPER)] == ["creator"]
    assert study.sent_texts(SUPER) == ["Quiz, closed"] and study.sent_texts(BASIC) == ["Quiz"]
    assert len(study.refusals) == 3


async def test_a_removed_bot_is_told_and_refused_until_added_back(
    study: FakeTelegram, bot: Bot
) -> None:
    study.set_admins(GROUP, (ADA, bot.id))
    study.remove_bot(GROUP, by=BOB)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot is not a member of the supergroup chat$"):
        await bot.send_message(GROUP, "hello?")
    study.send_text(ADA, "/start", chat_id=GROUP)  # the bot is not there to see it
    study.add_bot(GROUP, by=ADA)
    await bot.send_message(GROUP, "I'm back")
    study.remove_bot(GROUP, kicked=True)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was kicked from the supergroup chat$"):
        await bot.send_message(GROUP, "hello?")
    with pytest.raises(Forbidden, match="kicked"):
        await bot.get_chat_administrators(GROUP)
    study.add_group(BASIC, "Basic", members=(ADA,), kind="group")
    study.remove_bot(BASIC, kicked=True, by=ADA)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was kicked from the group chat$"):
        await bot.send_chat_action(BASIC, "typing")
    changes = [u.my_chat_member for u in await bot.get_updates()]
    assert [(c.chat.id, c.from_user.id) for c in changes] == [
        (GROUP, BOB),
        (GROUP, ADA),
        (GROUP, ADA),  # the owner, by default
        (BASIC, ADA),
    ]
    assert [(c.old_chat_member.status, c.new_chat_member.status) for c in changes] == [
        ("administrator", "left"),
        ("left", "member"),
        ("member", "kicked"),
        ("member", "kicked"),
    ]
    assert isinstance(changes[0].old_chat_member, ChatMemberAdministrator)
    assert isinstance(changes[2].new_chat_member, ChatMemberBanned)


async def test_posts_of_anonymous_admins_and_linked_channels(study: FakeTelegram, bot: Bot) -> None:
    assert study.send_anonymous(GROUP, "/quiz@tutor_test_bot") == 1
    study.send_anonymous(GROUP, "just chatting")  # privacy mode: not delivered
    study.send_as_channel(GROUP, CHANNEL, "/start", title="Course news")
    assert study.send_as_channel(GROUP, CHANNEL, "a post") == 4
    anonymous, forwarded = [u.message for u in await bot.get_updates()]
    assert anonymous.from_user.to_dict() == {
        "id": 1087968824,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    assert anonymous.sender_chat.id == GROUP and anonymous.entities[0].type == "bot_command"
    assert (forwarded.from_user.id, forwarded.from_user.first_name) == (777000, "Telegram")
    assert forwarded.sender_chat.to_dict() == {
        "id": CHANNEL,
        "type": "channel",
        "title": "Course news",
    }
    assert forwarded.is_automatic_forward and forwarded.forward_origin.chat.id == CHANNEL
    assert forwarded.text == "/start" and forwarded.entities[0].type == "bot_command"


async def test_max_per_minute_counts_the_busiest_sliding_minute(
    study: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(fake_telegram, "time", SimpleNamespace(time=lambda: clock[0]))
    sent = await bot.send_message(GROUP, "0")
    for second in range(1, 60):
        clock[0] += 1
        await bot.edit_message_text(str(second), GROUP, sent.message_id)
    clock[0] += 1  # the first call is now 60 s old: out of the window
    await bot.send_message(GROUP, "60")
    await bot.send_message(ADA, "private")
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP, "<b>refused</b", parse_mode="HTML")
    assert study.max_per_minute(GROUP) == 60
    assert study.max_per_minute(GROUP, methods=("sendMessage",)) == 1
    assert study.max_per_minute(ADA) == 1 and study.max_per_minute(BOB) == 0


async def test_the_group_limit_refuses_the_21st_message_a_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(fake_telegram, "time", SimpleNamespace(time=lambda: clock[0]))
    with FakeTelegram(group_limit=True) as fake:
        fake.add_user(ADA)
        fake.add_group(GROUP, "Study group", members=(ADA,))
        async with Bot(fake.token, base_url=fake.base_url) as client:
            for _ in range(20):
                await client.send_message(GROUP, "tick")
                clock[0] += 1
            fake.fail_next("sendMessage", 429, retry_after=5)  # injected: excused
            with pytest.raises(RetryAfter):
                await client.send_message(GROUP, "injected")
            clock[0] += 10.5  # 30.5 s after the first message
            with pytest.raises(RetryAfter, match="Retry in 30 seconds"):  # when the 1st leaves
                await client.edit_message_text("edited", GROUP, 1)
            for _ in range(25):
                await client.send_message(ADA, "private chats are not limited")
            clock[0] += 29.5  # the first message is exactly 60 s old
            await client.send_message(GROUP, "21st, in a new minute")
            with pytest.raises(RetryAfter, match="Retry in 1 second"):
                await client.send_message(GROUP, "one too many")
        assert fake.max_per_minute(GROUP) == 20 and fake.max_per_minute(ADA) == 25
        refused = [(c.method, c.status, c.excused) for c in fake.calls if c.status == 429]
        assert refused == [
            ("sendMessage", 429, True),
            ("editMessageText", 429, False),
            ("sendMessage", 429, False),
        ]
        assert len(fake.refusals) == 2 and fake.refusals[0].description.endswith("after 30")


async def test_the_group_limit_holds_for_concurrent_calls() -> None:
    with FakeTelegram(group_limit=True) as fake:
        fake.add_user(ADA)
        fake.add_group(GROUP, "Study group", members=(ADA,))
        fake.delay("sendMessage", 0.2, effect_first=True)  # done, not yet answered
        async with httpx.AsyncClient() as client:
            data = {"chat_id": GROUP, "text": "x"}
            posts = [client.post(send_url(fake), data=data) for _ in range(25)]
            responses = await asyncio.gather(*posts)
        assert Counter(r.status_code for r in responses) == Counter({200: 20, 429: 5})
        assert len(fake.sent_texts(GROUP)) == 20 == fake.max_per_minute(GROUP)
        waits = {r.json()["parameters"]["retry_after"] for r in responses if r.status_code == 429}
        assert waits <= {59, 60} and len(fake.refusals) == 5


# ------------------------------------------------------------------ webhooks


class Listener:
    """A webhook endpoint on 127.0.0.1 in its own thread: records each POST (path, secret
    header, update) and answers the next status in `answers` (200 when none are left)."""

    def __init__(self) -> None:
        import http.server

        self.posts: list[tuple[str, str | None, dict]] = []
        self.answers: list[int] = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                secret = self.headers.get(fake_telegram.SECRET_HEADER)
                listener.posts.append((self.path, secret, json.loads(body)))
                self.send_response(listener.answers.pop(0) if listener.answers else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tg"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    endpoint = Listener()
    yield endpoint
    endpoint.close()


async def test_a_webhook_is_recorded_and_stops_get_updates_until_deleted(
    tg: FakeTelegram, bot: Bot
) -> None:
    url = "https://bot.example/tg"
    assert await bot.set_webhook(url, secret_token="s3cret", allowed_updates=["message"])
    assert tg.webhook is not None and tg.webhook["secret_token"] == "s3cret"
    assert tg.webhook["allowed_updates"] == ["message"]
    info = await bot.get_webhook_info()
    assert (info.url, info.max_connections, info.allowed_updates) == (url, 40, ("message",))
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert [c.method for c in tg.refusals] == ["getUpdates"]
    tg._refusals.clear()  # caused on purpose
    assert await bot.delete_webhook()
    assert tg.webhook is None and (await bot.get_webhook_info()).url == ""
    tg.send_text(ADA, "hello")
    assert [u.message.text for u in await bot.get_updates()] == ["hello"]


@pytest.mark.parametrize(
    ("url", "secret", "refusal"),
    [
        ("http://bot.example/tg", None, "HTTPS URL must be provided"),
        ("https://bot.example:8080/tg", None, "ports 80, 88, 443 or 8443"),
        ("https://bot.example/tg", "not secret!", "unallowed characters"),
    ],
)
async def test_a_webhook_telegram_would_refuse_is_refused(
    tg: FakeTelegram, bot: Bot, url: str, secret: str | None, refusal: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){refusal}"):
        await bot.set_webhook(url, secret_token=secret)
    assert tg.webhook is None
    tg._refusals.clear()  # caused on purpose


async def test_updates_are_posted_to_the_webhook_with_the_secret_and_retried_until_2xx(
    tg: FakeTelegram, bot: Bot, listener: Listener
) -> None:
    tg.webhook_retry = 0.05
    tg.route_webhook("https://bot.example:8443/tg", listener.url)
    listener.answers = [500]
    await bot.set_webhook("https://bot.example:8443/tg", secret_token="s3cret")
    first = tg.send_text(ADA, "one")
    tg.send_text(ADA, "two")
    await tg.wait_for_async(lambda t: t.pending_updates() == 0)
    texts = [update["message"]["text"] for _, _, update in listener.posts]
    assert texts == ["one", "one", "two"]  # refused once, then delivered, in order
    assert {(path, secret) for path, secret, _ in listener.posts} == {("/tg", "s3cret")}
    assert [status for _, status in tg.webhook_deliveries] == [500, 200, 200]
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert listener.posts[0][2]["message"]["message_id"] == first


async def test_a_webhook_post_by_hand_carries_any_secret_or_none(
    tg: FakeTelegram, bot: Bot, listener: Listener
) -> None:
    tg.route_webhook("https://bot.example/tg", listener.url)
    await bot.set_webhook("https://bot.example/tg", secret_token="s3cret")
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "hi"}}
    listener.answers = [403, 403]
    statuses = await asyncio.to_thread(
        lambda: [tg.post_webhook(update, "wrong"), tg.post_webhook(update, None)]
    )
    assert statuses == [403, 403]
    assert [secret for _, secret, _ in listener.posts] == ["wrong", None]
    assert tg.webhook_deliveries == []  # nothing of the queue was delivered


async def test_the_fake_posts_nowhere_but_127_0_0_1(tg: FakeTelegram, bot: Bot) -> None:
    tg.webhook_retry = 0.05
    await bot.set_webhook("https://bot.example/tg", secret_token="s3cret")
    tg.send_text(ADA, "hello")
    await tg.wait_for_async(lambda t: t.webhook_deliveries)
    assert tg.webhook_deliveries[0][1] == 0 and tg.pending_updates() == 1
    info = await bot.get_webhook_info()
    assert info.last_error_message.startswith("Failed to resolve host")
    await bot.delete_webhook()

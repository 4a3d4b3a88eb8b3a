"""Talking to Telegram: what a reply must show, saved, then sent, within Telegram's limits.

Everything the bot says goes through `Outbox`. A reply becomes one row per Telegram call in the
`outbox` table, in the same transaction as the effects that decided it (`queue`); `flush` then
makes the calls in order and deletes each row once Telegram has taken it. A crash between the
two loses nothing: the rows are sent after the restart. Telegram's rules live here too: HTML
parse mode, messages split under 4096 characters, callback answers under 200, a learner who
blocked the bot marked inactive rather than treated as a failure. Retries of transient
failures are `limiter.RetryingRateLimiter`'s.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.store import Store
from bot.store.mail import Letter
from bot.tutor import DropButtons, Extend, Reply, Rewrite
from bot.views import message as views

log = logging.getLogger(__name__)

MAX_CALLBACK_ANSWER = 200
MAX_ATTEMPTS = 5
"""Flushes a call may fail in before it is dropped with an error line (it would block its chat)."""


def keyboard(message: views.Message) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in message.buttons
        ]
    )


def letters(reply: Reply, query: CallbackQuery | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """The Telegram calls a reply needs, in order: answer the tap (the spinner stops), settle
    the tapped message, then one call per message part."""
    if query is not None:
        answer: dict[str, Any] = {"query_id": query.id, "text": _cut(reply.toast)}
        if reply.alert:
            answer["alert"] = True
        if reply.link:
            answer["link"] = True
        yield "answer", answer
        yield from _settle(reply, query)
    if reply.edit is not None:
        yield _edit(reply.edit.message_id, reply.edit.message, reply.edit.or_send)
    yield from sends(reply.messages)


def _settle(reply: Reply, query: CallbackQuery) -> Iterator[tuple[str, dict[str, Any]]]:
    """What becomes of the tapped message. An addition goes on it in place when it can (one
    call); when the message is out of reach or would grow past the limit, the addition is
    sent as a message of its own, so the learner never loses their feedback."""
    message = query.message
    reachable = message is not None and message.is_accessible and hasattr(message, "text_html")
    match reply.tapped:
        case Extend(added):
            whole = views.extended(message.text_html, added) if reachable and message.text else None
            if whole is not None and views.visible_length(whole.text) <= views.MAX_TEXT:
                yield _edit(message.message_id, whole, or_send=True)
                return
            if reachable:
                yield "drop_buttons", {"message_id": message.message_id}
            yield from sends([added])
        case Rewrite(new) if reachable:
            yield _edit(message.message_id, new, or_send=True)
        case Rewrite(new):
            yield from sends([new])
        case DropButtons() if reachable:
            yield "drop_buttons", {"message_id": message.message_id}


def _edit(message_id: int, message: views.Message, or_send: bool) -> tuple[str, dict[str, Any]]:
    """An edit of a message we sent (its last part, if it ever had to be split); `or_send`:
    what it shows is news, sent as a new message should the old one be out of reach."""
    part = views.split(message)[-1]
    args = {"message_id": message_id, "text": part.text, **_rows(part)}
    return "edit", args | ({"or_send": True} if or_send else {})


def sends(messages: Sequence[views.Message]) -> Iterator[tuple[str, dict[str, Any]]]:
    for message in messages:
        for part in views.split(message):
            yield "send", {"text": part.text, **_rows(part)}


def _rows(message: views.Message) -> dict[str, Any]:
    return {"buttons": [[[b.label, b.data] for b in row] for row in message.buttons]}


def _buttons(rows: list[list[list[str]]]) -> tuple[tuple[views.Button, ...], ...]:
    return tuple(tuple(views.Button(label, data) for label, data in row) for row in rows)


def _cut(text: str | None) -> str | None:
    if text and len(text) > MAX_CALLBACK_ANSWER:
        return text[: MAX_CALLBACK_ANSWER - 1] + "…"
    return text


class Outbox:
    REMEMBERED_ANSWERS = 1_000

    def __init__(
        self,
        bot: Bot,
        store: Store,
        clock: Callable[[], datetime],
        on_blocked: Callable[[int], None],
        on_stalled: Callable[[int], None] = lambda _chat_id: None,
        on_migrated: Callable[[int, int], None] = lambda _old, _new: None,
    ):
        self.bot, self.store, self.clock, self.on_blocked = bot, store, clock, on_blocked
        self.on_stalled = on_stalled
        """Told of a chat whose flush stopped at a call that failed for now: flush it again soon."""
        self.on_migrated = on_migrated
        """Told when Telegram says a group became a supergroup: what it was owed moves there."""
        self._answered: OrderedDict[str, None] = OrderedDict()

    def queue(
        self,
        chat_id: int,
        reply: Reply,
        query: CallbackQuery | None = None,
        update_id: int | None = None,
    ) -> None:
        """Save what a reply must show: call inside the transaction that saves its effects."""
        now = self.clock()
        for op, args in letters(reply, query):
            self.store.outbox.add(chat_id, op, args, update_id, now)
        for member_chat, messages in reply.private:
            for op, args in sends(messages):
                self.store.outbox.add(member_chat, op, args, update_id, now)

    async def flush(self, chat_id: int) -> None:
        """Make the calls one chat is owed, in order. Call it in the chat's turn.

        A call that fails for now (network, 5xx, flood wait) stops the flush, since order
        matters, and is tried again at the next one. One Telegram refuses (the bot's own
        mistake) or that fails unexpectedly is dropped, since retrying cannot help; the rest
        is still sent, and the surprise is raised afterwards for the error handler.
        """
        surprise: Exception | None = None
        for letter in self.store.outbox.waiting(chat_id):
            try:
                await self._call(letter)
            except Forbidden as exc:
                self._blocked(chat_id, exc)
                self.store.outbox.drop_chat(chat_id)
                return
            except ChatMigrated as exc:  # before the migration update was handled
                log.info("chat %s is now %s; its calls go there", chat_id, exc.new_chat_id)
                self.on_migrated(chat_id, exc.new_chat_id)
                return
            except BadRequest as exc:
                log.error("chat %s: %s refused (%s); dropped", chat_id, letter.op, exc.message)
            except (NetworkError, RetryAfter) as exc:
                if letter.attempts + 1 < MAX_ATTEMPTS:
                    self.store.outbox.failed(letter.id)
                    log.warning("chat %s: %s failed (%s); kept for later", chat_id, letter.op, exc)
                    self.on_stalled(chat_id)
                    return
                log.error(
                    "chat %s: %s failed %d times (%s); dropped",
                    chat_id, letter.op, MAX_ATTEMPTS, exc,
                )  # fmt: skip
            except Exception as exc:
                surprise = surprise or exc
            self.store.outbox.done(letter.id)
        if surprise is not None:
            raise surprise

    async def _call(self, letter: Letter) -> None:
        args, chat_id = letter.args, letter.chat_id
        match letter.op:
            case "answer":
                url = f"https://t.me/{self.bot.username}?start=group" if args.get("link") else None
                await self.answer(args["query_id"], args["text"], args.get("alert", False), url)
            case "edit":
                message = views.Message(args["text"], _buttons(args.get("buttons", [])))
                await self.replace(chat_id, args["message_id"], message, args.get("or_send", False))
            case "drop_buttons":
                await self.drop_buttons(chat_id, args["message_id"])
            case "send":
                message = views.Message(args["text"], _buttons(args["buttons"]))
                await self.bot.send_message(
                    chat_id, message.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(message)
                )
            case _:
                log.error("chat %s: unknown outbox call %r dropped", chat_id, letter.op)

    async def send(self, chat_id: int, messages: Sequence[views.Message]) -> list[Message]:
        """Send at once, not through the outbox (an apology after a surprise); stops quietly if
        the learner has blocked the bot."""
        sent: list[Message] = []
        try:
            for message in messages:
                for part in views.split(message):
                    sent.append(
                        await self.bot.send_message(
                            chat_id,
                            part.text,
                            parse_mode=ParseMode.HTML,
                            reply_markup=keyboard(part),
                        )
                    )
        except Forbidden as exc:
            self._blocked(chat_id, exc)
        return sent

    async def replace(
        self, chat_id: int, message_id: int, message: views.Message, or_send: bool = False
    ) -> None:
        """Rewrite a message we sent (a question once answered). A vanished one is no loss,
        unless what it was to show is news (`or_send`: an answer's feedback), which is then
        sent as a message of its own."""
        part = views.split(message)[0]
        try:
            await self.bot.edit_message_text(
                part.text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(part),
            )
        except Forbidden as exc:
            self._blocked(chat_id, exc)
        except BadRequest as exc:
            if _tolerate_edit_failure(exc, chat_id, message_id) and or_send:
                await self.bot.send_message(
                    chat_id, part.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(part)
                )

    async def drop_buttons(self, chat_id: int, message_id: int) -> None:
        try:
            await self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
        except Forbidden as exc:
            self._blocked(chat_id, exc)
        except BadRequest as exc:
            _tolerate_edit_failure(exc, chat_id, message_id)

    async def answer(
        self, query_id: str, text: str | None = None, alert: bool = False, url: str | None = None
    ) -> None:
        """Every tap is answered once, so the learner's spinner stops; an expired query is no
        loss. Answering twice is refused by Telegram, so a second answer is skipped. In a
        group, a member's own verdict is an `alert`, and `url` may open the bot's chat."""
        if query_id in self._answered:
            return
        try:
            await self.bot.answer_callback_query(
                query_id, text=_cut(text), show_alert=alert or None, url=url
            )
        except BadRequest as exc:
            if "query is too old" not in str(exc).lower():
                raise
            log.info("callback %s expired before we answered it", query_id)
        self._answered[query_id] = None  # only once Telegram took it: a failed answer is retried
        if len(self._answered) > self.REMEMBERED_ANSWERS:
            self._answered.popitem(last=False)

    def _blocked(self, chat_id: int, exc: Forbidden) -> None:
        log.info("chat %s refuses messages (%s); marked inactive", chat_id, exc.message)
        self.on_blocked(chat_id)


def _tolerate_edit_failure(exc: BadRequest, chat_id: int, message_id: int) -> bool:
    """An edit Telegram refused for a harmless reason: True when the message is out of reach."""
    text = str(exc).lower()
    if "message is not modified" in text:
        log.debug("message %s in %s already shows that", message_id, chat_id)
        return False
    if "message to edit not found" in text or "message can't be edited" in text:
        log.info("message %s in %s can no longer be edited", message_id, chat_id)
        return True
    raise exc

"""A fake Telegram Bot API server for end-to-end tests: it refuses what Telegram refuses.

The bot under test talks to it over real HTTP on 127.0.0.1 exactly as it talks to Telegram
(``POST {api_url}/bot{token}/{method}``; form, multipart or JSON bodies), so a test fails where
the bot would fail in production. The server runs in its own thread and event loop, hence it
works from sync tests, from async tests whose loop runs the bot in-process, and with the bot
running as a subprocess. Every public method is synchronous, thread-safe and callable from any
thread.

Read this module as the spec of what Telegram refuses. Where the fake is deliberately stricter
than Telegram (unknown parameters, a bare ``&`` or ``>`` in HTML, tags nested where Telegram
silently drops formatting) it says so: those are bot bugs even when Telegram forgives them.

Method and parameter names, types and required flags come from ``telegram/bot_api.json`` beside
this module: a trimmed copy of the Bot API 10.1 reference holding only the methods the fake
answers (those in ``HANDLERS``, ``getUpdates``, and a few real ones it accepts and records in
``unimplemented``). Any other method answers 404 as an unknown one does, even a real one: add it
to that file, copied from the reference, before a test or the bot uses it.

Fault injection (deterministic, or at random with a seed) covers what production throws at a bot:
``fail_next`` (a JSON error such as 429 with retry_after, or with ``html=True`` the HTML page a
proxy in front of Telegram serves for a 500/502), ``reset_next`` (the TCP connection is dropped
with a reset and no HTTP response; ``after_effect=True`` first applies the call: a response lost
after the call took effect), ``hang_next`` (no response for a while, then a reset), ``delay``
(slow but successful), ``chaos`` (any of these at random, reproducibly per chat), and on the
update side ``duplicate_next_updates``, ``push_raw_update`` and ``reorder_updates``. Injected
faults are recorded as excused calls, never as refusals; ``injected`` counts them per kind and
``lost_responses`` lists the calls that took effect although the client got no answer.

Groups: ``add_group`` makes a "group" or "supergroup" with members and admins (the first admin
is the owner); ``getChatAdministrators`` and ``getChatMember`` answer from them. In privacy mode
the bot sees only commands there (``send_text``, ``send_anonymous`` for an anonymous admin,
``send_as_channel`` for a linked channel's automatic forward) and service messages (the fake
sends those of ``migrate_group``; ``add_member`` and ``remove_member`` push no update).
``migrate_group`` upgrades a group to a supergroup as Telegram does (service messages in both,
the old id then answers 400 with ``migrate_to_chat_id``); ``remove_bot``/``add_bot`` push
``my_chat_member`` and a removed bot gets 403 there. A user added with ``started=False`` never
opened the bot: deliveries to their private chat get 403 until they write to it. With
``group_limit=True`` the 21st message or edit to one group within 60 s gets 429, a refusal
(the bot broke the limit); ``max_per_minute`` measures the busiest minute of a chat.

Webhooks: ``setWebhook`` records the URL, secret token and allowed updates (``webhook``); while
one is set, ``getUpdates`` answers 409 as Telegram does, and the queued updates are POSTed one at
a time to the URL with the secret in ``X-Telegram-Bot-Api-Secret-Token``; a non-2xx answer keeps
the update, records ``last_error_message`` (``getWebhookInfo``) and is retried. The fake POSTs
only to 127.0.0.1: ``route_webhook`` maps the public https URL a test registers to the bot's
local listener. ``webhook_deliveries`` lists what each POST got; ``post_webhook`` sends one
update by hand, with any secret or none.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import math
import random
import re
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp
from aiohttp import web

DEFAULT_TOKEN = "123456:TEST-TOKEN"
BOT_FIRST_NAME, BOT_USERNAME = "Tutor", "tutor_test_bot"
MAX_TEXT, MAX_CALLBACK_DATA, MAX_ANSWER_TEXT = 4096, 64, 200
MAX_BUTTONS, MAX_ROW = 100, 8
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
WEBHOOK_PORTS = (443, 80, 88, 8443)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
NO_PRIVATE_ADMINS = "Bad Request: there are no administrators in the private chat"
# Who a post in a group comes from when no member wrote it (Telegram's fixed ids).
ANONYMOUS_ADMIN = {
    "id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"
}  # fmt: skip
CHANNEL_FORWARDER = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
# Telegram's limit in a group: 20 messages per minute; the fake counts sends and edits.
GROUP_LIMIT, GROUP_WINDOW = 20, 60.0
GROUP_LIMITED = ("sendMessage", "editMessageText", "editMessageReplyMarkup")
# The rights a human admin has by default; every field ChatMemberAdministrator requires.
ADMIN_RIGHTS = {
    "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
    "can_delete_messages": True, "can_manage_video_chats": True, "can_restrict_members": True,
    "can_promote_members": False, "can_change_info": True, "can_invite_users": True,
    "can_post_stories": False, "can_edit_stories": False, "can_delete_stories": False,
    "can_pin_messages": True,
}  # fmt: skip
_ACTION_WORDS = (
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note"
)
CHAT_ACTIONS = frozenset(_ACTION_WORDS.split())
# Telegram does not create these unless allowed_updates asks for them explicitly.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Methods that deliver something into a chat: a user who blocked the bot refuses them all.
CHAT_DELIVERY = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendChatAction"}
)
_BUTTON_WORDS = (
    "callback_data url web_app login_url switch_inline_query switch_inline_query_current_chat "
    "switch_inline_query_chosen_chat copy_text callback_game pay"
)
BUTTON_ACTIONS = _BUTTON_WORDS.split()


class ApiError(Exception):
    """A refusal, rendered as Telegram renders it: HTTP status == error_code."""

    def __init__(
        self, status: int, description: str, retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:  # fmt: skip
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error_code": self.status}
        out["description"] = self.description
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:
            out["parameters"] = {"migrate_to_chat_id": self.migrate_to_chat_id}
        return out


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# ---------------------------------------------------------------- the Bot API reference


class Param(NamedTuple):
    types: tuple[str, ...]
    required: bool


SPEC_FILE = Path(__file__).resolve().parent / "telegram" / "bot_api.json"


@functools.cache
def load_spec() -> dict[str, tuple[str, dict[str, Param]]]:
    """Map lower-cased method name → (canonical name, parameters); Telegram ignores case."""
    methods = json.loads(SPEC_FILE.read_text(encoding="utf-8"))["methods"]
    return {
        name.lower(): (name, {p: Param(tuple(f["types"]), f["required"]) for p, f in ps.items()})
        for name, ps in methods.items()
    }


def decode_value(name: str, types: tuple[str, ...], raw: Any) -> Any:
    """Form fields are strings; objects arrive as JSON strings (python-telegram-bot does so)."""
    if not isinstance(raw, str):
        return raw  # a JSON body is already typed
    if "Integer" in types:
        if re.fullmatch(r"\s*-?\d+\s*", raw):
            return int(raw)
        if "String" in types:
            return raw
        raise bad(f"invalid {name} specified")
    if types == ("Boolean",):
        if raw.lower() not in ("true", "false", "1", "0"):
            raise bad(f"invalid {name} specified")
        return raw.lower() in ("true", "1")
    if types == ("Float",):
        try:
            return float(raw)
        except ValueError:
            raise bad(f"invalid {name} specified") from None
    if "String" in types or "InputFile" in types:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        what = "reply keyboard markup" if name == "reply_markup" else name
        raise bad(f"can't parse {what} JSON object") from None


def decode_params(method: str, raw: dict[str, Any], strict: bool) -> dict[str, Any]:
    """Refuse unknown (strict mode: Telegram ignores them, but they are bot typos) and missing."""
    params = load_spec()[method.lower()][1]
    decoded = {}
    for name, value in raw.items():
        if name not in params:
            if strict:
                raise bad(f"unknown parameter {name}")
            continue
        decoded[name] = decode_value(name, params[name].types, value)
    for name, param in params.items():
        if param.required and name not in decoded:
            raise bad("message text is empty" if name == "text" else f"{name} is required")
    return decoded


# ---------------------------------------------------------------- HTML parse mode

ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
ATTR = r"""[a-zA-Z_-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]+))?"""
TAG_RE = re.compile(rf"<(/?)([a-zA-Z0-9-]*)((?:\s+{ATTR})*)\s*>")
ATTR_RE = re.compile(r"""([a-zA-Z_-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'<>]+))?""")
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
SIMPLE_TAGS = {
    **dict.fromkeys(("b", "strong"), "bold"),
    **dict.fromkeys(("i", "em"), "italic"),
    **dict.fromkeys(("u", "ins"), "underline"),
    **dict.fromkeys(("s", "strike", "del"), "strikethrough"),
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
VERBATIM = {"code", "pre"}  # they can't contain other entities
NO_SELF_NESTING = {"a", "blockquote"}
PLAIN_RUN_END = re.compile(r"[<&>]")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _html_error(source: str, pos: int, what: str) -> ApiError:
    return bad(f"can't parse entities: {what} at byte offset {len(source[:pos].encode())}")


def _decode_entity(match: re.Match[str]) -> str:
    dec, hexa, named = match.groups()
    return NAMED[named] if named else chr(int(dec or hexa, 16 if hexa else 10) % 0x110000)


@dataclass
class _Open:
    tag: str
    entity: dict[str, Any]
    start: int  # UTF-16 offset into the parsed text


class HtmlParser:
    """Telegram's HTML parse mode: allowed tags, proper nesting, escaped text → text + entities."""

    def __init__(self, source: str, strict: bool = True) -> None:
        self.source, self.strict = source, strict
        self.out: list[str] = []
        self.pos16 = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        src, i = self.source, 0
        while i < len(src):
            if src[i] == "<":
                i = self._tag(i)
            elif src[i] == "&":
                match = ENTITY_RE.match(src, i)
                if not match and self.strict:
                    raise _html_error(src, i, "unescaped '&', use &amp; (Telegram may tolerate it)")
                self._emit(_decode_entity(match) if match else "&")
                i = match.end() if match else i + 1
            elif src[i] == ">" and self.strict:
                raise _html_error(src, i, "unescaped '>', use &gt; (Telegram may tolerate it)")
            else:
                end = PLAIN_RUN_END.search(src, i + 1)
                self._emit(src[i : end.start() if end else len(src)])
                i = end.start() if end else len(src)
        if self.stack:
            raise bad(f"can't parse entities: can't find end tag for \"{self.stack[-1].tag}\"")
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.pos16 += utf16_len(text)

    def _tag(self, i: int) -> int:
        match = TAG_RE.match(self.source, i)
        if not match:
            raise _html_error(self.source, i, 'unsupported start tag ""')
        closing, tag, attrs = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            self._close(i, tag)
        else:
            self._open(i, tag, _attributes(attrs))
        return match.end()

    def _open(self, i: int, tag: str, attrs: dict[str, str]) -> None:
        entity = self._entity_for(i, tag, attrs)
        tags = [o.tag for o in self.stack]
        inner_code = tag == "code" and tags[-1:] == ["pre"]
        if (tags and tags[-1] in VERBATIM and not inner_code) or (tag in NO_SELF_NESTING & {*tags}):
            # Telegram drops such formatting silently; the fake refuses so you notice.
            raise _html_error(self.source, i, f'tag "{tag}" can\'t be nested here')
        if inner_code:
            language = attrs.get("class", "")
            if language.startswith("language-"):
                self.stack[-1].entity["language"] = language.removeprefix("language-")
            entity = {}  # <pre><code class="language-x"> is one pre entity
        self.stack.append(_Open(tag, entity, self.pos16))

    def _entity_for(self, i: int, tag: str, attrs: dict[str, str]) -> dict[str, Any]:
        if tag in SIMPLE_TAGS:
            return {"type": SIMPLE_TAGS[tag]}
        if tag == "span" and attrs.get("class") == "tg-spoiler":
            return {"type": "spoiler"}
        if tag == "a" and attrs.get("href"):
            return {"type": "text_link", "url": attrs["href"]}
        if tag == "tg-emoji" and attrs.get("emoji-id"):
            return {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}
        if tag == "blockquote":
            return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
        raise _html_error(self.source, i, f'unsupported start tag "{tag}"')

    def _close(self, i: int, tag: str) -> None:
        if not self.stack:
            raise _html_error(self.source, i, "unexpected end tag")
        top = self.stack.pop()
        if top.tag != tag:
            raise _html_error(self.source, i, f'expected "</{top.tag}>", found "</{tag}>"')
        if top.entity and self.pos16 > top.start:
            self.entities.append(
                {**top.entity, "offset": top.start, "length": self.pos16 - top.start}
            )


def _attributes(text: str) -> dict[str, str]:
    attrs = {}
    for name, value in ATTR_RE.findall(text):
        value = value[1:-1] if value[:1] in "\"'" and value else value
        attrs[name.lower()] = ENTITY_RE.sub(_decode_entity, value)
    return attrs


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims leading and trailing whitespace and shifts the entities with it."""
    stripped = text.strip()
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    size, kept = utf16_len(stripped), []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


# ---------------------------------------------------------------- inline keyboards


def check_markup(markup: Any, inline_only: bool) -> dict[str, Any] | None:
    """Validate reply_markup; return the inline keyboard Telegram would store (None = none)."""
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if inline_only or not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
            raise bad("can't parse inline keyboard markup JSON object")
        return None  # a reply keyboard is not part of the message
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad("can't parse inline keyboard markup JSON object")
    if sum(map(len, rows)) > MAX_BUTTONS or any(len(row) > MAX_ROW for row in rows):
        raise bad("reply markup is too long")
    for button in itertools.chain.from_iterable(rows):
        _check_button(button)
    rows = [row for row in rows if row]
    return {"inline_keyboard": rows} if rows else None


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad('can\'t parse inline keyboard button: field "text" must be of type String')
    if not button["text"].strip():
        raise bad("BUTTON_TEXT_INVALID")
    actions = [key for key in BUTTON_ACTIONS if key in button]
    if not actions:
        raise bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad(f"can't parse inline keyboard button: exactly one of {actions} must be used")
    data = button.get("callback_data")
    if "callback_data" in button and not (
        isinstance(data, str) and 1 <= len(data.encode()) <= MAX_CALLBACK_DATA
    ):
        raise bad("BUTTON_DATA_INVALID")
    if "url" in button and not re.match(r"(https?|tg)://\S+$", str(button["url"])):
        raise bad("BUTTON_URL_INVALID")


def button_rows(markup: dict[str, Any] | None) -> list[list[tuple[str, str | None]]]:
    rows = (markup or {}).get("inline_keyboard", [])
    return [[(b["text"], b.get("callback_data")) for b in row] for row in rows]


# ---------------------------------------------------------------- recorded state


@dataclass(frozen=True)
class Call:
    """One request the bot made, with the parameters decoded as Telegram decodes them."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    description: str = ""
    excused: bool = False  # injected by fail_next, or answered to a client that had hung up
    # The kind of injected fault ("429", "502_html", "reset", "lost_response", "hang", ...), or "".
    # status is 0 when no HTTP response was sent (reset, hang); 200 for a lost response.
    fault: str = ""
    result: Any = field(default=None, repr=False, compare=False)  # what a success returned


class CallbackAnswer(NamedTuple):
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None = None  # only a t.me/<bot>?start=<param> link is accepted


@dataclass
class Message:
    """A message in a chat. ``text`` is plain (after HTML parsing), ``html`` as the bot sent it."""

    chat_id: int
    message_id: int
    from_bot: bool
    text: str
    html: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    date: int = field(default_factory=lambda: int(time.time()))
    edited: int = 0  # how many successful edits
    edit_date: int = 0
    deleted: bool = False

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Rows of (text, callback_data); callback_data is None for url and other buttons."""
        return button_rows(self.reply_markup)

    def copy(self) -> Message:
        return Message(**{**self.__dict__, "entities": list(self.entities)})


@dataclass
class _Delay:
    seconds: float
    chat_id: int | None
    effect_first: bool


@dataclass(frozen=True)
class _Fault:
    """One injected fault. Without ``error`` the client gets no HTTP response at all: the
    connection is reset, after holding it ``hang`` seconds if set."""

    kind: str  # the key counted in FakeTelegram.injected
    error: ApiError | None = None  # answered (as Telegram's JSON, or a proxy's HTML page)
    html: bool = False
    hang: float = 0.0
    after_effect: bool = False  # apply the call first, then lose its response


CHAOS_KINDS = ("429", "502_html", "reset", "lost_response", "hang")
CHAOS_METHODS = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery")


def _fault_of_kind(kind: str, retry_after: int, hang_seconds: float) -> _Fault:
    """The faults ``chaos`` can pick: 429, 500, 502, 500_html, 502_html, reset, lost_response,
    hang, hang_after_effect."""
    status, _, html = kind.partition("_")
    if status in ("500", "502") and html in ("", "html"):
        return _Fault(kind, ApiError(int(status), HTTPStatus(int(status)).phrase), bool(html))
    flood = ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
    faults = {
        "429": _Fault(kind, flood),
        "reset": _Fault(kind),
        "lost_response": _Fault(kind, after_effect=True),
        "hang": _Fault(kind, hang=hang_seconds),
        "hang_after_effect": _Fault(kind, hang=hang_seconds, after_effect=True),
    }
    if kind not in faults:
        raise ValueError(f"unknown fault kind {kind!r}")
    return faults[kind]


@dataclass
class _Chaos:
    seed: int | str
    rate: float
    faults: list[_Fault]
    methods: frozenset[str]  # lower-cased
    counts: Counter[tuple[str, Any]] = field(default_factory=Counter)

    def pick(self, method: str, chat: Any) -> _Fault | None:
        """Decided by (seed, method, chat, how many such calls came before) alone, so a chat
        meets the same faults whatever the interleaving with other chats."""
        if method.lower() not in self.methods:
            return None
        n = self.counts[(method.lower(), chat)]
        self.counts[(method.lower(), chat)] += 1
        rng = random.Random(f"{self.seed}|{method.lower()}|{chat}|{n}")
        if rng.random() >= self.rate:
            return None
        return rng.choice(self.faults)


class FakeTelegram:
    """The fake server plus the simulated users: ``with FakeTelegram() as tg:`` or start/stop."""

    def __init__(
        self, token: str = DEFAULT_TOKEN, *, strict_params: bool = True, strict_html: bool = True,
        group_limit: bool = False,
    ) -> None:  # fmt: skip
        self.token, self.strict_params, self.strict_html = token, strict_params, strict_html
        self.group_limit = group_limit  # refuse the 21st message or edit to a group in 60 s
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True}
        self.bot_user |= {"first_name": BOT_FIRST_NAME, "username": BOT_USERNAME}
        self._lock = threading.RLock()
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._members: dict[int, dict[int, None]] = {}  # an ordered set of user ids per group
        self._admins: dict[int, list[int]] = {}  # per group, the owner first
        self._bot_out: dict[int, str] = {}  # group → "left" or "kicked" while the bot is out
        self._migrated: dict[int, int] = {}  # old group id → its supergroup's id
        self._forwards: Counter[int] = Counter()  # channel → posts forwarded so far
        self._inflight: Counter[int] = Counter()  # group → limited calls done, not yet recorded
        self._blocked: set[int] = set()
        self._unstarted: set[int] = set()  # users who never wrote to the bot
        self._messages: dict[int, dict[int, Message]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(10_000)
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._queries: dict[str, bool] = {}  # callback_query_id → answered
        self._allowed: list[str] = []
        self._poll_generation = 0
        self._webhook: dict[str, Any] | None = None  # what setWebhook set, and its last error
        self._webhook_routes: dict[str, str] = {}  # public URL → the listener on 127.0.0.1
        self._pump: asyncio.Task[None] | None = None
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status; 0: none)
        self.webhook_retry = 0.2  # seconds before a refused delivery is tried again
        self._faults: dict[str, deque[_Fault]] = {}
        self._chaos: _Chaos | None = None
        self._injected: Counter[str] = Counter()
        self._lost: list[Call] = []
        self._duplicate_next = 0
        self._query_chats: dict[str, int] = {}  # callback_query_id → chat, for chaos
        self._delays: dict[str, list[_Delay]] = {}
        self._bot_settings: dict[tuple[str, str, str], Any] = {}
        self._calls: list[Call] = []
        self._refusals: list[Call] = []
        self._answers: list[CallbackAnswer] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.unimplemented: list[Call] = []
        self.logged_out = False
        self._closing = False
        self._started = time.time()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping: asyncio.Event | None = None  # ends hanging calls when the server stops
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------ lifecycle

    def start(self) -> FakeTelegram:
        """Serve on 127.0.0.1 and a free port from a background thread with its own loop."""
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(sock, ready), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Telegram did not start")
        return self

    def stop(self) -> None:
        if not (self._loop and self._thread and self._runner):
            return
        self._closing = True
        self._loop.call_soon_threadsafe(self._notify)
        if self._pump is not None:
            self._loop.call_soon_threadsafe(self._pump.cancel)
        if self._stopping:
            self._loop.call_soon_threadsafe(self._stopping.set)
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What python-telegram-bot wants: ``Bot(token, base_url=tg.base_url)``."""
        return f"{self.api_url}/bot"

    def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        self._loop = loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        loop.run_until_complete(self._runner.setup())
        loop.run_until_complete(web.SockSite(self._runner, sock).start())
        ready.set()
        loop.run_forever()
        loop.close()

    def _notify(self) -> None:
        """Wake every waiting getUpdates and the webhook's deliveries (on the server loop)."""
        if self._wake:
            self._wake.set()
            self._wake = asyncio.Event()
        if self._webhook and not self._closing and (self._pump is None or self._pump.done()):
            self._pump = asyncio.get_running_loop().create_task(self._deliver_to_webhook())

    def _wake_pollers(self) -> None:
        with contextlib.suppress(AttributeError, RuntimeError):  # not started or stopped
            self._loop.call_soon_threadsafe(self._notify)  # type: ignore[union-attr]

    # ------------------------------------------------------------ users, chats, user actions

    def add_user(
        self, user_id: int, first_name: str = "Ada", username: str | None = None,
        *, started: bool = True, **extra: Any,
    ) -> dict[str, Any]:  # fmt: skip
        """A user; the private chat id equals the user id. With ``started=False`` the user never
        opened the bot: sending to their private chat gets 403 "bot can't initiate conversation
        with a user" until they write to the bot there (``send_text`` without chat_id)."""
        user = {"id": user_id, "is_bot": False, "first_name": first_name, **extra}
        if username:
            user["username"] = username
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        with self._lock:
            self._users[user_id] = user
            self._chats[user_id] = chat | ({"username": username} if username else {})
            if started:
                self._unstarted.discard(user_id)
            else:
                self._unstarted.add(user_id)
        return dict(user)

    def add_group(
        self, chat_id: int, title: str, members: tuple[int, ...] = (),
        admins: tuple[int, ...] = (), kind: str = "supergroup",
    ) -> dict:  # fmt: skip
        """A "group" or "supergroup" (negative id) the bot is a member of. ``admins`` are members
        (or the bot's own id): the first is the owner ("creator"), the others "administrator".
        Privacy mode: the bot only sees commands and service messages there. The group
        starts with the bot in it, without an update (see ``add_bot``)."""
        assert chat_id < 0, "group and supergroup ids are negative"
        assert kind in ("group", "supergroup"), f"kind is 'group' or 'supergroup', not {kind!r}"
        with self._lock:
            self._chats[chat_id] = {"id": chat_id, "type": kind, "title": title}
            self._members[chat_id] = dict.fromkeys(members)
            self._admins[chat_id] = []
            self._bot_out.pop(chat_id, None)
            self._migrated.pop(chat_id, None)
            self._set_admins(chat_id, admins)
        return dict(self._chats[chat_id])

    def set_admins(self, chat_id: int, admins: tuple[int, ...]) -> None:
        """Replace the group's admins (members, or the bot's id); the first is the owner."""
        with self._lock:
            self._set_admins(chat_id, admins)

    def _set_admins(self, chat_id: int, admins: tuple[int, ...]) -> None:
        assert chat_id in self._members, f"no group {chat_id}: call add_group first"
        for admin in admins:
            assert admin == self.bot_user["id"] or admin in self._members[chat_id], (
                f"admin {admin} is not a member of chat {chat_id}"
            )
            assert admin in self._users or admin == self.bot_user["id"], (
                f"unknown user {admin}: call add_user first"
            )
        assert tuple(admins)[:1] != (self.bot_user["id"],), "the bot can't own the group"
        self._admins[chat_id] = list(dict.fromkeys(admins))

    def add_member(self, chat_id: int, user_id: int) -> None:
        """The user joins the group (no update: chat_member updates are opt-in)."""
        with self._lock:
            assert chat_id in self._members, f"no group {chat_id}: call add_group first"
            self._members[chat_id][user_id] = None

    def remove_member(self, chat_id: int, user_id: int) -> None:
        """The user leaves the group (and its admins); getChatMember then says "left"."""
        with self._lock:
            assert chat_id in self._members, f"no group {chat_id}: call add_group first"
            self._members[chat_id].pop(user_id, None)
            self._admins[chat_id] = [a for a in self._admins[chat_id] if a != user_id]

    def send_text(self, user_id: int, text: str, chat_id: int | None = None) -> int:
        """The user sends text; a leading /command gets its bot_command entity as Telegram adds.
        Writing in the private chat also starts (and unblocks) the bot for that user."""
        with self._lock:
            chat_id = self._chat_of(user_id, chat_id)
            if chat_id == user_id:
                self._unstarted.discard(user_id)
                if user_id in self._blocked:  # writing to the bot means "Restart" was pressed
                    self._set_blocked(user_id, blocked=False)
            return self._post(chat_id, text, {"from": self._users[user_id]})

    def send_anonymous(self, chat_id: int, text: str) -> int:
        """An anonymous admin posts in the group: ``from`` is GroupAnonymousBot and
        ``sender_chat`` the group itself. Delivered as ``send_text`` in a group (commands)."""
        with self._lock:
            self._group_of(chat_id)
            sender = {"from": ANONYMOUS_ADMIN, "sender_chat": self._chats[chat_id]}
            return self._post(chat_id, text, sender)

    def send_as_channel(
        self, chat_id: int, channel_id: int, text: str, *, title: str = "Channel"
    ) -> int:
        """The group's linked channel posts: its automatic forward into the group comes from
        777000 "Telegram" with ``sender_chat`` the channel and ``is_automatic_forward``."""
        assert channel_id < 0, "channel ids are negative"
        with self._lock:
            self._group_of(chat_id)
            channel = {"id": channel_id, "type": "channel", "title": title}
            self._forwards[channel_id] += 1
            origin = {"type": "channel", "chat": channel, "date": int(time.time())}
            origin["message_id"] = self._forwards[channel_id]
            sender = {"from": CHANNEL_FORWARDER, "sender_chat": channel}
            sender |= {"is_automatic_forward": True, "forward_origin": origin}
            return self._post(chat_id, text, sender)

    def _post(self, chat_id: int, text: str, sender: dict[str, Any]) -> int:
        """Store a message not from the bot and deliver it as privacy mode allows."""
        entities = []
        if command := re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?", text):
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command[0])}]
        msg = self._store(chat_id, False, text, text, entities)
        message = self._message_json(msg) | sender
        private = self._chats[chat_id]["type"] == "private"
        if private or (command and chat_id not in self._bot_out):
            self._push_update({"message": message})
        return msg.message_id

    def _group_of(self, chat_id: int) -> dict[str, Any]:
        assert chat_id in self._members, f"no group {chat_id}: call add_group first"
        assert chat_id not in self._migrated, (
            f"group {chat_id} was upgraded to supergroup {self._migrated.get(chat_id)}"
        )
        return self._chats[chat_id]

    def _someone_in(self, chat_id: int) -> int:
        """Who acts for a group when a test does not say: the owner, else the first member."""
        people = [*self._admins[chat_id], *self._members[chat_id]]
        people = [user_id for user_id in people if user_id in self._users]
        assert people, f"group {chat_id} has no members"
        return people[0]

    def migrate_group(self, old_chat_id: int, new_chat_id: int) -> dict[str, Any]:
        """Upgrade a "group" to a supergroup with the same title, members, admins and a copy of
        its messages (same ids, so their buttons can still be tapped in the new chat). Pushes a
        service message with ``migrate_to_chat_id`` in the old chat and one with
        ``migrate_from_chat_id`` in the new one (from the owner, else the first member). The
        old id then answers 400 "group chat was upgraded to a supergroup chat" with
        ``parameters.migrate_to_chat_id``."""
        with self._lock:
            assert new_chat_id < 0 and new_chat_id not in self._chats, f"{new_chat_id} is taken"
            old = self._group_of(old_chat_id)
            assert old["type"] == "group", f"chat {old_chat_id} is a {old['type']}, not a group"
            by = self._users[self._someone_in(old_chat_id)]
            new = {"id": new_chat_id, "type": "supergroup", "title": old["title"]}
            self._chats[new_chat_id] = new
            self._members[new_chat_id] = dict(self._members[old_chat_id])
            self._admins[new_chat_id] = list(self._admins[old_chat_id])
            if old_chat_id in self._bot_out:
                self._bot_out[new_chat_id] = self._bot_out[old_chat_id]
            copies = self._messages.setdefault(new_chat_id, {})
            for message_id, msg in self._messages.get(old_chat_id, {}).items():
                copies[message_id] = copy = msg.copy()
                copy.chat_id = new_chat_id
                copy.reply_markup = json.loads(json.dumps(msg.reply_markup))
            for chat_id, key, value, note in (
                (old_chat_id, "migrate_to_chat_id", new_chat_id, "upgraded to supergroup"),
                (new_chat_id, "migrate_from_chat_id", old_chat_id, "upgraded from group"),
            ):
                msg = self._store(chat_id, False, f"[{note} {value}]", "", [])
                service = {"message_id": msg.message_id, "date": msg.date, "from": by}
                service |= {"chat": self._chats[chat_id], key: value}
                if old_chat_id not in self._bot_out:  # service messages pass privacy mode
                    self._push_update({"message": service})
            self._migrated[old_chat_id] = new_chat_id
            return dict(new)

    def remove_bot(self, chat_id: int, kicked: bool = False, by: int | None = None) -> None:
        """A member (``by``; default the owner, else the first member) removes the bot from the
        group: a ``my_chat_member`` update (member or administrator → "left", or "kicked"), and
        afterwards every call about that chat gets 403 ("bot was kicked from the supergroup
        chat", "bot is not a member of the group chat", ...) until ``add_bot``."""
        with self._lock:
            self._group_of(chat_id)
            assert chat_id not in self._bot_out, f"the bot is not in chat {chat_id}"
            old = self._member_json(chat_id, self.bot_user["id"])
            self._admins[chat_id] = [a for a in self._admins[chat_id] if a != self.bot_user["id"]]
            self._bot_out[chat_id] = "kicked" if kicked else "left"
            new = self._member_json(chat_id, self.bot_user["id"])
            self._push_my_chat_member(chat_id, by, old, new)

    def add_bot(self, chat_id: int, by: int | None = None) -> None:
        """A member (``by``; default the owner, else the first member) adds the bot back: a
        ``my_chat_member`` update ("left"/"kicked" → "member"); deliveries work again."""
        with self._lock:
            self._group_of(chat_id)
            assert chat_id in self._bot_out, f"the bot is already in chat {chat_id}"
            old = self._member_json(chat_id, self.bot_user["id"])
            del self._bot_out[chat_id]
            new = self._member_json(chat_id, self.bot_user["id"])
            self._push_my_chat_member(chat_id, by, old, new)

    def _push_my_chat_member(
        self, chat_id: int, by: int | None, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        by = self._someone_in(chat_id) if by is None else by
        assert by in self._users and by in self._members[chat_id], (
            f"user {by} is not a member of chat {chat_id}"
        )
        self._push_update({"my_chat_member": {
            "chat": self._chats[chat_id], "from": self._users[by], "date": int(time.time()),
            "old_chat_member": old, "new_chat_member": new,
        }})  # fmt: skip

    def _member_json(self, chat_id: int, user_id: int) -> dict[str, Any]:
        """The ChatMember Telegram returns for the user, every required field set."""
        is_bot = user_id == self.bot_user["id"]
        user = self.bot_user if is_bot else self._users.get(user_id)
        if user is None:
            raise bad("user not found")
        chat = self._chats[chat_id]
        if chat["type"] == "private":
            status = "member" if user_id in (chat_id, self.bot_user["id"]) else "left"
        elif is_bot and chat_id in self._bot_out:
            status = self._bot_out[chat_id]
        elif user_id in self._admins.get(chat_id, [])[:1]:
            status = "creator"
        elif user_id in self._admins.get(chat_id, []):
            status = "administrator"
        elif is_bot or user_id in self._members.get(chat_id, {}):
            status = "member"
        else:
            status = "left"
        out: dict[str, Any] = {"status": status, "user": dict(user)}
        if status == "creator":
            out["is_anonymous"] = False
        elif status == "administrator":
            out |= ADMIN_RIGHTS
        elif status == "kicked":
            out["until_date"] = 0
        return json.loads(json.dumps(out))

    def tap(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        forge: bool = False,
    ) -> str:
        """The user taps an inline button; refuses data not on the message unless ``forge``."""
        with self._lock:
            chat_id = self._chat_of(user_id, chat_id)
            msg = self._messages.get(chat_id, {}).get(message_id)
            assert msg and msg.from_bot, f"no bot message {message_id} in chat {chat_id}"
            on_message = [data for row in msg.buttons for _, data in row]
            assert forge or (not msg.deleted and callback_data in on_message), (
                f"no button with callback_data {callback_data!r} on message {message_id}; "
                f"buttons now: {msg.buttons} (use forge=True for a forged tap)"
            )
            if chat_id == user_id and user_id in self._blocked:
                self._set_blocked(user_id, blocked=False)
            query_id = str(next(self._query_ids))
            self._queries[query_id] = False
            self._query_chats[query_id] = chat_id
            self._push_update({"callback_query": {
                "id": query_id, "from": self._users[user_id], "message": self._message_json(msg),
                "chat_instance": str(abs(chat_id) * 7919), "data": callback_data,
            }})  # fmt: skip
            return query_id

    def tap_button(
        self, user_id: int, message_id: int | None, text_contains: str, **kwargs: Any
    ) -> str:
        """Tap the first button whose label contains ``text_contains`` (None: last bot message)."""
        chat_id = kwargs.get("chat_id") or user_id
        msg = self.last_message(chat_id) if message_id is None else self._get(chat_id, message_id)
        assert msg, f"no bot message to tap in chat {chat_id}"
        for label, data in itertools.chain.from_iterable(msg.buttons):
            if text_contains in label and data is not None:
                return self.tap(user_id, msg.message_id, data, **kwargs)
        raise AssertionError(f"no button containing {text_contains!r}; buttons: {msg.buttons}")

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue any raw update (without update_id) for a case the helpers don't cover."""
        with self._lock:
            return self._push_update(update)

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to that chat get 403 until ``unblock``."""
        self._set_blocked(user_id, blocked=True)

    def unblock(self, user_id: int) -> None:
        self._set_blocked(user_id, blocked=False)

    def _set_blocked(self, user_id: int, blocked: bool) -> None:
        with self._lock:
            assert user_id in self._users, f"unknown user {user_id}"
            if blocked == (user_id in self._blocked):
                return
            member, kicked = {"user": self.bot_user}, {"status": "kicked", "until_date": 0}
            if blocked:
                self._blocked.add(user_id)
                old, new = member | {"status": "member"}, member | kicked
            else:
                self._blocked.discard(user_id)
                old, new = member | kicked, member | {"status": "member"}
            self._push_update({"my_chat_member": {
                "chat": self._chats[user_id], "from": self._users[user_id],
                "date": int(time.time()), "old_chat_member": old, "new_chat_member": new,
            }})  # fmt: skip

    def _chat_of(self, user_id: int, chat_id: int | None) -> int:
        assert user_id in self._users, f"unknown user {user_id}: call add_user first"
        chat_id = user_id if chat_id is None else chat_id
        assert chat_id not in self._migrated, (
            f"group {chat_id} was upgraded to supergroup {self._migrated.get(chat_id)}"
        )
        assert chat_id == user_id or user_id in self._members.get(chat_id, ()), (
            f"user {user_id} is not a member of chat {chat_id}"
        )
        return chat_id

    def _push_update(self, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._enqueue({"update_id": update_id, **payload})
        return update_id

    def _enqueue(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        if self._duplicate_next > 0:
            self._duplicate_next -= 1
            self._updates.append(json.loads(json.dumps(update)))
        self._wake_pollers()

    # ------------------------------------------------------------ webhooks

    def route_webhook(self, public_url: str, local_url: str) -> None:
        """POST what Telegram would send to ``public_url`` to ``local_url`` (on 127.0.0.1)."""
        assert local_url.startswith(("http://127.0.0.1:", "http://localhost:")), local_url
        with self._lock:
            self._webhook_routes[public_url] = local_url

    @property
    def webhook(self) -> dict[str, Any] | None:
        """What setWebhook set (url, secret_token, allowed_updates, ...), or None."""
        with self._lock:
            return dict(self._webhook) if self._webhook else None

    def post_webhook(
        self, update: dict[str, Any], secret: str | None = "", url: str | None = None
    ) -> int:
        """POST one update by hand to the webhook (default: the one set) with ``secret`` in the
        header (default: the registered one; None: no header); the HTTP status. Blocks the
        calling thread: for a bot running in another process."""
        with self._lock:
            hook = self._webhook or {}
            target = url or hook.get("url", "")
            secret = hook.get("secret_token") if secret == "" else secret
        assert self._loop is not None, "the fake is not running"
        sending = self._post_update(target, update, secret)
        status, _ = asyncio.run_coroutine_threadsafe(sending, self._loop).result(15)
        return status

    async def _deliver_to_webhook(self) -> None:
        """While a webhook is set: POST the oldest queued update, drop it on a 2xx, else note
        the error and try again shortly (Telegram waits longer), one at a time, in order."""
        while not self._closing:
            with self._lock:
                hook = dict(self._webhook) if self._webhook else None
                batch = self._deliverable()[:1] if hook else []
            if hook is None:
                return
            if not batch:
                wake = self._wake
                assert wake is not None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), 1.0)
                continue
            update = batch[0]
            status, error = await self._post_update(hook["url"], update, hook.get("secret_token"))
            with self._lock:
                self.webhook_deliveries.append((update["update_id"], status))
                if 200 <= status < 300:
                    self._drop_first(update["update_id"])
                elif self._webhook is not None:
                    self._webhook["last_error_date"] = int(time.time())
                    self._webhook["last_error_message"] = error
            if not 200 <= status < 300:
                await asyncio.sleep(self.webhook_retry)

    def _drop_first(self, update_id: int) -> None:
        """A delivered update leaves the queue (a duplicated one is delivered again)."""
        for i, queued in enumerate(self._updates):
            if queued["update_id"] == update_id:
                del self._updates[i]
                return

    async def _post_update(
        self, url: str, update: dict[str, Any], secret: str | None
    ) -> tuple[int, str]:
        """(HTTP status, Telegram's words for a failure); status 0 when nothing answered."""
        with self._lock:
            target = self._webhook_routes.get(url, url)
        if not target.startswith(("http://127.0.0.1:", "http://localhost:")):
            return 0, "Failed to resolve host: the fake posts only to 127.0.0.1 (route_webhook)"
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        timeout = aiohttp.ClientTimeout(total=10)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(target, data=json.dumps(update), headers=headers) as response,
            ):
                await response.read()
                said = f"{response.status} {response.reason or ''}".strip()
                return response.status, f"Wrong response from the webhook: {said}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return 0, f"Connection refused ({type(exc).__name__})"

    # ------------------------------------------------------------ update faults

    def duplicate_next_updates(self, n: int = 1) -> None:
        """Each of the next ``n`` updates queued (by any user action or push) is queued twice
        in a row with the same update_id, so one getUpdates answer holds it twice, as a bot
        sees an update Telegram redelivers. Confirming an offset past it drops both copies;
        ``pending_updates`` counts both."""
        with self._lock:
            self._duplicate_next += n

    def push_raw_update(self, update: dict[str, Any]) -> int:
        """Queue an update with its own update_id, e.g. a copy of one already delivered, to
        redeliver it. Offsets still rule: a getUpdates whose offset is past its id drops it, as
        Telegram would, so only a poll with no offset or an older one (a restarted bot) gets it.
        Later updates get ids above every id seen. Returns the update_id."""
        update_id = update.get("update_id")
        assert isinstance(update_id, int) and update_id > 0, "update_id must be a positive int"
        assert len(update) >= 2, "an update needs a kind besides update_id"
        with self._lock:
            self._update_ids = itertools.count(max(update_id + 1, next(self._update_ids)))
            self._enqueue(json.loads(json.dumps(update)))
        return update_id

    def reorder_updates(self, seed: int | str) -> list[int]:
        """Shuffle the pending (unconfirmed) updates with ``random.Random(seed)`` and return
        their update_ids in the new order. update_ids then arrive out of order, so a bot that
        confirms "last update_id + 1" (as python-telegram-bot does) drops every pending update
        below that id, delivered or not, and gets those above it again. Telegram keeps one
        chat's updates in order; this checks the bot tolerates it anyway."""
        with self._lock:
            random.Random(seed).shuffle(self._updates)
            return [u["update_id"] for u in self._updates]

    # ------------------------------------------------------------ fault injection

    def fail_next(
        self, method: str, status: int, description: str | None = None,
        retry_after: int | None = None, times: int = 1, *, html: bool = False,
    ) -> None:  # fmt: skip
        """The next ``times`` calls of ``method`` fail without taking effect. With ``html`` the
        error is the page a proxy in front of Telegram serves (text/html, e.g.
        ``<html><body>502 Bad Gateway</body></html>``), not Telegram's JSON."""
        if status == 429:
            retry_after = retry_after or 1
            description = description or f"Too Many Requests: retry after {retry_after}"
        defaults = {502: "Bad Gateway", 500: "Internal Server Error", 403: BLOCKED, 409: CONFLICT}
        if html:
            defaults[status] = HTTPStatus(status).phrase
        error = ApiError(status, description or defaults.get(status, "Bad Request"), retry_after)
        fault = _Fault(f"{status}_html" if html else str(status), error, html)
        self._queue_fault(method, fault, times)

    def fail_next_html(self, method: str, status: int = 502, times: int = 1) -> None:
        """``fail_next(method, status, times=times, html=True)``: a proxy's HTML error page."""
        self.fail_next(method, status, times=times, html=True)

    def reset_next(self, method: str, times: int = 1, *, after_effect: bool = False) -> None:
        """The next ``times`` calls of ``method`` get no HTTP response: the server resets the
        TCP connection (httpx raises ``ReadError``, python-telegram-bot ``NetworkError``).
        ``after_effect`` applies the call first (message stored, edit applied, query answered):
        a response lost after the call took effect, listed in ``lost_responses``. A call that
        Telegram refuses is answered with its refusal as usual, and the fault is spent."""
        self._queue_fault(method, _Fault("lost_response" if after_effect else "reset",
                                         after_effect=after_effect), times)  # fmt: skip

    def hang_next(
        self, method: str, seconds: float, times: int = 1, *, after_effect: bool = False
    ) -> None:
        """The next ``times`` calls of ``method`` get no response for ``seconds`` (make it longer
        than the client's read timeout, so it times out), then a reset; never a success. The
        wait runs on the server loop (other calls go on) and ends early when the server stops.
        ``after_effect`` as for ``reset_next``."""
        kind = "hang_after_effect" if after_effect else "hang"
        self._queue_fault(method, _Fault(kind, hang=seconds, after_effect=after_effect), times)

    def clear_faults(self) -> None:
        """Forget every fault queued with the ``*_next`` methods and stop chaos."""
        with self._lock:
            self._faults.clear()
        self.chaos_off()

    def _queue_fault(self, method: str, fault: _Fault, times: int) -> None:
        with self._lock:
            self._faults.setdefault(method.lower(), deque()).extend([fault] * times)

    def chaos(
        self,
        seed: int | str,
        rate: float = 0.05,
        kinds: tuple[str, ...] = CHAOS_KINDS,
        methods: tuple[str, ...] = CHAOS_METHODS,
        *,
        hang_seconds: float = 6.0,
        retry_after: int = 1,
    ) -> None:
        """From now on each call of ``methods`` meets, with probability ``rate``, one fault
        drawn uniformly from ``kinds``: "429" (JSON, ``retry_after``), "500", "502",
        "500_html", "502_html", "reset", "lost_response" (reset after the effect), "hang" and
        "hang_after_effect" (no answer for ``hang_seconds``, just over python-telegram-bot's
        5 s read timeout by default, then a reset). Faults queued by the ``*_next`` methods go
        first. The draw for a call depends only on (seed, method, chat, how many calls of that
        method to that chat came before; answerCallbackQuery counts in the tapped chat), so a
        chat meets the same faults in every run whatever the interleaving with other chats."""
        faults = [_fault_of_kind(kind, retry_after, hang_seconds) for kind in kinds]
        assert faults and 0 <= rate <= 1, "chaos needs kinds and a rate in [0, 1]"
        with self._lock:
            self._chaos = _Chaos(seed, rate, faults, frozenset(m.lower() for m in methods))

    def chaos_off(self) -> None:
        with self._lock:
            self._chaos = None

    def _take_fault(self, method: str, params: dict[str, Any]) -> _Fault | None:
        with self._lock:
            queued = self._faults.get(method.lower())
            if queued:
                return queued.popleft()
            if not self._chaos:
                return None
            chat = params.get("chat_id", self._query_chats.get(params.get("callback_query_id")))
            return self._chaos.pick(method, chat)

    def delay(
        self, method: str, seconds: float, *, chat_id: int | None = None, effect_first: bool = False
    ) -> None:
        """Make calls slow (only those to ``chat_id`` if given). ``effect_first`` applies the call
        before the wait: a client timing out then sees a call that did happen, as in production."""
        with self._lock:
            self._delays.setdefault(method.lower(), []).append(
                _Delay(seconds, chat_id, effect_first)
            )

    def clear_delays(self) -> None:
        with self._lock:
            self._delays.clear()

    # ------------------------------------------------------------ inspection

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    @property
    def refusals(self) -> list[Call]:
        """Every 4xx/5xx returned that was not injected: the bot sent something Telegram refuses."""
        with self._lock:
            return list(self._refusals)

    @property
    def injected(self) -> Counter[str]:
        """How many faults of each kind were injected so far (a copy); a kind spent on a call
        that was refused instead (``after_effect`` on a refused call) is not counted."""
        with self._lock:
            return Counter(self._injected)

    @property
    def lost_responses(self) -> list[Call]:
        """Calls that took effect while the client got no answer (``reset_next``/``hang_next``
        with after_effect, chaos "lost_response"/"hang_after_effect"): a bot retrying one of
        these repeats it through no fault of its own. ``Call.result`` holds what it returned
        (e.g. the message sent)."""
        with self._lock:
            return list(self._lost)

    def sent_texts(self, chat_id: int) -> list[str]:
        """The plain text of every message the bot sent to the chat, oldest first: deleted
        ones included, edited ones with their final text."""
        return [m.text for m in self.chat_messages(chat_id)]

    def duplicates(self, chat_id: int) -> int:
        """Bot messages the learner sees twice in a row. Over the chat's messages in order,
        deleted ones left out (the learner no longer sees them), count each bot message whose
        final text and button labels (rows of labels, callback_data ignored) equal those of the
        message right before it, when that one is the bot's too. A message of the user's in
        between breaks the run; three in a row count 2."""
        with self._lock:
            live = [m for m in self._messages.get(chat_id, {}).values() if not m.deleted]

        def seen(m: Message) -> tuple[str, list[list[str]]]:
            return m.text, [[label for label, _ in row] for row in m.buttons]

        return sum(
            1
            for before, msg in itertools.pairwise(live)
            if before.from_bot and msg.from_bot and seen(before) == seen(msg)
        )

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        with self._lock:
            return list(self._answers)

    def unanswered_queries(self) -> list[str]:
        """Taps the bot never answered: the user's client shows a spinner for seconds."""
        with self._lock:
            return [qid for qid, answered in self._queries.items() if not answered]

    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a getUpdates offset (Telegram's
        pending_update_count): non-zero while the bot has not fetched and moved past them."""
        with self._lock:
            return len(self._updates)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def max_per_minute(self, chat_id: int, methods: tuple[str, ...] = GROUP_LIMITED) -> int:
        """The most successful calls of ``methods`` to the chat within any 60 s (by
        ``Call.time``; calls 60 s or more apart are never in one window). Telegram allows 20 in
        a group. Responses lost after the effect count: the message was sent."""
        wanted = {method.lower() for method in methods}
        times = sorted(
            call.time
            for call in self.calls
            if call.status == 200
            and call.method.lower() in wanted
            and call.params.get("chat_id") == chat_id
        )
        best, first = 0, 0
        for last, moment in enumerate(times):
            while moment - times[first] >= GROUP_WINDOW:
                first += 1
            best = max(best, last - first + 1)
        return best

    def chat_messages(self, chat_id: int, include_deleted: bool = True) -> list[Message]:
        """The bot's messages in a chat, oldest first (copies: they don't change under you)."""
        with self._lock:
            messages = self._messages.get(chat_id, {}).values()
            return [m.copy() for m in messages if m.from_bot and (include_deleted or not m.deleted)]

    def last_message(self, chat_id: int) -> Message | None:
        messages = self.chat_messages(chat_id, include_deleted=False)
        return messages[-1] if messages else None

    def transcript(self, chat_id: int, last: int = 15) -> str:
        """The conversation as text, for failure messages."""
        with self._lock:
            messages = list(self._messages.get(chat_id, {}).values())[-last:]
        lines = []
        for m in messages:
            who = "bot" if m.from_bot else "user"
            flags = (" [deleted]" if m.deleted else "") + (
                f" [edited x{m.edited}]" if m.edited else ""
            )
            lines.append(f"  #{m.message_id} {who}{flags}: {m.text!r} {m.buttons or ''}".rstrip())
        return "\n".join(lines) or "  (no messages)"

    def dump(self) -> str:
        with self._lock:
            chats = list(self._messages)
        parts = [f"chat {chat_id}:\n{self.transcript(chat_id)}" for chat_id in chats]
        parts.append("last calls:\n" + "\n".join(f"  {c}" for c in self.calls[-10:]))
        parts.append("refusals:\n" + "\n".join(f"  {c}" for c in self.refusals))
        return "\n".join(parts)

    def wait_for(self, predicate: Callable[[FakeTelegram], Any], timeout: float = 5.0) -> Any:
        """Block until ``predicate(self)`` is truthy and return its value; AssertionError + dump."""
        deadline = time.monotonic() + timeout
        while not (value := predicate(self)):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting\n{self.dump()}")
            time.sleep(0.01)
        return value

    async def wait_for_async(
        self,
        predicate: Callable[[FakeTelegram], Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Any:
        """Like wait_for, but lets a bot running on the caller's event loop make progress."""
        deadline = time.monotonic() + timeout
        while not (value := predicate(self)):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting\n{self.dump()}")
            await asyncio.sleep(0.01)
        return value

    def _message_matcher(self, chat_id: int, text: str, after: int) -> Callable[..., Any]:
        def find(_: FakeTelegram) -> Message | None:
            for msg in self.chat_messages(chat_id, include_deleted=False):
                if msg.message_id > after and text in msg.text:
                    return msg
            return None

        return find

    def wait_for_message(
        self, chat_id: int, text_contains: str, timeout: float = 5.0, after: int = 0
    ) -> Message:
        """A live bot message (with message_id > after) whose plain text contains the snippet."""
        return self.wait_for(self._message_matcher(chat_id, text_contains, after), timeout)

    async def wait_for_message_async(
        self,
        chat_id: int,
        text_contains: str,
        timeout: float = 5.0,  # noqa: ASYNC109
        after: int = 0,
    ) -> Message:
        matcher = self._message_matcher(chat_id, text_contains, after)
        return await self.wait_for_async(matcher, timeout)

    # ------------------------------------------------------------ HTTP plumbing

    async def _handle(self, request: web.Request) -> web.Response:
        method, params, injected = request.match_info["method"], {}, False
        try:
            method, params = self._resolve(request), await _read_params(request)
            params = decode_params(method, params, self.strict_params)
            fault = self._take_fault(method, params)
            if fault and fault.error and not fault.html:
                injected = True
                self._count(fault)
                raise fault.error
            if fault and not fault.after_effect:
                return await self._inject(request, method, params, fault)
            result = await self._perform(method, params)
            if fault:  # the call took effect: now lose its response
                return await self._inject(request, method, params, fault, result)
            self._record(method, params, result=result)
            return web.json_response({"ok": True, "result": result})
        except ApiError as error:
            gone = await _client_gone(request) if error.description == CONFLICT else False
            self._record(method, params, error, injected or gone)
            return web.json_response(error.body(), status=error.status)
        except ConnectionResetError:  # the client hung up mid-request (a cancelled poll)
            return web.Response(status=499)
        except Exception as exc:  # a bug in the fake must fail the test loudly, not hang it
            crash = ApiError(500, f"Internal Server Error: the fake crashed: {exc!r}")
            self._record(method, params, crash)
            return web.json_response(crash.body(), status=500)

    def _resolve(self, request: web.Request) -> str:
        token, method = request.match_info["token"], request.match_info["method"]
        if ":" not in token:
            raise ApiError(404, "Not Found")
        if token != self.token or self.logged_out:
            raise ApiError(401, "Unauthorized")
        if method.lower() not in load_spec():
            raise ApiError(404, "Not Found")
        return load_spec()[method.lower()][0]

    def _record(
        self, method: str, params: dict, error: ApiError | None = None, excused: bool = False,
        *, fault: str = "", result: Any = None,
    ) -> Call:  # fmt: skip
        status, description = (error.status, error.description) if error else (200, "")
        call = Call(method, params, time.time(), status, description, excused, fault, result)
        with self._lock:
            limited = _limited_chat(method, params)
            if status == 200 and limited is not None and self._inflight[limited] > 0:
                self._inflight[limited] -= 1
            self._calls.append(call)
            if error and not excused:
                self._refusals.append(call)
        return call

    def _count(self, fault: _Fault) -> None:
        with self._lock:
            self._injected[fault.kind] += 1

    async def _inject(
        self, request: web.Request, method: str, params: dict, fault: _Fault, result: Any = None
    ) -> web.Response:
        """Answer an HTML error page, or no response at all (after holding the connection)."""
        self._count(fault)
        if fault.error:  # a proxy's error page
            self._record(method, params, fault.error, True, fault=fault.kind)
            code = fault.error.status
            page = f"<html><body>{code} {HTTPStatus(code).phrase}</body></html>"
            return web.Response(status=code, text=page, content_type="text/html")
        if fault.after_effect:
            call = self._record(method, params, None, True, fault=fault.kind, result=result)
            with self._lock:
                self._lost.append(call)
        else:
            what = f"no response for {fault.hang:g}s, then " if fault.hang else ""
            lost = ApiError(0, f"{what}connection reset (injected)")
            self._record(method, params, lost, True, fault=fault.kind)
        if fault.hang:
            assert self._stopping is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), fault.hang)
        _reset(request)
        return web.Response(status=499)  # never reaches the client

    async def _perform(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getUpdates":
            return await self._get_updates(params)
        with self._lock:
            rules = self._delays.get(method.lower(), [])
            delays = [d for d in rules if d.chat_id in (None, params.get("chat_id"))]
        await asyncio.sleep(sum(d.seconds for d in delays if not d.effect_first))
        with self._lock:
            if method not in HANDLERS:  # a real method the fake does not model: say so
                self.unimplemented.append(Call(method, params, time.time()))
            limited = _limited_chat(method, params)
            if limited is not None and self.group_limit:
                self._check_group_limit(limited)
            result = HANDLERS[method](self, params) if method in HANDLERS else True
            if limited is not None:
                self._inflight[limited] += 1  # until _record has the call
        await asyncio.sleep(sum(d.seconds for d in delays if d.effect_first))
        return result

    def _check_group_limit(self, chat_id: int) -> None:
        """The 21st message or edit to a group within 60 s gets 429 with the seconds until the
        oldest of the 20 leaves the window; counted as a refusal: the bot broke the limit."""
        now, recent = time.time(), []
        for call in reversed(self._calls):  # recorded in time order, on the server thread
            if now - call.time >= GROUP_WINDOW:
                break
            if call.status == 200 and _limited_chat(call.method, call.params) == chat_id:
                recent.append(call.time)
        over = len(recent) + self._inflight[chat_id] - GROUP_LIMIT + 1
        if over > 0:
            recent.sort()
            leaves = recent[over - 1] + GROUP_WINDOW if over <= len(recent) else now + GROUP_WINDOW
            wait = max(math.ceil(leaves - now), 1)
            raise ApiError(429, f"Too Many Requests: retry after {wait}", wait)

    # ------------------------------------------------------------ getUpdates (long polling)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """A newer getUpdates terminates the waiting one with 409, as Telegram does."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(params.get("timeout", 0), 0), 50)
        with self._lock:
            if self._webhook is not None:
                raise ApiError(409, WEBHOOK_ACTIVE)
            self._poll_generation += 1
            generation = self._poll_generation
            self._confirm(params.get("offset", 0))
            if "allowed_updates" in params:
                self._allowed = list(params["allowed_updates"])
        self._notify()
        while True:
            with self._lock:
                if generation != self._poll_generation:
                    raise ApiError(409, CONFLICT)
                batch = self._deliverable()[: min(max(params.get("limit", 100), 1), 100)]
            if batch or loop.time() >= deadline or self._closing:
                return batch
            wake = self._wake
            assert wake is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), deadline - loop.time())

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _deliverable(self) -> list[dict[str, Any]]:
        """Drop updates of types the bot did not ask for; Telegram would not have created them."""

        def allowed(update: dict[str, Any]) -> bool:
            kind = next(key for key in update if key != "update_id")
            return kind in self._allowed if self._allowed else kind not in OPT_IN_UPDATES

        self._updates = [u for u in self._updates if allowed(u)]
        return json.loads(json.dumps(self._updates))

    # ------------------------------------------------------------ messages

    def _chat(self, chat_id: Any, method: str = "") -> dict[str, Any]:
        if chat_id not in self._chats:
            raise bad("chat not found")
        if chat_id in self._migrated:
            raise ApiError(400, MIGRATED, migrate_to_chat_id=self._migrated[chat_id])
        chat = self._chats[chat_id]
        if chat_id in self._bot_out:
            kind = chat["type"]
            if self._bot_out[chat_id] == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        if method in CHAT_DELIVERY and chat_id in self._blocked:
            raise ApiError(403, BLOCKED)
        if method in CHAT_DELIVERY and chat_id in self._unstarted:
            raise ApiError(403, CANT_INITIATE)
        return chat

    def _store(self, chat_id: int, from_bot: bool, text: str, raw: str, entities: list) -> Message:
        chat_messages = self._messages.setdefault(chat_id, {})
        message_id = max(chat_messages, default=0) + 1
        msg = Message(chat_id, message_id, from_bot, text, raw, entities)
        chat_messages[message_id] = msg
        return msg

    def _get(self, chat_id: int, message_id: int) -> Message | None:
        with self._lock:
            return self._messages.get(chat_id, {}).get(message_id)

    def _message_json(self, msg: Message) -> dict[str, Any]:
        if msg.deleted:  # an InaccessibleMessage
            return {"chat": self._chats[msg.chat_id], "message_id": msg.message_id, "date": 0}
        out: dict[str, Any] = {"message_id": msg.message_id, "date": msg.date}
        out |= {"chat": self._chats[msg.chat_id], "text": msg.text}
        if msg.from_bot:
            out["from"] = self.bot_user
        if msg.entities:
            out["entities"] = msg.entities
        if msg.reply_markup:
            out["reply_markup"] = msg.reply_markup
        if msg.edited:
            out["edit_date"] = msg.edit_date
        return json.loads(json.dumps(out))

    def _parse_text(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        """Apply parse_mode and Telegram's trimming, then enforce the 1–4096 UTF-16 limit."""
        raw, mode = params.get("text", ""), str(params.get("parse_mode", "")).lower()
        if mode == "html":
            text, entities = HtmlParser(raw, self.strict_html).parse()
        elif mode in ("", "markdown", "markdownv2"):  # Markdown is not validated by the fake
            text, entities = raw, list(params.get("entities") or [])
        else:
            raise bad("unsupported parse_mode")
        text, entities = strip_text(text, entities)
        if not text:
            raise bad("message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise bad("message is too long")
        return text, entities

    def _editable(self, params: dict[str, Any], method: str) -> Message:
        if "inline_message_id" in params:
            raise bad("inline messages are not supported by the fake")
        if "chat_id" not in params or "message_id" not in params:
            raise bad("message identifier is not specified")
        self._chat(params["chat_id"], method)
        msg = self._messages.get(params["chat_id"], {}).get(params["message_id"])
        if not msg or msg.deleted:
            raise bad("message to edit not found")
        if not msg.from_bot:
            raise bad("message can't be edited")
        return msg

    def _markup(self, params: dict[str, Any], inline_only: bool) -> dict[str, Any] | None:
        """Omitting reply_markup on an edit removes the keyboard, as in Telegram."""
        if "reply_markup" not in params:
            return None
        return check_markup(params["reply_markup"], inline_only)

    def _edit(self, msg: Message, text: str, entities: list, raw: str, markup: dict | None) -> Any:
        if (text, entities, markup) == (msg.text, msg.entities, msg.reply_markup):
            raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.text, msg.entities, msg.html, msg.reply_markup = text, entities, raw, markup
        msg.edited, msg.edit_date = msg.edited + 1, int(time.time())
        return self._message_json(msg)


# ---------------------------------------------------------------- method handlers
# Each runs under the lock with decoded parameters and returns the "result" or raises ApiError.


def _get_me(tg: FakeTelegram, _: dict[str, Any]) -> dict[str, Any]:
    flags = {"can_join_groups": True, "can_read_all_group_messages": False}
    return tg.bot_user | flags | {"supports_inline_queries": False}


def _send_message(tg: FakeTelegram, p: dict[str, Any]) -> dict[str, Any]:
    tg._chat(p["chat_id"], "sendMessage")
    _check_reply_target(tg, p)
    text, entities = tg._parse_text(p)
    markup = tg._markup(p, inline_only=False)
    msg = tg._store(p["chat_id"], True, text, p["text"], entities)
    msg.reply_markup = markup
    return tg._message_json(msg)


def _check_reply_target(tg: FakeTelegram, p: dict[str, Any]) -> None:
    """Replying to a message that is gone is refused unless allow_sending_without_reply."""
    reply = p.get("reply_parameters") or {}
    target = reply.get("message_id", p.get("reply_to_message_id"))
    allow = reply.get("allow_sending_without_reply", p.get("allow_sending_without_reply"))
    msg = tg._messages.get(reply.get("chat_id", p["chat_id"]), {}).get(target)
    if target and not allow and (not msg or msg.deleted):
        raise bad("message to be replied not found")


def _edit_text(tg: FakeTelegram, p: dict[str, Any]) -> dict[str, Any]:
    msg = tg._editable(p, "editMessageText")
    text, entities = tg._parse_text(p)
    return tg._edit(msg, text, entities, p["text"], tg._markup(p, inline_only=True))


def _edit_markup(tg: FakeTelegram, p: dict[str, Any]) -> dict[str, Any]:
    msg = tg._editable(p, "editMessageReplyMarkup")
    return tg._edit(msg, msg.text, msg.entities, msg.html, tg._markup(p, inline_only=True))


def _delete_message(tg: FakeTelegram, p: dict[str, Any]) -> bool:
    tg._chat(p["chat_id"])
    msg = tg._messages.get(p["chat_id"], {}).get(p["message_id"])
    if not msg or msg.deleted:
        raise bad("message to delete not found")
    msg.deleted = True
    return True


def _answer_callback(tg: FakeTelegram, p: dict[str, Any]) -> bool:
    if tg._queries.get(p["callback_query_id"], True):  # unknown or already answered
        raise bad("query is too old and response timeout expired or query ID is invalid")
    if len(p.get("text", "")) > MAX_ANSWER_TEXT:
        raise bad("MESSAGE_TOO_LONG")
    # Without a game (the fake has none) only a link that starts this bot is accepted.
    start_link = rf"https://t\.me/{re.escape(tg.bot_user['username'])}\?start=[A-Za-z0-9_-]{{1,64}}"
    if "url" in p and not re.fullmatch(start_link, p["url"], re.IGNORECASE):
        raise bad("URL_INVALID")
    tg._queries[p["callback_query_id"]] = True
    answer = (p["callback_query_id"], p.get("text"), bool(p.get("show_alert")), p.get("url"))
    tg._answers.append(CallbackAnswer(*answer))
    return True


def _get_admins(tg: FakeTelegram, p: dict[str, Any]) -> list[dict[str, Any]]:
    """The owner first, then the administrators; the bot only if it is one of them."""
    chat = tg._chat(p["chat_id"])
    if chat["type"] == "private":
        raise ApiError(400, NO_PRIVATE_ADMINS)
    return [tg._member_json(p["chat_id"], admin) for admin in tg._admins.get(p["chat_id"], [])]


def _get_member(tg: FakeTelegram, p: dict[str, Any]) -> dict[str, Any]:
    tg._chat(p["chat_id"])
    return tg._member_json(p["chat_id"], p["user_id"])


def _limited_chat(method: str, params: dict[str, Any]) -> int | None:
    """The group a call counts against under Telegram's 20-per-minute limit, if any."""
    chat_id = params.get("chat_id")
    if method in GROUP_LIMITED and isinstance(chat_id, int) and chat_id < 0:
        return chat_id
    return None


def _chat_action(tg: FakeTelegram, p: dict[str, Any]) -> bool:
    tg._chat(p["chat_id"], "sendChatAction")
    if p["action"] not in CHAT_ACTIONS:
        raise bad("wrong parameter action in request")
    tg.chat_actions.append((p["chat_id"], p["action"]))
    return True


def _scope_key(p: dict[str, Any]) -> tuple[str, str]:
    scope = json.dumps(p.get("scope") or {"type": "default"}, sort_keys=True)
    return scope, p.get("language_code", "")


def _set_commands(tg: FakeTelegram, p: dict[str, Any]) -> bool:
    commands = p["commands"]
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
            raise bad("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
    tg._bot_settings[("commands", *_scope_key(p))] = commands
    return True


def _get_commands(tg: FakeTelegram, p: dict[str, Any]) -> list[dict[str, str]]:
    return tg._bot_settings.get(("commands", *_scope_key(p)), [])


def _delete_commands(tg: FakeTelegram, p: dict[str, Any]) -> bool:
    tg._bot_settings.pop(("commands", *_scope_key(p)), None)
    return True


def _description_setter(kind: str, limit: int) -> Callable[[FakeTelegram, dict[str, Any]], bool]:
    def handler(tg: FakeTelegram, p: dict[str, Any]) -> bool:
        if len(p.get(kind, "")) > limit:
            raise bad(f"{kind.upper()}_INVALID")
        tg._bot_settings[(kind, "", p.get("language_code", ""))] = p.get(kind, "")
        return True

    return handler


def _description_getter(kind: str) -> Callable[[FakeTelegram, dict[str, Any]], dict[str, str]]:
    def handler(tg: FakeTelegram, p: dict[str, Any]) -> dict[str, str]:
        return {kind: tg._bot_settings.get((kind, "", p.get("language_code", "")), "")}

    return handler


def _set_webhook(tg: FakeTelegram, p: dict[str, Any]) -> bool:
    """An empty url removes the webhook, as deleteWebhook does."""
    url = p["url"]
    if not url:
        return _delete_webhook(tg, p)
    parts = re.fullmatch(r"https://([^/:]+)(?::(\d+))?(/.*)?", url)
    if not parts:
        raise bad("bad webhook: An HTTPS URL must be provided for webhook")
    if int(parts[2] or 443) not in WEBHOOK_PORTS:
        raise bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    secret = p.get("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise bad("secret token contains unallowed characters")
    if not 1 <= p.get("max_connections", 40) <= 100:
        raise bad("invalid max_connections specified")
    if p.get("drop_pending_updates"):
        tg._updates.clear()
    hook = {"url": url, "secret_token": secret, "max_connections": p.get("max_connections", 40)}
    tg._webhook = hook
    if "allowed_updates" in p:
        tg._allowed = hook["allowed_updates"] = list(p["allowed_updates"])
    tg._wake_pollers()  # deliveries start
    return True


def _delete_webhook(tg: FakeTelegram, p: dict[str, Any]) -> bool:
    tg._webhook = None
    if p.get("drop_pending_updates"):
        tg._updates.clear()
    return True


def _webhook_info(tg: FakeTelegram, _: dict[str, Any]) -> dict[str, Any]:
    """What Telegram says of the webhook: its url ("" when none), what waits, the last error."""
    info: dict[str, Any] = {"url": "", "has_custom_certificate": False}
    info["pending_update_count"] = len(tg._updates)
    if tg._webhook:
        info |= {k: v for k, v in tg._webhook.items() if k != "secret_token"}
    return info


def _close(tg: FakeTelegram, _: dict[str, Any]) -> bool:
    """Telegram refuses close() during the first 10 minutes after the bot is launched."""
    left = int(600 - (time.time() - tg._started))
    if left > 0:
        raise ApiError(429, f"Too Many Requests: retry after {left}", left)
    return True


def _log_out(tg: FakeTelegram, _: dict[str, Any]) -> bool:
    tg.logged_out = True  # afterwards the cloud Bot API answers 401 to this token
    return True


HANDLERS: dict[str, Callable[[FakeTelegram, dict[str, Any]], Any]] = {
    "getMe": _get_me,
    "sendMessage": _send_message,
    "editMessageText": _edit_text,
    "editMessageReplyMarkup": _edit_markup,
    "deleteMessage": _delete_message,
    "answerCallbackQuery": _answer_callback,
    "getChatAdministrators": _get_admins,
    "getChatMember": _get_member,
    "sendChatAction": _chat_action,
    "setMyCommands": _set_commands,
    "getMyCommands": _get_commands,
    "deleteMyCommands": _delete_commands,
    "setMyDescription": _description_setter("description", 512),
    "getMyDescription": _description_getter("description"),
    "setMyShortDescription": _description_setter("short_description", 120),
    "getMyShortDescription": _description_getter("short_description"),
    "setWebhook": _set_webhook,
    "deleteWebhook": _delete_webhook,
    "getWebhookInfo": _webhook_info,
    "close": _close,
    "logOut": _log_out,
}  # getUpdates is served asynchronously by FakeTelegram._get_updates


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Telegram takes the query string, form/multipart fields or a JSON object body."""
    params: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad("can't parse JSON object")
        return params | body
    form = await request.post()
    for name, value in form.items():
        params[name] = value if isinstance(value, str) else f"<file {value.filename}>"
    return params


def _reset(request: web.Request) -> None:
    """Drop the connection with a TCP reset (SO_LINGER 0), no HTTP response."""
    transport = request.transport
    if transport is None or transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _client_gone(request: web.Request) -> bool:
    """A poll terminated because the client gave up and polled again is not a refusal."""
    await asyncio.sleep(0.05)
    return request.transport is None or request.transport.is_closing()

"""Property-based tests (hypothesis): no tap, typed text or command, however odd, breaks the bot.

A learner is put mid-lesson through the service (neural-networks, step 4, then a few real taps),
and then gets one tap with any callback data, one typed text or one command. Whatever arrives:
nothing raises, what goes back is something Telegram accepts (HTML it can parse, at most 4096
characters a message, at most 200 a toast, at most 64 bytes of data a button, data we decode),
and a tap that names nothing live changes nothing the learner did.

One database serves the whole module; every example is a new learner (a fresh user id), so no
example sees another's state, and no function-scoped fixture is mixed with `@given`.

CI runs a few hundred examples per test, derandomized: the same ones every run, so a failure
is reproducible, and no example database is kept. To hunt harder by hand, from a random seed:

    HYPOTHESIS_PROFILE=big python3 -m pytest -q tests/test_properties.py
    HYPOTHESIS_PROFILE=big python3 -m pytest -q tests/test_properties.py --hypothesis-seed=123

`big` runs 2,000 examples per test (HYPOTHESIS_EXAMPLES=N sets another number); a failure
prints the seed and the shrunk example, and `--hypothesis-seed` replays a run.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from bot.content import Library
from bot.core.model import Learner, Phase, Position, Refusal, Schedule
from bot.store import Store
from bot.tutor import COMMANDS, Extend, Reply, Tutor
from bot.views import callbacks, menus
from bot.views.lesson import REFUSAL_NOTICE
from bot.views.message import MAX_TEXT, Button, Message, esc, plain, split, visible_length
from tests.conftest import NOW
from tests.fake_telegram import HtmlParser

# --- How hard to look -------------------------------------------------------------------------

BIG = os.environ.get("HYPOTHESIS_PROFILE") == "big"
BIG_EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "2000"))


def budget(examples: int) -> settings:
    """CI: `examples`, derandomized (reproducible); big: many more, from a random seed."""
    return settings(
        max_examples=BIG_EXAMPLES if BIG else examples,
        deadline=None,
        derandomize=not BIG,
        database=None,  # no example database: CI stays reproducible, runs stay independent
        suppress_health_check=[HealthCheck.too_slow],
        print_blob=BIG,
    )


# --- One store, one learner per example -------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    tutor: Tutor
    store: Store
    clock: Clock
    ids: Iterator[int]

    def new_learner(self) -> Learner:
        """A learner no example has seen: the state is fresh without a fresh database."""
        self.clock.now = NOW
        user_id = next(self.ids)
        return Learner(user_id, user_id, "Ada")


@pytest.fixture(scope="module")
def world(library: Library, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    store = Store.open(tmp_path_factory.mktemp("properties") / "tutor.db")
    clock = Clock()
    yield World(Tutor(library, store, clock), store, clock, itertools.count(7_000_000_001))
    store.close()


@dataclass(frozen=True)
class Lesson:
    """What the learner did: where they are, the lesson paused for reviews, every answer,
    finished step and review card."""

    position: Position | None
    paused: Position | None
    answers: int
    completions: tuple[Any, ...]
    cards: tuple[Any, ...]


@dataclass(frozen=True)
class State:
    lesson: Lesson
    schedule: Schedule
    next_remind_at: datetime | None


def state(store: Store, learner: Learner) -> State:
    who = [learner.user_id, learner.chat_id]
    where = "user_id = ? and chat_id = ?"

    def rows(table: str, order: str) -> tuple[Any, ...]:
        query = f"select * from {table} where {where} order by {order}"
        return tuple(tuple(row.items()) for row in store.db.query(query, who))

    lesson = Lesson(
        position=store.positions.current(learner),
        paused=store.positions.paused(learner),
        answers=store.db["answers"].count_where(where, who),
        completions=rows("completions", "course_id, step"),
        cards=rows("cards", "card_id"),
    )
    return State(lesson, store.schedules.get(learner), store.schedules.next_remind_at(learner))


def on_screen(reply: Reply) -> list[Message]:
    """What a reply shows: the addition to the tapped message (an answer's feedback, a second
    angle), then the new messages."""
    added = [reply.tapped.added] if isinstance(reply.tapped, Extend) else []
    return [*added, *reply.messages]


def button_data(reply: Reply) -> list[str]:
    return [b.data for m in on_screen(reply) for row in m.buttons for b in row]


# --- What Telegram accepts ---------------------------------------------------------------------


def check_message(message: Message) -> None:
    """HTML Telegram parses, within 4096 characters, with buttons whose data is ours."""
    HtmlParser(message.text).parse()
    assert visible_length(message.text) <= MAX_TEXT, message.text[:200]
    for part in split(message):  # what the Outbox really sends
        HtmlParser(part.text).parse()
        assert 0 < visible_length(part.text) <= MAX_TEXT
    for row in message.buttons:
        for button in row:
            assert button.label.strip()
            assert callbacks.fits(button.data), button.data
            assert callbacks.decode(button.data) is not None, button.data


def check_reply(reply: Reply) -> None:
    assert reply.outcome in {"ok", "refused", "forged"}
    assert reply.toast is None or 0 < len(reply.toast) <= 200, reply.toast
    for message in on_screen(reply):  # an addition too: sent alone when the edit can't take it
        check_message(message)


# --- Callback data ------------------------------------------------------------------------------

COURSE_IDS = ("neural-networks", "compound-interest")
ARITY = {"m": 0, "c": 1, "s": 2, "a": 5, "n": 1, "w": 1, "t": 1, "k": 1, "v": 0, "p": 2, "o": 1}
"""Fields per prefix ("w" also takes 3: a question's second angle, `w:<course>:<step>:<index>`)."""
ODD_NUMBERS = (
    *("", " 1", "1 ", "+1", "-1", "-0", "1_0", "0x1", "1e3", "01", "0004", "4\n", "\u200f4"),
    *("²", "٣", "١٢", "１２", "４", "𝟙", "Ⅳ", "½", "NaN", "inf", "٣" * 13, "9" * 12, "9" * 13),
)
WORDS = (
    *COURSE_IDS,
    *("neural-networks ", "Neural-Networks", "neural_networks", "neural-networks\x00"),
    *("a", "b", "c", "d", "e", "A", "B", "ab", "z", "g", "t", "k", "zone", "time", "deadline"),
    *("1-a-day", "2-a-day", "weekends", "20261201", "20261124", "99999999", "..", "/", "None"),
    *("pace", "topic", "start", "forget", "admin", "Pace", "pace "),
)
NUMBERS = st.one_of(
    st.integers(-3, 20),
    st.integers(-(2**70), 2**70),
    st.sampled_from([10**12 - 1, 10**12, 2**31, 2**63 - 1, 2**63, 2**64]),
).map(str)
FIELD = st.one_of(
    NUMBERS,
    st.sampled_from(ODD_NUMBERS + WORDS),
    st.text(max_size=12),
    st.text(alphabet="0123456789:-+ ", max_size=14),
)


@st.composite
def shaped(draw: st.DrawFn) -> str:
    """A prefix the bot uses, with about as many fields as it takes, each anything."""
    prefix = draw(st.sampled_from([*ARITY, "", "x", "M", "A", "mm", " a", "a "]))
    arity = ARITY.get(prefix, 1) + draw(st.sampled_from([0, 0, 0, -1, 1, 2]))
    fields = draw(st.lists(FIELD, min_size=max(arity, 0), max_size=max(arity, 0)))
    return ":".join([prefix, *fields])


RANDOM_DATA = st.one_of(
    st.none(),
    st.binary(max_size=64).map(lambda b: b.decode("utf-8", errors="ignore")),
    st.binary(max_size=64).map(lambda b: b.decode("utf-8", errors="replace")),
    st.text(max_size=70),
    shaped(),
    st.sampled_from(["m", "v", "c:neural-networks", "s:neural-networks:1", "p:k:zone"]),
)


@st.composite
def mutated(draw: st.DrawFn, real: list[str]) -> str:
    """Real button data (live or stale), replayed as is or with one change."""
    data = draw(st.sampled_from(real))
    fields = data.split(":")
    how = draw(st.sampled_from(["as is", "field", "field", "drop", "add", "affix", "cut", "case"]))
    i = draw(st.integers(0, len(fields) - 1))
    if how == "field":
        fields[i] = draw(FIELD)
    elif how == "drop" and len(fields) > 1:
        del fields[i]
    elif how == "add":
        fields.insert(i, draw(FIELD))
    elif how == "affix":
        fields[i] = draw(st.text(max_size=3)) + fields[i] + draw(st.text(max_size=3))
    elif how == "cut":
        return data[: draw(st.integers(0, len(data)))]
    elif how == "case":
        return data.upper()
    return ":".join(fields)


@st.composite
def plausible(draw: st.DrawFn, seq: int) -> str:
    """Well-formed data near what is live: the seq around the learner's, real courses, steps,
    questions and options. The taps most likely to slip through if a check were missing."""
    near = st.integers(max(seq - 3, 0), seq + 3)
    kind = draw(st.sampled_from("aanwtksgo"))
    if kind == "g":  # a question's second angle: no seq, any question, real or not
        course = draw(st.sampled_from(COURSE_IDS))
        return f"w:{course}:{draw(st.integers(0, 5))}:{draw(st.integers(0, 4))}"
    if kind == "o":
        return f"o:{draw(st.sampled_from(['pace', 'deadline', 'topic', 'forget', 'stop']))}"
    if kind == "a":
        course = draw(st.sampled_from(COURSE_IDS))
        step, question = draw(st.integers(0, 5)), draw(st.integers(0, 4))
        option = draw(st.sampled_from("abcde"))
        return f"a:{draw(near)}:{course}:{step}:{question}:{option}"
    if kind == "s":
        return f"s:{draw(st.sampled_from(COURSE_IDS))}:{draw(st.integers(0, 6))}"
    return f"{kind}:{draw(near)}"


# Actions that may legitimately change something whatever button they came from: opening a step
# (any step, any time), starting due reviews, pace buttons and the commands offered as buttons
# (they need no live message), and a question's second angle (it changes nothing at all).
ALWAYS_LIVE = (callbacks.OpenStep, callbacks.Review, callbacks.Pace, callbacks.Run, callbacks.Angle)


def open_step_4(world: World, learner: Learner) -> list[Reply]:
    tutor = world.tutor
    replies = [tutor.command(learner, "start"), tutor.tap(learner, "c:neural-networks")]
    replies.append(tutor.tap(learner, "s:neural-networks:4"))
    assert world.store.positions.current(learner).step == 4
    return replies


@budget(600)
@given(
    taps=st.lists(st.integers(0, 9), max_size=4),
    later=st.sampled_from([timedelta(0), timedelta(hours=1), timedelta(days=3), timedelta(days=9)]),
    draw=st.data(),
)
def test_any_callback_data_is_harmless(
    world: World, taps: list[int], later: timedelta, draw: st.DataObject
) -> None:
    tutor, store, learner = world.tutor, world.store, world.new_learner()
    replies = open_step_4(world, learner)
    for choice in taps:  # a few real taps: asking, answered, a second try, a check, finished...
        live = button_data(replies[-1])
        if not live:
            break
        replies.append(tutor.tap(learner, live[choice % len(live)]))
    world.clock.now = NOW + later  # reviews may have come due
    live = set(button_data(replies[-1])) | set(button_data(tutor.command(learner, "continue")))
    seen = sorted({data for reply in replies for data in button_data(reply)})
    seq = store.positions.current(learner).seq
    source = draw.draw(st.sampled_from(["random", "mutated", "plausible"]), label="source")
    strategy = {"random": RANDOM_DATA, "mutated": mutated(seen), "plausible": plausible(seq)}
    data = draw.draw(strategy[source], label="data")
    before = state(store, learner)

    reply = tutor.tap(learner, data)

    check_reply(reply)
    after = state(store, learner)
    action = callbacks.decode(data)
    kind = type(action).__name__ if action else "undecodable"
    changed = "changed" if after != before else "same"
    event(f"{kind} {'live' if data in live else 'not live'}: {reply.outcome}, {changed}")
    if action is None:
        assert reply.outcome == "forged"
    if reply.outcome == "forged":
        assert reply.toast == REFUSAL_NOTICE[Refusal.UNKNOWN]
    if reply.outcome in ("forged", "refused"):  # forged, stale or a double tap
        assert reply.toast in REFUSAL_NOTICE.values()
        assert after == before, f"a {reply.outcome} tap {data!r} changed the learner's state"
    elif data not in live and not isinstance(action, ALWAYS_LIVE):
        # A lesson button that is not on screen: refused above, never taken.
        assert after == before, f"{data!r} is no live button, yet it changed the state"
    elif isinstance(action, callbacks.Pace | callbacks.Run):
        assert after.lesson == before.lesson, f"pace button {data!r} changed the lesson"
    if isinstance(action, callbacks.Angle):
        assert after == before, f"the second angle {data!r} changed the learner's state"
    for shown in button_data(reply)[:1]:  # what the bot just showed names something live
        assert tutor.tap(learner, shown).outcome != "forged", shown


@pytest.mark.parametrize(
    "taps",
    [
        # right first time, the other angle read (it changes nothing): question 2 is on screen
        ["a:1:neural-networks:4:0:b", "w:neural-networks:4:0"],
        # hypothesis' minimal example: wrong, close on the second try, the check right (on to
        # question 2, where "Next question" used to wait)
        ["a:1:neural-networks:4:0:a", "a:2:neural-networks:4:0:c", "a:3:neural-networks:4:0:c"],
    ],
)
def test_a_forged_another_way_changes_nothing(world: World, taps: list[str]) -> None:
    tutor, store, learner = world.tutor, world.store, world.new_learner()
    open_step_4(world, learner)
    for data in taps:
        assert tutor.tap(learner, data).outcome == "ok", data
    seq = store.positions.current(learner).seq
    answers = button_data(tutor.command(learner, "continue"))  # the question, nothing else
    assert answers and all(data.startswith(f"a:{seq}:") for data in answers), answers
    before = state(store, learner)

    reply = tutor.tap(learner, f"w:{seq}")  # no such button on screen

    assert reply.outcome in ("forged", "refused"), reply
    assert state(store, learner) == before


def test_a_forged_another_way_changes_nothing_after_feedback_saved_before_answers_went_on(
    world: World,
) -> None:
    """A lesson resting after its feedback (saved before answers went straight on), the other
    angle already seen: only "Next question" is on screen."""
    tutor, store, learner = world.tutor, world.store, world.new_learner()
    open_step_4(world, learner)
    rested = Position(
        "neural-networks", 4, 0, Phase.ANSWERED, 3, chosen="b", another_way_shown=True
    )
    with store.transaction():
        store.positions.put(learner, rested, None, world.clock.now)
    assert button_data(tutor.command(learner, "continue")) == ["n:3"]
    before = state(store, learner)

    reply = tutor.tap(learner, "w:3")  # no such button on screen

    assert reply.outcome in ("forged", "refused"), reply
    assert state(store, learner) == before
    assert tutor.tap(learner, "n:3").outcome == "ok"  # the way on still works


# --- Typed text and commands --------------------------------------------------------------------

ODD_TEXT = (
    *("/deadline 9999-12-31", "9999-12-31", "0000-01-01", "2026-02-29", "2028-02-29", "29 feb"),
    *("31 feb 2027", "in 9999 weeks", "in 0 days", "in an week", "today", "tomorrow", "off"),
    *("01.12.26", "1/12", "15 Dec", "december 15th, 2026", "in 10 weeks", "in ٣ days", "١٥ dec"),
    *("UTC+14", "UTC-12", "UTC+14:15", "utc+99", "GMT-3", "+05:30", "Z", "utc+٣", "UTC−5"),
    *("Europe/Berlin", "europe/berlin", "america/argentina/buenos_aires", "Etc/GMT+12", "../"),
    *("7:45", "21:00", "8pm", "0am", "13pm", "24:00", "23:59", "٢٣:٥٩", "１２:００", "²:00", "8"),
    *("<b>bold</b>", "<b>", "</b>", "&amp;", "&", "<script>alert(1)</script>", "a > b < c"),
    *("\u202eevil", "\u200f\u200e", "\x00", "\x1b[31m", "\r\n\t", "\ufeff", "🏳️‍🌈", "e\u0301"),
    *(" ", "", "/start", "/start neural-networks", "/", "//", "@tutor_bot"),
)
TEXT = st.one_of(  # the odd strings twice: they are where the parsers' edges are
    st.text(),  # control characters, RTL marks, anything but surrogates
    st.sampled_from(ODD_TEXT),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(ODD_TEXT),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(ODD_TEXT), st.sampled_from(ODD_TEXT)),
    st.builds(  # long: a piece repeated up to a few thousand characters
        lambda piece, n: (piece * n)[:4096],
        st.one_of(st.sampled_from(ODD_TEXT), st.text(min_size=1, max_size=8)),
        st.integers(100, 2000),
    ),
)
# How the schedule is left before the text arrives: waiting for nothing, or for a zone, a time
# or a date; with reminders on or paused.
SCHEDULE_SETUP = (
    (),
    ("/pace",),
    ("/pace", "p:z:3", "p:g:1-a-day", "p:t:1"),
    ("/pace", "p:z:3", "p:g:1-a-day", "p:k:time"),
    ("p:k:zone",),
    ("p:k:deadline",),
    ("/deadline",),
    ("/deadline in 10 days",),
    ("/stop",),
)


def prepare(world: World, learner: Learner, steps: tuple[str, ...]) -> None:
    open_step_4(world, learner)
    for step in steps:
        if step.startswith("/"):
            name, _, args = step[1:].partition(" ")
            reply = world.tutor.command(learner, name, args)
        else:
            reply = world.tutor.tap(learner, step)
        assert reply.outcome == "ok", step


@budget(400)
@given(setup=st.sampled_from(SCHEDULE_SETUP), text=TEXT)
@example(setup=(), text="/deadline 9999-12-31")
@example(setup=("/deadline",), text="9999-12-31")
@example(setup=("p:k:zone",), text="UTC+14:15")
@example(setup=("p:k:zone",), text=" europe/berlin ")
@example(setup=SCHEDULE_SETUP[3], text="٢٣:٥٩")
@example(setup=("/deadline",), text="in 10 weeks")
def test_any_typed_text_is_harmless(world: World, setup: tuple[str, ...], text: str) -> None:
    tutor, store, learner = world.tutor, world.store, world.new_learner()
    prepare(world, learner, setup)
    before = state(store, learner)

    reply = tutor.text(learner, text)

    check_reply(reply)
    after = state(store, learner)
    event(f"awaiting {before.schedule.awaiting}: schedule {'same' if after == before else 'set'}")
    assert after.lesson == before.lesson, "typed text moved the lesson"
    if before.schedule.awaiting is None:
        assert after == before, "typed text changed a schedule that waited for nothing"
        assert reply.messages == (menus.text_hint(),)


COMMAND_NAMES = st.one_of(  # real names three times in six, with any arguments
    st.sampled_from(sorted(COMMANDS)),
    st.sampled_from(sorted(COMMANDS)),
    st.sampled_from(sorted(COMMANDS)),
    st.sampled_from(["START", "Start", "start ", "help@tutor_bot", "", "/", "deadline off"]),
    st.from_regex(r"[A-Za-z0-9_]{1,64}", fullmatch=True),  # what Telegram marks as a command
    st.text(max_size=64),
)
READ_ONLY = {"start", "continue", "progress", "courses", "help"}


@budget(500)
@given(setup=st.sampled_from(SCHEDULE_SETUP), name=COMMAND_NAMES, args=TEXT)
@example(setup=(), name="deadline", args="9999-12-31")
@example(setup=(), name="start", args="no-such-course")
def test_any_command_is_harmless(
    world: World, setup: tuple[str, ...], name: str, args: str
) -> None:
    tutor, store, learner = world.tutor, world.store, world.new_learner()
    prepare(world, learner, setup)
    before = state(store, learner)

    reply = tutor.command(learner, name, args)

    check_reply(reply)
    event(f"/{name if name in COMMANDS else '(unknown)'}")
    assert reply.messages, f"/{name} {args!r} answered nothing"
    after = state(store, learner)
    if name not in COMMANDS or name in READ_ONLY:
        assert after == before, f"/{name} {args!r} changed the learner's state"
    elif name != "review":  # /pace, /deadline, /stop: the schedule only
        assert after.lesson == before.lesson, f"/{name} {args!r} moved the lesson"


# --- What the Outbox sends: `split` ------------------------------------------------------------

# `split`'s contract: markup wraps whole short lines (our content never has "<b></b>", nor a tag
# open across lines); a line over the limit is plain text, cut between words, else characters.
ONE_LINE = st.text(st.characters(codec="utf-8", exclude_characters="\n"), min_size=1, max_size=200)
LINE = st.one_of(
    TEXT.map(esc),  # any text, escaped, up to a few thousand characters
    ONE_LINE.filter(str.strip).map(lambda t: f"<b>{esc(t)}</b>"),
    ONE_LINE.filter(str.strip).map(lambda t: f"<code>{esc(t)}</code>"),
    st.sampled_from(["", " ", "  ", "\t", "<i>·</i>", "&amp; &lt;b&gt;"]),
)
MESSAGE_TEXT = st.builds(
    lambda lines, glue: glue.join(lines),
    st.lists(LINE, min_size=1, max_size=12),
    st.sampled_from(["\n", "\n\n"]),
)


def words(text: str) -> str:
    return "".join(plain(text).split())


@budget(300)
@given(text=MESSAGE_TEXT, buttons=st.booleans())
@example(text="I don't know /" + esc("<" * 4082) + ".", buttons=False)  # "&lt;" was cut in two
@example(text="😀" * 2049, buttons=True)  # 4098 UTF-16 units in 2049 code points
@example(text="a" * 4097 + "\n\n" + "b" * 4097, buttons=True)
def test_split_sends_every_character_in_parts_telegram_accepts(text: str, buttons: bool) -> None:
    """Every part is HTML Telegram parses, within 4096 UTF-16 units, not empty; nothing visible
    is lost; the buttons go with the last part."""
    assume(words(text))  # every message the bot makes says something
    rows = ((Button("Next", "n:1"),),) if buttons else ()
    parts = split(Message(text, rows))
    for part in parts:
        HtmlParser(part.text).parse()
        assert 0 < visible_length(part.text) <= MAX_TEXT
    assert "".join(words(part.text) for part in parts) == words(text)
    assert [part.buttons for part in parts] == [()] * (len(parts) - 1) + [rows]


# --- A very long unknown command -------------------------------------------------------------

LONG_NAME = st.builds(
    lambda piece, n: (piece * n)[:4095],
    st.text(alphabet="x<>&😀 ", min_size=1, max_size=4),
    st.integers(1000, 4095),
)


@budget(100)
@given(name=LONG_NAME)
@example(name="<" * 4082)  # "I don't know /<<…<." was just over 4096, and cut inside "&lt;"
@example(name="😀" * 2048)  # a part of 4098 UTF-16 units: the cut counted code points
def test_a_very_long_unknown_command_is_sent_as_valid_parts(world: World, name: str) -> None:
    """Telegram marks '/x' as a command even when thousands of characters follow it without a
    space; the handler passes the whole first word as the name, and the reply echoes it. Every
    part the Outbox sends must still be HTML Telegram parses, within 4096 characters."""
    learner = world.new_learner()
    reply = world.tutor.command(learner, name)
    check_reply(reply)

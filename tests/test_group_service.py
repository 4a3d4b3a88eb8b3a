"""Group study as a service (`Tutor(...).groups`), without Telegram: commands, taps, timers and
the group's life, on a real SQLite file with a controlled clock.

A study group `G` has an admin, Zelda, who opened the bot in private, and two members: Quill,
who never did (the bot may not write to him), and Xanthe, who did. The session runs on
neural-networks step 4 (three questions whose right options are b, a, a). Every reply goes
through `checked`: what any shell relies on, whatever the test looks at.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.content import Library
from bot.core.group import GroupPhase, Session
from bot.core.model import Learner, Phase, Position
from bot.core.prompt import find_repair
from bot.store import Store
from bot.tutor import Reply, Tutor
from bot.tutor.reply import Edit
from bot.views import callbacks
from bot.views.group import LINK_POINTER, MAX_ALERT, NOTICES
from bot.views.message import Message, plain
from tests.conftest import NOW
from tests.test_service import shell_safe

G, G2, G_NEW = -100123, -100456, -100789
ZELDA = Learner(11, G, "Zelda")  # an admin of G; opened the bot in private
QUILL = Learner(12, G, "Quill")  # never opened the bot
XANTHE = Learner(13, G, "Xanthe")  # opened the bot in private
NAMES = ("Zelda", "Quill", "Xanthe")
COURSE = "neural-networks"
RIGHT = ("b", "a", "a")
MENU, QUESTION = 50, 60  # the ids of the group's menu message and question message
TIMER = timedelta(seconds=60)
ADMINS_ONLY = NOTICES["admins_only"]


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def checked(reply: Any) -> Any:
    """A `Reply` held to what every shell relies on (`test_service.shell_safe`)."""
    return shell_safe(reply) if isinstance(reply, Reply) else reply


class Checked:
    """`Tutor.groups`, every reply through `checked`."""

    def __init__(self, groups: Any):
        self._groups = groups

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._groups, name)
        if not callable(attr):
            return attr
        return lambda *args, **kwargs: checked(attr(*args, **kwargs))


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def make_tutor(library: Library, store: Store, clock: Clock) -> Tutor:
    tutor = Tutor(library, store, clock)
    tutor.groups = Checked(tutor.groups)
    return tutor


@pytest.fixture
def tutor(library, fresh_store, clock) -> Tutor:
    for who in (ZELDA, XANTHE):
        fresh_store.people.seen(Learner(who.user_id, who.user_id, who.first_name), NOW)
    return make_tutor(library, fresh_store, clock)


@pytest.fixture
def groups(tutor):
    return tutor.groups


# --- Helpers ----------------------------------------------------------------------------------


def in_chat(member: Learner, chat_id: int) -> Learner:
    return replace(member, chat_id=chat_id)


def own(member: Learner) -> Learner:
    return Learner(member.user_id, member.user_id)


def texts(reply: Reply) -> list[str]:
    return [plain(m.text) for m in reply.messages]


def shown(reply: Reply) -> list[Message]:
    """What the group sees from a reply: new messages, and the message it rewrites."""
    return [*reply.messages, *([reply.edit.message] if reply.edit else [])]


def said(reply: Reply, text: str) -> bool:
    return any(text in plain(m.text) for m in shown(reply))


def data(message: Message) -> list[str]:
    return [b.data for row in message.buttons for b in row]


def start(groups, chat_id: int = G, step: int = 4, args: str | None = None,
          course: str = COURSE) -> Reply:  # fmt: skip
    """The admin (optionally sets the timer with /study `args`, then) starts a step."""
    admin = in_chat(ZELDA, chat_id)
    if args is not None:
        assert groups.study(chat_id, admin, args, True).outcome == "ok"
    reply = groups.tap(chat_id, admin, f"gs:{course}:{step}", QUESTION, True)
    assert reply.outcome == "ok", texts(reply)
    return reply


def seq_of(reply: Reply) -> int:
    """The seq on the answer buttons of the reply's question."""
    found = {int(d.split(":")[1]) for m in shown(reply) for d in data(m) if d.startswith("ga:")}
    assert len(found) == 1, found
    return found.pop()


def pick(groups, member: Learner, seq: int, option: str, chat_id: int | None = None) -> Reply:
    chat = member.chat_id if chat_id is None else chat_id
    return groups.tap(chat, in_chat(member, chat), f"ga:{seq}:{option}", QUESTION, False)


def session(tutor: Tutor, chat_id: int = G) -> Session | None:
    return tutor.store.groups.session(chat_id)


def current(tutor: Tutor, chat_id: int = G) -> dict[int, str]:
    found = session(tutor, chat_id)
    assert found is not None
    return {a.user_id: a.option_id for a in found.current}


TABLES = ("group_chats", "group_sessions", "group_answers", "answers", "completions", "cards")


def saved(tutor: Tutor) -> dict[str, list]:
    """Every row a group action could touch."""
    db = tutor.store.db
    return {t: sorted(map(tuple, db.execute(f"select * from {t}").fetchall())) for t in TABLES}


def private_to(reply: Reply, member: Learner) -> list[str]:
    return [plain(m.text) for uid, ms in reply.private if uid == member.user_id for m in ms]


def question_of(library: Library, number: int, step: int = 4):
    return library.course(COURSE).step(step).questions[number]


# --- Who may drive ----------------------------------------------------------------------------


@pytest.mark.parametrize("args", ["", "90", "off", "board names", "board off", "anyone"])
def test_a_member_who_is_not_an_admin_cannot_study_or_set_it(tutor, groups, args) -> None:
    reply = groups.study(G, QUILL, args, False)
    assert reply.outcome == "refused"
    assert texts(reply)[0].startswith("Only the group's admins"), texts(reply)
    assert all(b == () for m in reply.messages for b in m.buttons)
    assert tutor.store.db["group_sessions"].count == 0
    assert tutor.store.db["group_chats"].count == 0


@pytest.mark.parametrize("data_", ["gm", "gc:neural-networks", "gs:neural-networks:4"])
def test_a_member_who_is_not_an_admin_cannot_tap_the_menus(tutor, groups, data_) -> None:
    reply = groups.tap(G, QUILL, data_, MENU, False)
    assert (reply.outcome, reply.toast, reply.edit, reply.messages) == (
        "refused", ADMINS_ONLY, None, ()
    )  # fmt: skip
    assert tutor.store.db["group_sessions"].count == 0


def test_study_anyone_is_an_admins_choice_and_lets_members_drive(tutor, groups) -> None:
    refused = groups.study(G, QUILL, "anyone", False)
    assert refused.outcome == "refused" and said(refused, "Only the group's admins can change")
    assert tutor.store.groups.settings(G)[0].anyone is False

    assert said(groups.study(G, ZELDA, "anyone", True), "Everyone here can now")
    assert tutor.store.groups.settings(G)[0].anyone is True
    menu = groups.study(G, QUILL, "", False)
    assert menu.outcome == "ok" and said(menu, "Pick a course for the group")
    started = groups.tap(G, QUILL, "gs:neural-networks:4", MENU, False)
    assert started.outcome == "ok" and said(started, "Question 1 of 3")
    assert session(tutor).step == 4
    assert groups.study(G, QUILL, "admins", False).outcome == "refused"  # still the admins'

    assert said(groups.study(G, ZELDA, "admins", True), "only the group's admins drive")
    assert groups.reveal(G, False).outcome == "refused"
    assert groups.end(G, False).outcome == "refused"
    assert session(tutor) is not None


# --- Starting ---------------------------------------------------------------------------------


def test_course_menu_then_step_menu_then_the_first_question(tutor, groups, library) -> None:
    menu = groups.study(G, ZELDA, "", True)
    assert data(menu.messages[0]) == [f"gc:{c.id}" for c in library.courses]

    steps = groups.tap(G, ZELDA, "gc:neural-networks", MENU, True)
    assert steps.messages == () and steps.edit.message_id == MENU
    assert data(steps.edit.message) == [*(f"gs:{COURSE}:{n}" for n in (1, 2, 3, 4)), "gm"]
    back = groups.tap(G, ZELDA, "gm", MENU, True)
    assert back.edit == Edit(MENU, menu.messages[0])

    reply = groups.tap(G, ZELDA, "gs:neural-networks:4", MENU, True)
    assert reply.messages == () and reply.tapped is None  # the menu becomes the question
    assert reply.edit.message_id == MENU
    message = reply.edit.message
    step = library.course(COURSE).step(4)
    text = plain(message.text)
    assert step.intro in text and "Question 1 of 3" in text and step.questions[0].prompt in text
    assert text.endswith("👥 0 answered · the answer in 60 s, or /reveal")
    seq = seq_of(reply)
    assert sorted(data(message)) == [f"ga:{seq}:{o}" for o in "abcd"]
    assert reply.wake_at == NOW + TIMER
    open_ = session(tutor)
    assert (open_.question, open_.phase, open_.seq, open_.reveal_at, open_.message_id) == (
        0, GroupPhase.ASKING, seq, NOW + TIMER, MENU
    )  # fmt: skip

    again = groups.study(G, ZELDA, "", True)  # /study while it runs: the open question again
    assert texts(again) == [text] and data(again.messages[0]) == data(message)


def test_a_step_started_without_a_menu_message_is_a_new_message(tutor, groups, library) -> None:
    reply = groups.tap(G, ZELDA, "gs:neural-networks:1", None, True)
    [message] = reply.messages
    assert reply.edit is None and reply.tapped is None  # no menu to settle
    assert library.course(COURSE).step(1).intro in plain(message.text)
    assert sorted(data(message)) == [f"ga:{seq_of(reply)}:{o}" for o in "abcd"]
    assert session(tutor).message_id is None


@pytest.mark.parametrize("other", ["gs:neural-networks:4", "gs:neural-networks:2",
                                   "gs:compound-interest:1"])  # fmt: skip
def test_a_second_step_while_one_runs_is_refused(tutor, groups, other) -> None:
    seq = seq_of(start(groups))
    pick(groups, QUILL, seq, "a")
    before = saved(tutor)
    reply = groups.tap(G, ZELDA, other, MENU, True)
    assert (reply.outcome, reply.toast, reply.messages) == ("refused", NOTICES["running"], ())
    assert saved(tutor) == before and session(tutor).seq == seq


# --- Answers ----------------------------------------------------------------------------------

ALERTS = [
    pytest.param(ZELDA, "b", False, id="started-right"),
    pytest.param(ZELDA, "a", True, id="started-wrong"),
    pytest.param(XANTHE, "d", True, id="started-not-sure"),
    pytest.param(QUILL, "b", False, id="not-started-right"),
    pytest.param(QUILL, "c", True, id="not-started-close"),
]


@pytest.mark.parametrize(("member", "option", "missed"), ALERTS)
def test_an_answer_alerts_the_member_with_their_own_verdict(
    groups, library, member, option, missed
) -> None:
    seq = seq_of(start(groups))
    chosen = question_of(library, 0).option(option)
    reply = pick(groups, member, seq, option)
    assert (reply.outcome, reply.alert, reply.recount) == ("ok", True, True)
    assert reply.messages == () and reply.edit is None and reply.wake_at is None
    toast = reply.toast
    assert len(toast) <= MAX_ALERT
    assert toast.startswith(f"{chosen.verdict.value}: ", 2), toast  # after the verdict mark
    assert chosen.feedback[:40] in toast
    started = member is not QUILL
    assert reply.link is not started
    if started:
        assert toast.endswith(" (More in our private chat.)")
        [feedback] = private_to(reply, member)
        assert [uid for uid, _ in reply.private] == [member.user_id]
        assert chosen.verdict.value in feedback and chosen.feedback in feedback
        assert ("Another way to see it" in feedback) is missed
        if missed:
            assert question_of(library, 0).another_way in feedback
    else:
        assert toast.endswith(LINK_POINTER) and reply.private == ()


def test_a_member_can_change_their_answer_until_the_reveal(tutor, groups, library) -> None:
    seq = seq_of(start(groups))
    assert pick(groups, QUILL, seq, "a").toast.startswith("❌ Not quite")
    changed = pick(groups, QUILL, seq, "b")
    assert changed.outcome == "ok" and changed.toast.startswith("Changed. ✅ Exactly: ")
    assert changed.recount and changed.alert
    assert current(tutor) == {QUILL.user_id: "b"}

    before = saved(tutor)
    same = pick(groups, QUILL, seq, "b")
    text = question_of(library, 0).option("b").text
    assert (same.outcome, same.toast) == ("ok", f"Already counted: {text}")
    assert not (same.alert or same.recount or same.link) and same.private == ()
    assert saved(tutor) == before

    groups.reveal(G, True)
    answers = tutor.store.records.history(own(QUILL), COURSE).answers
    assert [(a.question_id, a.option_id) for a in answers] == [("which-way", "b")]


def group_sees(groups, picks: list[tuple[Learner, str]]) -> list[tuple[str, list[str]]]:
    """Everything the group is shown from the start to just before the reveal."""
    started = start(groups)
    seq = seq_of(started)
    seen = shown(started)
    for member, option in picks:
        reply = pick(groups, member, seq, option)
        assert reply.messages == () and reply.edit is None
        recount = groups.recount(G)
        if recount is not None:
            seen += shown(recount)
    seen += groups.study(G, ZELDA, "", True).messages
    return [(plain(m.text), data(m)) for m in seen]


def test_nothing_in_the_group_names_a_member_or_their_choice_before_the_reveal(
    groups, library, tmp_path
) -> None:
    picks = [(ZELDA, "a"), (QUILL, "b"), (XANTHE, "c"), (QUILL, "d")]
    seen = group_sees(groups, picks)
    assert not [t for t, _ in seen if any(name in t for name in NAMES)]
    first, *_, recounted, shown_again = seen
    assert recounted[0] == first[0].replace("👥 0 answered", "👥 3 answered")
    assert recounted[1] == first[1] == shown_again[1]

    other = Store.open(tmp_path / "other.db")  # the same, with other choices: the same screens
    try:
        others = make_tutor(library, other, Clock(NOW)).groups
        assert group_sees(others, [(ZELDA, "b"), (XANTHE, "b"), (QUILL, "a"), (QUILL, "c")]) == seen
    finally:
        other.close()


def test_recount_edits_the_count_once_per_change(tutor, groups) -> None:
    started = start(groups)
    [question] = shown(started)
    seq = seq_of(started)
    assert groups.recount(G) is None  # nobody has answered
    pick(groups, ZELDA, seq, "a")
    pick(groups, QUILL, seq, "b")
    first = groups.recount(G)
    assert first.messages == () and first.edit.message_id == QUESTION
    expected = plain(question.text).replace("👥 0 answered", "👥 2 answered")
    assert plain(first.edit.message.text) == expected
    assert data(first.edit.message) == data(question)
    assert groups.recount(G) is None
    pick(groups, QUILL, seq, "c")  # a change: the count stays
    assert groups.recount(G) is None
    pick(groups, XANTHE, seq, "c")
    assert "👥 3 answered" in plain(groups.recount(G).edit.message.text)
    assert groups.recount(G) is None and session(tutor).shown_count == 3


# --- The reveal -------------------------------------------------------------------------------


def test_the_timer_reveals_and_moves_on(tutor, groups, clock, library) -> None:
    seq = seq_of(start(groups))
    for member, option in ((ZELDA, "b"), (QUILL, "a"), (XANTHE, "b")):
        pick(groups, member, seq, option)
    before = saved(tutor)
    clock.now = NOW + TIMER - timedelta(seconds=1)
    assert groups.wake(G) is None and saved(tutor) == before

    clock.now = NOW + TIMER
    reply = groups.wake(G)
    revealed, following = texts(reply)
    question = question_of(library, 0)
    assert revealed.startswith("Question 1 of 3 — the answer\n✅ " + question.option("b").text)
    for option, count in (("a", "· 1 chose this"), ("b", "· 2 chose this"),
                          ("c", "· nobody chose this"), ("d", "· nobody chose this")):  # fmt: skip
        assert f"{question.option(option).text} {count}" in revealed
    assert "Another way to see it" not in revealed  # most got it
    assert reply.messages[0].buttons == ()  # the timer moves on by itself
    assert following.startswith("Question 2 of 3") and seq_of(reply) == seq + 2
    assert reply.wake_at == clock.now + TIMER
    assert reply.edit.message_id == QUESTION
    assert plain(reply.edit.message.text).endswith("👥 3 answered · the answer is below")
    assert reply.edit.message.buttons == ()
    assert not any(name in t for t in [*texts(reply), plain(reply.edit.message.text)]
                   for name in NAMES)  # fmt: skip
    now_open = session(tutor)
    assert (now_open.question, now_open.phase, now_open.seq) == (1, GroupPhase.ASKING, seq + 2)
    assert groups.wake(G) is None


def test_most_missing_shows_another_way_in_the_group(groups, clock, library) -> None:
    seq = seq_of(start(groups))
    for member, option in ((ZELDA, "a"), (QUILL, "c"), (XANTHE, "b")):
        pick(groups, member, seq, option)
    clock.now = NOW + TIMER
    revealed = texts(groups.wake(G))[0]
    assert "Another way to see it\n" + question_of(library, 0).another_way in revealed


def test_without_a_timer_a_driver_reveals_and_moves_on(tutor, groups, clock) -> None:
    off = groups.study(G, ZELDA, "off", True)
    assert said(off, "No timer") and said(off, "Pick a course")
    started = start(groups)
    assert started.wake_at is None and said(started, "/reveal shows the answer")
    seq = seq_of(started)
    pick(groups, ZELDA, seq, "b")
    pick(groups, QUILL, seq, "b")
    clock.now = NOW + timedelta(hours=3)
    assert groups.wake(G) is None

    reply = groups.reveal(G, True)
    assert len(reply.messages) == 1 and reply.wake_at is None
    assert data(reply.messages[0]) == [f"gn:{seq + 1}"]
    assert [b.label for row in reply.messages[0].buttons for b in row] == ["Next question ➜"]
    assert session(tutor).phase is GroupPhase.REVEALED
    assert pick(groups, XANTHE, seq, "b").outcome == "refused"  # too late
    assert groups.reveal(G, True).outcome == "refused"  # nothing open to reveal

    before = saved(tutor)
    for stale in (f"gn:{seq}", f"gn:{seq + 2}"):
        refused = groups.tap(G, ZELDA, stale, 70, True)
        assert refused.outcome == "refused" and refused.messages == ()
    assert groups.tap(G, QUILL, f"gn:{seq + 1}", 70, False).toast == ADMINS_ONLY
    assert saved(tutor) == before

    following = groups.tap(G, ZELDA, f"gn:{seq + 1}", 70, True)
    assert following.outcome == "ok" and texts(following)[0].startswith("Question 2 of 3")
    assert seq_of(following) == seq + 2 and following.wake_at is None
    again = groups.tap(G, ZELDA, f"gn:{seq + 1}", 70, True)
    assert again.outcome == "refused" and again.messages == ()
    assert session(tutor).question == 1


def test_when_nobody_answered_the_timer_waits_for_a_driver(tutor, groups, clock) -> None:
    seq = seq_of(start(groups))
    clock.now = NOW + TIMER
    reply = groups.wake(G)
    [revealed] = reply.messages
    assert "Nobody answered this one." in plain(revealed.text) and reply.wake_at is None
    assert data(revealed) == [f"gn:{seq + 1}"]
    assert session(tutor).phase is GroupPhase.REVEALED
    clock.now += TIMER
    assert groups.wake(G) is None
    following = groups.tap(G, ZELDA, f"gn:{seq + 1}", 70, True)
    assert texts(following)[0].startswith("Question 2 of 3")
    assert following.wake_at == clock.now + TIMER


def test_the_first_question_keeps_the_step_intro_when_closed(groups, clock, library) -> None:
    started = start(groups)
    pick(groups, ZELDA, seq_of(started), "b")
    clock.now = NOW + TIMER
    closing = groups.wake(G).edit
    assert closing.message_id == QUESTION
    assert library.course(COURSE).step(4).intro in plain(closing.message.text)


@pytest.mark.parametrize("args", ["off", "90"])
def test_once_every_joined_member_answered_the_reveal_comes_at_once(tutor, groups, args) -> None:
    seq = seq_of(start(groups, args=args))
    pick(groups, ZELDA, seq, "b")
    last = pick(groups, QUILL, seq, "a")
    assert last.messages == ()  # the first question waits: nobody has joined yet
    moved = groups.reveal(G, True)
    if args == "off":
        moved = groups.tap(G, ZELDA, f"gn:{seq + 1}", 70, True)
    seq = seq_of(moved)
    assert session(tutor).question == 1

    early = pick(groups, ZELDA, seq, "a")
    assert early.messages == () and session(tutor).phase is GroupPhase.ASKING
    assert pick(groups, XANTHE, seq, "a").messages == ()  # a newcomer is not waited for
    reply = pick(groups, QUILL, seq, "b")  # the last joined member
    assert reply.toast.startswith("❌ Not quite") and reply.alert and reply.link
    assert texts(reply)[0].startswith("Question 2 of 3 — the answer")
    assert reply.edit.message_id == QUESTION
    if args == "off":
        assert data(reply.messages[-1]) == [f"gn:{seq + 1}"]
        assert session(tutor).phase is GroupPhase.REVEALED
    else:
        assert texts(reply)[1].startswith("Question 3 of 3") and reply.wake_at is not None
        assert session(tutor).question == 2


# --- The end of a step ------------------------------------------------------------------------

STEP_4 = (
    ((ZELDA, "b"), (QUILL, "a"), (XANTHE, "a")),  # 1 of 3 right
    ((ZELDA, "a"), (QUILL, "b"), (XANTHE, "c")),  # 1 of 3
    ((ZELDA, "a"), (QUILL, "a"), (XANTHE, "d")),  # 2 of 3
)


def run_step(groups, clock: Clock, rounds, step: int = 4, args: str | None = None,
             chat_id: int = G) -> list[Reply]:  # fmt: skip
    """Start a step; per question the members pick (a second apart), then the reveal comes
    (at once when every joined member answered, else by the timer). The reveals' replies."""
    reply = start(groups, chat_id, step, args)
    reveals = []
    for picks in rounds:
        seq = seq_of(reply)
        for member, option in picks:
            clock.now += timedelta(seconds=1)
            reply = pick(groups, member, seq, option, chat_id)
            assert reply.outcome == "ok", reply.toast
        if not reply.messages:
            clock.now += TIMER
            reply = groups.wake(chat_id)
        assert texts(reply)[0].startswith(f"Question {len(reveals) + 1} of "), texts(reply)
        reveals.append(reply)
    return reveals


def repairs(reply: Reply) -> list[tuple[int, list[str]]]:
    """The private messages with a button: the repairs after a miss."""
    return [(uid, data(m)) for uid, ms in reply.private for m in ms if m.buttons]


def test_the_last_reveal_ends_the_step_with_takeaway_pattern_and_board(
    tutor, groups, clock, library
) -> None:
    *_, last = run_step(groups, clock, STEP_4)
    revealed, ending = texts(last)
    assert revealed.startswith("Question 3 of 3 — the answer")
    step = library.course(COURSE).step(4)
    assert ending.startswith("The takeaway\n" + step.takeaway)
    assert "The pattern\n" + step.pattern in ending
    board = ending[ending.index("How the group did") :]
    assert board.splitlines() == [
        "How the group did",
        "Question 1: 1 of 3 connected",
        "Question 2: 1 of 3 connected",
        "Question 3: 2 of 3 connected",
        "The hardest: question 1 — worth a second look.",
        "3 members studied together.",
        "Your answers count in your own /progress and reviews, in private.",
    ]
    assert not any(name in ending for name in NAMES)
    assert last.messages[-1].buttons == ()  # step 4 is the course's last
    assert last.wake_at is None and session(tutor) is None
    assert tutor.store.db["group_answers"].count == 0
    assert groups.wake(G) is None and groups.recount(G) is None


def test_each_member_keeps_the_step_in_their_own_record(tutor, groups, clock) -> None:
    run_step(groups, clock, STEP_4)
    for member, *picks in zip((ZELDA, QUILL, XANTHE), *STEP_4, strict=True):
        me = own(member)
        history = tutor.store.records.history(me, COURSE)
        assert [(a.step, a.question_id, a.option_id) for a in history.answers] == [
            (4, q, option) for q, (_, option) in zip(QUESTION_IDS, picks, strict=True)
        ]
        assert history.finished_steps == {4}
        assert sorted(c.key.question_id for c in tutor.store.records.cards(me)) == sorted(
            QUESTION_IDS
        )
        assert "✅ 4" in plain(tutor.lessons.progress(me).messages[0].text)
        assert tutor.store.records.history(member, COURSE).answers == ()  # nothing under G


QUESTION_IDS = ("which-way", "how-big", "full-loop")


def test_members_who_missed_and_started_the_bot_get_a_repair(tutor, groups, clock, library) -> None:
    reveals = run_step(groups, clock, STEP_4)
    course = library.course(COURSE)
    step = course.step(4)
    for index, (reply, picks) in enumerate(zip(reveals, STEP_4, strict=True)):
        # Xanthe missed every question; Quill did too but never started the bot. The button
        # goes back to the step the idea rests on: the misconception's, else the one before.
        chosen = dict((m.user_id, option) for m, option in picks)[XANTHE.user_id]
        where = Position(COURSE, 4, index, Phase.ANSWERED, 0, chosen=chosen)
        back = find_repair(course, step, where).built_in
        expected = callbacks.encode(callbacks.OpenStep(COURSE, back.number if back else 3))
        assert repairs(reply) == [(XANTHE.user_id, [expected])]
        assert QUILL.user_id not in {uid for uid, _ in reply.private}
    [repair] = [m for uid, ms in reveals[0].private for m in ms if uid == XANTHE.user_id]
    assert "Question 1 of step 4, with your group" in plain(repair.text)
    assert "What might be tripping you" in plain(repair.text)  # option a's misconception
    assert [b.label for row in repair.buttons for b in row] == ["Go back to step 3 ➜"]
    assert not any(uid == ZELDA.user_id for r in reveals for uid, _ in repairs(r))


def test_the_board_names_who_studied_in_first_answer_order_when_asked(groups, clock) -> None:
    assert said(groups.study(G, ZELDA, "board names", True), "will name who studied")
    rounds = (((XANTHE, "b"), (ZELDA, "a"), (QUILL, "b")), ((QUILL, "a"),), ((ZELDA, "a"),))
    ending = texts(run_step(groups, clock, rounds)[-1])[-1]
    assert "Studied together: Xanthe, Zelda, Quill." in ending
    assert "members studied together" not in ending


def test_a_changed_answer_keeps_the_member_first_on_the_board(groups, clock) -> None:
    groups.study(G, ZELDA, "board names", True)
    rounds = (((QUILL, "a"), (ZELDA, "b"), (QUILL, "b")), ((ZELDA, "a"),), ((QUILL, "a"),))
    ending = texts(run_step(groups, clock, rounds)[-1])[-1]
    assert "Studied together: Quill, Zelda." in ending


ENDING = 80


def test_starting_the_next_step_from_the_ending_keeps_the_ending(groups, clock) -> None:
    rounds = (((ZELDA, "c"),), ((ZELDA, "b"),), ((ZELDA, "a"),))
    ending = run_step(groups, clock, rounds, step=1)[-1].messages[-1]
    assert data(ending) == ["gf:neural-networks:2"]  # a fresh message: the ending stays
    reply = groups.tap(G, ZELDA, "gf:neural-networks:2", ENDING, True)
    assert reply.outcome == "ok" and said(reply, "Question 1 of 3")
    assert reply.edit is None or "The takeaway" in plain(reply.edit.message.text)


# --- /reveal and /endstudy --------------------------------------------------------------------


@pytest.mark.parametrize("command", ["reveal", "end"])
def test_reveal_and_endstudy_are_for_admins(tutor, groups, command) -> None:
    pick(groups, QUILL, seq_of(start(groups)), "b")
    before = saved(tutor)
    reply = getattr(groups, command)(G, False)
    assert reply.outcome == "refused" and texts(reply) == [ADMINS_ONLY]
    assert saved(tutor) == before


@pytest.mark.parametrize(("command", "notice"), [("reveal", "none_open"), ("end", "not_running")])
def test_reveal_and_endstudy_without_a_session(tutor, groups, command, notice) -> None:
    reply = getattr(groups, command)(G, True)
    assert reply.outcome == "refused" and texts(reply) == [NOTICES[notice]]
    assert tutor.store.db["group_sessions"].count == 0


def test_reveal_now_by_an_admin(tutor, groups) -> None:
    seq = seq_of(start(groups))
    pick(groups, QUILL, seq, "a")
    reply = groups.reveal(G, True)
    assert texts(reply)[0].startswith("Question 1 of 3 — the answer")
    assert "· 1 chose this" in texts(reply)[0] and texts(reply)[1].startswith("Question 2 of 3")
    assert [a.option_id for a in tutor.store.records.history(own(QUILL), COURSE).answers] == ["a"]


def test_endstudy_keeps_every_answer_given_and_ends_the_session(tutor, groups) -> None:
    seq = seq_of(start(groups))
    pick(groups, QUILL, seq, "a")
    pick(groups, ZELDA, seq, "b")  # joined, so Quill's next answer alone does not reveal
    seq = seq_of(groups.reveal(G, True))
    pick(groups, QUILL, seq, "b")  # still open when the session ends: his verdict was shown
    reply = groups.end(G, True)
    assert reply.outcome == "ok" and said(reply, "Study session ended")
    assert session(tutor) is None and tutor.store.db["group_answers"].count == 0
    history = tutor.store.records.history(own(QUILL), COURSE)
    answers = [(a.question_id, a.option_id) for a in history.answers]
    assert answers == [("which-way", "a"), ("how-big", "b")]
    assert history.finished_steps == frozenset()
    assert groups.wake(G) is None
    assert pick(groups, QUILL, seq, "a").toast == NOTICES["session_over"]


# --- Taps that name nothing live --------------------------------------------------------------

FORGED = [
    None, "", "garbage", "x" * 65, "m", "s:neural-networks:4", "a:{seq}:neural-networks:4:0:b",
    "ga:{seq}:zz", "ga:{seq}:", "ga:{seq}", "ga:{next}:b", "ga:{prev}:b", "ga:-1:b", "ga:²:b",
    "gn:{seq}", "gn:{next}", "gn:999", "gs:no-such-course:1", "gs:neural-networks:99",
    "gc:no-such-course", "gm:extra",
]  # fmt: skip


@pytest.mark.parametrize("template", FORGED, ids=repr)
@pytest.mark.parametrize("is_admin", [True, False], ids=["admin", "member"])
def test_a_forged_tap_is_refused_and_changes_nothing(tutor, groups, template, is_admin) -> None:
    seq = seq_of(start(groups))
    pick(groups, QUILL, seq, "a")
    before = saved(tutor)
    tap = template and template.format(seq=seq, next=seq + 1, prev=seq - 1)
    member = ZELDA if is_admin else XANTHE
    reply = groups.tap(G, member, tap, QUESTION, is_admin)
    assert reply.outcome in ("refused", "forged"), reply
    assert (reply.messages, reply.edit, reply.private, reply.recount) == ((), None, (), False)
    assert reply.outcome == "refused" or reply.toast == NOTICES["unknown"]
    assert saved(tutor) == before


def test_a_tap_from_another_group_is_refused(tutor, groups) -> None:
    seq = seq_of(start(groups))
    pick(groups, QUILL, seq, "a")
    before = saved(tutor)
    reply = pick(groups, QUILL, seq, "b", chat_id=G2)  # G2 has no session
    assert (reply.outcome, reply.toast) == ("refused", NOTICES["session_over"])
    assert saved(tutor) == before

    start(groups, G2)
    groups.end(G2, True)
    other = seq_of(start(groups, G2))  # G2's second session: another seq
    assert other != seq
    before = saved(tutor)
    assert pick(groups, QUILL, seq, "b", chat_id=G2).outcome == "refused"
    assert saved(tutor) == before
    assert current(tutor, G) == {QUILL.user_id: "a"} and current(tutor, G2) == {}


def test_a_tap_on_a_finished_session_is_refused(tutor, groups) -> None:
    first = seq_of(start(groups))
    pick(groups, ZELDA, first, "b")
    groups.end(G, True)
    before = saved(tutor)
    for tap in (f"ga:{first}:b", f"gn:{first + 1}"):
        reply = groups.tap(G, ZELDA, tap, QUESTION, True)
        assert (reply.outcome, reply.toast) == ("refused", NOTICES["session_over"])
    assert saved(tutor) == before

    second = seq_of(start(groups))
    assert second > first
    before = saved(tutor)
    stale = pick(groups, ZELDA, first, "b")
    assert stale.outcome == "refused" and stale.toast.startswith("That question is closed")
    assert saved(tutor) == before


# --- Groups, members and private lessons apart ------------------------------------------------


def test_two_groups_and_a_private_lesson_never_mix(tutor, groups) -> None:
    me = Learner(QUILL.user_id, QUILL.user_id, "Quill")
    lesson = tutor.tap(me, "s:neural-networks:4")
    position = tutor.store.positions.current(me)

    in_g = seq_of(start(groups, G))
    in_g2 = seq_of(start(groups, G2, step=1, args="off", course="compound-interest"))
    pick(groups, QUILL, in_g, "b")
    pick(groups, QUILL, in_g2, "c", chat_id=G2)
    pick(groups, XANTHE, in_g2, "a", chat_id=G2)
    assert current(tutor, G) == {QUILL.user_id: "b"}
    assert current(tutor, G2) == {QUILL.user_id: "c", XANTHE.user_id: "a"}
    assert tutor.store.positions.current(me) == position

    answer = next(
        b.data for m in lesson.messages for row in m.buttons for b in row
        if b.data.startswith("a:") and b.data.endswith(":c")
    )  # fmt: skip
    assert tutor.tap(me, answer).outcome == "ok"
    moved = tutor.store.positions.current(me)
    assert moved != position
    assert current(tutor, G) == {QUILL.user_id: "b"}
    assert current(tutor, G2) == {QUILL.user_id: "c", XANTHE.user_id: "a"}

    groups.reveal(G, True)
    assert session(tutor, G).question == 1 and session(tutor, G2).phase is GroupPhase.ASKING
    assert current(tutor, G2) == {QUILL.user_id: "c", XANTHE.user_id: "a"}
    assert tutor.store.positions.current(me) == moved
    assert [(s.timer, s.anyone) for s, _ in map(tutor.store.groups.settings, (G, G2))] == [
        (60, False), (0, False)
    ]  # fmt: skip
    history = tutor.store.records.history(me, COURSE)
    assert [a.option_id for a in history.answers] == ["c", "b"]  # alone, then with G
    assert tutor.store.records.history(me, "compound-interest").answers == ()  # G2 still open
    assert [s.chat_id for s in groups.open_sessions()] == sorted([G, G2])


# --- The group's life -------------------------------------------------------------------------


def test_a_group_that_becomes_a_supergroup_keeps_its_session(tutor, groups, clock) -> None:
    seq = seq_of(start(groups, args="90"))
    pick(groups, ZELDA, seq, "b")
    pick(groups, QUILL, seq, "a")
    groups.recount(G)
    kept = session(tutor)
    groups.migrate(G, G_NEW)
    assert session(tutor) is None and groups.wake(G) is None
    moved = session(tutor, G_NEW)
    assert moved == replace(kept, chat_id=G_NEW)
    assert tutor.store.groups.settings(G_NEW)[0].timer == 90

    changed = pick(groups, QUILL, seq, "b", chat_id=G_NEW)
    assert changed.toast.startswith("Changed. ✅ Exactly")
    assert pick(groups, XANTHE, seq, "c", chat_id=G_NEW).outcome == "ok"
    assert "👥 3 answered" in plain(groups.recount(G_NEW).edit.message.text)
    clock.now = NOW + timedelta(seconds=90)
    revealed = texts(groups.wake(G_NEW))[0]
    assert "· 2 chose this" in revealed and "· 1 chose this" in revealed
    assert [s.chat_id for s in groups.open_sessions()] == [G_NEW]


def test_a_group_that_removes_the_bot_loses_its_session(tutor, groups, clock) -> None:
    seq = seq_of(start(groups))
    pick(groups, QUILL, seq, "a")
    groups.removed(G)
    assert session(tutor) is None and tutor.store.db["group_answers"].count == 0
    assert not tutor.store.people.is_active(G)
    clock.now = NOW + TIMER
    assert groups.wake(G) is None and groups.open_sessions() == []
    assert pick(groups, QUILL, seq, "b").toast == NOTICES["session_over"]
    kept = tutor.store.records.history(own(QUILL), COURSE).answers  # he saw his verdict
    assert [a.option_id for a in kept] == ["a"]
    assert said(groups.added(G), "I run study sessions") and tutor.store.people.is_active(G)


@pytest.mark.parametrize("args", ["off", "90"])
def test_an_idle_session_ends_itself_on_wake(tutor, groups, clock, args) -> None:
    seq = seq_of(start(groups, args=args))
    clock.now = NOW + timedelta(seconds=10)
    pick(groups, QUILL, seq, "a")
    if args == "off":
        clock.now += timedelta(days=1, milliseconds=-1)
        assert groups.wake(G) is None and session(tutor) is not None
    clock.now = NOW + timedelta(days=1, seconds=10)  # with a timer: its reveal was missed
    reply = groups.wake(G)
    assert texts(reply) == [NOTICES["idle_end"]]
    assert session(tutor) is None and groups.wake(G) is None
    kept = tutor.store.records.history(own(QUILL), COURSE).answers  # he saw his verdict
    assert [a.option_id for a in kept] == ["a"]


def test_a_restart_keeps_the_open_question_and_its_answers(
    library, fresh_store, clock, tmp_path: Path
) -> None:
    for who in (ZELDA, XANTHE):
        fresh_store.people.seen(own(who), NOW)
    groups = make_tutor(library, fresh_store, clock).groups
    seq = seq_of(start(groups))
    pick(groups, ZELDA, seq, "b")
    pick(groups, QUILL, seq, "a")
    assert groups.recount(G) is not None
    before = fresh_store.groups.session(G)
    fresh_store.close()

    store = Store.open(tmp_path / "tutor.db")
    try:
        tutor = make_tutor(library, store, clock)
        groups = tutor.groups
        [reopened] = groups.open_sessions()
        assert reopened == before and reopened.reveal_at == NOW + TIMER
        assert {a.user_id: a.option_id for a in reopened.current} == {
            ZELDA.user_id: "b", QUILL.user_id: "a"
        }  # fmt: skip
        assert groups.recount(G) is None  # the count shown survived too
        again = pick(groups, ZELDA, seq, "b")
        assert again.toast.startswith("Already counted") and not again.alert
        assert pick(groups, XANTHE, seq, "b").private  # started, before the restart
        clock.now = NOW + TIMER
        revealed = texts(groups.wake(G))[0]
        assert "· 2 chose this" in revealed and "· 1 chose this" in revealed
        assert [a.option_id for a in store.records.history(own(QUILL), COURSE).answers] == ["a"]
    finally:
        store.close()

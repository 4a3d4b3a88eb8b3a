"""Group study's pure rules (`bot.core.group`): /study's arguments, a session's questions,
answers, reveals and board, with `now` passed in and no database.

The session runs on the real content (neural-networks step 4: three questions whose right
options are b, a, a) so the rules are judged on what members really see.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content import Course, Library, Step
from bot.core import group
from bot.core.group import (
    DEFAULT_TIMER,
    IDLE,
    TIMER_RANGE,
    BadArgs,
    GroupPhase,
    Session,
    SetAnyone,
    SetNames,
    Settings,
    Study,
    Tap,
)
from tests.conftest import NOW

CHAT = -100123
ANN, BOB, CY, DEE = 1, 2, 3, 4
NAMES = {ANN: "Ann", BOB: "Bob", CY: "Cy", DEE: "Dee"}
RIGHT = ("b", "a", "a")  # step 4's right option, per question
WRONG = ("a", "b", "b")
SECOND = timedelta(seconds=1)


@pytest.fixture(scope="module")
def course(library: Library) -> Course:
    return library.course("neural-networks")


@pytest.fixture(scope="module")
def step(course: Course) -> Step:
    step = course.step(4)
    assert [next(o.id for o in q.options if o.verdict.is_right) for q in step.questions] == list(
        RIGHT
    )
    return step


def begin(course: Course, step: Step, timer: int = 0, last_seq: int = 0) -> Session:
    return group.start(CHAT, course, step, Settings(timer=timer), last_seq, NOW)


def tap(
    session: Session, step: Step, user: int, option: str, seq: int | None = None, at=NOW
) -> tuple[Session, Tap]:
    question = step.questions[session.question]
    tap_seq = session.seq if seq is None else seq
    after, result, _ = group.answer(session, question, user, NAMES.get(user), tap_seq, option, at)
    return after, result


def taps(session: Session, step: Step, *picks: tuple[int, str]) -> Session:
    for user, option in picks:
        session, result = tap(session, step, user, option)
        assert result in (Tap.COUNTED, Tap.CHANGED), (user, option, result)
    return session


def move_on(session: Session, step: Step, timer: int = 0, at=NOW) -> Session:
    closed, _ = group.reveal(session, step, at)
    return group.next_question(closed, Settings(timer=timer), at)


def chosen(session: Session) -> dict[tuple[int, int], str]:
    return {(a.question, a.user_id): a.option_id for a in session.answers}


# --- /study and its arguments ------------------------------------------------------------------

PARSED = [
    ("", Study()),
    ("   ", Study()),
    ("90", Study(90)),
    ("90s", Study(90)),
    (" 90S ", Study(90)),
    ("10", Study(10)),
    ("3600", Study(3600)),
    ("off", Study(0)),
    ("OFF", Study(0)),
    ("notimer", Study(0)),
    ("0", Study(0)),
    ("anyone", SetAnyone(True)),
    ("Everyone", SetAnyone(True)),
    ("all", SetAnyone(True)),
    ("admins", SetAnyone(False)),
    ("admin", SetAnyone(False)),
    ("board names", SetNames(True)),
    ("board  on", SetNames(True)),
    ("Board Names", SetNames(True)),
    ("board off", SetNames(False)),
    ("board anonymous", SetNames(False)),
    ("board nonames", SetNames(False)),
    ("5", BadArgs("5")),
    ("9", BadArgs("9")),
    ("9s", BadArgs("9s")),
    ("3601", BadArgs("3601")),
    ("99999", BadArgs("99999")),
    ("123456", BadArgs("123456")),
    ("-60", BadArgs("-60")),
    ("90 s", BadArgs("90 s")),
    ("1e3", BadArgs("1e3")),
    ("board", BadArgs("board")),
    ("board maybe", BadArgs("board maybe")),
    ("anyone please", BadArgs("anyone please")),
    ("banana", BadArgs("banana")),
    ("x" * 100, BadArgs("x" * 40)),
]


@pytest.mark.parametrize(("args", "command"), PARSED, ids=[repr(a[:12]) for a, _ in PARSED])
def test_parse_study_reads_every_form(args: str, command: group.StudyCommand) -> None:
    assert group.parse_study(args) == command


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=60))
def test_parse_study_never_raises_and_keeps_timers_in_range(args: str) -> None:
    command = group.parse_study(args)
    assert isinstance(command, Study | SetAnyone | SetNames | BadArgs)
    if isinstance(command, Study) and command.timer is not None:
        assert command.timer == 0 or TIMER_RANGE[0] <= command.timer <= TIMER_RANGE[1]
    if isinstance(command, BadArgs):
        assert command.text == args[:40]


# --- start --------------------------------------------------------------------------------------


def test_start_asks_the_first_question_after_the_last_seq(course, step) -> None:
    session = group.start(CHAT, course, step, Settings(timer=90), 41, NOW)
    assert (session.chat_id, session.course_id, session.step) == (CHAT, course.id, 4)
    assert (session.question, session.phase, session.seq) == (0, GroupPhase.ASKING, 42)
    assert session.reveal_at == NOW + timedelta(seconds=90)
    assert session.started_at == session.active_at == NOW
    assert (session.answers, session.message_id, session.shown_count) == ((), None, 0)


def test_start_uses_the_default_timer_and_none_without_a_timer(course, step) -> None:
    default = group.start(CHAT, course, step, Settings(), 0, NOW)
    assert default.reveal_at == NOW + timedelta(seconds=DEFAULT_TIMER) and default.seq == 1
    assert group.start(CHAT, course, step, Settings(timer=0), 7, NOW).reveal_at is None


# --- answer -------------------------------------------------------------------------------------


def test_a_first_answer_is_counted_with_the_option(course, step) -> None:
    session = begin(course, step)
    later = NOW + 5 * SECOND
    after, result, option = group.answer(
        session, step.questions[0], ANN, "Ann", session.seq, "b", later
    )
    assert (result, option) == (Tap.COUNTED, step.questions[0].option("b"))
    assert after.current == (group.GroupAnswer(0, ANN, "b", "Ann"),)
    assert after.active_at == later and after.seq == session.seq
    assert session.answers == ()  # the rules never change what they were given


def test_a_different_option_changes_the_answer(course, step) -> None:
    session = taps(begin(course, step), step, (ANN, "a"), (BOB, "c"))
    after, result = tap(session, step, ANN, "b")
    assert result is Tap.CHANGED
    assert chosen(after) == {(0, ANN): "b", (0, BOB): "c"}
    assert len(after.answers) == 2


def test_the_same_option_again_changes_nothing(course, step) -> None:
    session = taps(begin(course, step), step, (ANN, "a"))
    after, result, option = group.answer(
        session, step.questions[0], ANN, "Ann", session.seq, "a", NOW + 9 * SECOND
    )
    assert (result, option) == (Tap.ALREADY, step.questions[0].option("a"))
    assert after == session  # not even active_at moves


@pytest.mark.parametrize("offset", [-1, 1, -5], ids=["older", "newer", "much-older"])
def test_a_tap_with_another_seq_is_closed(course, step, offset) -> None:
    session = taps(begin(course, step, last_seq=10), step, (ANN, "a"))
    after, result, option = group.answer(
        session, step.questions[0], BOB, "Bob", session.seq + offset, "b", NOW
    )
    assert (after, result, option) == (session, Tap.CLOSED, None)


def test_a_tap_after_the_reveal_is_closed_whatever_its_seq(course, step) -> None:
    session = taps(begin(course, step), step, (ANN, "a"))
    closed, _ = group.reveal(session, step, NOW)
    for seq in (session.seq, closed.seq):
        for user in (ANN, BOB):
            after, result = tap(closed, step, user, "b", seq=seq)
            assert (after, result) == (closed, Tap.CLOSED)


@pytest.mark.parametrize("option", ["zz", "e", "", "B"])
def test_an_option_the_question_lacks_is_unknown(course, step, option) -> None:
    session = taps(begin(course, step), step, (ANN, "a"))
    after, result, found = group.answer(
        session, step.questions[0], ANN, "Ann", session.seq, option, NOW
    )
    assert (after, result, found) == (session, Tap.UNKNOWN, None)


def test_changing_an_answer_leaves_other_questions_alone(course, step) -> None:
    session = taps(begin(course, step), step, (ANN, "a"), (BOB, "b"))
    session = move_on(session, step)
    session = taps(session, step, (ANN, "c"), (ANN, "b"))
    assert chosen(session) == {(0, ANN): "a", (0, BOB): "b", (1, ANN): "b"}


# --- due ----------------------------------------------------------------------------------------


def test_due_when_the_timer_runs_out(course, step) -> None:
    session = begin(course, step, timer=60)
    assert not group.due(session, NOW + timedelta(seconds=59))
    assert group.due(session, NOW + timedelta(seconds=60))
    assert group.due(session, NOW + timedelta(days=3))


def test_the_first_question_never_reveals_because_all_answered(course, step) -> None:
    session = taps(begin(course, step), step, (ANN, "b"), (BOB, "a"))
    assert session.joined == frozenset()
    assert not group.due(session, NOW + timedelta(days=3))


def test_due_once_every_joined_member_answered(course, step) -> None:
    session = move_on(taps(begin(course, step), step, (ANN, "b"), (BOB, "a")), step)
    assert session.joined == {ANN, BOB}
    assert not group.due(session, NOW)
    session = taps(session, step, (CY, "a"))  # a newcomer is not waited for, nor enough
    assert not group.due(session, NOW)
    session = taps(session, step, (ANN, "a"))
    assert not group.due(session, NOW)
    session = taps(session, step, (BOB, "b"))
    assert group.due(session, NOW)


def test_joined_means_an_earlier_question_not_this_one(course, step) -> None:
    session = move_on(taps(begin(course, step), step, (ANN, "b")), step)
    session = taps(session, step, (BOB, "a"))
    assert session.joined == {ANN} and session.members == {ANN, BOB}
    session = move_on(session, step)
    assert session.joined == {ANN, BOB}
    assert not group.due(taps(session, step, (ANN, "a")), NOW)


def test_a_revealed_question_is_not_due(course, step) -> None:
    session = move_on(taps(begin(course, step, timer=60), step, (ANN, "b")), step, timer=60)
    session = taps(session, step, (ANN, "a"))
    closed, _ = group.reveal(session, step, NOW)
    assert (closed.phase, closed.reveal_at) == (GroupPhase.REVEALED, None)
    assert not group.due(closed, NOW + timedelta(days=1))


# --- reveal -------------------------------------------------------------------------------------


def test_the_reveal_counts_final_answers_per_option(course, step) -> None:
    session = taps(
        begin(course, step, last_seq=3), step,
        (ANN, "a"), (BOB, "c"), (CY, "b"), (DEE, "b"), (ANN, "b"), (BOB, "a"),
    )  # fmt: skip
    closed, revealed = group.reveal(session, step, NOW + SECOND)
    assert [(o.id, n) for o, n in revealed.counts] == [("a", 1), ("b", 3), ("c", 0), ("d", 0)]
    assert {o.user_id: o.option.id for o in revealed.outcomes} == {
        ANN: "b", BOB: "a", CY: "b", DEE: "b"
    }  # fmt: skip
    assert revealed.answered == 4 and revealed.right.id == "b"
    assert not revealed.most_missed
    assert (closed.phase, closed.seq, closed.reveal_at) == (
        GroupPhase.REVEALED,
        session.seq + 1,
        None,
    )
    assert closed.active_at == NOW + SECOND and closed.answers == session.answers


def test_the_reveal_counts_only_the_open_question(course, step) -> None:
    session = move_on(taps(begin(course, step), step, (ANN, "a"), (BOB, "a")), step)
    session = taps(session, step, (CY, "c"))
    _, revealed = group.reveal(session, step, NOW)
    assert revealed.question == step.questions[1]
    assert [(o.id, n) for o, n in revealed.counts] == [("a", 0), ("b", 0), ("c", 1), ("d", 0)]
    assert [o.user_id for o in revealed.outcomes] == [CY]


MOST_MISSED = [
    pytest.param([], False, id="nobody-answered"),
    pytest.param(["b"], False, id="one-right"),
    pytest.param(["a"], True, id="one-wrong"),
    pytest.param(["a", "b"], False, id="half-is-not-most"),
    pytest.param(["a", "c", "b"], True, id="two-of-three-missed"),
    pytest.param(["d", "d", "b"], True, id="not-sure-is-a-miss"),
    pytest.param(["c", "b", "b"], False, id="close-is-a-miss-but-one-of-three"),
]


@pytest.mark.parametrize(("options", "most"), MOST_MISSED)
def test_most_missed(course, step, options, most) -> None:
    session = taps(begin(course, step), step, *zip((ANN, BOB, CY), options, strict=False))
    _, revealed = group.reveal(session, step, NOW)
    assert revealed.most_missed is most
    assert sum(n for _, n in revealed.counts) == revealed.answered == len(options)


# --- next_question and is_last ------------------------------------------------------------------


def test_next_question_resets_the_open_question(course, step) -> None:
    session = begin(course, step, timer=30)
    session = replace(taps(session, step, (ANN, "b")), message_id=77, shown_count=1)
    closed, _ = group.reveal(session, step, NOW)
    later = NOW + timedelta(minutes=2)
    following = group.next_question(closed, Settings(timer=45), later)
    assert (following.question, following.phase) == (1, GroupPhase.ASKING)
    assert following.seq == closed.seq + 1 == session.seq + 2
    assert (following.message_id, following.shown_count) == (None, 0)
    assert following.reveal_at == later + timedelta(seconds=45) and following.active_at == later
    assert following.current == () and following.answers == session.answers
    assert following.started_at == NOW
    assert group.next_question(closed, Settings(timer=0), later).reveal_at is None


def test_is_last_on_the_last_question_only(course, step) -> None:
    session = begin(course, step)
    seen = []
    for _ in step.questions:
        seen.append(group.is_last(session, step))
        session = move_on(session, step)
    assert seen == [False, False, True]


# --- board --------------------------------------------------------------------------------------


def play(course: Course, step: Step, *rounds: tuple[tuple[int, str], ...]) -> Session:
    """Each round: the picks on one question, then the reveal and the next question."""
    session = begin(course, step)
    for number, picks in enumerate(rounds):
        session = taps(session, step, *picks)
        if number + 1 < len(rounds):
            session = move_on(session, step)
    return session


def test_the_board_counts_right_answers_and_finds_the_hardest(course, step) -> None:
    session = play(
        course, step,
        ((ANN, RIGHT[0]), (BOB, WRONG[0]), (CY, RIGHT[0])),  # 2 of 3
        ((ANN, RIGHT[1]), (BOB, "c")),  # 1 of 2: the hardest
        ((ANN, RIGHT[2]), (BOB, RIGHT[2]), (CY, "d"), (DEE, RIGHT[2])),  # 3 of 4
    )  # fmt: skip
    board = group.board(session, step, Settings())
    assert board.right_first == (2, 1, 3) and board.answered == (3, 2, 4)
    assert board.hardest == 1 and board.members == 4
    assert board.names == ()


def test_the_board_counts_final_answers(course, step) -> None:
    session = play(course, step, ((ANN, WRONG[0]), (ANN, RIGHT[0])), ((ANN, RIGHT[1]),),
                   ((ANN, RIGHT[2]), (ANN, WRONG[2])))  # fmt: skip
    board = group.board(session, step, Settings())
    assert board.right_first == (1, 1, 0) and board.answered == (1, 1, 1)
    assert (board.hardest, board.members) == (2, 1)


def test_the_hardest_is_the_first_of_equals(course, step) -> None:
    session = play(course, step, ((ANN, WRONG[0]),), ((ANN, RIGHT[1]),), ((ANN, WRONG[2]),))
    assert group.board(session, step, Settings()).hardest == 0


BOARDS_WITHOUT_A_HARDEST = [
    pytest.param((((ANN, RIGHT[0]),), ((ANN, RIGHT[1]),), ((ANN, RIGHT[2]),)), id="all-right"),
    pytest.param((((ANN, WRONG[0]),), ((ANN, WRONG[1]),), ((ANN, WRONG[2]),)), id="all-wrong"),
    pytest.param((((ANN, RIGHT[0]), (BOB, WRONG[0])), (), ((CY, WRONG[2]), (DEE, RIGHT[2]))),
                 id="equal-rates-one-unanswered"),
    pytest.param(((), (), ()), id="nobody"),
]  # fmt: skip


@pytest.mark.parametrize("rounds", BOARDS_WITHOUT_A_HARDEST)
def test_no_hardest_when_all_went_equally(course, step, rounds) -> None:
    board = group.board(play(course, step, *rounds), step, Settings())
    assert board.hardest is None


def test_names_only_when_asked_in_first_answer_order(course, step) -> None:
    session = play(course, step, ((CY, "a"), (ANN, "b")), ((BOB, "a"), (CY, "b")), ((DEE, "a"),))
    session = replace(
        session, answers=(*session.answers, group.GroupAnswer(2, 9, "a", None))
    )  # a member Telegram gave no name
    assert group.board(session, step, Settings(names=False)).names == ()
    named = group.board(session, step, Settings(names=True))
    assert named.names == ("Cy", "Ann", "Bob", "Dee", "someone")
    assert named.members == 5


def test_names_keep_first_answer_order_when_an_answer_changes(course, step) -> None:
    session = taps(begin(course, step), step, (ANN, "a"), (BOB, "a"), (ANN, "b"))
    assert group.board(session, step, Settings(names=True)).names == ("Ann", "Bob")


# --- Session ------------------------------------------------------------------------------------


def test_a_session_is_idle_a_day_after_its_last_activity(course, step) -> None:
    session = taps(begin(course, step), step, (ANN, "b"))
    assert not session.idle(NOW + IDLE - SECOND)
    assert session.idle(NOW + IDLE)
    moved, _ = tap(session, step, BOB, "a", at=NOW + timedelta(hours=20))
    assert not moved.idle(NOW + IDLE)


# --- Any sequence of taps -----------------------------------------------------------------------

MEMBERS = (ANN, BOB, CY, DEE)
OPTIONS = ("a", "b", "c", "d", "zz")
OFFSETS = (-3, -1, 0, 0, 0, 1)  # mostly the open question, some stale, one from the future

TAP = st.tuples(
    st.just("tap"), st.sampled_from(MEMBERS), st.sampled_from(OPTIONS), st.sampled_from(OFFSETS)
)
MOVE = st.tuples(st.sampled_from(("reveal", "next")), st.just(0), st.just(""), st.just(0))


@settings(max_examples=250, deadline=None, derandomize=True, database=None)
@given(st.lists(st.one_of(TAP, TAP, TAP, MOVE), max_size=40))
def test_any_taps_keep_one_answer_per_member_and_reveals_that_add_up(
    course: Course, step: Step, ops: list[tuple[str, int, str, int]]
) -> None:
    """A model of what should be kept: the last live pick of each member on each question."""
    session = begin(course, step)
    model: dict[tuple[int, int], str] = {}
    for kind, user, option, offset in ops:
        if kind == "tap":
            question = step.questions[session.question]
            before = dict(model)
            session, result = tap(session, step, user, option, seq=session.seq + offset)
            live = offset == 0 and session.phase is GroupPhase.ASKING
            mine = before.get((session.question, user))
            if not live:
                expected = Tap.CLOSED
            elif question.option(option) is None:
                expected = Tap.UNKNOWN
            elif mine == option:
                expected = Tap.ALREADY
            else:
                expected = Tap.CHANGED if mine else Tap.COUNTED
                model[(session.question, user)] = option
            assert result is expected, (kind, user, option, offset)
        elif session.phase is GroupPhase.ASKING:
            session = check_reveal(session, step, model)
        elif kind == "next" and not group.is_last(session, step):
            session = group.next_question(session, Settings(timer=0), NOW)
        pairs = [(a.question, a.user_id) for a in session.answers]
        assert len(pairs) == len(set(pairs))  # at most one answer per member per question
        assert chosen(session) == model
    if session.phase is GroupPhase.ASKING:
        check_reveal(session, step, model)


def check_reveal(session: Session, step: Step, model: dict[tuple[int, int], str]) -> Session:
    closed, revealed = group.reveal(session, step, NOW)
    members = {u for (q, u) in model if q == session.question}
    assert sum(n for _, n in revealed.counts) == revealed.answered == len(members)
    assert {o.user_id: o.option.id for o in revealed.outcomes} == {
        u: model[(session.question, u)] for u in members
    }
    assert closed.seq == session.seq + 1 and closed.phase is GroupPhase.REVEALED
    return closed

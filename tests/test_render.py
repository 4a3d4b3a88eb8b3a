"""What a learner reads: escaped HTML, readable options, and Telegram's size limits."""

from __future__ import annotations

from bot.content import Library
from bot.core import lesson as engine
from bot.core.model import Phase, Position
from bot.core.prompt import ask
from bot.core.say import MoveOn, Turn
from bot.views import lesson as render
from bot.views import message as msg
from tests.seed import Seed


def seed_step(library: Library):
    course = library.course("neural-networks")
    return course, course.step(4)


def test_a_step_opens_with_its_header_title_and_intro(library: Library, seed: Seed) -> None:
    course, _ = seed_step(library)
    turn = engine.open_step(course, 4, None)
    assert isinstance(turn, Turn)
    (opening,) = render.lesson(turn.say)  # one message: what follows an action is one
    intro, question = opening.text.split("\n\n<b>Question 1 of 3</b>\n\n")
    assert intro == (
        f"<b>{render.esc(seed.header)}</b>\n<b>{render.esc(seed.title)}</b>\n\n"
        f"{render.esc(seed.intro)}"
    )
    assert question.startswith(render.esc(seed.questions[0].prompt))


def test_long_options_are_listed_in_full_and_buttons_carry_letters(
    library: Library, seed: Seed
) -> None:
    course, step = seed_step(library)
    message = render.question(ask(course, step, Position(course.id, 4, 1, Phase.ASKING, 3)))
    for letter, option in zip("ABCD", seed.questions[1].options, strict=True):
        assert f"<b>{letter}</b>  {render.esc(option.text)}" in message.text
    labels = [b.label for row in message.buttons for b in row]
    assert labels == ["A", "B", "C", "D · I'm not sure"]


def test_every_lesson_text_is_escaped() -> None:
    assert render.esc("a < b & c > d") == "a &lt; b &amp; c &gt; d"


def test_feedback_shows_the_verdict_label_then_the_seed_text(library: Library) -> None:
    _, step = seed_step(library)
    option = step.questions[0].options[0]
    text = render.feedback(option)
    assert text.startswith("❌ <b>Not quite</b>\n")
    assert text.endswith(render.esc(option.feedback))


def test_move_on_buttons_go_under_the_last_message() -> None:
    messages = render.lesson([MoveOn(seq=5, offer_another_way=True, to_takeaway=False)])
    assert [b.label for row in messages[0].buttons for b in row] == [
        "Another way to see it",
        "Next question ➜",
    ]


def test_visible_length_counts_what_telegram_counts() -> None:
    assert msg.visible_length("<b>a&amp;b</b>") == 3
    assert msg.visible_length("😀") == 2  # one emoji, two UTF-16 units


def test_a_long_message_is_split_at_paragraphs_with_buttons_on_the_last_part() -> None:
    paragraph = "word " * 300
    message = render.Message(
        "\n\n".join(f"<b>{i}</b> {paragraph}" for i in range(10)),
        ((render.Button("Next", "n:1"),),),
    )
    parts = msg.split(message)
    assert len(parts) > 1
    assert all(msg.visible_length(p.text) <= msg.MAX_TEXT for p in parts)
    assert all(p.text.count("<b>") == p.text.count("</b>") for p in parts)
    assert [p.buttons for p in parts[:-1]] == [()] * (len(parts) - 1)
    assert parts[-1].buttons == message.buttons
    assert "".join(p.text for p in parts).replace("\n", "") == message.text.replace("\n", "")


def test_one_enormous_line_is_cut_between_words() -> None:
    parts = msg.split(render.Message("x " * 5000))
    assert all(msg.visible_length(p.text) <= msg.MAX_TEXT for p in parts)
    assert sum(p.text.count("x") for p in parts) == 5000


def test_a_second_try_lists_the_options_in_their_new_order(library: Library) -> None:
    course, step = seed_step(library)
    first = ask(course, step, Position(course.id, 4, 0, Phase.ASKING, 3))
    second = ask(course, step, Position(course.id, 4, 0, Phase.ASKING, 4, attempt=2))
    assert first.order == ("a", "b", "c", "d") and second.order != first.order
    text = render.question(second).text
    texts = {o.id: o.text for o in step.questions[0].options}
    listed = [texts[i] for i in second.order]
    assert [text.index(render.esc(t)) for t in listed] == sorted(
        text.index(render.esc(t)) for t in listed
    )
    data = [b.data for row in render.question(second).buttons for b in row]
    assert [d.rsplit(":", 1)[1] for d in data] == list(second.order)


def test_a_check_question_can_be_skipped(library: Library) -> None:
    course, step = seed_step(library)
    at = Position(course.id, 4, 0, Phase.ASKING, 3, target=engine.Target.CHECK)
    message = render.question(ask(course, step, at))
    assert message.text.startswith("🔎 <b>Quick check</b>")
    assert message.buttons[-1][0].label == "Skip for now"


def test_when_says_it_as_a_person_would() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert msg.when(now, now) == "now"
    assert msg.when(now + timedelta(hours=5), now) == "in 5 hours"
    assert msg.when(now + timedelta(days=1), now) == "tomorrow"
    assert msg.when(now + timedelta(days=13), now) == "in 13 days"


def test_a_line_too_long_for_one_message_is_cut_without_breaking_an_entity_or_losing_text() -> None:
    from tests.fake_telegram import HtmlParser

    for text in ("x" * 5000, "a&amp;b " * 900 + "&lt;" * 4000, "😀" * 3000):
        parts = msg.split(render.Message(text))
        plain = [HtmlParser(p.text).parse()[0] for p in parts]  # each part is valid HTML
        assert all(0 < msg.visible_length(p.text) <= msg.MAX_TEXT for p in parts)
        assert "".join(plain).replace(" ", "") == msg.plain(text).replace(" ", "")


def test_an_unknown_command_is_echoed_at_a_commands_length() -> None:
    from bot.views import menus

    assert menus.unknown_command("/" + "<" * 4000).text.startswith(f"I don't know /{'&lt;' * 31}…")

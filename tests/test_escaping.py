"""Every text an author writes reaches the learner escaped exactly once.

A course whose every field holds markup-like text (`<`, `>`, `&`, a real-looking `<b>` tag and an
already-escaped `&amp;`) is rendered into every message a step can produce, and the menus around
it. Each message must pass the fake server's strict HTML parser (Telegram's parse mode, refusing
any bare `<`, `>` or `&`), and what the learner then reads must hold each field word for word:
not escaped at all fails the parser or turns `<b>` into bold; escaped twice shows `&lt;`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import Chat, MessageEntity
from telegram import Message as TelegramMessage

from bot.content import Course, Library, Step, Verdict
from bot.content.checks import _everything_said
from bot.content.schema import CourseInfo
from bot.core.model import AnswerRecord, History, Phase, Position, Target
from bot.core.progress import course_map, course_summary, learner_map, step_menu
from bot.core.prompt import ask
from bot.core.say import Feedback, NextStepOffer
from bot.views import lesson as render
from bot.views import menus
from bot.views import pace as pace_views
from bot.views.message import Message, extended
from tests.conftest import NOW
from tests.fake_telegram import HtmlParser

MARKUP = 'a < b && c > d <b>not bold</b> </i> &amp; "q"'
"""Everything HTML could misread: bare `<`, `>` and `&`, a tag Telegram knows, an unmatched end
tag, quotes, and an entity that must stay the five characters `&amp;`. Short enough that a
course title holding it stays within the schema's limit for a button."""


FIELDS: list[str] = []
"""Every field's text, each unique (it names its field), so one field can't stand in for
another."""


def tricky(field: str) -> str:
    text = f"{field}: {MARKUP}"
    FIELDS.append(text)
    return text


def _option(step: int, question: str, option: str, verdict: Verdict, **more: Any) -> dict:
    where = f"step {step} {question} option {option}"
    return {
        "id": option,
        "text": tricky(f"{where} text"),
        "verdict": verdict.value,
        "feedback": tricky(f"{where} feedback"),
        **more,
    }


SHORT_OPTIONS = {"a": "<b>1</b> & 2 > 0", "b": '"<i>x</i>" &amp; y'}
"""Options short enough to be buttons (and so never in the message text): labels are plain text
to Telegram, so they must reach it unescaped."""


def _step(n: int) -> dict:
    return {
        "number": n,
        "title": tricky(f"step {n} title"),
        "intro": tricky(f"step {n} intro"),
        "questions": [
            {
                "id": "first",
                "concept": "idea-one",
                "prompt": tricky(f"step {n} first prompt"),
                "options": [
                    _option(n, "first", "a", Verdict.EXACTLY),
                    _option(n, "first", "b", Verdict.NOT_QUITE, misconception="wrong-idea"),
                    _option(n, "first", "c", Verdict.CLOSE, misconception="wrong-idea"),
                    _option(n, "first", "d", Verdict.NO_WORRIES, misconception="wrong-idea"),
                ],
                "another_way": tricky(f"step {n} first another_way"),
                "bridge": tricky(f"step {n} first bridge"),
                "check": {
                    "prompt": tricky(f"step {n} first check prompt"),
                    "options": [
                        _option(n, "check", "a", Verdict.NOT_QUITE, misconception="wrong-idea"),
                        _option(n, "check", "b", Verdict.EXACTLY),
                    ],
                },
            },
            {
                "id": "second",
                "prompt": tricky(f"step {n} second prompt"),
                "options": [
                    {
                        "id": "a",
                        "text": SHORT_OPTIONS["a"],
                        "verdict": "Exactly",
                        "feedback": tricky(f"step {n} second option a feedback"),
                    },
                    {
                        "id": "b",
                        "text": SHORT_OPTIONS["b"],
                        "verdict": "Close",
                        "feedback": tricky(f"step {n} second option b feedback"),
                        "misconception": "wrong-idea",
                    },
                ],
                "another_way": tricky(f"step {n} second another_way"),
            },
        ],
        "takeaway": tricky(f"step {n} takeaway"),
        "pattern": tricky(f"step {n} pattern"),
    }


def build_library() -> Library:
    """The course as `bot.content.load` builds it: validated `course.yaml` fields, then steps."""
    FIELDS.clear()
    info = CourseInfo.model_validate(
        {
            "id": "markup",
            "title": tricky("course"),
            "description": tricky("course description"),
            "misconceptions": [
                {
                    "id": "wrong-idea",
                    "summary": tricky("misconception summary"),
                    "repaired_by_step": 1,
                    "repair": tricky("misconception repair"),
                }
            ],
            "concepts": {"idea-one": tricky("concept title")},
        }
    )
    course = Course(
        info.id,
        info.title,
        info.description,
        (Step.model_validate(_step(1)), Step.model_validate(_step(2))),
        tuple(info.misconceptions),
        info.order,
        tuple(info.concepts.items()),
    )
    return Library((course,))


LIBRARY = build_library()
COURSE = LIBRARY.courses[0]
LEARNER_NAME = tricky("first name")


def history() -> History:
    """One answer on each step, so the summary and the map have something to show."""
    answers = tuple(
        AnswerRecord(COURSE.id, step.number, "first", "b", Verdict.NOT_QUITE, NOW)
        for step in COURSE.steps
    )
    return History(answers=answers)


def every_message() -> list[tuple[str, Message]]:
    """Every message the course can produce, each with where it came from."""
    out: list[tuple[str, Message]] = []
    for step in COURSE.steps:
        out += [(f"step {step.number} {f}", m) for f, m in _everything_said(COURSE, step)]
        out.append((f"next step {step.number}", render.say(NextStepOffer(COURSE, step))))
    done = history()
    summary = course_summary(COURSE, done, NOW)
    out.append(("course summary", render.say(summary)))
    out.append(("course menu", menus.course_menu(COURSE, step_menu(COURSE, None, done))))
    out.append(("welcome", menus.welcome(LIBRARY, LEARNER_NAME)))
    out.append(("courses", menus.courses(LIBRARY)))
    learned = learner_map([course_map(COURSE, None, done)], (), NOW)
    out.append(("progress", menus.progress(learned, LIBRARY)))
    titles = [(s.number, s.title) for s in COURSE.steps]
    out.append(("reminder", pace_views.reminder(titles, 1, 1, 2, COURSE)))
    out.append(("wrap-up", pace_views.wrap_up(COURSE, past_deadline=False)))
    out.append(("wrap-up past deadline", pace_views.wrap_up(COURSE, past_deadline=True)))
    return out


def read(where: str, html: str) -> str:
    """What the learner reads, parsed as strictly as the fake server does; never `&lt;`."""
    try:
        text, _entities = HtmlParser(html).parse()
    except Exception as exc:  # the fake's ApiError: say which message, and show it
        raise AssertionError(f"{where}: Telegram would refuse this HTML: {exc}\n{html}") from exc
    for twice in ("&lt;", "&gt;", "&amp;amp;", "&quot;"):
        assert twice not in text, f"{where}: escaped twice ({twice!r} shows)\n{text}"
    return text


def test_the_course_really_is_full_of_markup() -> None:
    assert len(FIELDS) >= 40
    assert all(MARKUP in field for field in FIELDS)
    assert len(set(FIELDS)) == len(FIELDS)


def test_every_message_parses_and_shows_every_field_word_for_word() -> None:
    shown = [read(where, message.text) for where, message in every_message()]
    missing = [field for field in FIELDS if not any(field in text for text in shown)]
    assert missing == [], "\n".join(missing)


@pytest.mark.parametrize("step_number", [1, 2])
def test_each_step_message_holds_its_own_fields(step_number: int) -> None:
    step = COURSE.step(step_number)
    assert step is not None
    said = {}
    for field, message in _everything_said(COURSE, step):
        if message.text != "What next?":
            said.setdefault(field, []).append(read(field, message.text))
    first, second = step.questions
    assert first.check is not None
    expected = {
        "intro": [COURSE.header(step), step.title, step.intro, first.prompt],
        "questions[0]": [first.prompt, *(o.text for o in first.options)],
        "questions[1]": [second.prompt],
        "questions[0].another_way": [first.another_way, first.prompt],
        "questions[1].another_way": [second.another_way, second.prompt],
        "questions[0].bridge": [first.bridge, second.prompt],
        "questions[0].check": [first.check.prompt, *(o.text for o in first.check.options)],
    }
    for i, option in enumerate(first.options):
        expected[f"questions[0].options[{i}].feedback"] = [option.text, option.feedback]
    for i, option in enumerate(second.options):
        expected[f"questions[1].options[{i}].feedback"] = [option.text, option.feedback]
    for i, option in enumerate(first.check.options):
        expected[f"questions[0].check.options[{i}].feedback"] = [option.text, option.feedback]
    # The repair after a second miss: the misconception, its own repair, then the check; and
    # from step 2 on, the earlier step the idea is built in.
    repair = [COURSE.misconceptions[0].summary, COURSE.misconceptions[0].repair]
    repair += [first.check.prompt] + ([COURSE.step(1).title] if step_number > 1 else [])
    for i, _option in enumerate(first.options[1:], start=1):
        expected[f"questions[0].options[{i}].misconception"] = repair
    ending = said.pop("takeaway", []) + said.pop("pattern", [])  # one message, named for either
    said["ending"], expected["ending"] = ending, [step.takeaway, step.pattern]
    for field, texts in expected.items():
        assert said.get(field), f"{field}: no message"
        for text in texts:
            assert text is not None
            assert all(text in message for message in said[field]), (field, text, said[field])


def test_button_labels_are_plain_text_never_escaped() -> None:
    labels = [b.label for _, m in every_message() for row in m.buttons for b in row]
    assert COURSE.title in labels  # welcome and /courses list the course by its title
    for option in SHORT_OPTIONS.values():
        assert option in labels  # a short option is its own button, as written
    for label in labels:
        for escaped in ("&lt;", "&gt;", "&amp;amp;"):
            assert escaped not in label, label


def test_an_answered_question_keeps_its_text_through_telegram_and_back() -> None:
    """Telegram settles a tapped question by editing it: the bot rebuilds the question's HTML
    from what Telegram sent back (PTB's `text_html`, from plain text and entities) and adds
    "You said: …". That round trip must neither lose nor double the escaping."""
    step = COURSE.step(1)
    assert step is not None
    for index, question_ in enumerate(step.questions):
        at = Position(COURSE.id, step.number, index, Phase.ASKING, 7)
        targets = [Target.QUESTION] + ([Target.CHECK] if question_.check else [])
        for target in targets:
            item = ask(COURSE, step, replace(at, target=target))
            question = render.question(item)
            text, entities = HtmlParser(question.text).parse()
            received = TelegramMessage(
                message_id=1,
                date=datetime.now(UTC) - timedelta(seconds=1),
                chat=Chat(1, Chat.PRIVATE),
                text=text,
                entities=tuple(MessageEntity(**e) for e in entities),
            )
            for option in item.question.options:
                added = render.answered(option.text, Feedback(item.question, option))
                edited = extended(received.text_html, added)
                shown = read(f"question {index} {target} answered", edited.text)
                assert shown.startswith(f"{text}\n\nYou said: {option.text}\n\n")
                assert shown.endswith(option.feedback)

"""What a learner reads in a lesson: the lesson rules' decisions (`core.say`) as HTML messages
with buttons. All lesson text is escaped here, once; the only markup is the tags added here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bot.content import Course, Option, Step, Verdict
from bot.core.model import Refusal, Target
from bot.core.say import (
    AnotherWay,
    Ask,
    Bridge,
    CheckMissed,
    CourseSummary,
    Feedback,
    MoveOn,
    NextStepOffer,
    Note,
    Pattern,
    Repair,
    ReviewNudge,
    ReviewsDone,
    Say,
    StepIntro,
    SummaryRow,
    Takeaway,
)
from bot.views import callbacks
from bot.views.message import Button, Message, esc, when

BUTTON_FITS = 30
"""Option texts up to this length are readable on a phone's button; longer ones are listed."""
LETTERS = "ABCDEFGH"

WRITTEN_NOTE = (
    "<i>✍️ Written by a language model and checked by the same rules as our own lessons, but "
    "not read by a person.</i>"
)
"""Under the title of every step a model wrote, and on the offer to write one."""

VERDICT_MARK = {
    Verdict.EXACTLY: "✅",
    Verdict.CLOSE: "🟡",
    Verdict.NOT_QUITE: "❌",
    Verdict.NO_WORRIES: "🤝",
}
REFUSAL_NOTICE = {
    Refusal.ALREADY_COUNTED: "That one's done — already counted.",
    Refusal.OUTDATED: "That one's done — here's where you are.",
    Refusal.UNKNOWN: "That button doesn't lead anywhere now — here's where you are.",
}


# --- The lesson -------------------------------------------------------------------------------


def lesson(items: Iterable[Say]) -> list[Message]:
    """Everything one action shows, as one message: Telegram paces a chat at about a message a
    second, so what follows an answer arrives at once and stays together under it. The buttons
    of each part follow one another; a message over the limit is split when sent."""
    parts = [say(item) for item in items if not isinstance(item, MoveOn | CheckMissed)]
    rows = [row for item in items for row in _buttons_of(item)]
    if not parts and not rows:
        return []
    text = "\n\n".join(p.text for p in parts) if parts else "What next?"
    return [Message(text, tuple(rows))]


def _buttons_of(item: Say) -> tuple[tuple[Button, ...], ...]:
    match item:
        case MoveOn():
            return move_on_buttons(item)
        case CheckMissed():
            return check_buttons(item)
    return say(item).buttons


def answered(chosen: str, item: Feedback) -> Message:
    """What an answered question gains in place: the choice, the verdict and its feedback, and
    the second angle on offer to a learner who got it right first time."""
    text = f"You said: <i>{esc(chosen)}</i>\n\n{feedback(item.option)}"
    if item.angle_of is None:
        return Message(text)
    data = callbacks.encode(callbacks.Angle(*item.angle_of))
    return Message(text, ((Button("Another way to see it", data),),))


def after_answer(chosen: str, item: Feedback, then: Sequence[Say]) -> tuple[Message, list[Message]]:
    """The addition to the answered question, and what follows it. Buttons alone (a review's
    "Next review") go under the feedback rather than in a message of their own."""
    added = answered(chosen, item)
    if all(isinstance(s, MoveOn) for s in then) and then:
        rows = added.buttons + tuple(row for s in then for row in _buttons_of(s))
        return Message(added.text, rows), []
    return added, lesson(then)


def say(item: Say) -> Message:
    match item:
        case StepIntro(course, step):
            note = f"\n{WRITTEN_NOTE}" if course.written_by else ""
            return Message(
                f"<b>{esc(course.header(step))}</b>\n<b>{esc(step.title)}</b>{note}\n\n"
                f"{esc(step.intro)}"
            )
        case Ask():
            return question(item)
        case Feedback(_, option):
            return Message(feedback(option))
        case AnotherWay(question_):
            return Message(f"<b>Another way to see it</b>\n{esc(question_.another_way or '')}")
        case Bridge(text):
            return Message(f"<i>{esc(text)}</i>")
        case Takeaway(step):
            return Message(f"<b>The takeaway</b>\n{esc(step.takeaway)}")
        case Pattern(step):
            return Message(f"<b>The pattern</b>\n{esc(step.pattern)}")
        case NextStepOffer(course, step):
            return next_step_offer(course, step)
        case Note(kind, text):
            return Message(NOTES[kind].format(text=esc(text)))
        case Repair():
            return repair(item)
        case ReviewNudge(due):
            return review_nudge(due)
        case ReviewsDone():
            return reviews_done(item)
        case CourseSummary():
            return course_summary(item)
    raise TypeError(f"nothing renders {item!r}")


def question(item: Ask) -> Message:
    """The prompt, the options (listed in full when a button can't hold them), the buttons."""
    options = ordered_options(item)
    listed = listed_apart(options)
    return Message(question_text(item, listed), _option_buttons(item, options, listed))


def ordered_options(item: Ask) -> list[Option]:
    by_id = {o.id: o for o in item.question.options}
    return [by_id[i] for i in item.order]


def question_text(item: Ask, listed: bool) -> str:
    if item.reviewing:
        header = f"🔁 <b>Review</b> · {esc(item.course.title)}, step {item.step.number}"
    elif item.target is Target.CHECK:
        header = "🔎 <b>Quick check</b>"
    else:
        header = f"<b>Question {item.index + 1} of {len(item.step.questions)}</b>"
    text = f"{header}\n\n{esc(item.question.prompt)}"
    if listed:
        options = ordered_options(item)
        lines = [f"<b>{LETTERS[i]}</b>  {esc(o.text)}" for i, o in enumerate(options)]
        text += "\n\n" + "\n".join(lines)
    return text


def listed_apart(options: Sequence[Option]) -> bool:
    """Are the options too long for buttons, so listed in the text with letters on buttons?"""
    return any(len(o.text) > BUTTON_FITS for o in options)


def _option_buttons(
    item: Ask, options: Sequence[Option], listed: bool
) -> tuple[tuple[Button, ...], ...]:
    def data(option: Option) -> str:
        answer = callbacks.Answer(item.seq, item.course.id, item.step.number, item.index, option.id)
        return callbacks.encode(answer)

    rows = option_buttons(options, listed, data)
    if item.can_skip:
        rows += ((Button("Skip for now", callbacks.encode(callbacks.Skip(item.seq))),),)
    return rows


def option_buttons(
    options: Sequence[Option], listed: bool, data_of: Callable[[Option], str]
) -> tuple[tuple[Button, ...], ...]:
    """One button per option; lettered when the options are listed in the text."""
    letters: list[Button] = []
    rows: list[tuple[Button, ...]] = []
    for i, option in enumerate(options):
        data = data_of(option)
        if not listed:
            rows.append((Button(option.text, data),))
        elif len(option.text) <= BUTTON_FITS // 2:
            rows.append((Button(f"{LETTERS[i]} · {option.text}", data),))
        else:
            letters.append(Button(LETTERS[i], data))
    return (tuple(letters), *rows) if letters else tuple(rows)


def feedback(option: Option) -> str:
    return f"{VERDICT_MARK[option.verdict]} <b>{option.verdict.value}</b>\n{esc(option.feedback)}"


NO_SHAME = (
    "<b>No shame in this</b>\nStill fuzzy after two angles? That's the exact moment the real tutor "
    "is built for — it works out which step is tripping you, re-explains from a direction that "
    "fits how you think, and checks you've actually got it before moving on. So that's what "
    "we'll do now."
)
"""The seed's own words; only its last lines, about the preview it was, are the tutor's."""

NOTES = {
    "confirm": "You missed this idea before, so here's one quick check to make sure it has stuck.",
    "second_try": "That's it — the second angle did it.",
    "try_again": "Have another go: same question, options in a new order.",
    "no_shame": NO_SHAME,
    "check_intro": "Now a quick check: the same idea in a new situation.",
    "check_again": "Not that one. Have another go: the same check, options in a new order.",
    "got_it": "Got it — that's the idea. On we go.",
    "marked": "Let's not grind on it now. I've marked this idea for review, and we'll come back "
    "to it.",
    "skipped": "Skipped for now — this idea is marked for review.",
    "see_again": "No problem — this one will come back in a review soon.",
    "review_intro": "🔁 Review time: {text} due. One at a time, options shuffled.",
    "all_reviewed": "✅ You're all caught up on reviews. /courses to go on learning.",
}


def repair(item: Repair) -> Message:
    """What seems to trip the learner, then the idea again from the misconception's own side;
    where the idea is built in an earlier step, the way back to it."""
    parts = []
    if item.misconception is not None:
        heading = "What often trips people here" if item.unsure else "What might be tripping you"
        fits = "" if item.unsure else "The answer you chose fits a common idea:\n"
        parts.append(
            f"🧭 <b>{heading}</b>\n{fits}<i>“{esc(item.misconception.summary)}”</i>\n"
            f"It doesn't hold. {esc(item.misconception.repair)}"
        )
    if item.built_in is not None:
        step = item.built_in
        parts.append(f"This idea is built in step {step.number} · {esc(step.title)}.")
    if not parts:
        parts.append("Let's look at it from one more side.")
    return Message("\n\n".join(parts))


def check_buttons(item: CheckMissed) -> tuple[tuple[Button, ...], ...]:
    again = Button("Try the check again", callbacks.encode(callbacks.TryAgain(item.seq)))
    skip = Button("Skip for now", callbacks.encode(callbacks.Skip(item.seq)))
    return ((again,), (skip,))


def review_nudge(due: int) -> Message:
    ideas = "1 idea is" if due == 1 else f"{due} ideas are"
    start = Button("Review now", callbacks.encode(callbacks.Review()))
    return Message(f"🔁 {ideas} due for review — /review", ((start,),))


def reviews_done(item: ReviewsDone) -> Message:
    text = "✅ <b>All caught up on reviews.</b>"
    if item.next_due is not None:
        text += f" The next one is due {when(item.next_due, item.now)}."
    if item.lesson_waiting:
        text += "\nBack to your lesson, right where you were:"
    return Message(text)


def move_on_buttons(item: MoveOn) -> tuple[tuple[Button, ...], ...]:
    forward = "See the takeaway ➜" if item.to_takeaway else "Next question ➜"
    if item.reviewing:
        forward = "Next review ➜"
    rows = [(Button(forward, callbacks.encode(callbacks.Next(item.seq))),)]
    if item.offer_another_way:
        another = Button("Another way to see it", callbacks.encode(callbacks.AnotherWay(item.seq)))
        rows.insert(0, (another,))
    return tuple(rows)


def next_step_offer(course: Course, step: Step) -> Message:
    text = f"Next up in <b>{esc(course.title)}</b>:\nStep {step.number} · {esc(step.title)}"
    start = Button(
        f"Start step {step.number} ➜", callbacks.encode(callbacks.OpenStep(course.id, step.number))
    )
    steps = Button("All steps", callbacks.encode(callbacks.OpenCourse(course.id)))
    return Message(text, ((start,), (steps,)))


def course_summary(summary: CourseSummary) -> Message:
    """How each question went, step by step; steps not taken yet get one line and a button."""
    course = summary.course
    lines = [f"🎓 <b>You've finished “{esc(course.title)}”</b>", "", "How each question went:"]
    untaken: list[int] = []
    for step in course.steps:
        rows = [r for r in summary.rows if r.step == step.number]
        lines += ["", f"<b>Step {step.number}</b> · {esc(step.title)}"]
        if all(r.first_verdict is None for r in rows):
            untaken.append(step.number)
            lines.append("⬜ not taken yet")
        else:
            lines += [_summary_line(r) for r in rows]
    answered = [r for r in summary.rows if r.first_verdict is not None]
    connected = sum(r.first_verdict is Verdict.EXACTLY for r in answered)
    lines += ["", f"Connected first time: {connected} of the {len(answered)} you answered."]
    shaky = sum(r.first_verdict is not Verdict.EXACTLY and not r.connected_later for r in answered)
    if shaky:
        lines.append(f"Still shaky: {shaky}. They'll come back in your reviews.")
    if summary.first_review is not None:
        lines.append(
            f"Your first review is due {when(summary.first_review, summary.now)} — /review."
        )
    lines += ["", CLOSING]
    buttons: list[tuple[Button, ...]] = []
    if untaken:
        start = callbacks.encode(callbacks.OpenStep(course.id, untaken[0]))
        buttons.append((Button(f"Take step {untaken[0]} ➜", start),))
    buttons += [(Button(label, callbacks.encode(callbacks.Run(name))),) for name, label in OFFERS]
    buttons.append((Button("All courses", callbacks.encode(callbacks.Courses())),))
    return Message("\n".join(lines), tuple(buttons))


CLOSING = (
    "That's one thread. The real tutor doesn't stop here — it remembers what connected for you "
    "and keeps building the map, at your pace or against your deadline.\n\n"
    "Or make it about your topic:"
)
"""The seed's closing lines, word for word; the offers they make are the buttons under them."""
OFFERS = (
    ("pace", "🐢 At my pace"),
    ("deadline", "📅 Against a deadline"),
    ("topic", "💡 About my own topic"),
)


def _summary_line(row: SummaryRow) -> str:
    label = f"Q{row.question_number}"
    if row.first_verdict is None:
        return f"⬜ {label} — not answered yet"
    if row.first_verdict is Verdict.EXACTLY:
        return f"✅ {label} — connected first time"
    first = f"first answer: {row.first_verdict.value.lower()}"
    if row.connected_later:
        return f"🔁 {label} — {first}, connected later"
    return f"{VERDICT_MARK[row.first_verdict]} {label} — {first}; worth another look"

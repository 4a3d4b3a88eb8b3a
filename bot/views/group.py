"""What a study group reads: the shared question, the reveal, the end-of-step board, and what
each member is told privately. Lesson text is escaped here, as in `views.lesson`, whose pieces
(verdict marks, feedback, the option buttons, the repair) are reused so both read alike.
"""

from __future__ import annotations

from bot.content import Course, Library, Option, Question, Step
from bot.core.group import Board, Revealed, Session, Settings, Tap
from bot.core.say import Ask, Pattern, Repair, StepIntro, Takeaway
from bot.views import callbacks
from bot.views import lesson as lesson_views
from bot.views.message import MAX_TEXT, Button, Message, esc, plain, visible_length

MAX_ALERT = 200
"""Telegram's limit on a callback answer's text."""
LINK_POINTER = " — Open me in private for the full explanation."


def course_menu(library: Library) -> Message:
    rows = tuple(
        (Button(c.title, callbacks.encode(callbacks.GroupCourse(c.id))),) for c in library.courses
    )
    return Message("📚 <b>Study together</b>\nPick a course for the group:", rows)


def step_menu(course: Course) -> Message:
    rows = [(Button(f"Step {s.number} · {s.title}", _start(course, s)),) for s in course.steps]
    rows.append((Button("All courses", callbacks.encode(callbacks.GroupCourses())),))
    return Message(f"📚 <b>{esc(course.title)}</b>\nWhich step shall the group take?", tuple(rows))


def _start(course: Course, step: Step) -> str:
    return callbacks.encode(callbacks.GroupStep(course.id, step.number))


def question(
    course: Course, step: Step, session: Session, settings: Settings, count: int | None = None,
    closed: bool = False,
) -> list[Message]:  # fmt: skip
    """The open question with its buttons and a count line; on a step's first question the
    intro goes in the same message when both fit. Rendered the same way for every edit, and
    once revealed (`closed`) with the final count and no buttons."""
    q = step.questions[session.question]
    options = list(q.options)
    listed = lesson_views.listed_apart(options)
    ask = Ask(course, step, session.question, session.seq, q, tuple(o.id for o in options))
    text = lesson_views.question_text(ask, listed)
    answered = len(session.current) if count is None else count
    text += "\n\n" + _count_line(answered, None if closed else settings)
    buttons = () if closed else lesson_views.option_buttons(
        options, listed, lambda o: callbacks.encode(callbacks.GroupAnswer(session.seq, o.id))
    )  # fmt: skip
    if session.question == 0:
        intro = lesson_views.say(StepIntro(course, step)).text
        if visible_length(f"{intro}\n\n{text}") <= MAX_TEXT:
            return [Message(f"{intro}\n\n{text}", buttons)]
        return [Message(intro), Message(text, buttons)]
    return [Message(text, buttons)]


def _count_line(count: int, settings: Settings | None) -> str:
    """How many answered, and what comes next (None: the question has been revealed)."""
    line = f"👥 {count} answered"
    if settings is None:
        return f"{line} · the answer is below"
    if settings.timer:
        return f"{line} · the answer in {settings.timer} s, or /reveal"
    return f"{line} · /reveal shows the answer"


def reveal(step: Step, index: int, revealed: Revealed, next_seq: int | None) -> Message:
    """One message: the right option, each option's feedback once with how many chose it, the
    other angle when most of the group missed. `next_seq`: a button to move on."""
    right = revealed.right
    lines = [
        f"<b>Question {index + 1} of {len(step.questions)} — the answer</b>",
        f"✅ <b>{esc(right.text)}</b>",
    ]
    for option, count in revealed.counts:
        chose = "nobody chose this" if count == 0 else f"{count} chose this"
        lines.append(
            f"\n{lesson_views.VERDICT_MARK[option.verdict]} <b>{esc(option.text)}</b> "
            f"· {chose}\n{esc(option.feedback)}"
        )
    if revealed.answered == 0:
        lines.append("\nNobody answered this one.")
    if revealed.most_missed and revealed.question.another_way:
        lines.append(f"\n<b>Another way to see it</b>\n{esc(revealed.question.another_way)}")
    buttons: tuple[tuple[Button, ...], ...] = ()
    if next_seq is not None:
        last = index + 1 >= len(step.questions)
        label = "See the takeaway ➜" if last else "Next question ➜"
        buttons = ((Button(label, callbacks.encode(callbacks.GroupNext(next_seq))),),)
    return Message("\n".join(lines), buttons)


def ending(course: Course, step: Step, board: Board) -> Message:
    """The end of the step: the takeaway, the pattern and how the group did."""
    parts = [
        lesson_views.say(Takeaway(step)).text,
        lesson_views.say(Pattern(step)).text,
        _board(step, board),
    ]
    following = course.step(step.number + 1)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if following is not None:
        label = f"Step {following.number} together ➜"
        data = callbacks.encode(callbacks.GroupStep(course.id, following.number, fresh=True))
        buttons = ((Button(label, data),),)
    return Message("\n\n".join(parts), buttons)


def _board(step: Step, board: Board) -> str:
    lines = ["<b>How the group did</b>"]
    if board.members == 0:
        lines.append("Nobody answered this time.")
        return "\n".join(lines)
    for i, (right, answered) in enumerate(zip(board.right_first, board.answered, strict=True)):
        lines.append(f"Question {i + 1}: {right} of {answered} connected")
    if board.hardest is not None:
        lines.append(f"The hardest: question {board.hardest + 1} — worth a second look.")
    people = "1 member" if board.members == 1 else f"{board.members} members"
    if board.names:
        lines.append(f"Studied together: {esc(', '.join(board.names))}.")
    else:
        lines.append(f"{people} studied together.")
    lines.append("Your answers count in your own /progress and reviews, in private.")
    return "\n".join(lines)


# --- What one member is told -------------------------------------------------------------------


def alert(tap: Tap, option: Option | None, started: bool) -> str:
    """The tap's answer: the member's own verdict and the start of its feedback, cut on a word
    to fit 200 characters; a pointer to the private chat where the rest can go."""
    match tap:
        case Tap.ALREADY if option is not None:
            return _cut(f"Already counted: {option.text}")
        case Tap.CLOSED:
            return "That question is closed — the answer has been shown."
        case Tap.UNKNOWN:
            return NOTICES["unknown"]
    assert option is not None
    head = "Changed. " if tap is Tap.CHANGED else ""
    text = f"{head}{lesson_views.VERDICT_MARK[option.verdict]} {option.verdict.value}: "
    text += plain(esc(option.feedback))
    if started:
        return _cut(text, " (More in our private chat.)")
    return _cut(text, LINK_POINTER)


def _cut(text: str, tail: str = "") -> str:
    """`text` then `tail`, within 200 characters: `text` is cut on a word, with an ellipsis."""
    room = MAX_ALERT - len(tail)
    if len(text) > room:
        cut = text[: room - 1]
        cut = cut.rsplit(" ", 1)[0] if " " in cut else cut
        text = cut.rstrip(" ,;:—-") + "…"
    return text + tail


def private_feedback(course: Course, step: Step, index: int, option: Option) -> Message:
    """The full feedback on a group answer, in the member's private chat."""
    q: Question = step.questions[index]
    text = (
        f"👥 <i>{esc(course.title)} · step {step.number}, question {index + 1}, with your "
        f"group</i>\n\n{lesson_views.feedback(option)}"
    )
    if not option.verdict.is_right and q.another_way:
        text += f"\n\n<b>Another way to see it</b>\n{esc(q.another_way)}"
    return Message(text)


def private_repair(course: Course, step: Step, index: int, repair: Repair) -> Message:
    """After a reveal, to a member who missed: the repair, and the way back one step."""
    text = (
        f"👥 <i>Question {index + 1} of step {step.number}, with your group</i>\n\n"
        f"{lesson_views.repair(repair).text}\n\nStill fuzzy? Let's go back one step."
    )
    back = repair.built_in or course.step(step.number - 1) or step  # where the idea rests
    label = f"Go back to step {back.number} ➜" if back is not step else "Take this step alone ➜"
    data = callbacks.encode(callbacks.OpenStep(course.id, back.number))
    return Message(text, ((Button(label, data),),))


NOTICES = {
    "admins_only": "Only the group's admins can start or move the session on here. (An admin "
    "can let everyone drive with /study anyone.)",
    "admins_only_setting": "Only the group's admins can change who drives the session.",
    "anyone_on": "👥 Everyone here can now start, reveal, move on and end study sessions.",
    "anyone_off": "🔒 From now on only the group's admins drive study sessions.",
    "names_on": "The end-of-step board will name who studied together (never who got what wrong).",
    "names_off": "The end-of-step board will give only numbers.",
    "timer_set": "⏱ Each question is revealed after {text} seconds from the next one on.",
    "timer_off": "⏱ No timer: /reveal shows the answer, or it shows once everyone has answered.",
    "bad_args": "I didn't get “{text}”. Try /study, /study 90 (seconds to the answer), /study "
    "off, /study anyone, /study admins or /study board names.",
    "running": "A study session is already on here — /endstudy ends it.",
    "none_open": "No question is open right now. /study starts a session.",
    "ended": "📕 Study session ended. Everyone's answers are kept in their own /progress. "
    "/study to start another.",
    "idle_end": "📕 This study session ended after a day without answers. /study to start again.",
    "not_running": "No study session is on. /study starts one.",
    "session_over": "This study session has ended. /study starts a new one.",
    "unknown": "That button doesn't lead anywhere now.",
    "who": "I can't tell who's asking when you post as the group or a channel — please send it "
    "from your own account.",
    "hello": "👋 Hi! I run study sessions for groups: one question at a time, everyone answers "
    "with a tap, and each of you gets your own feedback privately. An admin can start with "
    "/study.",
    "private_only": "That one works in our private chat: open me and send {text} there.",
}


def notice(kind: str, text: str = "") -> Message:
    return Message(NOTICES[kind].format(text=esc(text)))

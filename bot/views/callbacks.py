"""The callback-data protocol: what a button says when it is tapped, in at most 64 bytes.

A short prefix per action and `:`-separated fields. Everything that does not parse is treated
as a stale or forged tap by the caller; nothing here raises on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 64
"""Telegram refuses callback data over 64 bytes (UTF-8)."""


@dataclass(frozen=True)
class Courses:
    """Show the course menu."""


@dataclass(frozen=True)
class OpenCourse:
    course_id: str


@dataclass(frozen=True)
class OpenStep:
    course_id: str
    step: int


@dataclass(frozen=True)
class Answer:
    seq: int
    course_id: str
    step: int
    question: int
    option_id: str


@dataclass(frozen=True)
class Next:
    seq: int


@dataclass(frozen=True)
class AnotherWay:
    seq: int


@dataclass(frozen=True)
class Angle:
    """A question's second angle, read after a right answer: it changes nothing, so it needs
    no seq and works whenever it is tapped."""

    course_id: str
    step: int
    question: int


@dataclass(frozen=True)
class Run:
    """A command offered as a button (the closing offers of a course: pace, deadline, topic)."""

    command: str


@dataclass(frozen=True)
class Write:
    """Have a lesson written on the topic the learner asked for (their request's id)."""

    request_id: int


@dataclass(frozen=True)
class Unwrite:
    """An admin removes a lesson a model wrote (its course id), from /admin."""

    course_id: str


@dataclass(frozen=True)
class TryAgain:
    """Try a missed check question once more."""

    seq: int


@dataclass(frozen=True)
class Skip:
    """Skip a check question for now; the idea is marked for review."""

    seq: int


@dataclass(frozen=True)
class Review:
    """Start the due reviews."""


@dataclass(frozen=True)
class Pace:
    """A choice while setting pace and reminders: `kind` is z (zone), g (goal), t (time),
    d (deadline: days from today, or YYYYMMDD) or k (the learner will type it: zone, time,
    deadline)."""

    kind: str
    value: str


@dataclass(frozen=True)
class GroupCourses:
    """Group study: the course menu again."""


@dataclass(frozen=True)
class GroupCourse:
    """Group study: a course's steps, to pick one for the group."""

    course_id: str


@dataclass(frozen=True)
class GroupStep:
    """Group study: start a session on this step. From the step menu, `fresh` is False and the
    menu becomes the first question; from an ending, the question comes as a new message."""

    course_id: str
    step: int
    fresh: bool = False


@dataclass(frozen=True)
class GroupAnswer:
    """Group study: a member's answer to the open question (its `seq`)."""

    seq: int
    option_id: str


@dataclass(frozen=True)
class GroupNext:
    """Group study: after the reveal of question `seq`, on to the next one."""

    seq: int


@dataclass(frozen=True)
class ForgetYes:
    """/forget confirmed. `token` names the question that was asked (`tutor.admin`): a button
    from an earlier /forget, or made up, deletes nothing."""

    token: str


@dataclass(frozen=True)
class ForgetNo:
    """/forget declined: keep everything."""


GroupAction = GroupCourses | GroupCourse | GroupStep | GroupAnswer | GroupNext

Action = (
    Courses
    | OpenCourse
    | OpenStep
    | Answer
    | Next
    | AnotherWay
    | Angle
    | Run
    | Write
    | Unwrite
    | TryAgain
    | Skip
    | Review
    | Pace
    | ForgetYes
    | ForgetNo
    | GroupAction
)


def encode(action: Action) -> str:
    match action:
        case Courses():
            return "m"
        case OpenCourse(course_id):
            return f"c:{course_id}"
        case OpenStep(course_id, step):
            return f"s:{course_id}:{step}"
        case Answer(seq, course_id, step, question, option_id):
            return f"a:{seq}:{course_id}:{step}:{question}:{option_id}"
        case Next(seq):
            return f"n:{seq}"
        case AnotherWay(seq):
            return f"w:{seq}"
        case Angle(course_id, step, question):
            return f"w:{course_id}:{step}:{question}"
        case Run(command):
            return f"o:{command}"
        case Write(request_id):
            return f"tw:{request_id}"
        case Unwrite(course_id):
            return f"tx:{course_id}"
        case TryAgain(seq):
            return f"t:{seq}"
        case Skip(seq):
            return f"k:{seq}"
        case Review():
            return "v"
        case Pace(kind, value):
            return f"p:{kind}:{value}"
        case ForgetYes(token):
            return f"fy:{token}"
        case ForgetNo():
            return "fn"
        case GroupCourses():
            return "gm"
        case GroupCourse(course_id):
            return f"gc:{course_id}"
        case GroupStep(course_id, step, fresh):
            return f"{'gf' if fresh else 'gs'}:{course_id}:{step}"
        case GroupAnswer(seq, option_id):
            return f"ga:{seq}:{option_id}"
        case GroupNext(seq):
            return f"gn:{seq}"
    raise TypeError(f"not an action: {action!r}")


RUNNABLE = frozenset({"pace", "deadline", "topic"})
"""The commands a button may run."""


def decode(data: str | None) -> Action | None:
    """The action a button names, or None for anything that is not one of ours."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    kind, *fields = data.split(":")
    try:
        match kind, fields:
            case "m", []:
                return Courses()
            case "c", [course_id] if course_id:
                return OpenCourse(course_id)
            case "s", [course_id, step] if course_id:
                return OpenStep(course_id, _number(step))
            case "a", [seq, course_id, step, question, option_id] if course_id and option_id:
                return Answer(_number(seq), course_id, _number(step), _number(question), option_id)
            case "n", [seq]:
                return Next(_number(seq))
            case "w", [seq]:
                return AnotherWay(_number(seq))
            case "w", [course_id, step, question] if course_id:
                return Angle(course_id, _number(step), _number(question))
            case "o", [command] if command in RUNNABLE:
                return Run(command)
            case "tw", [request_id]:
                return Write(_number(request_id))
            case "tx", [course_id] if course_id:
                return Unwrite(course_id)
            case "t", [seq]:
                return TryAgain(_number(seq))
            case "k", [seq]:
                return Skip(_number(seq))
            case "v", []:
                return Review()
            case "p", [kind, value] if kind in "zgtdk" and len(kind) == 1 and value:
                return Pace(kind, value)
            case "fy", [token] if _is_token(token):
                return ForgetYes(token)
            case "fn", []:
                return ForgetNo()
            case "gm", []:
                return GroupCourses()
            case "gc", [course_id] if course_id:
                return GroupCourse(course_id)
            case "gs" | "gf", [course_id, step] if course_id:
                return GroupStep(course_id, _number(step), fresh=kind == "gf")
            case "ga", [seq, option_id] if option_id:
                return GroupAnswer(_number(seq), option_id)
            case "gn", [seq]:
                return GroupNext(_number(seq))
    except ValueError:
        return None
    return None


def _number(text: str) -> int:
    """A non-negative decimal without sign or spaces (int() alone accepts ' +1_0')."""
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise ValueError(text)
    return int(text)


TOKEN_LENGTH = 8


def _is_token(text: str) -> bool:
    """Lowercase hex of TOKEN_LENGTH digits, as `tutor.admin` makes it."""
    return len(text) == TOKEN_LENGTH and all(c in "0123456789abcdef" for c in text)


def fits(data: str) -> bool:
    return 1 <= len(data.encode()) <= MAX_BYTES


LONGEST_SEQ = 10**12 - 1
"""The largest seq `_number` accepts; content validation checks buttons with it."""

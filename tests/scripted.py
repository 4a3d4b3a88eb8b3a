"""Scripted learners for the operator's tests (/admin, stats, /forget, export, backups): people
who take the seed lesson through the real service (`Tutor`), tap by tap, on a real SQLite file.

Step 4 of neural-networks has three questions whose right options are b, a, a; `=x` taps the
answer with option id x, any other label the button whose label contains it.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.model import Learner
from bot.tutor import Extend, Reply, Tutor
from bot.views.message import Button

COURSE = "neural-networks"
GROUP = -100777


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def buttons(reply: Reply) -> list[Button]:
    """The buttons a reply shows: on the message it added to, then on its new messages."""
    added = (reply.tapped.added,) if isinstance(reply.tapped, Extend) else ()
    return [b for m in (*added, *reply.messages) for row in m.buttons for b in row]


def tap(tutor: Tutor, learner: Learner, reply: Reply, label: str) -> Reply:
    """Tap a button on what `reply` showed: `=b` the answer b, else a label's text."""
    if label.startswith("="):
        option = ":" + label[1:]
        found = [b for b in buttons(reply) if b.data.startswith("a:") and b.data.endswith(option)]
    else:
        found = [b for b in buttons(reply) if label in b.label]
    assert found, (label, [b.label for b in buttons(reply)])
    return tutor.tap(learner, found[-1].data)


def step_4(tutor: Tutor, learner: Learner, *labels: str) -> Reply:
    """/start, open step 4, then tap `labels` in turn."""
    tutor.command(learner, "start")
    reply = tutor.tap(learner, f"s:{COURSE}:4")
    for label in labels:
        reply = tap(tutor, learner, reply, label)
    return reply


FINISH_STEP_4 = ("=b", "=a", "=a")


def open_group_session(tutor: Tutor, admin: Learner, chat_id: int = GROUP) -> int:
    """An admin starts group study on step 4 in `chat_id`; the seq its answers carry."""
    tutor.groups.study(chat_id, admin, "", is_admin=True)
    tutor.groups.tap(chat_id, admin, f"gs:{COURSE}:4", 50, is_admin=True)
    session = tutor.store.groups.session(chat_id)
    assert session is not None
    return session.seq


def group_answer(tutor: Tutor, member: Learner, seq: int, option: str) -> Reply:
    return tutor.groups.tap(member.chat_id, member, f"ga:{seq}:{option}", 60, is_admin=False)

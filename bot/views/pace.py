"""What a learner reads about their pace, deadline and reminders: the pace rules' decisions
(`core.pace`, `core.reminders`) as HTML messages with buttons. Pure, like the lesson views.
"""

from __future__ import annotations

from datetime import date

from bot.content import Course
from bot.core.pace import (
    DEADLINE_CHOICES,
    TIME_CHOICES,
    ZONE_CHOICES,
    Ask,
    Done,
    PaceSay,
    PaceSet,
    PlanMade,
    Unreadable,
)
from bot.core.plan import Day, Goal, Plan
from bot.core.reminders import Reminder, WrapUp
from bot.views import callbacks
from bot.views.message import Button, Message, esc


def pace(item: PaceSay) -> Message:
    """One pace decision as a message."""
    match item:
        case Ask(what, zone, goal):
            return ASKS[what](zone, goal)
        case Unreadable("zone"):
            return bad_zone()
        case Unreadable("time"):
            return bad_time()
        case Unreadable(_, too_far):
            return too_far_date() if too_far else bad_date()
        case PaceSet(goal, at, zone):
            return pace_set(goal, at, zone)
        case PlanMade(course, planned, today, _):
            return plan_message(course, planned, today)
        case Done("stopped"):
            return stopped()
        case Done(_):
            return deadline_off()
    raise TypeError(f"nothing renders {item!r}")


def pace_messages(items: tuple[PaceSay, ...]) -> list[Message]:
    messages = [pace(item) for item in items]
    if any(isinstance(item, PlanMade) and item.offer_reminders for item in items):
        messages.append(offer_reminders())
    return messages


def reminder_message(item: Reminder | WrapUp) -> Message:
    if isinstance(item, WrapUp):
        return wrap_up(item.course, item.past_deadline)
    steps = [(step.number, step.title) for step in item.steps]
    return reminder(steps, item.reviews, item.behind, item.streak, item.course)


GOAL_LABELS = {
    Goal.ONE_A_DAY: "1 step a day",
    Goal.TWO_A_DAY: "2 steps a day",
    Goal.WEEKENDS: "Weekends only",
}


def _pace(kind: str, value: str) -> str:
    return callbacks.encode(callbacks.Pace(kind, value))


def ask_zone() -> Message:
    buttons = [Button(z.replace("-", "−"), _pace("z", str(i))) for i, z in enumerate(ZONE_CHOICES)]
    rows = tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
    return Message(
        "🌍 First, your time zone, so reminders come at your local time. Tap one, or type it "
        "(like <code>UTC+5:30</code> or <code>Europe/Berlin</code>).",
        rows,
    )


def bad_zone() -> Message:
    return Message(
        "I couldn't read that as a time zone. Try an offset like <code>UTC+5:30</code> or "
        "<code>UTC-3</code>, or a zone name like <code>Europe/Berlin</code>."
    )


def ask_goal(zone: str) -> Message:
    rows = tuple((Button(label, _pace("g", goal.value)),) for goal, label in GOAL_LABELS.items())
    return Message(f"Time zone: <b>{esc(zone)}</b>. What pace suits you?", rows)


def ask_time(goal: Goal) -> Message:
    buttons = tuple(Button(t, _pace("t", str(i))) for i, t in enumerate(TIME_CHOICES))
    typed = (Button("Another time…", _pace("k", "time")),)
    return Message(f"<b>{GOAL_LABELS[goal]}</b> it is. When should I remind you?", (buttons, typed))


def ask_typed_time() -> Message:
    return Message("Type a time, like <code>7:45</code> or <code>21:00</code>.")


def bad_time() -> Message:
    return Message("I couldn't read that as a time. Try <code>7:45</code> or <code>21:00</code>.")


def pace_set(goal: Goal, at: str, zone: str) -> Message:
    return Message(
        f"✅ Done: <b>{GOAL_LABELS[goal]}</b>, reminders at <b>{esc(at)}</b> ({esc(zone)}) on "
        "days with planned work.\n/deadline sets a target date; /stop pauses reminders."
    )


def ask_deadline() -> Message:
    rows = [(Button(label, _pace("d", str(days))),) for label, days in DEADLINE_CHOICES]
    rows.append((Button("Type a date…", _pace("k", "deadline")),))
    return Message("📅 When do you want to be done?", tuple(rows))


def ask_typed_date() -> Message:
    return Message("Type a date, like <code>15 Dec</code> or <code>2026-12-15</code>.")


def too_far_date() -> Message:
    return Message(
        "That's more than a year away — pick a date within a year, like <code>15 Dec</code> or "
        "<code>in 10 weeks</code>."
    )


def bad_date() -> Message:
    return Message(
        "I couldn't read that as a date from today on. Try <code>15 Dec</code>, "
        "<code>2026-12-15</code> or <code>in 10 days</code>."
    )


def plan_message(course: Course, planned: Plan, today: date) -> Message:
    """The plan day by day; an honest word when the deadline is too close."""
    if not planned.days:
        return Message(
            f"🎉 Nothing left in <b>{esc(course.title)}</b>: you're done. /review keeps it fresh."
        )
    deadline = planned.deadline
    lines = []
    if deadline is not None and not planned.realistic:
        lines.append(
            f"⚠️ {_day(deadline)} is too close for what's left. A realistic plan at up to 3 steps "
            f"a day finishes on <b>{_day(planned.finish)}</b>:"
        )
    elif deadline is not None:
        lines.append(f"📅 Your plan to finish <b>{esc(course.title)}</b> by {_day(deadline)}:")
    else:
        lines.append(f"📅 Your plan for <b>{esc(course.title)}</b>:")
    lines.append("")
    lines += [_day_line(day, today) for day in planned.days]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if deadline is not None and not planned.realistic and planned.finish is not None:
        use = planned.finish.strftime("%Y%m%d")
        buttons = ((Button(f"Use {_day(planned.finish)} instead", _pace("d", use)),),)
    lines += ["", "/deadline off removes the deadline."]
    return Message("\n".join(lines), buttons)


def _day_line(day: Day, today: date) -> str:
    parts = [f"Step {n}" for n in day.steps]
    if day.reviews:
        parts.append(f"🔁 {day.reviews} review{'s' if day.reviews != 1 else ''}")
    label = "Today" if day.day == today else _day(day.day)
    return f"• {label} — {', '.join(parts)}"


def _day(day: date | None) -> str:
    return day.strftime("%a %d %b").replace(" 0", " ") if day else "?"


def offer_reminders() -> Message:
    return Message("Want a reminder on the planned days? /pace sets the time.")


def deadline_off() -> Message:
    return Message("Deadline removed. You're back to your own pace — /deadline sets a new one.")


def stopped() -> Message:
    return Message("🔕 Reminders paused. /pace turns them back on whenever you like.")


def reminder(
    steps: list[tuple[int, str]], reviews: int, behind: int, streak: int, course: Course
) -> Message:
    """Today's work, with a button that starts it."""
    lines = ["⏰ <b>Today's plan</b>"]
    lines += [f"• Step {n} · {esc(title)}" for n, title in steps]
    if reviews:
        lines.append(f"• 🔁 {reviews} review{'s' if reviews != 1 else ''}")
    if behind:
        catch_up = "one extra step" if behind == 1 else f"{behind} extra steps"
        lines.append(
            f"\nYou're {behind} step{'s' if behind != 1 else ''} behind plan — "
            f"{catch_up} over the next days catches you up."
        )
    if streak:
        lines.append(f"\n🔥 {streak}-day streak. Keep it going!")
    rows = []
    if steps:
        start = callbacks.encode(callbacks.OpenStep(course.id, steps[0][0]))
        rows.append((Button(f"Start step {steps[0][0]} ➜", start),))
    if reviews:
        rows.append((Button("Review now", callbacks.encode(callbacks.Review())),))
    return Message("\n".join(lines), tuple(rows))


def wrap_up(course: Course, past_deadline: bool) -> Message:
    if past_deadline:
        text = (
            f"🏁 Your deadline for <b>{esc(course.title)}</b> has passed, so I'll stop the daily "
            "reminders. /deadline sets a new date; /continue picks up where you are."
        )
    else:
        text = (
            f"🏁 You've finished <b>{esc(course.title)}</b> and your reviews are done. "
            "No more reminders — /review any time, and I'll nudge you when ideas are due."
        )
    return Message(text)


ASKS = {
    "zone": lambda _zone, _goal: ask_zone(),
    "goal": lambda zone, _goal: ask_goal(zone or "UTC"),
    "time": lambda _zone, goal: ask_time(goal or Goal.ONE_A_DAY),
    "typed_time": lambda _zone, _goal: ask_typed_time(),
    "deadline": lambda _zone, _goal: ask_deadline(),
    "typed_date": lambda _zone, _goal: ask_typed_date(),
}

"""The fault run: learners play the course against the real bot process (`python -m bot`) while
the fake Bot API misbehaves at random and the bot is killed with SIGKILL and restarted.

Shared by `tests/test_faults.py` (the CI-sized run) and `bench/faults.py` (the large run by
hand). `run(Settings(...))` starts the fake server and the bot (stdout and stderr to
`<workdir>/bot.log`), lets `learners` private chats play, each a deterministic random walk from
the seed, and returns the `Figures`.

The walk. Each learner sends `/start <course>` and plays the course step by step through the
buttons: mostly answering (the right option about 60% of the time, a wrong one 25%, "I'm not sure"
15%), tapping "Skip for now" on a check now and then, "Start step N ➜", and after the course the
next one ("All courses"); ➜ and "Try the check again" where they show (reviews, and positions saved
before answers went straight on). After a right first answer it sometimes taps "Another way to see
it" on the question just answered (stateless: the bot edits that message, nothing else). Now and
then it taps twice on the same button, taps a button of an older prompt (one carrying a seq:
answers, ➜, another way, try again, skip; never an older "Step N" button, which would replay a
step), sends `/continue`, or types text. No step is ever replayed, so a question is answered at most
once per (target, attempt). After each action the learner waits for the bot's reply: to a tap, a
message with buttons it can act on that the bot sent after answering the tap (the outbox answers a
tap first), or the answer "already counted" alone (to "Another way to see it": its message edited,
the button gone); to a message, a new message with buttons (any new message for a typed text). If
nothing comes within `reply_timeout`, it sends `/continue` once, as a person would, and counts it in
`recoveries`; if that brings nothing either, the learner gives up (`gave_up`). A learner stops after
its share of `updates`, or when it has finished every course (neural-networks, then
compound-interest).

The faults. `chaos` at `chaos_rate` on sendMessage, editMessageText, editMessageReplyMarkup and
answerCallbackQuery, the kind drawn from 429 (retry_after 1 s), 502 as a proxy's HTML page, a
reset before the effect, a response lost after the effect (each weight 4), and a hang of
`hang_seconds` (just over the client's 5 s read timeout, weight 1: rare). About
`duplicate_rate` of the updates are queued twice (`duplicate_next_updates`). `kills` times, at
a seeded moment (after a seeded number of updates, plus a seeded delay of up to a second), the
bot gets SIGKILL and is started again at once on the same database. Chaos stays on across
restarts: start-up calls are not among the chaos methods, so there is no need to turn it off.
At the end chaos is turned off, every learner sends `/continue` and must get a message with
live buttons; then the bot is stopped with SIGTERM and the SQLite file is read.

The figures (`Figures`, each field documents its definition) compare what the learners did and
saw (the fake's records) with what the bot saved (its SQLite file after the final stop).
"""

from __future__ import annotations

import itertools
import math
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/faults.py runs from anywhere
    sys.path.insert(0, str(ROOT))

from bot.content import Library  # noqa: E402
from bot.content.checks import load_checked  # noqa: E402
from bot.views import lesson as lesson_views  # noqa: E402
from tests.fake_telegram import FakeTelegram, HtmlParser, Message, strip_text  # noqa: E402

CONTENT = ROOT / "content"
FIRST_USER = 70_001
SEQ_KINDS = frozenset("anwtk")
"""Callback kinds carrying the learner's seq: an answer, ➜, another way, try again, skip. A
question's second angle (`w:<course>:<step>:<index>`, after a right answer) carries none."""
WALK_KINDS = SEQ_KINDS | {"s", "c", "m"}
"""Callback kinds the walk acts on (not "Review now", not /pace choices, not a second angle:
that is tapped on the question just answered, never as a prompt)."""
REFUSALS = frozenset(lesson_views.REFUSAL_NOTICE.values())
ALREADY_COUNTED = "That one's done — already counted."
VERDICT_RE = re.compile(r"(?:^|\n)(✅ Exactly|🟡 Close|❌ Not quite|🤝 No worries)\n")
"""A verdict's first line: on the question answered (after "You said: …"), or opening a message
of its own when the question could not be edited."""
ANGLE_RATE = 0.2
"""How often the walk reads the second angle a right first answer offers."""
SKIP_RATE = 0.15
"""How often the walk skips a check ("Skip for now" sits under its options, both tries)."""
CHAOS_KINDS = ("429", "502_html", "reset", "lost_response") * 4 + ("hang",)
LOG_LINE = re.compile(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+): (.*)$")


def carries_seq(data: str) -> bool:
    """Button data naming the learner's seq (kinds in SEQ_KINDS, a number first)."""
    kind, _, rest = data.partition(":")
    return kind in SEQ_KINDS and rest.split(":")[0].isdigit()


def is_angle(data: str) -> bool:
    """A question's second angle: `w:<course>:<step>:<index>`, no seq."""
    return data.startswith("w:") and not carries_seq(data)


@dataclass(frozen=True)
class Settings:
    learners: int = 12
    updates: int = 300
    """Updates the learners send in all (each stops after its share, or at the course end)."""
    kills: int = 2
    seed: int = 1
    chaos_rate: float = 0.05
    chaos_kinds: tuple[str, ...] = CHAOS_KINDS
    hang_seconds: float = 5.5
    duplicate_rate: float = 0.03
    reply_timeout: float = 20.0
    final_timeout: float = 30.0
    time_limit: float = 480.0
    """The walk stops by itself after this many seconds (the final check still runs)."""
    course: str = "neural-networks"
    workdir: Path | None = None
    log_level: str = "INFO"
    progress: Callable[[str], None] | None = None


# ---------------------------------------------------------------- the figures


@dataclass
class Figures:
    """What a fault run measured. Definitions:

    - ``updates_sent``: updates the learners caused (a tap or a message each; a duplicated
      update counts once, the fake delivering it twice is the fault). ``taps``, ``texts``:
      of which taps and messages.
    - ``updates_lost``: update_ids the fake delivered to the bot (every update a learner caused,
      found in a getUpdates answer) that the bot's ``updates`` table does not have as handled
      (no row, or ``handled_at`` null) after the final stop, plus updates never delivered at
      all. Goal 0.
    - ``answers_twice``: surplus rows in ``answers`` with the same (user_id, course_id, step,
      question_id, target, attempt, reviewing): the walk never replays a step, so each key is
      answered at most once and any surplus is an update handled twice. Goal 0.
    - ``answers_saved`` / ``answer_taps_accepted``: rows in ``answers``, and answer taps the
      bot answered without a refusal toast (accepted as an answer); they must be equal.
      ``answer_taps_unanswered``: answer taps whose callback was never answered (unknown).
    - ``answers_lost_after_feedback``: verdict feedback (a line ✅ Exactly, 🟡 Close, ❌ Not quite
      or 🤝 No worries and the option's feedback, on the question answered or in a message of
      its own) a learner was shown for which the bot has no answer row of that learner,
      course, step, question and target. Goal 0.
    - ``duplicates``: ``sum(tg.duplicates(chat))``: a bot message seen twice in a row.
      ``duplicates_by_cause`` explains each: ``lost_response`` (the first copy is a sendMessage
      whose response the fake lost after sending it: the bot's one retry), ``kill`` (the first
      copy was sent before a SIGKILL and the second after the restart: the bot died before
      noting it sent), ``reshow_after_refused_tap`` (the reply to a stale tap shows where the
      learner is, by design), ``double_tap_menu`` (the learner tapped a button without a seq
      twice, e.g. "Start step N ➜": the second tap opens the step again),
      ``double_tap_reshown`` (the second of two taps a few ms apart on a lesson button was
      answered "already counted" and yet the prompt was shown again: handled more than
      ``DOUBLE_TAP`` after the first was saved, a bug), ``owed_then_continue`` (a /continue
      came while the prompt was still owed; the owed prompt and the /continue reply arrive
      together), ``unexplained``.
      ``lost_send_responses``: sendMessage calls that took effect while the bot got no answer
      (``lost_responses``: lost_response and hang_after_effect). Goal:
      ``lost_response`` duplicates ≤ ``lost_send_responses``, ``kill`` duplicates ≤
      ``sends_cut_by_kill`` (sendMessage calls that took effect in the 0.5 s before a SIGKILL:
      the bot may have died before noting them sent, so it sends them again: at least once),
      ``unexplained`` 0.
    - ``no_way_forward``: learners who, after chaos was turned off, sent /continue and got no
      message with live buttons (buttons carrying a seq must carry the learner's current seq in
      the ``positions`` table). Goal 0.
    - ``unhandled``: bot log lines with "Traceback" or "unexpected error", except the traceback
      PTB logs (``ERROR telegram.request.BaseRequest: Can not load invalid JSON data``) when a
      proxy answers an HTML error page, which the bot then handles as a network error: those
      are counted apart in ``html_page_tracebacks``. Goal 0. ``log_lines``: WARNING and ERROR
      lines by kind (numbers and parenthesised details blanked).
    - ``recoveries``: /continue sent because nothing came within the reply timeout.
      ``gave_up``: learners whose /continue brought nothing either.
    - ``kills``, ``faults`` (injected, by kind), ``duplicated_updates`` (queued twice),
      ``refusals`` (calls the fake refused that Telegram refuses, other than ``repeats``: a
      repeat of a call that had taken effect, i.e. answering a tap already answered or an edit
      already applied, after a lost response or a kill, which the bot tolerates),
      ``unanswered_taps`` (queries never answered), ``outbox_left`` and ``unhandled_rows``
      (rows left in the SQLite file), ``wall_seconds``.
    """

    settings: Settings
    updates_sent: int = 0
    taps: int = 0
    texts: int = 0
    updates_lost: int = 0
    lost_detail: list[str] = field(default_factory=list)
    answers_twice: int = 0
    twice_detail: list[str] = field(default_factory=list)
    answers_saved: int = 0
    answer_taps_accepted: int = 0
    answer_taps_unanswered: int = 0
    answers_lost_after_feedback: int = 0
    feedback_detail: list[str] = field(default_factory=list)
    duplicates: int = 0
    duplicates_by_cause: Counter[str] = field(default_factory=Counter)
    duplicate_detail: list[str] = field(default_factory=list)
    timelines: list[str] = field(default_factory=list)
    lost_send_responses: int = 0
    sends_cut_by_kill: int = 0
    lost_responses_by_method: Counter[str] = field(default_factory=Counter)
    no_way_forward: int = 0
    stuck_detail: list[str] = field(default_factory=list)
    unhandled: int = 0
    unhandled_detail: list[str] = field(default_factory=list)
    html_page_tracebacks: int = 0
    log_lines: Counter[str] = field(default_factory=Counter)
    recoveries: int = 0
    gave_up: int = 0
    reply_seconds: list[float] = field(default_factory=list, repr=False)
    finished_courses: int = 0
    kills: int = 0
    kill_times: list[float] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    duplicated_updates: int = 0
    refusals: int = 0
    repeats: int = 0
    refusal_detail: list[str] = field(default_factory=list)
    unanswered_taps: int = 0
    outbox_left: int = 0
    unhandled_rows: int = 0
    walker_errors: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    walk_seconds: float = 0.0
    log_path: Path | None = None
    tg: FakeTelegram | None = field(default=None, repr=False)  # for a post-mortem
    walkers: list[Walker] = field(default_factory=list, repr=False)

    def goals(self) -> dict[str, tuple[Any, bool]]:
        """Each goal: (value, met)."""
        by = self.duplicates_by_cause
        return {
            "updates lost": (self.updates_lost, self.updates_lost == 0),
            "answers saved twice": (self.answers_twice, self.answers_twice == 0),
            "answer rows = accepted answer taps": (
                f"{self.answers_saved} = {self.answer_taps_accepted}",
                self.answers_saved == self.answer_taps_accepted,
            ),
            "answers lost after feedback": (
                self.answers_lost_after_feedback,
                self.answers_lost_after_feedback == 0,
            ),
            "duplicates after lost responses ≤ lost sendMessage responses": (
                f"{by['lost_response']} ≤ {self.lost_send_responses}",
                by["lost_response"] <= self.lost_send_responses,
            ),
            "duplicates across a kill ≤ sends cut by a kill": (
                f"{by['kill']} ≤ {self.sends_cut_by_kill}",
                by["kill"] <= self.sends_cut_by_kill,
            ),
            "duplicates unexplained": (by["unexplained"], by["unexplained"] == 0),
            "no way forward at the end": (self.no_way_forward, self.no_way_forward == 0),
            "unhandled exceptions in the log": (self.unhandled, self.unhandled == 0),
            "refused calls (bot bugs)": (self.refusals, self.refusals == 0),
            "walker errors": (len(self.walker_errors), not self.walker_errors),
        }

    def failed(self) -> list[str]:
        return [f"{name}: {value}" for name, (value, ok) in self.goals().items() if not ok]

    def table(self) -> str:
        s = self.settings
        rows: list[tuple[str, Any]] = [
            ("learners", s.learners),
            ("seed", s.seed),
            ("updates sent (taps + texts)", f"{self.updates_sent} ({self.taps} + {self.texts})"),
            ("updates duplicated by the fake", self.duplicated_updates),
            ("kills (SIGKILL + restart)", self.kills),
            ("faults injected", _counter(self.faults)),
            ("  of which sum", sum(self.faults.values())),
            ("lost responses by method", _counter(self.lost_responses_by_method)),
        ]
        for name, (value, ok) in self.goals().items():
            rows.append((f"{'ok ' if ok else 'FAIL'} {name}", value))
        rows += [
            ("duplicates seen (sum tg.duplicates)", self.duplicates),
            ("  by cause", _counter(self.duplicates_by_cause)),
            ("lost sendMessage responses", self.lost_send_responses),
            ("sendMessage calls cut by a kill (0.5 s)", self.sends_cut_by_kill),
            ("answer rows / accepted answer taps", f"{self.answers_saved} / "
             f"{self.answer_taps_accepted} (+{self.answer_taps_unanswered} unanswered)"),
            ("reply time p50 / p95 / max", _percentiles(self.reply_seconds)),
            ("recoveries (/continue after a timeout)", self.recoveries),
            ("learners who gave up mid-run", self.gave_up),
            ("courses finished", self.finished_courses),
            ("taps never answered", self.unanswered_taps),
            ("repeats Telegram refused (tolerated)", self.repeats),
            ("tracebacks PTB logs for an HTML error page", self.html_page_tracebacks),
            ("outbox rows left / updates unhandled", f"{self.outbox_left} / {self.unhandled_rows}"),
            ("walk / wall time", f"{self.walk_seconds:.1f} s / {self.wall_seconds:.1f} s"),
        ]  # fmt: skip
        width = max(len(name) for name, _ in rows)
        lines = [f"{name:<{width}}  {value}" for name, value in rows]
        if self.log_lines:
            lines.append("WARNING/ERROR log lines by kind:")
            lines += [f"  {n:5d}  {kind}" for kind, n in self.log_lines.most_common()]
        for title, detail in (
            ("lost updates", self.lost_detail),
            ("answers saved twice", self.twice_detail),
            ("answers lost after feedback", self.feedback_detail),
            ("duplicates", self.duplicate_detail),
            ("timelines of unexplained or kill duplicates", self.timelines[:200]),
            ("no way forward", self.stuck_detail),
            ("unhandled", self.unhandled_detail),
            ("refusals", self.refusal_detail),
            ("walker errors", self.walker_errors),
        ):
            if detail:
                lines.append(f"{title}:")
                lines += [f"  {line}" for line in detail[:200]]
        if self.log_path:
            lines.append(f"bot log: {self.log_path}")
        return "\n".join(lines)


def _percentiles(seconds: list[float]) -> str:
    if not seconds:
        return "-"
    ordered = sorted(seconds)
    p50, p95 = ordered[len(ordered) // 2], ordered[int(0.95 * (len(ordered) - 1))]
    return f"{p50:.1f} s / {p95:.1f} s / {ordered[-1]:.1f} s"


def _counter(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"


# ---------------------------------------------------------------- the bot process


class BotProcess:
    """`python -m bot` against the fake, its output appended to one log file."""

    def __init__(self, tg: FakeTelegram, workdir: Path, log_level: str):
        self.db_path = workdir / "data" / "tutor.db"
        self.log_path = workdir / "bot.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TUTOR_"))}
        env |= {"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.api_url}
        env |= {"TUTOR_DB": str(self.db_path), "TUTOR_CONTENT": str(CONTENT)}
        env |= {"TUTOR_POLL_TIMEOUT": "1", "LOG_LEVEL": log_level}
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"=== fault run: start {self.starts} at {time.time():.3f}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no chance to clean up
        self.proc.wait(10)
        with self.log_path.open("ab") as log:
            log.write(f"=== fault run: SIGKILL at {time.time():.3f}\n".encode())

    def stop(self) -> int | None:
        """SIGTERM, as `docker stop`; SIGKILL after 20 s."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return None


# ---------------------------------------------------------------- the learners


@dataclass
class Action:
    kind: str  # tap, double, old, text, continue, recover, start, final
    at: float
    queries: tuple[str, ...] = ()
    datas: tuple[str, ...] = ()
    message_id: int | None = None  # the learner's own message (text and commands)
    text: str = ""


class Run:
    """One fault run's shared state: the fake, the bot, the learners and what they did."""

    def __init__(self, settings: Settings, tg: FakeTelegram, library: Library):
        self.settings, self.tg, self.library = settings, tg, library
        self.lock = threading.Lock()  # user actions go one at a time: duplicates hit the right one
        self.sent = 0
        self.duplicated = 0
        self.stopping = threading.Event()
        self.walkers: list[Walker] = []
        self._observing = threading.Lock()
        self._observed_calls = 0
        self._observed_at = 0.0
        self.sent_at: dict[tuple[int, int], float] = {}  # (chat, message_id) → when sent
        self.answered_at: dict[str, float] = {}  # callback_query_id → when first answered

    def observe(self) -> None:
        """Read the calls the bot made since last time (at most every 50 ms): when each message
        was sent and each tap answered. A tap's reply is sent after its answer (the outbox keeps
        the order), so a learner knows which messages answer its tap."""
        with self._observing:
            if time.monotonic() - self._observed_at < 0.05:
                return
            calls = self.tg.calls
            for call in calls[self._observed_calls :]:
                if call.method == "sendMessage" and isinstance(call.result, dict):
                    key = (call.params["chat_id"], call.result["message_id"])
                    self.sent_at.setdefault(key, call.time)
                elif call.method == "answerCallbackQuery" and call.status == 200:
                    self.answered_at.setdefault(call.params["callback_query_id"], call.time)
            self._observed_calls = len(calls)
            self._observed_at = time.monotonic()

    def note(self, text: str) -> None:
        if self.settings.progress:
            self.settings.progress(text)


class Walker(threading.Thread):
    """One learner in a private chat: a seeded random walk through the courses."""

    def __init__(self, run: Run, index: int, quota: int):
        super().__init__(name=f"learner-{index}", daemon=True)
        self.r, self.tg, self.quota = run, run.tg, quota
        self.user_id = FIRST_USER + index
        self.rng = random.Random(f"{run.settings.seed}|learner|{index}")
        self.tg.add_user(self.user_id, f"L{index}")
        self.actions: list[Action] = []
        self.own_messages: dict[int, str] = {}  # message_id → text the learner sent
        self.prompts: list[tuple[int, tuple[str, ...]]] = []  # prompts acted on: id, seq data
        self.courses_done: set[str] = set()
        self.course = run.settings.course
        self.sent = 0
        self.recoveries = 0
        self.gave_up = False
        self.finished = False
        self.error: str | None = None
        self.latencies: list[float] = []  # seconds from an action to its reply

    # ------------------------------------------------------------ user actions

    def _send(self, kind: str, text: str) -> Action:
        with self.r.lock:
            self._maybe_duplicate()
            message_id = self.tg.send_text(self.user_id, text)
            self.r.sent += 1
        self.sent += 1
        self.own_messages[message_id] = text
        action = Action(kind, time.time(), message_id=message_id, text=text)
        self.actions.append(action)
        return action

    def _tap(self, kind: str, message_id: int, datas: list[str], forge: bool = False) -> Action:
        queries = []
        with self.r.lock:
            for i, data in enumerate(datas):
                self._maybe_duplicate()
                queries.append(self.tg.tap(self.user_id, message_id, data, forge=forge or i > 0))
                self.r.sent += 1
        self.sent += len(datas)
        action = Action(kind, time.time(), tuple(queries), tuple(datas), message_id)
        self.actions.append(action)
        return action

    def _maybe_duplicate(self) -> None:
        if self.rng.random() < self.r.settings.duplicate_rate:
            self.tg.duplicate_next_updates(1)
            self.r.duplicated += 1

    # ------------------------------------------------------------ what the learner sees

    def messages(self) -> list[Message]:
        return self.tg.chat_messages(self.user_id, include_deleted=False)

    def newest_id(self) -> int:
        ids = [m.message_id for m in self.messages()]
        return max([*ids, *self.own_messages], default=0)

    @staticmethod
    def walkable(message: Message) -> list[tuple[str, str]]:
        return [
            (label, data)
            for row in message.buttons
            for label, data in row
            if data and data.split(":")[0] in WALK_KINDS and not is_angle(data)
        ]

    def prompt(self) -> Message | None:
        """The newest message with buttons the walk can act on."""
        for message in reversed(self.messages()):
            if self.walkable(message):
                return message
        return None

    def wait_reply(self, after: int, query: str | None = None, any_message: bool = False) -> bool:
        """The reply came. To a tap: a message with walkable buttons sent after the bot answered
        the tap, or the answer "already counted" alone. To a message: a new message with
        walkable buttons (any new message for a typed text)."""
        started = time.monotonic()
        deadline = started + self.r.settings.reply_timeout
        for n in itertools.count():
            new = [m for m in self.messages() if m.message_id > after]
            if query is None:
                done = any(self.walkable(m) for m in new) or bool(any_message and new)
            else:
                done = self._answered_by(query, new, check_toast=n % 5 == 4)
            if done:
                self.latencies.append(time.monotonic() - started)
                return True
            if time.monotonic() > deadline or self.r.stopping.is_set():
                return False
            time.sleep(0.1)
        return False

    def _answered_by(self, query: str, new: list[Message], check_toast: bool) -> bool:
        self.r.observe()
        answered = self.r.answered_at.get(query)
        if answered is None:
            return False
        for message in new:
            sent = self.r.sent_at.get((self.user_id, message.message_id))
            if sent is not None and sent >= answered and self.walkable(message):
                return True
        if check_toast:
            toasts = {a.callback_query_id: a.text for a in self.tg.callback_answers}
            return toasts.get(query) == ALREADY_COUNTED
        return False

    # ------------------------------------------------------------ the walk

    def run(self) -> None:
        try:
            self.walk()
        except Exception:
            self.error = f"learner {self.user_id}: {traceback.format_exc()}"

    def walk(self) -> None:
        after = self.newest_id()
        self._send("start", f"/start {self.course}")
        if not self._waited(after):
            return
        refused_in_a_row = 0
        while self.sent < self.quota and not self.r.stopping.is_set() and not self.finished:
            prompt = self.prompt()
            if prompt is None:
                if not self._recover():
                    return
                continue
            extra = self.rng.random()
            lesson = any(carries_seq(data) for _, data in self.walkable(prompt))
            if lesson and extra < 0.04 and self._older_tap(prompt):
                continue
            if lesson and extra < 0.08:
                after = self.newest_id()
                self._send("continue", "/continue")
                if not self._waited(after):
                    return
                continue
            if lesson and extra < 0.11:
                after = self.newest_id()
                self._send("text", self.rng.choice(["hmm", "I think B?", "what?", "ok"]))
                if not self._waited(after, any_message=True):
                    return
                continue
            choice = self.choose(prompt)
            if choice is None:
                self.finished = True
                return
            after = self.newest_id()
            double = extra > 0.95
            action = self._tap("double" if double else "tap", prompt.message_id,
                               [choice, choice] if double else [choice])  # fmt: skip
            self.prompts.append(
                (prompt.message_id, tuple(d for _, d in self.walkable(prompt) if carries_seq(d)))
            )
            if not self._waited(after, action.queries[-1]):  # after a double tap: the second
                return
            angle = choice.startswith("a:") and self.rng.random() < ANGLE_RATE
            if angle and not self._angle(prompt.message_id):
                return
            toasts = {a.callback_query_id: a.text for a in self.tg.callback_answers}
            refused_in_a_row = refused_in_a_row + 1 if toasts.get(action.queries[0]) else 0
            if refused_in_a_row >= 3:  # the screen is out of date somehow: ask where we are
                refused_in_a_row = 0
                after = self.newest_id()
                self._send("continue", "/continue")
                if not self._waited(after):
                    return

    def _waited(self, after: int, query: str | None = None, any_message: bool = False) -> bool:
        if self.wait_reply(after, query, any_message):
            return True
        return self._recover()

    def _recover(self) -> bool:
        """Nothing to act on within the timeout: /continue once, as a person would."""
        if self.r.stopping.is_set():
            return False
        self.recoveries += 1
        waited = self.r.settings.reply_timeout
        self.r.note(f"learner {self.user_id}: no way forward after {waited:g} s; /continue")
        after = self.newest_id()
        self._send("recover", "/continue")
        if self.wait_reply(after):
            return True
        self.gave_up = True
        self.r.note(f"learner {self.user_id}: gave up")
        return False

    def _angle(self, message_id: int) -> bool:
        """Read the second angle on the question just answered, if it offers one (a right first
        answer): the bot answers the tap and edits that message, the button gone. False when the
        learner gave up waiting."""
        shown = {m.message_id: m for m in self.messages()}.get(message_id)
        offered = [d for row in shown.buttons for _, d in row if d and is_angle(d)] if shown else []
        if not offered:
            return True
        action = self._tap("angle", message_id, offered[:1])
        if self.wait_edit(message_id, offered[0], action.queries[0]):
            return True
        return self._recover()

    def wait_edit(self, message_id: int, data: str, query: str) -> bool:
        """The tap on `data` answered and its button gone from the message (edited, or its
        buttons dropped with the addition sent on its own)."""
        started = time.monotonic()
        deadline = started + self.r.settings.reply_timeout
        while time.monotonic() < deadline and not self.r.stopping.is_set():
            self.r.observe()
            shown = {m.message_id: m for m in self.messages()}.get(message_id)
            gone = shown is None or all(d != data for row in shown.buttons for _, d in row)
            if query in self.r.answered_at and gone:
                self.latencies.append(time.monotonic() - started)
                return True
            time.sleep(0.1)
        return False

    def _older_tap(self, prompt: Message) -> bool:
        """Tap a seq button of an older prompt: still on it if any is, else a stale client's."""
        older = [(mid, datas) for mid, datas in self.prompts if mid < prompt.message_id and datas]
        if not older:
            return False
        message_id, datas = self.rng.choice(older)
        shown = {m.message_id: m for m in self.messages()}.get(message_id)
        live = [d for _, d in self.walkable(shown)] if shown else []
        data = self.rng.choice([d for d in datas if d in live] or list(datas))
        after = self.newest_id()
        action = self._tap("old", message_id, [data], forge=data not in live)
        self._waited(after, action.queries[0])
        return True

    def choose(self, prompt: Message) -> str | None:
        """The button this learner taps on this prompt; None when every course is done."""
        buttons = self.walkable(prompt)
        by_kind: dict[str, list[tuple[str, str]]] = {}
        for label, data in buttons:
            by_kind.setdefault(data.split(":")[0], []).append((label, data))
        rng = self.rng
        if "a" in by_kind:
            if "k" in by_kind and rng.random() < SKIP_RATE:
                return by_kind["k"][0][1]
            return self._answer(prompt, [d for _, d in by_kind["a"]])
        if "t" in by_kind:
            return by_kind["t" if rng.random() < 0.65 or "k" not in by_kind else "k"][0][1]
        if "n" in by_kind:
            if "w" in by_kind and rng.random() < 0.2:
                return by_kind["w"][0][1]
            return by_kind["n"][0][1]
        if "s" in by_kind:
            start = [d for label, d in by_kind["s"] if "Start step" in label or "👈" in label]
            if start:
                self.course = start[0].split(":")[1]
                return start[0]
        if prompt.text.startswith("🎓"):
            self.courses_done.add(self.course)
        if "m" in by_kind and "c" not in by_kind:
            if "s" in by_kind:  # a course menu with no step left to take
                self.courses_done.add(by_kind["s"][0][1].split(":")[1])
            return by_kind["m"][0][1]
        if "c" in by_kind:
            todo = [d for _, d in by_kind["c"] if d.split(":")[1] not in self.courses_done]
            if todo:
                return todo[0]
        return None

    def _answer(self, prompt: Message, datas: list[str]) -> str:
        check = "🔎 Quick check" in prompt.text  # the check comes last, after what led to it
        right, wrong, unsure = [], [], []
        for data in datas:
            _, _seq, course_id, step, question, option_id = data.split(":")
            course = self.r.library.course(course_id)
            step_ = course.step(int(step)) if course else None
            q = step_.questions[int(question)] if step_ else None
            q = q.as_check() if q is not None and check else q
            option = q.option(option_id) if q is not None else None
            verdict = option.verdict.value if option else ""
            pool = right if verdict == "Exactly" else unsure if verdict == "No worries" else wrong
            pool.append(data)
        roll = self.rng.random()
        pool = right if roll < 0.6 else wrong if roll < 0.85 else unsure
        return self.rng.choice(pool or right or datas)


# ---------------------------------------------------------------- the run


def run(settings: Settings) -> Figures:
    """Play, fault, kill, check; return the figures (the caller asserts or prints them)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="faultrun-") as tmp:
        workdir = settings.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        with FakeTelegram() as tg:
            figures = _run(settings, tg, workdir)
        figures.wall_seconds = time.monotonic() - started
        if settings.workdir is None:  # keep the log for a failure message
            kept = Path(tempfile.gettempdir()) / f"faultrun-seed{settings.seed}-bot.log"
            kept.write_bytes((workdir / "bot.log").read_bytes())
            figures.log_path = kept
        return figures


def _run(settings: Settings, tg: FakeTelegram, workdir: Path) -> Figures:
    library = load_checked(CONTENT)
    r = Run(settings, tg, library)
    bot = BotProcess(tg, workdir, settings.log_level)
    figures = Figures(settings, log_path=bot.log_path, tg=tg)
    quota = math.ceil(settings.updates / settings.learners)
    r.walkers = figures.walkers = [Walker(r, i, quota) for i in range(settings.learners)]
    bot.start()
    tg.chaos(
        settings.seed,
        settings.chaos_rate,
        settings.chaos_kinds,
        hang_seconds=settings.hang_seconds,
        retry_after=1,
    )
    walk_started = time.monotonic()
    killer = threading.Thread(target=_killer, args=(r, bot, figures), daemon=True)
    for walker in r.walkers:
        walker.start()
    killer.start()
    deadline = walk_started + settings.time_limit
    for walker in r.walkers:
        walker.join(max(deadline - time.monotonic(), 0.1))
    if any(w.is_alive() for w in r.walkers):
        r.note("time limit reached: the learners stop")
    r.stopping.set()
    for walker in r.walkers:
        walker.join(settings.reply_timeout * 2 + 10)
    killer.join(30)
    figures.walk_seconds = time.monotonic() - walk_started

    tg.clear_faults()  # chaos off for the final check
    final = _final_continue(r)
    returncode = bot.stop()
    if returncode not in (0, None):
        figures.unhandled_detail.append(f"the bot exited with {returncode} on SIGTERM")
    _measure(r, figures, bot, final)
    return figures


def _killer(r: Run, bot: BotProcess, figures: Figures) -> None:
    """SIGKILL at seeded moments: after a seeded number of updates plus up to a second."""
    s = r.settings
    rng = random.Random(f"{s.seed}|kills")
    expected = min(s.updates, s.learners * 60)
    marks = sorted(rng.uniform(0.1, 0.85) * expected for _ in range(s.kills))
    for mark in marks:
        while r.sent < mark and not r.stopping.is_set():
            if all(not w.is_alive() for w in r.walkers):
                break  # the learners finished early: kill while the bot flushes what it owes
            time.sleep(0.05)
        if r.stopping.is_set():
            return
        time.sleep(rng.uniform(0, 1.0))
        bot.kill()
        figures.kills += 1
        figures.kill_times.append(time.time())
        r.note(f"kill -9 #{figures.kills} after {r.sent} updates")
        time.sleep(rng.uniform(0, 0.5))
        bot.start()


def _final_continue(r: Run) -> dict[int, tuple[Message | None, int]]:
    """Every learner sends /continue; the message with buttons each got (or None)."""
    sent: dict[int, int] = {}
    for walker in r.walkers:
        after = walker.newest_id()
        walker._send("final", "/continue")
        sent[walker.user_id] = after
    deadline = time.monotonic() + r.settings.final_timeout
    got: dict[int, tuple[Message | None, int]] = {}
    seen: dict[int, float] = {}
    while time.monotonic() < deadline and len(got) < len(r.walkers):
        for walker in r.walkers:
            if walker.user_id in got:
                continue
            new = [m for m in walker.messages() if m.message_id > sent[walker.user_id]]
            with_buttons = [m for m in new if walker.walkable(m)]
            if with_buttons:
                first = seen.setdefault(walker.user_id, time.monotonic())
                if time.monotonic() - first > 1.5:  # the whole reply is in
                    got[walker.user_id] = (with_buttons[-1], sent[walker.user_id])
        time.sleep(0.1)
    for walker in r.walkers:
        got.setdefault(walker.user_id, (None, sent[walker.user_id]))
    return got


# ---------------------------------------------------------------- measuring


def _measure(
    r: Run, f: Figures, bot: BotProcess, final: dict[int, tuple[Message | None, int]]
) -> None:
    tg = r.tg
    walkers = r.walkers
    actions = [(w, a) for w in walkers for a in w.actions]
    f.taps = sum(len(a.queries) for _, a in actions)
    f.texts = sum(1 for _, a in actions if a.message_id is not None and not a.queries)
    f.updates_sent = f.taps + f.texts
    f.duplicated_updates = r.duplicated
    f.recoveries = sum(w.recoveries for w in walkers)
    f.gave_up = sum(w.gave_up for w in walkers)
    f.reply_seconds = [s for w in walkers for s in w.latencies]
    f.finished_courses = sum(len(w.courses_done) for w in walkers)
    f.walker_errors = [w.error for w in walkers if w.error]
    f.faults = tg.injected
    lost = tg.lost_responses
    f.lost_responses_by_method = Counter(c.method for c in lost)
    f.lost_send_responses = f.lost_responses_by_method["sendMessage"]
    f.sends_cut_by_kill = sum(
        1
        for c in tg.calls
        if c.method == "sendMessage"
        and c.status == 200
        and any(k - 0.5 <= c.time <= k for k in f.kill_times)
    )
    f.unanswered_taps = len(tg.unanswered_queries())
    calls = tg.calls
    answers = {a.callback_query_id: a.text for a in tg.callback_answers}
    keys = _update_keys(calls)
    for call in tg.refusals:
        if repeat_of_effect(call, calls, answers):
            f.repeats += 1
        else:
            f.refusals += 1
            f.refusal_detail.append(f"{call.method} {call.params} → {call.description}")

    db = sqlite3.connect(f"file:{bot.db_path}?mode=ro", uri=True)
    try:
        _updates_lost(f, walkers, keys, db)
        _answers(r, f, walkers, answers, keys, db)
        _no_way_forward(f, walkers, final, db)
        f.outbox_left = db.execute("select count(*) from outbox").fetchone()[0]
        f.unhandled_rows = db.execute(
            "select count(*) from updates where handled_at is null"
        ).fetchone()[0]
    finally:
        db.close()
    _duplicates(f, walkers, calls, lost, answers, keys)
    _log(f, bot.log_path)


def repeat_of_effect(call: Any, calls: list[Any], answers: dict[str, str | None]) -> bool:
    """A refusal of a call that had already taken effect: a tap answered before, an edit
    already applied (its earlier copy succeeded or its response was lost)."""
    if call.method == "answerCallbackQuery" and "query is too old" in call.description:
        return call.params.get("callback_query_id") in answers
    if call.method.startswith("editMessage") and "message is not modified" in call.description:
        return any(
            c.method == call.method and c.params == call.params and c.result is not None
            and c.time <= call.time
            for c in calls
        )  # fmt: skip
    return False


def _update_keys(calls: list[Any]) -> dict[tuple, int]:
    """What each delivered update was (a tap's query id, a message's chat and id) → update_id."""
    keys: dict[tuple, int] = {}
    for call in calls:
        if call.method != "getUpdates" or not isinstance(call.result, list):
            continue
        for update in call.result:
            if "callback_query" in update:
                keys[("q", update["callback_query"]["id"])] = update["update_id"]
            elif "message" in update:
                message = update["message"]
                keys[("m", message["chat"]["id"], message["message_id"])] = update["update_id"]
    return keys


def _updates_lost(f: Figures, walkers: list[Walker], keys: dict[tuple, int], db: Any) -> None:
    handled = {uid for (uid,) in db.execute("select update_id from updates where handled_at "
                                            "is not null")}  # fmt: skip
    for w in walkers:
        for a in w.actions:
            wanted = [("q", q) for q in a.queries] or [("m", w.user_id, a.message_id)]
            for key in wanted:
                update_id = keys.get(key)
                if update_id is None:
                    f.updates_lost += 1
                    f.lost_detail.append(f"learner {w.user_id} {a.kind} {key}: never delivered")
                elif update_id not in handled:
                    f.updates_lost += 1
                    f.lost_detail.append(
                        f"learner {w.user_id} {a.kind} {a.datas or a.text!r}: update {update_id} "
                        "delivered, not handled"
                    )


def _feedback_texts(library: Library) -> dict[str, set[tuple[str, int, str, str]]]:
    """The plain text of every option's feedback → (course, step, question id, target)."""
    out: dict[str, set[tuple[str, int, str, str]]] = {}
    for course in library.courses:
        for step in course.steps:
            for question in step.questions:
                check = question.as_check()
                for target, q in (("question", question), ("check", check)):
                    for option in q.options if q else ():
                        html = lesson_views.feedback(option)
                        text = strip_text(*HtmlParser(html).parse())[0]
                        out.setdefault(text, set()).add((course.id, step.number, question.id,
                                                         target))  # fmt: skip
    return out


def _answers(
    r: Run,
    f: Figures,
    walkers: list[Walker],
    answers: dict[str, str | None],
    keys: dict[tuple, int],
    db: Any,
) -> None:
    rows = db.execute(
        "select user_id, course_id, step, question_id, target, attempt, reviewing, count(*) "
        "from answers group by 1, 2, 3, 4, 5, 6, 7"
    ).fetchall()
    f.answers_saved = sum(row[-1] for row in rows)
    for row in rows:
        if row[-1] > 1:
            f.answers_twice += row[-1] - 1
            f.twice_detail.append(f"{row[:-1]} saved {row[-1]} times")
    for w in walkers:
        for a in w.actions:
            for query, data in zip(a.queries, a.datas, strict=True):
                if not data.startswith("a:"):
                    continue
                if query not in answers:
                    f.answer_taps_unanswered += 1
                elif answers[query] not in REFUSALS:
                    f.answer_taps_accepted += 1
    saved = {
        (user, course, step, question, target)
        for user, course, step, question, target in db.execute(
            "select user_id, course_id, step, question_id, target from answers"
        )
    }
    by_text = _feedback_texts(r.library)
    for w in walkers:
        for message in r.tg.chat_messages(w.user_id):
            for verdict in VERDICT_RE.finditer(message.text):
                at = verdict.start(1)
                shown = [text for text in by_text if message.text.startswith(text, at)]
                places = by_text[max(shown, key=len)] if shown else set()
                if any((w.user_id, *place) in saved for place in places):
                    continue
                f.answers_lost_after_feedback += 1
                f.feedback_detail.append(
                    f"learner {w.user_id} message {message.message_id}: "
                    f"{message.text[at : at + 60]!r} "
                    f"({sorted(places)}) has no answer row; {_cause_of(r, w, message, keys)}"
                )


def _cause_of(r: Run, w: Walker, message: Message, keys: dict[tuple, int]) -> str:
    """The learner's last two actions before a message was sent, with their update ids."""
    r._observed_at = 0.0
    r.observe()
    sent = r.sent_at.get((w.user_id, message.message_id), 0.0)
    before = [a for a in w.actions if a.at <= sent][-2:]
    said = []
    for a in before:
        ids = [keys.get(("q", q)) for q in a.queries] or [keys.get(("m", w.user_id, a.message_id))]
        said.append(f"{a.kind} {a.datas or a.text!r} (update {', '.join(map(str, ids))})")
    return "sent after: " + "; then ".join(said)


def _no_way_forward(
    f: Figures, walkers: list[Walker], final: dict[int, tuple[Message | None, int]], db: Any
) -> None:
    seqs = dict(db.execute("select user_id, seq from positions"))
    for w in walkers:
        message, after = final[w.user_id]
        if message is None:
            f.no_way_forward += 1
            f.stuck_detail.append(f"learner {w.user_id}: no message with buttons after /continue "
                                  f"(message > {after})")  # fmt: skip
            continue
        for _, data in w.walkable(message):
            seq = data.split(":")[1]
            if carries_seq(data) and int(seq) != seqs.get(w.user_id):
                f.no_way_forward += 1
                f.stuck_detail.append(
                    f"learner {w.user_id}: /continue showed seq {seq}, position is at "
                    f"{seqs.get(w.user_id)}: {message.text[:60]!r}"
                )
                break


def _duplicates(
    f: Figures,
    walkers: list[Walker],
    calls: list[Any],
    lost: list[Any],
    answers: dict[str, str | None],
    keys: dict[tuple, int],
) -> None:
    """Count tg.duplicates and explain each pair of identical bot messages in a row."""
    sent_at: dict[tuple[int, int], float] = {}
    lost_ids = set()
    for call in calls:
        if call.method == "sendMessage" and isinstance(call.result, dict):
            key = (call.params["chat_id"], call.result["message_id"])
            sent_at.setdefault(key, call.time)
    for call in lost:
        if call.method == "sendMessage" and isinstance(call.result, dict):
            lost_ids.add((call.params["chat_id"], call.result["message_id"]))
    chat_of = {q: w.user_id for w in walkers for a in w.actions for q in a.queries}
    answered_at: dict[int, list[tuple[float, str]]] = {}
    for call in calls:  # every attempt, in order
        query = call.params.get("callback_query_id")
        if call.method == "answerCallbackQuery" and query in chat_of:
            answered_at.setdefault(chat_of[query], []).append((call.time, query))
    for w in walkers:
        chat = w.user_id
        f.duplicates += w.tg.duplicates(chat)
        bots = w.tg.chat_messages(chat, include_deleted=False)
        timeline: list[tuple[int, Message | None]] = [(m.message_id, m) for m in bots]
        timeline += [(mid, None) for mid in w.own_messages]
        timeline.sort(key=lambda item: item[0])
        for (_, before), (_, msg) in itertools.pairwise(timeline):
            if before is None or msg is None or _seen(before) != _seen(msg):
                continue
            first = sent_at.get((chat, before.message_id), 0.0)
            second = sent_at.get((chat, msg.message_id), 0.0)
            lost_first = (chat, before.message_id) in lost_ids
            cause = _cause(w, before, lost_first, first, second, answered_at.get(chat, []),
                           answers, f.kill_times)  # fmt: skip
            f.duplicates_by_cause[cause] += 1
            f.duplicate_detail.append(
                f"learner {chat} messages {before.message_id},{msg.message_id} ({cause}): "
                f"{msg.text[:50]!r}"
            )
            if cause in ("unexplained", "kill", "double_tap_reshown") and len(f.timelines) < 400:
                pair = f"{before.message_id},{msg.message_id}"
                f.timelines.append(f"learner {chat} messages {pair} ({cause}):")
                f.timelines += timeline_of(w, calls, keys, first - 12, second + 1, f.kill_times)


def _cause(
    w: Walker,
    before: Message,
    first_lost: bool,
    first: float,
    second: float,
    answered_at: list[tuple[float, str]],
    answers: dict[str, str | None],
    kills: list[float],
) -> str:
    """Why a learner saw a message twice in a row: the first copy was sent at ``first``, the
    second at ``second``. A tap's reply is sent after its answerCallbackQuery (the outbox keeps
    the order), so the tap answered last before ``second`` is the one the second copy answers."""
    if first_lost:
        return "lost_response"
    tap = next((query for t, query in reversed(answered_at) if t <= second), None)
    tapped_at = next((t for t, query in reversed(answered_at) if t <= second), 0.0)
    if tap is not None and tapped_at >= first:
        double = next((a for a in w.actions if a.kind == "double" and a.queries[1] == tap), None)
        if double is not None and carries_seq(double.datas[1]):
            return "double_tap_reshown"
        if double is not None:
            return "double_tap_menu"
        if answers.get(tap) in REFUSALS:
            return "reshow_after_refused_tap"
    continues = [
        a
        for a in w.actions
        if a.kind in ("continue", "recover", "final")
        and a.message_id is not None
        and a.message_id < before.message_id
        and a.at >= tapped_at
    ]
    if continues:
        return "owed_then_continue"
    if first and second and any(first <= k <= second for k in kills):
        return "kill"
    return "unexplained"


def timeline_of(
    w: Walker,
    calls: list[Any],
    keys: dict[tuple, int],
    start: float,
    end: float,
    kills: list[float],
) -> list[str]:
    """What a learner did (with its update ids) and what the bot called for them between two
    moments; callback queries by their last four digits."""
    queries = {q for a in w.actions for q in a.queries}
    events: list[tuple[float, str]] = []
    for a in w.actions:
        if start <= a.at <= end:
            ids = [keys.get(("q", q)) for q in a.queries]
            ids = ids or [keys.get(("m", w.user_id, a.message_id))]
            what = f"{a.datas or a.text!r} {[q[-4:] for q in a.queries]} on {a.message_id}"
            events.append((a.at, f"learner {a.kind} {what}: update {ids}"))
    events += [(k, "SIGKILL") for k in kills if start <= k <= end]
    for c in calls:
        mine = c.params.get("chat_id") == w.user_id or c.params.get("callback_query_id") in queries
        if mine and start <= c.time <= end:
            result = c.result.get("message_id") if isinstance(c.result, dict) else c.result
            text = str(c.params.get("text", ""))[:40]
            query = c.params.get("callback_query_id", "")[-4:]
            where = f"{query} message_id {c.params.get('message_id')} → {result} {text!r}"
            events.append((c.time, f"{c.method} {c.status} {c.fault or ''} {where}"))
    return [f"    {t:.3f} {what}" for t, what in sorted(events)]


def _seen(m: Message) -> tuple[str, list[list[str]]]:
    return m.text, [[label for label, _ in row] for row in m.buttons]


HTML_PAGE = "ERROR telegram.request.BaseRequest: Can not load invalid JSON data"


def _log(f: Figures, path: Path) -> None:
    record = ""  # the log record a traceback belongs to
    for line in path.read_text(errors="replace").splitlines():
        match = LOG_LINE.match(line)
        if match or line.startswith("==="):
            record = line
        if match and match.group(1) in ("WARNING", "ERROR", "CRITICAL"):
            f.log_lines[f"{match.group(1)} {match.group(2)}: {_kind(match.group(3))}"] += 1
        if "Traceback" in line and HTML_PAGE in record:
            f.html_page_tracebacks += 1
        elif "Traceback" in line or "unexpected error" in line:
            f.unhandled += 1
            f.unhandled_detail.append(f"{line[:120]} (after: {record[:160]})")


def _kind(message: str) -> str:
    """A log message with its particulars blanked, so lines of one kind count together."""
    message = re.sub(r"\([^()]*(\([^()]*\)[^()]*)*\)", "(…)", message)
    message = re.sub(r"'[^']*'", "'…'", message)
    return re.sub(r"\d+(\.\d+)?", "N", message)[:120]

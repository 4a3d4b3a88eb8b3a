"""The floor comparison: the real bot against a bare PTB bot that makes the same calls per tap.

Run by hand from the project root, never as a timed test:

    python3 bench/floor.py --learners 30
    python3 bench/floor.py --learners 200

Both run in this process against the same fake Bot API server (tests/fake_telegram.py), which
answers each call the bots make after a simulated network latency (--latency, 100 ms), while N
learners take step 4 side by side: even ones right first time, odd ones missing everything
(each question missed twice, its check question missed, then skipped). Runs alternate
(bot, floor, floor, bot, ...), --rounds of each, --seconds long, each on a fresh server (and
for the bot a fresh SQLite file).

- **the bot**: the composition root via tests/harness.running_bot, its SQLite file, and
  production pacing per private chat (Config.chat_pace 1.0 s: a burst of 3, then one a second).
- **the floor** (bench/bare_bot.py): a bare PTB Application, concurrent updates and PTB's
  AIORateLimiter, no database; for each tap the very calls the bot made for it (recorded from the
  bot once, at the start), with the same texts and buttons.

A learner reads each message for --think seconds (5 s, 0.5-1.5x at random) before tapping, as a
quick reader would; --think 0 taps flat out. Times are taken at the server from the moment a tap
is queued: the **first response** is the tap's answerCallbackQuery landing, the **last
response** the tap's last flood-limited call landing (sendMessage or editMessage* to the chat;
answerCallbackQuery does not count against a chat's flood limit). The latency is added to every
call but getUpdates (the fake answers a waiting long poll at once, on both sides). Taps started
in the first --warmup seconds are left out; taps still in flight at the end are waited for.

Writes its own section of bench/RESULTS.md (one subsection per learner count), leaving the
other sections as they are. `--chat-burst N` is a what-if (printed, never written): the bot
with a private chat's burst of N at the same pace, patched into its limiter for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import math
import os
import platform
import random
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import telegram

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bare_bot import Call as Shown
from bench.bare_bot import Script, Shape, running_floor
from bot.telegram import app as app_module
from tests import harness
from tests.fake_telegram import Call, FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
FLOOD_LIMITED = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})
WATCHED = FLOOD_LIMITED | {"answerCallbackQuery"}
QUESTIONS = 3  # in step 4
OVERALL_LIMIT = 30  # calls/s with a chat_id: PTB's AIORateLimiter, on both sides
PATHS: dict[str, tuple[str, ...]] = {
    # "=x" taps the answer with option id x (step 4's right ones are b, a, a); anything else the
    # button whose label contains it. A check question's "d" is "I'm not sure". An answer goes
    # straight on (the feedback edited into the question, what follows in one message): a miss,
    # the question again; a second miss, the repair and the check; the check missed, the check
    # again; skipped, on to the next question (after the last, the step's end).
    "right": ("Step 4", "=b", "=a", "=a"),
    "miss": ("Step 4", *("=c", "=d", "=d", "Skip") * QUESTIONS),
}
SECTION = "## Floor: the bot against a bare PTB bot"
RESULTS = ROOT / "bench" / "RESULTS.md"
TAP_TIMEOUT = 120.0  # seconds a learner waits for a tap's last response before giving up


class WatchedTelegram(FakeTelegram):
    """The fake server, telling each learner of the calls to its chat as they land: no polling."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._bench_loop = loop
        self._watchers: dict[int, asyncio.Queue[Call]] = {}
        self._query_chat: dict[str, int] = {}

    def watch(self, chat_id: int) -> asyncio.Queue[Call]:
        self._watchers[chat_id] = queue = asyncio.Queue()
        return queue

    def forget(self, chat_id: int) -> None:
        self._watchers.pop(chat_id, None)

    def tap_data(self, user_id: int, message_id: int, data: str) -> None:
        # The bot runs on the caller's loop: it cannot answer before the caller yields.
        self._query_chat[self.tap(user_id, message_id, data)] = user_id

    def _record(self, method: str, params: dict, error: Any = None, excused: bool = False,
                **kwargs: Any) -> Call:  # fmt: skip
        call = super()._record(method, params, error, excused, **kwargs)
        if call.status == 200 and method in WATCHED:
            chat = params.get("chat_id")
            if method == "answerCallbackQuery":
                chat = self._query_chat.get(params.get("callback_query_id", ""))
            queue = self._watchers.get(chat) if isinstance(chat, int) else None
            if queue is not None:
                self._bench_loop.call_soon_threadsafe(queue.put_nowait, call)
        return call


@dataclass
class Tap:
    path: str
    number: int  # which tap of the path
    at: float  # queued at the server (time.time(), as the server stamps calls)
    answer: Call  # answerCallbackQuery
    calls: list[Call]  # the flood-limited ones, in order

    @property
    def first(self) -> float:
        return self.answer.time - self.at

    @property
    def last(self) -> float:
        return max(c.time for c in self.calls) - self.at

    @property
    def done(self) -> float:
        return self.at + self.last


@dataclass
class Side:
    """What a learner needs to know of the bot it talks to."""

    kind: str
    start: Callable[[str], str]  # the /start text for a path
    choose: Callable[[list[list[tuple[str, str]]], str], str]  # buttons, selector → data
    errors: list[BaseException]


def choose_real(rows: list[list[tuple[str, str]]], selector: str) -> str:
    buttons = [b for row in rows for b in row]
    if selector.startswith("="):
        found = [d for _, d in buttons if d.startswith("a:") and d.endswith(":" + selector[1:])]
    else:
        found = [d for label, d in buttons if selector in label]
    assert found, (selector, buttons)
    return found[0]


def choose_floor(rows: list[list[tuple[str, str]]], _selector: str) -> str:
    return rows[0][0][1]  # every button leads to the path's next tap


@asynccontextmanager
async def real_bot(
    tg: FakeTelegram, tmp: Path, settings: dict[str, Any], burst: int | None = None
) -> AsyncIterator[Side]:
    """The bot through the harness, with `settings` replacing the harness's test settings, and
    for a what-if (`burst`) a private chat's burst patched into its limiter, same pace."""
    made_for_tests, limiter = harness.config_for, app_module.RetryingRateLimiter

    def config_for(server: FakeTelegram, db_path: Path) -> Any:
        return dataclasses.replace(made_for_tests(server, db_path), **settings)

    class WhatIf(limiter):  # type: ignore[valid-type, misc]
        def __init__(self, *, private_period: float, **kwargs: Any):
            pace = private_period / limiter.__init__.__kwdefaults__["private_burst"]
            super().__init__(private_burst=burst, private_period=burst * pace, **kwargs)

    harness.config_for = config_for
    if burst is not None:
        app_module.RetryingRateLimiter = WhatIf
    try:
        async with harness.running_bot(tg, tmp / "tutor.db") as bot:
            yield Side("bot", lambda _path: "/start neural-networks", choose_real, bot.errors)
    finally:
        harness.config_for, app_module.RetryingRateLimiter = made_for_tests, limiter


@asynccontextmanager
async def floor_bot(tg: FakeTelegram, script: Script, poll_timeout: int) -> AsyncIterator[Side]:
    async with running_floor(tg.base_url, tg.token, script, poll_timeout) as app:
        errors = app.bot_data["errors"]
        yield Side("floor", lambda path: f"/start {path}", choose_floor, errors)
    assert errors == [], errors


def buttons_of(call: Call) -> list[list[tuple[str, str]]]:
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard") or []
    return [[(b["text"], b.get("callback_data", "")) for b in row] for row in rows]


async def until_shown(queue: asyncio.Queue[Call]) -> tuple[Call | None, list[Call]]:
    """The calls one tap (or /start) causes, up to the message with buttons that ends each."""
    answer, calls = None, []
    while True:
        call = await asyncio.wait_for(queue.get(), TAP_TIMEOUT)
        if call.method == "answerCallbackQuery":
            answer = call
            continue
        calls.append(call)
        if call.method == "sendMessage" and buttons_of(call):
            return answer, calls


@dataclass
class Learners:
    tg: WatchedTelegram
    side: Side
    think: float
    end: float  # time.monotonic() after which no tap starts
    seed: int
    taps: list[Tap] = field(default_factory=list)
    starts: dict[str, Call] = field(default_factory=dict)  # what /start showed, per path
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10_000))

    async def slot(self, slot: int) -> None:
        """One learner after another in this slot, each taking the slot's path from /start."""
        path = list(PATHS)[slot % len(PATHS)]
        rng = random.Random(f"{self.seed}:{slot}")
        await asyncio.sleep(rng.uniform(0, self.think))  # don't all start at once
        while time.monotonic() < self.end:
            await self.play(next(self.ids), path, rng)

    async def play(self, user: int, path: str, rng: random.Random) -> None:
        tg = self.tg
        queue = tg.watch(user)
        tg.add_user(user, f"L{user}")
        tg.send_text(user, self.side.start(path))
        _, calls = await until_shown(queue)
        self.starts[path] = calls[-1]
        for number, selector in enumerate(PATHS[path]):
            if self.think:  # reading, unless the run ends first
                reading = self.think * rng.uniform(0.5, 1.5)
                await asyncio.sleep(min(reading, max(0.0, self.end - time.monotonic())))
            if time.monotonic() >= self.end:
                break
            message_id = calls[-1].result["message_id"]
            data = self.side.choose(buttons_of(calls[-1]), selector)
            at = time.time()
            tg.tap_data(user, message_id, data)
            answer, calls = await until_shown(queue)
            assert answer is not None, f"tap {number} of {path} was not answered"
            self.taps.append(Tap(path, number, at, answer, calls))
        tg.forget(user)


@dataclass
class Run:
    kind: str
    taps: list[Tap]  # those measured: started after the warm-up
    seconds: float  # the measured window
    done_in_window: int
    calls_in_window: int  # flood-limited calls landed, every chat

    @property
    def taps_per_second(self) -> float:
        return self.done_in_window / self.seconds

    @property
    def calls_per_second(self) -> float:
        return self.calls_in_window / self.seconds


async def run_side(
    kind: str, args: argparse.Namespace, script: Script | None, *, calibrating: bool = False
) -> tuple[Run, Learners]:
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory() as tmp, WatchedTelegram(loop) as tg:
        if not calibrating:
            for method in WATCHED:
                tg.delay(method, args.latency)
        settings: dict[str, Any] = {}
        if not calibrating:  # the harness's fast pacing and sweeps suit tests, not a bench
            settings = {"chat_pace": args.chat_pace, "reminder_sweep": 60.0}
            settings["poll_timeout"] = args.poll_timeout
        side_cm = (
            real_bot(tg, Path(tmp), settings, None if calibrating else args.chat_burst)
            if kind == "bot"
            else floor_bot(tg, script, args.poll_timeout)  # type: ignore[arg-type]
        )
        async with side_cm as side:
            if calibrating:
                learners = Learners(tg, side, 0.0, math.inf, args.seed)
                for path in PATHS:
                    await learners.play(next(learners.ids), path, random.Random(0))
                return Run(kind, learners.taps, 1.0, len(learners.taps), 0), learners
            started = time.time()
            learners = Learners(tg, side, args.think, time.monotonic() + args.seconds, args.seed)
            await asyncio.gather(*(learners.slot(n) for n in range(args.learners)))
            assert side.errors == [], side.errors
        assert tg.refusals == [], tg.dump()
        landed = [c.time for c in tg.calls if c.method in FLOOD_LIMITED and c.status == 200]
    window = (started + args.warmup, started + args.seconds)
    measured = [t for t in learners.taps if window[0] <= t.at < window[1]]
    done = sum(1 for t in learners.taps if window[0] <= t.done < window[1])
    calls = sum(1 for moment in landed if window[0] <= moment < window[1])
    return Run(kind, measured, window[1] - window[0], done, calls), learners


# ---------------------------------------------------------------- the floor's script


def shape_of(tap: Tap) -> Shape:
    shown = []
    for call in tap.calls:
        p = call.params
        if call.method == "sendMessage":
            labels = tuple(tuple(label for label, _ in row) for row in buttons_of(call))
            shown.append(Shown("send", p["text"], labels))
        elif call.method == "editMessageText":
            assert p["message_id"], p  # the tapped message: its answer's feedback added
            labels = tuple(tuple(label for label, _ in row) for row in buttons_of(call))
            shown.append(Shown("edit", p["text"], labels))
        else:
            assert "reply_markup" not in p, p  # editMessageReplyMarkup: buttons dropped
            shown.append(Shown("drop_buttons"))
    answer = tap.answer.params
    return Shape(answer.get("text"), bool(answer.get("show_alert")), tuple(shown))


async def record_script(args: argparse.Namespace) -> tuple[Script, dict[str, list[int]]]:
    """Each path once through the real bot, no latency: the calls each tap makes, as a script."""
    run, learners = await run_side("bot", args, None, calibrating=True)
    taps = {path: tuple(shape_of(t) for t in run.taps if t.path == path) for path in PATHS}
    start = {}
    for path, call in learners.starts.items():
        labels = tuple(tuple(label for label, _ in row) for row in buttons_of(call))
        start[path] = Shown("send", call.params["text"], labels)
    return Script(start, taps), calls_per_tap(run.taps)


def calls_per_tap(taps: list[Tap]) -> dict[str, list[int]]:
    return {path: [len(t.calls) for t in taps if t.path == path] for path in PATHS}


# ---------------------------------------------------------------- figures


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Figures:
    taps_per_second: float
    calls_per_second: float  # flood-limited, every chat (/start's menus too)
    first: tuple[float, float]  # p50, p99 (seconds)
    last: tuple[float, float]
    last_right: tuple[float, float]
    last_miss: tuple[float, float]
    pickup: float  # mean: tap queued → answer landed, less one latency
    waiting: float  # mean: between the answer and the last call, beyond one latency per call
    calls: int  # flood-limited calls measured
    taps: int
    per_tap: dict[str, float]  # flood-limited calls per tap, per path (one whole path)
    per_question: dict[str, float]

    @classmethod
    def of(cls, runs: list[Run], paths: dict[str, list[int]], latency: float) -> Figures:
        taps = [t for run in runs for t in run.taps]

        def p(values: list[float]) -> tuple[float, float]:
            return (pct(values, 0.5), pct(values, 0.99)) if values else (math.nan, math.nan)

        return cls(
            taps_per_second=statistics.mean(run.taps_per_second for run in runs),
            calls_per_second=statistics.mean(run.calls_per_second for run in runs),
            first=p([t.first for t in taps]),
            last=p([t.last for t in taps]),
            last_right=p([t.last for t in taps if t.path == "right"]),
            last_miss=p([t.last for t in taps if t.path == "miss"]),
            pickup=statistics.mean(t.first - latency for t in taps),
            waiting=statistics.mean(t.last - t.first - len(t.calls) * latency for t in taps),
            calls=sum(len(t.calls) for t in taps),
            taps=len(taps),
            per_tap={path: sum(n) / len(n) for path, n in paths.items()},
            per_question={path: sum(n) / QUESTIONS for path, n in paths.items()},
        )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 else "—"


def tables(bot: Figures, floor: Figures, runs: list[Run]) -> str:
    head = (
        "| | taps/s | calls/s | first p50 | first p99 | last p50 | last p99 "
        "| calls/tap right | calls/tap miss | calls/question right | calls/question miss |"
    )
    lines = [head, "|" + "---|" * 11]
    for name, f in (("bot", bot), ("floor", floor)):
        lines.append(
            f"| {name} | {f.taps_per_second:.1f} | {f.calls_per_second:.1f} "
            f"| {ms(f.first[0])} | {ms(f.first[1])} "
            f"| {ms(f.last[0])} | {ms(f.last[1])} | {f.per_tap['right']:.2f} "
            f"| {f.per_tap['miss']:.2f} | {f.per_question['right']:.1f} "
            f"| {f.per_question['miss']:.1f} |"
        )
    lines.append(
        f"| bot / floor | {ratio(bot.taps_per_second, floor.taps_per_second)} "
        f"| {ratio(bot.calls_per_second, floor.calls_per_second)} "
        f"| {ratio(bot.first[0], floor.first[0])} | {ratio(bot.first[1], floor.first[1])} "
        f"| **{ratio(bot.last[0], floor.last[0])}** | **{ratio(bot.last[1], floor.last[1])}** "
        f"| {ratio(bot.per_tap['right'], floor.per_tap['right'])} "
        f"| {ratio(bot.per_tap['miss'], floor.per_tap['miss'])} "
        f"| {ratio(bot.per_question['right'], floor.per_question['right'])} "
        f"| {ratio(bot.per_question['miss'], floor.per_question['miss'])} |"
    )
    lines += [
        "",
        "| where a tap's time goes | last p50 right | last p99 right | last p50 miss "
        "| last p99 miss | pickup (mean) | waiting (mean) | taps measured |",
        "|" + "---|" * 8,
    ]
    for name, f in (("bot", bot), ("floor", floor)):
        lines.append(
            f"| {name} | {ms(f.last_right[0])} | {ms(f.last_right[1])} | {ms(f.last_miss[0])} "
            f"| {ms(f.last_miss[1])} | {ms(f.pickup)} | {ms(f.waiting)} | {f.taps} |"
        )
    lines += ["", "Runs in order: " + ", ".join(
        f"{r.kind} {r.taps_per_second:.1f} taps/s, last p50 "
        f"{ms(pct([t.last for t in r.taps], 0.5)) if r.taps else '—'}"
        for r in runs
    ) + "."]  # fmt: skip
    return "\n".join(lines)


def verdict(bot: Figures, floor: Figures) -> str:
    p50, p99 = bot.last[0] / floor.last[0], bot.last[1] / floor.last[1]
    held = "holds" if max(p50, p99) <= 2 else "does not hold"
    out = f"Target (last response ≤ 2× the floor, p50 and p99): {held} ({p50:.2f}×, {p99:.2f}×)."
    if min(bot.calls_per_second, floor.calls_per_second) >= 0.9 * OVERALL_LIMIT:
        out += (
            f" Both sides send at AIORateLimiter's overall limit ({OVERALL_LIMIT} calls/s):"
            " the time is spent waiting for it, on both sides alike."
        )
    return out


# ---------------------------------------------------------------- bench/RESULTS.md


def revision() -> str:
    """The commit measured, and whether bot/ differed from it (others may be editing it)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "bot"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "commit unknown"
    return f"commit {head or 'unknown'}" + (" with bot/ modified" if dirty else "")


def machine() -> str:
    model = platform.processor() or platform.machine()
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"python-telegram-bot {telegram.__version__}"
    )


INTRO = f"""{SECTION}

`bench/floor.py` (its docstring says how): the real bot and a bare PTB bot (`bench/bare_bot.py`:
concurrent updates, `AIORateLimiter`, the same calls per tap, no database) against the same fake
Bot API server with simulated latency, learners side by side, runs alternating. *First* is a
tap's `answerCallbackQuery` landing, *last* its last flood-limited call (sendMessage or
editMessage* to the chat) landing, both from the moment the tap was queued. Calls per question:
every flood-limited call from opening step 4 to its summary, over its 3 questions. *Pickup*:
first response less one latency (getUpdates, and for the bot what it saves before answering);
*waiting*: the time between the answer and the last call beyond one latency per call (rate
limiters, the event loop).
"""


def write_section(learners: int, body: str) -> None:
    """Replace this learner count's subsection of our section; touch nothing else."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Bench results\n"
    start = text.find(SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + INTRO
        start = text.find(SECTION + "\n")
    after = re.search(r"^## ", text[start + len(SECTION) :], re.MULTILINE)
    end = start + len(SECTION) + after.start() if after else len(text)
    ours = text[start:end]
    subsections = dict(
        (int(m[1]), m[0].rstrip("\n") + "\n")
        for m in re.finditer(r"^### (\d+) learners\n.*?(?=^### |\Z)", ours, re.M | re.S)
    )
    subsections[learners] = body.rstrip("\n") + "\n"
    new = INTRO + "".join("\n" + subsections[n] for n in sorted(subsections))
    text = text[:start] + new + ("\n" + text[end:].lstrip("\n") if end < len(text) else "")
    tmp = RESULTS.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, RESULTS)


# ---------------------------------------------------------------- main


async def main(args: argparse.Namespace) -> str:
    began, code = time.monotonic(), revision()  # what was imported, before others change it
    script, bot_paths = await record_script(args)
    floor_run, _ = await run_side("floor", args, script, calibrating=True)
    floor_paths = calls_per_tap(floor_run.taps)
    assert floor_paths == bot_paths, ("the floor must make the bot's calls", bot_paths, floor_paths)
    sequence = "; ".join(f"{path} {' '.join(map(str, n))}" for path, n in bot_paths.items())
    print(f"[{time.monotonic() - began:5.1f}s] flood-limited calls per tap, {sequence}", flush=True)
    runs: list[Run] = []
    for round_ in range(args.rounds):
        for kind in ("bot", "floor") if round_ % 2 == 0 else ("floor", "bot"):
            run, _ = await run_side(kind, args, script)
            runs.append(run)
            odd = [t for t in run.taps if len(t.calls) != bot_paths[t.path][t.number]]
            assert not odd, f"{kind}: {len(odd)} taps made other calls than recorded"
            last = pct([t.last for t in run.taps], 0.5) if run.taps else math.nan
            print(
                f"[{time.monotonic() - began:5.1f}s] {kind:5}: {len(run.taps)} taps, "
                f"{run.taps_per_second:.1f} taps/s, last p50 {ms(last)}",
                flush=True,
            )
    bot = Figures.of([r for r in runs if r.kind == "bot"], bot_paths, args.latency)
    floor = Figures.of([r for r in runs if r.kind == "floor"], floor_paths, args.latency)
    settings = (
        f"{args.learners} learners (half right first time, half missing everything), "
        f"{args.rounds} rounds of {args.seconds:g} s each side ({args.warmup:g} s warm-up), "
        f"think {args.think:g} s, latency {args.latency * 1000:.0f} ms per call, "
        f"the bot's chat pace {args.chat_pace:g} s"
    )
    return "\n".join([
        f"### {args.learners} learners",
        "",
        f"`python3 bench/floor.py {shlex.join(sys.argv[1:])}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {code}: {machine()}. {settings}.",
        "",
        tables(bot, floor, runs),
        "",
        f"Flood-limited calls per tap, in order along each path: {sequence}.",
        "",
        verdict(bot, floor),
    ])  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument(
        "--seconds",
        type=float,
        help="per run, before the drain (default 25, 15 above 100 learners: under 3 min in all)",
    )
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds not measured")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side, alternating")
    parser.add_argument("--think", type=float, default=5.0, help="seconds a learner reads")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per call")
    parser.add_argument("--chat-pace", type=float, default=1.0, help="the bot's Config.chat_pace")
    parser.add_argument("--poll-timeout", type=int, default=10, help="getUpdates, both sides")
    parser.add_argument(
        "--chat-burst",
        type=int,
        help="what-if: the bot's burst per private chat, at the same pace (not written)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    arguments = parser.parse_args()
    if arguments.seconds is None:
        arguments.seconds = 25.0 if arguments.learners <= 100 else 15.0
    report = asyncio.run(main(arguments))
    print()
    print(report)
    if not arguments.no_write and arguments.chat_burst is None:
        write_section(arguments.learners, report)
        print(f"\nwritten to {RESULTS.relative_to(ROOT)} ({SECTION[3:]})")

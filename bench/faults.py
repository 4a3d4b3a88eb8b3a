"""The large fault run, by hand: many learners play the course against the real bot process
(`python -m bot`) while the fake Bot API injects faults at random and the bot is killed -9 and
restarted; then the figures (defined in `tests/faultrun.py`, `Figures`).

    python3 bench/faults.py --learners 40 --updates 3000 --kills 10 --seed 1

It stops by itself: the learners stop after --time-limit seconds (default 450) however far they
got, then the final /continue check (at most 30 s) and a clean stop. Exit status 1 when a goal
is missed (lost or doubled updates, answers lost, no way forward, unhandled exceptions, ...).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faultrun import CHAOS_KINDS, Settings, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--updates", type=int, default=3000, help="updates sent in all")
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLs of the bot, each restarted")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.05, help="chaos rate per Telegram call")
    parser.add_argument("--duplicates", type=float, default=0.03, help="share of updates doubled")
    parser.add_argument("--time-limit", type=float, default=450.0, help="seconds of playing")
    parser.add_argument("--workdir", type=Path, help="keep the database and bot.log here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args()
    if args.workdir and args.workdir.exists() and any(args.workdir.iterdir()):
        parser.error(f"{args.workdir} is not empty")
    started = time.monotonic()

    def progress(text: str) -> None:
        if not args.quiet:
            print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)

    settings = Settings(
        learners=args.learners,
        updates=args.updates,
        kills=args.kills,
        seed=args.seed,
        chaos_rate=args.rate,
        chaos_kinds=CHAOS_KINDS,
        duplicate_rate=args.duplicates,
        time_limit=args.time_limit,
        workdir=args.workdir,
        progress=progress,
    )
    progress(
        f"{args.learners} learners, {args.updates} updates, {args.kills} kills, seed {args.seed}, "
        f"chaos {args.rate:.0%}"
    )
    figures = run(settings)
    print(figures.table())
    failed = figures.failed()
    print("all goals met" if not failed else "goals missed: " + "; ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

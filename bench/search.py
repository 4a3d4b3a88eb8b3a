"""How long `/topic` search takes: building the index (bot/content/search.py) at start-up, and
one search, for the shipped library and for a synthetic one of 100 courses x 4 steps.

Run by hand from the project root, never as a timed test:

    python3 bench/search.py --runs 50

The synthetic courses are copies of the shipped neural-networks course (4 steps, its real text)
under new ids, each with a word of its own in the course and step titles, so 400 steps of the
shipped size; indexing them is what start-up would do with 100 courses a model wrote. Each
figure is the median of --runs (min and max beside it), timed with perf_counter in this process;
the content is loaded once beforehand, as the bot loads it before building the index. Prints
only: nothing is written to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.content import Course, Library
from bot.content.checks import load_checked
from bot.content.search import Index

CONTENT = Path(__file__).resolve().parents[1] / "content"
QUERIES = [
    "gradient",
    "how does a neural network learn",
    "rule of 72",
    "sourdough",
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda gradient",  # 12 terms
    "gradient " + "x" * 5000,
]


def synthetic(library: Library, courses: int) -> Library:
    base = library.course("neural-networks")
    assert base is not None
    made: list[Course] = []
    for n in range(courses):
        word = f"topic{n}"
        steps = tuple(s.model_copy(update={"title": f"{s.title} ({word})"}) for s in base.steps)
        made.append(replace(base, id=f"nn-{n}", title=f"{base.title}: {word}", steps=steps))
    return Library(tuple(made))


def timed(action: Callable[[], object], runs: int) -> str:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return f"{statistics.median(times):7.3f} ms (min {min(times):.3f}, max {max(times):.3f})"


def report(name: str, library: Library, extra: Course, runs: int) -> None:
    steps = sum(len(c.steps) for c in library.courses)
    print(f"{name}: {len(library.courses)} courses, {steps} steps")
    print(f"  build          {timed(lambda: Index(library).close(), runs)}")
    index = Index(library)
    for query in QUERIES:
        label = query if len(query) <= 40 else f"{query[:37]}..."
        hits = len(index.search(query))
        print(
            f"  search {label!r:44} {timed(lambda q=query: index.search(q), runs)}  {hits} hit(s)"
        )

    def add_remove() -> None:
        index.add(extra)
        index.remove("extra")

    print(f"  add + remove a course  {timed(add_remove, runs)}")
    index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--courses", type=int, default=100)
    args = parser.parse_args()
    shipped = load_checked(CONTENT)
    extra = replace(synthetic(shipped, 1).courses[0], id="extra")
    report("shipped", shipped, extra, args.runs)
    report("synthetic", synthetic(shipped, args.courses), extra, args.runs)


if __name__ == "__main__":
    main()

"""Finding the lesson for what a learner types (`/topic gradient`, `/topic rule of 72`).

One SQLite FTS5 table in memory, one row per step, built once at start-up from the library and
kept in step as courses a language model writes are added or removed. FTS5 rather than a
hand-made scorer: bm25 with per-column weights, porter stemming ("learns" finds "learning") and
accent folding come with the stdlib's sqlite3, and a whole library indexes in milliseconds.

The learner's text never reaches MATCH as written: FTS5's query language gives `"`, `*`, `:`,
`(`, `-`, `NEAR`, `AND`, `OR` and `NOT` meanings, so raw text would be a syntax error (or
another query) for ordinary input. Only words are kept, each quoted as a phrase of its own.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from dataclasses import dataclass, replace

from bot.content.schema import Course, Library, Step

MAX_TERMS = 12
"""A topic is a few words; more would only slow the search and blur the ranking."""
PREFIX_MIN = 4
"""Terms this long also match as prefixes ("compound" finds "compounding"); shorter ones
("72", "net") would match too much that way, so they must match whole."""
MIN_SHARE_OF_BEST = 1 / 3
"""A match scores at least this share of the best match (see `Index.search`)."""

STOPWORDS = frozenset(
    """
    a about all an and any are as at be been but by can could did do does doing explain for
    from get give had has have help how i if in into is it its know learn me more my of on or
    please show some tell than that the their them then there these this those to topic
    understand us want was we what when where which who why will with work works would you your
    no not
    """.split()  # noqa: SIM905 (a word list reads better as words than as 80 quoted strings)
)
"""Words that say how a learner asks rather than what about ("how do I learn about …"). Only
these forms: "learning" stays a term, since "learning rate" is a topic."""

_WORD = re.compile(r"[^\W_]+")
"""Letters and digits (`\\w` without `_`): only characters FTS5's unicode61 tokenizer keeps in
a token, so a quoted term can hold nothing the query language would read."""

_COLUMNS = ("course_title", "step_title", "intro", "questions", "closing")
_WEIGHTS = (2.0, 8.0, 1.0, 1.0, 1.0)
"""How much a term found in each column counts. The step title says what a step is about;
the course title is shared by all its steps, so it tells courses apart, not steps."""
_PER_COLUMN = ", ".join(
    "-bm25(steps, 0, 0, " + ", ".join("1" if j == i else "0" for j in range(len(_COLUMNS))) + ")"
    for i in range(len(_COLUMNS))
)
"""bm25 once per column (the others weighted 0), so a title counts on its own (see `_scores`)."""


@dataclass(frozen=True, slots=True)
class Match:
    """A step that answers the learner's topic. `score` is higher for a better match and means
    something only against the other matches of the same search."""

    course_id: str
    step: int
    course_title: str
    step_title: str
    score: float


def terms(text: str) -> list[str]:
    """The meaningful words of `text`, casefolded, once each, in order, at most MAX_TERMS.

    Lazy over the text, so a very long message costs no more than its first dozen words.
    """
    found: list[str] = []
    for word in _WORD.finditer(text):
        term = word.group().casefold()
        if term not in STOPWORDS and term not in found:
            found.append(term)
            if len(found) == MAX_TERMS:
                break
    return found


def phrase(term: str) -> str:
    """One term as an FTS5 query: quoted (a term is letters and digits, so it holds no `"`),
    with `*` for a prefix when long enough. `" OR ".join` of these is the whole query."""
    return f'"{term}"*' if len(term) >= PREFIX_MIN else f'"{term}"'


def _step_columns(course: Course, step: Step) -> tuple[str, ...]:
    """A step's text, split into the columns that are weighted differently."""
    asked: list[str] = []
    for question in step.questions:
        asked += [question.prompt, *(option.text for option in question.options)]
        if question.another_way:
            asked.append(question.another_way)
        if question.check is not None:
            asked += [question.check.prompt, *(option.text for option in question.check.options)]
    return (
        course.title,
        step.title,
        step.intro,
        "\n".join(asked),
        f"{step.takeaway}\n{step.pattern}",
    )


class Index:
    """Every course's steps, searchable by what a learner types.

    Built once from a `Library` (its authored courses and any already written); `add` and
    `remove` follow the courses a language model writes later. One in-memory SQLite connection,
    used under a lock, so a search from another thread is safe too.
    """

    def __init__(self, library: Library) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute(
            f"CREATE VIRTUAL TABLE steps USING fts5(course_id UNINDEXED, step UNINDEXED, "
            f"{', '.join(_COLUMNS)}, tokenize='porter unicode61 remove_diacritics 2')"
        )
        with self._lock, self._db:
            for course in (*library.courses, *library.written.values()):
                self._insert(course)

    def add(self, course: Course) -> None:
        """Index a course (one just written for a learner). A course already indexed under the
        same id is replaced, so a rewritten course is never found twice."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM steps WHERE course_id = ?", (course.id,))
            self._insert(course)

    def remove(self, course_id: str) -> None:
        """Stop finding a course; an id never indexed is no error."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM steps WHERE course_id = ?", (course_id,))

    def _insert(self, course: Course) -> None:
        self._db.executemany(
            f"INSERT INTO steps VALUES (?, ?{', ?' * len(_COLUMNS)})",
            ((course.id, step.number, *_step_columns(course, step)) for step in course.steps),
        )

    def search(self, text: str, limit: int = 3) -> list[Match]:
        """The steps that answer `text`, best first, at most `limit`; [] when none is good.

        Offering the nearest step to a topic the library does not teach would be noise, so a
        step is a match only when all three hold (a term "is in" a step when it, stemmed or as
        a prefix, occurs in any of its columns):
        - it holds at least half of the query's terms, rounded up ("compound interest": one);
        - its course holds, across its steps, as many of the terms as any course does: for
          "learning rate" the course that has both, not the one that only says "rate";
        - it scores at least MIN_SHARE_OF_BEST of the best match: a step about the topic is not
          padded out with steps that merely mention it.
        A search of stopwords only, or of no words at all, is no query: [].
        """
        query = terms(text)
        if not query or limit <= 0:
            return []
        matches: dict[int, Match] = {}  # rowid -> the step, its score summed over terms
        held: dict[int, int] = {}  # rowid -> how many of the terms the step holds
        course_terms: dict[str, int] = {}  # course id -> how many terms its steps hold
        with self._lock:
            rows = self._db.execute("SELECT count(*) FROM steps").fetchone()[0]
            for term in query:
                courses: set[str] = set()
                for rowid, match in self._scores(term, rows):
                    prior = matches.get(rowid)
                    matches[rowid] = (
                        replace(match, score=prior.score + match.score) if prior else match
                    )
                    held[rowid] = held.get(rowid, 0) + 1
                    courses.add(match.course_id)
                for course_id in courses:
                    course_terms[course_id] = course_terms.get(course_id, 0) + 1
        needed, widest = math.ceil(len(query) / 2), max(course_terms.values(), default=0)
        good = sorted(
            (
                (rowid, match)
                for rowid, match in matches.items()
                if held[rowid] >= needed and course_terms[match.course_id] == widest
            ),
            key=lambda pair: (-pair[1].score, pair[0]),
        )
        if not good:
            return []
        floor = good[0][1].score * MIN_SHARE_OF_BEST
        return [match for _, match in good if match.score >= floor][:limit]

    def _scores(self, term: str, rows: int) -> list[tuple[int, Match]]:
        """Every step holding `term`, with the term's share of its score.

        Why not FTS5's bm25 over the OR-ed terms as it stands: its idf, log((N-n+.5)/(n+.5)),
        is clamped to ~0 for a term in half the steps or more, which in a small library is most
        of the words worth typing ("gradient", "loss"); and its column weights multiply the
        term's frequency before it saturates, so a step title barely outweighs a word repeated
        in the questions. So each term is scored alone, bm25 per column (its saturation and
        length normalisation kept), divided by FTS5's own idf and multiplied by a smoothed,
        always positive one, log(1 + (N-n+.5)/(n+.5)); the columns are then weighted.
        """
        found = self._db.execute(
            "SELECT rowid, course_id, step, course_title, step_title, "
            f"{_PER_COLUMN} FROM steps WHERE steps MATCH ?",
            (phrase(term),),
        ).fetchall()
        n = len(found)
        fts_idf = math.log((rows - n + 0.5) / (n + 0.5))
        fts_idf = fts_idf if fts_idf > 0 else 1e-6  # as FTS5 clamps it
        idf = math.log(1 + (rows - n + 0.5) / (n + 0.5))
        scored = []
        for rowid, course_id, step, course_title, step_title, *per_column in found:
            tf = sum(w * s for w, s in zip(_WEIGHTS, per_column, strict=True)) / fts_idf
            scored.append((rowid, Match(course_id, step, course_title, step_title, idf * tf)))
        return scored

    def close(self) -> None:
        """Release the in-memory database (the bot keeps one index for its whole life)."""
        self._db.close()

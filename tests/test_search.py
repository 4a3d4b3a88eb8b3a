"""`/topic <words>` finds the step that teaches them (bot/content/search.py): the right steps of
the shipped courses for what a learner would type, nothing rather than noise for a topic the
library does not teach, and no text at all, however odd, that breaks the search."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content import Course, Library, Question, Step
from bot.content.search import MAX_TERMS, Index, Match, phrase, terms

NN, CI = "neural-networks", "compound-interest"


@pytest.fixture(scope="module")
def index(library: Library) -> Index:
    return Index(library)


def found(index: Index, text: str, limit: int = 3) -> list[tuple[str, int]]:
    return [(m.course_id, m.step) for m in index.search(text, limit)]


def test_gradient_finds_the_gradient_steps_and_nothing_about_money(index: Index) -> None:
    hits = found(index, "gradient")
    assert set(hits[:2]) == {(NN, 3), (NN, 4)}
    assert all(course == NN for course, _ in hits)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("rule of 72", (CI, 2)),
        ("learning rate", (NN, 4)),
        ("loss function", (NN, 2)),
        ("gradient descent", (NN, 4)),
        ("forward pass", (NN, 1)),
        ("Compounding", (CI, 1)),
    ],
)
def test_the_step_about_it_comes_first(index: Index, text: str, first: tuple[str, int]) -> None:
    assert found(index, text)[0] == first


@pytest.mark.parametrize(
    ("text", "course"),
    [
        ("compound interest", CI),
        ("rule of 72", CI),
        ("learning rate", NN),
        ("how does a neural network learn", NN),
        ("how do neural nets learn", NN),
        ("I want to learn about NEURAL NETWORKS", NN),
    ],
)
def test_every_match_is_from_the_course_about_it(index: Index, text: str, course: str) -> None:
    hits = found(index, text)
    assert hits
    assert {c for c, _ in hits} == {course}


def test_compound_interest_finds_both_of_its_steps(index: Index) -> None:
    assert sorted(found(index, "compound interest")) == [(CI, 1), (CI, 2)]


def test_a_match_names_its_step_and_the_best_comes_first(index: Index, library: Library) -> None:
    matches = index.search("how do neural nets learn")
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    for m in matches:
        course = library.course(m.course_id)
        assert course is not None
        step = course.step(m.step)
        assert step is not None
        assert (m.course_title, m.step_title) == (course.title, step.title)
        assert m.score > 0


@pytest.mark.parametrize(
    "text",
    [
        "sourdough",
        "quantum chromodynamics",
        "how do I bake sourdough bread",
        "French irregular verbs",
        "photosynthesis in plants",
    ],
)
def test_a_topic_the_library_does_not_teach_finds_nothing(index: Index, text: str) -> None:
    assert index.search(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "how do I learn about the",
        "what is it",
        "?!.,;:",
    ],
)
def test_no_words_worth_searching_is_no_query(index: Index, text: str) -> None:
    assert index.search(text) == []


ODD = [
    '"',
    '"gradient',
    "*",
    "gradient*",
    "NEAR",
    "NEAR(gradient descent, 2)",
    "AND OR NOT",
    "gradient AND",
    "'; DROP TABLE x; --",
    "'; DROP TABLE steps; --",
    "(",
    ")",
    "step_title: gradient",
    "-gradient",
    "^gradient",
    "{course_title} : loss",
    "🧠📈 gradient 🚀",
    "😀",
    "нейронные сети и градиент",
    "勾配降下法",
    "التعلم الآلي",
    "naïve Bayes, café",
    "snake_case_words __ _",
    "\x00\x01 gradient \ud800",
    "gradient " * 1000,
    "x" * 5000,
    " ".join(f"w{n}" for n in range(2000)),
]


@pytest.mark.parametrize("text", ODD)
def test_odd_text_never_raises(index: Index, text: str) -> None:
    matches = index.search(text)
    assert isinstance(matches, list)
    assert len(matches) <= 3
    assert all(isinstance(m, Match) for m in matches)


def test_text_meant_as_sql_or_fts_syntax_changes_nothing(index: Index) -> None:
    before = found(index, "gradient")
    for text in ODD:
        index.search(text)
    assert found(index, "gradient") == before
    assert found(index, "gradient AND NOT descent") == found(index, "gradient descent")


def test_terms_are_words_casefolded_without_stopwords_once_each_and_capped() -> None:
    assert terms("How do NEURAL nets learn?") == ["neural", "nets"]
    assert terms('"rule" of 72*') == ["rule", "72"]
    assert terms("Loss loss LOSS") == ["loss"]
    assert terms("Straße") == ["strasse"]
    assert terms("snake_case") == ["snake", "case"]
    assert len(terms(" ".join(f"word{n}" for n in range(100)))) == MAX_TERMS
    assert phrase("72") == '"72"'
    assert phrase("gradient") == '"gradient"*'


def test_limit_caps_the_matches(index: Index) -> None:
    assert len(index.search("neural network", limit=1)) == 1
    assert index.search("neural network", limit=0) == []


def _course(course_id: str, title: str, step_title: str, prompt: str) -> Course:
    options = [
        {"id": "a", "text": "Right", "verdict": "Exactly", "feedback": "Yes."},
        {"id": "b", "text": "Wrong", "verdict": "Not quite", "feedback": "No."},
    ]
    question = Question.model_validate({"id": "q", "prompt": prompt, "options": options})
    step = Step(
        number=1,
        title=step_title,
        intro="Flour, water, salt and time.",
        questions=[question],
        takeaway="Time does the work.",
        pattern="Wait for it.",
    )
    return Course(course_id, title, "A written course.", (step,), written_by="a model")


def test_a_course_added_later_is_found_and_a_removed_one_is_not(library: Library) -> None:
    index = Index(library)
    bread = _course("sourdough", "Baking sourdough bread", "The starter", "What feeds yeast?")
    index.add(bread)
    assert found(index, "sourdough") == [("sourdough", 1)]
    assert found(index, "how do I bake sourdough") == [("sourdough", 1)]
    assert found(index, "gradient")  # the authored courses are still found

    index.add(_course("sourdough", "Baking sourdough bread", "The levain", "Why wait?"))
    assert [m.step_title for m in index.search("sourdough")] == ["The levain"]  # replaced

    index.remove("sourdough")
    assert index.search("sourdough") == []
    index.remove("sourdough")  # twice, or an id never added: no error
    index.remove("no-such-course")
    assert found(index, "rule of 72")[0] == (CI, 2)


def test_courses_already_written_are_indexed_at_start_up(library: Library) -> None:
    bread = _course("sourdough", "Baking sourdough bread", "The starter", "What feeds yeast?")
    written = Library(library.courses, {"sourdough": bread})
    assert found(Index(written), "sourdough starter") == [("sourdough", 1)]


FTS_WORDS = ['"', "*", "NEAR", "AND", "OR", "NOT", "-", ":", "(", ")", "^", "{", "}", "'", ";"]
REAL_WORDS = ["gradient", "loss", "compound", "interest", "72", "rule", "the", "how", "learn"]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=300)
    | st.lists(st.sampled_from(FTS_WORDS + REAL_WORDS), max_size=20).map(" ".join)
    | st.lists(st.sampled_from(FTS_WORDS + REAL_WORDS), max_size=20).map("".join),
    limit=st.integers(min_value=0, max_value=6),
)
def test_any_text_at_all_gives_at_most_limit_steps_of_the_library(
    index: Index, library: Library, text: str, limit: int
) -> None:
    matches = index.search(text, limit)
    assert len(matches) <= limit
    for m in matches:
        course = library.course(m.course_id)
        assert course is not None
        assert course.step(m.step) is not None

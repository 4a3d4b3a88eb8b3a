"""A learner's own topic: what to offer for what they typed. Pure rules over plain values.

The order of preference is the learner's time: a lesson we wrote and checked by hand first; then
one a model already wrote on the same topic (at once, no waiting); then, where the operator
runs a model, the offer to write one; and otherwise an honest "not yet", with the request noted
for the operator. A topic the operator does not allow is never written about, and a learner
has a few written lessons a day, so one learner cannot spend the operator's model budget.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from bot.content.search import terms

WRITTEN = Path("written")
"""Where a written course's problems say they are (it has no files): `written/<course id>`."""
MAX_TEXT = 200
"""A topic is a few words: past this it is cut (the learner's words are stored and shown)."""


class Outcome(StrEnum):
    """What a request led to, as kept for the operator's "most requested topics"."""

    MATCHED = "matched"
    """Authored lessons were offered."""
    CACHED = "cached"
    """A lesson a model wrote earlier on the same topic was offered."""
    OFFERED = "offered"
    """The learner was offered a new lesson, written by the operator's model."""
    WRITING = "writing"
    WRITTEN = "written"
    FAILED = "failed"
    NOTED = "noted"
    """Nothing fits and there is no model: the request is all the operator gets."""
    BLOCKED = "blocked"
    LIMITED = "limited"
    """The learner had their written lessons for the day."""


def key(text: str) -> str:
    """The topic as a key: "How does sourdough work?" and "sourdough" are one topic (the words
    a search would look for, in the learner's order)."""
    return " ".join(terms(text))


def course_id(topic: str) -> str:
    """A written course's id: stable for the topic, a slug, and never an authored course's
    (those have no `w-` prefix by convention; a clash is refused when it is added)."""
    return "w-" + hashlib.sha256(topic.encode()).hexdigest()[:10]


def blocked(text: str, blocklist: frozenset[str]) -> bool:
    """Does what the learner typed hold a word or phrase the operator does not allow? Whole
    words, any case: a blocklist of "gun" blocks "gun safety", not "begun"."""
    padded = " " + " ".join(re.findall(r"\w+", text.casefold())) + " "
    return any(f" {phrase} " in padded for phrase in blocklist)


@dataclass(frozen=True)
class Situation:
    """Everything the decision needs, read once by the service."""

    topic: str
    matches: int
    """Authored steps that match well (`content.search`)."""
    cached: bool
    """A lesson a model wrote earlier on this topic is kept."""
    model: bool
    """The operator runs a language model."""
    blocked: bool
    written_today: int
    daily: int


def decide(s: Situation) -> Outcome:
    """What to offer for a request."""
    if s.matches:
        return Outcome.MATCHED
    if s.blocked:
        return Outcome.BLOCKED
    if s.cached:
        return Outcome.CACHED
    if not s.model:
        return Outcome.NOTED
    if s.written_today >= s.daily:
        return Outcome.LIMITED
    return Outcome.OFFERED


def may_write(s: Situation) -> Outcome:
    """The learner tapped "write it": still allowed? (The day's count may have moved on, or
    another learner's lesson on the topic been kept since the offer.)"""
    outcome = decide(replace(s, matches=0))
    return Outcome.WRITING if outcome is Outcome.OFFERED else outcome

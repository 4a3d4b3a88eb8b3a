"""One lesson file, read safely: parsed once, and nothing built before it is known to be safe.

Its YAML events are scanned first (refusing anchors and aliases, so an alias bomb costs no more
than its own size, and nesting too deep to build), then composed into one node tree that is
checked for duplicate keys and gives every field its line, and the data is constructed from that
tree. What reading found is kept per version of the file, for `path:line` reports.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

from bot.content.schema import Problem

MAX_FILE_BYTES = 1 << 20
"""A lesson file is a few kilobytes; anything near a mebibyte is a mistake, not a lesson."""
MAX_DEPTH = 20
"""A lesson nests six deep (step, questions, question, check, options, option); twenty is
plenty, and it keeps composing (which recurses) far from Python's and libyaml's stack limits."""

_PARSER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
"""Only ever used to parse events: libyaml's parser when PyYAML has it, which is much faster."""
NO_ANCHORS = (
    "is not allowed: lessons never need anchors (&name) or aliases (*name); "
    "write the text out in full"
)


@dataclass(frozen=True)
class Parsed:
    """One version of a lesson file, read once: its data (None when a problem stopped it), the
    line of every field in it (for `path:line` reports), and the problems found."""

    data: dict[str, Any] | None
    lines: dict[tuple, int]
    problems: tuple[Problem, ...] = ()


def read(path: Path) -> Parsed:
    """`path` read, checked and built, at most once for each version of the file on disk."""
    try:
        stat = path.stat()
    except OSError as exc:
        return Parsed(None, {}, (Problem(path, None, "", f"cannot read: {exc}"),))
    return _parse_version(path, stat.st_mtime_ns, stat.st_size, stat.st_ino)


@functools.lru_cache(maxsize=1024)
def _parse_version(path: Path, mtime_ns: int, size: int, inode: int) -> Parsed:
    """Keyed on the file's mtime, size and inode, so an edited file is read afresh."""
    del mtime_ns, inode  # only part of the cache key
    try:
        if size > MAX_FILE_BYTES:
            raise _Refused(None, f"file is {size} bytes; a lesson file is at most 1 MiB")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise _Refused(None, f"cannot read: {exc}") from None
        if len(raw) > MAX_FILE_BYTES:  # it grew since the stat
            raise _Refused(None, f"file is {len(raw)} bytes; a lesson file is at most 1 MiB")
        return _parse(path, raw)
    except _Refused as exc:
        return Parsed(None, {}, (Problem(path, exc.line, "", exc.message),))


class _Refused(Exception):
    """A file that cannot be read as a lesson at all: one problem, at a line when there is one."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line, self.message = line, message


def _parse(path: Path, raw: bytes) -> Parsed:
    """Decode, scan the YAML events (refusing anchors, aliases and deep nesting before any node
    exists), compose the one node tree, check its keys, and construct the data from it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        raise _Refused(line, message) from None
    builder = _Builder()
    try:
        builder.feed(_scan(text))
        node = builder.get_single_node()
        if node is None:
            raise _Refused(1, "the file is empty; expected a mapping of fields")
        if not isinstance(node, yaml.MappingNode):
            found = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
            raise _Refused(
                _line(node), f"expected a mapping of fields at the top level, found {found}"
            )
        lines: dict[tuple, int] = {(): _line(node)}
        duplicates = tuple(_duplicate_keys(path, node, (), lines))
        if duplicates:
            return Parsed(None, lines, duplicates)
        data = builder.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        if isinstance(exc, ConstructorError):  # a value such as `title: 2024-02-30`
            raise _Refused(line, f"YAML value: {exc.problem}") from None
        if isinstance(exc, ComposerError):  # with no aliases, only a second document
            raise _Refused(line, f"YAML: {exc.context}, {exc.problem}") from None
        raise _Refused(line, f"YAML syntax: {exc.problem or exc.context}") from None
    except yaml.reader.ReaderError:
        bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
        if bad is None:
            raise _Refused(None, "YAML cannot read this file") from None
        line = text.count("\n", 0, bad.start()) + 1
        message = f"character U+{ord(bad.group()):04X} is not allowed in YAML; remove it"
        raise _Refused(line, message) from None
    except yaml.YAMLError as exc:
        raise _Refused(None, f"YAML: {exc}") from None
    return Parsed(data, lines)


def _scan(text: str) -> list[yaml.Event]:
    """The file's YAML events, refusing any anchor or alias and any nesting beyond MAX_DEPTH.

    This is linear in the size of the file: events are what the parser sees, before an alias is
    resolved to what it names, so an alias bomb ("billion laughs") is refused at its first
    anchor instead of being expanded."""
    events: list[yaml.Event] = []
    depth = 0
    stream = yaml.parse(text, Loader=_PARSER)
    try:
        for event in stream:
            if isinstance(event, yaml.AliasEvent):
                raise _Refused(_line(event), f"YAML alias '*{event.anchor}' {NO_ANCHORS}")
            if getattr(event, "anchor", None):
                raise _Refused(_line(event), f"YAML anchor '&{event.anchor}' {NO_ANCHORS}")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    message = f"nested more than {MAX_DEPTH} levels deep; a lesson needs about 6"
                    raise _Refused(_line(event), message)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            events.append(event)
    finally:
        stream.close()
    return events


class _Builder(Composer, SafeConstructor, Resolver):
    """The pure-Python halves of `yaml.SafeLoader` (compose, construct), fed with the events
    `_scan` already parsed, so each file is parsed once."""

    def __init__(self) -> None:
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._events: deque[yaml.Event] = deque()

    def feed(self, events: list[yaml.Event]) -> None:
        self._events.extend(events)

    def check_event(self, *choices: type) -> bool:
        return bool(self._events) and (not choices or isinstance(self._events[0], choices))

    def peek_event(self) -> yaml.Event | None:
        return self._events[0] if self._events else None

    def get_event(self) -> yaml.Event | None:
        return self._events.popleft() if self._events else None

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value YAML cannot build (`title: 2024-02-30`, `!!int x`) as a problem at its line,
        never a traceback."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as exc:
            message = f"cannot read this value: {exc}"
            raise ConstructorError(None, None, message, node.start_mark) from None


def _duplicate_keys(
    path: Path, node: yaml.Node, loc: tuple[Any, ...], lines: dict[tuple, int]
) -> Iterator[Problem]:
    """A second key in any mapping (YAML would silently keep the second), at its line, while
    recording the line of every path in the tree (a mapping entry's is its key's line)."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            here = (*loc, key.value if isinstance(key, yaml.ScalarNode) else f"?{_line(key)}")
            if isinstance(key, yaml.ScalarNode):
                first = seen.get((key.tag, key.value))
                if first is not None:
                    message = f"duplicate key '{key.value}' (first at line {first})"
                    yield Problem(path, _line(key), field_name(here), message)
                    continue
                seen[(key.tag, key.value)] = _line(key)
            lines.setdefault(here, _line(key))
            yield from _duplicate_keys(path, value, here, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*loc, index)] = _line(item)
            yield from _duplicate_keys(path, item, (*loc, index), lines)


def _line(item: yaml.Node | yaml.Event) -> int:
    return item.start_mark.line + 1


def nearest_line(lines: dict[tuple, int], loc: tuple) -> int | None:
    """The line of the deepest part of `loc` that exists in the file (a missing field has none)."""
    for end in range(len(loc), -1, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if key in lines:
            return lines[key]
    return None


def field_name(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out

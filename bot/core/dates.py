"""Dates and times as learners type them, and the learner's local calendar.

Pure: `today` and `now` are always passed in. Instants are UTC-aware datetimes; a learner's
zone is either a fixed offset (`datetime.timezone`) or an IANA `ZoneInfo`, and `local_date`
and `instant` convert between the two, DST changes included.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-"})  # typed minus signs
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)
_LOWEST_OFFSET = timedelta(hours=-12)
_HIGHEST_OFFSET = timedelta(hours=14)


def parse_zone(text: str) -> tzinfo | None:
    """A time zone from what a learner typed, or None; never raises, since any text can arrive.

    Offsets ("UTC+5:30", "gmt-3", "+02:00") become fixed `timezone`s: they are what most people
    know about their zone. Zone names ("Europe/Berlin", any case) become `ZoneInfo`, which also
    follows the zone's DST changes.
    """
    if not isinstance(text, str):
        return None
    cleaned = " ".join(text.translate(_MINUS).split())
    if cleaned.upper() in {"UTC", "GMT", "Z"}:
        return UTC
    match = _OFFSET.fullmatch(cleaned)
    if match:
        return _fixed_zone(*match.groups())
    key = _zone_keys().get(cleaned.replace(" ", "_").lower())
    if key is None:
        return None
    try:
        return ZoneInfo(key)
    except (ValueError, OSError):  # the zone's data went missing under us
        return None


def _fixed_zone(sign: str, hours: str, minutes: str | None) -> timezone | None:
    hh, mm = int(hours), int(minutes or 0)
    if mm not in (0, 15, 30, 45):
        return None
    offset = timedelta(hours=hh, minutes=mm) * (-1 if sign == "-" else 1)
    if not _LOWEST_OFFSET <= offset <= _HIGHEST_OFFSET:
        return None
    return UTC if not offset else timezone(offset)


@cache
def _zone_keys() -> dict[str, str]:
    """Lower-cased IANA names to their proper spelling, read once (the listing scans disk)."""
    try:
        return {key.lower(): key for key in available_timezones()}
    except OSError:
        return {}


def zone_name(zone: tzinfo) -> str:
    """A zone as the learner reads it and as it is stored; `parse_zone` reads it back."""
    if isinstance(zone, ZoneInfo) and zone.key:
        return zone.key
    offset = zone.utcoffset(None)
    if offset is None:
        return str(zone)
    if not offset:
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?\s*(?:([ap])\.?\s*m\.?)?", re.IGNORECASE)


def parse_time(text: str) -> time | None:
    """A wall time from "8:00", "20:15", "8pm" or "8 am"; None for anything else.

    A bare number ("8") is refused: it could be 08:00 or 20:00, and a reminder at the wrong
    one is worse than asking again.
    """
    if not isinstance(text, str):
        return None
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    hours, minutes, meridiem = match.groups()
    hh, mm = int(hours), int(minutes or 0)
    if meridiem is None and minutes is None:
        return None
    if meridiem is not None:
        if not 1 <= hh <= 12:
            return None
        hh = hh % 12 + (12 if meridiem.lower() == "p" else 0)
    if hh > 23 or mm > 59:
        return None
    return time(hh, mm)


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ORDINAL = r"(?:st|nd|rd|th)?"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?\.?")
_DAY_MONTH = re.compile(rf"(\d{{1,2}}){_ORDINAL}[\s/-]*(?:of\s+)?([a-z]+)\.?(?:[\s,/-]+(\d{{4}}))?")
_MONTH_DAY = re.compile(rf"([a-z]+)\.?[\s/-]*(\d{{1,2}}){_ORDINAL}(?:[\s,/-]+(\d{{4}}))?")
_RELATIVE = re.compile(r"in\s+(\d{1,4}|an?)\s+(day|week)s?")


def parse_date(text: str, today: date) -> date | None:
    """A date on or after `today` from what a learner typed; None for junk or the past.

    A day and month without a year mean the next such date (on 20 Dec, "1 Dec" is next year's),
    which is what someone setting a deadline means. Dotted dates are day-first (01.12.2026);
    slashed numeric dates are refused, since 01/12 reads differently either side of the Atlantic.
    """
    if not isinstance(text, str):
        return None
    cleaned = " ".join(text.lower().split())
    try:
        found = _read_date(cleaned, today)
    except (ValueError, OverflowError):  # 31 Feb, year 99999, "in 9999 weeks" past date.max
        return None
    return found if found is not None and found >= today else None


def _read_date(text: str, today: date) -> date | None:
    if text == "today":
        return today
    if text == "tomorrow":
        return today + timedelta(days=1)
    if match := _RELATIVE.fullmatch(text):
        count, unit = match.groups()
        n = 1 if count in ("a", "an") else int(count)
        return today + timedelta(days=n * (7 if unit == "week" else 1))
    if match := _ISO.fullmatch(text):
        return date(*(int(part) for part in match.groups()))
    if match := _DOTTED.fullmatch(text):
        day, month, year = match.groups()
        full_year = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
        return _day_month(int(day), int(month), full_year, today)
    if match := _DAY_MONTH.fullmatch(text):
        day, month_name, year = match.groups()
    elif match := _MONTH_DAY.fullmatch(text):
        month_name, day, year = match.groups()
    else:
        return None
    month = _MONTHS.get(month_name)
    if month is None:
        return None
    return _day_month(int(day), month, int(year) if year else None, today)


def _day_month(day: int, month: int, year: int | None, today: date) -> date | None:
    """The date itself when a year is given; else the next one on or after `today`.

    The search runs a few years so that 29 Feb finds the next leap year.
    """
    if year is not None:
        return date(year, month, day)
    for candidate_year in range(today.year, today.year + 9):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def zone_or_utc(name: str | None) -> tzinfo:
    """A stored zone name as a zone; UTC for none (or one whose data has gone missing)."""
    return (parse_zone(name) if name else None) or UTC


def local_date(now: datetime, zone: tzinfo) -> date:
    """The learner's calendar date at the instant `now` (a naive `now` is taken as UTC)."""
    return aware(now).astimezone(zone).date()


def instant(day: date, at: time, zone: tzinfo) -> datetime:
    """The UTC instant of local wall time `at` on `day` in `zone`.

    fold=0 does the DST handling: an ambiguous time (clocks going back) is its first
    occurrence, and a time that doesn't exist (clocks going forward) is read with the offset
    from before the change, which lands it that gap later (02:30 becomes 03:30).
    """
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    return wall.replace(tzinfo=zone).astimezone(UTC)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

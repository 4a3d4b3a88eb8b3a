"""Pace, deadline and reminder rules with plain dates: no Telegram, no clock, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.dates import local_date, parse_date, parse_time, parse_zone, zone_name
from bot.core.plan import MAX_STEPS_PER_DAY, Day, Goal, Plan, behind, plan, streak
from bot.core.reminders import missed_reminder, next_reminder

TUESDAY = date(2026, 11, 24)
SATURDAY = date(2026, 11, 28)
BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
EIGHT = time(8, 0)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def days_from(start: date, *offsets: int) -> list[date]:
    return [start + timedelta(days=n) for n in offsets]


def layout(planned: Plan) -> list[tuple[date, tuple[int, ...], int]]:
    return [(d.day, d.steps, d.reviews) for d in planned.days]


# --- Goals -------------------------------------------------------------------------------------


def test_each_goal_plans_its_steps_on_the_right_days() -> None:
    assert [Goal.ONE_A_DAY.steps_on(TUESDAY), Goal.TWO_A_DAY.steps_on(TUESDAY)] == [1, 2]
    assert Goal.WEEKENDS.steps_on(TUESDAY) == 0
    assert Goal.WEEKENDS.steps_on(SATURDAY) == 2
    assert Goal.WEEKENDS.steps_on(SATURDAY + timedelta(days=1)) == 2
    assert Goal("weekends") is Goal.WEEKENDS


# --- Time zones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hours", "minutes"),
    [
        ("UTC+5:30", 5, 30),
        ("utc-3", -3, 0),
        ("GMT+2", 2, 0),
        ("+02:00", 2, 0),
        ("UTC +0545", 5, 45),
        ("UTC\u22128", -8, 0),
        ("UTC-12", -12, 0),
        ("UTC+14", 14, 0),
        ("UTC-9:30", -9, -30),
        ("UTC", 0, 0),
        ("gmt", 0, 0),
        ("Z", 0, 0),
    ],
)
def test_an_offset_parses_to_a_fixed_zone(text: str, hours: int, minutes: int) -> None:
    zone = parse_zone(text)
    assert isinstance(zone, timezone)
    assert zone.utcoffset(None) == timedelta(hours=hours, minutes=minutes)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("america/new_york", "America/New_York"),
        ("  ASIA/KOLKATA ", "Asia/Kolkata"),
        ("America/New York", "America/New_York"),
    ],
)
def test_a_zone_name_parses_case_insensitively_to_zoneinfo(text: str, key: str) -> None:
    zone = parse_zone(text)
    assert isinstance(zone, ZoneInfo)
    assert zone.key == key


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Mars/Olympus",
        "Berlin",
        "UTC+15",
        "UTC-13",
        "UTC-12:30",
        "UTC+5:20",
        "UTC+5:99",
        "UTC+123",
        "5:30",
        "../../etc/passwd",
        "Europe/",
        "\x00",
        "UTC+" + "9" * 500,
    ],
)
def test_junk_is_not_a_zone_and_never_raises(text: str) -> None:
    assert parse_zone(text) is None


def test_a_non_string_is_not_a_zone() -> None:
    assert parse_zone(None) is None  # type: ignore[arg-type]


def test_zone_names_read_back_to_the_same_zone() -> None:
    assert zone_name(parse_zone("UTC+5:30")) == "UTC+05:30"
    assert zone_name(parse_zone("utc-3")) == "UTC-03:00"
    assert zone_name(parse_zone("UTC-9:30")) == "UTC-09:30"
    assert zone_name(parse_zone("UTC")) == "UTC"
    assert zone_name(timezone(timedelta(0))) == "UTC"
    assert zone_name(parse_zone("europe/berlin")) == "Europe/Berlin"
    for text in ("UTC+5:30", "UTC-3", "UTC+14", "UTC", "Europe/Berlin"):
        zone = parse_zone(text)
        assert parse_zone(zone_name(zone)) == zone


# --- Times and dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8:00", time(8, 0)),
        ("08:30", time(8, 30)),
        ("20:15", time(20, 15)),
        ("0:05", time(0, 5)),
        ("23:59", time(23, 59)),
        ("7.45", time(7, 45)),
        ("8pm", time(20, 0)),
        ("8 am", time(8, 0)),
        ("8:30 PM", time(20, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("9 p.m.", time(21, 0)),
    ],
)
def test_a_time_parses_in_24_hour_and_am_pm_forms(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text", ["", "8", "24:00", "12:60", "13pm", "0am", "8:5", "noonish", "8:00:00", "-1:00"]
)
def test_junk_or_an_ambiguous_bare_hour_is_not_a_time(text: str) -> None:
    assert parse_time(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("1 Dec", date(2026, 12, 1)),
        ("Dec 1", date(2026, 12, 1)),
        ("1st of december", date(2026, 12, 1)),
        ("December 1, 2026", date(2026, 12, 1)),
        ("1 December 2026", date(2026, 12, 1)),
        ("01.12.2026", date(2026, 12, 1)),
        ("1.12.", date(2026, 12, 1)),
        ("today", TUESDAY),
        ("Tomorrow", date(2026, 11, 25)),
        ("in 10 days", date(2026, 12, 4)),
        ("in a week", date(2026, 12, 1)),
        ("in 2 weeks", date(2026, 12, 8)),
        ("24 Nov", TUESDAY),
    ],
)
def test_a_date_parses_in_the_common_forms(text: str, expected: date) -> None:
    assert parse_date(text, TUESDAY) == expected


def test_a_day_month_that_already_passed_this_year_rolls_to_next_year() -> None:
    assert parse_date("1 Mar", TUESDAY) == date(2027, 3, 1)
    assert parse_date("Nov 23", TUESDAY) == date(2027, 11, 23)
    assert parse_date("29 Feb", TUESDAY) == date(2028, 2, 29)


@pytest.mark.parametrize(
    "text",
    ["2026-11-23", "23.11.2026", "1 March 2026", "2025-12-01", "in -3 days"],
)
def test_a_past_date_is_refused(text: str) -> None:
    assert parse_date(text, TUESDAY) is None


@pytest.mark.parametrize(
    "text",
    ["", "soon", "31 Feb", "2026-02-30", "30 Smarch", "01/12/2026", "in 99999 weeks", "next"],
)
def test_junk_is_not_a_date_and_never_raises(text: str) -> None:
    assert parse_date(text, TUESDAY) is None


# --- Plans -------------------------------------------------------------------------------------


def test_without_a_deadline_steps_go_at_the_goals_pace_from_today() -> None:
    planned = plan([4, 5, 6, 7, 8], 0, TUESDAY, Goal.TWO_A_DAY)
    assert layout(planned) == [
        (TUESDAY, (4, 5), 0),
        (date(2026, 11, 25), (6, 7), 0),
        (date(2026, 11, 26), (8,), 0),
    ]
    assert planned.realistic
    assert planned.deadline is None
    assert planned.finish == date(2026, 11, 26)


def test_a_deadline_in_a_week_spreads_ten_steps_evenly_with_the_extras_early() -> None:
    deadline = TUESDAY + timedelta(days=6)
    planned = plan(list(range(1, 11)), 0, TUESDAY, Goal.ONE_A_DAY, deadline)
    assert [len(d.steps) for d in planned.days] == [2, 2, 2, 1, 1, 1, 1]
    assert [d.day for d in planned.days] == days_from(TUESDAY, 0, 1, 2, 3, 4, 5, 6)
    assert [n for d in planned.days for n in d.steps] == list(range(1, 11))
    assert planned.realistic
    assert planned.finish == deadline
    assert planned.deadline == deadline


def test_fewer_steps_than_days_come_one_a_day_from_today() -> None:
    planned = plan([1, 2, 3], 0, TUESDAY, Goal.TWO_A_DAY, TUESDAY + timedelta(days=6))
    assert layout(planned) == [
        (TUESDAY, (1,), 0),
        (date(2026, 11, 25), (2,), 0),
        (date(2026, 11, 26), (3,), 0),
    ]
    assert planned.realistic


def test_a_deadline_today_puts_everything_on_today_if_it_fits() -> None:
    planned = plan([1, 2, 3], 1, TUESDAY, Goal.ONE_A_DAY, TUESDAY)
    assert layout(planned) == [(TUESDAY, (1, 2, 3), 1)]
    assert planned.realistic


def test_a_too_close_deadline_is_unrealistic_and_offers_a_realistic_finish() -> None:
    deadline = TUESDAY + timedelta(days=1)
    planned = plan(list(range(1, 11)), 2, TUESDAY, Goal.ONE_A_DAY, deadline)
    assert not planned.realistic
    assert planned.deadline == deadline
    assert [len(d.steps) for d in planned.days] == [3, 3, 3, 1]
    assert planned.finish == TUESDAY + timedelta(days=3)
    assert planned.finish > deadline
    assert planned.days[0].reviews == 2
    # The realistic finish, taken as the new deadline, makes a plan that fits.
    assert plan(list(range(1, 11)), 2, TUESDAY, Goal.ONE_A_DAY, planned.finish).realistic


def test_exactly_max_steps_a_day_to_the_deadline_is_still_realistic() -> None:
    deadline = TUESDAY + timedelta(days=1)
    planned = plan(list(range(1, 7)), 0, TUESDAY, Goal.ONE_A_DAY, deadline)
    assert planned.realistic
    assert all(len(d.steps) == MAX_STEPS_PER_DAY for d in planned.days)


def test_a_passed_deadline_is_unrealistic_and_plans_at_the_goals_pace() -> None:
    deadline = TUESDAY - timedelta(days=3)
    planned = plan([7, 8, 9], 0, TUESDAY, Goal.TWO_A_DAY, deadline)
    assert not planned.realistic
    assert planned.deadline == deadline
    assert layout(planned) == [(TUESDAY, (7, 8), 0), (date(2026, 11, 25), (9,), 0)]


def test_nothing_remaining_and_no_reviews_is_an_empty_finished_plan() -> None:
    deadline = TUESDAY + timedelta(days=5)
    assert plan([], 0, TUESDAY, Goal.ONE_A_DAY, deadline) == Plan((), True, deadline, None)
    assert plan([], 0, TUESDAY, Goal.WEEKENDS) == Plan((), True, None, None)


def test_with_only_reviews_left_they_go_on_today() -> None:
    planned = plan([], 4, TUESDAY, Goal.WEEKENDS, TUESDAY - timedelta(days=1))
    assert planned.days == (Day(TUESDAY, (), 4),)
    assert planned.finish == TUESDAY
    assert planned.realistic  # the steps are all done, so the deadline was met


def test_due_reviews_all_go_on_the_first_day_with_work() -> None:
    planned = plan([1, 2, 3], 5, TUESDAY, Goal.ONE_A_DAY)
    assert [d.reviews for d in planned.days] == [5, 0, 0]
    on_weekends = plan([1, 2, 3], 5, TUESDAY, Goal.WEEKENDS)
    assert on_weekends.days[0] == Day(SATURDAY, (1, 2), 5)


def test_the_weekends_goal_skips_weekdays_at_its_own_pace() -> None:
    planned = plan([1, 2, 3, 4, 5], 0, TUESDAY, Goal.WEEKENDS)
    assert layout(planned) == [
        (SATURDAY, (1, 2), 0),
        (date(2026, 11, 29), (3, 4), 0),
        (date(2026, 12, 5), (5,), 0),
    ]
    assert all(d.day.weekday() >= 5 for d in planned.days)


def test_the_weekends_goal_spreads_a_deadline_over_saturdays_and_sundays_only() -> None:
    deadline = date(2026, 12, 7)  # a Monday: two weekends in range
    planned = plan([1, 2, 3, 4, 5], 0, TUESDAY, Goal.WEEKENDS, deadline)
    assert planned.realistic
    assert layout(planned) == [
        (SATURDAY, (1, 2), 0),
        (date(2026, 11, 29), (3,), 0),
        (date(2026, 12, 5), (4,), 0),
        (date(2026, 12, 6), (5,), 0),
    ]


def test_the_weekends_goal_uses_every_day_when_the_deadline_has_no_weekend() -> None:
    planned = plan([1, 2, 3, 4], 1, TUESDAY, Goal.WEEKENDS, date(2026, 11, 26))
    assert planned.realistic
    assert layout(planned) == [
        (TUESDAY, (1, 2), 1),
        (date(2026, 11, 25), (3,), 0),
        (date(2026, 11, 26), (4,), 0),
    ]


def test_the_weekends_goal_with_too_little_weekend_finishes_on_a_later_weekend() -> None:
    deadline = date(2026, 11, 29)  # this Sunday: room for 6 steps at 3 a day
    planned = plan(list(range(1, 10)), 0, TUESDAY, Goal.WEEKENDS, deadline)
    assert not planned.realistic
    assert [d.day for d in planned.days] == [SATURDAY, date(2026, 11, 29), date(2026, 12, 5)]
    assert planned.finish == date(2026, 12, 5)
    assert plan(list(range(1, 10)), 0, TUESDAY, Goal.WEEKENDS, planned.finish).realistic


# --- Behind the plan ---------------------------------------------------------------------------


def test_behind_by_the_steps_planned_before_today_less_those_done() -> None:
    made_on = TUESDAY
    planned = plan(list(range(1, 11)), 0, made_on, Goal.ONE_A_DAY, made_on + timedelta(days=4))
    assert [len(d.steps) for d in planned.days] == [2, 2, 2, 2, 2]
    two_days_on = made_on + timedelta(days=2)
    assert behind(planned, made_on, 1, two_days_on) == 3
    assert behind(planned, made_on, 4, two_days_on) == 0
    assert behind(planned, made_on, 7, two_days_on) == 0  # ahead is never negative
    assert behind(planned, made_on, 0, made_on) == 0  # today's steps aren't late yet
    assert behind(planned, made_on, 0, made_on + timedelta(days=30)) == 10


# --- Reminders ---------------------------------------------------------------------------------


def test_a_reminder_east_of_utc_comes_at_local_time() -> None:
    now = utc(2026, 11, 24, 1, 0)  # 06:30 in Kolkata
    assert next_reminder(now, KOLKATA, EIGHT, Goal.ONE_A_DAY, None) == utc(2026, 11, 24, 2, 30)
    fixed = parse_zone("UTC+5:30")
    assert next_reminder(now, fixed, EIGHT, Goal.ONE_A_DAY, None) == utc(2026, 11, 24, 2, 30)


def test_east_of_utc_the_local_day_starts_before_the_utc_day() -> None:
    now = utc(2026, 11, 24, 20, 0)  # already 01:30 on the 25th in Kolkata
    assert local_date(now, KOLKATA) == date(2026, 11, 25)
    sent_today = date(2026, 11, 25)
    expected = utc(2026, 11, 26, 2, 30)
    assert next_reminder(now, KOLKATA, EIGHT, Goal.ONE_A_DAY, sent_today) == expected


def test_a_reminder_west_of_utc_comes_at_local_time() -> None:
    now = utc(2026, 11, 25, 3, 0)  # 19:00 on the 24th in Los Angeles (PST, UTC-8)
    assert local_date(now, LOS_ANGELES) == TUESDAY
    at = time(20, 0)
    expected = utc(2026, 11, 25, 4, 0)
    assert next_reminder(now, LOS_ANGELES, at, Goal.ONE_A_DAY, None) == expected
    # Once sent on the 24th (local), the next is the 25th local, the 26th 04:00 UTC.
    after = utc(2026, 11, 26, 4, 0)
    assert next_reminder(now, LOS_ANGELES, at, Goal.ONE_A_DAY, TUESDAY) == after


def test_a_summer_reminder_west_of_utc_follows_daylight_time() -> None:
    now = utc(2026, 7, 1, 0, 0)
    expected = utc(2026, 7, 1, 15, 0)  # 08:00 PDT is UTC-7
    assert next_reminder(now, LOS_ANGELES, EIGHT, Goal.ONE_A_DAY, None) == expected


def test_berlin_spring_forward_moves_the_utc_instant_an_hour_earlier() -> None:
    saturday = utc(2026, 3, 28, 0, 0)
    assert next_reminder(saturday, BERLIN, EIGHT, Goal.WEEKENDS, None) == utc(2026, 3, 28, 7, 0)
    sunday = next_reminder(saturday, BERLIN, EIGHT, Goal.WEEKENDS, date(2026, 3, 28))
    assert sunday == utc(2026, 3, 29, 6, 0)
    assert sunday.astimezone(BERLIN).time() == EIGHT


def test_a_reminder_in_the_spring_forward_gap_lands_an_hour_later() -> None:
    now = utc(2026, 3, 28, 23, 0)  # 00:00 local on the 29th
    moment = next_reminder(now, BERLIN, time(2, 30), Goal.ONE_A_DAY, None)
    assert moment == utc(2026, 3, 29, 1, 30)
    assert moment.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)


def test_berlin_fall_back_moves_the_utc_instant_an_hour_later() -> None:
    saturday = utc(2026, 10, 24, 0, 0)
    assert next_reminder(saturday, BERLIN, EIGHT, Goal.WEEKENDS, None) == utc(2026, 10, 24, 6, 0)
    sunday = next_reminder(saturday, BERLIN, EIGHT, Goal.WEEKENDS, date(2026, 10, 24))
    assert sunday == utc(2026, 10, 25, 7, 0)
    assert sunday.astimezone(BERLIN).time() == EIGHT


def test_an_ambiguous_fall_back_time_uses_its_first_occurrence() -> None:
    now = utc(2026, 10, 24, 22, 0)  # 00:00 CEST on the 25th
    moment = next_reminder(now, BERLIN, time(2, 30), Goal.ONE_A_DAY, None)
    assert moment == utc(2026, 10, 25, 0, 30)  # 02:30 CEST, not 02:30 CET an hour later


def test_a_reminder_crosses_a_month_end() -> None:
    now = utc(2026, 1, 31, 9, 0)  # after today's 08:00 (Berlin, CET)
    expected = utc(2026, 2, 1, 7, 0)
    assert next_reminder(now, BERLIN, EIGHT, Goal.ONE_A_DAY, date(2026, 1, 31)) == expected


def test_a_reminder_crosses_a_year_end() -> None:
    now = utc(2026, 12, 31, 18, 0)  # 23:30 in Kolkata, after its 08:00
    expected = utc(2027, 1, 1, 2, 30)
    assert next_reminder(now, KOLKATA, EIGHT, Goal.TWO_A_DAY, None) == expected


def test_a_reminder_already_sent_today_moves_to_the_next_planned_day() -> None:
    thursday = date(2026, 11, 26)
    tuesday_and_thursday = Plan(
        (Day(TUESDAY, (1,), 0), Day(thursday, (2,), 0)), True, thursday, thursday
    )
    now = utc(2026, 11, 24, 5, 0)  # before 08:00 Berlin, but today's went out already
    expected = utc(2026, 11, 26, 7, 0)
    sent = TUESDAY
    assert next_reminder(now, BERLIN, EIGHT, Goal.ONE_A_DAY, sent, tuesday_and_thursday) == expected
    saturday_morning = utc(2026, 11, 28, 6, 0)
    sunday = utc(2026, 11, 29, 7, 0)
    assert next_reminder(saturday_morning, BERLIN, EIGHT, Goal.WEEKENDS, SATURDAY) == sunday


def test_a_reminder_without_a_plan_follows_the_goals_days() -> None:
    now = utc(2026, 11, 24, 12, 0)
    expected = utc(2026, 11, 28, 7, 0)
    assert next_reminder(now, BERLIN, EIGHT, Goal.WEEKENDS, None) == expected


def test_a_reminder_with_a_plan_skips_days_without_work() -> None:
    planned = plan([1, 2], 0, TUESDAY, Goal.WEEKENDS, TUESDAY + timedelta(days=6))
    now = utc(2026, 11, 24, 6, 0)
    assert next_reminder(now, UTC, EIGHT, Goal.WEEKENDS, None, planned) == utc(2026, 11, 28, 8)


def test_no_reminder_once_the_plan_is_over_or_empty() -> None:
    planned = plan([1, 2], 0, TUESDAY, Goal.TWO_A_DAY)
    assert planned.finish == TUESDAY
    after = utc(2026, 11, 25, 6, 0)
    assert next_reminder(after, UTC, EIGHT, Goal.TWO_A_DAY, None, planned) is None
    sent = next_reminder(utc(2026, 11, 24, 6), UTC, EIGHT, Goal.TWO_A_DAY, TUESDAY, planned)
    assert sent is None
    empty = plan([], 0, TUESDAY, Goal.TWO_A_DAY)
    assert next_reminder(utc(2026, 11, 24, 6), UTC, EIGHT, Goal.TWO_A_DAY, None, empty) is None


def test_no_reminder_when_the_next_work_day_is_beyond_thirty_days() -> None:
    now = utc(2026, 11, 24, 6)
    far = TUESDAY + timedelta(days=40)
    planned = Plan((Day(far, (1,), 0),), True, far, far)
    assert next_reminder(now, UTC, EIGHT, Goal.ONE_A_DAY, None, planned) is None
    near = TUESDAY + timedelta(days=30)
    planned = Plan((Day(near, (1,), 0),), True, near, near)
    assert next_reminder(now, UTC, EIGHT, Goal.ONE_A_DAY, None, planned) == utc(2026, 12, 24, 8)


def test_the_next_reminder_is_strictly_after_now() -> None:
    now = utc(2026, 11, 24, 8, 0)
    assert next_reminder(now, UTC, EIGHT, Goal.ONE_A_DAY, None) == utc(2026, 11, 25, 8, 0)


def test_a_reminder_missed_while_down_today_is_owed() -> None:
    now = utc(2026, 11, 24, 9, 0)  # 10:00 in Berlin, past 08:00, nothing sent today
    yesterday = date(2026, 11, 23)
    assert missed_reminder(now, BERLIN, EIGHT, Goal.ONE_A_DAY, yesterday)
    assert missed_reminder(now, BERLIN, EIGHT, Goal.ONE_A_DAY, None)


def test_no_missed_reminder_before_time_after_sending_or_on_a_free_day() -> None:
    before = utc(2026, 11, 24, 6, 0)  # 07:00 in Berlin
    after = utc(2026, 11, 24, 9, 0)
    assert not missed_reminder(before, BERLIN, EIGHT, Goal.ONE_A_DAY, None)
    assert not missed_reminder(after, BERLIN, EIGHT, Goal.ONE_A_DAY, TUESDAY)
    assert not missed_reminder(after, BERLIN, EIGHT, Goal.WEEKENDS, None)  # a Tuesday
    saturday_plan = plan([1], 0, TUESDAY, Goal.WEEKENDS)
    assert not missed_reminder(after, BERLIN, EIGHT, Goal.ONE_A_DAY, None, saturday_plan)
    today_plan = plan([1], 0, TUESDAY, Goal.ONE_A_DAY)
    assert missed_reminder(after, BERLIN, EIGHT, Goal.WEEKENDS, None, today_plan)


def test_missed_reminder_uses_the_local_day_not_the_utc_day() -> None:
    now = utc(2026, 11, 25, 3, 0)  # 19:00 on the 24th in Los Angeles
    assert missed_reminder(now, LOS_ANGELES, time(18, 0), Goal.ONE_A_DAY, date(2026, 11, 23))
    assert not missed_reminder(now, LOS_ANGELES, time(18, 0), Goal.ONE_A_DAY, TUESDAY)
    assert not missed_reminder(now, LOS_ANGELES, time(20, 0), Goal.ONE_A_DAY, None)


# --- Streaks -----------------------------------------------------------------------------------


def test_a_streak_counts_consecutive_days_ending_today() -> None:
    active = set(days_from(TUESDAY, 0, -1, -2, -4))
    assert streak(active, TUESDAY) == 3


def test_a_streak_ending_yesterday_is_not_broken_yet() -> None:
    active = set(days_from(TUESDAY, -1, -2, -3, -4))
    assert streak(active, TUESDAY) == 4


def test_a_streak_is_broken_after_a_whole_day_without_activity() -> None:
    assert streak(set(days_from(TUESDAY, -2, -3)), TUESDAY) == 0
    assert streak(set(), TUESDAY) == 0


def test_a_streak_runs_across_a_month_and_year_end() -> None:
    new_year = date(2027, 1, 1)
    assert streak(set(days_from(new_year, 0, -1, -2)), new_year) == 3


def test_every_offered_zone_and_time_button_parses() -> None:
    from bot.core import pace as pace_render

    assert all(parse_zone(z) is not None for z in pace_render.ZONE_CHOICES)
    assert all(parse_time(t) is not None for t in pace_render.TIME_CHOICES)

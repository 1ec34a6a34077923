"""The counting rules: whole minutes, clipping, unions, and local days and years."""

import os
import time
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.ledger.counting import (
    Interval,
    clip,
    merge,
    minutes_by_day,
    subtract,
    total_minutes,
    whole_minutes,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
GRACE = timedelta(minutes=10)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def span(start: datetime, minutes: int) -> Interval:
    return Interval(start, start + timedelta(minutes=minutes))


# Whole minutes ---------------------------------------------------------------


def test_start_rounds_up_and_end_rounds_down():
    interval = whole_minutes(utc(2026, 6, 1, 9, 0, 1), utc(2026, 6, 1, 9, 30, 59))
    assert interval == Interval(utc(2026, 6, 1, 9, 1), utc(2026, 6, 1, 9, 30))
    assert interval.minutes == 29


def test_exact_minutes_are_kept():
    assert whole_minutes(utc(2026, 6, 1, 9), utc(2026, 6, 1, 10)).minutes == 60


@pytest.mark.parametrize(
    "start, end",
    [
        (utc(2026, 6, 1, 9, 0, 10), utc(2026, 6, 1, 9, 0, 50)),  # inside one minute
        (utc(2026, 6, 1, 9, 0, 30), utc(2026, 6, 1, 9, 1, 30)),  # 60 s, no whole one
        (utc(2026, 6, 1, 9), utc(2026, 6, 1, 9)),  # empty
        (utc(2026, 6, 1, 10), utc(2026, 6, 1, 9)),  # backwards
    ],
)
def test_less_than_a_whole_minute_is_nothing(start, end):
    assert whole_minutes(start, end) is None


def test_result_is_utc_whatever_zone_came_in():
    interval = whole_minutes(local(2026, 6, 1, 9, 0, 30), local(2026, 6, 1, 10))
    assert interval.start.utcoffset() == timedelta(0)
    assert interval.start == utc(2026, 6, 1, 1, 1)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        whole_minutes(datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 10))
    with pytest.raises(ValueError):
        Interval(datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 10))


def test_an_interval_must_not_be_empty():
    with pytest.raises(ValueError):
        Interval(utc(2026, 6, 1, 9), utc(2026, 6, 1, 9))


# Clipping ------------------------------------------------------------------


ACTIVITY = (local(2026, 6, 1, 9), local(2026, 6, 1, 11))


def test_early_arrival_counts_from_grace_before_start():
    interval = Interval(local(2026, 6, 1, 8, 0), local(2026, 6, 1, 10, 0))
    clipped = clip(interval, *ACTIVITY, GRACE)
    assert clipped == Interval(local(2026, 6, 1, 8, 50), local(2026, 6, 1, 10, 0))
    assert clipped.minutes == 70


def test_late_checkout_counts_up_to_grace_after_end():
    interval = Interval(local(2026, 6, 1, 9, 30), local(2026, 6, 1, 13, 0))
    assert clip(interval, *ACTIVITY, GRACE).minutes == 100


def test_inside_the_window_is_untouched():
    interval = Interval(local(2026, 6, 1, 9, 5), local(2026, 6, 1, 10, 55))
    assert clip(interval, *ACTIVITY, GRACE) == interval


def test_outside_the_window_and_grace_is_nothing():
    before = Interval(local(2026, 6, 1, 7, 0), local(2026, 6, 1, 8, 50))
    after = Interval(local(2026, 6, 1, 11, 10), local(2026, 6, 1, 12, 0))
    assert clip(before, *ACTIVITY, GRACE) is None
    assert clip(after, *ACTIVITY, GRACE) is None


def test_clip_without_grace_and_to_whole_minutes():
    interval = Interval(local(2026, 6, 1, 8, 0), local(2026, 6, 1, 12, 0))
    assert clip(interval, *ACTIVITY).minutes == 120
    odd_window = (local(2026, 6, 1, 9, 0, 30), local(2026, 6, 1, 9, 10, 30))
    assert clip(interval, *odd_window).minutes == 9


# Days and years ---------------------------------------------------------------


def test_shift_across_local_midnight_splits_into_two_days():
    shift = Interval(local(2026, 6, 1, 22, 30), local(2026, 6, 2, 2, 0))
    assert minutes_by_day(shift, SHANGHAI) == [
        (date(2026, 6, 1), 90),
        (date(2026, 6, 2), 120),
    ]


def test_new_years_eve_shift_lands_in_two_years():
    shift = Interval(local(2026, 12, 31, 23, 0), local(2027, 1, 1, 0, 45))
    days = minutes_by_day(shift, SHANGHAI)
    assert days == [(date(2026, 12, 31), 60), (date(2027, 1, 1), 45)]
    assert [day.year for day, _ in days] == [2026, 2027]


def test_utc_date_differs_from_local_date():
    # 17:00 UTC on Dec 31st is already 01:00 on Jan 1st in Pu'er: all of it is 2027.
    shift = Interval(utc(2026, 12, 31, 17, 0), utc(2026, 12, 31, 19, 0))
    assert minutes_by_day(shift, SHANGHAI) == [(date(2027, 1, 1), 120)]
    # 15:00-17:00 UTC straddles Pu'er's midnight though not UTC's.
    shift = Interval(utc(2026, 12, 31, 15, 0), utc(2026, 12, 31, 17, 0))
    assert minutes_by_day(shift, SHANGHAI) == [
        (date(2026, 12, 31), 60),
        (date(2027, 1, 1), 60),
    ]


def test_multi_day_interval_has_a_full_day_in_the_middle():
    shift = Interval(local(2026, 6, 1, 23, 0), local(2026, 6, 3, 1, 0))
    assert minutes_by_day(shift, SHANGHAI) == [
        (date(2026, 6, 1), 60),
        (date(2026, 6, 2), 1440),
        (date(2026, 6, 3), 60),
    ]


def test_ending_exactly_at_midnight_stays_on_one_day():
    shift = Interval(local(2026, 6, 1, 22, 0), local(2026, 6, 2, 0, 0))
    assert minutes_by_day(shift, SHANGHAI) == [(date(2026, 6, 1), 120)]


def test_other_fixed_offset_zone():
    shift = Interval(utc(2026, 6, 1, 23, 0), utc(2026, 6, 2, 1, 0))
    assert minutes_by_day(shift, ZoneInfo("UTC")) == [
        (date(2026, 6, 1), 60),
        (date(2026, 6, 2), 60),
    ]


@pytest.fixture
def server_in_los_angeles():
    """Pretend the server's own clock runs in Los Angeles for one test."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_server_zone_is_irrelevant(server_in_los_angeles):
    assert datetime(2027, 1, 1).astimezone().utcoffset() == timedelta(hours=-8)
    shift = Interval(utc(2026, 12, 31, 15, 0), utc(2026, 12, 31, 17, 0))
    assert minutes_by_day(shift, SHANGHAI) == [
        (date(2026, 12, 31), 60),
        (date(2027, 1, 1), 60),
    ]
    assert whole_minutes(shift.start, shift.end) == shift


# Unions and differences -----------------------------------------------------


def test_merge_joins_overlapping_and_touching():
    a = span(utc(2026, 6, 1, 9), 60)
    b = span(utc(2026, 6, 1, 9, 30), 60)
    c = span(utc(2026, 6, 1, 10, 30), 30)  # touches b's end
    d = span(utc(2026, 6, 1, 12), 10)
    assert merge([d, c, b, a]) == [
        Interval(utc(2026, 6, 1, 9), utc(2026, 6, 1, 11)),
        d,
    ]
    assert merge([]) == []


def test_merge_keeps_a_contained_interval_inside():
    outer = span(utc(2026, 6, 1, 9), 120)
    assert merge([outer, span(utc(2026, 6, 1, 9, 30), 10)]) == [outer]


def test_subtract_leaves_the_gaps():
    whole = span(utc(2026, 6, 1, 8), 300)
    taken = [span(utc(2026, 6, 1, 9), 60), span(utc(2026, 6, 1, 11), 60)]
    assert subtract(whole, taken) == [
        span(utc(2026, 6, 1, 8), 60),
        span(utc(2026, 6, 1, 10), 60),
        span(utc(2026, 6, 1, 12), 60),
    ]


def test_subtract_everything_or_nothing():
    whole = span(utc(2026, 6, 1, 9), 60)
    assert subtract(whole, [span(utc(2026, 6, 1, 8), 180)]) == []
    assert subtract(whole, []) == [whole]
    assert subtract(whole, [span(utc(2026, 6, 1, 11), 60)]) == [whole]


def test_overlapping_checkins_at_two_activities_count_once():
    morning = Interval(local(2026, 6, 1, 8, 50), local(2026, 6, 1, 11, 10))
    overlapping = Interval(local(2026, 6, 1, 10, 0), local(2026, 6, 1, 12, 0))
    assert total_minutes([morning, overlapping]) == 190
    assert sum(p.minutes for p in subtract(overlapping, [morning])) == 50


# Properties -------------------------------------------------------------------

BASE = utc(2026, 1, 1)
ZONES = st.sampled_from(
    [
        SHANGHAI,
        ZoneInfo("UTC"),
        ZoneInfo("America/Los_Angeles"),
        ZoneInfo("Asia/Kolkata"),
    ]
)


@st.composite
def intervals(draw, max_minutes: int = 5 * 24 * 60) -> Interval:
    offset = draw(st.integers(0, 400 * 24 * 60))
    length = draw(st.integers(1, max_minutes))
    start = BASE + timedelta(minutes=offset)
    return Interval(start, start + timedelta(minutes=length))


@st.composite
def rough_intervals(draw) -> Interval:
    """Intervals with seconds and non-UTC offsets, as they come from the outside."""
    offset = draw(st.integers(0, 30 * 24 * 3600))
    length = draw(st.integers(1, 3 * 24 * 3600))
    zone = timezone(timedelta(minutes=draw(st.integers(-12 * 60, 14 * 60))))
    start = (BASE + timedelta(seconds=offset)).astimezone(zone)
    return Interval(start, start + timedelta(seconds=length))


@given(st.lists(intervals(max_minutes=600), max_size=12))
def test_merge_is_idempotent_sorted_and_disjoint(items):
    merged = merge(items)
    assert merge(merged) == merged
    assert merge(reversed(items)) == merged
    for left, right in pairwise(merged):
        assert left.end < right.start


@given(st.lists(intervals(max_minutes=600), max_size=12))
def test_merge_covers_exactly_the_same_minutes(items):
    covered = set()
    for item in items:
        covered.update(range(_minute(item.start), _minute(item.end)))
    assert total_minutes(items) == len(covered)


@given(intervals(), ZONES)
def test_days_add_up_to_the_interval(interval, zone):
    days = minutes_by_day(interval, zone)
    assert sum(minutes for _, minutes in days) == interval.minutes
    assert [day for day, _ in days] == sorted({day for day, _ in days})
    assert all(0 < minutes <= 25 * 60 for _, minutes in days)


@given(rough_intervals(), ZONES)
def test_days_add_up_for_rough_input(interval, zone):
    whole = whole_minutes(interval.start, interval.end)
    if whole is None:
        assert interval.end - interval.start < timedelta(minutes=2)
        return
    assert whole.start >= interval.start and whole.end <= interval.end
    assert whole.end - whole.start > interval.end - interval.start - timedelta(
        minutes=2
    )
    assert sum(m for _, m in minutes_by_day(whole, zone)) == whole.minutes


@given(intervals(max_minutes=2000), st.lists(intervals(max_minutes=600), max_size=10))
def test_subtract_never_overlaps_taken_and_loses_nothing(interval, taken):
    free = subtract(interval, taken)
    for part in free:
        assert interval.start <= part.start < part.end <= interval.end
        for block in taken:
            assert part.end <= block.start or part.start >= block.end
    covered_by_taken = sum(
        p.minutes for p in merge(taken) for p in [_overlap(interval, p)] if p
    )
    assert sum(p.minutes for p in free) + covered_by_taken == interval.minutes


@given(intervals(max_minutes=2000), st.lists(intervals(max_minutes=600), max_size=10))
def test_subtract_then_merge_with_taken_covers_the_interval(interval, taken):
    free = subtract(interval, taken)
    union = merge([*free, *taken])
    assert any(u.start <= interval.start and interval.end <= u.end for u in union)


@given(intervals(), intervals(max_minutes=600), st.integers(0, 60))
def test_clip_stays_inside_window_and_interval(interval, window, grace_minutes):
    grace = timedelta(minutes=grace_minutes)
    clipped = clip(interval, window.start, window.end, grace)
    if clipped is None:
        return
    assert interval.start <= clipped.start < clipped.end <= interval.end
    assert window.start - grace <= clipped.start and clipped.end <= window.end + grace


def _minute(moment: datetime) -> int:
    return int((moment - BASE) // timedelta(minutes=1))


def _overlap(a: Interval, b: Interval) -> Interval | None:
    start, end = max(a.start, b.start), min(a.end, b.end)
    return Interval(start, end) if start < end else None

"""How service time becomes minutes: pure functions on intervals, no database.

Every rule that decides how many minutes a stretch of time is worth lives here, so
that check-outs, home visits, backfills and offline sync all count the same way:
whole minutes only, clipped to an activity's window, never the same minute twice,
attributed to the city's local days and years whatever the server's zone is.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, order=True)
class Interval:
    """A stretch of time [start, end) between two aware datetimes, start < end."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass aware ones")
        if self.end <= self.start:
            raise ValueError("an interval must end after it starts")

    @property
    def minutes(self) -> int:
        """Whole minutes in the interval (exact once it went through whole_minutes)."""
        return int((self.end - self.start) // MINUTE)


def _floor_minute(moment: datetime) -> datetime:
    # UTC first: every zone in use today is a whole number of minutes off UTC, but
    # rounding in UTC is right even for the odd historical offset with seconds.
    moment = moment.astimezone(UTC)
    return moment.replace(second=0, microsecond=0)


def _ceil_minute(moment: datetime) -> datetime:
    floored = _floor_minute(moment)
    return floored if floored == moment else floored + MINUTE


def whole_minutes(start: datetime, end: datetime) -> Interval | None:
    """The whole minutes inside [start, end): start rounded up, end rounded down."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass aware ones")
    start, end = _ceil_minute(start), _floor_minute(end)
    return Interval(start, end) if start < end else None


def clip(
    interval: Interval,
    window_start: datetime,
    window_end: datetime,
    grace: timedelta = timedelta(0),
) -> Interval | None:
    """The part of `interval` inside [window_start - grace, window_end + grace]."""
    start = max(interval.start, window_start - grace)
    end = min(interval.end, window_end + grace)
    return whole_minutes(start, end) if start < end else None


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of `intervals`, sorted, with overlapping or touching ones joined."""
    merged: list[Interval] = []
    for interval in sorted(intervals):
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            if interval.end > last.end:
                merged[-1] = Interval(last.start, interval.end)
        else:
            merged.append(interval)
    return merged


def subtract(interval: Interval, taken: Iterable[Interval]) -> list[Interval]:
    """The parts of `interval` that no interval in `taken` covers, in order."""
    free: list[Interval] = []
    cursor = interval.start
    for block in merge(taken):
        if block.end <= cursor:
            continue
        if block.start >= interval.end:
            break
        if block.start > cursor:
            free.append(Interval(cursor, block.start))
        cursor = max(cursor, block.end)
        if cursor >= interval.end:
            return free
    if cursor < interval.end:
        free.append(Interval(cursor, interval.end))
    return free


def split_by_day(interval: Interval, tz: ZoneInfo) -> list[tuple[date, Interval]]:
    """`interval` cut at each local midnight of `tz`, each piece with its local date."""
    pieces: list[tuple[date, Interval]] = []
    cursor = interval.start
    while cursor < interval.end:
        day = cursor.astimezone(tz).date()
        midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        piece_end = min(interval.end, midnight.astimezone(UTC))
        pieces.append((day, Interval(cursor, piece_end)))
        cursor = piece_end
    return pieces


def minutes_by_day(interval: Interval, tz: ZoneInfo) -> list[tuple[date, int]]:
    """Minutes of `interval` on each local day of `tz`, split at local midnights.

    Minutes are counted from the interval's start, so the days always add up to the
    interval's whole minutes even if a boundary falls inside a minute.
    """
    result: list[tuple[date, int]] = []
    for day, piece in split_by_day(interval, tz):
        before = int((piece.start - interval.start) // MINUTE)
        upto = int((piece.end - interval.start) // MINUTE)
        if upto > before:
            result.append((day, upto - before))
    return result


def total_minutes(intervals: Iterable[Interval]) -> int:
    """Minutes covered by `intervals`, each minute counted once."""
    return sum(interval.minutes for interval in merge(intervals))

"""When a tracked collection runs: the schedule types of the Multicart dialect as pure rules.

| schedule | `schedule_time` | runs |
|---|---|---|
| `Manual` | `{}` or nothing | only when triggered |
| `Every X Minutes` | `minutes_frequency` 1-60, optional `days_of_week`, `hours` | every X minutes of elapsed time on the listed days; with `hours`, only in the hour that each listed time starts |
| `Daily` | optional `hours` (`"08.00"`), optional `days_of_week` | at each listed time; every hour on the hour when none is listed |
| `Weekly` | `days_of_week` (default monday), optional `hours` (default 00.00) | at each listed time on each listed day |
| `Monthly` | optional `hours` (default 00.00), optional `day_of_month` 1-31 (default 1) | at each listed time on that day; past the month's end, on its last day |

Times are wall-clock times in the account's time zone (default `Australia/Brisbane`, UTC+10, the
service's own). A time that a DST change skips runs at the first instant after the gap; a time it
repeats runs once, at its first occurrence. `Every X Minutes` counts elapsed minutes on a grid of
the frequency from the Unix epoch, so its runs stay evenly spaced across a DST change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sellerkit.domain.quoting import quote

MANUAL, EVERY, DAILY, WEEKLY, MONTHLY = "Manual", "Every X Minutes", "Daily", "Weekly", "Monthly"
SCHEDULES = (EVERY, DAILY, WEEKLY, MONTHLY, MANUAL)
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_TIMEZONE = "Australia/Brisbane"
_HOUR = re.compile(r"^([01]?\d|2[0-3])[.:]([0-5]\d)$")
_SEARCH_DAYS = 400  # a listed time occurs within a year and a month


class ScheduleError(ValueError):
    """A schedule that cannot be read; the message names the field."""


@dataclass(frozen=True, slots=True)
class Schedule:
    kind: str
    minutes: int | None = None  # Every X Minutes
    days: tuple[int, ...] = tuple(range(7))  # weekday numbers, Monday 0
    times: tuple[time, ...] = ()
    day_of_month: int = 1

    def wire(self) -> dict:
        """`schedule_time` as the dialect shows it."""
        out: dict = {}
        if self.kind == MANUAL:
            return out
        if self.minutes is not None:
            out["minutes_frequency"] = str(self.minutes)
        out["days_of_week"] = [DAYS[d] for d in self.days]
        out["hours"] = [t.strftime("%H.%M") for t in self.times]
        if self.kind == MONTHLY:
            out["day_of_month"] = self.day_of_month
        return out


def zone(name: str | None, field: str = "timezone") -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{field}: unknown time zone {quote(name)}; use an IANA name such as "
                            f"{DEFAULT_TIMEZONE} or Europe/Berlin") from None


def _days(value, kind: str) -> tuple[int, ...]:
    if value in (None, "", []):
        return (0,) if kind == WEEKLY else tuple(range(7))
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ScheduleError("schedule_time.days_of_week: expected a list of day names such as [\"monday\"]")
    out = set()
    for item in items:
        name = str(item).strip().lower()
        if name not in DAYS:
            raise ScheduleError(f"schedule_time.days_of_week: {quote(item)} is not a day; expected lower-case "
                                f"full names: {', '.join(DAYS)}")
        out.add(DAYS.index(name))
    return tuple(sorted(out))


def _times(value) -> tuple[time, ...]:
    if value in (None, "", []):
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ScheduleError("schedule_time.hours: expected a list of \"HH.MM\" strings such as [\"08.00\"]")
    out = set()
    for item in items:
        found = _HOUR.match(str(item).strip())
        if not found:
            raise ScheduleError(f"schedule_time.hours: {quote(item)} is not a time; expected \"HH.MM\" "
                                f"from \"00.00\" to \"23.59\"")
        out.add(time(int(found.group(1)), int(found.group(2))))
    return tuple(sorted(out))


def parse_schedule(kind: object, schedule_time: object) -> Schedule:
    """The schedule a client sent (`schedule`, `schedule_time`), checked; ScheduleError names the
    field at fault."""
    if kind not in SCHEDULES:
        raise ScheduleError(f"schedule: {quote(kind)} is not a schedule; expected one of {', '.join(SCHEDULES)}")
    st = schedule_time if schedule_time not in (None, "") else {}
    if not isinstance(st, dict):
        raise ScheduleError("schedule_time: expected an object {minutes_frequency, days_of_week, hours}")
    if kind == MANUAL:
        return Schedule(MANUAL, days=())
    days, times = _days(st.get("days_of_week"), kind), _times(st.get("hours"))
    if kind == EVERY:
        raw = st.get("minutes_frequency")
        try:
            minutes = int(str(raw).strip())
        except ValueError:
            raise ScheduleError(f"schedule_time.minutes_frequency: {quote(raw)} is not a whole number of minutes "
                                "from 1 to 60") from None
        if not 1 <= minutes <= 60:
            raise ScheduleError(f"schedule_time.minutes_frequency: {minutes} is out of range; from 1 to 60 minutes")
        return Schedule(EVERY, minutes=minutes, days=days, times=times)
    if kind == MONTHLY:
        raw = st.get("day_of_month", 1)
        try:
            dom = int(str(raw))
        except ValueError:
            dom = 0
        if not 1 <= dom <= 31:
            raise ScheduleError(f"schedule_time.day_of_month: {quote(raw)} is not a day of the month from 1 to 31")
        return Schedule(MONTHLY, days=tuple(range(7)), times=times or (time(0),), day_of_month=dom)
    if kind == DAILY:
        return Schedule(DAILY, days=days, times=times or tuple(time(h) for h in range(24)))
    return Schedule(WEEKLY, days=days, times=times or (time(0),))


def _instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """A wall-clock time as UTC: a skipped time is moved past the gap (fold=0 reads it with the
    offset before the change), a repeated one is its first occurrence."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _month_day(day: date, wanted: int) -> int:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return min(wanted, (following - timedelta(days=1)).day)


def next_run(schedule: Schedule, after: datetime, tz: ZoneInfo | str | None = None) -> datetime | None:
    """The first run strictly after `after` (aware), in UTC; None for Manual."""
    tz = tz if isinstance(tz, ZoneInfo) else zone(tz)
    after = after.astimezone(UTC)
    if schedule.kind == MANUAL:
        return None
    if schedule.kind == EVERY:
        return _next_every(schedule, after, tz)
    local_day = after.astimezone(tz).date()
    for offset in range(_SEARCH_DAYS):
        day = local_day + timedelta(days=offset)
        if schedule.kind == MONTHLY:
            if day.day != _month_day(day, schedule.day_of_month):
                continue
        elif day.weekday() not in schedule.days:
            continue
        for at in schedule.times:
            when = _instant(day, at, tz)
            if when > after:
                return when
    return None


def _in_window(schedule: Schedule, when: datetime, tz: ZoneInfo) -> bool:
    local = when.astimezone(tz)
    if local.weekday() not in schedule.days:
        return False
    if not schedule.times:
        return True
    minute = local.hour * 60 + local.minute
    return any(0 <= minute - (t.hour * 60 + t.minute) < 60 for t in schedule.times)


def _next_every(schedule: Schedule, after: datetime, tz: ZoneInfo) -> datetime | None:
    step = schedule.minutes * 60
    stamp = int(after.timestamp()) // step * step + step
    when = datetime.fromtimestamp(stamp, UTC)
    limit = after + timedelta(days=8)
    while when <= limit:
        if _in_window(schedule, when, tz):
            return when
        local = when.astimezone(tz)
        if local.weekday() not in schedule.days:  # skip to the next local midnight
            midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
            stamp = max(stamp + step, -(-int(midnight.timestamp()) // step) * step)
        else:
            stamp += step
        when = datetime.fromtimestamp(stamp, UTC)
    return None

"""Schedule rules: every schedule type, in the account's time zone, across DST changes and
month ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sellerkit.domain.schedules import ScheduleError, next_run, parse_schedule


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


class TestParse:
    def test_manual_never_runs_by_itself(self):
        assert next_run(parse_schedule("Manual", {}), utc(2026, 1, 1)) is None

    @pytest.mark.parametrize("kind, st, field", [
        ("Hourly", {}, "schedule"),
        ("Every X Minutes", {"minutes_frequency": "0"}, "schedule_time.minutes_frequency"),
        ("Every X Minutes", {"minutes_frequency": "61"}, "schedule_time.minutes_frequency"),
        ("Every X Minutes", {"minutes_frequency": "ten"}, "schedule_time.minutes_frequency"),
        ("Daily", {"hours": ["8am"]}, "schedule_time.hours"),
        ("Daily", {"hours": ["24.00"]}, "schedule_time.hours"),
        ("Weekly", {"days_of_week": ["Mon"]}, "schedule_time.days_of_week"),
        ("Monthly", {"day_of_month": 32}, "schedule_time.day_of_month"),
        ("Daily", "08.00", "schedule_time"),
    ])
    def test_a_bad_schedule_names_its_field(self, kind, st, field):
        with pytest.raises(ScheduleError, match=f"^{field.replace('.', '[.]')}:"):
            parse_schedule(kind, st)

    def test_wire_form_round_trips(self):
        st = {"minutes_frequency": "30", "days_of_week": ["monday", "friday"], "hours": ["08.00", "12.30"]}
        assert parse_schedule("Every X Minutes", st).wire() == st


class TestDefaultZone:
    def test_hours_are_read_as_brisbane_time_by_default(self):
        s = parse_schedule("Daily", {"hours": ["08.00"]})
        # 08:00 in Brisbane (UTC+10) is 22:00 UTC the day before
        assert next_run(s, utc(2026, 3, 1, 12)) == utc(2026, 3, 1, 22)

    def test_daily_without_hours_runs_every_hour(self):
        s = parse_schedule("Daily", {})
        assert next_run(s, utc(2026, 3, 1, 12, 5)) == utc(2026, 3, 1, 13)


class TestEveryXMinutes:
    def test_runs_on_the_frequency_grid(self):
        s = parse_schedule("Every X Minutes", {"minutes_frequency": "15"})
        assert next_run(s, utc(2026, 5, 4, 10, 7), "UTC") == utc(2026, 5, 4, 10, 15)
        assert next_run(s, utc(2026, 5, 4, 10, 15), "UTC") == utc(2026, 5, 4, 10, 30)

    def test_only_in_the_listed_hours_and_days(self):
        s = parse_schedule("Every X Minutes", {"minutes_frequency": "30", "days_of_week": ["monday"],
                                               "hours": ["08.00"]})
        # Saturday 2026-05-02: the next run is Monday 08:00 local (Brisbane = UTC+10)
        assert next_run(s, utc(2026, 5, 2, 0), "Australia/Brisbane") == utc(2026, 5, 3, 22)
        assert next_run(s, utc(2026, 5, 3, 22), "Australia/Brisbane") == utc(2026, 5, 3, 22, 30)
        assert next_run(s, utc(2026, 5, 3, 22, 30), "Australia/Brisbane") == utc(2026, 5, 10, 22)

    def test_stays_evenly_spaced_across_a_dst_change(self):
        s = parse_schedule("Every X Minutes", {"minutes_frequency": "30"})
        at, runs = utc(2026, 3, 8, 5), []  # New York springs forward at 07:00 UTC on 2026-03-08
        for _ in range(8):
            at = next_run(s, at, "America/New_York")
            runs.append(at)
        assert all(b - a == timedelta(minutes=30) for a, b in zip(runs, runs[1:]))


class TestDst:
    def test_a_skipped_time_runs_just_after_the_gap(self):
        s = parse_schedule("Daily", {"hours": ["02.30"]})
        # 2026-03-08 02:30 does not exist in New York: it runs at 03:30 EDT = 07:30 UTC
        assert next_run(s, utc(2026, 3, 8, 0), "America/New_York") == utc(2026, 3, 8, 7, 30)

    def test_a_repeated_time_runs_once(self):
        s = parse_schedule("Daily", {"hours": ["01.30"]})
        # 2026-11-01 01:30 happens twice in New York: the first (EDT, 05:30 UTC), then the next day
        first = next_run(s, utc(2026, 11, 1, 0), "America/New_York")
        assert first == utc(2026, 11, 1, 5, 30)
        assert next_run(s, first, "America/New_York") == utc(2026, 11, 2, 6, 30)

    def test_the_offset_follows_the_season(self):
        s = parse_schedule("Daily", {"hours": ["09.00"]})
        assert next_run(s, utc(2026, 1, 10), "Europe/Berlin") == utc(2026, 1, 10, 8)
        assert next_run(s, utc(2026, 7, 10), "Europe/Berlin") == utc(2026, 7, 10, 7)


class TestWeekly:
    def test_runs_on_the_listed_days(self):
        s = parse_schedule("Weekly", {"days_of_week": ["wednesday", "sunday"], "hours": ["10.00"]})
        # Monday 2026-05-04 -> Wednesday 2026-05-06 10:00 UTC
        assert next_run(s, utc(2026, 5, 4), "UTC") == utc(2026, 5, 6, 10)
        assert next_run(s, utc(2026, 5, 6, 10), "UTC") == utc(2026, 5, 10, 10)

    def test_defaults_to_monday_midnight(self):
        assert next_run(parse_schedule("Weekly", {}), utc(2026, 5, 5), "UTC") == utc(2026, 5, 11)


class TestMonthly:
    def test_runs_on_the_first_by_default(self):
        assert next_run(parse_schedule("Monthly", {"hours": ["06.00"]}), utc(2026, 1, 15), "UTC") == utc(2026, 2, 1, 6)

    @pytest.mark.parametrize("after, expected", [
        (utc(2026, 1, 31, 12), utc(2026, 2, 28)),  # February has 28 days in 2026
        (utc(2028, 1, 31, 12), utc(2028, 2, 29)),  # a leap year
        (utc(2026, 4, 1), utc(2026, 4, 30)),
        (utc(2026, 12, 31, 1), utc(2027, 1, 31)),  # the year turns
    ])
    def test_day_31_runs_on_the_last_day_of_short_months(self, after, expected):
        s = parse_schedule("Monthly", {"day_of_month": 31})
        assert next_run(s, after, "UTC") == expected

    def test_month_end_in_the_account_zone(self):
        s = parse_schedule("Monthly", {"day_of_month": 31, "hours": ["23.30"]})
        # 30 April 23:30 in Brisbane is 13:30 UTC that day
        assert next_run(s, utc(2026, 4, 2), "Australia/Brisbane") == utc(2026, 4, 30, 13, 30)

"""Tests for sellerkit.domain.timestamps: the optional event `timestamp` of write methods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from sellerkit.domain.timestamps import event_time
from sellerkit.kit.http import EventTimestamp

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class TestEventTime:
    def test_no_timestamp_is_the_servers_time(self):
        assert event_time(None, now=NOW) == NOW

    def test_blank_timestamp_is_the_servers_time(self):
        assert event_time("  ", now=NOW) == NOW

    def test_z_suffix_is_utc(self):
        assert event_time("2026-11-01T08:30:00Z") == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)

    def test_offset_is_converted_to_utc(self):
        assert event_time("2026-11-01T10:30:00+02:00") == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)

    def test_aware_datetime_is_kept(self):
        at = datetime(2026, 11, 1, 10, 30, tzinfo=timezone(timedelta(hours=2)))
        assert event_time(at) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)

    def test_rejects_a_timestamp_without_offset_saying_what_to_add(self):
        with pytest.raises(ValueError, match='timestamp: "2026-11-01T08:30:00" has no UTC offset; add Z'):
            event_time("2026-11-01T08:30:00")

    def test_rejects_text_that_is_no_date(self):
        with pytest.raises(ValueError, match='timestamp: "yesterday" is not an ISO 8601'):
            event_time("yesterday")


    @pytest.mark.parametrize("value", [True, {}, 1700000000])
    def test_rejects_a_value_that_is_not_text(self, value):
        with pytest.raises(ValueError, match="timestamp: expected an ISO 8601 date and time as text"):
            event_time(value)


class TestEventTimestampField:
    class Body(BaseModel):
        timestamp: EventTimestamp = None

    def test_optional_in_a_request_body(self):
        assert self.Body().timestamp is None

    def test_parses_iso_8601(self):
        assert self.Body(timestamp="2026-11-01T08:30:00Z").timestamp == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)

    def test_refuses_a_timestamp_without_offset(self):
        with pytest.raises(ValidationError, match="has no UTC offset"):
            self.Body(timestamp="2026-11-01T08:30:00")

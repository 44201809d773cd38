from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.model.weeks import Month, Week
from bot.domain.wording import week_label
from tests.conftest import TZ, at, make_policy


def test_week_label_matches_the_design_example():
    week = Week.of(at("2024-09-12 09:00"), TZ)
    assert week.start == date(2024, 9, 9)
    assert week.end == date(2024, 9, 15)
    assert week_label(week) == "Tuần 37 (09/09–15/09/2024)"


def test_week_spanning_a_month_end():
    week = Week.containing(date(2024, 10, 2))
    assert week_label(week) == "Tuần 40 (30/09–06/10/2024)"


def test_week_spanning_a_year_end_is_iso_week_one_of_the_new_year():
    week = Week.containing(date(2024, 12, 31))
    assert week.start == date(2024, 12, 30)
    assert week.number == 1
    assert week.iso == "2025-W01"
    assert week_label(week) == "Tuần 1 (30/12/2024–05/01/2025)"


def test_year_with_53_weeks():
    week = Week.containing(date(2026, 12, 31))
    assert week.number == 53
    assert week_label(week) == "Tuần 53 (28/12/2026–03/01/2027)"


def test_week_boundaries_follow_local_time_not_utc():
    # Sunday 23:30 in Hanoi is Sunday 16:30 UTC; Monday 00:30 in Hanoi is still Sunday in UTC.
    sunday_night = at("2024-09-15 23:30")
    monday_early = at("2024-09-16 00:30")
    assert Week.of(sunday_night, TZ).start == date(2024, 9, 9)
    assert Week.of(monday_early, TZ).start == date(2024, 9, 16)
    assert monday_early.astimezone(UTC).date() == date(2024, 9, 15)


def test_days_left_counts_today():
    week = Week.containing(date(2024, 9, 9))
    assert week.days_left(at("2024-09-09 08:00"), TZ) == 7
    assert week.days_left(at("2024-09-12 09:00"), TZ) == 4
    assert week.days_left(at("2024-09-15 23:59"), TZ) == 1
    assert week.days_left(at("2024-09-16 00:00"), TZ) == 0


def test_week_rejects_a_non_monday_and_naive_times():
    with pytest.raises(ValueError):
        Week(date(2024, 9, 10))
    with pytest.raises(ValueError):
        Week.of(datetime(2024, 9, 10, 9, 0), TZ)


def test_iso_round_trip_and_shifts():
    week = Week.from_iso("2024-W37")
    assert week.start == date(2024, 9, 9)
    assert week.previous() == Week.from_iso("2024-W36")
    assert week.shifted(-1) == week.previous()
    assert week.next().start - week.start == timedelta(days=7)


def test_late_cutoff_is_monday_noon_by_default():
    policy = make_policy()
    last_week = Week.containing(date(2024, 9, 9))
    assert not policy.is_locked(last_week, at("2024-09-16 11:59"))
    assert policy.is_locked(last_week, at("2024-09-16 12:00"))
    assert policy.open_weeks(at("2024-09-16 11:00")) == [last_week.next(), last_week]
    assert policy.open_weeks(at("2024-09-16 12:00")) == [last_week.next()]


def test_months():
    month = Month.of(at("2024-12-31 23:00"), TZ)
    assert (month.first_day, month.last_day) == (date(2024, 12, 1), date(2024, 12, 31))
    assert month.next() == Month(2025, 1)
    assert Month(2025, 1).previous() == month
    assert Month.from_iso("2024-02").last_day == date(2024, 2, 29)
    with pytest.raises(ValueError):
        Month.from_iso("2024-13")


def test_the_cutoff_is_described_from_the_setting():
    from bot.domain.wording import cutoff_phrase, report_usage

    assert cutoff_phrase(timedelta(hours=12)) == "12:00 thứ Hai"
    assert cutoff_phrase(timedelta(hours=36)) == "12:00 thứ Ba"
    assert cutoff_phrase(timedelta(0)) == "00:00 thứ Hai"
    assert "(trước 08:30 thứ Hai)" in report_usage(timedelta(hours=8, minutes=30))

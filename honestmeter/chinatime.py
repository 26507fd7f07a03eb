"""China Standard Time: the one home of the regulators' calendar (pure: stdlib only).

Timestamps are stored in UTC; dates that regulators, merchants and the public read (deadlines, "signed on",
months in statistics) are China Standard Time. China has kept no daylight saving time since 1991, so the zone is
a fixed UTC+8 for every date the platform can hold: SQL (honestmeter/chinatime_sql.py) shifts by UTC_OFFSET_HOURS
and needs no time-zone database, and agrees with `china_date` here.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

ZONE_NAME = "Asia/Shanghai"
CHINA = ZoneInfo(ZONE_NAME)
UTC_OFFSET_HOURS = 8  # what the SQL expressions add; equals CHINA since 1991 (no DST)


def china_date(moment: datetime) -> date:
    """The calendar date of an aware datetime in China Standard Time."""
    return moment.astimezone(CHINA).date()


def china_midnight(day: date) -> datetime:
    """The UTC instant a China calendar day starts (for filtering UTC timestamps by China dates)."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA).astimezone(UTC)


def china_time(value: datetime | None) -> str:
    """A UTC instant as China Standard Time, to the minute (what regulators read and type); "" for None."""
    return "" if value is None else value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def add_months(day: date, months: int) -> date:
    """Same day-of-month `months` later, clamped to the month's end (2024-01-31 + 1 → 2024-02-29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

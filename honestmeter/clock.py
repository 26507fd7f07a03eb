"""Injectable clock: all business code asks here for "now" so tests can freeze time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from honestmeter.chinatime import china_date

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return _now()


def today() -> date:
    """Today's date in China Standard Time (UTC+8), the calendar regulators work in."""
    return china_date(utcnow())


def set_clock(fn: Callable[[], datetime]) -> None:
    global _now  # noqa: PLW0603 — the clock is process-wide by design
    _now = fn


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze `utcnow()` at `at` for the duration of the block."""
    global _now  # noqa: PLW0603
    previous = _now
    _now = lambda: at  # noqa: E731
    try:
        yield
    finally:
        _now = previous

"""Reminders to merchants: instruments due for verification, commitments due for renewal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.jobs.registry import JobSpec, register

    register(
        JobSpec(
            id="reminders.daily",
            func="honestmeter.reminders.services:run_daily",
            trigger="cron",
            trigger_args={"hour": 7, "minute": 30},
            description="到期提醒（计量器具检定、承诺书续签）",
            run_at_start=True,
        )
    )

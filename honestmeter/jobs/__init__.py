"""The scheduler: the schedule of periodic jobs, the runner and its bookkeeping."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.jobs import registry, schedule
    from honestmeter.settings import settings

    for spec in schedule.periodic_jobs(settings(app)):
        registry.register(spec, app)

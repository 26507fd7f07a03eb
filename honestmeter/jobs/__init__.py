"""The scheduler: the schedule of periodic jobs, the runner and its bookkeeping."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.jobs import registry, schedule

    for spec in schedule.periodic_jobs(app.config):
        registry.register(spec, app)

"""Periodic jobs declared as data, with stable ids, so a restart never duplicates or orphans one.

The jobs are listed in `schedule.py`; each app keeps its table of them in `app.extensions`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask.sansio.app import App


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str  # "module:function", imported when the job runs
    trigger: str  # "interval" or "cron"
    trigger_args: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    run_at_start: bool = False  # also run once as soon as the scheduler starts


EXTENSION = "honestmeter.jobs"


def _table(app: App | None) -> dict[str, JobSpec]:
    table: dict[str, JobSpec] = (app if app is not None else current_app).extensions.setdefault(EXTENSION, {})
    return table


def register(spec: JobSpec, app: App | None = None) -> None:
    """Add a job to the app's table (the current app's by default); the same id replaces it."""
    _table(app)[spec.id] = spec


def specs(app: App | None = None) -> list[JobSpec]:
    """The app's jobs (the current app's by default), by id."""
    return sorted(_table(app).values(), key=lambda s: s.id)

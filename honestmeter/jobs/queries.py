"""What the scheduler has been doing."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from honestmeter.extensions import db
from honestmeter.jobs.models import JobRun

HEARTBEAT_JOB = "jobs.heartbeat"


def heartbeat() -> datetime | None:
    """When the scheduler last proved it was alive (None: never ran against this database)."""
    return db.session.scalar(sa.select(sa.func.max(JobRun.started_at)).where(JobRun.job_id == HEARTBEAT_JOB))


def recent_runs(limit: int = 50) -> list[JobRun]:
    return list(db.session.scalars(sa.select(JobRun).order_by(JobRun.started_at.desc()).limit(limit)))

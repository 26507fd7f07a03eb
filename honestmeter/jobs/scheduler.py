"""Build and run the APScheduler scheduler from the app's jobs (schedule.py).

Each run pushes an app context, calls one function, and is recorded in `job_runs` (who ran what,
when, and whether it failed), so operators can see job health without reading logs. Several scheduler
processes may tick against one database; only the holder of the leadership lock runs jobs (leadership.py).
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.jobs import leadership, registry
from honestmeter.jobs.models import JobRun
from honestmeter.settings import settings

log = logging.getLogger(__name__)


def _resolve(func: str) -> Callable[[], Any]:
    module, _, name = func.partition(":")
    fn: Callable[[], Any] = getattr(importlib.import_module(module), name)
    return fn


def process_name() -> str:
    """Which process ran a job: host and pid, so two schedulers on one host are told apart."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def run_job(app: Flask, spec: registry.JobSpec, lock: leadership.Leadership | None = None) -> bool | None:
    """Run one job now, inside an app context, recording the run. Returns True on success, False on
    failure, None when another process holds the leadership lock (this one is a standby)."""
    if lock is not None and not lock.ensure():
        log.debug("job %s: standby, another scheduler process leads", spec.id)
        return None
    with app.app_context():
        if lock is not None and lock.newly_taken() and lock.taken_at is not None:
            close_interrupted_runs(before=lock.taken_at)
        run = JobRun(job_id=spec.id, started_at=clock.utcnow(), host=process_name())
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        ok, error = True, None
        try:
            _resolve(spec.func)()
        except Exception:  # a failing job must not kill the scheduler; the failure is recorded
            db.session.rollback()
            ok, error = False, traceback.format_exc(limit=20)
            log.exception("job %s failed", spec.id)
        db.session.execute(
            sa.update(JobRun).where(JobRun.id == run_id).values(finished_at=clock.utcnow(), ok=ok, error=error)
        )
        db.session.commit()
        db.session.remove()
        return ok


INTERRUPTED = "interrupted: the scheduler process running it stopped before it finished"


def close_interrupted_runs(*, before: datetime) -> int:
    """Runs left unfinished by an earlier leader (killed, or cut off from the database) are over: a new leader
    only starts once the old one is gone, so mark them failed rather than 'running' for ever. Only runs started
    before this term began: this leader's own first runs may already be under way on other threads."""
    closed = db.session.execute(  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        sa.update(JobRun)
        .where(JobRun.finished_at.is_(None), JobRun.started_at < before)
        .values(finished_at=clock.utcnow(), ok=False, error=INTERRUPTED)
    ).rowcount
    db.session.commit()
    if closed:
        log.warning("scheduler: marked %d unfinished job run(s) of an earlier leader as interrupted", closed)
    return int(closed or 0)


def build(app: Flask, *, blocking: bool) -> BaseScheduler:
    with app.app_context():
        lock = leadership.for_database(db.engine, Path(settings(app).VAR_DIR))
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone="Asia/Shanghai")
        if blocking
        else BackgroundScheduler(timezone="Asia/Shanghai", daemon=True)
    )
    for spec in registry.specs(app):
        scheduler.add_job(
            run_job,
            trigger=spec.trigger,
            args=[app, spec, lock],
            id=spec.id,
            name=spec.description or spec.id,
            replace_existing=True,
            coalesce=True,  # after a pause, run once, not once per missed slot
            max_instances=1,
            misfire_grace_time=300,
            **({"next_run_time": clock.utcnow()} if spec.run_at_start else {}),
            **spec.trigger_args,
        )
    return scheduler


JOB_RUN_RETENTION = timedelta(days=30)


def heartbeat() -> None:
    """Proves the scheduler is alive (the run row is the evidence) and prunes old run rows."""
    cutoff = clock.utcnow() - JOB_RUN_RETENTION
    db.session.execute(sa.delete(JobRun).where(JobRun.started_at < cutoff))
    db.session.commit()

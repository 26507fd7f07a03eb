"""The operations page: how each scheduled job has been doing, and how far anchoring lags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from honestmeter.extensions import db
from honestmeter.jobs import registry
from honestmeter.jobs.models import JobRun
from honestmeter.ledger.models import LedgerAnchor

WINDOW = timedelta(days=7)  # failure counts and the chart cover the last week


@dataclass(frozen=True)
class JobHealth:
    spec: registry.JobSpec
    last: JobRun | None
    last_ok_at: datetime | None
    runs: int  # in WINDOW
    failures: int  # in WINDOW

    @property
    def schedule(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.spec.trigger_args.items())
        return f"{self.spec.trigger} ({args})"

    @property
    def failing(self) -> bool:
        return self.last is not None and self.last.ok is False


def job_health(now: datetime) -> list[JobHealth]:
    """One row per registered job: its last run, last success and the week's failures (four grouped queries)."""
    since = now - WINDOW
    last_ids = sa.select(sa.func.max(JobRun.id)).group_by(JobRun.job_id)
    last = {r.job_id: r for r in db.session.scalars(sa.select(JobRun).where(JobRun.id.in_(last_ids)))}
    last_ok: dict[str, datetime] = dict(
        db.session.execute(  # type: ignore[arg-type]
            sa.select(JobRun.job_id, sa.func.max(JobRun.started_at)).where(JobRun.ok.is_(True)).group_by(JobRun.job_id)
        ).all()
    )
    counts = {
        job_id: (runs, failures or 0)
        for job_id, runs, failures in db.session.execute(
            sa.select(
                JobRun.job_id,
                sa.func.count(JobRun.id),
                sa.func.sum(sa.case((JobRun.ok.is_(False), 1), else_=0)),
            )
            .where(JobRun.started_at >= since)
            .group_by(JobRun.job_id)
        ).all()
    }
    return [
        JobHealth(spec, last.get(spec.id), last_ok.get(spec.id), *counts.get(spec.id, (0, 0)))
        for spec in registry.specs()
    ]


def recent_runs(*, failed_only: bool = False, limit: int = 100) -> list[JobRun]:
    query = sa.select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if failed_only:
        query = query.where(JobRun.ok.is_(False))
    return list(db.session.scalars(query))


def recent_anchors(limit: int = 20) -> list[dict[str, Any]]:
    """The newest anchors with the leaves each covered and its gas per leaf (the batching that keeps gas low)."""
    anchors = list(db.session.scalars(sa.select(LedgerAnchor).order_by(LedgerAnchor.tree_size.desc()).limit(limit + 1)))
    rows: list[dict[str, Any]] = []
    for newer, older in zip(anchors, [*anchors[1:], None], strict=False):
        if len(rows) == limit:
            break
        leaves = newer.tree_size - (older.tree_size if older else 0)
        rows.append({"anchor": newer, "leaves": leaves, "gas_per_leaf": newer.gas_used / leaves if leaves else None})
    return rows

"""The scheduler: job registry, runner and bookkeeping."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.jobs.queries import HEARTBEAT_JOB
    from honestmeter.jobs.registry import JobSpec, register
    from honestmeter.settings import settings

    register(
        JobSpec(
            id=HEARTBEAT_JOB,
            func="honestmeter.jobs.scheduler:heartbeat",
            trigger="interval",
            trigger_args={"seconds": settings(app).SCHEDULER_HEARTBEAT_SECONDS},
            description="调度器心跳",
            run_at_start=True,
        )
    )

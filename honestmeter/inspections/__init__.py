"""双随机、一公开: inspectors, recusals, check items, plans, verifiable draws, tasks, findings, publication."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.inspections.directory import routes
    from honestmeter.inspections.plans import routes as plan_routes
    from honestmeter.inspections.replies import routes as reply_routes
    from honestmeter.inspections.results import routes as result_routes
    from honestmeter.inspections.results import workdays
    from honestmeter.inspections.tasks import routes as task_routes
    from honestmeter.jobs.registry import JobSpec, register

    for module in (routes, plan_routes, task_routes, result_routes, reply_routes):
        app.register_blueprint(module.bp)
    # Deadlines in a year chinese-calendar has no data for are counted Monday–Friday: pages flag them.
    app.add_template_global(lambda d: workdays.covered(d.year), "holidays_known")
    register(
        JobSpec(
            id="inspections.draws",
            func="honestmeter.inspections.draws.services:draw_job",
            trigger="interval",
            trigger_args={"seconds": 60},
            description="按计划公告摇号，锚定后揭晓结果",
            run_at_start=True,
        )
    )
    register(
        JobSpec(
            id="inspections.publication_deadlines",
            func="honestmeter.inspections.results.publication:deadline_job",
            trigger="cron",
            trigger_args={"hour": 8, "minute": 0},
            description="检查结果公示期限预警",
            run_at_start=True,
        )
    )

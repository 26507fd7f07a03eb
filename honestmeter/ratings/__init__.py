"""Metrology credit grading (计量信用分级, DESIGN §6): rules, facts, grades, penalties and credit repair."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.jobs.registry import JobSpec, register
    from honestmeter.ledger.services import register_projection
    from honestmeter.ratings import cli
    from honestmeter.ratings.grades import services as grades
    from honestmeter.ratings.penalties import routes as penalty_routes
    from honestmeter.ratings.rules import routes as rule_routes
    from honestmeter.ratings.rules import services as rules
    from honestmeter.repairs import routes as repair_routes

    for bp in (rule_routes.bp, penalty_routes.bp, repair_routes.bp):
        app.register_blueprint(bp)
    app.cli.add_command(cli.grades_group)
    register_projection(grades.RECORD_TYPE, grades.projection)
    register_projection(rules.RECORD_TYPE, rules.projection)
    register(
        JobSpec(
            id="ratings.recompute",
            func="honestmeter.ratings.grades.recompute:nightly",
            trigger="cron",
            # After commitments.expire (00:05), so a commitment that ran out yesterday no longer counts.
            trigger_args={"hour": 1, "minute": 30},
            description="计量信用等级每日重算",
            run_at_start=True,
        )
    )
    register(
        JobSpec(
            id="ratings.rules_watch",
            func="honestmeter.ratings.grades.recompute:rules_watch",
            trigger="interval",
            trigger_args={"minutes": 1},
            description="新版评级规则发布后重算全部等级",
        )
    )

"""Metrology credit grading (计量信用分级, DESIGN §6): rules, facts, grades and penalties.

The domains below it never call it: they emit events (honestmeter.events) that `subscribers` turns into credit
facts and regrades."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.ledger.services import register_projection
    from honestmeter.ratings import cli, subscribers
    from honestmeter.ratings import routes as rule_routes
    from honestmeter.ratings.grades import services as grades
    from honestmeter.ratings.penalties import records as penalty_records
    from honestmeter.ratings.penalties import routes as penalty_routes
    from honestmeter.ratings.rules import services as rules

    for bp in (rule_routes.bp, penalty_routes.bp):
        app.register_blueprint(bp)
    register_projection(app, penalty_records.RECORD_TYPE, penalty_records.projection)
    subscribers.subscribe(app)
    app.cli.add_command(cli.grades_group)
    register_projection(app, grades.RECORD_TYPE, grades.projection)
    register_projection(app, rules.RECORD_TYPE, rules.projection)

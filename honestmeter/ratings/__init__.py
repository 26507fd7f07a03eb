"""Metrology credit grading (计量信用分级, DESIGN §6): rules, facts, grades, penalties and credit repair."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
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
    register_projection(app, grades.RECORD_TYPE, grades.projection)
    register_projection(app, rules.RECORD_TYPE, rules.projection)

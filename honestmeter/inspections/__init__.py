"""双随机、一公开: inspectors, recusals, check items, plans, verifiable draws, tasks, findings, publication."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.inspections import plan_routes, result_routes, routes, task_routes

    for module in (routes, plan_routes, task_routes, result_routes):
        app.register_blueprint(module.bp)

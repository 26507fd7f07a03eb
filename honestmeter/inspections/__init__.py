"""Inspectors, and later plans, draws, tasks and findings (双随机、一公开)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.inspections.routes import bp

    app.register_blueprint(bp)

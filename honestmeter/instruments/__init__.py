"""Measuring instruments and the instrument-type catalogue."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.instruments.routes import bp

    app.register_blueprint(bp)

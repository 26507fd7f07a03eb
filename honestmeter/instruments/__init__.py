"""Measuring instruments and the instrument-type catalogue."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.instruments import records
    from honestmeter.instruments.routes import bp
    from honestmeter.ledger.services import register_projection

    app.register_blueprint(bp)
    register_projection(records.RECORD_TYPE, records.projection)

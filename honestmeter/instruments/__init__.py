"""Measuring instruments and the instrument-type catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.instruments import cli, records
    from honestmeter.instruments.routes import bp
    from honestmeter.ledger.services import register_projection

    app.register_blueprint(bp)
    app.cli.add_command(cli.import_group)
    register_projection(app, records.RECORD_TYPE, records.projection)

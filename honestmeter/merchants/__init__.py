"""The inspection-object directory: merchants, sectors, regions, USCC rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.ledger.services import register_projection
    from honestmeter.merchants import records
    from honestmeter.merchants.routes import bp

    app.register_blueprint(bp)
    register_projection(app, records.RECORD_TYPE, records.projection)

"""投诉举报 (social supervision): the public files and follows complaints; regulators triage and decide them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.complaints import routes, services
    from honestmeter.ledger.services import register_projection

    app.register_blueprint(routes.bp)
    register_projection(services.RECORD_TYPE, services.projection)

"""投诉举报 (social supervision): the public files and follows complaints; regulators triage and decide them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter import events
    from honestmeter.complaints import records, routes, services
    from honestmeter.ledger.services import projection_registry

    app.register_blueprint(routes.bp)
    projection_registry(app).register_all(records.PROJECTIONS)
    events.subscribe(app, events.MerchantChanged, services.on_merchant_changed)

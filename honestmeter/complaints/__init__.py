"""投诉举报 (social supervision): the public files and follows complaints; regulators triage and decide them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter import events
    from honestmeter.complaints import routes, services
    from honestmeter.ledger.services import register_projection

    app.register_blueprint(routes.bp)
    register_projection(services.RECORD_TYPE, services.projection)
    events.subscribe(app, events.MerchantChanged, services.on_merchant_changed)

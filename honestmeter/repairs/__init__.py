"""信用修复 (domain.md §4.3): above ratings, lists and complaints, whose items it repairs."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter import events
    from honestmeter.ledger.services import register_projection
    from honestmeter.repairs import routes, services

    app.register_blueprint(routes.bp)
    register_projection(app, services.RECORD_TYPE, services.projection)
    events.subscribe(app, events.MerchantChanged, services.on_merchant_changed)
    events.subscribe(app, events.ReplyApproving, services.on_reply_approving)

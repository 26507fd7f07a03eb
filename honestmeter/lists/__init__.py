"""Credit lists: 经营异常名录, 严重违法失信名单 and 诚信计量示范单位; each entry and removal is a ledger record."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter import events
    from honestmeter.ledger.services import register_projection
    from honestmeter.lists import records, routes
    from honestmeter.lists.cli import lists_group

    app.register_blueprint(routes.bp)
    # Transitional: the 名录审核 view moved here from the results blueprint; templates not owned by the lists
    # domain (layouts/base.html, console/dashboard.html) still build its old endpoint name. Same URL, same view;
    # remove once they use "lists.proposals".
    app.add_url_rule("/admin/lists/proposals", endpoint="results.list_proposals", view_func=routes.proposals)
    app.cli.add_command(lists_group)
    register_projection(app, records.RECORD_TYPE, records.projection)
    events.subscribe(app, events.MerchantChanged, records.on_merchant_changed)

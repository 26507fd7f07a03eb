"""Credit lists: 经营异常名录, 严重违法失信名单 and 诚信计量示范单位; each entry and removal is a ledger record."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.jobs.registry import JobSpec, register
    from honestmeter.ledger.services import register_projection
    from honestmeter.lists import records, routes
    from honestmeter.lists.cli import lists_group

    app.register_blueprint(routes.bp)
    # Transitional: the 名录审核 view moved here from the results blueprint; templates not owned by the lists
    # domain (layouts/base.html, console/dashboard.html) still build its old endpoint name. Same URL, same view;
    # remove once they use "lists.proposals".
    app.add_url_rule("/admin/lists/proposals", endpoint="results.list_proposals", view_func=routes.proposals)
    app.cli.add_command(lists_group)
    register_projection(records.RECORD_TYPE, records.projection)
    register(
        JobSpec(
            id="lists.expire",
            func="honestmeter.lists.jobs:expire_job",
            trigger="cron",
            trigger_args={"hour": 0, "minute": 5},
            description="示范单位称号到期失效，严重违法失信名单期满移出",
            run_at_start=True,
        )
    )

"""双随机、一公开: inspectors, recusals, check items, plans, verifiable draws, tasks, findings, publication."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter import events
    from honestmeter.inspections.directory import routes
    from honestmeter.inspections.draws import records as draw_records
    from honestmeter.inspections.draws import routes as draw_routes
    from honestmeter.inspections.plans import routes as plan_routes
    from honestmeter.inspections.replies import records as reply_records
    from honestmeter.inspections.replies import routes as reply_routes
    from honestmeter.inspections.replies import services as replies
    from honestmeter.inspections.results import followup, publication, workdays
    from honestmeter.inspections.results import records as result_records
    from honestmeter.inspections.results import routes as result_routes
    from honestmeter.inspections.tasks import routes as task_routes
    from honestmeter.ledger.services import projection_registry

    for module in (routes, plan_routes, draw_routes, task_routes, result_routes, reply_routes):
        app.register_blueprint(module.bp)
    events.subscribe(app, events.TaskCompleted, followup.on_task_completed)
    events.subscribe(app, events.MerchantChanged, publication.on_merchant_changed)
    events.subscribe(app, events.MerchantChanged, replies.on_merchant_changed)
    # The public projections of the records, so `honestmeter ledger audit` re-derives them from the rows.
    for records in (draw_records, result_records, reply_records):
        projection_registry(app).register_all(records.PROJECTIONS)
    # Deadlines in a year chinese-calendar has no data for are counted Monday–Friday: pages flag them.
    app.add_template_global(lambda d: workdays.covered(d.year), "holidays_known")

"""Honest-metering self-commitments: versioned texts per sector, online signing, renewal, revocation."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.commitments import cli, records
    from honestmeter.commitments.routes import bp
    from honestmeter.jobs.registry import JobSpec, register
    from honestmeter.ledger.services import register_projection

    app.register_blueprint(bp)
    app.cli.add_command(cli.commitments)
    register_projection(records.TEMPLATE_TYPE, records.template_projection)
    register_projection(records.COMMITMENT_TYPE, records.commitment_projection)
    register(
        JobSpec(
            id="commitments.expire",
            func="honestmeter.commitments.services:expire_commitments",
            trigger="cron",
            trigger_args={"hour": 0, "minute": 5},
            description="承诺书到期处理",
            run_at_start=True,
        )
    )

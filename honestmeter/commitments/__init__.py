"""Honest-metering self-commitments: versioned texts per sector, online signing, renewal, revocation."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.commitments import cli, records
    from honestmeter.commitments.routes import bp
    from honestmeter.ledger.services import register_projection

    app.register_blueprint(bp)
    app.cli.add_command(cli.commitments)
    register_projection(app, records.TEMPLATE_TYPE, records.template_projection)
    register_projection(app, records.COMMITMENT_TYPE, records.commitment_projection)

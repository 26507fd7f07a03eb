"""The trusted ledger: an RFC 9162 Merkle log of published facts, anchored on an EVM chain."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.jobs.registry import JobSpec, register
    from honestmeter.ledger import cli
    from honestmeter.ledger.routes import bp
    from honestmeter.settings import settings

    app.register_blueprint(bp)
    app.cli.add_command(cli.ledger)
    register(
        JobSpec(
            id="ledger.anchor_pending",
            func="honestmeter.ledger.anchoring:anchor_pending",
            trigger="interval",
            trigger_args={"seconds": settings(app).LEDGER_ANCHOR_SECONDS},
            description="锚定新的签名树头",
            run_at_start=True,
        )
    )

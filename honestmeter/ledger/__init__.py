"""The trusted ledger: an RFC 9162 Merkle log of published facts, anchored on an EVM chain."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.ledger import cli
    from honestmeter.ledger.routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(cli.ledger)

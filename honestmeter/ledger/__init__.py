"""The trusted ledger: an RFC 9162 Merkle log of published facts, anchored on an EVM chain."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.ledger import cli
    from honestmeter.ledger.routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(cli.ledger)

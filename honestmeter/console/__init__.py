"""Role home pages that gather several domains: the merchant portal and the admin dashboard."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.console.routes import bp

    app.register_blueprint(bp)

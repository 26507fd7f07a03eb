"""Role home pages that gather several domains: the merchant portal and the admin dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.console.routes import bp

    app.register_blueprint(bp)

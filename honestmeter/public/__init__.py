"""The public site and, later, the open data API. A leaf: nothing imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.public import stats_routes
    from honestmeter.public.routes import bp

    app.register_blueprint(bp)
    app.register_blueprint(stats_routes.bp)

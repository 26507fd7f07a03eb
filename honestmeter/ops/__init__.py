"""Operations: request ids and structured logs, /healthz, and the page showing jobs and anchoring lag.

A leaf like `public`: it reads other domains, nothing imports it (except the CLI, for logging).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.ops import routes

    app.register_blueprint(routes.bp)

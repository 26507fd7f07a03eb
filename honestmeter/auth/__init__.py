"""Accounts, roles and sign-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.auth import services
    from honestmeter.auth.routes import bp
    from honestmeter.extensions import login_manager

    login_manager.user_loader(services.load_user)
    app.register_blueprint(bp)

"""Accounts, roles and sign-in."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.auth import services
    from honestmeter.auth.routes import bp
    from honestmeter.extensions import login_manager

    login_manager.user_loader(services.load_user)
    app.register_blueprint(bp)

"""Notices: PDF documents (WeasyPrint, embedded CJK font, verify QR) and their issue records."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.notices.cli import notices
    from honestmeter.notices.routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(notices)

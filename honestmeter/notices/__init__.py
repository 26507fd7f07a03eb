"""Notices: PDF documents (WeasyPrint, embedded CJK font, verify QR) and their issue records."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported before its pure cores: no Flask at import time
    from flask import Flask


def init_app(app: Flask) -> None:
    from honestmeter.notices.cli import notices
    from honestmeter.notices.routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(notices)

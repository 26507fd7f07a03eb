"""Application factory: wires extensions and domains together, nothing else.

It never migrates, seeds, or starts the scheduler or the chain node: those are explicit CLI steps,
so importing or building the app in a test or a gunicorn worker has no effect on the world.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, render_template, request
from flask_babel import get_locale, gettext
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

# The composition root: the one module that imports every domain (nothing imports it but the entry points).
from honestmeter import (
    api,
    auth,
    chinatime,
    cli,
    commitments,
    complaints,
    console,
    inspections,
    instruments,
    jobs,
    labels,
    ledger,
    lists,
    merchants,
    notices,
    ops,
    public,
    ratings,
    repairs,
    security,
    settings,
)
from honestmeter.auth import passwords
from honestmeter.config import Config, load_secret_key
from honestmeter.errors import DomainError
from honestmeter.extensions import babel, csrf, db, limiter, login_manager, migrate
from honestmeter.ops import logs
from honestmeter.roles import Role
from honestmeter.scoring import BEST_GRADE
from honestmeter.storage import StorageFull, private_dir, private_file

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        "honestmeter",
        template_folder=str(PACKAGE_DIR / "templates"),
        static_folder=str(PACKAGE_DIR / "static"),
    )
    app.config.from_mapping(Config.from_env(os.environ).as_mapping())
    if overrides:
        app.config.update(overrides)
    settings.init_app(app)
    private_dir(Path(app.config["VAR_DIR"]))
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = load_secret_key(Path(app.config["VAR_DIR"]))
    _ensure_sqlite_dir(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["PROXY_HOPS"]:
        # Behind nginx: the client's address (rate limits, logs) and scheme come from X-Forwarded-*,
        # trusted only for as many proxies as the operator declares.
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    register_extensions(app)
    register_domains(app)
    register_errorhandlers(app)
    register_template_context(app)
    return app


def _ensure_sqlite_dir(url: str) -> None:
    # The database file is made before SQLite would (0644 by the umask): only the service account reads it.
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        private_file(Path(url.removeprefix("sqlite:///")))


def select_locale() -> str:
    """Chinese unless the visitor chose English (cookie or ?lang=); Accept-Language is ignored
    so that a browser set to English on a bureau PC still gets the official Chinese wording."""
    chosen = request.args.get("lang") or request.cookies.get("lang")
    return chosen if chosen in babel_languages() else "zh"


def babel_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def register_extensions(app: Flask) -> None:
    logs.init_app(app)  # first, so every response and log line carries the request id
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=str(PACKAGE_DIR / "translations")
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    security.init_app(app)
    if app.config.get("PASSWORD_HASH_COST"):
        passwords.configure(*app.config["PASSWORD_HASH_COST"])


def register_domains(app: Flask) -> None:
    domains = (
        ledger,
        auth,
        merchants,
        instruments,
        commitments,
        inspections,
        lists,
        ratings,
        complaints,
        repairs,  # above ratings, lists and complaints
        notices,
        console,
        ops,
        public,
        api,  # after every domain with /api/v1 routes: it documents, rate-limits and caches them all
        jobs,
    )
    for domain in domains:
        domain.init_app(app)
    cli.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    def wants_json() -> bool:
        return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError) -> Any:
        if wants_json():
            return {"error": err.message, "field": err.field}, err.status_code
        return render_template(
            "errors/error.html", code=err.status_code, message=err.localized(gettext)
        ), err.status_code

    @app.errorhandler(sa.exc.OperationalError)
    def database_full(err: sa.exc.OperationalError) -> Any:
        # A full disk under the database is the operator's problem, but the visitor should hear what
        # happened (nothing was saved) rather than see a bare 500; anything else stays a 500.
        if not _disk_full(err):
            raise err
        db.session.rollback()
        return domain_error(StorageFull())

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> Any:
        code = err.code or 500
        if wants_json():
            return {"error": err.name, "status": code}, code
        return render_template("errors/error.html", code=code, message=None), code


def _disk_full(err: sa.exc.OperationalError) -> bool:
    """SQLite's SQLITE_FULL or PostgreSQL's disk_full (SQLSTATE 53100)."""
    orig = err.orig
    return getattr(orig, "sqlite_errorname", None) == "SQLITE_FULL" or getattr(orig, "sqlstate", None) == "53100"


def register_template_context(app: Flask) -> None:
    app.add_template_filter(labels.label, "label")  # {{ value|label }}: an enum's or code's words, translated
    app.add_template_filter(chinatime.china_time, "china_time")  # {{ at|china_time }}: China Standard Time, minutes
    app.jinja_env.globals["best_grade"] = BEST_GRADE  # the grade that earns the 诚信计量 A 级 mark (macros too)

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "current_locale": str(get_locale()),
            "Role": Role,
            "user": current_user,
            "request_id": g.get("request_id"),
        }

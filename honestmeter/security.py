"""Access rules for views and the HTTP security headers.

Every view declares who may use it (`public` or `roles_required(...)`); the role-matrix test walks
the URL map and fails on any view without a declaration, so a new route cannot slip through.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user

from honestmeter.extensions import login_manager, talisman
from honestmeter.roles import Role

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
ROLE_HOME = {
    Role.ADMIN: "console.dashboard",
    Role.INSPECTOR: "tasks.inspector_home",
    Role.MERCHANT: "console.portal",
}


def public(view: F) -> F:
    """Mark a view as open to everyone, including anonymous visitors."""
    view.access = PUBLIC  # type: ignore[attr-defined]
    return view


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Require a logged-in, active user holding one of `roles` (401→login for anonymous, else 403)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapper.access = frozenset(roles)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


admin_required = roles_required(Role.ADMIN)
inspector_required = roles_required(Role.INSPECTOR)
merchant_required = roles_required(Role.MERCHANT)
staff_required = roles_required(Role.ADMIN, Role.INSPECTOR)
any_role_required = roles_required(Role.ADMIN, Role.INSPECTOR, Role.MERCHANT)


def home_url_for(role: Role) -> str:
    return url_for(ROLE_HOME[role])


def safe_next(target: str | None) -> str | None:
    """Accept only same-site relative paths for ?next= (no open redirect to another host)."""
    if not target:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        # Browsers drop tabs and newlines inside a URL ("/\t/evil" becomes "//evil"), and a CR/LF cannot go
        # into a Location header at all (a 500): neither belongs in a path this site links to.
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def query_args(*drop: str) -> dict[str, str]:
    """The current query string as keyword arguments for url_for (pagers, export links), without what url_for would
    take as its own options (`endpoint`, `_external`, `_scheme`, …) or as the view's path arguments: given those,
    a crafted query made url_for fail (a 500) or build a link to somewhere else."""
    path_args = set(request.view_args or {})
    return {
        key: value
        for key, value in request.args.items()
        if key not in drop and key not in path_args and key != "endpoint" and not key.startswith("_")
    }


def redirect_home() -> Any:
    return redirect(home_url_for(current_user.role))


INT32_MAX = 2**31 - 1  # ids are INTEGER columns: PostgreSQL rejects a larger parameter outright (a 500)
INT64_MAX = 2**63 - 1
BIGINT_ARGS = frozenset({"leaf_index"})  # BIGINT columns


def _no_impossible_ids(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """An id in a URL beyond its column's range names nothing: 404 before any query sees it. Nor does a
    path segment with a NUL character in it (PostgreSQL refuses NUL in a text value outright: a 500)."""
    for name, value in (values or {}).items():
        if isinstance(value, int) and not 0 <= value <= (INT64_MAX if name in BIGINT_ARGS else INT32_MAX):
            abort(404)
        if isinstance(value, str) and "\x00" in value:
            abort(404)


def _no_nul_in_input() -> None:
    """No page takes a NUL character in a query or form value: 400 before a view hands one to the database,
    which would fail on it (PostgreSQL) rather than answer. The open data API (/api/) checks its own arguments
    against its schemas and answers its documented 422 instead."""
    if request.path.startswith("/api/"):
        return
    for values in (request.args, request.form if request.method in _BODY_METHODS else None):
        if values is None:
            continue
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def secure_cookie_defaults(config: dict[str, Any]) -> None:
    """The "remember me" cookie is as secure as the session cookie unless configured otherwise: it signs its holder
    in just the same, and Flask-Login's default sends it over plain HTTP even where the session cookie is Secure."""
    config.setdefault("REMEMBER_COOKIE_SECURE", bool(config.get("SESSION_COOKIE_SECURE")))


def init_app(app: Flask) -> None:
    """Security headers and a CSP with no inline scripts; everything is served from this origin."""
    secure_cookie_defaults(app.config)
    csp = {
        "default-src": "'self'",
        "img-src": ["'self'", "data:"],
        "style-src": "'self'",
        "script-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    talisman.init_app(
        app,
        force_https=False,  # TLS ends at the proxy in production; the embedded default is loopback HTTP
        strict_transport_security=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=csp,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"geolocation": "()", "microphone": "()", "camera": "(self)"},
    )

    app.url_value_preprocessor(_no_impossible_ids)
    app.before_request(_no_nul_in_input)
    app.add_template_global(query_args)

    @app.after_request
    def _no_store_for_private(response: Any) -> Any:
        # Pages behind a login must not linger in shared or back-button caches.
        if current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

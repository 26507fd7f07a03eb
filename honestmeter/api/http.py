"""HTTP behaviour shared by every /api/v1 route, including the ledger and draw routes other packages own.

- Rate limit: API_RATE_LIMIT per client address, one budget shared by all /api/v1 reads (GET/HEAD); writes
  keep their own limits. A 429 answers JSON like every other /api/ error (app.py's handler).
- Caching: a GET 200 gets a weak ETag of its exact bytes (unless the view set its own) and
  `Cache-Control: public, max-age=60` (unless the view set its own); If-None-Match answers 304 with no body.
  The bytes of a response are never changed.
- Ids beyond their column's range (32 bits, 64 for a leaf index) in a path cannot exist in any table: they are
  answered 404 up front, never passed to a database driver that would fail on them; page numbers and sizes of
  more than 15 digits are answered 422.
- CSV bodies and RFC 8288 Link headers for the paginated endpoints.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask import Flask, Response, abort, request, url_for
from werkzeug.exceptions import HTTPException

from honestmeter import tables
from honestmeter.extensions import limiter
from honestmeter.security import query_args
from honestmeter.settings import settings

PREFIX = "/api/v1/"
CACHE_CONTROL = "public, max-age=60"
PAGING_ARGS = ("page", "per_page")
MAX_DIGITS = 15  # a page number or size longer than this is nobody's; multiplied into an OFFSET it overflows
_LIMITED = "_api_rate_limited"


def api_limit() -> str:
    return settings().API_RATE_LIMIT


def is_api(path: str) -> bool:
    return path.startswith(PREFIX) or path == PREFIX.rstrip("/")


# ---------------------------------------------------------------- bodies


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(_cell(v) for v in value)
    return tables.safe_cell(value)  # merchants type their own names: no cell may start a spreadsheet formula


def csv_bytes(items: Iterable[dict[str, Any]], columns: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(columns)
    for item in items:
        writer.writerow([_cell(item.get(c)) for c in columns])
    return out.getvalue().encode("utf-8")


def csv_response(body: dict[str, Any], columns: Sequence[str], name: str) -> Response:
    """One page as CSV (header row, UTF-8); the pagination moves to X-Total-Count and Link headers."""
    response = Response(csv_bytes(body["items"], columns), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{name}-{body["page"]}.csv"'
    if body.get("total") is not None:
        response.headers["X-Total-Count"] = str(body["total"])
    links = _links(body)
    if links:
        response.headers["Link"] = links
    return response


def _page_url(page: int) -> str:
    # query_args drops what url_for would take as its own options (endpoint, _external, _method, …): a crafted
    # query string made the Link header fail (a 500) or point elsewhere.
    args: dict[str, Any] = {**(request.view_args or {}), **query_args("page"), "page": str(page)}
    return url_for(str(request.endpoint), **args)


def _links(body: dict[str, Any]) -> str:
    page = int(body["page"])
    rels = [("first", 1)]
    if page > 1:
        rels.append(("prev", page - 1))
    if body.get("has_next"):
        rels.append(("next", page + 1))
    return ", ".join(f'<{_page_url(number)}>; rel="{rel}"' for rel, number in rels)


def with_links(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """A page body with its Link header (first, prev, next)."""
    return body, 200, {"Link": _links(body)}


# ---------------------------------------------------------------- errors


def error_body(err: HTTPException) -> tuple[dict[str, Any], int]:
    """{"error", "status", "errors"?}: the description when a view gave one, else the status name."""
    code = err.code or 500
    description = err.description if err.description != type(err).description else None
    body: dict[str, Any] = {"error": description or err.name, "status": code}
    data = getattr(err, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    if messages:
        body["errors"] = messages
    return body, code


# ---------------------------------------------------------------- wiring


def limit_api_reads(app: Flask) -> None:
    """Put every /api/v1 view (this package's and the ledger's and draws') under the shared read limit."""
    shared = limiter.shared_limit(api_limit, scope="api-v1", methods=["GET", "HEAD"])
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if is_api(rule.rule)}
    for endpoint in sorted(endpoints):
        view = app.view_functions[endpoint]
        if getattr(view, _LIMITED, False):
            continue
        wrapped: Any = shared(view)
        setattr(wrapped, _LIMITED, True)
        app.view_functions[endpoint] = wrapped


def _bounded_paging() -> None:
    if is_api(request.path):
        for name in PAGING_ARGS:
            value = request.args.get(name, "").strip()
            if len(value) > MAX_DIGITS and value.lstrip("+-").isdigit():
                abort(422, description=f"参数 {name} 过大 / {name} is too large")


def _cache(response: Response) -> Any:
    if not is_api(request.path) or request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.is_streamed or response.direct_passthrough:
        return response
    if "no-store" in response.headers.get("Cache-Control", ""):
        return response  # a complaint's progress: nothing to keep or revalidate
    response.headers.setdefault("Cache-Control", CACHE_CONTROL)
    if "ETag" in response.headers:
        return response  # the view answered conditionally itself (page cache, draws)
    response.add_etag(weak=True)
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    limit_api_reads(app)
    app.before_request(_bounded_paging)
    app.after_request(_cache)

"""A per-process cache of rendered public merchant pages for anonymous visitors (DESIGN §9: the QR landing page).

Rendering a merchant page runs a dozen queries and a large template; the same shop's QR is scanned again and again.
A cached page is keyed by what it depends on, so it is never stale:
- the merchant (USCC) and the language;
- the ledger's tree size: every public fact (registration, commitment, instrument verification, result, reply,
  listing, penalty, grade, repair) is published to the ledger when it changes, so any new fact anywhere makes every
  older page a miss (a single-row read, cheaper than any of the page's queries);
- the China date: instrument states, publicity periods and the stale-data flags change with the day.
Signed-in people (their menus differ) and visitors with flashed messages pending are never served from or stored
in the cache. PUBLIC_PAGE_CACHE_SIZE (pages per process; 0 turns it off; off when testing unless set) bounds the
memory; entries also expire after PUBLIC_PAGE_CACHE_SECONDS so a rare change outside the ledger (a merchant record
edited by hand) shows.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from cachetools import TTLCache
from flask import Flask, Response, current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

from honestmeter import clock
from honestmeter.ledger import services as ledger

_caches: dict[int, tuple[TTLCache[tuple[str, ...], tuple[bytes, str]], threading.Lock]] = {}
_guard = threading.Lock()


DEFAULT_SIZE = 2000  # a large page is about 40 kB: 80 MB per worker at most
DEFAULT_SECONDS = 300


def cache_size(app: Flask) -> int:
    configured = app.config.get("PUBLIC_PAGE_CACHE_SIZE")
    if configured is None:
        return 0 if app.testing else DEFAULT_SIZE
    return int(configured)


def _cache(app: Flask) -> tuple[TTLCache[tuple[str, ...], tuple[bytes, str]], threading.Lock] | None:
    size = cache_size(app)
    if size <= 0:
        return None
    with _guard:
        found = _caches.get(id(app))
        if found is None:
            ttl = float(app.config.get("PUBLIC_PAGE_CACHE_SECONDS") or DEFAULT_SECONDS)
            found = _caches[id(app)] = (TTLCache(maxsize=size, ttl=ttl), threading.Lock())
        return found


def clear() -> None:
    with _guard:
        _caches.clear()


def _cacheable() -> bool:
    return not current_user.is_authenticated and "_flashes" not in session


def cached_page(uscc: str, render: Callable[[], str]) -> Response:
    """The merchant page as HTML, from the cache when nothing it shows can have changed; with an ETag so a
    browser's revalidation costs no body."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = _cache(app) if _cacheable() else None
    body: bytes
    etag: str
    if found is None:
        body = render().encode("utf-8")
        etag = hashlib.sha256(body).hexdigest()[:32]
    else:
        cache, lock = found
        key = (uscc, str(get_locale()), str(ledger.tree_size()), clock.today().isoformat())
        with lock:
            hit = cache.get(key)
        if hit is None:
            body = render().encode("utf-8")
            etag = hashlib.sha256(body).hexdigest()[:32]
            with lock:
                cache[key] = (body, etag)
        else:
            body, etag = hit
    response = Response(body, mimetype="text/html")
    response.set_etag(etag)
    if not current_user.is_authenticated:
        response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
        response.vary.add("Cookie")  # the language cookie picks the page's language
    response.make_conditional(request)
    return response

"""A per-process cache of rendered public merchant pages (and the open API's merchant detail) for anonymous
visitors (DESIGN §9: the QR landing page).

Rendering a merchant page runs a dozen queries and a large template; the same shop's QR is scanned again and again.
A cached page is keyed by what it depends on:
- the merchant (USCC, as requested) and the language;
- the ledger's tree size: every public fact (registration, commitment, instrument verification, result, reply,
  listing, penalty, grade, repair) is published to the ledger when it changes, so any new fact anywhere makes every
  older page a miss;
- the China date: instrument states, publicity periods and the stale-data flags change with the day.

A hit touches no database: the process keeps the tree size it last read and reads it again at most once every
PUBLIC_PAGE_CACHE_FRESHNESS seconds (default 1), and at once after a commit of its own that appended to the ledger.
So a fact published by this process shows on the next request, one published by another process (a second
worker, the scheduler, the CLI) within that many seconds.

Signed-in people (their menus differ), visitors with flashed messages pending and requests with a query string (it
shows in the page's links) are never served from or stored in the cache. PUBLIC_PAGE_CACHE_SIZE (pages per process;
0 turns it off; off when testing unless set) bounds the memory; entries also expire after PUBLIC_PAGE_CACHE_SECONDS
so a rare change outside the ledger (a merchant record edited by hand) shows.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

from cachetools import TTLCache
from flask import Flask, Response, current_app, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from honestmeter import clock
from honestmeter.ledger import services as ledger
from honestmeter.settings import settings

DEFAULT_SIZE = 2000  # a large page is about 40 kB: 80 MB per worker at most

PAGE, API = "page", "api"  # the HTML page and the open API's JSON for one merchant
MIMETYPES = {PAGE: "text/html", API: "application/json"}
Key = tuple[str, str, str, int, str]
Entry = tuple[bytes, str, str]  # body, ETag, mimetype


class _State:
    """One app's cache, and the ledger size it last read."""

    def __init__(self, size: int, ttl: float) -> None:
        self.pages: TTLCache[Key, Entry] = TTLCache(maxsize=size, ttl=ttl)
        self.lock = threading.Lock()
        self.tree_size = -1
        self.read_at = 0.0


_states: dict[int, _State] = {}
_guard = threading.Lock()
_stale = threading.Event()  # set after a local commit that appended to the ledger


def cache_size(app: Flask) -> int:
    configured = settings(app).PUBLIC_PAGE_CACHE_SIZE
    if configured is None:
        return 0 if app.testing else DEFAULT_SIZE
    return int(configured)


def _state(app: Flask) -> _State | None:
    size = cache_size(app)
    if size <= 0:
        return None
    with _guard:
        found = _states.get(id(app))
        if found is None:
            ttl = float(settings(app).PUBLIC_PAGE_CACHE_SECONDS)
            found = _states[id(app)] = _State(size, ttl)
        return found


def clear() -> None:
    with _guard:
        _states.clear()


@event.listens_for(Session, "after_commit")
def _after_commit(db_session: Session) -> None:
    if db_session.info.pop(ledger.APPENDED, False):
        _stale.set()


def _tree_size(app: Flask, state: _State) -> int:
    """The ledger size as this process last read it, read again when older than the freshness window."""
    freshness = float(settings(app).PUBLIC_PAGE_CACHE_FRESHNESS)
    now = time.monotonic()
    with state.lock:
        if not _stale.is_set() and now - state.read_at <= freshness:
            return state.tree_size
        _stale.clear()
    size = ledger.tree_size()  # outside the lock: hits of other threads do not wait for the database
    with state.lock:
        state.tree_size, state.read_at = size, now
    return size


def _cacheable() -> bool:
    # A query string (?lang=, anything) ends up in the page's links (the language switch's next=): never shared.
    return not request.query_string and not current_user.is_authenticated and "_flashes" not in session


def _key(app: Flask, state: _State, kind: str, uscc: str) -> Key:
    return (kind, uscc, str(get_locale()), _tree_size(app, state), clock.today().isoformat())


def _response(body: bytes, etag: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    if mimetype == MIMETYPES[PAGE] and not current_user.is_authenticated:  # the API has its own (api/http.py)
        response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
        response.vary.add("Cookie")  # the language cookie picks the page's language
    response.make_conditional(request)
    return response


def _app() -> Any:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def hit(uscc: str, kind: str = PAGE) -> Response | None:
    """The cached answer for this USCC as requested, if there is one that is still current; no database work
    beyond (at most once a second) reading the ledger size."""
    state = _state(_app()) if _cacheable() else None
    if state is None:
        return None
    key = _key(_app(), state, kind, uscc)
    with state.lock:
        found = state.pages.get(key)
    return None if found is None else _response(*found)


def page(uscc: str, render: Callable[[], str | bytes], kind: str = PAGE) -> Response:
    """Render the answer (a miss) and keep it for the next visitor when it may be cached."""
    app = _app()
    state = _state(app) if _cacheable() else None
    # The key is read before rendering, so a stored answer is never older than its key says.
    key = _key(app, state, kind, uscc) if state is not None else None
    rendered = render()
    body = rendered.encode("utf-8") if isinstance(rendered, str) else rendered
    entry = (body, hashlib.sha256(body).hexdigest()[:32], MIMETYPES[kind])
    if state is not None and key is not None:
        with state.lock:
            state.pages[key] = entry
    return _response(*entry)

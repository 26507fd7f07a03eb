"""Structured logs: one JSON object a line, each carrying the id of the request it belongs to.

A request id comes from the proxy's `X-Request-ID` when it looks like one (nginx's `$request_id`), or
is made here; it is echoed in the response, so a citizen's error page, the proxy log and these lines
can be matched. Handlers and formats are a process concern: `configure()` is called by the CLI
(`serve`, `scheduler`) and by deploy/gunicorn.conf.py, never by create_app, so tests keep pytest's.
"""

from __future__ import annotations

import logging
import logging.config
import re
import time
import uuid
from typing import Any

from flask import Flask, g, has_request_context, request
from flask_login import current_user

from honestmeter.settings import settings

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
access_log = logging.getLogger("honestmeter.access")


def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestContextFilter(logging.Filter):
    """Adds request_id (and path) to every record logged while a request is being handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id")
            record.path = request.path
        return True


def _start() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _ACCEPTABLE_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response: Any) -> Any:
    rid = g.get("request_id")
    if rid is not None:
        response.headers[REQUEST_ID_HEADER] = rid
    if access_log.isEnabledFor(logging.INFO):
        started = g.get("request_started")
        user = current_user._get_current_object() if "_login_user" in g else None
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
                "remote_addr": request.remote_addr,
                "user_id": getattr(user, "id", None),
            },
        )
    return response


def init_app(app: Flask) -> None:
    # Registered before every other hook, so even a response made by an early hook (the page
    # cache, the rate limiter) carries the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)


def logging_config(fmt: str = "json", level: str = "INFO", access: bool = True) -> dict[str, Any]:
    """A dictConfig for a honestmeter process: JSON lines (production) or readable text, on stderr."""
    formatters = {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
            "rename_fields": {"asctime": "ts", "levelname": "level", "name": "logger", "process": "pid"},
            "timestamp": False,
            "json_ensure_ascii": False,
        },
        "text": {
            "()": "logging.Formatter",
            "fmt": "%(asctime)s %(levelname)s [%(process)d] %(name)s %(request_id)s: %(message)s",
            "defaults": {"request_id": "-"},
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestContextFilter}},
        "formatters": {"main": formatters[fmt]},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request"]},
        },
        "loggers": {
            "honestmeter.access": {"level": "INFO" if access else "WARNING"},
            # APScheduler logs every tick at INFO; its warnings and errors still come through.
            "apscheduler": {"level": "WARNING"},
            "gunicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "WARNING", "handlers": ["stderr"], "propagate": False},
        },
        "root": {"level": level, "handlers": ["stderr"]},
    }


def configure(app: Flask) -> None:
    config = settings(app)
    logging.config.dictConfig(logging_config(config.LOG_FORMAT, config.LOG_LEVEL, config.LOG_REQUESTS))

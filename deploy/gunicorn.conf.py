"""gunicorn settings for the production web tier (docs/deploy.md).

    gunicorn -c deploy/gunicorn.conf.py 'honestmeter.app:create_app()'

Every value can be overridden from the environment, so one file serves every host. The scheduler is
not part of the web tier: run `honestmeter scheduler` as its own service.
"""

from __future__ import annotations

import multiprocessing
import os

from honestmeter.ops.logs import logging_config

bind = os.environ.get("HM_BIND", "127.0.0.1:8000")
# Threads serve the many small public requests while one waits on PostgreSQL; a worker per core.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("HM_THREADS", "4"))
timeout = int(os.environ.get("HM_TIMEOUT", "60"))  # PDF rendering and Excel imports take a few seconds
graceful_timeout = 30
keepalive = 5
# Requests beyond this are answered 400 by gunicorn itself; uploads are limited again by MAX_CONTENT_LENGTH.
limit_request_line = 8190
# The app writes one structured access line per request (with its request id), so gunicorn's own is off.
accesslog = None
logconfig_dict = logging_config(
    os.environ.get("LOG_FORMAT", "json"),
    os.environ.get("LOG_LEVEL", "INFO").upper(),
    os.environ.get("LOG_REQUESTS", "true").lower() in {"1", "true", "yes", "on"},
)
# Recycle workers after this many requests (0: never). Off by default: docs/benchmarks.md shows flat memory.
max_requests = int(os.environ.get("HM_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# The proxy's X-Forwarded-* headers are read by the app (PROXY_HOPS), not by gunicorn.
forwarded_allow_ips = "127.0.0.1"
# Never preload: each worker opens its own database connections after the fork.
preload_app = False

"""/healthz, request ids and structured logs, and the regulator's operations page."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.extensions import db, limiter
from honestmeter.jobs import registry
from honestmeter.jobs.models import JobRun
from honestmeter.jobs.queries import HEARTBEAT_JOB
from honestmeter.ledger import anchoring
from honestmeter.ledger import services as ledger
from honestmeter.ops import logs
from tests.conftest import Auth, make_test_app
from tests.factories import UserFactory


def _beat(at=None) -> None:  # type: ignore[no-untyped-def]
    at = at or clock.utcnow()
    db.session.add(JobRun(job_id=HEARTBEAT_JOB, started_at=at, finished_at=at, ok=True, host="test:1"))
    db.session.flush()


# ---------------------------------------------------------------- /healthz


def test_healthz_reports_each_check(client: FlaskClient) -> None:
    _beat()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body["checks"]) == {"database", "chain", "scheduler", "anchoring"}
    assert body["status"] == "ok", body
    assert body["checks"]["chain"]["chain_id"] > 0


def test_a_silent_scheduler_is_degraded_not_down(client: FlaskClient, app: Flask) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["scheduler"]["status"] == "degraded"  # never ran here

    _beat(clock.utcnow() - timedelta(seconds=3 * app.config["SCHEDULER_HEARTBEAT_SECONDS"] + 31))
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["scheduler"]["heartbeat_age_s"] > 3 * app.config["SCHEDULER_HEARTBEAT_SECONDS"]


def test_anchoring_lag_is_measured_from_the_oldest_unanchored_leaf(client: FlaskClient, app: Flask) -> None:
    _beat()
    anchoring.anchor_pending()  # anchor whatever earlier tests left, so this test's leaf is the oldest
    waited = app.config["ANCHOR_LAG_WARN_SECONDS"] + 60
    ledger.append(ledger.Record("probe", "lag", {}), at=clock.utcnow() - timedelta(seconds=waited))
    body = client.get("/healthz").get_json()
    assert body["checks"]["anchoring"]["pending"] == 1
    assert body["checks"]["anchoring"]["lag_s"] >= waited
    assert body["checks"]["anchoring"]["status"] == "degraded"

    assert anchoring.anchor_pending() == "anchored"
    body = client.get("/healthz").get_json()
    assert body["checks"]["anchoring"] == {**body["checks"]["anchoring"], "pending": 0, "lag_s": 0, "status": "ok"}


def test_error_details_are_for_regulators_only(client: FlaskClient, auth: Auth, app: Flask) -> None:
    assert "detail" not in client.get("/healthz").get_json()["checks"]["scheduler"]
    UserFactory(username="ops_admin")
    auth.login("ops_admin")
    detail = client.get("/healthz").get_json()["checks"]["scheduler"]["detail"]
    assert "scheduler" in detail


@pytest.fixture
def other_app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """Apps of their own (other settings); the shared limiter extension is rebound to the suite's after."""
    apps: list[Flask] = []
    bound = dict(vars(limiter))

    def make(**overrides: object) -> Flask:
        made = make_test_app(overrides.pop("url", database_url), tmp_path, **overrides)  # type: ignore[arg-type]
        apps.append(made)
        return made

    yield make  # type: ignore[misc]
    for made in apps:
        with made.app_context():
            db.engine.dispose()
    vars(limiter).clear()
    vars(limiter).update(bound)


def test_no_database_is_a_503(tmp_path: Path) -> None:
    """In a process of its own: the test session would otherwise answer for the missing database."""
    probe = (
        "from honestmeter.app import create_app\n"
        "r = create_app({'TESTING': True}).test_client().get('/healthz')\n"
        "print(r.status_code, json.dumps(r.get_json(), sort_keys=True))\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",  # nothing listens on port 1
        "HONESTMETER_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "t",
        "LEDGER_CHAIN": "eth-tester",
    }
    out = subprocess.run(
        [sys.executable, "-c", "import json\n" + probe], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == '503 {"checks": {"database": {"status": "fail"}}, "status": "fail"}'


def test_an_unreachable_chain_node_is_degraded(other_app) -> None:  # type: ignore[no-untyped-def]
    away = other_app(LEDGER_CHAIN="http://127.0.0.1:1")
    with away.app_context():
        body = away.test_client().get("/healthz").get_json()
    assert body["checks"]["chain"]["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "ok"


# ---------------------------------------------------------------- request ids and logs


def test_every_response_carries_a_request_id(client: FlaskClient) -> None:
    made = client.get("/").headers["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/").headers["X-Request-ID"]
    assert client.get("/", headers={"X-Request-ID": "nginx-0123456789ab"}).headers["X-Request-ID"] == (
        "nginx-0123456789ab"
    )
    for forged in ("short", "has spaces in it", "x" * 65, "<script>alert(1)</script>"):
        echoed = client.get("/", headers={"X-Request-ID": forged}).headers["X-Request-ID"]
        assert echoed != forged and len(echoed) == 32
    assert "X-Request-ID" in client.get("/no-such-page").headers


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The production logging configuration, writing into a buffer; pytest's handlers restored after."""
    root = logging.getLogger()
    named = ("honestmeter.access", "apscheduler")
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in named})
    logging.config.dictConfig(logs.logging_config("json"))
    buffer = io.StringIO()
    for handler in root.handlers:
        handler.setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_access_log_lines_are_json_with_the_request_id(client: FlaskClient, log_lines: io.StringIO) -> None:
    rid = client.get("/merchants/911100000000000000", headers={"X-Request-ID": "req-0000000001"}).headers[
        "X-Request-ID"
    ]
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "honestmeter.access"]
    assert access, lines
    line = access[-1]
    assert line["request_id"] == rid == "req-0000000001"
    assert line["method"] == "GET" and line["status"] == 404 and line["path"] == "/merchants/911100000000000000"
    assert line["level"] == "INFO" and isinstance(line["duration_ms"], float) and line["pid"] > 0


def test_a_server_error_shows_its_request_id(other_app, log_lines: io.StringIO) -> None:  # type: ignore[no-untyped-def]
    broken = other_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @broken.route("/boom")
    def boom() -> str:
        raise RuntimeError("kaput")

    boom.access = "public"  # type: ignore[attr-defined]
    with broken.app_context():
        response = broken.test_client().get("/boom")
    assert response.status_code == 500
    rid = response.headers["X-Request-ID"]
    assert rid in response.get_data(as_text=True)  # the citizen can quote it
    errors = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    logged = [line for line in errors if line["level"] == "ERROR"]
    assert logged and logged[0]["request_id"] == rid and "kaput" in logged[0]["exc_info"]


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(other_app) -> None:  # type: ignore[no-untyped-def]
    proxied, direct = other_app(PROXY_HOPS=1), other_app()
    for made in (proxied, direct):

        @made.route("/whoami")
        def whoami() -> str:
            return request.remote_addr or ""

        whoami.access = "public"  # type: ignore[attr-defined]
    headers = {"X-Forwarded-For": "203.0.113.9"}
    with proxied.app_context():
        assert proxied.test_client().get("/whoami", headers=headers).text == "203.0.113.9"
    with direct.app_context():
        assert direct.test_client().get("/whoami", headers=headers).text == "127.0.0.1"  # not trusted by default


# ---------------------------------------------------------------- the operations page


def test_operations_page_lists_every_job_and_the_anchoring_lag(client: FlaskClient, auth: Auth) -> None:
    now = clock.utcnow()
    db.session.add(
        JobRun(
            job_id="ledger.anchor_pending",
            started_at=now,
            finished_at=now,
            ok=False,
            error="Traceback: boom",
            host="web1:42",
        )
    )
    _beat(now)
    ledger.append(ledger.Record("probe", "ops-page", {}))
    UserFactory(username="ops_admin")
    auth.login("ops_admin")
    page = client.get("/admin/operations").get_data(as_text=True)
    for spec in registry.specs():
        assert f'data-job="{spec.id}"' in page
    assert 'class="row-alarm"' in page  # the failing anchoring job stands out
    assert "待锚定 1 条" in page or "待锚定" in page
    failed = client.get("/admin/operations?failed=1").get_data(as_text=True)
    assert "Traceback: boom" in failed and "web1:42" in failed
    assert HEARTBEAT_JOB not in failed.split('id="runs"')[1]  # only failures listed


def _redis_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_rate_limit_counters_can_live_in_redis(other_app) -> None:  # type: ignore[no-untyped-def]
    """docs/deploy.md: with RATELIMIT_STORAGE_URI on Redis, every gunicorn worker (a process each) reads
    and bumps the same sign-in counter, instead of one counter per worker in its own memory."""
    import uuid

    import redis

    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    worker = other_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15", LOGIN_RATE_LIMIT="3 per minute")
    store = redis.Redis(host="127.0.0.1", port=6379, db=15)
    try:
        statuses = []
        with worker.app_context():
            for _ in range(4):
                response = worker.test_client().post(
                    "/login", data={"username": "nobody", "password": "wrong"}, environ_base={"REMOTE_ADDR": address}
                )
                statuses.append(response.status_code)
        assert statuses == [200, 200, 200, 429], statuses
        assert store.keys(f"*{address}*"), "the counter is not in Redis"
    finally:
        for key in store.keys(f"*{address}*"):
            store.delete(key)
        store.close()


@pytest.mark.parametrize(
    ("driver_error", "status"),
    [
        (("sqlite_errorname", "SQLITE_FULL"), 507),  # SQLite: database or disk is full
        (("sqlstate", "53100"), 507),  # PostgreSQL: disk_full
        (("sqlite_errorname", "SQLITE_BUSY"), 500),  # any other operational error stays a server error
    ],
)
def test_a_full_database_disk_says_nothing_was_saved(other_app, driver_error, status) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    full = other_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    class DriverError(Exception):
        pass

    @full.route("/write", methods=["POST"])
    def write() -> str:
        orig = DriverError("database or disk is full")
        setattr(orig, *driver_error)
        raise sa.exc.OperationalError("INSERT INTO merchants …", {}, orig)

    write.access = "public"  # type: ignore[attr-defined]
    with full.app_context():
        response = full.test_client().post("/write")
    assert response.status_code == status
    if status == 507:
        assert "服务器存储空间已满" in response.get_data(as_text=True)

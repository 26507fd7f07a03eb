"""Test fixtures: one database per run built by the real migrations, a SAVEPOINT per test.

TEST_DATABASE_URL chooses the backend: unset → a SQLite file in a temporary directory; a
postgresql:// URL → a fresh database created next to the one named (and dropped afterwards), so a
run always starts from an empty schema and exercises `upgrade head`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from honestmeter.app import create_app
from honestmeter.config import normalize_database_url
from honestmeter.extensions import db, limiter
from honestmeter.ledger.anvil import AnvilNode, find_anvil
from tests.factories import PASSWORD


class TestSession(Session):
    """Plain SQLAlchemy session bound to the test connection (Flask-SQLAlchemy's would pick its engine)."""

    def __init__(self, db: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)


class FreshContextClient(FlaskClient):
    """Starts every request with an empty `g`, as in production.

    Requests reuse the session-wide app context pushed by the `app` fixture, so `g` (where
    Flask-Login caches the signed-in user) would otherwise leak from one request, or one client,
    into the next. A fresh app context per request is not an option: its teardown would close the
    test session and roll back the test's data.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        vars(g).clear()
        return super().open(*args, **kwargs)


def _create_database(url: str) -> tuple[str, Any]:
    """Return (url, cleanup) of an empty database for this run."""
    parsed = make_url(normalize_database_url(url))
    if parsed.get_backend_name() != "postgresql":
        raise pytest.UsageError(f"unsupported TEST_DATABASE_URL backend: {parsed.get_backend_name()}")
    name = f"hm_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def cleanup() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return parsed.set(database=name).render_as_string(hide_password=False), cleanup


@contextmanager
def empty_database(tmp_dir: Path) -> Iterator[str]:
    """An empty database on the backend under test, removed afterwards."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_dir / 'test.db'}"
        return
    url, cleanup = _create_database(url)
    try:
        yield url
    finally:
        cleanup()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with empty_database(tmp_path_factory.mktemp("db")) as url:
        yield url


def make_test_app(database_url: str, var_dir: Path, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "VAR_DIR": str(var_dir),
        "WTF_CSRF_ENABLED": False,  # tests that check CSRF turn it on with the `csrf` fixture
        "PASSWORD_HASH_COST": (1, 8, 1),  # argon2 at its minimum: correctness, not strength, is under test
        "LEDGER_CHAIN": "eth-tester",
        "SERVER_NAME": "localhost",
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_test_app(database_url, tmp_path_factory.mktemp("var"))
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def db_session(app: Flask) -> Iterator[scoped_session[Session]]:
    """Each test runs in a transaction that is rolled back; services' commits become SAVEPOINTs."""
    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    session = scoped_session(
        sessionmaker(class_=TestSession, bind=connection, join_transaction_mode="create_savepoint")
    )
    db.session = session
    try:
        yield session
    finally:
        session.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app: Flask) -> None:
    limiter.reset()


@pytest.fixture
def csrf(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Auth:
    """Sign in through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str, password: str = PASSWORD) -> Any:
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


ANVIL = find_anvil(Path(__file__).resolve().parents[1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Return once a server started as `process` accepts on 127.0.0.1:`port`; RuntimeError if it exits first or
    `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"no server on port {port}") from None
            time.sleep(0.1)


@pytest.fixture
def anvil_chain(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AnvilNode]:
    """A real anvil node on loopback for this test, as the app's chain."""
    if ANVIL is None:
        pytest.skip("node_modules/.bin/anvil missing: run `make install`")
    with AnvilNode(ANVIL, tmp_path / "chain", port=free_port()) as node:
        monkeypatch.setitem(app.config, "LEDGER_CHAIN", node.url)
        yield node

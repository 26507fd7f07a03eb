"""The public merchant page cache: a hit while nothing public changed, a miss after any ledger append, never for
signed-in people, and conditional requests answered with 304."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from honestmeter.extensions import db
from honestmeter.ledger import services as ledger
from honestmeter.merchants.models import Merchant
from honestmeter.public import page_cache
from tests.factories import PASSWORD, MerchantFactory, UserFactory


@pytest.fixture(autouse=True)
def _cache_on(app: Flask) -> Iterator[None]:
    app.config["PUBLIC_PAGE_CACHE_SIZE"] = 100
    app.config["PUBLIC_PAGE_CACHE_FRESHNESS"] = 0  # read the ledger size on every request, unless a test says so
    page_cache.clear()
    yield
    app.config["PUBLIC_PAGE_CACHE_SIZE"] = None
    app.config["PUBLIC_PAGE_CACHE_FRESHNESS"] = 1.0
    page_cache.clear()


@pytest.fixture
def merchant() -> Merchant:
    return MerchantFactory(name="缓存测试商行")


def rename(merchant: Merchant, name: str) -> None:
    merchant.name = name  # a change outside the ledger: the cached page does not see it
    db.session.flush()


def test_a_page_is_served_from_the_cache_until_the_ledger_grows(client: FlaskClient, merchant: Merchant) -> None:
    assert "缓存测试商行" in client.get(f"/merchants/{merchant.uscc}").get_data(as_text=True)
    rename(merchant, "改名后的商行")
    assert "缓存测试商行" in client.get(f"/merchants/{merchant.uscc}").get_data(as_text=True)  # a hit
    ledger.append(ledger.Record("notice", "cache-test", {}))
    assert "改名后的商行" in client.get(f"/merchants/{merchant.uscc}").get_data(as_text=True)  # the key moved on


def test_a_hit_reads_nothing_within_the_freshness_window_but_a_local_commit_ends_it(
    app: Flask, client: FlaskClient, merchant: Merchant
) -> None:
    app.config["PUBLIC_PAGE_CACHE_FRESHNESS"] = 3600
    client.get(f"/merchants/{merchant.uscc}")
    statements: list[str] = []
    with _counting(statements):
        assert "缓存测试商行" in client.get(f"/merchants/{merchant.uscc.lower()}").get_data(as_text=True)
    assert statements == []  # a hit touches no database
    ledger.append(ledger.Record("notice", "cache-test", {}))  # another process's append: not seen yet
    rename(merchant, "改名后的商行")
    assert "缓存测试商行" in client.get(f"/merchants/{merchant.uscc}").get_data(as_text=True)
    db.session.commit()  # this process's own append, committed: the next request reads the size again
    assert "改名后的商行" in client.get(f"/merchants/{merchant.uscc}").get_data(as_text=True)


@contextmanager
def _counting(statements: list[str]) -> Iterator[None]:
    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_languages_are_cached_apart(app: Flask, merchant: Merchant) -> None:
    chinese = app.test_client().get(f"/merchants/{merchant.uscc}").get_data(as_text=True)
    reader = app.test_client()
    reader.set_cookie("lang", "en")
    english = reader.get(f"/merchants/{merchant.uscc}").get_data(as_text=True)
    assert 'lang="zh-CN"' in chinese and 'lang="en"' in english
    assert 'lang="zh-CN"' in app.test_client().get(f"/merchants/{merchant.uscc}").get_data(as_text=True)


def test_a_request_with_a_query_string_is_neither_served_nor_stored(client: FlaskClient, merchant: Merchant) -> None:
    first = client.get(f"/merchants/{merchant.uscc}?from=qr").get_data(as_text=True)
    assert "from%3Dqr" in first or "from=qr" in first  # the language switch links back to this very URL
    plain = client.get(f"/merchants/{merchant.uscc}").get_data(as_text=True)
    assert "from=qr" not in plain and "from%3Dqr" not in plain  # not another visitor's URL
    rename(merchant, "查询串之后的新名字")
    assert "查询串之后的新名字" in client.get(f"/merchants/{merchant.uscc}?from=qr").get_data(as_text=True)


def test_an_over_long_code_is_not_found(client: FlaskClient, merchant: Merchant) -> None:
    assert client.get(f"/merchants/{merchant.uscc}JUNK").status_code == 404


def test_signed_in_people_never_get_a_cached_page(app: Flask, merchant: Merchant) -> None:
    UserFactory(username="cache_admin")
    visitor = app.test_client()
    visitor.get(f"/merchants/{merchant.uscc}")
    rename(merchant, "管理员看到的新名字")
    admin = app.test_client()
    assert admin.post("/login", data={"username": "cache_admin", "password": PASSWORD}).status_code == 302
    response = admin.get(f"/merchants/{merchant.uscc}")
    assert "管理员看到的新名字" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_revalidation_costs_no_body(client: FlaskClient, merchant: Merchant) -> None:
    first = client.get(f"/merchants/{merchant.uscc}")
    assert first.headers["ETag"] and "Cookie" in first.headers["Vary"]
    again = client.get(f"/merchants/{merchant.uscc}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_off_when_the_size_is_zero(app: Flask, client: FlaskClient, merchant: Merchant) -> None:
    app.config["PUBLIC_PAGE_CACHE_SIZE"] = 0
    client.get(f"/merchants/{merchant.uscc}")
    rename(merchant, "不缓存的新名字")
    assert "不缓存的新名字" in client.get(f"/merchants/{merchant.uscc}").get_data(as_text=True)


def test_the_api_detail_is_cached_too_with_the_same_bytes(app: Flask, client: FlaskClient, merchant: Merchant) -> None:
    app.config["PUBLIC_PAGE_CACHE_SIZE"] = 0
    uncached = client.get(f"/api/v1/merchants/{merchant.uscc}")
    app.config["PUBLIC_PAGE_CACHE_SIZE"] = 100
    first = client.get(f"/api/v1/merchants/{merchant.uscc}")
    rename(merchant, "接口缓存后的新名字")
    second = client.get(f"/api/v1/merchants/{merchant.uscc}")
    assert uncached.data == first.data == second.data
    assert second.mimetype == "application/json" and second.headers["Cache-Control"] == "public, max-age=60"

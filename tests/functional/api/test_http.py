"""What every /api/v1 route shares: ETag and Cache-Control, the rate limit (429 as JSON), JSON errors, bounded
ids and paging; and the existing ledger and draw routes keep their exact bytes."""

from __future__ import annotations

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient

from honestmeter.ledger import services as ledger
from tests.factories import MerchantFactory
from tests.functional.api.conftest import Rich


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/merchants?q=开放",
        "/api/v1/merchants?q=开放&format=csv",
        "/api/v1/results",
        "/api/v1/lists",
        "/api/v1/openapi.json",
        "/api/v1/ledger/checkpoint",
        "/api/v1/draws",
    ],
)
def test_etag_and_304(client: FlaskClient, rich: Rich, url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_the_etag_follows_the_data(client: FlaskClient, rich: Rich) -> None:
    url = f"/api/v1/merchants/{rich.merchant.uscc}"
    etag = client.get(url).headers["ETag"]
    rich.merchant.address = "深圳市南山区新地址1号"
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_one_rate_limit_for_all_api_reads(client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    assert client.get("/api/v1/merchants").status_code == 200
    assert client.get("/api/v1/ledger/checkpoint").status_code == 200
    assert client.get("/api/v1/draws").status_code == 200
    limited = client.get("/api/v1/lists")
    assert limited.status_code == 429
    assert limited.mimetype == "application/json" and limited.get_json()["status"] == 429
    assert client.get("/api/v1/openapi.json").status_code == 429
    assert client.get("/").status_code == 200  # the site itself is not limited by the API's budget


def test_errors_are_json_and_html_pages_keep_html_errors(client: FlaskClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.get_json() == {"error": "Not Found", "status": 404}
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/draws/3000000000",
        "/api/v1/draws/99999999999999999999/bundle",
        "/api/v1/ledger/entries/99999999999999999999",
    ],
)
def test_impossible_ids_are_404(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


def test_huge_page_numbers_are_422(client: FlaskClient) -> None:
    assert client.get("/api/v1/draws?page=99999999999999999999").status_code == 422
    assert client.get("/api/v1/merchants?page=99999999999999999999").status_code == 422


def test_ledger_answers_keep_their_bytes(client: FlaskClient, app: Flask) -> None:
    leaf = ledger.append(ledger.Record("merchant", "x-api", {"name": "字节测试"}))
    ledger.sign_checkpoint()
    entry = client.get(f"/api/v1/ledger/entries/{leaf.leaf_index}")
    with app.test_request_context():
        expected = jsonify(ledger.entry_json(ledger.entry_at(leaf.leaf_index))).get_data()
    assert entry.data == expected  # what the view answered before this package existed
    assert "ETag" in entry.headers  # caching added, body untouched
    assert client.get("/api/v1/ledger/consistency?first=%C2%B2&second=1").status_code == 422


def test_search_pages_still_answer_without_the_api(client: FlaskClient) -> None:
    MerchantFactory(name="网页检索不受影响")
    assert "网页检索不受影响" in client.get("/?q=网页检索").get_data(as_text=True)

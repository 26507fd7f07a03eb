"""GET /api/v1/results (published results across merchants) and GET /api/v1/lists (public list entries)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from flask.testing import FlaskClient

from honestmeter.extensions import db
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind
from tests.factories import MerchantFactory
from tests.functional.api.conftest import Rich, leaf_of, published


def test_results_are_the_published_ones_without_repaired_ones(client: FlaskClient, rich: Rich) -> None:
    other = published(MerchantFactory(name="另一家检查对象"), date(2026, 11, 1), ("02",))
    body = client.get("/api/v1/results").get_json()
    ids = [r["id"] for r in body["items"]]
    assert set(ids) == {rich.shown.id, other.id}  # rich.repaired is credit-repaired: not public
    assert body["total"] == 2
    item = next(r for r in body["items"] if r["id"] == other.id)
    assert item["codes"] == ["02"] and item["merchant_name"] == "另一家检查对象"
    assert item["leaf_hash"] == leaf_of("inspection_result", other.id)
    assert item["merchant_url"] == f"/api/v1/merchants/{item['uscc']}"
    assert item["published_on"] == "2026-11-23"


def test_results_filter_by_publication_day_and_merchant(client: FlaskClient, rich: Rich) -> None:
    old = published(MerchantFactory(), date(2026, 1, 5))
    old.published_at = datetime(2026, 1, 10, 15, 30, tzinfo=UTC)  # 23:30 on 10 Jan in Shanghai
    db.session.flush()
    ids = lambda query: {r["id"] for r in client.get(f"/api/v1/results?{query}").get_json()["items"]}  # noqa: E731
    assert ids("until=2026-01-10") == {old.id}
    assert ids("until=2026-01-09") == set()
    assert ids("since=2026-01-10&until=2026-01-10") == {old.id}
    assert ids("since=2026-01-11") == {rich.shown.id}
    assert ids(f"uscc={rich.merchant.uscc}") == {rich.shown.id}
    assert client.get("/api/v1/results?since=2026-02-01&until=2026-01-01").status_code == 422
    assert client.get("/api/v1/results?since=0001-01-01&until=9999-12-31").status_code == 200


def test_results_as_csv(client: FlaskClient, rich: Rich) -> None:
    response = client.get("/api/v1/results?format=csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [int(r["id"]) for r in rows] == [rich.shown.id]
    assert rows[0]["codes"] == "01" and rows[0]["on_time"] == "true"
    assert rows[0]["leaf_hash"] == leaf_of("inspection_result", rich.shown.id)


def test_lists_show_entries_in_force_by_kind(client: FlaskClient, rich: Rich) -> None:
    serious = ListEntry(
        kind=ListKind.SERIOUS,
        merchant_id=MerchantFactory(name="严重失信测试").id,
        status=EntryStatus.LISTED,
        reason="严重违法",
        authority="深圳市市场监督管理局",
        proposed_at=datetime(2026, 1, 1, tzinfo=UTC),
        listed_on=date(2026, 1, 5),
        decision_no="深市监严〔2026〕1号",
        valid_until=date(2029, 1, 5),
    )
    db.session.add(serious)
    db.session.flush()
    body = client.get("/api/v1/lists").get_json()
    assert [e["id"] for e in body["items"]] == [rich.listing.id, serious.id]  # newest listing first; removed: gone
    abnormal = client.get("/api/v1/lists?kind=abnormal").get_json()["items"]
    assert [e["id"] for e in abnormal] == [rich.listing.id]
    assert abnormal[0]["leaf_hash"] == leaf_of("list_entry", rich.listing.id)
    assert abnormal[0]["reason"] == "通过登记的住所（经营场所）无法联系"
    [entry] = client.get("/api/v1/lists?kind=serious").get_json()["items"]
    assert (entry["decision_no"], entry["valid_until"], entry["leaf_hash"]) == (
        "深市监严〔2026〕1号",
        "2029-01-05",
        None,
    )
    assert client.get("/api/v1/lists?kind=model_unit").get_json()["items"] == []
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/lists?format=csv").get_data(as_text=True))))
    assert [r["kind"] for r in rows] == ["abnormal", "serious"]

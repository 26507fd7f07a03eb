"""The public ledger API (DESIGN §4.5), the offline verifier CLI and the /verify page's inputs."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from honestmeter.extensions import db
from honestmeter.ledger import anchoring, keys, merkle, services


def seed(n: int = 9) -> list[services.Appended]:
    appended = services.append_many([services.Record("test", str(i), {"i": i, "名": "甲"}) for i in range(n)])
    db.session.commit()
    return appended


def test_checkpoint_and_key(client: FlaskClient) -> None:
    assert client.get("/api/v1/ledger/checkpoint").json == {
        "tree_size": 0,
        "root_hash": merkle.EMPTY_ROOT.hex(),
        "checkpoint": None,
        "anchored": None,
    }
    seed()
    anchoring.anchor_pending()
    body = client.get("/api/v1/ledger/checkpoint").json
    assert body["tree_size"] == 9 and body["root_hash"] == services.current_root().hex()
    assert body["checkpoint"].startswith(keys.origin() + "\n9\n")
    anchored = body["anchored"]
    assert anchored["tree_size"] == 9 and anchored["tx_hash"].startswith("0x") and anchored["contract"].startswith("0x")
    assert client.get("/api/v1/ledger/key").json["verifier_key"] == keys.verifier_key()


def test_entry_proof_consistency_and_bundle(client: FlaskClient) -> None:
    appended = seed()
    anchoring.anchor_pending()
    entry = client.get("/api/v1/ledger/entries/4").json
    assert entry["leaf_hash"] == appended[4].leaf_hash.hex() and entry["record"]["data"] == {
        "i": 4,
        "名": "甲",
    }

    proof = client.get(f"/api/v1/ledger/proof?leaf_hash={appended[4].leaf_hash.hex()}").json
    assert proof["tree_size"] == 9 and proof["anchored"]["tree_size"] == 9
    assert merkle.verify_inclusion(
        appended[4].leaf_hash,
        4,
        9,
        [bytes.fromhex(h) for h in proof["audit_path"]],
        bytes.fromhex(proof["root_hash"]),
    )
    older = client.get(f"/api/v1/ledger/proof?leaf_hash={appended[4].leaf_hash.hex()}&tree_size=6").json
    assert older["tree_size"] == 6 and older["anchored"] is None

    consistency = client.get("/api/v1/ledger/consistency?first=3&second=9").json
    assert merkle.verify_consistency(
        3, 9, services.root_at(3), services.root_at(9), [bytes.fromhex(h) for h in consistency["proof"]]
    )

    bundle = client.get(f"/api/v1/ledger/bundle/{appended[4].leaf_hash.hex()}").json
    assert bundle["format"] == "honestmeter-ledger-bundle/v1" and bundle["anchor"]["tree_size"] == 9


def test_bad_requests_are_clear_json_errors(client: FlaskClient) -> None:
    appended = seed(3)
    services.sign_checkpoint()
    cases = {
        "/api/v1/ledger/entries/99": 404,
        "/api/v1/ledger/proof?leaf_hash=zz": 422,
        f"/api/v1/ledger/proof?leaf_hash={'00' * 32}": 404,
        f"/api/v1/ledger/proof?leaf_hash={appended[2].leaf_hash.hex()}&tree_size=2": 422,
        "/api/v1/ledger/consistency?first=0&second=3": 422,
        "/api/v1/ledger/consistency?first=2&second=99": 422,
        "/api/v1/ledger/consistency?first=x&second=3": 422,
        "/api/v1/ledger/bundle/abc": 422,
    }
    for url, status in cases.items():
        response = client.get(url)
        assert response.status_code == status, url
        assert "error" in response.json


def test_cli_verifies_a_bundle_offline_and_rejects_a_tampered_one(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    appended = seed()
    anchoring.anchor_pending()
    bundle = client.get(f"/api/v1/ledger/bundle/{appended[2].leaf_hash.hex()}").json
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(bundle))
    forged = dict(bundle, record={**bundle["record"], "data": {"i": 2, "名": "乙"}})
    bad.write_text(json.dumps(forged))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "verify", str(good), "--key", keys.verifier_key()])
    assert result.exit_code == 0 and "VALID" in result.output
    result = runner.invoke(args=["ledger", "verify", str(bad)])
    assert result.exit_code == 1 and "differs from the signed bytes" in result.output


def test_cli_anchor_status_and_audit(app: Flask) -> None:
    seed(4)
    runner = app.test_cli_runner()
    assert "anchored" in runner.invoke(args=["ledger", "anchor"]).output
    assert "pending: 0" in runner.invoke(args=["ledger", "status"]).output
    result = runner.invoke(args=["ledger", "audit"])
    assert result.exit_code == 0, result.output


def test_verify_page_embeds_the_log_key_and_no_inline_script(client: FlaskClient) -> None:
    page = client.get("/verify?leaf=" + "ab" * 32).get_data(as_text=True)
    assert keys.verifier_key() in page and 'data-leaf="' + "ab" * 32 in page
    assert "<script>" not in page


def test_cli_audit_names_a_tampered_row_and_exits_1(app: Flask) -> None:
    import sqlalchemy as sa

    from honestmeter.merchants import services as merchant_services
    from honestmeter.merchants.models import Merchant
    from tests.factories import merchant_facts

    merchant = merchant_services.register_merchant(merchant_facts())
    anchoring.anchor_pending()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["ledger", "audit"]).exit_code == 0
    db.session.execute(sa.update(Merchant).where(Merchant.id == merchant.id).values(address="被篡改的地址"))
    result = runner.invoke(args=["ledger", "audit"])
    assert result.exit_code == 1
    assert f"merchant {merchant.id}" in result.output and "绕过系统改动" in result.output


def test_dashboard_shows_the_ledger_and_a_chain_alarm(client: FlaskClient) -> None:
    from tests.factories import UserFactory

    seed(3)
    anchoring.anchor_pending()
    UserFactory(username="chief")
    client.post("/login", data={"username": "chief", "password": "Passw0rd!"})
    page = client.get("/admin/").get_data(as_text=True)
    assert "已上链锚定 3 条" in page and "区块链锚定告警" not in page
    state = anchoring.chain_state()
    state.alarm = "锚定合约在链上不存在（链可能已被重置）"
    db.session.commit()
    assert "锚定合约在链上不存在" in client.get("/admin/").get_data(as_text=True)

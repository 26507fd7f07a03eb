"""检查结果告知书, 责令改正通知书 and 抽查结果公示: Chinese PDFs with the leaf hash, recorded by their SHA-256."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.inspections.models import Task, TaskKind
from honestmeter.inspections.results import followup, publication
from honestmeter.inspections.results import records as result_records
from honestmeter.ledger import services as ledger
from honestmeter.ledger.models import LedgerEntry
from honestmeter.notices import services as notices
from tests.factories import PASSWORD, FindingFactory, InspectorFactory, PlanFactory, UserFactory, complete

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)


def text_of(pdf: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def published(codes: Sequence[str] = ("09",), **task: object) -> Task:
    finding = FindingFactory(
        result_codes=list(codes),
        item_results={"JL-01": {"verdict": "fail", "note": "电子秤超过检定有效期"}, "JL-04": {"verdict": "pass"}},
        notes="现场检查发现一台电子秤未按期检定",
        **{f"task__{k}": v for k, v in task.items()},
    )
    complete(finding.task)
    followup.on_completed(finding.task)
    with clock.frozen(NOW):
        publication.publish(finding.task, UserFactory())
    return finding.task


def merchant_client(client: FlaskClient, task: Task, username: str) -> FlaskClient:
    UserFactory(username=username, merchant_user=True, merchant=task.merchant)
    client.post("/login", data={"username": username, "password": PASSWORD})
    return client


def test_the_merchant_downloads_its_result_notice(client: FlaskClient) -> None:
    inspectors = [
        InspectorFactory(name="李明", badge_number="粤A0001"),
        InspectorFactory(name="王芳", badge_number="粤A0002"),
    ]
    task = published(inspectors=inspectors)
    merchant_client(client, task, "shop1")
    response = client.get(f"/portal/results/{task.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = text_of(response.data)
    record = ledger.latest_record(result_records.RESULT_TYPE, str(task.id))
    assert record is not None and record.leaf_hash.hex() in text
    for expected in (
        "检查结果告知书",
        task.merchant.name,
        task.merchant.uscc,
        "深圳市南山区市场监督管理局",
        "发现问题待后续处理",
        "李明",
        "粤A0001",
        "王芳",
        "电子秤超过检定有效期",
        "陈述、申辩",
        "复核",
    ):
        assert expected in text, expected
    issued = ledger.entry_by_file(ledger.sha256(response.data))
    assert issued.record_type == "notice"
    assert json.loads(issued.canonical)["data"]["fact_leaf_hash"] == record.leaf_hash.hex()
    assert client.get(f"/portal/results/{task.id}.pdf").data == response.data  # issued once per fact
    assert "检查结果告知书" in client.get("/portal/results").get_data(as_text=True)


def test_a_merchant_cannot_download_another_merchants_notices(client: FlaskClient) -> None:
    theirs = published()
    order = followup.issue_order(theirs, UserFactory(), "电子秤未检定", "", "", date(2026, 12, 10))
    unpublished = FindingFactory().task
    mine = published()
    merchant_client(client, mine, "shop2")
    assert client.get(f"/portal/results/{theirs.id}.pdf").status_code == 404
    assert client.get(f"/portal/orders/{order.id}.pdf").status_code == 404
    assert client.get(f"/portal/results/{unpublished.id}.pdf").status_code == 404
    assert client.get(f"/portal/results/{mine.id}.pdf").status_code == 200


def test_rectification_notice_shows_the_order_and_its_reinspection(client: FlaskClient) -> None:
    task = published()
    with clock.frozen(NOW):
        order = followup.issue_order(
            task,
            UserFactory(),
            "电子秤未按期检定",
            "立即停止使用并申请检定",
            "《中华人民共和国计量法》第九条",
            date(2026, 12, 10),
        )
    merchant_client(client, task, "shop3")
    response = client.get(f"/portal/orders/{order.id}.pdf")
    assert response.status_code == 200
    text = text_of(response.data)
    for expected in (
        "责令改正通知书",
        "2026责改0001",
        "电子秤未按期检定",
        "立即停止使用并申请检定",
        "2026年12月10日",
        "复查",
        "2026年12月15日",
    ):
        assert expected in text, expected
    first = ledger.latest_record(result_records.ORDER_TYPE, str(order.id))
    assert first is not None and first.leaf_hash.hex() in text
    assert result_records.order_text_sha256(order) in text
    assert ledger.entry_by_file(ledger.sha256(response.data)).record_type == "notice"
    portal = client.get("/portal/").get_data(as_text=True)
    assert "2026责改0001" in portal and "请于 2026-12-10 前改正" in portal


def test_the_public_plan_results_notice(client: FlaskClient) -> None:
    plan = PlanFactory(name="2026年第四批计量双随机抽查")
    clean = published(["01"], plan=plan, kind=TaskKind.RANDOM)
    found = published(["09"], plan=plan, kind=TaskKind.RANDOM)
    published(["01"])  # a directed check is not part of the plan's notice
    response = client.get(f"/plans/{plan.id}/results.pdf")
    assert response.status_code == 200
    text = text_of(response.data)
    for expected in (
        "抽查结果公示",
        "2026年第四批计量双随机抽查",
        clean.merchant.uscc,
        found.merchant.uscc,
        "未发现问题",
        "共公示2户",
    ):
        assert expected in text, expected
    record = ledger.latest_record(result_records.PLAN_RESULTS_TYPE, str(plan.id))
    assert record is not None and record.leaf_hash.hex() in text
    assert client.get(f"/plans/{PlanFactory().id}/results.pdf").status_code == 404  # nothing published yet
    assert client.get("/plans/999999/results.pdf").status_code == 404


def test_admin_downloads_and_the_bulk_job_builds(client: FlaskClient) -> None:
    task = published()
    UserFactory(username="regulator")
    client.post("/login", data={"username": "regulator", "password": PASSWORD})
    assert client.get(f"/admin/results/{task.id}.pdf").status_code == 200
    job = notices.inspection_result_job(task)
    assert notices.already_issued(job)


def test_bulk_render_issues_the_result_notices_once(app: Flask) -> None:
    plan = PlanFactory()
    task = published(plan=plan, kind=TaskKind.RANDOM)
    with clock.frozen(NOW):
        followup.issue_order(task, UserFactory(), "电子秤未检定", "", "", date(2026, 12, 10))
    runner = app.test_cli_runner()
    for kind in ("inspection_result", "rectification", "plan_results"):
        result = runner.invoke(args=["notices", "render", "--kind", kind, "--processes", "2"])
        assert result.exit_code == 0, result.output
        assert "issued 1 notices" in result.output, kind
    for kind in ("inspection_result", "rectification", "plan_results"):  # once per fact: a second run issues none
        assert "issued 0 notices" in runner.invoke(args=["notices", "render", "--kind", kind]).output, kind
    kinds = sorted(
        json.loads(e.canonical)["data"]["kind"]
        for e in db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.record_type == "notice"))
    )
    assert kinds == ["inspection_result", "plan_results", "rectification"]

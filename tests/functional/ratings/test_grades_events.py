"""Grades follow their causes in the same transaction: published results, a closed follow-up, commitments and
instruments; the grade card explains them; the CLI recomputes and explains."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from honestmeter import clock
from honestmeter.commitments import services as commitments
from honestmeter.inspections.models import Task
from honestmeter.inspections.results import followup, publication
from honestmeter.instruments import services as instruments
from honestmeter.instruments.models import VerificationResult
from honestmeter.ledger import services as ledger
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.facts import services as facts
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.models import FactSource
from tests.factories import PASSWORD, MerchantFactory, UserFactory, completed, instrument_type

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai
CHECKED = date(2026, 11, 20)  # the factories' check day


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def admin() -> object:
    return UserFactory(username="grader")


def published(codes: tuple[str, ...], merchant: Merchant, admin: object, **finding: object) -> Task:
    task = completed(codes, merchant=merchant)
    for key, value in finding.items():
        setattr(task.finding, key, value)
    publication.publish(task, admin)  # type: ignore[arg-type]
    return task


def test_a_published_02_lowers_the_grade_with_its_reason(admin: object) -> None:
    merchant = MerchantFactory()
    task = published(("02",), merchant, admin)
    assert (merchant.grade, merchant.score, merchant.graded_on) == ("B", 75, NOW.date())
    change = grades.latest_change(merchant.id)
    assert change is not None and change.cause == f"inspection_result/{task.id}"
    assert change.reasons == [
        {
            "rule": "result_02",
            "label": "抽查发现问题经责令已改正",
            "points": -5,
            "facts": [f"inspection_result/{task.id}"],
            "until": "2027-11-20",
        }
    ]
    record = json.loads(ledger.latest_record(grades.RECORD_TYPE, merchant.uscc).canonical)  # type: ignore[union-attr]
    assert record["data"]["score"] == 75 and record["data"]["reasons"] == change.reasons


def test_each_result_code_and_a_failed_cheating_item_write_their_facts(admin: object) -> None:
    merchant = MerchantFactory()
    task = published(
        ("04", "09", "13", "14"), merchant, admin, item_results={"JL-02": {"verdict": "fail", "note": "遥控器"}}
    )
    rules = {f.rule for f in facts.for_merchant(merchant.id)}
    assert rules == {"result_04", "result_09", "result_13", "result_14", "cheating"}
    assert all(f.happened_on == CHECKED and f.source_id == task.id for f in facts.for_merchant(merchant.id))
    assert (merchant.score, merchant.grade) == (0, "D")  # 80 − 90, clamped


def test_clean_checks_count_up_to_their_cap(admin: object) -> None:
    merchant = MerchantFactory()
    for _ in range(3):
        published(("01",), merchant, admin)
    assert merchant.score == 86  # +3 each, at most +6
    assert len(grades.history(merchant.id)) == 2  # the third changed nothing, so no history row


def test_closing_the_09_follow_up_restores_the_grade(admin: object) -> None:
    merchant = MerchantFactory()
    task = published(("09",), merchant, admin)
    assert (merchant.score, merchant.grade) == (70, "C")
    followup.close_follow_up(task, admin, "已立案查处")  # type: ignore[arg-type]
    assert (merchant.score, merchant.grade) == (80, "B")
    (fact,) = facts.for_merchant(merchant.id)
    assert (fact.ended_on, fact.end_reason) == (NOW.date(), facts.FOLLOW_UP_CLOSED)
    assert [(c.previous_score, c.score) for c in grades.history(merchant.id)] == [(70, 80), (None, 70)]


def test_a_09_closed_before_publication_never_counts(admin: object) -> None:
    merchant = MerchantFactory()
    task = completed(("09",), merchant=merchant)
    followup.close_follow_up(task, admin, "当场处理完毕")  # type: ignore[arg-type]
    publication.publish(task, admin)  # type: ignore[arg-type]
    assert merchant.score == 80


def test_10_counts_until_the_proposal_is_decided_and_its_end_restores(admin: object) -> None:
    merchant = MerchantFactory()
    task = published(("10",), merchant, admin)
    assert merchant.score == 65
    facts.end(FactSource.RESULT, task.id, NOW.date(), "不予列入", rules=["result_10_or_abnormal"])  # what lists does
    grades.regrade(merchant.id, "list_entry/1")
    assert merchant.score == 80


def test_a_10_whose_proposal_was_rejected_before_publication_never_counts(admin: object) -> None:
    from honestmeter.lists import queries as list_queries
    from honestmeter.lists import services as lists

    merchant = MerchantFactory()
    task = completed(("10",), merchant=merchant)
    proposal = list_queries.open_proposal(merchant.id, ListKind.ABNORMAL)
    assert proposal is not None
    lists.reject_listing(proposal, admin, "已电话联系上")  # type: ignore[arg-type]
    publication.publish(task, admin)  # type: ignore[arg-type]
    (fact,) = facts.for_merchant(merchant.id)
    assert (fact.rule, fact.ended_on) == ("result_10_or_abnormal", NOW.date())
    assert merchant.score == 80


def test_publishing_many_regrades_each_merchant(admin: object) -> None:
    one, two = MerchantFactory(), MerchantFactory()
    tasks = [completed(("02",), merchant=one), completed(("13",), merchant=two)]
    publication.publish_many([t.id for t in tasks], admin)  # type: ignore[arg-type]
    assert (one.score, two.score) == (75, 70)


def signature(user: object) -> commitments.Signature:
    template = commitments.current_template(user.merchant.sector_code)  # type: ignore[attr-defined]
    assert template is not None
    return commitments.Signature(
        signer_name="张三",
        signer_title="店主",
        password=PASSWORD,
        confirmed_points=frozenset(range(len(template.points))),
        template_id=template.id,
        client_address=None,
    )


def test_signing_a_commitment_raises_the_grade_and_revoking_lowers_it() -> None:
    commitments.seed_default_templates()
    user = UserFactory(merchant_user=True)
    signed = commitments.sign_commitment(user, signature(user))
    merchant = user.merchant
    assert merchant.score == 85
    change = grades.latest_change(merchant.id)
    assert change is not None and change.cause == f"commitment/{signed.id}"
    assert change.reasons[0]["facts"] == [f"commitment/{signed.id}"]
    commitments.revoke_commitment(signed.id, by=user, reason="停业")
    assert merchant.score == 80


def test_an_expired_commitment_stops_counting_when_the_job_runs() -> None:
    commitments.seed_default_templates()
    user = UserFactory(merchant_user=True)
    signed = commitments.sign_commitment(user, signature(user))
    assert user.merchant.score == 85
    with clock.frozen(datetime.combine(signed.valid_until + timedelta(days=1), datetime.min.time(), tzinfo=UTC)):
        assert commitments.expire_commitments() == 1
    assert user.merchant.score == 80


def test_instruments_move_the_grade_when_added_verified_and_retired() -> None:
    merchant = MerchantFactory()
    facts_ = instruments.InstrumentFacts(type_id=instrument_type("price_scale").id, serial_number="A-1")
    scale = instruments.add_instrument(merchant.id, facts_, last_verified_on=date(2025, 11, 1))  # 1-year cycle
    assert (merchant.score, grades.latest_change(merchant.id).cause) == (77, f"instrument/{scale.id}")  # type: ignore[union-attr]
    instruments.record_verification(
        merchant.id,
        scale.id,
        instruments.VerificationFacts(date(2026, 11, 20), "深圳市计量质量检测研究院", "JD-1", VerificationResult.PASS),
    )
    assert merchant.score == 82  # all mandatory instruments valid
    instruments.retire_instrument(merchant.id, scale.id)
    assert merchant.score == 80


# ---------------------------------------------------------------- the grade card


CARD = (
    '{% from "ratings/_macros.html" import grade_card, grade_history %}'
    "{{ grade_card(merchant, change, record) }}{{ grade_history(history) }}"
)


def test_the_grade_card_explains_the_grade_line_by_line(app: Flask, admin: object) -> None:
    merchant = MerchantFactory()
    task = published(("02",), merchant, admin)
    db_entry = ListEntry(
        kind=ListKind.ABNORMAL,
        merchant_id=merchant.id,
        status=EntryStatus.LISTED,
        reason="无法联系",
        authority="测试局",
        proposed_at=NOW,
        listed_on=NOW.date(),
    )
    from honestmeter.extensions import db

    db.session.add(db_entry)
    db.session.flush()
    grades.regrade(merchant.id, f"list_entry/{db_entry.id}")
    change = grades.latest_change(merchant.id)
    record = ledger.latest_record(grades.RECORD_TYPE, merchant.uscc)
    result_leaf = ledger.latest_record("inspection_result", str(task.id)).leaf_hash.hex()  # type: ignore[union-attr]
    with app.test_request_context():
        html = render_template_string(
            CARD, merchant=merchant, change=change, record=record, history=grades.history(merchant.id)
        )
    assert "grade-letter grade-C" in html and "75 分" in html
    assert "抽查发现问题经责令已改正" in html and "-5" in html and "至 2027-11-20 不再计入" in html
    assert f"leaf={result_leaf}" in html and f"#{task.id}" in html
    assert "列入经营异常名录，等级最高为 C" in html
    assert f"leaf={record.leaf_hash.hex()}" in html  # type: ignore[union-attr]
    assert "基础分" in html and ">80<" in html
    assert "B → " in html and "名录记录" in html and "抽查检查结果" in html  # the history table


def test_the_public_page_shows_the_grade_card(client: FlaskClient, admin: object) -> None:
    user = UserFactory(merchant_user=True, username="shop")
    published(("02",), user.merchant, admin)
    html = client.get(f"/merchants/{user.merchant.uscc}").get_data(as_text=True)
    assert "抽查发现问题经责令已改正" in html and "至 2027-11-20 不再计入" in html


# ---------------------------------------------------------------- the CLI


def test_cli_recompute_and_explain(app: Flask, admin: object) -> None:
    merchant = MerchantFactory()
    facts.add(merchant.id, "result_13", date(2026, 1, 5), source=FactSource.COMPLAINT, source_id=1, ref="complaint/1")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["grades", "recompute", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert "changed" in result.output and (merchant.score, merchant.grade) == (70, "C")
    explained = runner.invoke(args=["grades", "explain", merchant.uscc, "--today", "2027-01-05"])
    assert explained.exit_code == 0, explained.output
    assert "+80  基础分" in explained.output and "= 80 分 → B" in explained.output
    assert "stored grade: C 70 分（v1）" in explained.output
    explained = runner.invoke(args=["grades", "explain", merchant.uscc])
    assert "-10  未按规定公示应当公示的信息" in explained.output and "complaint/1" in explained.output
    assert "至 2027-01-05 不再计入" in explained.output
    assert runner.invoke(args=["grades", "explain", "91330100716105852F"]).exit_code != 0
    assert runner.invoke(args=["grades", "recompute", "--today", "yesterday"]).exit_code != 0

"""Verifiable draws: announce freezes and publishes, reveal waits for the anchor, result, tasks, the job."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from honestmeter import clock
from honestmeter.errors import InvalidTransition, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections import draw
from honestmeter.inspections.draws import records as draw_records
from honestmeter.inspections.draws import services as draws
from honestmeter.inspections.models import (
    Decision,
    Draw,
    DrawStatus,
    Plan,
    PlanStatus,
    Recusal,
    RecusalSource,
    Task,
    TaskInspector,
    TaskKind,
    TaskStatus,
)
from honestmeter.inspections.plans import services as plans
from honestmeter.ledger import anchoring, audit
from honestmeter.ledger import services as ledger
from honestmeter.ledger.canonical import canonical_bytes
from honestmeter.ledger.models import LedgerEntry
from tests.factories import InspectorFactory, MerchantFactory, PlanFactory, UserFactory

PAST = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
BEACON = "中国福利彩票双色球第2026140期开奖号码"


def world(*, grades: dict[str | None, int], inspectors: int = 4, **plan: Any) -> Plan:
    for grade, n in grades.items():
        for _ in range(n):
            MerchantFactory(grade=grade)
    for _ in range(inspectors):
        InspectorFactory()
    found = PlanFactory(status=PlanStatus.SCHEDULED, draw_at=PAST, **plan)
    db.session.commit()  # a failing service rolls back to here
    return found


def record(record_type: str, draw_id: int) -> dict[str, Any]:
    entry = ledger.latest_record(record_type, str(draw_id))
    assert entry is not None
    return json.loads(entry.canonical)  # type: ignore[no-any-return]


def anchor() -> None:
    assert anchoring.anchor_pending() == "anchored"


# ---------------------------------------------------------------- announce


def test_announce_freezes_the_pool_and_publishes_its_hash() -> None:
    plan = world(grades={"A": 3, "B": 10, None: 5}, ratios={**plans.DEFAULT_RATIOS, "A": "0.5"})
    d = draws.announce(plan.id)
    ann = d.announcement
    assert ann["algorithm"] == "hmac-rank-v1" and ann["plan_id"] == str(plan.id)
    assert [(s["name"], len(s["members"]), s["k"]) for s in ann["strata"]] == [
        ("A", 3, 2),
        ("B", 10, 1),
        ("unrated", 5, 1),
    ]
    for s in ann["strata"]:
        assert s["members"] == sorted(s["members"])
    assert len(ann["inspectors"]) == 4 and ann["inspectors"] == sorted(ann["inspectors"])
    assert ann["beacon"] == draws.FALLBACK_BEACON and d.beacon == draws.FALLBACK_BEACON
    assert ann["secret_commitment"] == hashlib.sha256(d.secret).hexdigest()
    assert d.announcement_hash == hashlib.sha256(canonical_bytes(ann)).digest()
    assert d.sequence == 1 and d.status == DrawStatus.ANNOUNCED
    assert db.session.get(Plan, plan.id).status == PlanStatus.RUNNING  # type: ignore[union-attr]
    data = record(draw_records.ANNOUNCEMENT_TYPE, d.id)["data"]
    assert data["announcement_hash"] == d.announcement_hash.hex()
    assert data["strata"] == [
        {"name": "A", "size": 3, "k": 2},
        {"name": "B", "size": 10, "k": 1},
        {"name": "unrated", "size": 5, "k": 1},
    ]
    assert data["inspectors"] == 4 and data["per_case"] == 2 and data["capacity"] == 20
    assert data["plan_name"] == plan.name and data["sequence"] == 1
    assert "members" not in json.dumps(data)  # the full lists are served by the API, not put in the record
    MerchantFactory(grade="A")  # later changes do not touch the frozen announcement
    db.session.commit()
    assert db.session.get(Draw, d.id).announcement == ann  # type: ignore[union-attr]
    assert draws.announcement_bytes(d) == canonical_bytes(ann)


def test_announce_refusals() -> None:
    draft = world(grades={"B": 3})
    draft.status = PlanStatus.DRAFT
    db.session.commit()
    with pytest.raises(InvalidTransition):
        draws.announce(draft.id)
    draft.status = PlanStatus.SCHEDULED
    draft.region_codes = ["330106"]  # nobody there
    db.session.commit()
    with pytest.raises(ValidationFailed):
        draws.announce(draft.id)
    draft.region_codes = []
    draft.per_case = 5  # four inspectors
    db.session.commit()
    with pytest.raises(ValidationFailed):
        draws.announce(draft.id)
    draft.per_case = 2
    db.session.commit()
    draws.announce(draft.id)
    with pytest.raises(InvalidTransition):  # the previous draw is not revealed yet
        draws.announce(draft.id)


def test_a_racing_second_announcer_loses_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = world(grades={"B": 5})
    first = draws.announce(plan.id)
    first.status = DrawStatus.DRAWN  # as if revealed, so a second draw may be announced
    db.session.commit()
    leaves = ledger.tree_size()
    monkeypatch.setattr(draws, "_next_sequence", lambda plan_id: 1)  # it read the max before the other committed
    with pytest.raises(InvalidTransition):
        draws.announce(plan.id)
    assert ledger.tree_size() == leaves
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draw)) == 1


# ---------------------------------------------------------------- reveal


def test_reveal_waits_for_the_anchor_then_uses_the_anchor_block_hash() -> None:
    plan = world(grades={"B": 20, "D": 5})
    d = draws.announce(plan.id)
    with pytest.raises(InvalidTransition):
        draws.reveal(d.id)
    anchor()
    entry = draws.announcement_record(d)
    covering = draws.covering_anchor(entry.leaf_index)  # type: ignore[union-attr]
    assert covering is not None
    with pytest.raises(ValidationFailed):  # nothing to type in for a block-hash draw
        draws.reveal(d.id, beacon_value="123")
    revealed = draws.reveal(d.id)
    assert revealed.status == DrawStatus.DRAWN
    assert revealed.beacon_value == anchoring.client().block_hash(covering.block_number)
    assert revealed.result == draw.run(revealed.announcement, revealed.secret, revealed.beacon_value)
    bundle = draws.bundle(revealed)
    assert draw.verify_bundle(bundle) == []
    assert draw.verify_bundle(json.loads(draws.bundle_bytes(revealed))) == []
    reveal_data = record(draw_records.REVEAL_TYPE, d.id)["data"]
    assert reveal_data["secret"] == revealed.secret.hex()
    assert reveal_data["beacon"] == draws.FALLBACK_BEACON
    assert reveal_data["beacon_value"] == revealed.beacon_value.hex()  # type: ignore[union-attr]
    result_data = record(draw_records.RESULT_TYPE, d.id)["data"]
    assert result_data["result_hash"] == hashlib.sha256(canonical_bytes(revealed.result)).hexdigest()
    assert result_data["selected"] == 2 + 3 and result_data["unassigned"] == 0
    assert set(bundle["records"]) == {"announcement", "reveal", "result"} and all(bundle["records"].values())
    with pytest.raises(InvalidTransition):
        draws.reveal(d.id)
    assert [p for p in audit.check_rows() if p.startswith("draw")] == []


def test_external_beacon_is_typed_by_the_admin_normalised() -> None:
    plan = world(grades={"C": 10}, beacon=BEACON)
    d = draws.announce(plan.id)
    assert d.announcement["beacon"] == BEACON
    anchor()
    with pytest.raises(ValidationFailed) as err:
        draws.reveal(d.id)
    assert err.value.field == "beacon_value"
    typed = "  03 07 12 19 25 31 + 09\u3000"
    revealed = draws.reveal(d.id, beacon_value=typed, by=UserFactory())
    expected = unicodedata.normalize("NFC", typed).strip().encode("utf-8")
    assert revealed.beacon_value == expected
    assert revealed.result == draw.run(d.announcement, d.secret, expected)
    assert draw.verify_bundle(draws.bundle(revealed)) == []
    assert record(draw_records.REVEAL_TYPE, d.id)["data"]["beacon"] == BEACON


def test_tasks_respect_recusals_and_capacity_and_report_the_unassigned() -> None:
    merchants = [MerchantFactory(grade="D") for _ in range(6)]
    inspectors = [InspectorFactory() for _ in range(3)]
    boss = UserFactory()
    # The first merchant may not meet the first two inspectors: approved; the third pair is only pending.
    for inspector, status in ((inspectors[0], Decision.APPROVED), (inspectors[1], Decision.APPROVED)):
        db.session.add(
            Recusal(
                merchant_id=merchants[0].id,
                inspector_id=inspector.id,
                source=RecusalSource.ADMIN,
                reason="亲属",
                status=status,
                requested_by_id=boss.id,
            )
        )
    db.session.add(
        Recusal(
            merchant_id=merchants[1].id,
            inspector_id=inspectors[2].id,
            source=RecusalSource.MERCHANT,
            reason="待审",
            status=Decision.PENDING,
            requested_by_id=boss.id,
        )
    )
    plan = PlanFactory(
        status=PlanStatus.SCHEDULED,
        draw_at=PAST,
        ratios={**plans.DEFAULT_RATIOS, "D": "1"},
        capacity=2,
        item_codes=["JL-01", "JL-03"],
        check_by=datetime(2026, 12, 31, tzinfo=UTC).date(),
    )
    db.session.commit()
    d = draws.announce(plan.id)
    uscc0 = merchants[0].uscc
    assert d.announcement["conflicts"] == sorted(
        [[uscc0, inspectors[0].badge_number], [uscc0, inspectors[1].badge_number]]
    )
    anchor()
    revealed = draws.reveal(d.id)
    result = revealed.result
    assert result is not None and len(result["selected"]) == 6
    staffed = [c for c in result["selected"] if c["inspectors"]]
    # 3 inspectors × capacity 2 = 6 slots, 2 per case: at most 3 cases staffed; the rest are listed, not filled.
    assert 1 <= len(staffed) <= 3
    assert result["unassigned"] == [c["uscc"] for c in result["selected"] if not c["inspectors"]]
    assert len(result["unassigned"]) == 6 - len(staffed)
    # The first merchant keeps away from two of the three inspectors, so it can never get two.
    assert uscc0 in result["unassigned"]
    assert record(draw_records.RESULT_TYPE, d.id)["data"]["unassigned_usccs"] == result["unassigned"]
    tasks = db.session.scalars(sa.select(Task).where(Task.draw_id == d.id)).all()
    assert len(tasks) == len(staffed)
    by_uscc = {t.merchant.uscc: t for t in tasks}
    assert set(by_uscc) == {c["uscc"] for c in staffed}
    load: dict[str, int] = {}
    for case in staffed:
        task = by_uscc[case["uscc"]]
        db.session.refresh(task)
        assert task.kind == TaskKind.RANDOM and task.status == TaskStatus.OPEN
        assert task.plan_id == plan.id and task.stratum == "D" and task.authority == plan.authority
        assert task.item_codes == ["JL-01", "JL-03"] and task.due_date == plan.check_by
        assert task.created_by_id is None
        assert [a.inspector.badge_number for a in task.assignments] == case["inspectors"]
        assert [a.position for a in task.assignments] == [0, 1]
        for badge in case["inspectors"]:
            load[badge] = load.get(badge, 0) + 1
    assert max(load.values()) <= 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskInspector)) == 2 * len(staffed)


def test_result_does_not_depend_on_the_order_merchants_were_entered() -> None:
    """The same pool entered in another order gives the same announcement members and the same result."""
    plan = world(grades={"B": 12})
    d = draws.announce(plan.id)
    members = d.announcement["strata"][0]["members"]
    shuffled = {**d.announcement, "strata": [{**d.announcement["strata"][0], "members": list(reversed(members))}]}
    with pytest.raises(ValueError, match="out of order"):
        draw.run(shuffled, d.secret, b"beacon")
    rebuilt = draw.build_announcement(
        plan_id=str(plan.id),
        strata=[draw.Stratum("B", list(reversed(members)), d.announcement["strata"][0]["k"])],
        inspectors=list(reversed(d.announcement["inspectors"])),
        per_case=2,
        capacity=20,
        conflicts=[],
        secret_commitment=d.announcement["secret_commitment"],
        beacon=d.beacon,
    )
    assert draw.announcement_hash(rebuilt) == d.announcement_hash


# ---------------------------------------------------------------- the job


def test_job_is_idempotent() -> None:
    plan = world(grades={"B": 10, "D": 2})
    assert draws.draw_job().startswith("announced")
    assert draws.draw_job() == "1 waiting for the anchor"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draw).where(Draw.plan_id == plan.id)) == 1
    anchor()
    assert "revealed" in draws.draw_job()
    assert draws.draw_job() == "nothing to do"
    drawn = db.session.scalars(sa.select(Draw).where(Draw.plan_id == plan.id)).one()
    assert drawn.status == DrawStatus.DRAWN
    tasks = db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(Task.draw_id == drawn.id))
    assert tasks == 1 + 2


def test_job_waits_for_draw_at_and_leaves_external_beacons_to_the_admin() -> None:
    later = world(grades={"B": 3})
    later.draw_at = clock.utcnow() + timedelta(days=1)
    external = PlanFactory(status=PlanStatus.SCHEDULED, draw_at=PAST, beacon=BEACON)
    db.session.commit()
    assert draws.draw_job().startswith("announced")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draw).where(Draw.plan_id == later.id)) == 0
    anchor()
    assert draws.draw_job() == "nothing to do"  # the external beacon's value is typed in by a regulator
    pending = db.session.scalars(sa.select(Draw).where(Draw.plan_id == external.id)).one()
    assert pending.status == DrawStatus.ANNOUNCED


def test_cron_plan_announces_once_per_firing() -> None:
    for _ in range(10):
        MerchantFactory(grade="B")
    for _ in range(3):
        InspectorFactory()
    db.session.commit()
    scheduled_at = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 08:30 in Beijing
    with clock.frozen(scheduled_at):
        plan = plans.create_plan(
            plans.PlanFacts(
                name="每日摇号", year=2026, batch=77, authority="测试局", item_codes=["JL-01"], draw_cron="0 9 * * *"
            ),
            by=None,
        )
        plans.schedule_plan(plan.id)
        assert draws.draw_job() == "nothing to do"
    with clock.frozen(datetime(2026, 12, 1, 0, 59, tzinfo=UTC)):  # 08:59
        assert draws.due_plans(clock.utcnow()) == []
    with clock.frozen(datetime(2026, 12, 1, 1, 0, 30, tzinfo=UTC)):  # 09:00:30
        assert draws.draw_job().startswith("announced")
        anchor()
        assert "revealed" in draws.draw_job()
        assert draws.draw_job() == "nothing to do"
    with clock.frozen(datetime(2026, 12, 1, 8, 0, tzinfo=UTC)):  # 16:00 the same day
        assert draws.draw_job() == "nothing to do"
    with clock.frozen(datetime(2026, 12, 3, 2, 0, tzinfo=UTC)):  # two firings missed: one catch-up draw
        assert draws.draw_job().startswith("announced")
        assert draws.due_plans(clock.utcnow()) == []
    sequences = db.session.scalars(sa.select(Draw.sequence).where(Draw.plan_id == plan.id).order_by(Draw.sequence))
    assert list(sequences) == [1, 2]


def test_projections_re_derive_the_draw_records() -> None:
    plan = world(grades={"A": 4})
    d = draws.announce(plan.id)
    anchor()
    draws.reveal(d.id)
    assert [p for p in audit.check_rows() if p.startswith("draw")] == []
    row = db.session.get(Draw, d.id)
    assert row is not None
    row.result = {**row.result, "unassigned": ["91440300MA5FAKE00X"]}  # type: ignore[dict-item]
    db.session.commit()
    assert any(p.startswith("draw_result") for p in audit.check_rows())
    assert db.session.scalar(sa.select(LedgerEntry.record_type).where(LedgerEntry.record_id == str(d.id)).limit(1))


def test_cli_announce_and_reveal(app: Any) -> None:
    plan = world(grades={"B": 4}, beacon=BEACON)
    runner = app.test_cli_runner()
    announced = runner.invoke(args=["draw", "announce", str(plan.id)])
    assert announced.exit_code == 0, announced.output
    d = db.session.scalars(sa.select(Draw).where(Draw.plan_id == plan.id)).one()
    assert d.announcement_hash.hex() in announced.output
    early = runner.invoke(args=["draw", "reveal", str(d.id), "--beacon", "7"])
    assert early.exit_code == 1 and "锚定" in early.output
    anchor()
    revealed = runner.invoke(args=["draw", "reveal", str(d.id), "--beacon", "7"])
    assert revealed.exit_code == 0, revealed.output
    assert "1 selected" in revealed.output
    assert runner.invoke(args=["draw", "announce", "1000000"]).exit_code == 1

"""Demo complaints in every state, through the same services as the pages.

One substantiated complaint has a fixed tracking code, DEMO_CODE, so the README can say what to type on
/complaints/track; the others get random codes as real ones do.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from honestmeter import attachments, clock
from honestmeter.auth.models import User
from honestmeter.complaints import services
from honestmeter.complaints.models import Complaint
from honestmeter.extensions import db
from honestmeter.inspections.models import Inspector
from honestmeter.merchants.models import Merchant, MerchantStatus
from honestmeter.roles import Role

DEMO_CODE = "TS2026DEMA0001"  # shown as TS-2026-DEMA-0001
# A 1×1 PNG standing in for a reporter's photo of the scale.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a3e6c6d40000000049454e44ae426082"
)


def _user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _inspector(username: str) -> Inspector | None:
    return db.session.scalar(
        sa.select(Inspector).join(User, User.id == Inspector.user_id).where(User.username == username)
    )


def generate(*, seed: int) -> dict[str, int]:
    """Add the complaint demo; nothing when complaints exist already or the demo accounts are missing."""
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN).order_by(User.id))
    handler, partner = _inspector("inspector01"), _inspector("inspector02")
    if admin is None or handler is None or partner is None or db.session.scalar(sa.select(Complaint.id).limit(1)):
        return {"complaints": 0}
    rng = random.Random(f"{seed}:complaints")
    query = sa.select(Merchant).where(Merchant.status == MerchantStatus.ACTIVE).order_by(Merchant.id).limit(200)
    merchants = list(db.session.scalars(query))
    # merchant08's shop gets the substantiated complaint, so its portal shows the grade reason and repair date.
    own = db.session.scalar(
        sa.select(Merchant).join(User, User.merchant_id == Merchant.id).where(User.username == "merchant08")
    )
    if len(merchants) < 8:
        return {"complaints": 0}
    rng.shuffle(merchants)

    def file(category: str, text: str, merchant: str, days_ago: int, **extra: Any) -> Complaint:
        complaint = services.submit(services.NewComplaint(category, text, merchant=merchant, **extra))
        complaint.submitted_at = clock.utcnow() - timedelta(days=days_ago, hours=rng.randint(0, 8))
        return complaint

    def triage(complaint: Complaint, uscc: str) -> None:
        services.assign(complaint.id, handler_id=handler.id, uscc=uscc, by=admin)

    # 已受理: anonymous with a photo; and one naming a stall the directory does not know.
    file(
        "short_weight",
        "在菜市场买了三斤排骨，回家复称只有两斤六两，摊主的电子秤看起来被动过。",
        merchants[0].uscc,
        1,
        place="农贸市场 B 区 7 号摊",
        photos=[attachments.Upload(PNG, "复称照片.png")],
    )
    file(
        "other",
        "夜市流动摊位用的杆秤没有任何检定标志，称重明显偏多。",
        "夜市东口卖栗子的流动摊",
        2,
        place="步行街夜市东口",
    )
    file("unverified", "加油站 3 号加油机检定标签已过期半年。", merchants[1].uscc, 1, via_api=True)
    # 核查中: assigned; and assigned with a directed check and the handler's notes.
    triage(file("labelling", "预包装茶叶净含量标注为 500g，实际称量约 470g。", merchants[2].uscc, 6), "")
    checking = file(
        "cheating_device",
        "出租车计价器跳表异常，十公里收了七十多元。",
        merchants[3].uscc,
        9,
        contact_name="陈先生",
        contact_phone="13800138000",
    )
    triage(checking, "")
    services.open_check(
        checking.id, inspector_ids=[handler.id, partner.id], item_codes=["JL-01", "JL-02"], due_date=None, by=admin
    )
    handler_user = handler.user
    services.record_verification(checking.id, text="已调取计价器检定记录，待现场核查。", by=handler_user)
    # 经查属实, with a reward; 经查属实 without one; 经查不属实.
    target = own or merchants[4]
    rewarded = file(
        "short_weight",
        "买的水果称重 2.5 斤，用市场公平秤复称 2.1 斤。",
        target.uscc,
        30,
        contact_name="李女士",
        contact_phone="13900139000",
        wants_reward=True,
    )
    rewarded.tracking_code = DEMO_CODE
    triage(rewarded, "")
    services.record_verification(rewarded.id, text="现场使用标准砝码检查，该电子秤示值偏大 16%。", by=handler_user)
    services.decide(
        rewarded.id,
        substantiated=True,
        reasons="经现场核查，该经营者使用的电子秤示值偏大，短斤少两属实，已责令改正。",
        by=admin,
    )
    if services.reward_eligible(rewarded):
        services.decide_reward(rewarded.id, amount="300", note="举报属实，按规定给予奖励", by=admin)
    labelled = file("labelling", "散装食品标价签只有每袋价格，没有标注重量。", merchants[5].uscc, 20)
    triage(labelled, "")
    services.record_verification(labelled.id, text="现场核实 12 种散装食品未标注计量单位。", by=admin)
    services.decide(labelled.id, substantiated=True, reasons="商品量计量标注不规范属实，已当场责令改正。", by=admin)
    cleared = file("short_weight", "怀疑超市称重台秤不准。", merchants[6].uscc, 25, contact_email="reader@example.com")
    triage(cleared, "")
    services.record_verification(cleared.id, text="抽查 3 台电子计价秤，示值误差均在最大允许误差内。", by=admin)
    services.decide(
        cleared.id,
        substantiated=False,
        reasons="经现场检查，所用计量器具检定合格、示值准确，投诉反映的问题不属实。",
        by=admin,
    )
    db.session.commit()
    rows = db.session.execute(sa.select(Complaint.status, sa.func.count()).group_by(Complaint.status))
    return {f"complaints_{status.value}": int(n) for status, n in rows}

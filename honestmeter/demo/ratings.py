"""Demo credit data: every grade, every list, penalties in and past their publicity period, repairs approved,
pending and rejected.

Everything goes through the services a regulator and a merchant use in the browser, so the demo shows the real
rules at work (periods, ledger records, regrades). Past decisions are entered with their own dates, as a regulator
types in an older decision; nothing freezes the clock, so the ledger stays in commit order.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from honestmeter import attachments, clock
from honestmeter.auth.models import User
from honestmeter.chinatime import add_months
from honestmeter.extensions import db
from honestmeter.lists import services as lists
from honestmeter.lists.models import ListEntry
from honestmeter.merchants.models import Merchant, MerchantStatus
from honestmeter.ratings.grades import recompute
from honestmeter.ratings.models import Penalty
from honestmeter.ratings.penalties import services as penalties
from honestmeter.repairs import services as repairs
from honestmeter.repairs.models import RepairRequest
from honestmeter.roles import Role

# A tiny valid PDF standing in for a scanned document.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SIGNER_TITLE = "法定代表人"
ACCOUNTS_NEEDED = 6  # merchant01–06 play the credit stories
OTHERS_NEEDED = 10


def _evidence(name: str) -> list[attachments.Upload]:
    return [attachments.Upload(PDF + name.encode(), f"{name}.pdf")]


def _account(merchant: Merchant) -> User:
    user = db.session.scalar(sa.select(User).where(User.merchant_id == merchant.id).order_by(User.id))
    if user is None:
        raise LookupError(f"demo merchant {merchant.uscc} has no portal account")
    return user


def _apply_repair(merchant: Merchant, target: str, target_id: int, statement: str) -> RepairRequest:
    return repairs.apply(
        merchant_id=merchant.id,
        by=_account(merchant),
        target=target,
        target_id=target_id,
        statement=statement,
        signer_name=merchant.legal_representative,
        signer_title=SIGNER_TITLE,
        evidence=_evidence(f"整改证明-{target}-{target_id}"),
    )


@dataclass
class _Demo:
    admin: User
    authority: str
    accounts: list[Merchant]  # merchant01, merchant02, … (they have portal accounts)
    others: Iterator[Merchant]  # merchants without an account or a listing, shuffled
    rng: random.Random
    counts: Counter[str] = field(default_factory=Counter)


def generate(*, seed: int, authority: str) -> dict[str, int]:
    """Add the credit demo on top of the merchants and campaigns; nothing when it is there already."""
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN).order_by(User.id))
    if admin is None or db.session.scalar(sa.select(Penalty.id).limit(1)) is not None:
        return {"penalties": 0}
    rng = random.Random(f"{seed}:credit")
    recompute.recompute_all()  # everyone graded under rule table v1 before the credit events
    accounts = list(
        db.session.scalars(
            sa.select(Merchant)
            .join(User, User.merchant_id == Merchant.id)
            .where(User.role == Role.MERCHANT, User.username.like("merchant%"))
            .order_by(User.username)
        )
    )
    taken = {m.id for m in accounts} | set(db.session.scalars(sa.select(ListEntry.merchant_id)))
    query = sa.select(Merchant).where(Merchant.status == MerchantStatus.ACTIVE).order_by(Merchant.id).limit(400)
    others = [m for m in db.session.scalars(query) if m.id not in taken]
    rng.shuffle(others)
    if len(accounts) < ACCOUNTS_NEEDED or len(others) < OTHERS_NEEDED:
        return {"penalties": 0}
    demo = _Demo(admin, authority, accounts, iter(others), rng)
    _model_units(demo)
    _abnormal(demo)
    serious = _serious(demo)
    _penalties(demo)
    _repairs(demo, serious)
    demo.counts["graded_changes"] += recompute.recompute_all().changed
    db.session.commit()
    return dict(demo.counts)


def _model_units(demo: _Demo) -> None:
    """merchant01 holds the title (A grade, certificate); merchant02 waits for review; merchant05's was revoked."""
    for merchant, decide in ((demo.accounts[0], "approve"), (demo.accounts[1], None), (demo.accounts[4], "revoke")):
        entry = lists.apply_model_unit(
            merchant_id=merchant.id,
            by=_account(merchant),
            application="本单位建立计量器具台账，按期申请强制检定，设置公平秤，公开诚信计量承诺，近两年抽查未发现问题。",
            evidence=_evidence(f"示范单位申请-{merchant.id}"),
        )
        demo.counts["model_unit_applications"] += 1
        if decide is not None:
            lists.approve_model_unit(
                entry, demo.admin, authority=demo.authority, note="材料齐全，现场核查符合评价要求。"
            )
            demo.counts["model_units"] += 1
        if decide == "revoke":
            lists.revoke_model_unit(
                entry, demo.admin, reason="抽查发现计量器具超期未检，撤销称号。", authority=demo.authority
            )
            demo.counts["model_units_revoked"] += 1


def _abnormal(demo: _Demo) -> None:
    """Two listed directly on the 经营异常名录; one removed once cured."""
    for ground, remove in (("ordered_info", False), ("annual_report", True)):
        entry = lists.list_abnormal(
            uscc=next(demo.others).uscc,
            ground=ground,
            note="",
            authority=demo.authority,
            listed_on=clock.today() - timedelta(days=demo.rng.randint(40, 200)),
            by=demo.admin,
        )
        demo.counts["abnormal"] += 1
        if remove:
            lists.remove_abnormal(
                entry,
                reason="已补报并公示年度报告，申请移出。",
                authority=demo.authority,
                removed_on=None,
                by=demo.admin,
            )
            demo.counts["abnormal_removed"] += 1


def _serious(demo: _Demo) -> ListEntry:
    """One listed two months ago (grade D); merchant03 listed 14 months ago, to be removed early by repair."""
    lists.list_serious(
        uscc=next(demo.others).uscc,
        decision_no=f"示例市监列严〔{clock.today().year}〕1号",
        reason="使用作弊装置的电子计价秤，受到较重行政处罚，情节严重。",
        authority=demo.authority,
        listed_on=clock.today() - timedelta(days=60),
        by=demo.admin,
    )
    demo.counts["serious"] += 2
    return lists.list_serious(
        uscc=demo.accounts[2].uscc,
        decision_no=f"示例市监列严〔{clock.today().year - 1}〕7号",
        reason="伪造计量检定数据，受到较重行政处罚。",
        authority=demo.authority,
        listed_on=add_months(clock.today(), -14),
        by=demo.admin,
    )


# (months ago, content, fine, other measures, who): a warning (never public), low fines in and past their 3 months,
# other penalties in their 3 years; merchant04's and merchant06's are repairable.
PENALTIES = (
    (1, "警告", None, False, None),
    (1, "罚款人民币5000元", "5000", False, None),
    (5, "罚款人民币8000元", "8000", False, None),
    (8, "没收作弊装置，罚款人民币150000元", "150000", True, 3),
    (10, "罚款人民币120000元", "120000", False, 5),
    (20, "罚款人民币200000元", "200000", False, None),
)


def _penalties(demo: _Demo) -> None:
    for n, (months_ago, content, fine, other, who) in enumerate(PENALTIES, start=1):
        merchant = demo.accounts[who] if who is not None else next(demo.others)
        decided = add_months(clock.today(), -months_ago)
        penalties.record_penalty(
            penalties.PenaltyFacts(
                uscc=merchant.uscc,
                decision_no=f"示例市监处罚〔{decided.year}〕{n:03d}号",
                violation_type="使用不合格的计量器具" if fine else "未按照规定申请检定",
                content=content,
                fine_amount=None if fine is None else Decimal(fine),
                other_measures=other,
                special_domain=False,
                authority=demo.authority,
                decided_on=decided,
            ),
            demo.admin,
        )
        demo.counts["penalties"] += 1


def _repairs(demo: _Demo, serious: ListEntry) -> None:
    """merchant06's penalty and merchant03's listing repaired; merchant04's penalty rejected once, then pending."""
    for merchant, target, target_id, statement in (
        (demo.accounts[5], "penalty", _penalty_of(demo.accounts[5]), "已缴清罚款，更换全部电子计价秤并经检定合格。"),
        (demo.accounts[2], "list_entry", serious.id, "已履行处罚决定，完成整改并消除不良影响。"),
    ):
        request = _apply_repair(merchant, target, target_id, statement)
        repairs.approve(request.id, demo.admin, "履行完毕，材料齐全，符合信用修复条件。")
        demo.counts["repairs_approved"] += 1
    merchant = demo.accounts[3]
    first = _apply_repair(merchant, "penalty", _penalty_of(merchant), "已缴清罚款。")
    repairs.reject(first.id, demo.admin, "未提交作弊装置拆除和计量器具重新检定的证明，请补充后重新申请。")
    demo.counts["repairs_rejected"] += 1
    _apply_repair(merchant, "penalty", _penalty_of(merchant), "已缴清罚款，作弊装置已拆除，计量器具重新检定合格。")
    demo.counts["repairs_pending"] += 1


def _penalty_of(merchant: Merchant) -> int:
    return int(db.session.scalar(sa.select(Penalty.id).where(Penalty.merchant_id == merchant.id)) or 0)

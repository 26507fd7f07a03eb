"""Demo replies to published results: approved (one of them replaced by a newer approved one), pending, rejected.

Runs after the campaigns (honestmeter.demo.inspections), through the same service a merchant and a regulator use,
so each approval writes its "result_reply" ledger record. A merchant whose result gets a reply and has no portal
account gets one (reply01, reply02, … with the demo merchant password), so the reply can be seen from its side too.
"""

from __future__ import annotations

import random
from collections import Counter

import sqlalchemy as sa

from honestmeter.auth import passwords
from honestmeter.auth.models import AccountStatus, User
from honestmeter.demo.seed import MERCHANT_PASSWORD  # the demo's documented merchant password
from honestmeter.extensions import db
from honestmeter.inspections.models import ResultReply, Task, TaskStatus
from honestmeter.inspections.replies import services as replies
from honestmeter.roles import Role

ACCOUNT_PREFIX = "reply"

# (first reply, regulator's decision, reason) per story; a second text replaces an approved reply.
FIXED = "检查后我店已立即停用涉事计量器具，并送法定计量检定机构检定合格后重新使用，同时对店员进行了计量法规培训。"
FIXED_AGAIN = "补充说明：涉事电子计价秤已更换为新购置并经首次检定合格的器具，检定证书可在店内查看。"
UNREACHABLE = "检查期间本店因装修临时停业，现已恢复营业，经营场所和联系电话未变，欢迎监督。"
CLEAN = "感谢监管部门的检查，本店将继续落实诚信计量承诺，定期自查计量器具。"
REJECTED = "检查人员态度不好，结果不公正，某某某应当受到处理，联系电话 138xxxxxxxx。"
REJECT_NOTE = "说明含有个人信息和与检查结果无关的内容；对检查结论有异议请依法申请行政复议。"


def _admin() -> User | None:
    return db.session.scalar(
        sa.select(User).where(User.role == Role.ADMIN, User.status == AccountStatus.ACTIVE).order_by(User.id)
    )


def _account(task: Task, password_hash: str, counter: Counter[str]) -> User:
    """The merchant's portal account; one is made for the demo when it has none."""
    found = db.session.scalar(
        sa.select(User)
        .where(User.merchant_id == task.merchant_id, User.role == Role.MERCHANT, User.status == AccountStatus.ACTIVE)
        .order_by(User.id)
    )
    if found is not None:
        return found
    n = 1
    while db.session.scalar(sa.select(User.id).where(User.username == f"{ACCOUNT_PREFIX}{n:02d}")) is not None:
        n += 1
    user = User(
        username=f"{ACCOUNT_PREFIX}{n:02d}",
        display_name=task.merchant.legal_representative or task.merchant.name,
        password_hash=password_hash,
        role=Role.MERCHANT,
        merchant_id=task.merchant_id,
        status=AccountStatus.ACTIVE,
    )
    db.session.add(user)
    db.session.flush()  # committed with the reply it submits
    counter["reply_accounts"] += 1
    return user


def generate(*, seed: int) -> dict[str, int]:
    """Add the demo replies on published results; nothing when there are replies already or no published result."""
    admin = _admin()
    if admin is None or db.session.scalar(sa.select(ResultReply.id).limit(1)) is not None:
        return {"replies": 0}
    published = list(db.session.scalars(sa.select(Task).where(Task.status == TaskStatus.PUBLISHED).order_by(Task.id)))
    if not published:
        return {"replies": 0}
    rng = random.Random(f"{seed}:replies")
    problems = [t for t in published if t.finding and not set(t.finding.result_codes) <= {"01"}]
    clean = [t for t in published if t not in problems]
    rng.shuffle(problems)
    rng.shuffle(clean)
    password_hash = passwords.hash_password(MERCHANT_PASSWORD)
    counts: Counter[str] = Counter()

    def reply(task: Task, body: str) -> ResultReply:
        return replies.submit(task.id, _account(task, password_hash, counts), body)

    stories = iter(problems + clean)
    # 1. approved, then replaced by a newer approved reply (the ledger record gets a second version).
    if (task := next(stories, None)) is not None:
        replies.approve(reply(task, FIXED), admin, "内容属实，与整改情况一致。")
        replies.approve(reply(task, FIXED_AGAIN), admin)
        counts["replies_approved"] += 2
    # 2. approved: the merchant explains what it did about the finding.
    if (task := next(stories, None)) is not None:
        codes = set(task.finding.result_codes) if task.finding else set()
        replies.approve(reply(task, UNREACHABLE if "10" in codes else FIXED), admin)
        counts["replies_approved"] += 1
    # 3. rejected with the reason, then a proper reply waiting for review.
    if (task := next(stories, None)) is not None:
        replies.reject(reply(task, REJECTED), admin, REJECT_NOTE)
        counts["replies_rejected"] += 1
        reply(task, FIXED)
        counts["replies_pending"] += 1
    # 4. pending: waiting in the regulator's queue.
    if (task := next(stories, None)) is not None:
        clean_result = task.finding is not None and set(task.finding.result_codes) <= {"01"}
        reply(task, CLEAN if clean_result else FIXED)
        counts["replies_pending"] += 1
    return dict(counts)

"""Use cases of the self-commitment: publish texts, sign, renew, revoke, expire.

Every change is a ledger record in the same transaction, so the public page, the PDF and the log
can never disagree about whether a merchant's commitment is valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from honestmeter import clock, events
from honestmeter.auth import passwords
from honestmeter.auth.models import User
from honestmeter.chinatime import add_months
from honestmeter.commitments import defaults, records
from honestmeter.commitments.models import Commitment, CommitmentStatus, CommitmentTemplate
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import services as ledger
from honestmeter.merchants.models import Merchant, Sector
from honestmeter.roles import Role
from honestmeter.settings import settings

# ---------------------------------------------------------------- texts


def current_template(sector_code: str) -> CommitmentTemplate | None:
    return db.session.scalars(
        sa.select(CommitmentTemplate)
        .where(CommitmentTemplate.sector_code == sector_code, CommitmentTemplate.superseded_at.is_(None))
        .order_by(CommitmentTemplate.version.desc())
    ).first()


def publish_template(
    *, sector_code: str, title: str, preamble: str, points: list[str], by: User | None
) -> CommitmentTemplate:
    """Publish a new version of a sector's text; the previous version is superseded, never edited."""
    points = [p.strip() for p in points if p.strip()]
    if not points:
        raise ValidationFailed("承诺内容至少需要一条", field="points")
    if not title.strip():
        raise ValidationFailed("请填写标题", field="title")
    with unit_of_work(db.session):
        if db.session.get(Sector, sector_code) is None:
            raise ValidationFailed("行业不存在", field="sector_code")
        previous = current_template(sector_code)
        now = clock.utcnow()
        version = (previous.version if previous else 0) + 1
        template = CommitmentTemplate(
            sector_code=sector_code,
            version=version,
            title=title.strip(),
            preamble=preamble.strip(),
            points=points,
            text_sha256=records.text_sha256(
                sector_code=sector_code, version=version, title=title.strip(), preamble=preamble.strip(), points=points
            ),
            published_at=now,
            published_by_id=by.id if by else None,
        )
        db.session.add(template)
        if previous is not None:
            previous.superseded_at = now
            db.session.flush()
            ledger.publish(records.template_record(previous))
        db.session.flush()
        ledger.publish(records.template_record(template))
        return template


def seed_default_templates() -> int:
    """Publish version 1 of the default text for every active sector that has none (idempotent)."""
    sectors = db.session.scalars(sa.select(Sector.code).where(Sector.active).order_by(Sector.sort_order)).all()
    published = 0
    for code in sectors:
        if current_template(code) is None:
            publish_template(
                sector_code=code,
                title=defaults.TITLE,
                preamble=defaults.PREAMBLE,
                points=defaults.points_for(code),
                by=None,
            )
            published += 1
    return published


def templates_by_sector() -> list[CommitmentTemplate]:
    return list(
        db.session.scalars(
            sa.select(CommitmentTemplate).order_by(CommitmentTemplate.sector_code, CommitmentTemplate.version.desc())
        )
    )


# ---------------------------------------------------------------- signatures


@dataclass(frozen=True)
class Signature:
    signer_name: str
    signer_title: str
    password: str
    confirmed_points: frozenset[int]
    template_id: int
    client_address: str | None


def current_commitment(merchant_id: int) -> Commitment | None:
    """The merchant's active commitment, if any."""
    return db.session.scalars(
        sa.select(Commitment)
        .where(Commitment.merchant_id == merchant_id, Commitment.status == CommitmentStatus.ACTIVE)
        .order_by(Commitment.valid_until.desc())
    ).first()


def history(merchant_id: int) -> list[Commitment]:
    return list(
        db.session.scalars(
            sa.select(Commitment).where(Commitment.merchant_id == merchant_id).order_by(Commitment.signed_at.desc())
        )
    )


# ---------------------------------------------------------------- renewal: the one rule (signing, pages, reminders)


def _renew_days() -> int:
    return settings().COMMITMENT_RENEW_DAYS


def renewal_opens(commitment: Commitment) -> date:
    """The first day a commitment may be renewed: COMMITMENT_RENEW_DAYS before its last valid day."""
    return commitment.valid_until - timedelta(days=_renew_days())


def renewal_open(current: Commitment | None, today: date | None = None) -> bool:
    """Whether a merchant with this current commitment (None: none) may sign a new one today."""
    return current is None or renewal_opens(current) <= (today or clock.today())


def can_sign(template: CommitmentTemplate | None, current: Commitment | None, today: date | None = None) -> bool:
    """There is a text for the merchant's sector to sign, and its current commitment (if any) may be renewed."""
    return template is not None and renewal_open(current, today)


def renewal_due_clause(today: date) -> sa.ColumnElement[bool]:
    """SQL for renewal_open among active commitments still in force: window opened, last valid day not passed."""
    return sa.and_(
        Commitment.status == CommitmentStatus.ACTIVE,
        Commitment.valid_until.between(today, today + timedelta(days=_renew_days())),
    )


def _check_signature(user: User, merchant: Merchant, signature: Signature) -> CommitmentTemplate:
    if not passwords.verify_password(user.password_hash, signature.password):
        raise ValidationFailed("密码不正确，请重新输入登录密码以确认签署", field="password")
    if not signature.signer_name.strip():
        raise ValidationFailed("请填写签署人姓名", field="signer_name")
    if not signature.signer_title.strip():
        raise ValidationFailed("请填写签署人职务", field="signer_title")
    template = current_template(merchant.sector_code)
    if template is None:
        raise NotFound("本行业尚未发布诚信计量承诺书文本")
    if template.id != signature.template_id:
        raise InvalidTransition("承诺书文本已更新，请阅读新版本后重新签署")
    if signature.confirmed_points != frozenset(range(len(template.points))):
        raise ValidationFailed("请逐条阅读并确认每一项承诺", field="confirmed")
    return template


def sign_commitment(user: User, signature: Signature) -> Commitment:
    """The merchant signs its sector's current text, or renews from 30 days before expiry.

    The signature keeps who signed, when, from which address, the template version and the hash
    of the exact text; it is valid for COMMITMENT_VALID_MONTHS (12 by default).
    """
    if user.role is not Role.MERCHANT or user.merchant is None:
        raise PermissionDenied("只有经营者账号可以签署承诺书")
    merchant = user.merchant
    with unit_of_work(db.session):
        template = _check_signature(user, merchant, signature)
        today = clock.today()
        previous = current_commitment(merchant.id)
        if previous is not None and not renewal_open(previous, today):
            raise InvalidTransition(f"当前承诺有效期至 {previous.valid_until}，可于 {renewal_opens(previous)} 起续签")
        valid_from = max(today, previous.valid_until + timedelta(days=1)) if previous else today
        months = settings().COMMITMENT_VALID_MONTHS
        commitment = Commitment(
            merchant_id=merchant.id,
            template=template,
            text_sha256=template.text_sha256,
            signer_name=signature.signer_name.strip(),
            signer_title=signature.signer_title.strip(),
            signed_by_id=user.id,
            signed_at=clock.utcnow(),
            signed_from=signature.client_address,
            valid_from=valid_from,
            valid_until=add_months(valid_from, months) - timedelta(days=1),
            status=CommitmentStatus.ACTIVE,
            renews_id=previous.id if previous else None,
        )
        db.session.add(commitment)
        if previous is not None:
            previous.status = CommitmentStatus.RENEWED
            previous.ended_at = clock.utcnow()
            ledger.publish(records.commitment_record(previous))
        db.session.flush()
        ledger.publish(records.commitment_record(commitment))
        events.emit(events.StateChanged(merchant.id, _cause(commitment)))
        return commitment


def _cause(commitment: Commitment) -> str:
    return f"{records.COMMITMENT_TYPE}/{commitment.id}"


def revoke_commitment(commitment_id: int, *, by: User, reason: str) -> Commitment:
    """The merchant (its own) or a regulator withdraws a commitment, with a reason on record."""
    if not reason.strip():
        raise ValidationFailed("请填写撤销理由", field="reason")
    with unit_of_work(db.session):
        commitment = db.session.get(Commitment, commitment_id)
        if commitment is None or (by.role is Role.MERCHANT and commitment.merchant_id != by.merchant_id):
            raise NotFound("承诺书不存在")
        if by.role not in (Role.MERCHANT, Role.ADMIN):
            raise PermissionDenied("无权撤销承诺书")
        if commitment.status is not CommitmentStatus.ACTIVE:
            raise InvalidTransition("只能撤销有效的承诺书")
        commitment.status = CommitmentStatus.REVOKED
        commitment.ended_at = clock.utcnow()
        commitment.ended_by_id = by.id
        commitment.end_reason = reason.strip()
        ledger.publish(records.commitment_record(commitment))
        events.emit(events.StateChanged(commitment.merchant_id, _cause(commitment)))
        return commitment


def expire_commitments() -> int:
    """Scheduled: commitments past their last valid day become expired (each a ledger record)."""
    today = clock.today()
    with unit_of_work(db.session):
        due = db.session.scalars(
            sa.select(Commitment).where(Commitment.status == CommitmentStatus.ACTIVE, Commitment.valid_until < today)
        ).all()
        for commitment in due:
            commitment.status = CommitmentStatus.EXPIRED
            commitment.ended_at = clock.utcnow()
            ledger.publish(records.commitment_record(commitment))
        db.session.flush()
        for merchant_id, commitment_id in sorted({c.merchant_id: c.id for c in due}.items()):
            events.emit(events.StateChanged(merchant_id, f"{records.COMMITMENT_TYPE}/{commitment_id}"))
        return len(due)


def get_commitment(commitment_id: int) -> Commitment:
    found = db.session.get(Commitment, commitment_id)
    if found is None:
        raise NotFound("承诺书不存在")
    return found

"""Use cases of the inspection-object directory."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from honestmeter import clock, events
from honestmeter.auth import services as auth_services
from honestmeter.auth.models import AccountStatus, User
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import services as ledger
from honestmeter.merchants import records
from honestmeter.merchants import uscc as uscc_rules
from honestmeter.merchants.models import (
    ChangeStatus,
    Merchant,
    MerchantChangeRequest,
    MerchantStatus,
    Region,
    Sector,
)
from honestmeter.merchants.queries import find_by_uscc
from honestmeter.roles import Role


@dataclass(frozen=True)
class MerchantFacts:
    """What a merchant registers with; the same shape for self-registration and the admin form."""

    uscc: str
    name: str
    sector_code: str
    region_code: str
    address: str
    legal_representative: str
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None


def check_uscc(raw: str, *, override_reason: str | None = None) -> str:
    """Normalise and validate a USCC; a regulator may accept a checksum failure with a reason.

    Only check-character failures can be overridden: a code of the wrong length or with letters
    outside the GB 32100 character set can never be a real code.
    """
    try:
        return uscc_rules.validate(raw)
    except uscc_rules.USCCError as err:
        code = uscc_rules.normalize(raw)
        if override_reason and err.reason in {"org_check", "check"}:
            return code
        raise ValidationFailed(str(err), field="uscc") from err


def _check_reference(facts: MerchantFacts) -> None:
    if db.session.get(Sector, facts.sector_code) is None:
        raise ValidationFailed("行业不存在", field="sector_code")
    if db.session.get(Region, facts.region_code) is None:
        raise ValidationFailed("行政区划代码不存在（GB/T 2260）", field="region_code")


def _passes_checksum(code: str) -> bool:
    try:
        uscc_rules.validate(code)
    except uscc_rules.USCCError:
        return False
    return True


def _apply(merchant: Merchant, facts: MerchantFacts, override_reason: str | None) -> None:
    """Validate `facts` and write them onto `merchant` (new or existing)."""
    code = check_uscc(facts.uscc, override_reason=override_reason)
    other = find_by_uscc(code)
    if other is not None and other is not merchant:
        raise ValidationFailed("该统一社会信用代码已在名录库中", field="uscc")
    _check_reference(facts)
    overridden = not _passes_checksum(code)
    merchant.uscc = code
    merchant.uscc_override = overridden
    merchant.uscc_override_reason = override_reason if overridden else None
    merchant.name = facts.name.strip()
    merchant.sector_code = facts.sector_code
    merchant.region_code = facts.region_code
    merchant.address = facts.address.strip()
    merchant.legal_representative = facts.legal_representative.strip()
    merchant.contact_name = facts.contact_name or None
    merchant.contact_phone = facts.contact_phone or None
    merchant.contact_email = facts.contact_email or None


def add_merchant(facts: MerchantFacts, *, override_reason: str | None = None) -> Merchant:
    """Enter a merchant into the directory (the caller owns the transaction)."""
    merchant = Merchant(status=MerchantStatus.ACTIVE)
    _apply(merchant, facts, override_reason)
    db.session.add(merchant)
    db.session.flush()
    ledger.publish(records.record_of(merchant))
    return merchant


def register_merchant(facts: MerchantFacts, *, override_reason: str | None = None) -> Merchant:
    """Regulator enters a merchant into the directory."""
    with unit_of_work(db.session):
        return add_merchant(facts, override_reason=override_reason)


def update_merchant(
    merchant_id: int, facts: MerchantFacts, *, status: MerchantStatus, override_reason: str | None = None
) -> Merchant:
    """Regulator corrects a directory entry."""
    with unit_of_work(db.session):
        merchant = get_merchant(merchant_id)
        before = records.record_of(merchant)
        _apply(merchant, facts, override_reason)
        merchant.status = status
        _publish_change(merchant, before)
        return merchant


def _publish_change(merchant: Merchant, before: ledger.Record) -> None:
    """The directory entry's new record, and, if its public facts changed, MerchantChanged: other domains' records
    embed the USCC or name (results, lists, penalties, the grade…) and republish themselves in this transaction."""
    db.session.flush()
    after = records.record_of(merchant)
    ledger.publish(after)
    changed = frozenset(f for f in records.PUBLIC_FIELDS if before.data[f] != after.data[f])
    if changed:
        events.emit(events.MerchantChanged(merchant.id, changed))


def get_merchant(merchant_id: int) -> Merchant:
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound("经营者不存在")
    return merchant


def register_account(
    facts: MerchantFacts, *, username: str, password: str, display_name: str, auto_approve: bool
) -> User:
    """A merchant signs up with its USCC.

    A merchant already in the directory (entered by a regulator) is claimed, not duplicated, and
    the directory's facts win over what was typed. The account stays pending until a regulator
    approves it, unless the deployment auto-approves.
    """
    with unit_of_work(db.session):
        merchant = find_by_uscc(check_uscc(facts.uscc)) or add_merchant(facts)
        return auth_services.new_user(
            username=username,
            password=password,
            role=Role.MERCHANT,
            display_name=display_name,
            status=AccountStatus.ACTIVE if auto_approve else AccountStatus.PENDING,
            merchant=merchant,
            phone=facts.contact_phone,
            email=facts.contact_email,
        )


# ---------------------------------------------------------------- profile changes

# Facts the regulator registered (they are public and in the ledger): changed only after review.
REGISTERED_FIELDS = ("uscc", "name", "address", "legal_representative", "sector_code", "region_code")


def update_contact(
    merchant_id: int, *, contact_name: str | None, contact_phone: str | None, contact_email: str | None
) -> Merchant:
    """Contact details are private and the merchant's own to keep current; no review needed."""
    with unit_of_work(db.session):
        merchant = get_merchant(merchant_id)
        merchant.contact_name = contact_name or None
        merchant.contact_phone = contact_phone or None
        merchant.contact_email = contact_email or None
        return merchant


def pending_change(merchant_id: int) -> MerchantChangeRequest | None:
    return db.session.scalar(
        sa.select(MerchantChangeRequest).where(
            MerchantChangeRequest.merchant_id == merchant_id, MerchantChangeRequest.status == ChangeStatus.PENDING
        )
    )


def _facts_of(merchant: Merchant, changes: dict[str, str]) -> MerchantFacts:
    values = {field: getattr(merchant, field) for field in MerchantFacts.__dataclass_fields__}
    return MerchantFacts(**{**values, **changes})


def request_change(user: User, *, changes: dict[str, str], reason: str) -> MerchantChangeRequest:
    """A merchant asks to change registered facts; checked now, applied when a regulator confirms."""
    merchant = user.merchant
    if merchant is None:
        raise ValidationFailed("只有经营者账号可以申请变更登记信息")
    wanted = {
        k: v.strip()
        for k, v in changes.items()
        if k in REGISTERED_FIELDS and v is not None and v.strip() != str(getattr(merchant, k))
    }
    if not wanted:
        raise ValidationFailed("没有需要变更的登记信息", field="name")
    if not reason.strip():
        raise ValidationFailed("请说明变更原因", field="reason")
    with unit_of_work(db.session):
        if pending_change(merchant.id) is not None:
            raise InvalidTransition("已有一项变更申请正在审核，请等待审核结果")
        if "uscc" in wanted:
            wanted["uscc"] = check_uscc(wanted["uscc"])
            other = find_by_uscc(wanted["uscc"])
            if other is not None and other.id != merchant.id:
                raise ValidationFailed("该统一社会信用代码已在名录库中", field="uscc")
        _check_reference(_facts_of(merchant, wanted))
        request = MerchantChangeRequest(
            merchant_id=merchant.id, requested_by_id=user.id, changes=wanted, reason=reason.strip()
        )
        db.session.add(request)
        return request


def decide_change(request_id: int, *, by: User, approve: bool, note: str = "") -> MerchantChangeRequest:
    """A regulator confirms (the change takes effect and is published) or refuses, with a note."""
    with unit_of_work(db.session):
        request = db.session.get(MerchantChangeRequest, request_id)
        if request is None:
            raise NotFound("变更申请不存在")
        if request.status is not ChangeStatus.PENDING:
            raise InvalidTransition("该申请已处理")
        if not approve and not note.strip():
            raise ValidationFailed("请填写不予变更的理由", field="reason")
        if approve:
            merchant = request.merchant
            before = records.record_of(merchant)
            _apply(merchant, _facts_of(merchant, request.changes), merchant.uscc_override_reason)
            _publish_change(merchant, before)
        request.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
        request.decided_by_id, request.decided_at = by.id, clock.utcnow()
        request.decision_note = note.strip() or None
        return request


def pending_changes() -> list[MerchantChangeRequest]:
    return list(
        db.session.scalars(
            sa.select(MerchantChangeRequest)
            .where(MerchantChangeRequest.status == ChangeStatus.PENDING)
            .order_by(MerchantChangeRequest.created_at)
        )
    )

"""Use cases of the inspection-object directory."""

from __future__ import annotations

from dataclasses import dataclass

from honestmeter.auth import services as auth_services
from honestmeter.auth.models import AccountStatus, Role, User
from honestmeter.db import unit_of_work
from honestmeter.errors import NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import services as ledger
from honestmeter.merchants import records
from honestmeter.merchants import uscc as uscc_rules
from honestmeter.merchants.models import Merchant, MerchantStatus, Region, Sector
from honestmeter.merchants.queries import find_by_uscc


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
        _apply(merchant, facts, override_reason)
        merchant.status = status
        ledger.publish(records.record_of(merchant))
        return merchant


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

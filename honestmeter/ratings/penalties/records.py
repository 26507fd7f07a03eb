"""Public ledger projection of 行政处罚: the 行政处罚信息摘要 (domain.md §4.2 Art. 4) of each published penalty.

"penalty" (id = penalty id): 决定书文号, the party's USCC, 违法行为类型, 处罚内容, 罚款金额 (as a string, so the
bytes never depend on a float), 决定机关, 决定日期 and the first day it is no longer shown (`public_until`). A
penalty that is only a warning is never published (Art. 2), so it has no record at all. A credit repair that ends
the publicity early is its own "credit_repair" record (repairs/services.py); the summary itself never changes.

Registered when the penalties blueprint is registered (penalty_routes.py), so no other module has to know it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from honestmeter.extensions import db
from honestmeter.ledger.services import Record, publish
from honestmeter.ratings.models import Penalty, PenaltyKind

RECORD_TYPE = "penalty"
PUBLISHED_KINDS = (PenaltyKind.LOW_FINE, PenaltyKind.OTHER)


def money(amount: Decimal | None) -> str | None:
    """A fine as the record holds it: two decimals, no exponent ("5000.00")."""
    return None if amount is None else f"{amount.quantize(Decimal('0.01')):f}"


def penalty_data(penalty: Penalty) -> dict[str, Any]:
    if penalty.kind not in PUBLISHED_KINDS or penalty.public_until is None:
        raise ValueError(f"penalty {penalty.id} is a warning: it is not published")
    return {
        "decision_no": penalty.decision_no,
        "uscc": penalty.merchant.uscc,
        "violation_type": penalty.violation_type,
        "content": penalty.content,
        "fine_amount": money(penalty.fine_amount),
        "authority": penalty.authority,
        "decided_on": penalty.decided_on.isoformat(),
        "public_until": penalty.public_until.isoformat(),
    }


def penalty_record(penalty: Penalty) -> Record:
    return Record(RECORD_TYPE, str(penalty.id), penalty_data(penalty))


def projection() -> Iterator[tuple[str, dict[str, Any]]]:
    query = sa.select(Penalty).where(Penalty.kind.in_(PUBLISHED_KINDS)).order_by(Penalty.id)
    for penalty in db.session.scalars(query):
        yield str(penalty.id), penalty_data(penalty)


def republish_for_merchant(merchant_id: int) -> None:
    """Published penalties carry the party's USCC: they follow a confirmed change of the merchant."""
    query = sa.select(Penalty).where(Penalty.merchant_id == merchant_id, Penalty.kind.in_(PUBLISHED_KINDS))
    for penalty in db.session.scalars(query.order_by(Penalty.id)):
        publish(penalty_record(penalty))

"""The substantiated complaint's ledger record and its projection for `ledger audit`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from honestmeter.complaints.models import Complaint, ComplaintStatus
from honestmeter.extensions import db
from honestmeter.inspections.results.records import china_date
from honestmeter.ledger.services import Record

RECORD_TYPE = "complaint"


def record_data(complaint: Complaint) -> dict[str, Any]:
    """The public record of a substantiated complaint. Never the reporter, the description or the photos: only what
    the regulator decided about the merchant."""
    if complaint.status != ComplaintStatus.SUBSTANTIATED or complaint.decided_at is None or complaint.merchant is None:
        raise ValueError(f"complaint {complaint.id} is not substantiated")
    return {
        "uscc": complaint.merchant.uscc,
        "category": complaint.category.value,
        "decided_on": china_date(complaint.decided_at).isoformat(),
        "authority": complaint.authority or "",
        "reasons": complaint.decision_reasons or "",
    }


def record(complaint: Complaint) -> Record:
    return Record(RECORD_TYPE, str(complaint.id), record_data(complaint))


def projection() -> Iterator[tuple[str, dict[str, Any]]]:
    query = sa.select(Complaint).where(Complaint.status == ComplaintStatus.SUBSTANTIATED).order_by(Complaint.id)
    for complaint in db.session.scalars(query):
        yield str(complaint.id), record_data(complaint)


PROJECTIONS = {RECORD_TYPE: projection}

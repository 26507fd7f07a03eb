"""What the public merchant page shows, gathered from every domain (read-only).

Only public facts: the grade only while grades are published (config GRADES_PUBLIC), listings in force, penalties
within their publicity period, and published results that were not credit-repaired (domain.md §4.3: repaired
information stops being shown; the page says how many were repaired so the count stays honest), each with the
merchant's approved reply (right of reply) beside it.

Every fact shown carries the leaf hash of its newest ledger record, so the page links each one to /verify. The page
also says when its data may be out of date: no completed inspection for STALE_INSPECTION_MONTHS, or no valid
commitment.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from honestmeter import clock, labels
from honestmeter.chinatime import add_months
from honestmeter.commitments import records as commitment_records
from honestmeter.commitments import services as commitment_services
from honestmeter.inspections import codes as result_codes
from honestmeter.inspections.replies import services as replies
from honestmeter.inspections.results import publication
from honestmeter.inspections.results import records as inspection_records
from honestmeter.instruments import queries as instrument_queries
from honestmeter.instruments import records as instrument_records
from honestmeter.ledger import services as ledger
from honestmeter.lists import queries as list_queries
from honestmeter.lists import records as list_records
from honestmeter.merchants import records as merchant_records
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.penalties import records as penalty_records
from honestmeter.ratings.penalties import services as penalties
from honestmeter.repairs import services as repairs
from honestmeter.repairs.models import RepairStatus, RepairTarget
from honestmeter.settings import settings


def grade_context(merchant: Merchant) -> dict[str, Any]:
    """The grade, its newest change (reasons) and its "credit_grade" record; all None while grades are not public."""
    if not grades.grades_public():
        return {"grades_public": False, "grade_change": None, "grade_record": None}
    return {
        "grades_public": True,
        "grade_change": grades.latest_change(merchant.id),
        "grade_record": ledger.latest_record(grades.RECORD_TYPE, merchant.uscc),
    }


def staleness(last_checked: date | None, commitment_valid: bool, today: date | None = None) -> dict[str, Any]:
    """What may be out of date on the page: the newest published inspection is older than STALE_INSPECTION_MONTHS
    (or there is none), or the merchant has no commitment in force."""
    today = today or clock.today()
    months = settings().STALE_INSPECTION_MONTHS
    return {
        "stale_months": months,
        "last_checked": last_checked,
        "inspection_stale": last_checked is None or add_months(last_checked, months) < today,
        "commitment_stale": not commitment_valid,
    }


def merchant_page(merchant: Merchant) -> dict[str, Any]:
    today = clock.today()
    instruments = [(i, instrument_queries.state_of(i)) for i in instrument_queries.for_merchant(merchant.id)]
    commitment = commitment_services.current_commitment(merchant.id)
    if commitment is not None and commitment.valid_until < today:  # the nightly expiry job has not run yet
        commitment = None
    last_commitment = None if commitment else next(iter(commitment_services.history(merchant.id)), None)
    repaired = repairs.repaired_targets(merchant.id)
    results = publication.published_for_merchant(merchant.id)
    shown = [r for r in results if (RepairTarget.RESULT.value, r.task.id) not in repaired]
    approved = replies.approved_for(r.task.id for r in shown)
    approved_repairs = [a for a in repairs.applications_for(merchant.id) if a.status == RepairStatus.APPROVED]
    checked = [r.task.finding.checked_on for r in results if r.task.finding is not None]
    listings = list_queries.listed_for(merchant.id)
    shown_penalties = penalties.public_for(merchant.id)
    return {
        "merchant": merchant,
        "instruments": instruments,
        "instrument_leaves": ledger.latest_leaf_hashes(
            instrument_records.RECORD_TYPE, [str(i.id) for i, _ in instruments]
        ),
        "record": ledger.latest_record(merchant_records.RECORD_TYPE, str(merchant.id)),
        "commitment": commitment,
        "commitment_record": (
            ledger.latest_record(commitment_records.COMMITMENT_TYPE, str(commitment.id)) if commitment else None
        ),
        "last_commitment": last_commitment,
        "last_commitment_record": (
            ledger.latest_record(commitment_records.COMMITMENT_TYPE, str(last_commitment.id))
            if last_commitment
            else None
        ),
        "results": shown,
        "repaired_results": len(results) - len(shown),
        "result_labels": result_codes.RESULT_CODES,
        "kinds": inspection_records.KIND_LABELS,
        "replies": approved,
        "reply_leaves": replies.leaf_hashes(approved),
        "listings": listings,
        "listing_leaves": ledger.latest_leaf_hashes(list_records.RECORD_TYPE, [str(e.id) for e in listings]),
        "penalties": shown_penalties,
        "penalty_leaves": ledger.latest_leaf_hashes(penalty_records.RECORD_TYPE, [str(p.id) for p in shown_penalties]),
        "repairs": approved_repairs,
        "repair_leaves": ledger.latest_leaf_hashes(repairs.RECORD_TYPE, [str(a.id) for a in approved_repairs]),
        "repair_labels": labels.REPAIR_TARGET,
        **staleness(max(checked, default=None), commitment is not None, today),
        **grade_context(merchant),
    }

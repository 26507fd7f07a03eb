"""What the public merchant page shows, gathered from every domain (read-only).

Only public facts: the grade only while grades are published (config GRADES_PUBLIC), listings in force, penalties
within their publicity period, and published results that were not credit-repaired (domain.md §4.3: repaired
information stops being shown; the page says how many were repaired so the count stays honest).
"""

from __future__ import annotations

from typing import Any

from honestmeter.commitments import records as commitment_records
from honestmeter.commitments import services as commitment_services
from honestmeter.inspections import publication
from honestmeter.inspections import result_records as inspection_records
from honestmeter.inspections import results as result_codes
from honestmeter.instruments import queries as instrument_queries
from honestmeter.ledger import services as ledger
from honestmeter.lists import services as list_services
from honestmeter.merchants import records as merchant_records
from honestmeter.merchants.models import Merchant
from honestmeter.ratings import grades, penalties, repairs
from honestmeter.ratings.models import RepairTarget


def grade_context(merchant: Merchant) -> dict[str, Any]:
    """The grade, its newest change (reasons) and its "credit_grade" record; all None while grades are not public."""
    if not grades.grades_public():
        return {"grades_public": False, "grade_change": None, "grade_record": None}
    return {
        "grades_public": True,
        "grade_change": grades.latest_change(merchant.id),
        "grade_record": ledger.latest_record(grades.RECORD_TYPE, merchant.uscc),
    }


def merchant_page(merchant: Merchant) -> dict[str, Any]:
    instruments = [(i, instrument_queries.state_of(i)) for i in instrument_queries.for_merchant(merchant.id)]
    commitment = commitment_services.current_commitment(merchant.id)
    repaired = repairs.repaired_targets(merchant.id)
    results = publication.published_for_merchant(merchant.id)
    shown = [r for r in results if (RepairTarget.RESULT.value, r.task.id) not in repaired]
    return {
        "merchant": merchant,
        "instruments": instruments,
        "record": ledger.latest_record(merchant_records.RECORD_TYPE, str(merchant.id)),
        "commitment": commitment,
        "commitment_record": (
            ledger.latest_record(commitment_records.COMMITMENT_TYPE, str(commitment.id)) if commitment else None
        ),
        "last_commitment": None if commitment else next(iter(commitment_services.history(merchant.id)), None),
        "results": shown,
        "repaired_results": len(results) - len(shown),
        "result_labels": result_codes.RESULT_CODES,
        "kinds": inspection_records.KIND_LABELS,
        "listings": list_services.listed_for(merchant.id),
        "penalties": penalties.public_for(merchant.id),
        **grade_context(merchant),
    }

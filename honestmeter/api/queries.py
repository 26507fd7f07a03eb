"""What the open data API answers, as plain dicts (dumped through api/schemas.py).

The merchant detail is built from `honestmeter.public.queries.merchant_page`, the very dict the public merchant page
renders, so the page and the API cannot disagree about what is public (repaired results hidden, listings in force,
penalties within their publicity period, the grade only while grades are public). The cross-merchant listings
(results, lists) apply the same rules in SQL. Every fact carries the leaf hash of its newest ledger record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from honestmeter import chinatime, clock
from honestmeter.commitments.models import Commitment
from honestmeter.inspections.models import Task
from honestmeter.inspections.results import publication
from honestmeter.inspections.results import records as result_records
from honestmeter.ledger import services as ledger
from honestmeter.lists import queries as list_queries
from honestmeter.lists import records as list_records
from honestmeter.lists.models import ListEntry, ListKind
from honestmeter.merchants import queries as merchant_queries
from honestmeter.merchants import search
from honestmeter.merchants.models import Merchant
from honestmeter.public import queries as public_queries
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.models import Penalty
from honestmeter.ratings.penalties import records as penalty_records
from honestmeter.ratings.rules import services as rules
from honestmeter.repairs.models import RepairRequest, RepairStatus, RepairTarget
from honestmeter.web import paginate

EARLIEST = date(1970, 1, 2)  # dates outside this range cannot bound anything stored; clamp instead of overflowing
LATEST = date(9999, 12, 30)


# ---------------------------------------------------------------- links


def verifiable(leaf_hash: str | bytes | None) -> dict[str, str | None]:
    """leaf_hash, verify_url and bundle_url of a fact (all None when the fact has no ledger record)."""
    if isinstance(leaf_hash, bytes):
        leaf_hash = leaf_hash.hex()
    if not leaf_hash:
        return {"leaf_hash": None, "verify_url": None, "bundle_url": None}
    return {
        "leaf_hash": leaf_hash,
        "verify_url": f"/verify?leaf={leaf_hash}",
        "bundle_url": f"/api/v1/ledger/bundle/{leaf_hash}",
    }


def merchant_url(uscc: str) -> str:
    return f"/api/v1/merchants/{uscc}"


def page_url(uscc: str) -> str:
    return f"/merchants/{uscc}"


def _day(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return chinatime.china_date(value)
    return value


# ---------------------------------------------------------------- merchants


def merchant_item(merchant: Merchant, grades_public: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "uscc": merchant.uscc,
        "name": merchant.name,
        "sector_code": merchant.sector_code,
        "sector_name": merchant.sector.name,
        "region_code": merchant.region_code,
        "region_name": merchant.region.name,
        "address": merchant.address,
        "status": merchant.status.value,
        "url": merchant_url(merchant.uscc),
        "page_url": page_url(merchant.uscc),
    }
    if grades_public:
        item["grade"] = merchant.grade
    return item


def search_page(q: str, sector: str, region: str, grade: str, page: int, per_page: int) -> dict[str, Any]:
    """A page of the directory search, exactly as the public home page searches (capped count: total None)."""
    found = search.page_of(merchant_queries.search_stmt(q, sector, region, grade), page, per_page)
    public = grades.grades_public()
    return {
        "page": found.page,
        "per_page": found.per_page,
        "total": found.total,
        "pages": found.pages,
        "has_next": found.has_next,
        "items": [merchant_item(m, public) for m in found.items],
    }


def _grade(change: Any, record: Any) -> dict[str, Any] | None:
    if change is None:
        return None
    refs = [ref for reason in change.reasons for ref in reason.get("facts", [])]
    links = grades.fact_links(refs)
    reasons = [
        {
            "rule": str(reason.get("rule", "")),
            "label": str(reason.get("label", "")),
            "points": int(reason.get("points", 0)),
            "until": None if reason.get("until") is None else str(reason["until"]),
            "facts": [
                {"type": link.type, "id": link.id, **verifiable(link.leaf_hash)}
                for ref in reason.get("facts", [])
                for link in links.get(ref, [])
            ],
        }
        for reason in change.reasons
    ]
    return {
        "grade": change.grade,
        "score": change.score,
        "graded_on": change.graded_on,
        "rule_version": change.rule_version,
        "rule_leaf_hash": rules.leaf_hashes().get(change.rule_version),
        "reasons": reasons,
        "overrides": list(change.overrides or []),
        **verifiable(record.leaf_hash if record is not None else None),
    }


def _commitment(commitment: Commitment | None, record: Any, in_force: bool) -> dict[str, Any] | None:
    if commitment is None:
        return None
    return {
        "status": commitment.status.value,
        "in_force": in_force,
        "title": commitment.template.title,
        "points": list(commitment.template.points),
        "signer_name": commitment.signer_name,
        "signer_title": commitment.signer_title,
        "signed_on": _day(commitment.signed_at),
        "valid_from": commitment.valid_from,
        "valid_until": commitment.valid_until,
        "pdf_url": f"/merchants/{commitment.merchant.uscc}/commitment.pdf" if in_force else None,
        **verifiable(record.leaf_hash if record is not None else None),
    }


def _result(task: Task, leaf_hash: str | None) -> dict[str, Any]:
    data = result_records.result_data(task)
    return {
        **data,
        "id": task.id,
        "merchant_url": merchant_url(data["uscc"]),
        **verifiable(leaf_hash),
    }


def _listing(entry: ListEntry, leaf_hash: str | None) -> dict[str, Any]:
    data = list_records.entry_data(entry)
    return {
        "id": entry.id,
        "kind": data["kind"],
        "uscc": data["uscc"],
        "merchant_name": entry.merchant.name,
        "reason": data["reason"],
        "authority": data["authority"],
        "listed_on": entry.listed_on,
        "decision_no": entry.decision_no,
        "valid_until": entry.valid_until,
        "merchant_url": merchant_url(data["uscc"]),
        **verifiable(leaf_hash),
    }


def _penalty(penalty: Penalty, leaf_hash: str | None) -> dict[str, Any]:
    data = penalty_records.penalty_data(penalty)
    return {"id": penalty.id, **data, **verifiable(leaf_hash)}


def _leaves(record_type: str, ids: Iterable[int]) -> dict[str, str]:
    return ledger.latest_leaf_hashes(record_type, [str(i) for i in ids])


def merchant_detail(merchant: Merchant) -> dict[str, Any]:
    """Everything public about one merchant: the merchant page's facts, each with its ledger leaf."""
    page = public_queries.merchant_page(merchant)
    public = bool(page.get("grades_public"))
    record = page.get("record")
    instrument_leaves: Mapping[str, str] = page.get("instrument_leaves", {})
    replies: Mapping[int, Any] = page.get("replies", {})
    reply_leaves: Mapping[int, str] = page.get("reply_leaves", {})
    listings: Sequence[ListEntry] = page.get("listings", [])
    penalties: Sequence[Penalty] = page.get("penalties", [])
    listing_leaves: Mapping[str, str] = page.get("listing_leaves", {})
    penalty_leaves: Mapping[str, str] = page.get("penalty_leaves", {})
    repair_leaves: Mapping[str, str] = page.get("repair_leaves", {})
    results = []
    for shown in page.get("results", []):
        reply = replies.get(shown.task.id)
        results.append(
            {
                **_result(shown.task, shown.leaf_hash),
                "reply": None
                if reply is None
                else {
                    "body": reply.body,
                    "approved_on": _day(reply.decided_at),
                    **verifiable(reply_leaves.get(shown.task.id)),
                },
            }
        )
    detail: dict[str, Any] = {
        **merchant_item(merchant, public),
        "legal_representative": merchant.legal_representative,
        **verifiable(record.leaf_hash if record is not None else None),
        "commitment": _commitment(page.get("commitment"), page.get("commitment_record"), True),
        "last_commitment": _commitment(page.get("last_commitment"), page.get("last_commitment_record"), False),
        "instruments": [
            {
                "id": instrument.id,
                "type_code": instrument.type.code,
                "type_name": instrument.type.name,
                "serial_number": instrument.serial_number,
                "last_verified_on": instrument.last_verified_on,
                "next_due_on": instrument.next_due_on,
                "state": state,
                **verifiable(instrument_leaves.get(str(instrument.id))),
            }
            for instrument, state in page.get("instruments", [])
            if state != "retired"  # as the page: a retired instrument is no longer in use
        ],
        "results": results,
        "repaired_results": int(page.get("repaired_results", 0)),
        "listings": [_listing(e, listing_leaves.get(str(e.id))) for e in listings],
        "penalties": [_penalty(p, penalty_leaves.get(str(p.id))) for p in penalties],
        "repairs": [
            {
                "id": a.id,
                "target": str(a.target),
                "decided_on": _day(a.decided_at),
                **verifiable(repair_leaves.get(str(a.id))),
            }
            for a in page.get("repairs", [])
        ],
        "freshness": {
            "last_checked": page.get("last_checked"),
            "inspection_stale": bool(page.get("inspection_stale", False)),
            "commitment_stale": bool(page.get("commitment_stale", False)),
            "stale_months": int(page.get("stale_months", 0)),
        },
    }
    if public:
        detail["credit_grade"] = _grade(page.get("grade_change"), page.get("grade_record"))
    return detail


# ---------------------------------------------------------------- results across merchants


def results_stmt(since: date | None, until: date | None, uscc: str = "") -> sa.Select[tuple[Task]]:
    """Published results, newest publication first, without the credit-repaired ones (the merchant page hides
    them too)."""
    repaired = sa.exists().where(
        RepairRequest.target == RepairTarget.RESULT,
        RepairRequest.target_id == Task.id,
        RepairRequest.status == RepairStatus.APPROVED,
    )
    stmt = (
        publication.published_stmt()
        .options(selectinload(Task.merchant))
        .where(~repaired)
        .order_by(None)
        .order_by(Task.published_at.desc(), Task.id.desc())
    )
    if since is not None:
        stmt = stmt.where(Task.published_at >= chinatime.china_midnight(min(max(since, EARLIEST), LATEST)))
    if until is not None and until < LATEST:
        stmt = stmt.where(Task.published_at < chinatime.china_midnight(max(until, EARLIEST) + timedelta(days=1)))
    if uscc:
        stmt = stmt.where(Task.merchant.has(Merchant.uscc == uscc.upper()))
    return stmt


def _paged(found: Any, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "page": found.page,
        "per_page": found.per_page,
        "total": found.total,
        "pages": found.pages,
        "has_next": found.has_next,
        "items": items,
    }


def results_page(since: date | None, until: date | None, uscc: str, page: int, per_page: int) -> dict[str, Any]:
    found = paginate(results_stmt(since, until, uscc), page, per_page)
    leaves = _leaves(result_records.RESULT_TYPE, [t.id for t in found.items])
    return _paged(found, [_result(t, leaves.get(str(t.id))) for t in found.items])


# ---------------------------------------------------------------- lists


def lists_page(kind: str, page: int, per_page: int) -> dict[str, Any]:
    stmt = list_queries.public_stmt(ListKind(kind) if kind else None, clock.today())
    found = paginate(stmt, page, per_page)
    leaves = _leaves(list_records.RECORD_TYPE, [e.id for e in found.items])
    return _paged(found, [_listing(e, leaves.get(str(e.id))) for e in found.items])

"""The public site: search, merchant pages, language choice. Read-only; no forms that write."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from honestmeter.commitments import records as commitment_records
from honestmeter.commitments import services as commitment_services
from honestmeter.inspections import publication
from honestmeter.inspections import result_records as inspection_records
from honestmeter.inspections import results as result_codes
from honestmeter.instruments import queries as instrument_queries
from honestmeter.ledger import services as ledger
from honestmeter.lists import services as list_services
from honestmeter.merchants import queries as merchant_queries
from honestmeter.merchants import records as merchant_records
from honestmeter.security import public, safe_next
from honestmeter.web import paginate

bp = Blueprint("public", __name__)


@bp.route("/")
@public
def home() -> Any:
    q = request.args.get("q", "").strip()
    sector = request.args.get("sector", "")
    page = None
    if q or sector:
        page = paginate(merchant_queries.search_stmt(q, sector), request.args.get("page", 1, type=int))
    return render_template("public/home.html", q=q, sector=sector, page=page, sectors=merchant_queries.sector_choices())


@bp.route("/merchants/<uscc>")
@public
def merchant(uscc: str) -> Any:
    found = merchant_queries.find_by_uscc(uscc)
    if found is None:
        abort(404)
    instruments = [(i, instrument_queries.state_of(i)) for i in instrument_queries.for_merchant(found.id)]
    record = ledger.latest_record(merchant_records.RECORD_TYPE, str(found.id))
    commitment = commitment_services.current_commitment(found.id)
    commitment_record = (
        ledger.latest_record(commitment_records.COMMITMENT_TYPE, str(commitment.id)) if commitment else None
    )
    return render_template(
        "public/merchant.html",
        merchant=found,
        instruments=instruments,
        record=record,
        commitment=commitment,
        commitment_record=commitment_record,
        last_commitment=None if commitment else next(iter(commitment_services.history(found.id)), None),
        results=publication.published_for_merchant(found.id),
        result_labels=result_codes.RESULT_CODES,
        kinds=inspection_records.KIND_LABELS,
        listings=list_services.listed_for(found.id),
    )


@bp.route("/lang/<code>")
@public
def set_language(code: str) -> Any:
    response = redirect(safe_next(request.args.get("next")) or url_for("public.home"))
    if code in ("zh", "en"):
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response

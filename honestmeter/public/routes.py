"""The public site: search, merchant pages, language choice. Read-only; no forms that write."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from honestmeter.merchants import queries as merchant_queries
from honestmeter.public import queries
from honestmeter.ratings import grades
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
    return render_template(
        "public/home.html",
        q=q,
        sector=sector,
        page=page,
        sectors=merchant_queries.sector_choices(),
        grades_public=grades.grades_public(),
    )


@bp.route("/merchants/<uscc>")
@public
def merchant(uscc: str) -> Any:
    found = merchant_queries.find_by_uscc(uscc)
    if found is None:
        abort(404)
    return render_template("public/merchant.html", **queries.merchant_page(found))


@bp.route("/lang/<code>")
@public
def set_language(code: str) -> Any:
    response = redirect(safe_next(request.args.get("next")) or url_for("public.home"))
    if code in ("zh", "en"):
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response

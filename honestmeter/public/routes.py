"""The public site: search, merchant pages, language choice. Read-only; no forms that write."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from honestmeter import scoring
from honestmeter.merchants import queries as merchant_queries
from honestmeter.merchants import search
from honestmeter.public import page_cache, queries
from honestmeter.ratings.grades import services as grades
from honestmeter.security import public, safe_next
from honestmeter.web import page_arg

bp = Blueprint("public", __name__)


@bp.route("/")
@public
def home() -> Any:
    args = request.args
    q = args.get("q", "").strip()[: search.MAX_QUERY]
    sector = args.get("sector", "")
    region = args.get("region", "")
    region = region if len(region) == 6 and region.isascii() and region.isdigit() else ""
    grades_public = grades.grades_public()
    grade = args.get("grade", "") if grades_public else ""  # no filtering by a grade the public may not see
    grade = grade if grade in scoring.GRADES else ""
    page = None
    if q or sector or region or grade:
        stmt = merchant_queries.search_stmt(q, sector, region, grade)
        page = search.page_of(stmt, page_arg())
    return render_template(
        "public/home.html",
        q=q,
        sector=sector,
        region=region,
        grade=grade,
        page=page,
        sectors=merchant_queries.sector_choices(),
        regions=merchant_queries.region_choices(),
        grades=scoring.GRADES,
        grades_public=grades_public,
    )


@bp.route("/merchants/<uscc>")
@public
def merchant(uscc: str) -> Any:
    code = uscc.strip().upper()
    if len(code) > 18:
        abort(404)
    cached = page_cache.hit(code)  # a QR scan of a busy shop: no query at all
    if cached is not None:
        return cached
    found = merchant_queries.find_by_uscc(code)
    if found is None:
        abort(404)
    return page_cache.page(code, lambda: render_template("public/merchant.html", **queries.merchant_page(found)))


@bp.route("/lang/<code>")
@public
def set_language(code: str) -> Any:
    response = redirect(safe_next(request.args.get("next")) or url_for("public.home"))
    if code in ("zh", "en"):
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response

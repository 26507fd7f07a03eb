"""Open data API v1 views: merchants (search, detail), published results, public lists.

Read-only and open to everyone. Each view parses its query with a schema (422 on bad input), asks one query
function and answers JSON dumped through its response schema, or CSV with `?format=csv` on the list endpoints.
Caching (ETag, Cache-Control) and the rate limit are applied to every /api/v1 route in api/http.py.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from honestmeter.api import http, queries, schemas
from honestmeter.merchants import queries as merchant_queries
from honestmeter.ratings import grades
from honestmeter.security import public

blp = Blueprint("opendata", __name__, url_prefix="/api/v1")


@blp.errorhandler(HTTPException)
def _json_error(err: HTTPException) -> Any:
    """Errors of this blueprint's views as {"error", "status", "errors"?} (422 lists each bad argument)."""
    return http.error_body(err)


JSON_OR_CSV = (
    "JSON（默认）；`?format=csv` 时为 UTF-8 CSV，首行为列名 / "
    "JSON by default; UTF-8 CSV with a header row with `?format=csv`"
)
CSV_RESPONSE = {
    "schema": {"type": "string"},
    "content_type": "text/csv",
    "description": JSON_OR_CSV,
    "success": True,
}

MERCHANT_COLUMNS = ("uscc", "name", "sector_code", "sector_name", "region_code", "region_name", "address", "status")
RESULT_COLUMNS = (
    "id",
    "uscc",
    "merchant_name",
    "authority",
    "type",
    "date",
    "codes",
    "results",
    "plan_id",
    "draw_id",
    "completed_on",
    "published_on",
    "deadline",
    "on_time",
    "leaf_hash",
)
LISTING_COLUMNS = (
    "id",
    "kind",
    "uscc",
    "merchant_name",
    "reason",
    "authority",
    "listed_on",
    "decision_no",
    "valid_until",
    "leaf_hash",
)


@blp.route("/merchants", tags=["merchants"])
@blp.arguments(schemas.MerchantSearchArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.MerchantPage, description=JSON_OR_CSV)
@blp.alt_response(
    400, schema=schemas.Error, description="按等级筛选但等级不公开 / grade filter while grades are not public"
)
@blp.alt_response(200, **CSV_RESPONSE)
@public
def merchants(
    q: str,
    sector: str,
    region: str,
    grade: str,
    page: int,
    per_page: int,
    format: str,
) -> Any:
    """检索经营者 / Search merchants

    与公开网站首页相同的检索：名称片段、统一社会信用代码前缀或拼音首字母，按名称排序；可按行业、地区（任一级）
    和计量信用等级（仅在等级公开时）筛选。匹配超过 1000 条时 `total` 为 null，只能翻到前 1000 条，请细化条件。

    The public site's search: name fragment, USCC prefix or pinyin initials, in name order; filter by sector,
    region (any level) and, while grades are public, grade. Over 1000 matches `total` is null and only the first
    1000 are reachable: refine the query.
    """
    public_grades = grades.grades_public()
    if grade and not public_grades:
        abort(400, description="信用等级未公开，不能按等级筛选 / grades are not public")
    body = queries.search_page(q.strip(), sector.strip(), region, grade, page, per_page)
    if format == "csv":
        columns = (*MERCHANT_COLUMNS, "grade") if public_grades else MERCHANT_COLUMNS
        return http.csv_response(body, columns, "merchants")
    return http.with_links(body)


@blp.route("/merchants/<uscc>", tags=["merchants"])
@blp.response(200, schemas.MerchantDetail)
@blp.alt_response(404, schema=schemas.Error, description="没有该统一社会信用代码的经营者 / no such merchant")
@public
def merchant(uscc: str) -> Any:
    """经营者详情 / One merchant

    公开页面上的全部信息：登记信息、计量信用等级及理由（等级公开时）、有效承诺、计量器具及检定状态、已公示的抽查
    检查结果（已信用修复的不再公示）及经营者说明、公示中的名录和行政处罚。每项事实带有其账本记录的叶哈希
    （`leaf_hash`），可用 `/api/v1/ledger/bundle/{leaf_hash}` 离线核验。

    Everything the public merchant page shows, each fact with the leaf hash of its ledger record.
    """
    found = merchant_queries.find_by_uscc(uscc) if len(uscc) <= 18 else None
    if found is None:
        abort(404, description="没有该统一社会信用代码的经营者 / no merchant with this USCC")
    return queries.merchant_detail(found)


@blp.route("/results", tags=["results"])
@blp.arguments(schemas.ResultArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.ResultPage, description=JSON_OR_CSV)
@blp.alt_response(200, **CSV_RESPONSE)
@public
def results(since: Any, until: Any, uscc: str, page: int, per_page: int, format: str) -> Any:
    """已公示的抽查检查结果 / Published inspection results

    全部经营者已公示的检查结果（“双随机、一公开”），按公示时间从新到旧；`since`/`until` 按公示日期（北京时间）筛选。
    已信用修复的结果不再公示，不在其中。

    Published results of all merchants, newest publication first; `since`/`until` filter on the publication day
    (China time). Credit-repaired results are no longer public and are left out.
    """
    body = queries.results_page(since, until, uscc, page, per_page)
    if format == "csv":
        return http.csv_response(body, RESULT_COLUMNS, "results")
    return http.with_links(body)


@blp.route("/lists", tags=["lists"])
@blp.arguments(schemas.ListArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.ListingPage, description=JSON_OR_CSV)
@blp.alt_response(200, **CSV_RESPONSE)
@public
def lists(kind: str, page: int, per_page: int, format: str) -> Any:
    """公示中的名录 / Public list entries

    经营异常名录、严重违法失信名单和诚信计量示范单位中当前公示的条目，按列入日期从新到旧。已移出的条目不再公示。

    Entries currently in force on the abnormal-operation list, the serious-violation list and the model-unit list,
    newest listing first. Removed entries are no longer public.
    """
    body = queries.lists_page(kind, page, per_page)
    if format == "csv":
        return http.csv_response(body, LISTING_COLUMNS, "lists")
    return http.with_links(body)


# ---------------------------------------------------------------- complaints (投诉举报)
# POST /api/v1/complaints and GET /api/v1/complaints/<code> go here, on this same `blp` with tags=["complaints"]
# (see the package docstring): decorate with @public, and with @limiter.limit(complaint_limit / tracking_limit)
# as honestmeter/complaints/routes.py does; the shared API read limit and ETag caching reach them automatically,
# and a tracking-code answer must say `Cache-Control: private, no-store` (http.py leaves a view's own header alone).

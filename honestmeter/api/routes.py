"""Open data API v1 views: merchants (search, detail), published results, public lists.

Read-only and open to everyone. Each view parses its query with a schema (422 on bad input), asks one query
function and answers JSON dumped through its response schema, or CSV with `?format=csv` on the list endpoints.
Caching (ETag, Cache-Control) and the rate limit are applied to every /api/v1 route in api/http.py.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, jsonify, url_for
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from honestmeter.api import http, queries, schemas
from honestmeter.complaints import services as complaint_services
from honestmeter.complaints.routes import COMPLAINT_SCOPE, TRACKING_SCOPE, complaint_limit, tracking_limit
from honestmeter.errors import DomainError
from honestmeter.extensions import limiter
from honestmeter.merchants import queries as merchant_queries
from honestmeter.public import page_cache
from honestmeter.ratings.grades import services as grades
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
    code = uscc.strip().upper()
    cached = page_cache.hit(code, page_cache.API) if len(code) <= 18 else None
    if cached is not None:
        return cached
    found = merchant_queries.find_by_uscc(code) if len(code) <= 18 else None
    if found is None:
        abort(404, description="没有该统一社会信用代码的经营者 / no merchant with this USCC")
    return page_cache.page(
        code,
        lambda: current_app.json.dumps(schemas.MerchantDetail().dump(queries.merchant_detail(found))) + "\n",
        page_cache.API,
    )


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


def _progress(complaint: Any) -> dict[str, Any]:
    body = complaint_services.public_status(complaint)
    body["status_url"] = url_for("opendata.complaint_progress", code=body["tracking_code"], _external=True)
    return body


@blp.route("/complaints", methods=["POST"], tags=["complaints"])
@limiter.shared_limit(complaint_limit, scope=COMPLAINT_SCOPE, methods=["POST"])
@blp.arguments(schemas.ComplaintCreate, location="json")
@blp.response(201, schemas.ComplaintProgress)
@blp.alt_response(422, schema=schemas.Error, description="内容有误 / invalid complaint")
@blp.alt_response(429, schema=schemas.Error, description="提交过于频繁 / too many complaints from this address")
@public
def file_complaint(body: dict[str, Any]) -> Any:
    """提交投诉举报 / File a complaint

    与网页表单相同的规则（照片请通过网页提交）。返回查询码：只返回这一次，请妥善保存。联系方式只有承办的监管人员
    可见，不会公开。每个地址的提交次数有限制（COMPLAINT_RATE_LIMIT）。

    The web form's rules (photos through the web form). The answer holds the tracking code, given this once.
    Contact details are seen only by the regulators handling it, never published. Limited per client address.
    """
    try:
        created = complaint_services.submit(complaint_services.NewComplaint(**body, via_api=True))
    except DomainError as err:
        abort(422, description=err.message)
    response = jsonify(schemas.ComplaintProgress().dump(_progress(created)))
    response.status_code = 201
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Location"] = response.json["status_url"] if response.json else ""
    return response


@blp.route("/complaints/<code>", tags=["complaints"])
@limiter.shared_limit(tracking_limit, scope=TRACKING_SCOPE)
@blp.response(200, schemas.ComplaintProgress)
@blp.alt_response(404, schema=schemas.Error, description="没有该查询码 / no such tracking code")
@public
def complaint_progress(code: str) -> Any:
    """投诉举报进度 / Follow a complaint

    凭查询码查看处理进度和结果（不含投诉举报人信息）。大小写、连字符和空格均可。

    Progress and decision of the complaint with this tracking code (nothing about who filed it). Case, dashes
    and spaces do not matter.
    """
    found = complaint_services.by_tracking_code(code)
    if found is None:
        abort(404, description="没有该查询码 / no such tracking code")
    response = jsonify(schemas.ComplaintProgress().dump(_progress(found)))
    response.headers["Cache-Control"] = "private, no-store"
    return response

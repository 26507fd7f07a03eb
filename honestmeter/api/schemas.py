"""Marshmallow schemas of the open data API: query arguments (validated, 422 on bad input) and response bodies.

The response schemas are what the OpenAPI document promises; every JSON body is dumped through them, so the
document and the answers cannot drift apart. Field names follow the ledger records where a record exists
(`sector_code`, `listed_on`, `decided_on` …), so a client can compare a fact with its ledger record directly.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from honestmeter import scoring
from honestmeter.merchants import search
from honestmeter.web import MAX_PAGE

MAX_PER_PAGE = 100
GRADES = list(scoring.GRADES)
LIST_KINDS = ["abnormal", "serious", "model_unit"]
FORMATS = ["json", "csv"]
HEX64 = r"^[0-9a-f]{64}$"


def _printable(value: str) -> None:
    """No control characters in text arguments (PostgreSQL rejects NUL in a text value outright)."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ma.ValidationError("不能包含控制字符 / must not contain control characters")


def _text_block(value: str) -> None:
    """Like _printable, but line breaks and tabs are part of a text of several lines."""
    if any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 for ch in value):
        raise ma.ValidationError("不能包含控制字符 / must not contain control characters")


class Day(fields.Date):
    """An ISO date, from a `date` or from a ledger record's ISO string (dumped as given)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


# ---------------------------------------------------------------- query arguments


class FormatArgs(ma.Schema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "`json`（默认）或 `csv`（UTF-8，首行为列名）/ `json` (default) or `csv`"},
    )


class PageArgs(FormatArgs):
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "页码，从 1 开始 / page number, from 1"},
    )
    per_page = fields.Integer(
        load_default=search.PER_PAGE,
        validate=validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": f"每页条数，1–{MAX_PER_PAGE} / items per page"},
    )


class MerchantSearchArgs(PageArgs):
    q = fields.String(
        load_default="",
        validate=[validate.Length(max=search.MAX_QUERY), _printable],
        metadata={
            "description": "名称片段、统一社会信用代码前缀或拼音首字母 / name fragment, USCC prefix or pinyin initials",
            "example": "超市",
        },
    )
    sector = fields.String(
        load_default="",
        validate=[validate.Length(max=32), _printable],
        metadata={"description": "行业代码 / sector code, e.g. `retail`"},
    )
    region = fields.String(
        load_default="",
        validate=validate.Regexp(r"^([0-9]{6})?$"),
        metadata={
            "description": "GB/T 2260 行政区划代码（省、市或区县）/ region code at any level, e.g. `440305`",
            "example": "440305",
        },
    )
    grade = fields.String(
        load_default="",
        validate=validate.OneOf(["", *GRADES]),
        metadata={
            "description": "计量信用等级；仅在等级公开时可用，否则 400 / credit grade; only while grades are public"
        },
    )


class ResultArgs(PageArgs):
    since = fields.Date(
        load_default=None,
        metadata={"description": "公示日期不早于（北京时间，含）/ published on or after (China date)"},
    )
    until = fields.Date(
        load_default=None,
        metadata={"description": "公示日期不晚于（北京时间，含）/ published on or before (China date)"},
    )
    uscc = fields.String(
        load_default="",
        validate=validate.Regexp(r"^([0-9A-Za-z]{18})?$"),
        metadata={"description": "仅此经营者 / only this merchant (USCC)"},
    )

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        since: date | None = data.get("since")
        until: date | None = data.get("until")
        if since is not None and until is not None and since > until:
            raise ma.ValidationError("since 不能晚于 until / since must not be after until", "since")


class ListArgs(PageArgs):
    kind = fields.String(
        load_default="",
        validate=validate.OneOf(["", *LIST_KINDS]),
        metadata={
            "description": "abnormal 经营异常名录 · serious 严重违法失信名单 · model_unit 诚信计量示范单位"
            "（空：全部 / empty: all）"
        },
    )


# ---------------------------------------------------------------- response bodies


class Error(ma.Schema):
    error = fields.String(required=True, metadata={"description": "说明 / what went wrong"})
    status = fields.Integer(metadata={"description": "HTTP 状态码 / HTTP status"})
    field = fields.String(allow_none=True, metadata={"description": "出错的参数 / the argument at fault"})
    errors = fields.Dict(metadata={"description": "逐项校验错误 / validation errors by location and argument"})


class Verifiable(ma.Schema):
    """A fact with its newest ledger record (leaf hash null while the fact has none)."""

    leaf_hash = fields.String(
        allow_none=True,
        validate=validate.Regexp(HEX64),
        metadata={"description": "账本叶哈希（十六进制）/ ledger leaf hash (hex); see docs/ledger.md"},
    )
    verify_url = fields.String(
        allow_none=True, metadata={"description": "在浏览器中核验 / verify in the browser (relative URL)"}
    )
    bundle_url = fields.String(
        allow_none=True, metadata={"description": "离线核验包 / offline proof bundle (relative URL)"}
    )


class MerchantItem(ma.Schema):
    uscc = fields.String(required=True, metadata={"description": "统一社会信用代码（稳定标识）/ stable identifier"})
    name = fields.String(required=True)
    sector_code = fields.String(required=True)
    sector_name = fields.String(required=True)
    region_code = fields.String(required=True)
    region_name = fields.String(required=True)
    address = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "suspended", "closed"]))
    grade = fields.String(
        allow_none=True,
        metadata={
            "description": "计量信用等级 A–D，未评定为 null；等级不公开时无此字段 / absent while grades are not public"
        },
    )
    url = fields.String(required=True, metadata={"description": "详情接口 / detail endpoint"})
    page_url = fields.String(required=True, metadata={"description": "公开页面 / public page"})


class Pagination(ma.Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "总数；商户检索超过 1000 条时为 null / null when a merchant search finds over 1000"},
    )
    pages = fields.Integer(required=True, metadata={"description": "可翻到的页数 / pages reachable"})
    has_next = fields.Boolean(required=True)


class MerchantPage(Pagination):
    items = fields.List(fields.Nested(MerchantItem), required=True)


class GradeFact(Verifiable):
    type = fields.String(required=True, metadata={"description": "记录类型 / record type"})
    id = fields.String(required=True)


class GradeReason(ma.Schema):
    rule = fields.String(required=True)
    label = fields.String(required=True)
    points = fields.Integer(required=True)
    until = fields.String(allow_none=True, metadata={"description": "不再计入的日期 / stops counting on"})
    facts = fields.List(fields.Nested(GradeFact), required=True)


class Grade(Verifiable):
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    score = fields.Integer(required=True)
    graded_on = Day(required=True)
    rule_version = fields.Integer(required=True)
    rule_leaf_hash = fields.String(allow_none=True)
    reasons = fields.List(fields.Nested(GradeReason), required=True)
    overrides = fields.List(fields.Dict(), required=True, metadata={"description": "名单对等级的限制 / list caps"})


class Commitment(Verifiable):
    status = fields.String(required=True, metadata={"description": "active / renewed / expired / revoked"})
    in_force = fields.Boolean(required=True)
    title = fields.String(required=True)
    points = fields.List(fields.String(), required=True)
    signer_name = fields.String(required=True)
    signer_title = fields.String(required=True)
    signed_on = Day(required=True)
    valid_from = Day(required=True)
    valid_until = Day(required=True)
    pdf_url = fields.String(allow_none=True)


class Instrument(Verifiable):
    id = fields.Integer(required=True)
    type_code = fields.String(required=True)
    type_name = fields.String(required=True)
    serial_number = fields.String(required=True)
    last_verified_on = Day(allow_none=True, required=True)
    next_due_on = Day(allow_none=True, required=True)
    state = fields.String(
        required=True,
        metadata={"description": "ok · due_soon · overdue · failed · unverified · exempt（非强制检定）"},
    )


class Reply(Verifiable):
    body = fields.String(required=True)
    approved_on = Day(allow_none=True, required=True)


class Result(Verifiable):
    id = fields.Integer(required=True, metadata={"description": "检查任务编号 / task id (ledger record id)"})
    uscc = fields.String(required=True)
    merchant_name = fields.String(required=True)
    authority = fields.String(required=True, metadata={"description": "检查实施机关"})
    type = fields.String(required=True, metadata={"description": "检查类型 / kind of check"})
    date = Day(required=True, metadata={"description": "检查日期 / day of the check"})
    codes = fields.List(fields.String(), required=True, metadata={"description": "结果代码 / result codes"})
    results = fields.List(fields.String(), required=True, metadata={"description": "结果 / result wording"})
    plan_id = fields.String(allow_none=True, required=True)
    draw_id = fields.String(allow_none=True, required=True)
    completed_on = Day(required=True)
    published_on = Day(required=True)
    deadline = Day(allow_none=True, required=True, metadata={"description": "公示期限 / publication deadline"})
    on_time = fields.Boolean(required=True)
    merchant_url = fields.String(required=True)


class MerchantResult(Result):
    reply = fields.Nested(
        Reply, allow_none=True, required=True, metadata={"description": "经营者说明 / right of reply"}
    )


class ResultPage(Pagination):
    items = fields.List(fields.Nested(Result), required=True)


class Listing(Verifiable):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(LIST_KINDS))
    uscc = fields.String(required=True)
    merchant_name = fields.String(required=True)
    reason = fields.String(required=True, metadata={"description": "列入原因"})
    authority = fields.String(required=True, metadata={"description": "作出决定机关"})
    listed_on = Day(required=True)
    decision_no = fields.String(allow_none=True, required=True, metadata={"description": "决定书文号"})
    valid_until = Day(
        allow_none=True,
        required=True,
        metadata={"description": "示范单位：有效期最后一天；严重违法失信名单：期满移出日 / term"},
    )
    merchant_url = fields.String(required=True)


class ListingPage(Pagination):
    items = fields.List(fields.Nested(Listing), required=True)


class Penalty(Verifiable):
    id = fields.Integer(required=True)
    decision_no = fields.String(required=True)
    violation_type = fields.String(required=True)
    content = fields.String(required=True)
    fine_amount = fields.String(allow_none=True, required=True, metadata={"description": "元，两位小数 / CNY"})
    authority = fields.String(required=True)
    decided_on = Day(required=True)
    public_until = Day(required=True, metadata={"description": "首个不再公示之日 / first day not shown"})


class Repair(Verifiable):
    id = fields.Integer(required=True)
    target = fields.String(required=True)
    decided_on = Day(allow_none=True, required=True)


class Freshness(ma.Schema):
    last_checked = Day(allow_none=True, required=True)
    inspection_stale = fields.Boolean(required=True)
    commitment_stale = fields.Boolean(required=True)
    stale_months = fields.Integer(required=True)


class MerchantDetail(MerchantItem, Verifiable):
    legal_representative = fields.String(required=True, metadata={"description": "法定代表人（登记公示信息）"})
    credit_grade = fields.Nested(
        Grade,
        allow_none=True,
        metadata={
            "description": "等级及其理由；未评定为 null；等级不公开时无此字段 / absent while grades are not public"
        },
    )
    commitment = fields.Nested(Commitment, allow_none=True, required=True, metadata={"description": "有效承诺"})
    last_commitment = fields.Nested(
        Commitment, allow_none=True, required=True, metadata={"description": "无有效承诺时最近一次 / latest ended one"}
    )
    instruments = fields.List(fields.Nested(Instrument), required=True)
    results = fields.List(fields.Nested(MerchantResult), required=True)
    repaired_results = fields.Integer(
        required=True, metadata={"description": "已信用修复、不再公示的结果条数 / results no longer shown"}
    )
    listings = fields.List(fields.Nested(Listing), required=True)
    penalties = fields.List(fields.Nested(Penalty), required=True)
    repairs = fields.List(fields.Nested(Repair), required=True)
    freshness = fields.Nested(Freshness, required=True)


# ---------------------------------------------------------------- complaints (投诉举报)

COMPLAINT_CATEGORIES = ["short_weight", "cheating_device", "unverified", "labelling", "other"]
COMPLAINT_STATUSES = ["received", "assigned", "substantiated", "unsubstantiated"]


class ComplaintCreate(ma.Schema):
    """A new complaint. Contact details are optional and never public; a reward needs a name and a phone."""

    category = fields.String(
        required=True,
        validate=validate.OneOf(COMPLAINT_CATEGORIES),
        metadata={
            "description": "short_weight 短斤少两, cheating_device 使用作弊计量器具, "
            "unverified 计量器具未检定或超期使用, labelling 计量标注不规范, other 其他"
        },
    )
    merchant = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=200), _printable],
        metadata={
            "description": "统一社会信用代码（名录中有则关联）或经营者名称 / "
            "a USCC (linked when in the directory) or a name"
        },
    )
    description = fields.String(
        required=True,
        validate=[validate.Length(min=10, max=2000), _text_block],
        metadata={"description": "问题描述，10–2000 字 / what happened, 10–2000 characters"},
    )
    place = fields.String(load_default="", validate=[validate.Length(max=300), _printable])
    happened_on = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "不晚于今天 / not in the future"}
    )
    contact_name = fields.String(load_default="", validate=[validate.Length(max=100), _printable])
    contact_phone = fields.String(load_default="", validate=[validate.Length(max=32), _printable])
    contact_email = fields.String(load_default="", validate=[validate.Length(max=254), _printable])
    wants_reward = fields.Boolean(
        load_default=False, metadata={"description": "申请举报奖励 / ask for a reporter reward"}
    )


class ComplaintProgress(ma.Schema):
    """What the holder of a tracking code sees: progress and decision, never who complained."""

    tracking_code = fields.String(required=True, metadata={"description": "TS-XXXX-XXXX-XXXX"})
    category = fields.String(required=True, validate=validate.OneOf(COMPLAINT_CATEGORIES))
    status = fields.String(
        required=True,
        validate=validate.OneOf(COMPLAINT_STATUSES),
        metadata={
            "description": "received 已受理, assigned 核查中, substantiated 经查属实, unsubstantiated 经查不属实"
        },
    )
    submitted_on = Day(required=True)
    assigned_on = Day(allow_none=True)
    decided_on = Day(allow_none=True)
    decision_reasons = fields.String(
        allow_none=True, metadata={"description": "办结后的处理意见 / the decision's reasons"}
    )
    reward = fields.String(
        allow_none=True, metadata={"description": "举报奖励金额（元）/ reward in yuan, once decided"}
    )
    status_url = fields.String(required=True, metadata={"description": "本接口上的进度地址 / where to follow it"})

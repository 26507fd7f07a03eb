"""The one home of the words shown for enum values and status codes: pages, forms, CSV exports and PDFs.

Every label is a Chinese msgid (N_), so the same text serves three readers: web pages translate it (the `|label`
Jinja filter, `label()`), forms take lazily translated copies (`lazy()`), and PDFs, CSV exports and ledger
records print the msgid itself (the public text is Chinese). An enum's labels are found by its class; a code
vocabulary that is not an enum (instrument states, verdicts, strata, …) by its name:
`{{ task.kind|label }}`, `{{ state|label("instrument_state") }}`.

A few enums have a second, shorter wording on one page (`*_BRIEF`); they are kept apart so pages read as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext, lazy_gettext

from honestmeter.scoring import GRADES
from honestmeter.tables import N_

# ---------------------------------------------------------------- inspections

# Also the 类型 column of GSXT's 抽查检查结果信息, as published in "inspection_result" records.
TASK_KIND: dict[str, str] = {
    "random": N_("双随机抽查"),
    "directed": N_("定向检查"),
    "complaint": N_("投诉举报核查"),
    "reinspection": N_("复查"),
}
TASK_STATUS: dict[str, str] = {
    "open": N_("待检查"),
    "recording": N_("记录中，待确认"),
    "completed": N_("已完成，待公示"),
    "published": N_("已公示"),
    "cancelled": N_("已取消"),
}
TASK_STATUS_BRIEF: dict[str, str] = {  # the result review page
    "open": N_("待检查"),
    "recording": N_("记录中"),
    "completed": N_("已完成待公示"),
    "published": N_("已公示"),
    "cancelled": N_("已取消"),
}
CHECK_FORM: dict[str, str] = {
    "general": N_("一般检查（结论与说明）"),
    "instruments": N_("计量器具检查"),
    "net_content": N_("定量包装商品净含量抽样"),
}
PLAN_STATUS: dict[str, str] = {
    "draft": N_("草稿"),
    "scheduled": N_("已排期"),
    "running": N_("实施中"),
    "closed": N_("已结束"),
}
DRAW_STATUS: dict[str, str] = {
    "announced": N_("已公告，待揭晓"),
    "drawn": N_("已揭晓"),
}
RECUSAL_STATUS: dict[str, str] = {
    "pending": N_("待审核"),
    "approved": N_("已批准"),
    "rejected": N_("已驳回"),
}
RECUSAL_SOURCE: dict[str, str] = {
    "inspector": N_("检查人员申报"),
    "merchant": N_("经营者申请"),
    "admin": N_("监管部门录入"),
}
ORDER_STATUS: dict[str, str] = {
    "open": N_("改正中"),
    "corrected": N_("已改正"),
    "not_corrected": N_("逾期未改正"),
}
REPLY_STATUS: dict[str, str] = {
    "pending": N_("待审核"),
    "approved": N_("已公开"),
    "rejected": N_("未通过"),
    "withdrawn": N_("已被新的说明替代"),
}
STRATUM: dict[str, str] = {  # the draw's strata (plans.services.STRATA): the grades, best first, then the unrated
    **dict(zip(GRADES, (N_("A级"), N_("B级"), N_("C级"), N_("D级")), strict=True)),
    "unrated": N_("未评级"),
}
VERDICT: dict[str, str] = {"pass": N_("符合"), "fail": N_("不符合"), "na": N_("不适用")}
VERDICT_PRINTED: dict[str, str] = {**VERDICT, "": N_("未判定")}  # notices print an unjudged item too
UNIT: dict[str, str] = {"g": "g", "mL": "mL", "m": "m", "m2": "m²", "count": N_("件（计数）")}

# ---------------------------------------------------------------- instruments

CYCLE_KIND: dict[str, str] = {
    "periodic": N_("周期检定"),
    "fixed_life": N_("首次检定，限期使用，到期轮换"),
    "first_only": N_("只做首次检定，失准报废"),
    "none": N_("不实行强制检定"),
}
VERIFICATION_MODE: dict[str, str] = {
    "P": N_("P 型式批准"),
    "V": N_("V 强制检定"),
    "P+V": N_("P+V 型式批准及强制检定"),
}
INSTRUMENT_USE: dict[str, str] = {
    "trade": N_("贸易结算"),
    "safety": N_("安全防护"),
    "medical": N_("医疗卫生"),
    "environment": N_("环境监测"),
}
VERIFICATION_RESULT: dict[str, str] = {
    "pass": N_("合格"),
    "fail": N_("不合格"),
}
INSTRUMENT_STATE: dict[str, str] = {  # honestmeter.instruments.state.STATES
    "overdue": N_("已超期"),
    "due_soon": N_("30日内到期"),
    "unverified": N_("未检定"),
    "ok": N_("在有效期内"),
    "retired": N_("已停用"),
    "exempt": N_("非强检"),
    "failed": N_("检定不合格"),
}

# ---------------------------------------------------------------- lists, complaints, ratings, commitments

LIST_KIND: dict[str, str] = {
    "abnormal": N_("经营异常名录"),
    "serious": N_("严重违法失信名单"),
    "model_unit": N_("诚信计量示范单位"),
}
ENTRY_STATUS: dict[str, str] = {
    "proposed": N_("待审核"),
    "listed": N_("列入中"),
    "rejected": N_("不予列入"),
    "removed": N_("已移出"),
}
ENTRY_STATUS_BRIEF: dict[str, str] = {**ENTRY_STATUS, "listed": N_("已列入")}  # result review
REMOVAL_KIND: dict[str, str] = {
    "decision": N_("决定移出"),
    "repair": N_("信用修复提前移出"),
    "automatic": N_("期满自动移出"),
    "expired": N_("有效期届满"),
    "revoked": N_("撤销称号"),
}
COMPLAINT_CATEGORY: dict[str, str] = {
    "short_weight": N_("短斤少两"),
    "cheating_device": N_("使用作弊计量器具"),
    "unverified": N_("计量器具未检定或超期使用"),
    "labelling": N_("计量标注不规范"),
    "other": N_("其他"),
}
COMPLAINT_STATUS: dict[str, str] = {
    "received": N_("已受理"),
    "assigned": N_("核查中"),
    "substantiated": N_("经查属实"),
    "unsubstantiated": N_("经查不属实"),
}
PENALTY_KIND: dict[str, str] = {
    "warning": N_("警告（不公示）"),
    "low_fine": N_("通报批评或较低数额罚款（公示3个月）"),
    "other": N_("其他行政处罚（公示3年）"),
}
PENALTY_STATE: dict[str, str] = {  # ratings.penalties.services.state_of
    "public": N_("公示中"),
    "expired": N_("公示期满"),
    "repaired": N_("已信用修复"),
    "unpublished": N_("不公示（警告）"),
}
REPAIR_TARGET: dict[str, str] = {
    "inspection_result": N_("抽查检查结果"),
    "penalty": N_("行政处罚"),
    "list_entry": N_("严重违法失信名单"),
    "complaint": N_("投诉举报"),
}
REPAIR_STATUS: dict[str, str] = {
    "pending": N_("审核中"),
    "approved": N_("已修复"),
    "rejected": N_("不予修复"),
}
COMMITMENT_STATUS_PRINTED: dict[str, str] = {  # the QR sticker's status codes
    "valid": N_("有效"),
    "expired": N_("已过期"),
    "unsigned": N_("未签署"),
    "revoked": N_("已撤销"),
}
HEALTH: dict[str, str] = {"ok": N_("正常"), "degraded": N_("需要处理"), "fail": N_("故障")}  # ops checks

# ---------------------------------------------------------------- lookup

BY_ENUM: dict[str, Mapping[str, str]] = {  # by the enum's class name
    "TaskKind": TASK_KIND,
    "TaskStatus": TASK_STATUS,
    "CheckForm": CHECK_FORM,
    "PlanStatus": PLAN_STATUS,
    "DrawStatus": DRAW_STATUS,
    "Decision": RECUSAL_STATUS,
    "RecusalSource": RECUSAL_SOURCE,
    "OrderStatus": ORDER_STATUS,
    "ReplyStatus": REPLY_STATUS,
    "CycleKind": CYCLE_KIND,
    "VerificationMode": VERIFICATION_MODE,
    "InstrumentUse": INSTRUMENT_USE,
    "VerificationResult": VERIFICATION_RESULT,
    "ListKind": LIST_KIND,
    "EntryStatus": ENTRY_STATUS,
    "RemovalKind": REMOVAL_KIND,
    "ComplaintCategory": COMPLAINT_CATEGORY,
    "ComplaintStatus": COMPLAINT_STATUS,
    "PenaltyKind": PENALTY_KIND,
    "RepairTarget": REPAIR_TARGET,
    "RepairStatus": REPAIR_STATUS,
}
BY_NAME: dict[str, Mapping[Any, str]] = {
    "task_status_brief": TASK_STATUS_BRIEF,
    "entry_status_brief": ENTRY_STATUS_BRIEF,
    "stratum": STRATUM,
    "verdict": VERDICT,
    "unit": UNIT,
    "instrument_state": INSTRUMENT_STATE,
    "penalty_state": PENALTY_STATE,
    "commitment_status": COMMITMENT_STATUS_PRINTED,
    "health": HEALTH,
}


def msgid(value: Any, vocabulary: str | None = None) -> str:
    """The untranslated label (what PDFs, CSV exports and records print); the value itself if it has none."""
    labels = BY_NAME[vocabulary] if vocabulary is not None else BY_ENUM.get(type(value).__name__, {})
    found = labels.get(value)
    return str(value) if found is None else found


def label(value: Any, vocabulary: str | None = None) -> str:
    """The label in the request's language: the `|label` Jinja filter."""
    return gettext(msgid(value, vocabulary))


def lazy(labels: Mapping[Any, str]) -> dict[Any, Any]:
    """Lazily translated copies, for form choices declared at import time."""
    return {key: lazy_gettext(text) for key, text in labels.items()}

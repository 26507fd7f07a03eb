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
from enum import Enum
from typing import Any

from honestmeter.complaints.models import ComplaintCategory, ComplaintStatus
from honestmeter.inspections.models import (
    CheckForm,
    Decision,
    DrawStatus,
    OrderStatus,
    PlanStatus,
    RecusalSource,
    ReplyStatus,
    TaskKind,
    TaskStatus,
)
from honestmeter.instruments.models import CycleKind, InstrumentUse, VerificationMode, VerificationResult
from honestmeter.lists.models import EntryStatus, ListKind, RemovalKind
from honestmeter.ratings.models import PenaltyKind, RepairStatus, RepairTarget
from honestmeter.ratings.scoring import GRADES
from honestmeter.tables import N_

# ---------------------------------------------------------------- inspections

# Also the 类型 column of GSXT's 抽查检查结果信息, as published in "inspection_result" records.
TASK_KIND: dict[TaskKind, str] = {
    TaskKind.RANDOM: N_("双随机抽查"),
    TaskKind.DIRECTED: N_("定向检查"),
    TaskKind.COMPLAINT: N_("投诉举报核查"),
    TaskKind.REINSPECTION: N_("复查"),
}
TASK_STATUS: dict[TaskStatus, str] = {
    TaskStatus.OPEN: N_("待检查"),
    TaskStatus.RECORDING: N_("记录中，待确认"),
    TaskStatus.COMPLETED: N_("已完成，待公示"),
    TaskStatus.PUBLISHED: N_("已公示"),
    TaskStatus.CANCELLED: N_("已取消"),
}
TASK_STATUS_BRIEF: dict[TaskStatus, str] = {  # the result review page
    TaskStatus.OPEN: N_("待检查"),
    TaskStatus.RECORDING: N_("记录中"),
    TaskStatus.COMPLETED: N_("已完成待公示"),
    TaskStatus.PUBLISHED: N_("已公示"),
    TaskStatus.CANCELLED: N_("已取消"),
}
CHECK_FORM: dict[CheckForm, str] = {
    CheckForm.GENERAL: N_("一般检查（结论与说明）"),
    CheckForm.INSTRUMENTS: N_("计量器具检查"),
    CheckForm.NET_CONTENT: N_("定量包装商品净含量抽样"),
}
PLAN_STATUS: dict[PlanStatus, str] = {
    PlanStatus.DRAFT: N_("草稿"),
    PlanStatus.SCHEDULED: N_("已排期"),
    PlanStatus.RUNNING: N_("实施中"),
    PlanStatus.CLOSED: N_("已结束"),
}
DRAW_STATUS: dict[DrawStatus, str] = {
    DrawStatus.ANNOUNCED: N_("已公告，待揭晓"),
    DrawStatus.DRAWN: N_("已揭晓"),
}
RECUSAL_STATUS: dict[Decision, str] = {
    Decision.PENDING: N_("待审核"),
    Decision.APPROVED: N_("已批准"),
    Decision.REJECTED: N_("已驳回"),
}
RECUSAL_SOURCE: dict[RecusalSource, str] = {
    RecusalSource.INSPECTOR: N_("检查人员申报"),
    RecusalSource.MERCHANT: N_("经营者申请"),
    RecusalSource.ADMIN: N_("监管部门录入"),
}
ORDER_STATUS: dict[OrderStatus, str] = {
    OrderStatus.OPEN: N_("改正中"),
    OrderStatus.CORRECTED: N_("已改正"),
    OrderStatus.NOT_CORRECTED: N_("逾期未改正"),
}
REPLY_STATUS: dict[ReplyStatus, str] = {
    ReplyStatus.PENDING: N_("待审核"),
    ReplyStatus.APPROVED: N_("已公开"),
    ReplyStatus.REJECTED: N_("未通过"),
    ReplyStatus.WITHDRAWN: N_("已被新的说明替代"),
}
STRATUM: dict[str, str] = {  # the draw's strata (plans.services.STRATA): the grades, best first, then the unrated
    **dict(zip(GRADES, (N_("A级"), N_("B级"), N_("C级"), N_("D级")), strict=True)),
    "unrated": N_("未评级"),
}
VERDICT: dict[str, str] = {"pass": N_("符合"), "fail": N_("不符合"), "na": N_("不适用")}
VERDICT_PRINTED: dict[str, str] = {**VERDICT, "": N_("未判定")}  # notices print an unjudged item too
UNIT: dict[str, str] = {"g": "g", "mL": "mL", "m": "m", "m2": "m²", "count": N_("件（计数）")}

# ---------------------------------------------------------------- instruments

CYCLE_KIND: dict[CycleKind, str] = {
    CycleKind.PERIODIC: N_("周期检定"),
    CycleKind.FIXED_LIFE: N_("首次检定，限期使用，到期轮换"),
    CycleKind.FIRST_ONLY: N_("只做首次检定，失准报废"),
    CycleKind.NONE: N_("不实行强制检定"),
}
VERIFICATION_MODE: dict[VerificationMode, str] = {
    VerificationMode.P: N_("P 型式批准"),
    VerificationMode.V: N_("V 强制检定"),
    VerificationMode.PV: N_("P+V 型式批准及强制检定"),
}
INSTRUMENT_USE: dict[InstrumentUse, str] = {
    InstrumentUse.TRADE: N_("贸易结算"),
    InstrumentUse.SAFETY: N_("安全防护"),
    InstrumentUse.MEDICAL: N_("医疗卫生"),
    InstrumentUse.ENVIRONMENT: N_("环境监测"),
}
VERIFICATION_RESULT: dict[VerificationResult, str] = {
    VerificationResult.PASS: N_("合格"),
    VerificationResult.FAIL: N_("不合格"),
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

LIST_KIND: dict[ListKind, str] = {
    ListKind.ABNORMAL: N_("经营异常名录"),
    ListKind.SERIOUS: N_("严重违法失信名单"),
    ListKind.MODEL_UNIT: N_("诚信计量示范单位"),
}
ENTRY_STATUS: dict[EntryStatus, str] = {
    EntryStatus.PROPOSED: N_("待审核"),
    EntryStatus.LISTED: N_("列入中"),
    EntryStatus.REJECTED: N_("不予列入"),
    EntryStatus.REMOVED: N_("已移出"),
}
ENTRY_STATUS_BRIEF: dict[EntryStatus, str] = {**ENTRY_STATUS, EntryStatus.LISTED: N_("已列入")}  # result review
REMOVAL_KIND: dict[RemovalKind, str] = {
    RemovalKind.DECISION: N_("决定移出"),
    RemovalKind.REPAIR: N_("信用修复提前移出"),
    RemovalKind.AUTOMATIC: N_("期满自动移出"),
    RemovalKind.EXPIRED: N_("有效期届满"),
    RemovalKind.REVOKED: N_("撤销称号"),
}
COMPLAINT_CATEGORY: dict[ComplaintCategory, str] = {
    ComplaintCategory.SHORT_WEIGHT: N_("短斤少两"),
    ComplaintCategory.CHEATING_DEVICE: N_("使用作弊计量器具"),
    ComplaintCategory.UNVERIFIED: N_("计量器具未检定或超期使用"),
    ComplaintCategory.LABELLING: N_("计量标注不规范"),
    ComplaintCategory.OTHER: N_("其他"),
}
COMPLAINT_STATUS: dict[ComplaintStatus, str] = {
    ComplaintStatus.RECEIVED: N_("已受理"),
    ComplaintStatus.ASSIGNED: N_("核查中"),
    ComplaintStatus.SUBSTANTIATED: N_("经查属实"),
    ComplaintStatus.UNSUBSTANTIATED: N_("经查不属实"),
}
PENALTY_KIND: dict[PenaltyKind, str] = {
    PenaltyKind.WARNING: N_("警告（不公示）"),
    PenaltyKind.LOW_FINE: N_("通报批评或较低数额罚款（公示3个月）"),
    PenaltyKind.OTHER: N_("其他行政处罚（公示3年）"),
}
PENALTY_STATE: dict[str, str] = {  # ratings.penalties.services.state_of
    "public": N_("公示中"),
    "expired": N_("公示期满"),
    "repaired": N_("已信用修复"),
    "unpublished": N_("不公示（警告）"),
}
REPAIR_TARGET: dict[RepairTarget, str] = {
    RepairTarget.RESULT: N_("抽查检查结果"),
    RepairTarget.PENALTY: N_("行政处罚"),
    RepairTarget.LIST_ENTRY: N_("严重违法失信名单"),
    RepairTarget.COMPLAINT: N_("投诉举报"),
}
REPAIR_STATUS: dict[RepairStatus, str] = {
    RepairStatus.PENDING: N_("审核中"),
    RepairStatus.APPROVED: N_("已修复"),
    RepairStatus.REJECTED: N_("不予修复"),
}
COMMITMENT_STATUS_PRINTED: dict[str, str] = {  # the QR sticker's status codes
    "valid": N_("有效"),
    "expired": N_("已过期"),
    "unsigned": N_("未签署"),
    "revoked": N_("已撤销"),
}
HEALTH: dict[str, str] = {"ok": N_("正常"), "degraded": N_("需要处理"), "fail": N_("故障")}  # ops checks

# ---------------------------------------------------------------- lookup

BY_ENUM: dict[type[Enum], Mapping[Any, str]] = {
    TaskKind: TASK_KIND,
    TaskStatus: TASK_STATUS,
    CheckForm: CHECK_FORM,
    PlanStatus: PLAN_STATUS,
    DrawStatus: DRAW_STATUS,
    Decision: RECUSAL_STATUS,
    RecusalSource: RECUSAL_SOURCE,
    OrderStatus: ORDER_STATUS,
    ReplyStatus: REPLY_STATUS,
    CycleKind: CYCLE_KIND,
    VerificationMode: VERIFICATION_MODE,
    InstrumentUse: INSTRUMENT_USE,
    VerificationResult: VERIFICATION_RESULT,
    ListKind: LIST_KIND,
    EntryStatus: ENTRY_STATUS,
    RemovalKind: REMOVAL_KIND,
    ComplaintCategory: COMPLAINT_CATEGORY,
    ComplaintStatus: COMPLAINT_STATUS,
    PenaltyKind: PENALTY_KIND,
    RepairTarget: REPAIR_TARGET,
    RepairStatus: REPAIR_STATUS,
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
    labels = BY_NAME[vocabulary] if vocabulary is not None else BY_ENUM.get(type(value), {})
    found = labels.get(value)
    return str(value) if found is None else found


def label(value: Any, vocabulary: str | None = None) -> str:
    """The label in the request's language: the `|label` Jinja filter."""
    from flask_babel import gettext

    return gettext(msgid(value, vocabulary))


def lazy(labels: Mapping[Any, str]) -> dict[Any, Any]:
    """Lazily translated copies, for form choices declared at import time."""
    from flask_babel import lazy_gettext

    return {key: lazy_gettext(text) for key, text in labels.items()}

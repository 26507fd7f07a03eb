"""Issuing notices: render once per fact, keep the bytes, record their hash in the ledger.

A notice is rendered after the fact it reports has committed (from its own transaction), and only
once per (kind, fact): the same fact always serves the same bytes, and a new fact (a renewal, a
revocation) gets a new document — the "reprint after each change".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from honestmeter import clock
from honestmeter.chinatime import china_date
from honestmeter.commitments import services as commitment_services
from honestmeter.commitments.records import COMMITMENT_TYPE
from honestmeter.errors import NotFound
from honestmeter.extensions import db
from honestmeter.inspections import codes as result_codes
from honestmeter.inspections.models import DrawStatus, Plan, RectificationOrder, Task, TaskKind, TaskStatus
from honestmeter.inspections.results import publication
from honestmeter.inspections.results import records as result_records
from honestmeter.ledger import services as ledger
from honestmeter.ledger.models import LedgerEntry
from honestmeter.lists import records as list_records
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind
from honestmeter.merchants.models import Merchant
from honestmeter.notices import documents
from honestmeter.notices.models import Notice
from honestmeter.ratings.grades import services as grades
from honestmeter.settings import settings
from honestmeter.storage import write_once

if TYPE_CHECKING:
    from honestmeter.notices.rendering import WeasyPrintRenderer


def default_renderer() -> WeasyPrintRenderer:
    """The process's PDF renderer. WeasyPrint is imported on first use, not when the app is created: it costs
    every gunicorn worker and CLI call about a second, and most never render a PDF."""
    from honestmeter.notices.rendering import default_renderer as renderer  # noqa: PLC0415

    return renderer()


NOTICE_TYPE = "notice"


def base_url(request_root: str | None = None) -> str:
    """Where printed QR codes point: PUBLIC_BASE_URL, else the address the request came to (`request_root`, passed
    in by routes as `request.url_root`), else the loopback address `serve` listens on by default."""
    return (settings().PUBLIC_BASE_URL or request_root or "http://127.0.0.1:5000").rstrip("/")


def _store(data: bytes, digest: str) -> Path:
    """Keep the PDF under var/notices/ (whole or not at all; StorageFull when the disk is full)."""
    path = Path(settings().VAR_DIR) / "notices" / digest[:2] / f"{digest}.pdf"
    write_once(path, data)
    return path


def path_of(notice: Notice) -> Path:
    digest = notice.sha256.hex()
    return Path(settings().VAR_DIR) / "notices" / digest[:2] / f"{digest}.pdf"


def issue(
    kind: str, *, merchant_id: int | None, subject: str, fact_leaf_hash: bytes, render: Callable[[], bytes]
) -> Notice:
    """The notice of `kind` for one fact: the stored one, or rendered now, stored and recorded."""
    query = sa.select(Notice).where(Notice.kind == kind, Notice.fact_leaf_hash == fact_leaf_hash)
    found = db.session.scalar(query)
    if found is not None and path_of(found).exists():
        return found
    data = render()
    digest = documents.pdf_sha256(data)
    _store(data, digest)
    if found is not None:  # the row survived but the file was lost: the same bytes are back
        return found
    notice = Notice(
        kind=kind,
        merchant_id=merchant_id,
        subject=subject,
        fact_leaf_hash=fact_leaf_hash,
        sha256=bytes.fromhex(digest),
        size=len(data),
        issued_at=clock.utcnow(),
    )
    try:
        db.session.add(notice)
        db.session.flush()
        ledger.append(
            ledger.Record(
                NOTICE_TYPE,
                f"{kind}-{notice.id}",
                {
                    "kind": kind,
                    "subject": subject,
                    "fact_leaf_hash": fact_leaf_hash.hex(),
                    "sha256": digest,
                    "bytes": len(data),
                },
                file_sha256=notice.sha256,
            )
        )
        db.session.commit()
    except IntegrityError:  # issued concurrently by another request: use theirs
        db.session.rollback()
        theirs = db.session.scalar(query)
        if theirs is None:
            raise
        return theirs
    return notice


@dataclass(frozen=True)
class Job:
    """Everything needed to render one notice, as plain picklable data (so worker processes can)."""

    kind: str
    merchant_id: int | None
    subject: str
    fact_leaf_hash: bytes
    arguments: dict[str, Any]

    def render(self) -> bytes:
        builder: Callable[..., bytes] = BUILDERS[self.kind]
        return builder(default_renderer(), **self.arguments)


BUILDERS: dict[str, Callable[..., bytes]] = {
    "commitment": documents.commitment_pdf,
    "sticker": documents.sticker_pdf,
    "inspection_result": documents.inspection_result_pdf,
    "rectification": documents.rectification_pdf,
    "plan_results": documents.plan_results_pdf,
    "model_unit": documents.model_unit_certificate_pdf,
}


def issue_job(job: Job, data: bytes | None = None) -> Notice:
    """Issue the notice of a job, with bytes rendered elsewhere (`data`) or rendered now."""
    return issue(
        job.kind,
        merchant_id=job.merchant_id,
        subject=job.subject,
        fact_leaf_hash=job.fact_leaf_hash,
        render=(lambda: data) if data is not None else job.render,
    )


def commitment_job(merchant: Merchant, request_root: str | None = None) -> Job:
    """诚信计量承诺书 of the merchant's current commitment."""
    commitment = commitment_services.current_commitment(merchant.id)
    if commitment is None:
        raise NotFound("该经营者目前没有有效的诚信计量承诺书")
    record = ledger.latest_record(COMMITMENT_TYPE, str(commitment.id))
    if record is None:
        raise NotFound("承诺书尚未记入可信账本")
    template = commitment.template
    arguments = {
        "merchant": {
            "name": merchant.name,
            "uscc": merchant.uscc,
            "address": merchant.address,
            "sector": merchant.sector.name,
        },
        "commitment": {
            "number": f"CN{commitment.id:08d}",
            "points": list(template.points),
            "signer_name": commitment.signer_name,
            "signer_title": commitment.signer_title,
            "signed_at": commitment.signed_at,
            "valid_from": commitment.valid_from,
            "valid_until": commitment.valid_until,
            "template_version": f"{template.sector.name} 第{template.version}版",
            "text_sha256": commitment.text_sha256,
        },
        "leaf_hash": record.leaf_hash.hex(),
        "verify_base_url": base_url(request_root),
    }
    return Job("commitment", merchant.id, f"commitment/{commitment.id}", record.leaf_hash, arguments)


def sticker_job(merchant: Merchant, request_root: str | None = None) -> Job:
    """The A6 premises sticker for the merchant's current public state (directory entry, commitment, grade)."""
    commitment = commitment_services.current_commitment(merchant.id)
    history = commitment_services.history(merchant.id)
    status = "valid" if commitment else ("unsigned" if not history else str(history[0].status))
    status = {"renewed": "valid", "active": "valid"}.get(status, status)
    # The sticker reports the newest of the facts it shows; any change gives a new sticker.
    facts = [ledger.latest_record("merchant", str(merchant.id))]
    if commitment is not None:
        facts.append(ledger.latest_record(COMMITMENT_TYPE, str(commitment.id)))
    grade = merchant.grade if grades.grades_public() else None
    if grade is not None:  # a new grade gives a new sticker
        facts.append(ledger.latest_record(grades.RECORD_TYPE, merchant.uscc))
    newest = max((f for f in facts if f is not None), key=lambda f: f.leaf_index, default=None)
    if newest is None:
        raise NotFound("该经营者尚未记入可信账本")
    arguments = {
        "merchant": {"name": merchant.name, "uscc": merchant.uscc},
        "grade": grade,
        "commitment_status": status,
        "leaf_hash": newest.leaf_hash.hex(),
        "public_base_url": base_url(request_root),
        "verify_base_url": base_url(request_root),
        "issued_at": clock.utcnow(),
    }
    return Job("sticker", merchant.id, f"merchant/{merchant.id}", newest.leaf_hash, arguments)


def commitment_notice(merchant: Merchant, request_root: str | None = None) -> Notice:
    return issue_job(commitment_job(merchant, request_root))


def sticker_notice(merchant: Merchant, request_root: str | None = None) -> Notice:
    return issue_job(sticker_job(merchant, request_root))


def already_issued(job: Job) -> bool:
    found = db.session.scalar(
        sa.select(Notice).where(Notice.kind == job.kind, Notice.fact_leaf_hash == job.fact_leaf_hash)
    )
    return found is not None and path_of(found).exists()


# ---------------------------------------------------------- 双随机、一公开: 告知书, 责令改正通知书, 抽查结果公示


def _inspectors(task: Task) -> list[dict[str, str]]:
    return [{"name": a.inspector.name, "badge_number": a.inspector.badge_number} for a in task.assignments]


def _merchant_facts(merchant: Merchant) -> dict[str, str]:
    return {"name": merchant.name, "uscc": merchant.uscc, "address": merchant.address}


def inspection_result_job(task: Task, request_root: str | None = None) -> Job:
    """检查结果告知书 of a published result (reports its newest "inspection_result" record)."""
    record = ledger.latest_record(result_records.RESULT_TYPE, str(task.id))
    if task.status != TaskStatus.PUBLISHED or task.finding is None or task.published_at is None or record is None:
        raise NotFound("该检查结果尚未公示")
    finding = task.finding
    names = publication.item_names(task.item_codes)
    codes = result_records.codes_of(task)
    arguments = {
        "authority": task.authority,
        "merchant": _merchant_facts(task.merchant),
        "result": {
            "number": f"JC{task.id:08d}",
            "type": result_records.KIND_LABELS[task.kind],
            "checked_on": finding.checked_on,
            "codes": [{"code": c, "label": result_codes.RESULT_CODES[c]} for c in codes],
            "items": [
                {
                    "code": code,
                    "name": names.get(code, code),
                    "verdict": (finding.item_results.get(code) or {}).get("verdict", ""),
                    "note": (finding.item_results.get(code) or {}).get("note", ""),
                }
                for code in task.item_codes
            ],
            "instruments": [
                {"description": i.description, "passed": i.passed, "note": i.note} for i in finding.instrument_checks
            ],
            "samples": [
                {
                    "product": s.product,
                    "nominal": format(s.nominal.normalize(), "f"),
                    "unit": s.unit,
                    "average": format(s.average.normalize(), "f"),
                    "passed": s.passed,
                }
                for s in finding.samples
            ],
            "notes": finding.notes,
        },
        "inspectors": _inspectors(task),
        "published_at": task.published_at,
        "leaf_hash": record.leaf_hash.hex(),
        "verify_base_url": base_url(request_root),
    }
    return Job("inspection_result", task.merchant_id, f"task/{task.id}", record.leaf_hash, arguments)


def rectification_job(order: RectificationOrder, request_root: str | None = None) -> Job:
    """责令改正通知书 as issued (reports the first "rectification_order" record of the order)."""
    record = db.session.scalar(
        sa.select(LedgerEntry).where(
            LedgerEntry.record_type == result_records.ORDER_TYPE,
            LedgerEntry.record_id == str(order.id),
            LedgerEntry.version == 1,
        )
    )
    if record is None or order.task.finding is None:
        raise NotFound("责令改正通知书尚未记入可信账本")
    arguments = {
        "authority": order.task.authority,
        "merchant": _merchant_facts(order.merchant),
        "order": {
            "number": order.number,
            "problems": order.problems,
            "requirements": order.requirements,
            "basis": order.basis,
            "deadline": order.deadline,
            "reinspection_due": order.reinspection.due_date if order.reinspection else None,
            "checked_on": order.task.finding.checked_on,
            "text_sha256": result_records.order_text_sha256(order),
        },
        "inspectors": _inspectors(order.task),
        "issued_at": order.issued_at,
        "leaf_hash": record.leaf_hash.hex(),
        "verify_base_url": base_url(request_root),
    }
    return Job("rectification", order.merchant_id, f"order/{order.id}", record.leaf_hash, arguments)


def plan_results_job(plan: Plan, request_root: str | None = None) -> Job:
    """抽查结果公示 of a plan (reports its newest "plan_results" record)."""
    record = ledger.latest_record(result_records.PLAN_RESULTS_TYPE, str(plan.id))
    if record is None:
        raise NotFound("该抽查计划尚无已公示的检查结果")
    data = json.loads(record.canonical)["data"]
    # The results published up to the record: each publication appends the record in its own transaction.
    tasks = db.session.scalars(
        sa.select(Task).where(
            Task.plan_id == plan.id,
            Task.kind == TaskKind.RANDOM,
            Task.status == TaskStatus.PUBLISHED,
            Task.published_at <= record.created_at,
        )
    ).all()
    tasks = sorted(tasks, key=lambda t: (t.finding.checked_on if t.finding else date.min, t.merchant.uscc))
    rows = [
        {
            "merchant": t.merchant.name,
            "uscc": t.merchant.uscc,
            "date": t.finding.checked_on,
            "type": result_records.KIND_LABELS[t.kind],
            "results": "；".join(f"{c} {result_codes.RESULT_CODES[c]}" for c in result_records.codes_of(t)),
        }
        for t in tasks
        if t.finding is not None
    ]
    draws = [
        {
            "sequence": d.sequence,
            "announcement_hash": d.announcement_hash.hex(),
            "drawn_on": china_date(d.revealed_at) if d.revealed_at else None,
        }
        for d in plan.draws
        if d.status == DrawStatus.DRAWN
    ]
    as_of = max((t.published_at for t in tasks if t.published_at), default=None) or record.created_at
    arguments = {
        "plan": {"name": plan.name, "authority": plan.authority, "year": plan.year, "batch": plan.batch},
        "draws": draws,
        "rows": rows,
        "counts": [
            {"code": c, "label": result_codes.RESULT_CODES[c], "count": n} for c, n in sorted(data["counts"].items())
        ],
        "as_of": as_of,
        "leaf_hash": record.leaf_hash.hex(),
        "verify_base_url": base_url(request_root),
    }
    return Job("plan_results", None, f"plan/{plan.id}", record.leaf_hash, arguments)


def inspection_result_notice(task: Task, request_root: str | None = None) -> Notice:
    return issue_job(inspection_result_job(task, request_root))


def rectification_notice(order: RectificationOrder, request_root: str | None = None) -> Notice:
    return issue_job(rectification_job(order, request_root))


def plan_results_notice(plan: Plan, request_root: str | None = None) -> Notice:
    return issue_job(plan_results_job(plan, request_root))


# ---------------------------------------------------------- 诚信计量示范单位证书


def model_unit_job(entry: ListEntry, request_root: str | None = None) -> Job:
    """诚信计量示范单位证书 of a granted title (reports the "list_entry" record that lists it)."""
    record = ledger.latest_record(list_records.RECORD_TYPE, str(entry.id))
    if (
        entry.kind != ListKind.MODEL_UNIT
        or entry.status != EntryStatus.LISTED
        or record is None
        or entry.listed_on is None
        or entry.valid_until is None
        or entry.decided_at is None
    ):
        raise NotFound("该诚信计量示范单位称号不存在或已失效")
    merchant = entry.merchant
    arguments = {
        "merchant": {
            "name": merchant.name,
            "uscc": merchant.uscc,
            "address": merchant.address,
            "sector": merchant.sector.name,
        },
        "title": {
            "number": f"SF{entry.id:08d}",
            "authority": entry.authority,
            "listed_on": entry.listed_on,
            "valid_until": entry.valid_until,
        },
        "decided_at": entry.decided_at,
        "leaf_hash": record.leaf_hash.hex(),
        "verify_base_url": base_url(request_root),
    }
    return Job("model_unit", entry.merchant_id, f"{list_records.RECORD_TYPE}/{entry.id}", record.leaf_hash, arguments)


def model_unit_notice(entry: ListEntry, request_root: str | None = None) -> Notice:
    return issue_job(model_unit_job(entry, request_root))

"""Notice documents: typed builders that turn the facts a notice reports into PDF bytes through a `PdfRenderer`.

The builders validate and normalise (dates to China Standard Time, grades, statuses, URLs, hashes); the templates
under honestmeter/templates/notices/pdf/ own every word and format of the documents. Every PDF shows the leaf hash
of the ledger record it reports and a QR that opens `<verify_base_url>/verify?leaf=<leaf_hash>`; the caller then
records a "notice issued" fact carrying `pdf_sha256(pdf)` (DESIGN §4.1, §7). Rendering the same inputs again gives
the same bytes (the PDF's creation date comes from the inputs, never from the clock), so a job can re-render from
stored data idempotently.

Template context, as the builders pass it:

base.html (every notice)
    created          str, W3C date-time in UTC ("2026-03-01T02:30:00Z"): the PDF's /CreationDate
    leaf_hash        str, 64 lowercase hex digits: the ledger leaf of the fact the PDF reports
    verify_url       str, "<verify_base_url>/verify?leaf=<leaf_hash>": the footer's QR (扫码验证)

commitment.html — 诚信计量承诺书, A4, one page
    merchant         dict of str: name, uscc, address, sector (the sector's Chinese name)
    commitment       dict: number (str or None, the document number printed top right), points (list of str,
                     the numbered commitment points in order), signer_name, signer_title (str), signed_on,
                     valid_from, valid_until (datetime.date, China Standard Time), template_version (str),
                     text_sha256 (str, 64 hex: SHA-256 of the commitment's canonical text)

sticker.html — premises QR sticker, A6
    merchant         dict of str: name, uscc
    grade            "A", "B", "C", "D" or None (printed 未评级)
    commitment_status "valid", "expired", "unsigned" or "revoked" (printed 有效, 已过期, 未签署, 已撤销)
    merchant_url     str, "<public_base_url>/merchants/<uscc>": the large QR
    issued_on        datetime.date the sticker was issued (China Standard Time)

inspection_result.html — 检查结果告知书, A4 (to the merchant, for a published result)
    authority        str, 检查实施机关
    merchant         dict of str: name, uscc, address
    result           dict: number (str), type (str, e.g. 双随机抽查), checked_on, published_on (datetime.date),
                     codes (list of dict: code, label), item_rows (list of dict: code, name, verdict (符合, 不符合,
                     不适用 or 未判定), note), instruments (list of dict: description, passed (bool), note),
                     samples (list of dict: product, nominal, unit, average, passed (bool)), notes (str)
    inspectors       list of dict of str: name, badge_number

rectification.html — 责令改正通知书, A4
    authority, merchant   as above
    order            dict: number (str), problems, requirements, basis (str; requirements and basis may be
                     empty), issued_on, deadline, reinspection_due (datetime.date or None), checked_on
                     (datetime.date), text_sha256 (str, 64 hex)
    inspectors       as above

plan_results.html — 抽查结果公示, A4, per plan
    plan             dict: name, authority (str), year, batch (int)
    draws            list of dict: sequence (int), announcement_hash (str, 64 hex), drawn_on (datetime.date or None)
    rows             list of dict: merchant, uscc, date (datetime.date), type, results (str: labels joined by "；")
    counts           list of dict: code, label, count (int); total (int)
    verify_base      str, "<verify_base_url>/verify": the address the footnote names

model_unit_certificate.html — 诚信计量示范单位证书, A4
    merchant         dict of str: name, uscc, address, sector (as for the commitment)
    title            dict: number (str), authority (str, 认定机关), listed_on, valid_until (datetime.date: the first
                     and last day of the title), issued_on (datetime.date, China Standard Time)

Mapping inputs of the builders (other keys are ignored):

    merchant    name, uscc, address, sector (str, or a mapping with "name"); the sticker needs name and uscc only
    commitment  points (sequence of str), signer_name, signer_title, signed_at (aware datetime or ISO 8601 string
                with offset), valid_from, valid_until (date or ISO date string), template_version, text_sha256;
                number optional
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from honestmeter import clock, labels
from honestmeter.chinatime import china_date
from honestmeter.scoring import GRADES

if TYPE_CHECKING:
    from honestmeter.notices.rendering import PdfRenderer

COMMITMENT_TEMPLATE = "commitment.html"
STICKER_TEMPLATE = "sticker.html"
INSPECTION_RESULT_TEMPLATE = "inspection_result.html"
RECTIFICATION_TEMPLATE = "rectification.html"
PLAN_RESULTS_TEMPLATE = "plan_results.html"
MODEL_UNIT_TEMPLATE = "model_unit_certificate.html"
# status codes the sticker template knows, with the printed labels (labels.py), which are accepted as input too
COMMITMENT_STATUSES = labels.COMMITMENT_STATUS_PRINTED
_UNRATED = "未评级"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def pdf_sha256(data: bytes) -> str:
    """SHA-256 of the exact PDF bytes, lowercase hex: what the "notice issued" record carries."""
    return hashlib.sha256(data).hexdigest()


def verify_url(verify_base_url: str, leaf_hash: str) -> str:
    """The /verify link a notice's QR opens for its leaf."""
    return f"{_base_url(verify_base_url, 'verify_base_url')}/verify?leaf={_leaf_hash(leaf_hash)}"


def merchant_url(public_base_url: str, uscc: str) -> str:
    """The public merchant page a premises sticker's QR opens."""
    return f"{_base_url(public_base_url, 'public_base_url')}/merchants/{quote(_required(uscc, 'uscc'), safe='')}"


def commitment_pdf(
    renderer: PdfRenderer,
    *,
    merchant: Mapping[str, Any],
    commitment: Mapping[str, Any],
    leaf_hash: str,
    verify_base_url: str,
) -> bytes:
    """诚信计量承诺书 (A4) of a signed commitment; `leaf_hash` is the ledger leaf of the signing record."""
    signed_at = _aware_datetime(commitment["signed_at"], "signed_at")
    points = [_required(point, "commitment point") for point in _sequence(commitment["points"], "points")]
    if not points:
        raise ValueError("a commitment needs at least one point")
    valid_from = _date(commitment["valid_from"], "valid_from")
    valid_until = _date(commitment["valid_until"], "valid_until")
    if valid_until < valid_from:
        raise ValueError(f"a commitment cannot end ({valid_until}) before it starts ({valid_from})")
    context = {
        **_base_context(created=signed_at, leaf_hash=leaf_hash, verify_base_url=verify_base_url),
        "merchant": _merchant(merchant, full=True),
        "commitment": {
            "number": commitment.get("number") or None,
            "points": points,
            "signer_name": _required(commitment["signer_name"], "signer_name"),
            "signer_title": _required(commitment["signer_title"], "signer_title"),
            "signed_on": china_date(signed_at),
            "valid_from": valid_from,
            "valid_until": valid_until,
            "template_version": _required(commitment["template_version"], "template_version"),
            "text_sha256": _hex64(commitment["text_sha256"], "text_sha256"),
        },
    }
    return renderer.render(COMMITMENT_TEMPLATE, context)


def sticker_pdf(
    renderer: PdfRenderer,
    *,
    merchant: Mapping[str, Any],
    grade: str | None,
    commitment_status: str,
    leaf_hash: str,
    public_base_url: str,
    verify_base_url: str,
    issued_at: datetime | None = None,
) -> bytes:
    """Premises QR sticker (A6): grade, commitment status, the public page's QR and the verify QR.

    `leaf_hash` is the ledger leaf of the fact the sticker shows (e.g. the grade record). `issued_at` (aware;
    default now) is printed and is the PDF's creation date: store it to re-render the same bytes later.
    """
    issued = _aware_datetime(issued_at if issued_at is not None else clock.utcnow(), "issued_at")
    info = _merchant(merchant, full=False)
    context = {
        **_base_context(created=issued, leaf_hash=leaf_hash, verify_base_url=verify_base_url),
        "merchant": info,
        "grade": grade_letter(grade),
        "commitment_status": commitment_status_code(commitment_status),
        "merchant_url": merchant_url(public_base_url, info["uscc"]),
        "issued_on": china_date(issued),
    }
    return renderer.render(STICKER_TEMPLATE, context)


def inspection_result_pdf(
    renderer: PdfRenderer,
    *,
    authority: str,
    merchant: Mapping[str, Any],
    result: Mapping[str, Any],
    inspectors: Sequence[Mapping[str, Any]],
    published_at: datetime,
    leaf_hash: str,
    verify_base_url: str,
) -> bytes:
    """检查结果告知书 of a published result; `leaf_hash` is the leaf of its "inspection_result" record."""
    published = _aware_datetime(published_at, "published_at")
    codes = [
        {"code": _required(c["code"], "code"), "label": _required(c["label"], "label")}
        for c in _sequence(result["codes"], "codes")
    ]
    if not codes:
        raise ValueError("a result needs at least one code")
    context = {
        **_base_context(created=published, leaf_hash=leaf_hash, verify_base_url=verify_base_url),
        "authority": _required(authority, "authority"),
        "merchant": _merchant_address(merchant),
        "result": {
            "number": _required(result["number"], "number"),
            "type": _required(result["type"], "type"),
            "checked_on": _date(result["checked_on"], "checked_on"),
            "published_on": china_date(published),
            "codes": codes,
            "item_rows": [
                {
                    "code": str(i.get("code", "")),
                    "name": _required(i["name"], "item name"),
                    "verdict": labels.VERDICT_PRINTED.get(str(i.get("verdict") or ""), str(i.get("verdict"))),
                    "note": str(i.get("note") or ""),
                }
                for i in _sequence(result.get("items", []), "items")
            ],
            "instruments": [
                {"description": str(i["description"]), "passed": bool(i["passed"]), "note": str(i.get("note") or "")}
                for i in _sequence(result.get("instruments", []), "instruments")
            ],
            "samples": [
                {
                    "product": str(s["product"]),
                    "nominal": str(s["nominal"]),
                    "unit": str(s["unit"]),
                    "average": str(s["average"]),
                    "passed": bool(s["passed"]),
                }
                for s in _sequence(result.get("samples", []), "samples")
            ],
            "notes": str(result.get("notes") or ""),
        },
        "inspectors": _inspectors(inspectors),
    }
    return renderer.render(INSPECTION_RESULT_TEMPLATE, context)


def rectification_pdf(
    renderer: PdfRenderer,
    *,
    authority: str,
    merchant: Mapping[str, Any],
    order: Mapping[str, Any],
    inspectors: Sequence[Mapping[str, Any]],
    issued_at: datetime,
    leaf_hash: str,
    verify_base_url: str,
) -> bytes:
    """责令改正通知书; `leaf_hash` is the leaf of the order's first "rectification_order" record (its issue)."""
    issued = _aware_datetime(issued_at, "issued_at")
    deadline = _date(order["deadline"], "deadline")
    due = order.get("reinspection_due")
    context = {
        **_base_context(created=issued, leaf_hash=leaf_hash, verify_base_url=verify_base_url),
        "authority": _required(authority, "authority"),
        "merchant": _merchant_address(merchant),
        "order": {
            "number": _required(order["number"], "number"),
            "problems": _required(order["problems"], "problems"),
            "requirements": str(order.get("requirements") or ""),
            "basis": str(order.get("basis") or ""),
            "issued_on": china_date(issued),
            "deadline": deadline,
            "reinspection_due": None if due is None else _date(due, "reinspection_due"),
            "checked_on": _date(order["checked_on"], "checked_on"),
            "text_sha256": _hex64(order["text_sha256"], "text_sha256"),
        },
        "inspectors": _inspectors(inspectors),
    }
    return renderer.render(RECTIFICATION_TEMPLATE, context)


def plan_results_pdf(
    renderer: PdfRenderer,
    *,
    plan: Mapping[str, Any],
    draws: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    counts: Sequence[Mapping[str, Any]],
    as_of: datetime,
    leaf_hash: str,
    verify_base_url: str,
) -> bytes:
    """抽查结果公示 of a plan; `leaf_hash` is the leaf of its "plan_results" record. `as_of` (aware) is the newest
    publication it contains: the PDF's creation date, so the same results give the same bytes."""
    moment = _aware_datetime(as_of, "as_of")
    context = {
        **_base_context(created=moment, leaf_hash=leaf_hash, verify_base_url=verify_base_url),
        "plan": {
            "name": _required(plan["name"], "plan name"),
            "authority": _required(plan["authority"], "authority"),
            "year": int(plan["year"]),
            "batch": int(plan["batch"]),
        },
        "as_of": china_date(moment),
        "draws": [
            {
                "sequence": int(d["sequence"]),
                "announcement_hash": _hex64(d["announcement_hash"], "announcement_hash"),
                "drawn_on": None if d.get("drawn_on") is None else _date(d["drawn_on"], "drawn_on"),
            }
            for d in _sequence(draws, "draws")
        ],
        "rows": [
            {
                "merchant": _required(r["merchant"], "merchant"),
                "uscc": _required(r["uscc"], "uscc"),
                "date": _date(r["date"], "date"),
                "type": _required(r["type"], "type"),
                "results": _required(r["results"], "results"),
            }
            for r in _sequence(rows, "rows")
        ],
        "counts": [
            {"code": str(c["code"]), "label": str(c["label"]), "count": int(c["count"])}
            for c in _sequence(counts, "counts")
        ],
        "total": len(rows),
        "verify_base": f"{_base_url(verify_base_url, 'verify_base_url')}/verify",
    }
    return renderer.render(PLAN_RESULTS_TEMPLATE, context)


def model_unit_certificate_pdf(
    renderer: PdfRenderer,
    *,
    merchant: Mapping[str, Any],
    title: Mapping[str, Any],
    decided_at: datetime,
    leaf_hash: str,
    verify_base_url: str,
) -> bytes:
    """诚信计量示范单位证书 of a granted title; `leaf_hash` is the leaf of the "list_entry" record that lists it.
    `decided_at` (aware) is when the title was granted: the printed issue date and the PDF's creation date."""
    decided = _aware_datetime(decided_at, "decided_at")
    listed_on = _date(title["listed_on"], "listed_on")
    valid_until = _date(title["valid_until"], "valid_until")
    if valid_until < listed_on:
        raise ValueError(f"a title cannot end ({valid_until}) before it starts ({listed_on})")
    context = {
        **_base_context(created=decided, leaf_hash=leaf_hash, verify_base_url=verify_base_url),
        "merchant": _merchant(merchant, full=True),
        "title": {
            "number": _required(title["number"], "number"),
            "authority": _required(title["authority"], "authority"),
            "listed_on": listed_on,
            "valid_until": valid_until,
            "issued_on": china_date(decided),
        },
    }
    return renderer.render(MODEL_UNIT_TEMPLATE, context)


def _merchant_address(merchant: Mapping[str, Any]) -> dict[str, str]:
    return {
        "name": _required(merchant["name"], "merchant name"),
        "uscc": _required(merchant["uscc"], "uscc"),
        "address": _required(merchant["address"], "address"),
    }


def _inspectors(inspectors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    found = [
        {"name": _required(i["name"], "inspector name"), "badge_number": _required(i["badge_number"], "badge_number")}
        for i in _sequence(inspectors, "inspectors")
    ]
    if len(found) < 2:  # 行政处罚法 Art. 42
        raise ValueError("a notice names at least two inspectors")
    return found


# ------------------------------------------------------------------ formatting


def grade_letter(grade: str | None) -> str | None:
    """ "A".."D", or None for a merchant not (yet) rated."""
    if grade is None or grade.strip() in {"", _UNRATED}:
        return None
    letter = grade.strip().upper()
    if letter not in GRADES:
        raise ValueError(f"unknown credit grade {grade!r}; expected one of {', '.join(GRADES)} or None")
    return letter


def commitment_status_code(status: str) -> str:
    """The status code for a code or its printed label (有效 → valid)."""
    key = str(status).strip()
    for code, label in COMMITMENT_STATUSES.items():
        if key in {code, label}:
            return code
    raise ValueError(f"unknown commitment status {status!r}; expected one of {', '.join(COMMITMENT_STATUSES)}")


def _base_context(*, created: datetime, leaf_hash: str, verify_base_url: str) -> dict[str, Any]:
    return {
        "created": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "leaf_hash": _leaf_hash(leaf_hash),
        "verify_url": verify_url(verify_base_url, leaf_hash),
    }


def _merchant(merchant: Mapping[str, Any], *, full: bool) -> dict[str, str]:
    info = {"name": _required(merchant["name"], "merchant name"), "uscc": _required(merchant["uscc"], "uscc")}
    if full:
        sector = merchant["sector"]
        info["address"] = _required(merchant["address"], "address")
        info["sector"] = _required(sector["name"] if isinstance(sector, Mapping) else sector, "sector")
    return info


def _leaf_hash(value: str) -> str:
    return _hex64(value, "leaf_hash")


def _hex64(value: Any, name: str) -> str:
    text = str(value).strip().lower()
    if not _HEX64.fullmatch(text):
        raise ValueError(f"{name} must be 64 hexadecimal digits (a SHA-256), got {value!r}")
    return text


def _base_url(value: str, name: str) -> str:
    text = str(value).strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", text):
        raise ValueError(f"{name} must be an absolute http(s) URL without query, got {value!r}")
    return text


def _required(value: Any, name: str) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValueError(f"{name} is required")
    return text


def _sequence(value: Any, name: str) -> Sequence[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a list")
    return value


def _aware_datetime(value: Any, name: str) -> datetime:
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(parsed, datetime) or parsed.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return parsed


def _date(value: Any, name: str) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(value, datetime):
        return china_date(_aware_datetime(value, name))
    if isinstance(value, date):
        return value
    raise ValueError(f"{name} must be a date, got {value!r}")

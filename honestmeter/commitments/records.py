"""Public projections of commitment texts and signatures for the ledger."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa

from honestmeter.commitments.models import Commitment, CommitmentTemplate
from honestmeter.extensions import db
from honestmeter.ledger.canonical import canonical_bytes
from honestmeter.ledger.services import Record

TEMPLATE_TYPE = "commitment_template"
COMMITMENT_TYPE = "commitment"


def canonical_text(*, sector_code: str, version: int, title: str, preamble: str, points: list[str]) -> bytes:
    """The bytes a signature's text hash covers: anyone can recompute it from the published text."""
    return canonical_bytes(
        {"sector": sector_code, "version": version, "title": title, "preamble": preamble, "points": points}
    )


def text_sha256(**text: Any) -> str:
    return hashlib.sha256(canonical_text(**text)).hexdigest()


def template_data(t: CommitmentTemplate) -> dict[str, Any]:
    return {
        "sector": t.sector_code,
        "version": t.version,
        "title": t.title,
        "preamble": t.preamble,
        "points": list(t.points),
        "text_sha256": t.text_sha256,
        "superseded": t.superseded_at is not None,
    }


def commitment_public(
    *,
    merchant_id: int,
    template: str,
    text_sha256: str,
    signer_name: str,
    signer_title: str,
    signed_on: date,
    valid_from: date,
    valid_until: date,
    status: str,
    renews: int | None = None,
    end_reason: str | None = None,
) -> dict[str, Any]:
    """The public facts of a signature. The signer's name and title are printed on the public
    承诺书; the client address is not public."""
    return {
        "merchant_id": str(merchant_id),
        "template": template,
        "text_sha256": text_sha256,
        "signer_name": signer_name,
        "signer_title": signer_title,
        "signed_on": signed_on.isoformat(),
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat(),
        "status": str(status),
        "renews": None if renews is None else str(renews),
        "end_reason": end_reason,
    }


def template_code(t: CommitmentTemplate) -> str:
    return f"{t.sector_code}/v{t.version}"


def commitment_data(c: Commitment) -> dict[str, Any]:
    return commitment_public(
        merchant_id=c.merchant_id,
        template=template_code(c.template),
        text_sha256=c.text_sha256,
        signer_name=c.signer_name,
        signer_title=c.signer_title,
        signed_on=c.signed_at.date(),
        valid_from=c.valid_from,
        valid_until=c.valid_until,
        status=str(c.status),
        renews=c.renews_id,
        end_reason=c.end_reason,
    )


def template_record(t: CommitmentTemplate) -> Record:
    return Record(TEMPLATE_TYPE, str(t.id), template_data(t))


def commitment_record(c: Commitment) -> Record:
    return Record(COMMITMENT_TYPE, str(c.id), commitment_data(c))


def template_projection() -> Iterator[tuple[str, dict[str, Any]]]:
    for t in db.session.scalars(sa.select(CommitmentTemplate)):
        yield str(t.id), template_data(t)


def commitment_projection() -> Iterator[tuple[str, dict[str, Any]]]:
    for c in db.session.scalars(sa.select(Commitment).execution_options(yield_per=2000)):
        yield str(c.id), commitment_data(c)

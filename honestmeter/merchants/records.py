"""The public projection of a directory entry: what the ledger records about a merchant."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from honestmeter.extensions import db
from honestmeter.ledger.services import Record
from honestmeter.merchants.models import Merchant

RECORD_TYPE = "merchant"
# Contact details stay private; the facts GSXT also publishes are public.
PUBLIC_FIELDS = ("uscc", "name", "sector_code", "region_code", "address", "legal_representative", "status")


def public_data(row: Mapping[str, Any]) -> dict[str, Any]:
    return {field: str(row[field]) for field in PUBLIC_FIELDS}


def record_of(merchant: Merchant) -> Record:
    return Record(RECORD_TYPE, str(merchant.id), public_data({f: getattr(merchant, f) for f in PUBLIC_FIELDS}))


def projection() -> Iterator[tuple[str, dict[str, Any]]]:
    columns = [getattr(Merchant, f) for f in PUBLIC_FIELDS]
    for row in db.session.execute(sa.select(Merchant.id, *columns).execution_options(yield_per=5000)):
        yield str(row.id), public_data(dict(row._mapping))

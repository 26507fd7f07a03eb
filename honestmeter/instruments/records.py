"""The public projection of an instrument: type, serial, verification status and dates."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from honestmeter.extensions import db
from honestmeter.instruments.models import Instrument, InstrumentType
from honestmeter.ledger.services import Record

RECORD_TYPE = "instrument"
FIELDS = (
    "merchant_id",
    "serial_number",
    "use",
    "status",
    "last_verified_on",
    "next_due_on",
    "certificate_no",
)


# Present only while set, so records written before the field existed still match their rows.
OPTIONAL_FIELDS = ("failed_on",)


def public_data(row: Mapping[str, Any], type_code: str) -> dict[str, Any]:
    data = {field: None if row[field] is None else str(row[field]) for field in FIELDS}
    data.update({field: str(row[field]) for field in OPTIONAL_FIELDS if row.get(field) is not None})
    data["type"] = type_code
    return data


def record_of(instrument: Instrument) -> Record:
    values = {f: getattr(instrument, f) for f in FIELDS + OPTIONAL_FIELDS}
    return Record(RECORD_TYPE, str(instrument.id), public_data(values, instrument.type.code))


def projection() -> Iterator[tuple[str, dict[str, Any]]]:
    columns = [getattr(Instrument, f) for f in FIELDS + OPTIONAL_FIELDS]
    stmt = sa.select(Instrument.id, InstrumentType.code, *columns).join(InstrumentType)
    for row in db.session.execute(stmt.execution_options(yield_per=5000)):
        yield str(row.id), public_data(dict(row._mapping), row.code)

"""Ledger record objects (DESIGN §4.1) and their RFC 8785 (JCS) canonical bytes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import rfc8785


def canonical_bytes(obj: Any) -> bytes:
    """RFC 8785 canonical JSON as UTF-8 bytes; ValueError for what JSON cannot hold exactly.

    rfc8785 raises its CanonicalizationError (a ValueError) for NaN and infinities, integers beyond
    ±(2**53 - 1), non-string keys and non-JSON types.
    """
    return rfc8785.dumps(obj)


def format_at(at: datetime) -> str:
    """UTC ISO-8601 with second precision and a trailing Z: YYYY-MM-DDTHH:MM:SSZ."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("record time must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(type_: str, id_: str, version: int, at: datetime, data: Mapping[str, Any]) -> dict[str, Any]:
    """The public record object {"type", "id", "version", "at", "data"} of one published fact."""
    if not isinstance(type_, str) or not type_:
        raise ValueError("record type must be a non-empty string")
    if not isinstance(id_, str):
        raise ValueError("record id must be a string")
    # bool is an int subclass; True must not pass for version 1.
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError("record version must be an integer >= 1")
    return {"type": type_, "id": id_, "version": version, "at": format_at(at), "data": dict(data)}


def record_bytes(type_: str, id_: str, version: int, at: datetime, data: Mapping[str, Any]) -> bytes:
    """The canonical bytes of record(...): what the ledger hashes as a leaf."""
    return canonical_bytes(record(type_, id_, version, at, data))

"""Ledger record objects (DESIGN §4.1) and their RFC 8785 (JCS) canonical bytes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import rfc8785

MAX_SAFE_INTEGER = 2**53 - 1


def _plain(obj: Any) -> bool:  # noqa: PLR0911 — one answer per JSON type
    """True when the standard library's JSON encoder already writes the RFC 8785 form of `obj`.

    That holds for strings, safe integers, booleans, null, lists and objects whose keys use only
    Basic Multilingual Plane characters: there, sorting by code point equals JCS's sort by UTF-16
    code units, and json.dumps(ensure_ascii=False) escapes exactly the characters JCS escapes (the
    controls, quote and backslash, with the same short forms and lowercase \\u hex). Floats and
    astral-plane keys take the slower rfc8785 path, which also raises on what JSON cannot hold.
    """
    if obj is None or isinstance(obj, str | bool):
        return True
    if isinstance(obj, int):
        return -MAX_SAFE_INTEGER <= obj <= MAX_SAFE_INTEGER
    if isinstance(obj, list | tuple):
        # Lists of plain strings (a draw's pool of a million USCCs) skip the call per item.
        return all(type(item) is str for item in obj) or all(_plain(item) for item in obj)
    if isinstance(obj, dict):
        for key, value in obj.items():  # a plain loop: this runs for every leaf appended
            if not isinstance(key, str) or not (key.isascii() or max(map(ord, key)) < 0x10000):
                return False
            if not (isinstance(value, str) or value is None or _plain(value)):
                return False
        return True
    return False


def canonical_bytes(obj: Any) -> bytes:
    """RFC 8785 canonical JSON as UTF-8 bytes; ValueError for what JSON cannot hold exactly.

    Plain data goes through the C JSON encoder (several times faster: appends are bound by this);
    anything else through rfc8785, which raises its CanonicalizationError (a ValueError) for NaN
    and infinities, integers beyond ±(2**53 - 1), non-string keys and non-JSON types. A test checks
    the two paths give identical bytes.
    """
    if _plain(obj):
        try:
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let rfc8785 reject it with its own error
            pass
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

"""OpenAPI descriptions of the /api/v1 routes other packages own: the ledger (DESIGN §4.5, honestmeter/ledger/routes.py)
and the verifiable draws (DESIGN §5, honestmeter/inspections/draws/routes.py).

Those views stay where they are and answer exactly the bytes DESIGN promises; this module only describes them, so
the one document at /api/v1/openapi.json covers the whole API. Keep it in step when those routes change (the
functional test compares the documented paths with the URL map).
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from flask import Flask

HEX = {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "SHA-256, 64 个小写十六进制字符 / lowercase hex"}
NULLABLE_STR = {"type": ["string", "null"]}
ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(ERROR, description)


ANCHOR: dict[str, Any] = {
    "type": ["object", "null"],
    "description": "链上锚定 / the on-chain anchor (null: not anchored yet)",
    "properties": {
        "tree_size": {"type": "integer"},
        "root_hash": HEX,
        "chain_id": {"type": "integer"},
        "contract": {"type": "string", "description": "0x…"},
        "tx_hash": {"type": "string", "description": "0x…"},
        "block_number": {"type": "integer"},
        "block_time": {"type": "string", "format": "date-time"},
    },
    "required": ["tree_size", "root_hash", "chain_id", "contract", "tx_hash", "block_number", "block_time"],
}
ENTRY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "leaf_index": {"type": "integer"},
        "leaf_hash": HEX,
        "record": {
            "type": "object",
            "description": '{"type", "id", "version", "at", "data"} — 见 docs/ledger.md',
        },
        "canonical_b64": {"type": "string", "description": "记录的 JCS 字节（base64）/ the record's RFC 8785 bytes"},
    },
    "required": ["leaf_index", "leaf_hash", "record", "canonical_b64"],
}
BUNDLE: dict[str, Any] = {
    "type": "object",
    "description": "离线核验包：记录字节、包含证明、签名树头和锚定交易 / everything to verify one record offline",
    "properties": {
        "format": {"type": "string", "enum": ["honestmeter-ledger-bundle/v1"]},
        **ENTRY["properties"],
        "tree_size": {"type": "integer"},
        "audit_path": {"type": "array", "items": HEX},
        "root_hash": HEX,
        "checkpoint": {**NULLABLE_STR, "description": "C2SP tlog-checkpoint 签名树头"},
        "log_key": {"type": "string"},
        "anchor": ANCHOR,
    },
    "required": ["format", "leaf_index", "leaf_hash", "record", "canonical_b64", "tree_size", "audit_path"],
}
DRAW_LINKS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "self": {"type": "string"},
        "announcement": {"type": "string"},
        "bundle": NULLABLE_STR,
    },
}
DRAW_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "plan_id": {"type": "integer"},
        "plan_name": {"type": "string"},
        "sequence": {"type": "integer"},
        "status": {"type": "string"},
        "announced_at": {"type": "string", "format": "date-time"},
        "revealed_at": {"type": ["string", "null"], "format": "date-time"},
        "announcement_hash": HEX,
        "result_hash": {"type": ["string", "null"]},
        "beacon": {"type": "string"},
        "links": DRAW_LINKS,
    },
    "required": ["id", "plan_id", "status", "announcement_hash", "links"],
}
DRAW_SUMMARY: dict[str, Any] = {
    "type": "object",
    "properties": {
        **DRAW_ITEM["properties"],
        "algorithm": {"type": "string", "enum": ["hmac-rank-v1"]},
        "secret_commitment": {"type": "string"},
        "beacon_is_block_hash": {"type": "boolean"},
        "strata": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "size": {"type": "integer"}, "k": {"type": "integer"}},
            },
        },
        "inspectors": {"type": "integer", "description": "人数 / how many"},
        "conflicts": {"type": "integer", "description": "回避对数 / how many conflict pairs"},
        "per_case": {"type": "integer"},
        "capacity": {"type": "integer"},
        "records": {
            "type": "object",
            "description": "公告、揭晓、结果的账本叶哈希 / leaf hashes of the draw's ledger records",
            "additionalProperties": NULLABLE_STR,
        },
        "result": {"type": ["object", "null"]},
    },
    "required": ["id", "plan_id", "status", "algorithm", "announcement_hash", "links", "result"],
}
PAGE_PARAMS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
]
DRAW_ID = {"name": "draw_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
NOT_FOUND = _error("不存在 / not found")
INVALID = _error("参数无效 / invalid argument")
TOO_MANY = _error("请求过于频繁（API_RATE_LIMIT）/ rate limit exceeded")


def _path(spec: APISpec, app: Flask, path: str, operations: dict[str, Any]) -> None:
    """Document `path` from the app's own rule for it, so a documented path always exists."""
    wanted = path.replace("{", "<").replace("}", ">")
    rule = next(r for r in app.url_map.iter_rules() if re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"<\1>", r.rule) == wanted)
    parameters = [p for op in operations.values() for p in op.get("parameters", []) if p["in"] == "path"]
    for op in operations.values():
        op["parameters"] = [p for p in op.get("parameters", []) if p["in"] != "path"]
    spec.path(rule=rule, operations=operations, parameters=parameters)


def _get(summary: str, description: str, responses: dict[str, Any], tag: str, **extra: Any) -> dict[str, Any]:
    responses = {**responses, "429": TOO_MANY, "default": _error("其他错误 / any other error")}
    return {"get": {"tags": [tag], "summary": summary, "description": description, "responses": responses, **extra}}


def ledger_paths(spec: APISpec, app: Flask) -> None:
    _path(
        spec,
        app,
        "/api/v1/ledger/checkpoint",
        _get(
            "最新签名树头 / Latest checkpoint",
            "最新的签名树头及其链上锚定（DESIGN §4.5）。/ The newest signed tree head and its anchor.",
            {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "tree_size": {"type": "integer"},
                            "root_hash": HEX,
                            "checkpoint": NULLABLE_STR,
                            "anchored": ANCHOR,
                        },
                        "required": ["tree_size", "root_hash", "checkpoint", "anchored"],
                    }
                )
            },
            "ledger",
        ),
    )
    _path(
        spec,
        app,
        "/api/v1/ledger/key",
        _get(
            "日志公钥 / Log verifier key",
            "Ed25519 日志公钥（C2SP signed-note verifier key）。/ The log's public key.",
            {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "origin": {"type": "string"},
                            "algorithm": {"type": "string", "enum": ["ed25519"]},
                            "verifier_key": {"type": "string"},
                        },
                        "required": ["origin", "algorithm", "verifier_key"],
                    }
                )
            },
            "ledger",
        ),
    )
    _path(
        spec,
        app,
        "/api/v1/ledger/entries/{leaf_index}",
        _get(
            "按序号取记录 / Entry by leaf index",
            "第 n 个叶子（从 0 起）的记录及其字节。/ One leaf's record and bytes.",
            {"200": _json(ENTRY), "404": NOT_FOUND},
            "ledger",
            parameters=[
                {"name": "leaf_index", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
            ],
        ),
    )
    _path(
        spec,
        app,
        "/api/v1/ledger/proof",
        _get(
            "包含证明 / Inclusion proof",
            "RFC 9162 包含证明；树规模默认为最新已锚定的。/ RFC 9162 inclusion proof, against the newest anchored "
            "tree size by default.",
            {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "leaf_index": {"type": "integer"},
                            "tree_size": {"type": "integer"},
                            "leaf_hash": HEX,
                            "audit_path": {"type": "array", "items": HEX},
                            "root_hash": HEX,
                            "anchored": ANCHOR,
                        },
                        "required": ["leaf_index", "tree_size", "leaf_hash", "audit_path", "root_hash", "anchored"],
                    }
                ),
                "404": NOT_FOUND,
                "422": INVALID,
            },
            "ledger",
            parameters=[
                {"name": "leaf_hash", "in": "query", "required": True, "schema": HEX},
                {"name": "tree_size", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            ],
        ),
    )
    _path(
        spec,
        app,
        "/api/v1/ledger/consistency",
        _get(
            "一致性证明 / Consistency proof",
            "两个树规模之间的 RFC 9162 一致性证明，0 < first ≤ second ≤ 当前树规模。/ RFC 9162 consistency proof.",
            {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "first": {"type": "integer"},
                            "second": {"type": "integer"},
                            "proof": {"type": "array", "items": HEX},
                        },
                        "required": ["first", "second", "proof"],
                    }
                ),
                "422": INVALID,
            },
            "ledger",
            parameters=[
                {"name": "first", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 1}},
                {"name": "second", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 1}},
            ],
        ),
    )
    _path(
        spec,
        app,
        "/api/v1/ledger/bundle/{leaf_hash}",
        _get(
            "核验包 / Proof bundle",
            "一条记录的离线核验包：`honestmeter ledger verify FILE` 或 /verify 页面无需回连即可核验。"
            "/ Everything to verify one record with no call back to this server.",
            {"200": _json(BUNDLE), "404": NOT_FOUND, "422": INVALID},
            "ledger",
            parameters=[{"name": "leaf_hash", "in": "path", "required": True, "schema": HEX}],
        ),
    )
    _path(
        spec,
        app,
        "/api/v1/ledger/files/{sha256}",
        _get(
            "按文件哈希取核验包 / Bundle by file hash",
            "为某个文件（PDF 告知书）作证的记录的核验包，按文件本身的 SHA-256 查找。/ The bundle of the record that "
            "vouches for a file, found by the file's own SHA-256.",
            {"200": _json(BUNDLE), "404": NOT_FOUND, "422": INVALID},
            "ledger",
            parameters=[{"name": "sha256", "in": "path", "required": True, "schema": HEX}],
        ),
    )


def draw_paths(spec: APISpec, app: Flask) -> None:
    _path(
        spec,
        app,
        "/api/v1/draws",
        _get(
            "摇号列表 / Draws",
            "“双随机”摇号，从新到旧（DESIGN §5）。/ Verifiable random draws, newest first.",
            {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "page": {"type": "integer"},
                            "per_page": {"type": "integer"},
                            "total": {"type": "integer"},
                            "pages": {"type": "integer"},
                            "items": {"type": "array", "items": DRAW_ITEM},
                        },
                        "required": ["page", "per_page", "total", "pages", "items"],
                    }
                ),
                "422": _error("页码或每页条数过大 / page or per_page too large"),
            },
            "draws",
            parameters=PAGE_PARAMS,
        ),
    )
    _path(
        spec,
        app,
        "/api/v1/draws/{draw_id}",
        _get(
            "摇号概要 / One draw",
            "摇号的状态、分层、公告哈希和账本记录。/ A draw's status, strata, hashes and ledger records.",
            {"200": _json(DRAW_SUMMARY), "404": NOT_FOUND},
            "draws",
            parameters=[DRAW_ID],
        ),
    )
    _path(
        spec,
        app,
        "/api/v1/draws/{draw_id}/announcement",
        _get(
            "摇号公告 / Announcement",
            "公告的 JCS 字节原样返回：本响应体的 SHA-256 即 announcement_hash。/ The announcement's exact RFC 8785 "
            "bytes: the SHA-256 of this body is the announcement hash.",
            {"200": _json({"type": "object"}), "404": NOT_FOUND},
            "draws",
            parameters=[DRAW_ID],
        ),
    )
    _path(
        spec,
        app,
        "/api/v1/draws/{draw_id}/bundle",
        _get(
            "摇号核验包 / Draw bundle",
            "{announcement, reveal, result}：`honestmeter draw verify BUNDLE.json` 可重算（揭晓前 404）。"
            "/ Recomputable with `honestmeter draw verify` (404 before the reveal).",
            {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "announcement": {"type": "object"},
                            "reveal": {"type": "object"},
                            "result": {"type": "object"},
                        },
                        "required": ["announcement", "reveal", "result"],
                    }
                ),
                "404": NOT_FOUND,
            },
            "draws",
            parameters=[DRAW_ID],
        ),
    )


def describe(spec: APISpec, app: Flask) -> None:
    ledger_paths(spec, app)
    draw_paths(spec, app)

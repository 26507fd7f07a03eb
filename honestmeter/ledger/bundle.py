"""Self-contained proof bundles and their offline verification (pure: no Flask, no database).

A bundle carries a record's canonical bytes, its inclusion proof, the signed checkpoint of the
tree it is proved against, the log's public key and the anchoring transaction. Everything but the
anchor can be checked with no network at all; the anchor is checked against any node of the chain
(`rpc_root_at`), never against our server.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

from honestmeter.ledger import canonical, checkpoint, merkle

FORMAT = "honestmeter-ledger-bundle/v1"
RootReader = Callable[[int, str, int], bytes]  # (chain id, contract, tree size) → anchored root


class BundleError(ValueError):
    """The bundle is malformed (not merely invalid)."""


def _hex(value: Any, field: str) -> bytes:
    try:
        data = bytes.fromhex(str(value).removeprefix("0x"))
    except ValueError as err:
        raise BundleError(f"{field} is not hex") from err
    return data


def _check_record(bundle: Mapping[str, Any], raw: bytes) -> list[str]:
    try:
        record = json.loads(raw)
    except ValueError:
        return ["record bytes are not JSON"]
    problems = []
    if canonical.canonical_bytes(record) != raw:
        problems.append("record bytes are not in RFC 8785 canonical form")
    if "record" in bundle and canonical.canonical_bytes(bundle["record"]) != raw:
        problems.append("the readable record differs from the signed bytes")
    return problems


def _check_checkpoint(note: str, key: str, size: int, root: bytes) -> list[str]:
    try:
        head = checkpoint.open_checkpoint(note, key)
    except checkpoint.CheckpointError as err:
        return [f"checkpoint: {err}"]
    if head.size != size or not hmac.compare_digest(head.root, root):
        return ["the signed checkpoint is for a different tree size or root"]
    return []


def _check_anchor(
    anchor: Mapping[str, Any] | None, size: int, root: bytes, rpc_root_at: RootReader | None
) -> list[str]:
    if anchor is None:
        return ["not anchored on a chain yet"]
    if int(anchor.get("tree_size", -1)) != size or _hex(anchor.get("root_hash", ""), "anchor.root_hash") != root:
        return ["the anchor is for a different tree size or root"]
    if rpc_root_at is not None:
        on_chain = rpc_root_at(int(anchor["chain_id"]), str(anchor["contract"]), size)
        if not hmac.compare_digest(on_chain, root):
            return [f"the chain holds a different root for tree size {size}: {on_chain.hex()}"]
    return []


def verify(
    bundle: Mapping[str, Any],
    *,
    trusted_key: str | None = None,
    rpc_root_at: RootReader | None = None,
) -> list[str]:
    """Check a bundle; returns the reasons it is invalid (an empty list means valid).

    `trusted_key` pins the log's verifier key (otherwise the key inside the bundle is used, which
    proves integrity but not who signed). `rpc_root_at(chain_id, contract, tree_size)` reads the
    anchored root from the chain when given.
    """
    if bundle.get("format") != FORMAT:
        return [f"unknown bundle format {bundle.get('format')!r}"]
    try:
        raw = base64.b64decode(str(bundle["canonical_b64"]), validate=True)
        leaf_index, size = int(bundle["leaf_index"]), int(bundle["tree_size"])
        root = _hex(bundle["root_hash"], "root_hash")
        path = [_hex(p, "audit_path") for p in bundle["audit_path"]]
        claimed_leaf = _hex(bundle.get("leaf_hash", ""), "leaf_hash")
    except (KeyError, TypeError, ValueError, binascii.Error) as err:
        return [f"malformed bundle: {err}"]
    problems: list[str] = []
    leaf = merkle.leaf_hash(raw)
    if not hmac.compare_digest(leaf, claimed_leaf):
        problems.append("leaf_hash does not match SHA-256(0x00 || record bytes)")
    problems += _check_record(bundle, raw)
    if not merkle.verify_inclusion(leaf, leaf_index, size, path, root):
        problems.append(f"inclusion proof does not lead from leaf {leaf_index} to the root of tree size {size}")
    key = trusted_key or str(bundle.get("log_key", ""))
    problems += _check_checkpoint(str(bundle.get("checkpoint") or ""), key, size, root)
    problems += _check_anchor(bundle.get("anchor"), size, root, rpc_root_at)
    return problems

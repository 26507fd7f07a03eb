"""Ledger public API (DESIGN §4.5) and the /verify page. Read-only and open to everyone."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request

from honestmeter.errors import ValidationFailed
from honestmeter.ledger import keys, services
from honestmeter.security import public

bp = Blueprint("ledger", __name__)


def _hash_arg(value: str | None, name: str) -> bytes:
    try:
        data = bytes.fromhex(value or "")
    except ValueError:
        data = b""
    if len(data) != 32:
        raise ValidationFailed(f"{name} 须为64位十六进制的 SHA-256 值", field=name)
    return data


def _int_arg(name: str, *, required: bool = True) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        if required:
            raise ValidationFailed(f"缺少参数 {name}", field=name)
        return None
    if not (raw.isascii() and raw.isdigit()):  # "²".isdigit() is true, int("²") fails
        raise ValidationFailed(f"参数 {name} 须为非负整数", field=name)
    return int(raw)


@bp.route("/api/v1/ledger/checkpoint")
@public
def checkpoint() -> Any:
    signed = services.latest_checkpoint()
    if signed is None:
        return jsonify(tree_size=0, root_hash=services.current_root().hex(), checkpoint=None, anchored=None)
    return jsonify(
        tree_size=signed.tree_size,
        root_hash=signed.root_hash.hex(),
        checkpoint=signed.note,
        anchored=services.anchor_json(services.latest_anchor()),
    )


@bp.route("/api/v1/ledger/key")
@public
def key() -> Any:
    return jsonify(origin=keys.origin(), algorithm="ed25519", verifier_key=keys.verifier_key())


@bp.route("/api/v1/ledger/entries/<int:leaf_index>")
@public
def entry(leaf_index: int) -> Any:
    return jsonify(services.entry_json(services.entry_at(leaf_index)))


@bp.route("/api/v1/ledger/proof")
@public
def proof() -> Any:
    found = services.entry_by_hash(_hash_arg(request.args.get("leaf_hash"), "leaf_hash"))
    return jsonify(services.proof_json(found, services.proof_size_for(found, _int_arg("tree_size", required=False))))


@bp.route("/api/v1/ledger/consistency")
@public
def consistency() -> Any:
    first, second = _int_arg("first"), _int_arg("second")
    assert first is not None and second is not None  # noqa: S101 — required=True
    if not 0 < first <= second <= services.tree_size():
        raise ValidationFailed("须满足 0 < first ≤ second ≤ 当前树规模", field="first")
    return jsonify(first=first, second=second, proof=[h.hex() for h in services.consistency_proof(first, second)])


@bp.route("/api/v1/ledger/bundle/<leaf_hash>")
@public
def bundle(leaf_hash: str) -> Any:
    response = jsonify(services.bundle_json(services.entry_by_hash(_hash_arg(leaf_hash, "leaf_hash"))))
    response.headers["Content-Disposition"] = f'inline; filename="ledger-{leaf_hash[:16]}.json"'
    return response


@bp.route("/api/v1/ledger/files/<sha256>")
@public
def file_bundle(sha256: str) -> Any:
    """Bundle of the record that vouches for a file (a PDF notice), found by the file's SHA-256."""
    return jsonify(services.bundle_json(services.entry_by_file(_hash_arg(sha256, "sha256"))))


@bp.route("/verify")
@public
def verify_page() -> Any:
    return render_template("ledger/verify.html", leaf=request.args.get("leaf", ""), log_key=keys.verifier_key())

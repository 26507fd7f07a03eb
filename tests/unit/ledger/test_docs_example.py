"""The verification snippet in docs/ledger.md works on a real bundle and rejects a forged one."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from honestmeter.ledger import canonical, checkpoint, merkle

DOC = Path(__file__).resolve().parents[3] / "docs" / "ledger.md"


def snippet_verify():  # type: ignore[no-untyped-def]
    code = re.search(r"```python verify-example\n(.*?)```", DOC.read_text(), re.S).group(1)  # type: ignore[union-attr]
    namespace: dict[str, object] = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 — our own documentation
    return namespace["verify"]


def make_bundle() -> tuple[dict[str, object], str]:
    from datetime import UTC, datetime

    records = [canonical.record_bytes("test", str(i), 1, datetime(2026, 1, 1, tzinfo=UTC), {"i": i}) for i in range(11)]
    leaves = [merkle.leaf_hash(r) for r in records]
    nodes: dict[tuple[int, int], bytes] = {}
    frontier = merkle.Frontier()
    for leaf in leaves:
        for level, index, node in frontier.append(leaf):
            nodes[(level, index)] = node
    seed = checkpoint.generate_key()
    note = checkpoint.sign(checkpoint.Checkpoint("example/log", 11, frontier.root()), "example/log", seed)
    path = merkle.inclusion_proof(6, 11, lambda level, index: nodes[(level, index)])
    bundle = {
        "canonical_b64": base64.b64encode(records[6]).decode(),
        "leaf_index": 6,
        "leaf_hash": leaves[6].hex(),
        "tree_size": 11,
        "root_hash": frontier.root().hex(),
        "audit_path": [p.hex() for p in path],
        "checkpoint": note,
        "anchor": {"tree_size": 11, "root_hash": frontier.root().hex(), "tx_hash": "0xabc"},
    }
    return bundle, checkpoint.verifier_key("example/log", checkpoint.public_key(seed))


def test_docs_snippet_accepts_a_valid_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    bundle, key = make_bundle()
    snippet_verify()(bundle, key)
    assert "valid: test" in capsys.readouterr().out


def test_docs_snippet_rejects_forgeries() -> None:
    verify = snippet_verify()
    bundle, key = make_bundle()
    with pytest.raises(AssertionError):
        verify({**bundle, "leaf_index": 5}, key)
    other_key = checkpoint.verifier_key("example/log", checkpoint.public_key(checkpoint.generate_key()))
    with pytest.raises(AssertionError):
        verify(bundle, other_key)

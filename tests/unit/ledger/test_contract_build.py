"""The committed contract artifact matches its source, and its ABI is the one DESIGN §4.4 promises."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
ARTIFACT = REPO / "honestmeter/ledger/contract/AnchorRegistry.json"


def _artifact() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    return data


def _signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(arg['type'] for arg in item['inputs'])})"


def test_committed_artifact_matches_source() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the contract build check needs Node 20")
    if not (REPO / "node_modules/solc/package.json").exists():
        pytest.skip("node_modules/solc is missing; run `npm install` to check the contract build")
    result = subprocess.run(
        [node, "contracts/compile.mjs", "--check"], check=False, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_abi_is_interface_v1() -> None:
    abi = _artifact()["abi"]
    functions = {
        _signature(item): (item["stateMutability"], [out["type"] for out in item["outputs"]])
        for item in abi
        if item["type"] == "function"
    }
    assert functions["anchor(uint64,bytes32)"] == ("nonpayable", [])
    assert functions["rootAt(uint64)"] == ("view", ["bytes32"])
    assert functions["latestTreeSize()"] == ("view", ["uint64"])
    assert functions["owner()"] == ("view", ["address"])
    assert functions["isSubmitter(address)"] == ("view", ["bool"])
    assert functions["setSubmitter(address,bool)"] == ("nonpayable", [])
    events = {_signature(item): [arg["indexed"] for arg in item["inputs"]] for item in abi if item["type"] == "event"}
    assert events == {"Anchored(uint64,bytes32)": [True, False], "SubmitterChanged(address,bool)": [True, False]}


def _opcodes(code: bytes) -> list[int]:
    """Opcodes of EVM code, skipping PUSH data."""
    out, i = [], 0
    while i < len(code):
        op = code[i]
        out.append(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return out


def test_bytecode_targets_paris() -> None:
    artifact = _artifact()
    assert artifact["evmVersion"] == "paris"
    assert artifact["compiler"].startswith("0.8.37+")
    assert artifact["optimizer"] == {"enabled": True, "runs": 200}
    runtime = bytes.fromhex(artifact["deployedBytecode"].removeprefix("0x"))
    metadata_length = int.from_bytes(runtime[-2:], "big")  # solc appends CBOR metadata and its length
    code = runtime[: -2 - metadata_length]
    # No PUSH0 (Shanghai), TLOAD/TSTORE/MCOPY (Cancun): permissioned EVMs such as FISCO BCOS lack them.
    assert not {0x5F, 0x5C, 0x5D, 0x5E} & set(_opcodes(code))

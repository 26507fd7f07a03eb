"""AnchorRegistry through the web3.py client, on eth-tester (in-process py-evm) and on a real anvil node."""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3
from web3.logs import DISCARD

from honestmeter.ledger.anvil import AnvilError, AnvilNode, find_anvil
from honestmeter.ledger.chain import (
    AnchorClient,
    AnchorReceipt,
    ChainError,
    ChainUnavailable,
    Web3AnchorClient,
    load_artifact,
)

REPO = Path(__file__).resolve().parents[3]
ANVIL = find_anvil(REPO)
needs_anvil = pytest.mark.skipif(ANVIL is None, reason="node_modules/.bin/anvil missing: run `npm install`")

ROOT = hashlib.sha256(b"root 7").digest()
OTHER_ROOT = hashlib.sha256(b"another root").digest()
# A key that is not one of the node's unlocked accounts, funded below, to exercise local signing.
SIGNER_KEY = "0x" + hashlib.sha256(b"honestmeter test signer").hexdigest()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def anvil_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    assert ANVIL is not None
    with AnvilNode(ANVIL, tmp_path_factory.mktemp("anvil"), port=_free_port()) as node:
        yield node


@pytest.fixture(scope="module", params=["eth-tester", pytest.param("anvil", marks=needs_anvil)])
def chain(request: pytest.FixtureRequest) -> Web3AnchorClient:
    if request.param == "eth-tester":
        return Web3AnchorClient.eth_tester()
    node: AnvilNode = request.getfixturevalue("anvil_node")
    return Web3AnchorClient.connect(node.url)


@pytest.fixture
def contract(chain: Web3AnchorClient) -> str:
    """A freshly deployed AnchorRegistry for each test."""
    return chain.deploy()


def _accounts(chain: Web3AnchorClient) -> list[str]:
    """The node's unlocked accounts (web3 types them as a one-element tuple)."""
    return list(chain.web3.eth.accounts)


def _second_account(chain: Web3AnchorClient) -> Web3AnchorClient:
    """The same node, sending from its second unlocked account (eth-tester and anvil both have ten)."""
    return chain.as_account(_accounts(chain)[1])


def _anchored_events(chain: Web3AnchorClient, contract: str, tx_hash: str) -> list[tuple[int, bytes]]:
    registry = chain.web3.eth.contract(address=Web3.to_checksum_address(contract), abi=load_artifact()["abi"])
    receipt = chain.web3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    return [
        (event["args"]["treeSize"], bytes(event["args"]["root"]))
        for event in registry.events.Anchored().process_receipt(receipt, errors=DISCARD)
    ]


def test_deploy(chain: Web3AnchorClient, contract: str) -> None:
    assert Web3.is_checksum_address(contract)
    assert chain.has_code(contract)
    assert chain.code_matches(contract)
    assert chain.owner(contract) == chain.account()
    assert chain.is_submitter(contract, chain.account())
    assert chain.latest_tree_size(contract) == 0
    assert chain.root_at(contract, 1) == bytes(32)
    assert not chain.has_code(_accounts(chain)[5])
    assert chain.chain_id() == chain.web3.eth.chain_id


def test_client_satisfies_protocol(chain: Web3AnchorClient) -> None:
    client: AnchorClient = chain  # checked by mypy
    assert client.chain_id() > 0


def test_anchor_then_read(chain: Web3AnchorClient, contract: str) -> None:
    receipt = chain.anchor(contract, 7, ROOT)

    assert receipt.tree_size == 7
    assert receipt.root == ROOT
    assert not receipt.noop
    assert receipt.tx_hash == receipt.tx_hash.lower()
    assert receipt.tx_hash.startswith("0x")
    assert len(receipt.tx_hash) == 66
    block = chain.web3.eth.get_block(receipt.block_number)
    assert receipt.block_time.tzinfo == UTC
    assert receipt.block_time.timestamp() == block["timestamp"]
    assert chain.block_hash(receipt.block_number) == bytes(block["hash"])
    assert len(chain.block_hash(receipt.block_number)) == 32
    assert chain.root_at(contract, 7) == ROOT
    assert chain.latest_tree_size(contract) == 7
    assert chain.root_at(contract, 6) == bytes(32)
    assert chain.receipt(receipt.tx_hash) == receipt
    assert _anchored_events(chain, contract, receipt.tx_hash) == [(7, ROOT)]


def test_anchored_event_topics(chain: Web3AnchorClient, contract: str) -> None:
    receipt = chain.anchor(contract, 1000, ROOT)
    logs = chain.web3.eth.get_transaction_receipt(receipt.tx_hash)["logs"]  # type: ignore[arg-type]
    assert len(logs) == 1
    assert logs[0]["address"] == contract
    assert bytes(logs[0]["topics"][0]) == Web3.keccak(text="Anchored(uint64,bytes32)")
    assert bytes(logs[0]["topics"][1]) == (1000).to_bytes(32, "big")  # treeSize is indexed
    assert bytes(logs[0]["data"]) == ROOT


def test_resending_the_same_pair_is_a_silent_no_op(chain: Web3AnchorClient, contract: str) -> None:
    first = chain.anchor(contract, 7, ROOT)
    again = chain.anchor(contract, 7, ROOT)  # a retry after a lost receipt

    assert again.noop
    assert again.tx_hash != first.tx_hash
    assert _anchored_events(chain, contract, again.tx_hash) == []
    assert chain.latest_tree_size(contract) == 7
    assert chain.root_at(contract, 7) == ROOT

    chain.anchor(contract, 9, OTHER_ROOT)
    late = chain.anchor(contract, 7, ROOT)  # a late retry after a newer anchor still succeeds
    assert late.noop
    assert chain.latest_tree_size(contract) == 9
    assert chain.receipt(late.tx_hash) == late


def test_same_size_with_another_root_reverts(chain: Web3AnchorClient, contract: str) -> None:
    chain.anchor(contract, 7, ROOT)
    with pytest.raises(ChainError, match=r"RootConflict\(7\)"):
        chain.anchor(contract, 7, OTHER_ROOT)
    assert chain.root_at(contract, 7) == ROOT


def test_tree_size_must_increase(chain: Web3AnchorClient, contract: str) -> None:
    chain.anchor(contract, 7, ROOT)
    with pytest.raises(ChainError, match=r"TreeSizeNotIncreasing\(7, 5\)"):
        chain.anchor(contract, 5, OTHER_ROOT)
    with pytest.raises(ChainError, match=r"TreeSizeNotIncreasing\(7, 0\)"):
        chain.anchor(contract, 0, OTHER_ROOT)
    assert chain.latest_tree_size(contract) == 7
    assert chain.root_at(contract, 5) == bytes(32)


def test_tree_size_zero_reverts_on_an_empty_registry(chain: Web3AnchorClient, contract: str) -> None:
    with pytest.raises(ChainError, match=r"TreeSizeNotIncreasing\(0, 0\)"):
        chain.anchor(contract, 0, ROOT)


def test_zero_root_reverts(chain: Web3AnchorClient, contract: str) -> None:
    with pytest.raises(ChainError, match=r"EmptyRoot"):
        chain.anchor(contract, 8, bytes(32))
    assert chain.latest_tree_size(contract) == 0


def test_bad_arguments_are_refused_before_sending(chain: Web3AnchorClient, contract: str) -> None:
    with pytest.raises(ChainError, match="32 bytes"):
        chain.anchor(contract, 8, b"short")
    with pytest.raises(ChainError, match="uint64"):
        chain.anchor(contract, 2**64, ROOT)


def test_only_submitters_anchor_and_only_the_owner_authorises(chain: Web3AnchorClient, contract: str) -> None:
    other = _second_account(chain)
    assert not chain.is_submitter(contract, other.account())
    with pytest.raises(ChainError, match="NotSubmitter"):
        other.anchor(contract, 7, ROOT)
    with pytest.raises(ChainError, match="NotOwner"):
        other.set_submitter(contract, other.account(), True)

    tx_hash = chain.set_submitter(contract, other.account(), True)
    registry = chain.web3.eth.contract(address=Web3.to_checksum_address(contract), abi=load_artifact()["abi"])
    events = registry.events.SubmitterChanged().process_receipt(
        chain.web3.eth.get_transaction_receipt(tx_hash),  # type: ignore[arg-type]
        errors=DISCARD,
    )
    assert [(e["args"]["account"], e["args"]["allowed"]) for e in events] == [(other.account(), True)]
    assert chain.is_submitter(contract, other.account())
    assert other.anchor(contract, 7, ROOT).tree_size == 7
    assert chain.root_at(contract, 7) == ROOT

    chain.set_submitter(contract, other.account(), False)
    with pytest.raises(ChainError, match="NotSubmitter"):
        other.anchor(contract, 8, OTHER_ROOT)


def test_locally_signed_transactions(chain: Web3AnchorClient, contract: str, request: pytest.FixtureRequest) -> None:
    signer_address = Account.from_key(SIGNER_KEY).address
    funder = _accounts(chain)[2]
    tx = chain.web3.eth.send_transaction({"from": funder, "to": signer_address, "value": Web3.to_wei(1, "ether")})
    chain.web3.eth.wait_for_transaction_receipt(tx)
    if request.node.callspec.params["chain"] == "anvil":
        signed = Web3AnchorClient.connect(request.getfixturevalue("anvil_node").url, private_key=SIGNER_KEY)
    else:
        signed = Web3AnchorClient(chain.web3, signer=Account.from_key(SIGNER_KEY))
    assert signed.account() == signer_address

    chain.set_submitter(contract, signer_address, True)
    receipt = signed.anchor(contract, 11, ROOT)
    assert chain.root_at(contract, 11) == ROOT
    assert chain.web3.eth.get_transaction(receipt.tx_hash)["from"] == signer_address  # type: ignore[arg-type]
    own = signed.deploy()
    assert signed.owner(own) == signer_address


def test_gas_per_anchor(
    chain: Web3AnchorClient,
    contract: str,
    record_property: Callable[[str, object], None],
    request: pytest.FixtureRequest,
) -> None:
    root = bytes(range(1, 33))  # 32 non-zero bytes, as a random hash nearly always is
    receipt = chain.anchor(contract, 1000, root)
    backend = request.node.callspec.params["chain"]
    record_property(f"gas_per_anchor_{backend}", receipt.gas_used)
    print(f"\nanchor gas on {backend}: {receipt.gas_used} ({receipt.gas_used / 1000:.1f} per record at 1,000)")

    # The floor any contract with this interface pays: 21,000 intrinsic + calldata (4 selector and 34
    # non-zero bytes at 16, 30 zero bytes at 4) + 22,100 new slot for the root (SSTORE_SET + cold)
    # + 5,000 to read and update latestTreeSize (cold SLOAD 2,100 + warm SSTORE 2,900) + LOG2 with
    # 32 data bytes 1,381 = 50,209, i.e. 50.2 gas per record at 1,000 records per anchor. DESIGN §9 bar
    # (≤ 50 per record at 1,000) therefore cannot be met with `latestTreeSize` in storage; it holds from
    # about 1,021 records per anchor. This asserts the contract's own overhead stays small.
    floor = 21_000 + (4 + 34) * 16 + 30 * 4 + 22_100 + 2_100 + 2_900 + 1_381
    assert floor == 50_209
    assert receipt.gas_used <= floor + 900
    # Versus one transaction per record (≥ 21,000 + one new slot each): well over 500× cheaper.
    assert 1000 * (21_000 + 22_100) / receipt.gas_used >= 500

    noop = chain.anchor(contract, 1000, root)
    record_property(f"gas_per_noop_resend_{backend}", noop.gas_used)
    assert noop.gas_used < 30_000


def test_unknown_transaction_has_no_receipt(chain: Web3AnchorClient) -> None:
    assert chain.receipt("0x" + "ab" * 32) is None


def test_receipt_of_a_non_anchor_transaction_is_an_error(chain: Web3AnchorClient, contract: str) -> None:
    tx_hash = chain.set_submitter(contract, _accounts(chain)[3], True)
    with pytest.raises(ChainError, match="not anchor"):
        chain.receipt(tx_hash)


# ---------------------------------------------------------------- node down, restarts


def test_unreachable_node_raises_chain_unavailable() -> None:
    client = Web3AnchorClient.connect(f"http://127.0.0.1:{_free_port()}", timeout=2)
    with pytest.raises(ChainUnavailable, match="unreachable"):
        client.chain_id()
    with pytest.raises(ChainUnavailable):
        client.anchor("0x" + "11" * 20, 7, ROOT)
    with pytest.raises(ChainUnavailable):
        client.root_at("0x" + "11" * 20, 7)


@needs_anvil
def test_anvil_state_survives_kill_and_restart(tmp_path: Path) -> None:
    """--state-interval 1: a SIGKILL more than a second after a transaction loses nothing."""
    assert ANVIL is not None
    node = AnvilNode(ANVIL, tmp_path / "chain", port=_free_port())
    node.start()
    try:
        client = Web3AnchorClient.connect(node.url)
        contract = client.deploy()
        receipt = client.anchor(contract, 5, ROOT)
        block_hash = client.block_hash(receipt.block_number)
        time.sleep(1.5)  # let the periodic dump run
        node.kill()
        assert not node.alive()
        with pytest.raises(ChainUnavailable):
            Web3AnchorClient.connect(node.url).latest_tree_size(contract)

        node.ensure_running()  # the supervisor restarts a dead node from its state file
        assert node.alive()
        client = Web3AnchorClient.connect(node.url)
        assert client.has_code(contract)
        assert client.code_matches(contract)
        assert client.root_at(contract, 5) == ROOT
        assert client.latest_tree_size(contract) == 5
        assert client.block_hash(receipt.block_number) == block_hash
        assert client.receipt(receipt.tx_hash) == receipt  # receipts of dumped blocks survive too
        assert client.anchor(contract, 6, OTHER_ROOT).block_number == receipt.block_number + 1

        # A clean stop dumps the state on exit: no wait needed.
        node.stop()
        node.start()
        client = Web3AnchorClient.connect(node.url)
        assert client.root_at(contract, 6) == OTHER_ROOT
        assert client.latest_tree_size(contract) == 6
    finally:
        node.stop()


@needs_anvil
def test_truncated_state_file_is_replaced_by_the_last_good_copy(tmp_path: Path) -> None:
    """anvil rewrites state.json in place; a kill mid-dump leaves it truncated. start() recovers."""
    assert ANVIL is not None
    node = AnvilNode(ANVIL, tmp_path / "chain", port=_free_port())
    node.start()
    try:
        client = Web3AnchorClient.connect(node.url)
        contract = client.deploy()
        client.anchor(contract, 5, ROOT)
        node.stop()
        node.start()  # backs up the good state file (the chain as of now)
        Web3AnchorClient.connect(node.url).anchor(contract, 6, OTHER_ROOT)
        node.stop()
        text = node.state_file.read_bytes()
        node.state_file.write_bytes(text[: len(text) // 2])

        node.start()
        client = Web3AnchorClient.connect(node.url)
        assert client.root_at(contract, 5) == ROOT
        assert client.latest_tree_size(contract) == 5  # the anchor after the backup is gone
        assert list(node.state_dir.glob("state.json.corrupt-*"))
    finally:
        node.stop()


@needs_anvil
def test_anvil_start_failures_are_reported(tmp_path: Path, anvil_node: AnvilNode) -> None:
    assert ANVIL is not None
    busy = AnvilNode(ANVIL, tmp_path / "busy", port=anvil_node.port)
    with pytest.raises(AnvilError, match="already in use"):
        busy.start()
    missing = AnvilNode(tmp_path / "no-such-anvil", tmp_path / "missing", port=_free_port())
    with pytest.raises(AnvilError, match="cannot run"):
        missing.start()
    assert not missing.alive()


def test_anchor_receipt_is_frozen() -> None:
    receipt = AnchorReceipt("0x00", 1, datetime.now(UTC), 1, 1, ROOT)
    with pytest.raises(AttributeError):
        receipt.gas_used = 2  # type: ignore[misc]

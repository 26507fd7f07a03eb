"""EVM chain client for the AnchorRegistry contract (DESIGN §4.4), on web3.py.

One interface (`AnchorClient`) over any Ethereum JSON-RPC node (anvil, Hyperledger Besu, FISCO BCOS
`web3_rpc`) and over the in-process eth-tester chain used by fast tests. The ABI and bytecode come from
the committed artifact `honestmeter/ledger/contract/AnchorRegistry.json` (built by `contracts/compile.mjs`).

Errors: every failure is a `ChainError` with a readable message; a node that cannot be reached raises
the subclass `ChainUnavailable`, so that the anchoring job can back off and retry. Reverts name the
contract's custom error (e.g. `RootConflict(7)`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

import requests
from eth_abi.abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed as TesterTransactionFailed
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.contract import Contract
from web3.exceptions import (
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3Exception,
)
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import TxParams, TxReceipt

ARTIFACT_PATH = Path(__file__).resolve().parent / "contract" / "AnchorRegistry.json"  # ships in the wheel
ZERO_ROOT = bytes(32)
REQUEST_TIMEOUT = 10.0  # seconds, per JSON-RPC request
RECEIPT_TIMEOUT = 120.0  # seconds to wait for a sent transaction to be mined

T = TypeVar("T")


class ChainError(Exception):
    """The chain did not do what was asked: revert, bad answer, missing contract, node unreachable…"""

    def __init__(self, message: str, *, tx_hash: str | None = None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class ChainUnavailable(ChainError):
    """The node cannot be reached (refused, timed out, HTTP error): retry later with back-off."""


@dataclass(frozen=True)
class AnchorReceipt:
    """A mined `anchor` transaction. `noop` is True when the pair was already stored (no event)."""

    tx_hash: str  # 0x…, lowercase
    block_number: int
    block_time: datetime  # UTC
    gas_used: int
    tree_size: int
    root: bytes
    noop: bool = False


class AnchorClient(Protocol):
    """What the ledger needs from a chain holding an AnchorRegistry."""

    def chain_id(self) -> int: ...

    def account(self) -> str: ...

    def deploy(self) -> str: ...

    def has_code(self, address: str) -> bool: ...

    def anchor(self, address: str, tree_size: int, root: bytes) -> AnchorReceipt: ...

    def root_at(self, address: str, tree_size: int) -> bytes: ...

    def latest_tree_size(self, address: str) -> int: ...

    def block_hash(self, block_number: int) -> bytes: ...

    def receipt(self, tx_hash: str) -> AnchorReceipt | None: ...


@cache
def _artifact_text() -> str:
    try:
        return ARTIFACT_PATH.read_text(encoding="utf-8")
    except OSError as err:
        raise ChainError(f"contract artifact missing: {ARTIFACT_PATH} ({err}); run: npm run compile-contracts") from err


def load_artifact() -> dict[str, Any]:
    """The compiled AnchorRegistry (abi, bytecode, deployedBytecode, compiler…), a fresh copy each call."""
    data: dict[str, Any] = json.loads(_artifact_text())
    return data


@cache
def _error_selectors() -> dict[bytes, tuple[str, list[str]]]:
    """4-byte selector -> (name, argument types) for the contract's custom errors."""
    out: dict[bytes, tuple[str, list[str]]] = {}
    for item in load_artifact()["abi"]:
        if item.get("type") == "error":
            types = [arg["type"] for arg in item.get("inputs", [])]
            signature = f"{item['name']}({','.join(types)})"
            out[bytes(Web3.keccak(text=signature)[:4])] = (item["name"], types)
    return out


def describe_revert(data: object) -> str:
    """Readable form of revert data: `RootConflict(7)` for a custom error, else the raw text."""
    raw = data.get("data") if isinstance(data, dict) else data
    if isinstance(raw, str) and raw.startswith("0x") and len(raw) >= 10:
        try:
            blob = bytes.fromhex(raw[2:])
        except ValueError:
            return raw
        known = _error_selectors().get(blob[:4])
        if known is not None:
            name, types = known
            try:
                args = abi_decode(types, blob[4:]) if types else ()
            except Exception:  # malformed revert data is shown raw
                return raw
            return f"{name}({', '.join(str(a) for a in args)})"
    return str(raw)


def _tester_revert_data(err: BaseException) -> str:
    """eth-tester puts the raw revert bytes in an inner exception's args; return them as 0x-hex."""
    seen: BaseException | None = err
    while seen is not None:
        for arg in seen.args:
            if isinstance(arg, bytes):
                return "0x" + arg.hex()
        seen = seen.__cause__ or seen.__context__
    return str(err)


def _hex(value: bytes | str) -> str:
    return ("0x" + bytes(HexBytes(value)).hex()).lower()


def _as_root(root: bytes) -> bytes:
    if not isinstance(root, bytes | bytearray) or len(root) != 32:
        raise ChainError(f"a root must be 32 bytes, got {root!r}")
    return bytes(root)


def _as_tree_size(tree_size: int) -> int:
    if not 0 <= tree_size < 2**64:
        raise ChainError(f"tree size out of uint64 range: {tree_size}")
    return tree_size


class Web3AnchorClient:
    """`AnchorClient` on web3.py. Build with `connect(url)` (JSON-RPC over HTTP) or `eth_tester()`."""

    def __init__(self, w3: Web3, *, signer: LocalAccount | None = None, sender: str | None = None) -> None:
        self._w3 = w3
        self._signer = signer
        self._sender: ChecksumAddress | None = (
            signer.address if signer is not None else (Web3.to_checksum_address(sender) if sender else None)
        )
        artifact = load_artifact()
        self._abi: list[dict[str, Any]] = artifact["abi"]
        self._bytecode: str = artifact["bytecode"]
        self._deployed_bytecode = bytes(HexBytes(artifact["deployedBytecode"]))
        self._anchored_topic = bytes(Web3.keccak(text="Anchored(uint64,bytes32)"))
        self._chain_id: int | None = None

    # ------------------------------------------------------------------ construction

    @classmethod
    def connect(cls, url: str, private_key: str | None = None, *, timeout: float = REQUEST_TIMEOUT) -> Web3AnchorClient:
        """A client for the JSON-RPC node at `url`.

        With `private_key`, transactions are signed locally (eth-account); without, they are sent
        from the node's first unlocked account (`eth_accounts[0]`, e.g. anvil's first dev account).
        No request is made until the first call.
        """
        # No retries inside web3: the anchoring job retries with its own back-off.
        provider = HTTPProvider(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None)
        w3 = Web3(provider)
        # PoA chains (Besu QBFT/IBFT/Clique) carry > 32 bytes of extraData in block headers.
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        signer: LocalAccount | None = Account.from_key(private_key) if private_key else None
        return cls(w3, signer=signer)

    @classmethod
    def eth_tester(cls) -> Web3AnchorClient:
        """A client on a fresh in-process py-evm chain (tests only: nothing survives the process)."""
        return cls(Web3(EthereumTesterProvider()))

    def as_account(self, address: str) -> Web3AnchorClient:
        """The same node, sending from another of its unlocked accounts (tests, administration)."""
        clone = Web3AnchorClient(self._w3, sender=address)
        clone._chain_id = self._chain_id
        return clone

    @property
    def web3(self) -> Web3:
        return self._w3

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _rpc(self, what: str) -> Iterator[None]:
        """Translate transport and node errors into ChainUnavailable / ChainError."""
        try:
            yield
        except ChainError:
            raise
        except (requests.RequestException, ProviderConnectionError, ConnectionError, TimeoutError) as err:
            raise ChainUnavailable(f"chain node unreachable ({what}): {err}") from err
        except ContractLogicError as err:
            raise ChainError(f"{what} reverted: {describe_revert(err.data) if err.data else err}") from err
        except TesterTransactionFailed as err:
            raise ChainError(f"{what} reverted: {describe_revert(_tester_revert_data(err))}") from err
        except (Web3Exception, ValueError) as err:
            raise ChainError(f"{what} failed: {err}") from err

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        with self._rpc(what):
            return fn()
        raise AssertionError("unreachable")  # pragma: no cover — for type checkers

    def _contract(self, address: str) -> Contract:
        return self._w3.eth.contract(address=Web3.to_checksum_address(address), abi=self._abi)

    def _send(self, what: str, tx: Any) -> TxReceipt:
        """Send a contract call or constructor (`tx` has `.build_transaction`), wait, check status."""
        sender = Web3.to_checksum_address(self.account())
        with self._rpc(what):
            if self._signer is not None:
                params: TxParams = {
                    "from": sender,
                    "nonce": self._w3.eth.get_transaction_count(sender, "pending"),
                    "chainId": self.chain_id(),
                }
                signed = self._signer.sign_transaction(tx.build_transaction(params))
                tx_hash = self._w3.eth.send_raw_transaction(signed.raw_transaction)
            else:
                tx_hash = tx.transact({"from": sender})
        shown = _hex(tx_hash)
        try:
            with self._rpc(f"{what} ({shown})"):
                receipt = self._w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1)
        except TimeExhausted as err:
            raise ChainError(
                f"{what}: transaction {shown} not mined after {RECEIPT_TIMEOUT:.0f} s", tx_hash=shown
            ) from err
        except ChainError as err:
            err.tx_hash = shown
            raise
        if receipt["status"] != 1:
            raise ChainError(f"{what}: transaction {shown} reverted in block {receipt['blockNumber']}", tx_hash=shown)
        return receipt

    def _block_time(self, block_number: int) -> datetime:
        block = self._call("eth_getBlockByNumber", lambda: self._w3.eth.get_block(block_number))
        return datetime.fromtimestamp(int(block["timestamp"]), tz=UTC)

    def _anchor_receipt(self, receipt: TxReceipt, contract: str, tree_size: int, root: bytes) -> AnchorReceipt:
        emitted = any(
            Web3.to_checksum_address(entry["address"]) == Web3.to_checksum_address(contract)
            and entry["topics"]
            and bytes(entry["topics"][0]) == self._anchored_topic
            for entry in receipt["logs"]
        )
        return AnchorReceipt(
            tx_hash=_hex(receipt["transactionHash"]),
            block_number=int(receipt["blockNumber"]),
            block_time=self._block_time(int(receipt["blockNumber"])),
            gas_used=int(receipt["gasUsed"]),
            tree_size=tree_size,
            root=root,
            noop=not emitted,
        )

    # ------------------------------------------------------------------ AnchorClient

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self._call("eth_chainId", lambda: self._w3.eth.chain_id))
        return self._chain_id

    def account(self) -> str:
        """Checksum address that sends this client's transactions."""
        if self._sender is None:
            accounts = self._call("eth_accounts", lambda: self._w3.eth.accounts)
            if not accounts:
                raise ChainError("the node has no unlocked account: configure a private key (LEDGER_PRIVATE_KEY)")
            self._sender = Web3.to_checksum_address(accounts[0])
        return self._sender

    def deploy(self) -> str:
        """Deploy a new AnchorRegistry owned by `account()`; returns its checksum address."""
        constructor = self._w3.eth.contract(abi=self._abi, bytecode=self._bytecode).constructor()
        receipt = self._send("deploy AnchorRegistry", constructor)
        address = receipt["contractAddress"]
        if not address:
            raise ChainError("deploy AnchorRegistry: the receipt names no contract address")
        return Web3.to_checksum_address(address)

    def has_code(self, address: str) -> bool:
        code = self._call("eth_getCode", lambda: self._w3.eth.get_code(Web3.to_checksum_address(address)))
        return len(code) > 0

    def code_matches(self, address: str) -> bool:
        """Whether `address` runs exactly the committed AnchorRegistry runtime bytecode."""
        code = self._call("eth_getCode", lambda: self._w3.eth.get_code(Web3.to_checksum_address(address)))
        return bytes(code) == self._deployed_bytecode

    def anchor(self, address: str, tree_size: int, root: bytes) -> AnchorReceipt:
        """Anchor (tree_size, root) and wait for the receipt. Re-sending a stored pair succeeds as a no-op."""
        size, root = _as_tree_size(tree_size), _as_root(root)
        call = self._contract(address).functions.anchor(size, root)
        receipt = self._send(f"anchor({size}, 0x{root.hex()})", call)
        return self._anchor_receipt(receipt, address, size, root)

    def root_at(self, address: str, tree_size: int) -> bytes:
        size = _as_tree_size(tree_size)
        value = self._call("rootAt", lambda: self._contract(address).functions.rootAt(size).call())
        return bytes(value)

    def latest_tree_size(self, address: str) -> int:
        return int(self._call("latestTreeSize", lambda: self._contract(address).functions.latestTreeSize().call()))

    def block_hash(self, block_number: int) -> bytes:
        block = self._call("eth_getBlockByNumber", lambda: self._w3.eth.get_block(block_number))
        return bytes(block["hash"])

    def receipt(self, tx_hash: str) -> AnchorReceipt | None:
        """The mined `anchor` transaction `tx_hash`, or None if the node does not know it (yet).

        Raises ChainError if it reverted or is not a call of `anchor`.
        """
        with self._rpc("eth_getTransactionReceipt"):
            try:
                receipt = self._w3.eth.get_transaction_receipt(HexBytes(tx_hash))
                tx = self._w3.eth.get_transaction(HexBytes(tx_hash))
            except TransactionNotFound:
                return None
        to = tx.get("to")
        if not to:
            raise ChainError(f"transaction {tx_hash} is a contract creation, not an anchor")
        try:
            function, args = self._contract(to).decode_function_input(tx["input"])
        except ValueError as err:
            raise ChainError(f"transaction {tx_hash} is not an AnchorRegistry call: {err}") from err
        if function.fn_name != "anchor":
            raise ChainError(f"transaction {tx_hash} calls {function.fn_name}, not anchor")
        if receipt["status"] != 1:
            raise ChainError(f"transaction {tx_hash} reverted in block {receipt['blockNumber']}", tx_hash=tx_hash)
        return self._anchor_receipt(receipt, to, int(args["treeSize"]), bytes(args["root"]))

    # ------------------------------------------------------------------ administration

    def is_submitter(self, address: str, account: str) -> bool:
        contract = self._contract(address)
        return bool(
            self._call(
                "isSubmitter",
                lambda: contract.functions.isSubmitter(Web3.to_checksum_address(account)).call(),
            )
        )

    def set_submitter(self, address: str, account: str, allowed: bool) -> str:
        """Allow or revoke `account` as a submitter (owner only); returns the transaction hash."""
        call = self._contract(address).functions.setSubmitter(Web3.to_checksum_address(account), allowed)
        receipt = self._send(f"setSubmitter({account}, {allowed})", call)
        return _hex(receipt["transactionHash"])

    def owner(self, address: str) -> str:
        return str(self._call("owner", lambda: self._contract(address).functions.owner().call()))

"""C2SP tlog-checkpoint tree heads in C2SP signed-note form, signed with Ed25519."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01  # signed-note signature type for Ed25519
KEY_SIZE = 32
ROOT_SIZE = 32
SIG_PREFIX = "\u2014 "  # EM DASH and a space open every signature line
MAX_SIGNATURES = 100  # as sumdb/note: bounds the work an untrusted note can cause
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_UINT64_MAX = 2**64 - 1


class CheckpointError(ValueError):
    """A signed checkpoint or verifier key that is malformed or does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("the origin must be one non-empty line")
        if not 0 <= self.size <= _UINT64_MAX:
            raise CheckpointError("the tree size must fit in an unsigned 64-bit integer")
        if len(self.root) != ROOT_SIZE:
            raise CheckpointError(f"the root hash must be {ROOT_SIZE} bytes, not {len(self.root)}")

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise CheckpointError(f"invalid key name {name!r}: it must be non-empty, without spaces or '+'")


def _b64decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as e:
        raise CheckpointError(f"{what} is not valid base64") from e
    # Only the canonical encoding is accepted, so one value has exactly one text form.
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def generate_key() -> bytes:
    """A new 32-byte Ed25519 private key seed."""
    return Ed25519PrivateKey.generate().private_bytes_raw()


def public_key(seed: bytes) -> bytes:
    """The 32-byte Ed25519 public key of a private seed."""
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def key_hash(name: str, public: bytes) -> bytes:
    """The 4-byte signed-note key ID: SHA-256(name || "\\n" || 0x01 || public key)[:4]."""
    _check_name(name)
    if len(public) != KEY_SIZE:
        raise CheckpointError(f"an Ed25519 public key is {KEY_SIZE} bytes, not {len(public)}")
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public).digest()[:4]


def verifier_key(name: str, public: bytes) -> str:
    """The sumdb/note verifier key string <name>+<hex key hash>+<base64(0x01 || public key)>."""
    encoded = base64.b64encode(bytes([ED25519]) + public).decode("ascii")
    return f"{name}+{key_hash(name, public).hex()}+{encoded}"


def parse_verifier_key(verifier: str) -> tuple[str, bytes]:
    """The (name, 32-byte public key) of a verifier key string, after checking its key hash."""
    # At most two splits: the base64 key itself may contain "+".
    parts = verifier.split("+", 2)
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise CheckpointError("a verifier key must read <name>+<8 hex digits>+<base64 key>")
    name, hash_hex, key_b64 = parts
    _check_name(name)
    key = _b64decode(key_b64, "the verifier key")
    if len(key) != 1 + KEY_SIZE or key[0] != ED25519:
        raise CheckpointError("the verifier key is not an Ed25519 key")
    public = key[1:]
    if key_hash(name, public).hex() != hash_hex:
        raise CheckpointError("the verifier key's hash does not match its name and key")
    return name, public


def sign_note(body: str, key_name: str, seed: bytes) -> str:
    """A signed note: body, a blank line, and one Ed25519 signature line by key_name."""
    _check_text(body)
    if not body.endswith("\n"):
        raise CheckpointError("a note body must end with a newline")
    private = Ed25519PrivateKey.from_private_bytes(seed)
    signature = private.sign(body.encode("utf-8"))
    kh = key_hash(key_name, private.public_key().public_bytes_raw())
    return f"{body}\n{SIG_PREFIX}{key_name} {base64.b64encode(kh + signature).decode('ascii')}\n"


def sign(checkpoint: Checkpoint, key_name: str, seed: bytes) -> str:
    """The checkpoint as a signed note carrying one Ed25519 signature by key_name."""
    return sign_note(checkpoint.body(), key_name, seed)


def _check_text(text: str) -> None:
    if any(c < " " and c != "\n" for c in text):
        raise CheckpointError("the note contains control characters")


def _split_note(note: str) -> tuple[str, list[str]]:
    _check_text(note)
    if not note.endswith("\n"):
        raise CheckpointError("the note does not end with a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("the note has no blank line before its signatures")
    body, sigs = note[: split + 1], note[split + 2 :]
    lines = sigs.removesuffix("\n").split("\n") if sigs else []
    if not lines:
        raise CheckpointError("the note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"the note has more than {MAX_SIGNATURES} signatures")
    return body, lines


def _verify_signatures(body: str, lines: list[str], name: str, public: bytes) -> None:
    kh = key_hash(name, public)
    verifier = Ed25519PublicKey.from_public_bytes(public)
    found = False
    for line in lines:
        if not line.startswith(SIG_PREFIX):
            raise CheckpointError("a signature line does not start with an em dash and a space")
        sig_name, sep, sig_b64 = line[len(SIG_PREFIX) :].partition(" ")
        if not sep:
            raise CheckpointError("a signature line has no signature after the key name")
        _check_name(sig_name)
        raw = _b64decode(sig_b64, "a signature")
        if len(raw) < 5:
            raise CheckpointError("a signature is too short")
        # Signatures by other keys (witnesses, say) are allowed and ignored, as the spec requires.
        if sig_name != name or raw[:4] != kh:
            continue
        try:
            verifier.verify(raw[4:], body.encode("utf-8"))
        except InvalidSignature as e:
            raise CheckpointError("the checkpoint signature is invalid") from e
        found = True
    if not found:
        raise CheckpointError(f"the note has no signature by the key {name!r}")


def _parse_body(body: str) -> Checkpoint:
    lines = body.removesuffix("\n").split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint body needs an origin, a tree size and a root hash line")
    if len(lines) > 3:
        raise CheckpointError("the checkpoint has extension lines, which this log never writes")
    origin, size_text, root_b64 = lines
    if not origin:
        raise CheckpointError("the checkpoint origin is empty")
    if not _DECIMAL.fullmatch(size_text) or int(size_text) > _UINT64_MAX:
        raise CheckpointError(f"the tree size {size_text!r} is not a decimal 64-bit unsigned integer")
    root = _b64decode(root_b64, "the root hash")
    if len(root) != ROOT_SIZE:
        raise CheckpointError(f"the root hash is {len(root)} bytes, not {ROOT_SIZE}")
    return Checkpoint(origin, int(size_text), root)


def open_note(note: str, verifier: str) -> str:
    """The body of a signed note, once a signature by the verifier key checks out."""
    name, public = parse_verifier_key(verifier)
    body, lines = _split_note(note)
    _verify_signatures(body, lines, name, public)
    return body


def open_checkpoint(note: str, verifier: str) -> Checkpoint:
    """Verify a signed checkpoint note against a verifier key and return its contents."""
    return _parse_body(open_note(note, verifier))
